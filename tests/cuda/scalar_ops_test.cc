// The elementwise kernels' per-element functions (backends/cuda/
// scalar_ops.h, compiled here for the host) against the CPU backend's
// (backends/cpu/scalar_math.h): same results for every primitive and
// element type on edge values (signed zeros, NaN, infinities, integer
// overflow, division by zero). Runs in every build; on the device only the
// math library's last bits can differ.
#include "backends/cuda/scalar_ops.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "backends/cpu/scalar_math.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

template <typename T>
std::vector<T> values() {
  if constexpr (std::is_same_v<T, bool>) {
    return {false, true};
  } else if constexpr (std::is_integral_v<T>) {
    using L = std::numeric_limits<T>;
    return {0, 1, -1, 2, 7, -7, 13, L::max(), L::lowest()};
  } else {
    using L = std::numeric_limits<T>;
    return {T(0),   T(-0.0),       T(1.5),         T(-2.25),
            T(3),   T(-3),         T(1e30),        T(-1e-30),
            T(0.5), L::infinity(), -L::infinity(), L::quiet_NaN()};
  }
}

template <typename T>
bool same(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return a == b && std::signbit(a) == std::signbit(b);
  } else {
    return a == b;
  }
}

template <typename Cuda, typename Cpu, typename T>
void check_unary(const char* name) {
  for (T x : values<T>()) {
    const auto got = Cuda{}(x);
    const auto want = Cpu{}(x);
    EXPECT_TRUE(same(got, want))
        << name << "(" << +x << "): " << +got << " vs " << +want;
  }
}

template <typename Cuda, typename Cpu, typename T>
void check_binary(const char* name) {
  for (T a : values<T>()) {
    for (T b : values<T>()) {
      const auto got = Cuda{}(a, b);
      const auto want = Cpu{}(a, b);
      EXPECT_TRUE(same(got, want)) << name << "(" << +a << ", " << +b
                                   << "): " << +got << " vs " << +want;
    }
  }
}

template <typename Cuda, typename Cpu>
void unary_all(const char* name) {
  check_unary<Cuda, Cpu, bool>(name);
  check_unary<Cuda, Cpu, int32_t>(name);
  check_unary<Cuda, Cpu, int64_t>(name);
  check_unary<Cuda, Cpu, float>(name);
  check_unary<Cuda, Cpu, double>(name);
}

template <typename Cuda, typename Cpu>
void binary_all(const char* name) {
  check_binary<Cuda, Cpu, bool>(name);
  check_binary<Cuda, Cpu, int32_t>(name);
  check_binary<Cuda, Cpu, int64_t>(name);
  check_binary<Cuda, Cpu, float>(name);
  check_binary<Cuda, Cpu, double>(name);
}

#define FNX_UNARY(Op) unary_all<cuda::Op, cpu::Op>(#Op)
#define FNX_BINARY(Op) binary_all<cuda::Op, cpu::Op>(#Op)

TEST(CudaScalarOps, UnaryMatchTheCpu) {
  FNX_UNARY(NegOp);
  FNX_UNARY(AbsOp);
  FNX_UNARY(SignOp);
  FNX_UNARY(ExpOp);
  FNX_UNARY(LogOp);
  FNX_UNARY(Log1pOp);
  FNX_UNARY(Expm1Op);
  FNX_UNARY(SqrtOp);
  FNX_UNARY(RsqrtOp);
  FNX_UNARY(SinOp);
  FNX_UNARY(CosOp);
  FNX_UNARY(TanhOp);
  FNX_UNARY(LogisticOp);
  FNX_UNARY(ErfOp);
  FNX_UNARY(FloorOp);
  FNX_UNARY(CeilOp);
  FNX_UNARY(LogicalNotOp);
}

TEST(CudaScalarOps, BinaryMatchTheCpu) {
  FNX_BINARY(AddOp);
  FNX_BINARY(SubOp);
  FNX_BINARY(MulOp);
  FNX_BINARY(DivOp);
  FNX_BINARY(PowOp);
  FNX_BINARY(MaximumOp);
  FNX_BINARY(MinimumOp);
  FNX_BINARY(EqOp);
  FNX_BINARY(NeOp);
  FNX_BINARY(LtOp);
  FNX_BINARY(LeOp);
  FNX_BINARY(GtOp);
  FNX_BINARY(GeOp);
  FNX_BINARY(LogicalAndOp);
  FNX_BINARY(LogicalOrOp);
}

TEST(CudaScalarOps, ConversionsMatchTheCpu) {
  for (double v : values<double>()) {
    EXPECT_EQ(cuda::convert<int32_t>(v), cpu::convert<int32_t>(v)) << v;
    EXPECT_EQ(cuda::convert<int64_t>(v), cpu::convert<int64_t>(v)) << v;
    EXPECT_EQ(cuda::convert<bool>(v), cpu::convert<bool>(v)) << v;
    EXPECT_TRUE(same(cuda::convert<float>(v), cpu::convert<float>(v))) << v;
  }
  for (int64_t v : values<int64_t>()) {
    EXPECT_EQ(cuda::convert<int32_t>(v), cpu::convert<int32_t>(v)) << v;
    EXPECT_EQ(cuda::convert<float>(v), cpu::convert<float>(v)) << v;
  }
}

}  // namespace
}  // namespace fnx
