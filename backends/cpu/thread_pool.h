// A small pool of worker threads that block (never spin) between jobs, for
// parallel_for. Blocking matters: spinning idle threads (libgomp's default)
// steal the cores OpenBLAS's own threads need for the GEMM that usually
// follows an elementwise op. It has fnx::get_num_threads() - 1 workers
// (threads.h), resized between jobs when the setting changes.
#pragma once

#include <cstdint>
#include <functional>

namespace fnx::cpu {

// Threads that parallel work may use: fnx::get_num_threads() (threads.h;
// hardware threads unless set).
int pool_threads();

// Whether the calling thread is running a pool task (nested parallel work
// runs serially there, so kernels should not split it).
bool in_pool_task();

// Runs task(i) for i in [0, n) on the pool and the calling thread, and
// returns when all are done; the first exception is rethrown here. Called
// from inside a task, or while another thread holds the pool, it runs the
// tasks serially on the caller.
void pool_run(int64_t n, const std::function<void(int64_t)>& task);

}  // namespace fnx::cpu
