#include "backends/cuda/runtime.h"

#include <array>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

#include "backends/cuda/kernel_errors.h"
#include "core/error.h"

namespace fnx::cuda {

void check(cudaError_t status, std::string_view call) {
  if (status == cudaSuccess) [[likely]]
    return;
  cudaGetLastError();  // clear a sticky launch error so it is not seen twice
  fail("cuda", call, ": ", cudaGetErrorName(status), ": ",
       cudaGetErrorString(status));
}

void check(cublasStatus_t status, std::string_view call) {
  if (status == CUBLAS_STATUS_SUCCESS) [[likely]]
    return;
  fail("cuda", call, ": ", cublasGetStatusName(status), ": ",
       cublasGetStatusString(status));
}

void check(cudnnStatus_t status, std::string_view call) {
  if (status == CUDNN_STATUS_SUCCESS) [[likely]]
    return;
  fail("cuda", call, ": ", cudnnGetErrorString(status));
}

namespace {

// cuSOLVER has no cusolverGetStatusName.
const char* cusolver_status_name(cusolverStatus_t status) {
  switch (status) {
    case CUSOLVER_STATUS_NOT_INITIALIZED:
      return "CUSOLVER_STATUS_NOT_INITIALIZED";
    case CUSOLVER_STATUS_ALLOC_FAILED:
      return "CUSOLVER_STATUS_ALLOC_FAILED";
    case CUSOLVER_STATUS_INVALID_VALUE:
      return "CUSOLVER_STATUS_INVALID_VALUE";
    case CUSOLVER_STATUS_ARCH_MISMATCH:
      return "CUSOLVER_STATUS_ARCH_MISMATCH";
    case CUSOLVER_STATUS_EXECUTION_FAILED:
      return "CUSOLVER_STATUS_EXECUTION_FAILED";
    case CUSOLVER_STATUS_INTERNAL_ERROR:
      return "CUSOLVER_STATUS_INTERNAL_ERROR";
    case CUSOLVER_STATUS_NOT_SUPPORTED:
      return "CUSOLVER_STATUS_NOT_SUPPORTED";
    default:
      return "cusolverStatus_t";
  }
}

}  // namespace

void check(cusolverStatus_t status, std::string_view call) {
  if (status == CUSOLVER_STATUS_SUCCESS) [[likely]]
    return;
  fail("cuda", call, ": ", cusolver_status_name(status), ": status ",
       static_cast<int>(status));
}

namespace {

constexpr int kMaxDevices = 16;

struct DeviceState {
  std::once_flag once;
  Context ctx;
  mutable std::once_flag cublas_once, cudnn_once, cusolver_once;
  mutable cublasHandle_t cublas = nullptr;
  mutable cudnnHandle_t cudnn = nullptr;
  mutable cusolverDnHandle_t cusolver = nullptr;
  std::mutex cublas_mutex, cudnn_mutex, cusolver_mutex;
};

struct Devices {
  int count = 0;
  std::string why_none;  // when count == 0
  std::array<DeviceState, kMaxDevices> states;
};

Devices& devices() {
  // Never destroyed: storages may be freed during static destruction.
  static Devices* d = [] {
    auto* out = new Devices;
    const cudaError_t status = cudaGetDeviceCount(&out->count);
    if (status != cudaSuccess) {
      out->count = 0;
      out->why_none = str_cat("cudaGetDeviceCount: ", cudaGetErrorName(status),
                              ": ", cudaGetErrorString(status));
      cudaGetLastError();
    } else if (out->count == 0) {
      out->why_none = "cudaGetDeviceCount found 0 devices";
    }
    return out;
  }();
  return *d;
}

DeviceState& state_of(const Context& ctx) {
  return devices().states[static_cast<std::size_t>(ctx.index)];
}

}  // namespace

int device_count() { return devices().count; }

Context& context(Device device) {
  Devices& d = devices();
  if (d.count == 0) [[unlikely]] {
    fail("cuda", "no CUDA device is available for ", device.str(), " (",
         d.why_none,
         "); run on a machine with an NVIDIA GPU and driver, or keep the "
         "tensors on Device::cpu()");
  }
  FNX_CHECK(
      device.index >= 0 && device.index < d.count && device.index < kMaxDevices,
      "cuda", "device ", device.str(), " does not exist: this machine has ",
      d.count, " CUDA device(s), cuda:0 to cuda:", d.count - 1);
  DeviceState& s = d.states[static_cast<std::size_t>(device.index)];
  int current = -1;
  FNX_CUDA_CHECK(cudaGetDevice(&current));
  if (current != device.index) FNX_CUDA_CHECK(cudaSetDevice(device.index));
  std::call_once(s.once, [&] {
    s.ctx.index = device.index;
    FNX_CUDA_CHECK(
        cudaStreamCreateWithFlags(&s.ctx.stream, cudaStreamNonBlocking));
  });
  return s.ctx;
}

Exclusive<cublasHandle_t> Context::cublas() const {
  DeviceState& s = state_of(*this);
  std::call_once(s.cublas_once, [&] {
    FNX_CUDA_CHECK(cublasCreate(&s.cublas));
    FNX_CUDA_CHECK(cublasSetStream(s.cublas, stream));
  });
  return {s.cublas, std::unique_lock<std::mutex>(s.cublas_mutex)};
}

Exclusive<cudnnHandle_t> Context::cudnn() const {
  DeviceState& s = state_of(*this);
  std::call_once(s.cudnn_once, [&] {
    FNX_CUDA_CHECK(cudnnCreate(&s.cudnn));
    FNX_CUDA_CHECK(cudnnSetStream(s.cudnn, stream));
  });
  return {s.cudnn, std::unique_lock<std::mutex>(s.cudnn_mutex)};
}

Exclusive<cusolverDnHandle_t> Context::cusolver() const {
  DeviceState& s = state_of(*this);
  std::call_once(s.cusolver_once, [&] {
    FNX_CUDA_CHECK(cusolverDnCreate(&s.cusolver));
    FNX_CUDA_CHECK(cusolverDnSetStream(s.cusolver, stream));
  });
  return {s.cusolver, std::unique_lock<std::mutex>(s.cusolver_mutex)};
}

void synchronize(Device device) {
  const Context& ctx = context(device);
  const uint64_t mark = kernel_errors_mark(ctx);
  FNX_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  raise_kernel_errors(ctx, mark);
}

}  // namespace fnx::cuda
