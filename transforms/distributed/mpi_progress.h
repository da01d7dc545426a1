// The MPI group's progress thread. OpenMPI advances a nonblocking
// collective (MPI_Iallreduce) only while some thread is inside an MPI call
// ("OMPI progress: no" in ompi_info), so a bucket started during the
// backward pass used to sit idle until finish() waited for it (0.09 of the
// all-reduce hidden, tests/distributed/overlap_benchmark.cc). With
// MPI_THREAD_MULTIPLE, started requests are handed to one thread per
// process that polls them (MPI_Test, then a short sleep) while the compute
// thread goes on; the compute thread keeps making every other MPI call, in
// the same order on every rank, so collective ordering is unchanged. MPI's
// progress engine is per process, not per communicator, so one thread
// serves every group. It sleeps on a condition variable while nothing is
// pending, and is joined before MPI_Finalize.
//
// Only with FNX_DIST_PROGRESS_THREAD=1 (and MPI_THREAD_MULTIPLE); otherwise
// the wait function calls MPI_Wait on the compute thread.
#pragma once

#include <mpi.h>

#include <functional>

#include "core/tensor.h"

namespace fnx::dist_internal {

// Whether FNX_DIST_PROGRESS_THREAD=1 asks for the progress thread. It is
// opt-in: on a machine whose cores all compute, polling from a thread of
// its own slowed the all-reduces more than it hid (transforms/distributed/
// README.md, Benchmarks); with spare cores it can pay.
bool progress_thread_requested();

// Whether started requests go to the progress thread: it was requested and
// MPI provides MPI_THREAD_MULTIPLE. Set once, after MPI_Init_thread.
void set_thread_level(int provided);
bool progress_thread_enabled();

// Takes over `request` (already started on `comm`, writing `buffer`) and
// returns the function that waits for it; an MPI error is raised from that
// function as fnx::Error naming `what` and the rank. The buffer is kept
// alive until the request completes, even when nobody waits (a
// GradientBuckets dropped without finish()).
std::function<void()> track(MPI_Request request, MPI_Comm comm,
                            const char* what, const Tensor& buffer);

// Joins the thread and waits for the requests started without it that
// nobody waited for (before MPI_Finalize); later requests are waited for on
// the caller's thread.
void stop_progress_thread();

}  // namespace fnx::dist_internal
