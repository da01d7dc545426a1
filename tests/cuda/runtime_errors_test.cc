// CUDA, cuBLAS, cuDNN and cuSOLVER failures become fnx::Error("[cuda] <call>:
// <status name>: <status string>"). The status strings come from the
// libraries themselves, so this runs without a GPU (with --config=cuda).
#include <string>

#include "core/error.h"
#include "gtest/gtest.h"

#if defined(FNX_HAVE_CUDA)
#include "backends/cuda/runtime.h"
#endif

namespace fnx {
namespace {

#if defined(FNX_HAVE_CUDA)
template <typename Status>
std::string message_of(Status status, const char* call) {
  try {
    cuda::check(status, call);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CudaRuntimeErrors, StatusesBecomeFnxErrors) {
  EXPECT_EQ(message_of(cudaErrorMemoryAllocation, "cudaMalloc(&p, 64)"),
            "[cuda] cudaMalloc(&p, 64): cudaErrorMemoryAllocation: out of "
            "memory");
  const std::string blas =
      message_of(CUBLAS_STATUS_NOT_SUPPORTED, "cublasSgemm(h, ...)");
  EXPECT_EQ(
      blas.rfind("[cuda] cublasSgemm(h, ...): CUBLAS_STATUS_NOT_SUPPORTED", 0),
      0u)
      << blas;
  const std::string dnn =
      message_of(CUDNN_STATUS_BAD_PARAM, "cudnnConvolutionForward(h, ...)");
  EXPECT_EQ(
      dnn.rfind(
          "[cuda] cudnnConvolutionForward(h, ...): CUDNN_STATUS_BAD_PARAM", 0),
      0u)
      << dnn;
  EXPECT_NO_THROW(cuda::check(cudaSuccess, "ok"));
  EXPECT_NO_THROW(cuda::check(CUBLAS_STATUS_SUCCESS, "ok"));
  EXPECT_NO_THROW(cuda::check(CUDNN_STATUS_SUCCESS, "ok"));
}

// cuSOLVER has no status-name function: the backend names the status and
// adds its number.
TEST(CudaRuntimeErrors, CusolverStatusesBecomeFnxErrors) {
  EXPECT_EQ(
      message_of(CUSOLVER_STATUS_INVALID_VALUE, "cusolverDnSgetrf(h, ...)"),
      "[cuda] cusolverDnSgetrf(h, ...): CUSOLVER_STATUS_INVALID_VALUE: "
      "status 3");
  EXPECT_EQ(message_of(CUSOLVER_STATUS_NOT_INITIALIZED, "syevj"),
            "[cuda] syevj: CUSOLVER_STATUS_NOT_INITIALIZED: status 1");
  EXPECT_NO_THROW(cuda::check(CUSOLVER_STATUS_SUCCESS, "ok"));
}

TEST(CudaRuntimeErrors, TheMacroNamesTheCall) {
  try {
    FNX_CUDA_CHECK(cudaErrorInvalidValue);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "[cuda] cudaErrorInvalidValue: cudaErrorInvalidValue: "
                  "invalid argument"),
              std::string::npos)
        << e.what();
  }
}
#else
TEST(CudaRuntimeErrors, StatusesBecomeFnxErrors) {
  GTEST_SKIP() << "skipped: built without --config=cuda";
}
#endif

}  // namespace
}  // namespace fnx
