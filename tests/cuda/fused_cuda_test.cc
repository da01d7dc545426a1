// Compiled graphs on CUDA: each fused group is one kernel of the CUDA
// fused runner (backends/cuda/fused.cc), with eager's values on the same
// device and the CPU's within tolerance. Simulated (cuda_sim) the
// interpreter kernel runs; on a GPU with NVRTC, the specialised kernels.
// Also the programs beyond the interpreter's limits, and the runner's
// errors.
#include <cstdlib>
#include <string>
#include <tuple>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/fused_elementwise.h"
#include "core/ops/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "transforms/compile/compile.h"
#if defined(FNX_HAVE_CUDA)
#include "backends/cuda/fused.h"
#include "backends/cuda/fused_nvrtc.h"
#endif

namespace fnx {
namespace {

using cuda_test::close;
using cuda_test::device;
using cuda_test::tolerance_for;

#if defined(FNX_HAVE_CUDA)
Tensor gelu_fn(const Tensor& x) { return gelu(x); }

// Fused kernels launched by either path since `before`.
int64_t fused_launches(const cuda::FusedStats& before) {
  const cuda::FusedStats now = cuda::fused_stats();
  return now.interpreted - before.interpreted + now.specialised -
         before.specialised;
}
#endif

TEST(CudaFused, GeluIsOneKernelEqualToEager) {
  FNX_SKIP_WITHOUT_CUDA();
#if defined(FNX_HAVE_CUDA)
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const Tensor x = randn({37, 301}, dtype) * 3.0;
    const Tensor xd = x.to(device());
    auto f = compile(gelu_fn);
    f(xd);  // traces
    const cuda::FusedStats stats = cuda::fused_stats();
    const int64_t before = kernel_calls();
    const Tensor y = f(xd);
    EXPECT_EQ(kernel_calls() - before, 1);
    EXPECT_EQ(fused_launches(stats), 1);
    EXPECT_EQ(y.device(), device());
    // The same per-element functions as the eager kernels, no contraction
    // across them (NVRTC runs with --fmad=false): eager's bits.
    EXPECT_TRUE(equal(y.to(Device::cpu()), gelu(xd).to(Device::cpu())))
        << dtype_name(dtype);
    const cuda_test::Tol tol = tolerance_for(dtype);
    EXPECT_TRUE(close(y, gelu(x), tol.atol, tol.rtol));
    std::string why;
    if (cuda_test::simulated()) {
      EXPECT_GE(cuda::fused_stats().interpreted - stats.interpreted, 1);
    } else if (cuda::nvrtc_available(&why)) {
      EXPECT_EQ(cuda::fused_stats().specialised - stats.specialised, 1);
    } else {
      // tools/device/fused_checks.sh: the GPU run must take NVRTC's path.
      EXPECT_EQ(std::getenv("FNX_CUDA_FUSED_REQUIRE_NVRTC"), nullptr) << why;
    }
  }
#endif
}

TEST(CudaFused, BroadcastStridedCompareWhereCastIntBool) {
  FNX_SKIP_WITHOUT_CUDA();
  auto f = [](const Tensor& x, const Tensor& y, const Tensor& z,
              const Tensor& i, const Tensor& b) {
    const Tensor s = sin(x) * y + exp(z) - 1.5;
    const Tensor m = where(s > 0.0, s, tanh(s) * 0.5);
    const Tensor k = (i * 3 - 2).to(DType::Int64);  // integer arithmetic
    const Tensor keep = logical_and(b, k > 0);      // bool
    return std::tuple{(m * m).to(DType::Float64) + erf(m).to(DType::Float64),
                      where(keep, k, -k), keep};
  };
  const Tensor x = randn({3, 1, 5});
  const Tensor y = randn({4, 5});
  const Tensor z = randn({5, 4}).transpose(0, 1);  // strided
  const Tensor i = (randn({3, 4, 5}) * 4.0).to(DType::Int32);
  const Tensor b = randn({4, 1}) > 0.0;
  auto cf = compile(f);
  const auto cpu = f(x, y, z, i, b);
  const Device dev = device();
  const Tensor xd = cuda_test::mirror(x, dev), yd = cuda_test::mirror(y, dev),
               zd = cuda_test::mirror(z, dev), id = cuda_test::mirror(i, dev),
               bd = cuda_test::mirror(b, dev);
  const auto eager = f(xd, yd, zd, id, bd);
  for (int call = 0; call < 2; ++call) {
    const auto got = cf(xd, yd, zd, id, bd);
    EXPECT_TRUE(equal(std::get<0>(got).to(Device::cpu()),
                      std::get<0>(eager).to(Device::cpu())));
    EXPECT_TRUE(equal(std::get<1>(got).to(Device::cpu()), std::get<1>(cpu)));
    EXPECT_TRUE(equal(std::get<2>(got).to(Device::cpu()), std::get<2>(cpu)));
    EXPECT_TRUE(close(std::get<0>(got), std::get<0>(cpu), 1e-5, 1e-5));
  }
}

TEST(CudaFused, LongChainsBeyondTheKernelsLimitsRunUnfused) {
  FNX_SKIP_WITHOUT_CUDA();
#if defined(FNX_HAVE_CUDA)
  auto f = [](const Tensor& x) {
    Tensor y = x;
    for (int k = 0; k < 40; ++k) y = y * 1.01 + x;
    return y;
  };
  const Tensor x = randn({6, 7});
  const Tensor xd = x.to(device());
  auto cf = compile(f);
  cf(xd);
  const cuda::FusedStats stats = cuda::fused_stats();
  const Tensor y = cf(xd);
  EXPECT_GE(cuda::fused_stats().unfused - stats.unfused, 1);
  EXPECT_TRUE(equal(y.to(Device::cpu()), f(xd).to(Device::cpu())));
#endif
}

// Programs written by hand, run through run_fused directly.
struct Program {
  FusedProgram p;
  int32_t add(FusedInstr::Kind kind, Prim prim, DType dtype, int32_t a,
              int32_t b = -1) {
    p.instrs.push_back(FusedInstr{kind, prim, dtype, a, b, -1});
    return static_cast<int32_t>(p.instrs.size()) - 1;
  }
};

void expect_error(const Program& prog, std::vector<Tensor> inputs,
                  const std::string& part) {
  try {
    run_fused(prog.p, inputs);
    ADD_FAILURE() << "no error; expected " << part;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(CudaFused, Errors) {
  FNX_SKIP_WITHOUT_CUDA();
  if (cuda_test::emulated()) GTEST_SKIP() << "the CPU runner is not CUDA's";
  using K = FusedInstr::Kind;
  const Device dev = device();
  const Tensor x = randn({4, 3}).to(dev);
  Program p;
  p.p.shape = {4, 3};
  p.p.device = dev;
  const int32_t in = p.add(K::kInput, Prim::Add, DType::Float32, 0);
  p.p.outputs = {p.add(K::kUnary, Prim::LogicalNot, DType::Float32, in)};
  expect_error(p, {x},
               "[fused_elementwise] instruction 1: logical_not of float32 "
               "gives bool on CUDA, not the register's float32");
  expect_error(p, {randn({4, 3})},
               "inputs must be dense tensors on " + dev.str() + "; got cpu");
  Program mixed = p;
  mixed.p.instrs.pop_back();
  const int32_t n = mixed.add(K::kInput, Prim::Add, DType::Float64, 1);
  mixed.p.outputs = {mixed.add(K::kBinary, Prim::Add, DType::Float32, in, n)};
  expect_error(mixed, {x, x.to(DType::Float64)},
               "add reads float32 and float64");
  Program wrong_input = p;
  wrong_input.p.instrs.pop_back();
  wrong_input.p.outputs = {in};
  expect_error(wrong_input, {x.to(DType::Int32)},
               "input 0 is int32 but the program reads it as float32");
  // Nine dims no input steps through as one.
  Program deep = wrong_input;
  deep.p.shape = Shape(9, 2);
  const Tensor t =
      randn(Shape(9, 2)).to(dev).permute({8, 7, 6, 5, 4, 3, 2, 1, 0});
  expect_error(deep, {t}, "at most 8 dims that cannot be merged");
}

}  // namespace
}  // namespace fnx
