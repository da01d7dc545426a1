// The process group over an NCCL communicator, for CUDA tensors. The CUDA
// backend enqueues its kernels on its own stream, so each collective first
// waits for the device (cuda::synchronize), runs on the group's stream and
// waits for that: simple ordering for a first version, at the cost of
// overlap with computation.
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <cstring>
#include <memory>
#include <vector>

#include "backends/cuda/cuda.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "core/storage.h"
#include "core/str_cat.h"
#include "transforms/distributed/dist.h"
#include "transforms/distributed/nccl.h"

namespace fnx::dist {
namespace {

void check_nccl(ncclResult_t status, const char* call) {
  FNX_CHECK(status == ncclSuccess, "dist", call,
            " failed: ", ncclGetErrorString(status));
}
void check_cuda(cudaError_t status, const char* call) {
  FNX_CHECK(status == cudaSuccess, "dist", call,
            " failed: ", cudaGetErrorString(status));
}

ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::Bool:
      return ncclUint8;
    case DType::Int32:
      return ncclInt32;
    case DType::Int64:
      return ncclInt64;
    case DType::Float32:
      return ncclFloat32;
    case DType::Float64:
      return ncclFloat64;
  }
  fail("dist", "no NCCL type for ", dtype_name(dtype));
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Mean:
      return ncclSum;
    case ReduceOp::Max:
      return ncclMax;
    case ReduceOp::Min:
      return ncclMin;
  }
  return ncclSum;
}

class NcclGroup final : public ProcessGroup {
 public:
  NcclGroup(ncclComm_t comm, Device device, std::string name)
      : comm_(comm), device_(device), name_(std::move(name)) {
    check_nccl(ncclCommUserRank(comm_, &rank_), "ncclCommUserRank");
    check_nccl(ncclCommCount(comm_, &size_), "ncclCommCount");
    check_cuda(cudaSetDevice(device_.index), "cudaSetDevice");
    check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking),
               "cudaStreamCreate");
  }
  ~NcclGroup() override {
    cudaStreamDestroy(stream_);
    ncclCommDestroy(comm_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string describe() const override {
    return str_cat(name_, " (", size_, " GPUs)");
  }

  void all_reduce(const Tensor& in, const Tensor& out,
                  ReduceOp op) const override {
    run("ncclAllReduce", in, [&] {
      return ncclAllReduce(ptr(in), ptr(out), in.numel(), nccl_type(in.dtype()),
                           nccl_op(op), comm_, stream_);
    });
  }
  void all_gather(const Tensor& in, const Tensor& out) const override {
    run("ncclAllGather", in, [&] {
      return ncclAllGather(ptr(in), ptr(out), in.numel(), nccl_type(in.dtype()),
                           comm_, stream_);
    });
  }
  void reduce_scatter(const Tensor& in, const Tensor& out,
                      ReduceOp op) const override {
    run("ncclReduceScatter", in, [&] {
      return ncclReduceScatter(ptr(in), ptr(out), out.numel(),
                               nccl_type(in.dtype()), nccl_op(op), comm_,
                               stream_);
    });
  }
  void broadcast(const Tensor& in, const Tensor& out, int root) const override {
    run("ncclBroadcast", in, [&] {
      return ncclBroadcast(ptr(in), ptr(out), in.numel(), nccl_type(in.dtype()),
                           root, comm_, stream_);
    });
  }
  void permute(const Tensor& in, const Tensor& out,
               std::span<const std::pair<int, int>> pairs) const override {
    bool received = false;
    for (const auto& [from, to] : pairs) received |= to == rank_;
    if (!received) {
      check_cuda(cudaMemsetAsync(ptr(out), 0, bytes(out), stream_),
                 "cudaMemsetAsync");
    }
    run("ncclSend/ncclRecv", in, [&] {
      ncclResult_t status = ncclGroupStart();
      for (const auto& [from, to] : pairs) {
        if (status != ncclSuccess) break;
        if (from == rank_) {
          status = ncclSend(ptr(in), in.numel(), nccl_type(in.dtype()), to,
                            comm_, stream_);
        }
        if (status == ncclSuccess && to == rank_) {
          status = ncclRecv(ptr(out), out.numel(), nccl_type(out.dtype()), from,
                            comm_, stream_);
        }
      }
      const ncclResult_t end = ncclGroupEnd();
      return status != ncclSuccess ? status : end;
    });
  }

  Group split(int color, int key) const override {
    ncclComm_t sub = nullptr;
    check_nccl(ncclCommSplit(comm_, color, key, &sub, nullptr),
               "ncclCommSplit");
    return std::make_shared<NcclGroup>(
        sub, device_, str_cat("NCCL group split from ", name_));
  }

  std::function<void()> start_all_reduce(const Tensor& buffer,
                                         ReduceOp op) const override {
    cuda::synchronize(device_);
    check_nccl(
        ncclAllReduce(ptr(buffer), ptr(buffer), buffer.numel(),
                      nccl_type(buffer.dtype()), nccl_op(op), comm_, stream_),
        "ncclAllReduce");
    cudaStream_t stream = stream_;
    return [stream] {
      check_cuda(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    };
  }

 private:
  void* ptr(const Tensor& t) const {
    FNX_CHECK(t.device() == device_, "dist", "an NCCL group on ", device_.str(),
              " got a tensor on ", t.device().str(), "; move it with to(",
              device_.str(), ")");
    return static_cast<char*>(t.impl()->storage->data()) +
           t.offset() * itemsize(t.dtype());
  }
  static std::size_t bytes(const Tensor& t) {
    return static_cast<std::size_t>(t.numel()) * itemsize(t.dtype());
  }
  // The backend's pending work first; then the collective, waited for.
  template <typename Call>
  void run(const char* what, const Tensor& in, Call call) const {
    (void)ptr(in);
    cuda::synchronize(device_);
    check_nccl(call(), what);
    check_cuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  }

  ncclComm_t comm_;
  Device device_;
  std::string name_;
  cudaStream_t stream_ = nullptr;
  int rank_ = 0, size_ = 1;
};

}  // namespace

Group nccl_group(const Group& bootstrap, Device device) {
  FNX_CHECK(bootstrap != nullptr, "dist::nccl_group", "the group is null");
  FNX_CHECK(device.type == DeviceType::CUDA, "dist::nccl_group",
            "needs a CUDA device, got ", device.str());
  ncclUniqueId id;
  std::memset(&id, 0, sizeof(id));
  if (bootstrap->rank() == 0)
    check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  // The id travels as bytes over the bootstrap group (MPI).
  static_assert(sizeof(id) % sizeof(int64_t) == 0);
  Tensor bytes =
      empty({static_cast<int64_t>(sizeof(id) / sizeof(int64_t))}, DType::Int64);
  std::memcpy(bytes.impl()->storage->data(), &id, sizeof(id));
  const Tensor shared = broadcast(bytes, bootstrap, 0);
  std::memcpy(&id, shared.impl()->storage->data(), sizeof(id));
  check_cuda(cudaSetDevice(device.index), "cudaSetDevice");
  ncclComm_t comm = nullptr;
  check_nccl(ncclCommInitRank(&comm, bootstrap->size(), id, bootstrap->rank()),
             "ncclCommInitRank");
  return std::make_shared<NcclGroup>(comm, device, "NCCL group");
}

}  // namespace fnx::dist
