// The process group over an MPI communicator, and the MPI transport the
// dist library finds at static initialization (backend_hooks.h). Buffers
// are host memory; every call checks MPI's return code (communicators use
// MPI_ERRORS_RETURN, so a failed call is an fnx::Error naming the rank,
// which the terminate handler turns into the end of the job).
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "core/error.h"
#include "core/str_cat.h"
#include "transforms/distributed/backend_hooks.h"
#include "transforms/distributed/mpi_common.h"
#include "transforms/distributed/mpi_progress.h"

namespace fnx::dist_internal {
namespace {

int count_of(const Tensor& t) {
  FNX_CHECK(t.numel() <= INT32_MAX, "dist", "a tensor of ", t.numel(),
            " elements is more than one MPI call moves; split it");
  return static_cast<int>(t.numel());
}

class MpiGroup final : public dist::ProcessGroup {
 public:
  // Takes ownership of `comm` (freed on destruction unless it is
  // MPI_COMM_WORLD or MPI is already finalized).
  explicit MpiGroup(MPI_Comm comm, std::string name)
      : comm_(comm), name_(std::move(name)) {
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  ~MpiGroup() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && comm_ != MPI_COMM_WORLD) MPI_Comm_free(&comm_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string describe() const override {
    return str_cat(name_, " (", size_, " processes)");
  }

  void all_reduce(const Tensor& in, const Tensor& out,
                  ReduceOp op) const override {
    check("all_reduce", op, in);
    check_mpi(
        MPI_Allreduce(host_bytes(in, "all_reduce"),
                      host_bytes(out, "all_reduce"), count_of(in),
                      mpi_type(in.dtype()), mpi_op(op, in.dtype()), comm_),
        "MPI_Allreduce", comm_);
  }
  void all_gather(const Tensor& in, const Tensor& out) const override {
    check("all_gather", ReduceOp::Sum, in);
    const MPI_Datatype type = mpi_type(in.dtype());
    check_mpi(
        MPI_Allgather(host_bytes(in, "all_gather"), count_of(in), type,
                      host_bytes(out, "all_gather"), count_of(in), type, comm_),
        "MPI_Allgather", comm_);
  }
  void reduce_scatter(const Tensor& in, const Tensor& out,
                      ReduceOp op) const override {
    check("reduce_scatter", op, in);
    check_mpi(MPI_Reduce_scatter_block(host_bytes(in, "reduce_scatter"),
                                       host_bytes(out, "reduce_scatter"),
                                       count_of(out), mpi_type(in.dtype()),
                                       mpi_op(op, in.dtype()), comm_),
              "MPI_Reduce_scatter_block", comm_);
  }
  void broadcast(const Tensor& in, const Tensor& out, int root) const override {
    check("broadcast", ReduceOp::Sum, in, root);
    char* buffer = host_bytes(out, "broadcast");
    if (rank_ == root)
      std::memcpy(buffer, host_bytes(in, "broadcast"), nbytes(in));
    check_mpi(
        MPI_Bcast(buffer, count_of(out), mpi_type(out.dtype()), root, comm_),
        "MPI_Bcast", comm_);
  }
  void permute(const Tensor& in, const Tensor& out,
               std::span<const std::pair<int, int>> pairs) const override {
    check("ppermute", ReduceOp::Sum, in, 0, pairs);
    char* dst = host_bytes(out, "ppermute");
    const char* src = host_bytes(in, "ppermute");
    const MPI_Datatype type = mpi_type(in.dtype());
    std::vector<MPI_Request> requests;
    bool received = false;
    for (const auto& [from, to] : pairs) {
      if (from == rank_ && to == rank_) {
        std::memcpy(dst, src, nbytes(in));
        received = true;
        continue;
      }
      MPI_Request request;
      if (to == rank_) {
        check_mpi(MPI_Irecv(dst, count_of(out), type, from, kPermuteTag, comm_,
                            &request),
                  "MPI_Irecv", comm_);
        requests.push_back(request);
        received = true;
      }
      if (from == rank_) {
        check_mpi(MPI_Isend(src, count_of(in), type, to, kPermuteTag, comm_,
                            &request),
                  "MPI_Isend", comm_);
        requests.push_back(request);
      }
    }
    if (!received) std::memset(dst, 0, nbytes(out));
    check_mpi(MPI_Waitall(static_cast<int>(requests.size()), requests.data(),
                          MPI_STATUSES_IGNORE),
              "MPI_Waitall (ppermute)", comm_);
  }

  dist::Group split(int color, int key) const override {
    MPI_Comm sub;
    check_mpi(MPI_Comm_split(comm_, color, key, &sub), "MPI_Comm_split", comm_);
    return std::make_shared<MpiGroup>(
        sub, str_cat("MPI group split from ", name_, " (color ", color, ")"));
  }

  std::function<void()> start_all_reduce(const Tensor& buffer,
                                         ReduceOp op) const override {
    check("all_reduce", op, buffer);
    MPI_Request request = MPI_REQUEST_NULL;
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, host_bytes(buffer, "all_reduce"),
                             count_of(buffer), mpi_type(buffer.dtype()),
                             mpi_op(op, buffer.dtype()), comm_, &request),
              "MPI_Iallreduce", comm_);
    // The progress thread advances it while the caller computes
    // (mpi_progress.h).
    return track(request, comm_, "MPI_Iallreduce (wait)", buffer);
  }

 private:
  static constexpr int kPermuteTag = 18;

  void check(const char* collective, ReduceOp op, const Tensor& in,
             int root = 0,
             std::span<const std::pair<int, int>> pairs = {}) const {
    if (debug_mode()) {
      check_same_call(comm_, describe(), collective, op, in, root, pairs);
    }
  }

  MPI_Comm comm_;
  std::string name_;
  int rank_ = 0, size_ = 1;
};

void finalize_at_exit() {
  stop_progress_thread();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

// OpenMPI opens its own components (mca_*.so) with dlopen, and they need
// libmpi's symbols in the global scope; when this file is in
// libfnx_dist.so, loaded with RTLD_LOCAL, libmpi is not there yet. This
// promotes the loaded libmpi to global (a no-op when it is linked in).
void make_libmpi_global() {
  for (const char* name : {"libmpi.so.40", "libmpi.so"}) {
    if (dlopen(name, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD) != nullptr) return;
  }
}

dist::Group make_world() {
  make_libmpi_global();
  int initialized = 0;
  MPI_Initialized(&initialized);
  int provided = MPI_THREAD_SINGLE;
  if (!initialized) {
    // MULTIPLE lets the progress thread poll while this thread makes the
    // other calls (mpi_progress.h); it is asked for only with the thread,
    // since OpenMPI's MULTIPLE mode locks around every call.
    const int wanted = progress_thread_requested() ? MPI_THREAD_MULTIPLE
                                                   : MPI_THREAD_SERIALIZED;
    MPI_Init_thread(nullptr, nullptr, wanted, &provided);
    std::atexit(&finalize_at_exit);
  } else {
    MPI_Query_thread(&provided);
  }
  set_thread_level(provided);
  return std::make_shared<MpiGroup>(MPI_COMM_WORLD, "MPI world");
}

[[noreturn]] void abort_mpi_job(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

constexpr TransportHooks kMpi{"MPI", &make_world, &abort_mpi_job};

const bool registered = (set_transport(&kMpi), true);

}  // namespace
}  // namespace fnx::dist_internal
