// A small pool of worker threads for parallel_for. An idle worker watches
// for the next job for FNX_SPIN_US microseconds (default 50; 0 sleeps at
// once), then sleeps; the caller of a job watches as long for the workers'
// last tasks before it sleeps: jobs usually come, and end, microseconds
// apart, and waking a sleeping thread took longer than the small kernels
// it was to share. The
// bound keeps an idle pool from holding a core (OpenBLAS runs
// single-threaded, on the pool, so no library threads compete). It has
// fnx::get_num_threads() - 1 workers (threads.h), resized between jobs when
// the setting changes.
#pragma once

#include <cstdint>
#include <functional>

namespace fnx::cpu {

// Threads that parallel work may use: fnx::get_num_threads() (threads.h;
// hardware threads unless set).
int pool_threads();

// Microseconds an idle worker watches for the next job before it sleeps:
// FNX_SPIN_US from the environment (0 to 1000000; else a warning and the
// default, 50), read once.
int pool_spin_us();

// Whether the calling thread is running a pool task (nested parallel work
// runs serially there, so kernels should not split it).
bool in_pool_task();

// Runs task(i) for i in [0, n) on the pool and the calling thread, and
// returns when all are done; the first exception is rethrown here. Called
// from inside a task, or while another thread holds the pool, it runs the
// tasks serially on the caller.
void pool_run(int64_t n, const std::function<void(int64_t)>& task);

}  // namespace fnx::cpu
