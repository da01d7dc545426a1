// What the CUDA suites share. Each suite is built twice:
//  - against the real backend (//backends/cuda, --config=cuda): it runs on
//    a GPU and skips with a message where there is none or where the build
//    has no CUDA (so `bazel test //...` stays green on CI);
//  - "emulated" (FNX_CUDA_TEST_EMULATED): the CPU kernels registered for
//    DeviceType::CUDA over host memory. No GPU code runs, but everything
//    around the kernels does: dispatch and results on a second device,
//    device propagation through every composite and transform, to(Device),
//    host reads, and the suites' own CPU-vs-device comparisons. It runs
//    everywhere, so the suites are known to be sound before a GPU sees them.
//  - "simulated" (FNX_CUDA_TEST_SIMULATED): the real backend over cuda_sim
//    (backends/cuda/sim), a CPU simulator of CUDA: the backend's host code
//    and kernels run, slowly, with GPU misuse turned into failures.
#pragma once

#include <string>
#include <vector>

#include "core/tensor.h"
#include "gtest/gtest.h"

namespace fnx::cuda_test {

// The device the suites run on (cuda:0, real or emulated).
Device device();
// Empty when the suite can run here, else why it is skipped.
std::string skip_reason();
// FNX_CUDA_TESTS_REQUIRE_GPU=1 (tools/device/cuda_checks.sh sets it on a
// machine with a GPU): a test that would skip fails instead, so a device
// run that never reached the GPU cannot pass.
bool gpu_required();
bool emulated();
bool simulated();

// A copy of t on `to` with the same shape, strides and offset (its whole
// storage is copied), so strided and expanded inputs stay strided and
// expanded on the device.
Tensor mirror(const Tensor& t, Device to);
std::vector<Tensor> mirror(const std::vector<Tensor>& ts, Device to);

// got (any device) against want (CPU): same shape and dtype, values within
// atol + rtol * |want| (NaN meets NaN, infinities must be equal).
::testing::AssertionResult close(const Tensor& got, const Tensor& want,
                                 double atol, double rtol);
// Float32 / float64 tolerances for device-vs-CPU comparisons; exact for
// integers and bool.
struct Tol {
  double atol, rtol;
};
Tol tolerance_for(DType dtype);

}  // namespace fnx::cuda_test

#define FNX_SKIP_WITHOUT_CUDA()                                             \
  do {                                                                      \
    const std::string fnx_why = ::fnx::cuda_test::skip_reason();            \
    if (fnx_why.empty()) break;                                             \
    if (::fnx::cuda_test::gpu_required()) {                                 \
      GTEST_FAIL() << "FNX_CUDA_TESTS_REQUIRE_GPU is set, but " << fnx_why; \
    }                                                                       \
    GTEST_SKIP() << fnx_why;                                                \
  } while (0)
