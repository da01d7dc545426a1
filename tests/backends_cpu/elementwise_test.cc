// Unary, binary, comparison, Where and Cast kernels.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>

#include "backends/cpu/vector_math.h"
#include "tests/backends_cpu/test_util.h"

namespace fnx::cpu_test {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor unary(Prim p, const Tensor& x, DType out_dtype) {
  return run(p, NoAttrs{}, {x}, x.shape(), out_dtype);
}
Tensor binary(Prim p, const Tensor& a, const Tensor& b, const Shape& shape,
              DType out_dtype) {
  return run(p, NoAttrs{}, {a, b}, shape, out_dtype);
}

TEST(Unary, MatchesStdFunctionsInFloat64) {
  const std::vector<double> xs = {-3.5, -1, -0.25, 0, 0.5, 1, 2.75};
  const std::vector<double> pos = {0.1, 0.5, 1, 2, 10, 100, 1e-3};
  struct Case {
    Prim prim;
    std::function<double(double)> ref;
    bool positive;
  };
  const std::vector<Case> cases = {
      {Prim::Neg, [](double v) { return -v; }, false},
      {Prim::Abs, [](double v) { return std::abs(v); }, false},
      {Prim::Exp, [](double v) { return std::exp(v); }, false},
      {Prim::Log, [](double v) { return std::log(v); }, true},
      {Prim::Log1p, [](double v) { return std::log1p(v); }, true},
      {Prim::Expm1, [](double v) { return std::expm1(v); }, false},
      {Prim::Sqrt, [](double v) { return std::sqrt(v); }, true},
      {Prim::Rsqrt, [](double v) { return 1 / std::sqrt(v); }, true},
      {Prim::Sin, [](double v) { return std::sin(v); }, false},
      {Prim::Cos, [](double v) { return std::cos(v); }, false},
      {Prim::Tanh, [](double v) { return std::tanh(v); }, false},
      {Prim::Logistic, [](double v) { return 1 / (1 + std::exp(-v)); }, false},
      {Prim::Erf, [](double v) { return std::erf(v); }, false},
      {Prim::Floor, [](double v) { return std::floor(v); }, false},
      {Prim::Ceil, [](double v) { return std::ceil(v); }, false},
  };
  for (const Case& c : cases) {
    const auto& in = c.positive ? pos : xs;
    std::vector<double> want;
    for (double v : in) want.push_back(c.ref(v));
    for (DType dt : {kF64, kF32}) {
      const Tensor x = make(in, {static_cast<int64_t>(in.size())}, dt);
      const Tensor y = unary(c.prim, x, dt);
      EXPECT_EQ(y.dtype(), dt);
      expect_near_all(values(y), want, dt == kF64 ? 1e-14 : 1e-6,
                      std::string(prim_name(c.prim)));
    }
  }
}

TEST(Unary, LogisticIsStableAtTheExtremes) {
  const Tensor x = make({-1000, -50, 0, 50, 1000}, {5}, kF32);
  const auto y = values(unary(Prim::Logistic, x, kF32));
  EXPECT_EQ(y[0], 0.0);
  EXPECT_NEAR(y[1], std::exp(-50.0), 1e-25);
  EXPECT_EQ(y[2], 0.5);
  EXPECT_EQ(y[3], 1.0);
  EXPECT_EQ(y[4], 1.0);
}

TEST(Unary, SignNegAbsOnIntegersAndNaN) {
  const Tensor i = make({-5, 0, 7}, {3}, kI32);
  EXPECT_EQ(values(unary(Prim::Sign, i, kI32)),
            (std::vector<double>{-1, 0, 1}));
  EXPECT_EQ(values(unary(Prim::Neg, i, kI32)), (std::vector<double>{5, 0, -7}));
  EXPECT_EQ(values(unary(Prim::Abs, i, kI32)), (std::vector<double>{5, 0, 7}));
  // INT_MIN wraps instead of overflowing.
  const Tensor m = make({-2147483648.0}, {1}, kI32);
  EXPECT_EQ(values(unary(Prim::Neg, m, kI32))[0], -2147483648.0);
  const auto s =
      values(unary(Prim::Sign, make({kNaN, -2, 0, 3}, {4}, kF64), kF64));
  EXPECT_TRUE(std::isnan(s[0]));
  EXPECT_EQ(s[1], -1);
  EXPECT_EQ(s[2], 0);
  EXPECT_EQ(s[3], 1);
}

TEST(Unary, LogicalNotGivesBool) {
  const Tensor x = make({0, 2.5, kNaN, -1}, {4}, kF32);
  const Tensor y = unary(Prim::LogicalNot, x, kBool);
  EXPECT_EQ(y.dtype(), kBool);
  EXPECT_EQ(values(y), (std::vector<double>{1, 0, 0, 0}));
  const Tensor z = unary(Prim::LogicalNot, make({0, 3}, {2}, kI64), kBool);
  EXPECT_EQ(values(z), (std::vector<double>{1, 0}));
}

TEST(Unary, ConvertsTheInputWhenTheResultDtypeDiffers) {
  // e.g. exp of an integer tensor with a float result.
  const Tensor y = unary(Prim::Exp, make({0, 1}, {2}, kI64), kF32);
  expect_near_all(values(y), {1, std::exp(1.0)}, 1e-6);
}

TEST(Unary, NonContiguousExpandedAndEmptyInputs) {
  const Tensor base = arange_t({3, 4}, kF64);
  const Tensor t = transposed(base);  // (4, 3)
  std::vector<double> want;
  for (double v : values(t)) want.push_back(-v);
  EXPECT_EQ(values(unary(Prim::Neg, t, kF64)), want);
  // Step-2 slice.
  const Tensor sl = view(arange_t({10}, kF64), {5}, {2}, 1);
  EXPECT_EQ(values(unary(Prim::Neg, sl, kF64)),
            (std::vector<double>{-1, -3, -5, -7, -9}));
  // Expanded (stride 0).
  const Tensor ex = view(make({2}, {1}, kF64), {3, 2}, {0, 0});
  EXPECT_EQ(values(unary(Prim::Abs, ex, kF64)), std::vector<double>(6, 2));
  // Zero-size.
  const Tensor e = unary(Prim::Exp, empty({0, 3}, kF32), kF32);
  EXPECT_EQ(e.shape(), (Shape{0, 3}));
  // 0-d.
  const Tensor s = unary(Prim::Neg, make({4}, {}, kF32), kF32);
  EXPECT_EQ(values(s), std::vector<double>{-4});
}

TEST(Unary, LargeInputRunsInParallelChunks) {
  const int64_t n = 200003;
  const Tensor x = random_t({n}, kF64, 1);
  const auto got = values(unary(Prim::Sin, x, kF64));
  const auto in = values(x);
  // libmvec's sin (vector_math.h) may differ from libm's in the last bit.
  for (int64_t i = 0; i < n; i += 997) {
    EXPECT_NEAR(got[i], std::sin(in[i]), 1e-15);
  }
  EXPECT_NEAR(got[n - 1], std::sin(in[n - 1]), 1e-15);
}

// The vectorized functions (libmvec, vector_math.h): within a few ulp of
// libm, IEEE special values kept, and each element's result independent of
// where it sits (contiguous block, tail, strided, broadcast, one element),
// so that vmap and per-example loops agree bit for bit.
// The widest libmvec variants the CPU has, unless FNX_VECTOR_ISA=avx2 (the
// elementwise_avx2_test target) or FNX_SCALAR_MATH=1 asks otherwise.
TEST(Unary, VectorMathUsesTheWidestVariantsTheCpuHas) {
  auto env_is = [](const char* name, const char* value) {
    const char* v = std::getenv(name);
    return v != nullptr && std::strcmp(v, value) == 0;
  };
  __builtin_cpu_init();
  cpu::VectorIsa want = cpu::VectorIsa::kNone;
  if (!env_is("FNX_SCALAR_MATH", "1") && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma")) {
    want = __builtin_cpu_supports("avx512f") &&
                   !env_is("FNX_VECTOR_ISA", "avx2")
               ? cpu::VectorIsa::kAvx512
               : cpu::VectorIsa::kAvx2;
  }
  EXPECT_EQ(cpu::vector_math_isa(), want);
  EXPECT_EQ(cpu::has_vector_math(), want != cpu::VectorIsa::kNone);
}

TEST(Unary, VectorizedMathIsAccurateAndLayoutIndependent) {
  const double inf = std::numeric_limits<double>::infinity();
  for (DType dt : {kF32, kF64}) {
    const double ulp = dt == kF32 ? 1.2e-7 : 2.3e-16;
    for (Prim p :
         {Prim::Exp, Prim::Log, Prim::Log1p, Prim::Expm1, Prim::Sin, Prim::Cos,
          Prim::Tanh, Prim::Erf, Prim::Tan, Prim::Asin, Prim::Acos, Prim::Atan,
          Prim::Sinh, Prim::Cosh, Prim::Asinh, Prim::Acosh, Prim::Atanh,
          Prim::Exp2, Prim::Log2, Prim::Log10}) {
      const std::string what =
          std::string(prim_info(p).name) + " " + std::string(dtype_name(dt));
      // 37 values: a vector block, several blocks and a tail.
      std::vector<double> xs;
      for (int i = 0; i < 37; ++i) xs.push_back(-3.7 + 0.21 * i);
      const Tensor x = make(xs, {37}, dt);
      const auto got = values(unary(p, x, dt));
      for (int i = 0; i < 37; ++i) {
        const double v = values(x)[i];
        double want = 0;
        switch (p) {
          case Prim::Exp:
            want = std::exp(v);
            break;
          case Prim::Log:
            want = std::log(v);
            break;
          case Prim::Log1p:
            want = std::log1p(v);
            break;
          case Prim::Expm1:
            want = std::expm1(v);
            break;
          case Prim::Sin:
            want = std::sin(v);
            break;
          case Prim::Cos:
            want = std::cos(v);
            break;
          case Prim::Tanh:
            want = std::tanh(v);
            break;
          case Prim::Tan:
            want = std::tan(v);
            break;
          case Prim::Asin:
            want = std::asin(v);
            break;
          case Prim::Acos:
            want = std::acos(v);
            break;
          case Prim::Atan:
            want = std::atan(v);
            break;
          case Prim::Sinh:
            want = std::sinh(v);
            break;
          case Prim::Cosh:
            want = std::cosh(v);
            break;
          case Prim::Asinh:
            want = std::asinh(v);
            break;
          case Prim::Acosh:
            want = std::acosh(v);
            break;
          case Prim::Atanh:
            want = std::atanh(v);
            break;
          case Prim::Exp2:
            want = std::exp2(v);
            break;
          case Prim::Log2:
            want = std::log2(v);
            break;
          case Prim::Log10:
            want = std::log10(v);
            break;
          default:
            want = std::erf(v);
            break;
        }
        if (std::isnan(want)) {
          EXPECT_TRUE(std::isnan(got[i])) << what << " at " << v;
        } else {
          EXPECT_NEAR(got[i], want, 8 * ulp * std::max(1.0, std::abs(want)))
              << what << " at " << v;
        }
      }
      // The same elements one at a time, strided, and broadcast: the same
      // bits (or both NaN: log of a negative).
      auto same = [](double a, double b) {
        return (std::isnan(a) && std::isnan(b)) || a == b;
      };
      for (int i = 0; i < 37; i += 5) {
        const Tensor one = make({values(x)[i]}, {1}, dt);
        EXPECT_TRUE(same(values(unary(p, one, dt))[0], got[i])) << what;
        const Tensor ex = view(one, {9}, {0});
        for (double v : values(unary(p, ex, dt))) {
          EXPECT_TRUE(same(v, got[i])) << what;
        }
      }
      const Tensor strided = view(x, {12}, {3});
      const auto got_strided = values(unary(p, strided, dt));
      for (int i = 0; i < 12; ++i) {
        EXPECT_TRUE(same(got_strided[i], got[3 * i])) << what;
      }
    }
  }
  // Special values.
  const Tensor sp = make({inf, -inf, 0.0, -0.0, std::nan("")}, {5}, kF32);
  const auto e = values(unary(Prim::Exp, sp, kF32));
  EXPECT_EQ(e[0], inf);
  EXPECT_EQ(e[1], 0.0);
  EXPECT_EQ(e[2], 1.0);
  EXPECT_TRUE(std::isnan(e[4]));
  const auto t = values(unary(Prim::Tanh, sp, kF32));
  EXPECT_EQ(t[0], 1.0);
  EXPECT_EQ(t[1], -1.0);
  EXPECT_TRUE(std::signbit(t[3]));
  const auto l = values(unary(Prim::Log, sp, kF32));
  EXPECT_EQ(l[0], inf);
  EXPECT_EQ(l[2], -inf);
  EXPECT_TRUE(
      std::isnan(values(unary(Prim::Log, make({-1.0}, {1}, kF32), kF32))[0]));
}

TEST(Binary, ArithmeticWithBroadcasting) {
  const Tensor a = arange_t({2, 3}, kF32);  // [[0,1,2],[3,4,5]]
  const Tensor b = make({10, 20, 30}, {3}, kF32);
  EXPECT_EQ(values(binary(Prim::Add, a, b, {2, 3}, kF32)),
            (std::vector<double>{10, 21, 32, 13, 24, 35}));
  const Tensor col = make({1, 2}, {2, 1}, kF32);
  const Tensor row = make({10, 20, 30}, {1, 3}, kF32);
  EXPECT_EQ(values(binary(Prim::Mul, col, row, {2, 3}, kF32)),
            (std::vector<double>{10, 20, 30, 20, 40, 60}));
  EXPECT_EQ(values(binary(Prim::Sub, make({5}, {}, kF32), a, {2, 3}, kF32)),
            (std::vector<double>{5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(values(binary(Prim::Div, a, make({2}, {}, kF32), {2, 3}, kF32)),
            (std::vector<double>{0, 0.5, 1, 1.5, 2, 2.5}));
  EXPECT_EQ(values(binary(Prim::Pow, a, make({2}, {1}, kF32), {2, 3}, kF32)),
            (std::vector<double>{0, 1, 4, 9, 16, 25}));
}

TEST(Binary, OneElementAndZeroSize) {
  EXPECT_EQ(values(binary(Prim::Add, make({1.5}, {}, kF32), make({2}, {}, kF32),
                          {}, kF32)),
            std::vector<double>{3.5});
  EXPECT_EQ(values(binary(Prim::Add, make({1}, {1, 1}, kF32),
                          make({2}, {1}, kF32), {1, 1}, kF32)),
            std::vector<double>{3});
  const Tensor z = binary(Prim::Add, empty({0, 3}, kF32),
                          make({1, 2, 3}, {1, 3}), {0, 3}, kF32);
  EXPECT_EQ(z.numel(), 0);
  EXPECT_EQ(z.shape(), (Shape{0, 3}));
}

TEST(Binary, NonContiguousOperands) {
  const Tensor a =
      transposed(arange_t({3, 2}, kF64));  // (2, 3): [[0,2,4],[1,3,5]]
  const Tensor b =
      view(arange_t({12}, kF64), {2, 3}, {6, 2});  // [[0,2,4],[6,8,10]]
  EXPECT_EQ(values(binary(Prim::Add, a, b, {2, 3}, kF64)),
            (std::vector<double>{0, 4, 8, 7, 11, 15}));
  // Large broadcast + transpose through the parallel path.
  const Tensor big = random_t({300, 200}, kF64, 2);
  const Tensor bt = transposed(big);  // (200, 300)
  const Tensor v = random_t({300}, kF64, 3);
  const auto got = values(binary(Prim::Mul, bt, v, {200, 300}, kF64));
  const auto bv = values(bt);
  const auto vv = values(v);
  for (int64_t i = 0; i < 200 * 300; i += 101) {
    EXPECT_EQ(got[i], bv[i] * vv[i % 300]);
  }
}

TEST(Binary, IntegerSemantics) {
  const Tensor a = make({7, -7, 7, -7, 5}, {5}, kI64);
  const Tensor b = make({2, 2, -2, -2, 0}, {5}, kI64);
  // Floor division; x / 0 = 0 (the op API only sends float Div).
  EXPECT_EQ(values(binary(Prim::Div, a, b, {5}, kI64)),
            (std::vector<double>{3, -4, -4, 3, 0}));
  EXPECT_EQ(values(binary(Prim::Pow, make({2, 3, -2, 5}, {4}, kI32),
                          make({10, 3, 3, 0}, {4}, kI32), {4}, kI32)),
            (std::vector<double>{1024, 27, -8, 1}));
  // Wrapping, not UB.
  EXPECT_EQ(values(binary(Prim::Add, make({2147483647.0}, {1}, kI32),
                          make({1}, {1}, kI32), {1}, kI32)),
            std::vector<double>{-2147483648.0});
  EXPECT_EQ(values(binary(Prim::Add, make({1, 0, 1}, {3}, kBool),
                          make({1, 0, 0}, {3}, kBool), {3}, kBool)),
            (std::vector<double>{1, 0, 1}));
}

TEST(Binary, MaximumMinimumPropagateNaN) {
  const Tensor a = make({1, kNaN, 3, kNaN, -kInf}, {5}, kF32);
  const Tensor b = make({2, 1, kNaN, kNaN, 0}, {5}, kF32);
  const auto mx = values(binary(Prim::Maximum, a, b, {5}, kF32));
  const auto mn = values(binary(Prim::Minimum, a, b, {5}, kF32));
  EXPECT_EQ(mx[0], 2);
  EXPECT_EQ(mn[0], 1);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_TRUE(std::isnan(mx[i])) << i;
    EXPECT_TRUE(std::isnan(mn[i])) << i;
  }
  EXPECT_EQ(mx[4], 0);
  EXPECT_EQ(mn[4], -kInf);
}

TEST(Compare, BoolResults) {
  const Tensor a = make({1, 2, 3, kNaN}, {4}, kF32);
  const Tensor b = make({2}, {}, kF32);
  auto cmp = [&](Prim p) { return values(binary(p, a, b, {4}, kBool)); };
  EXPECT_EQ(cmp(Prim::Eq), (std::vector<double>{0, 1, 0, 0}));
  EXPECT_EQ(cmp(Prim::Ne), (std::vector<double>{1, 0, 1, 1}));
  EXPECT_EQ(cmp(Prim::Lt), (std::vector<double>{1, 0, 0, 0}));
  EXPECT_EQ(cmp(Prim::Le), (std::vector<double>{1, 1, 0, 0}));
  EXPECT_EQ(cmp(Prim::Gt), (std::vector<double>{0, 0, 1, 0}));
  EXPECT_EQ(cmp(Prim::Ge), (std::vector<double>{0, 1, 1, 0}));
  const Tensor x = make({0, 1, 0, kNaN}, {4}, kF64);
  const Tensor y = make({0, 0, 2, 0}, {4}, kF64);
  EXPECT_EQ(values(binary(Prim::LogicalAnd, x, y, {4}, kBool)),
            (std::vector<double>{0, 0, 0, 0}));
  EXPECT_EQ(values(binary(Prim::LogicalOr, x, y, {4}, kBool)),
            (std::vector<double>{0, 1, 1, 1}));
  const Tensor r = binary(Prim::Lt, make({1, 5}, {2, 1}, kI64),
                          make({2, 3, 6}, {3}, kI64), {2, 3}, kBool);
  EXPECT_EQ(r.dtype(), kBool);
  EXPECT_EQ(values(r), (std::vector<double>{1, 1, 1, 0, 0, 1}));
}

TEST(Where, BroadcastsAllThree) {
  const Tensor c = make({1, 0, 1}, {3}, kBool);
  const Tensor a = make({1, 2}, {2, 1}, kF32);
  const Tensor b = make({-1}, {}, kF32);
  const Tensor y = run(Prim::Where, NoAttrs{}, {c, a, b}, {2, 3}, kF32);
  EXPECT_EQ(values(y), (std::vector<double>{1, -1, 1, 2, -1, 2}));
  const Tensor big_c = view(make({0, 1}, {2}, kBool), {50000, 2}, {0, 1});
  const Tensor z =
      run(Prim::Where, NoAttrs{},
          {big_c, arange_t({50000, 2}, kF64), make({-1}, {}, kF64)}, {50000, 2},
          kF64);
  const auto zv = values(z);
  EXPECT_EQ(zv[0], -1);
  EXPECT_EQ(zv[1], 1);
  EXPECT_EQ(zv[99999], 99999);
  EXPECT_EQ(zv[99998], -1);
}

TEST(Cast, DefinedForEveryValue) {
  const Tensor x = make({1.9, -1.9, kNaN, 1e20, -1e20, 0}, {6}, kF64);
  EXPECT_EQ(values(run(Prim::Cast, CastAttrs{kI32}, {x}, {6}, kI32)),
            (std::vector<double>{1, -1, 0, 2147483647.0, -2147483648.0, 0}));
  EXPECT_EQ(values(run(Prim::Cast, CastAttrs{kBool}, {x}, {6}, kBool)),
            (std::vector<double>{1, 1, 1, 1, 1, 0}));
  const Tensor t = transposed(make({1, 0, 2, 3, 0, 5}, {2, 3}, kI64));
  EXPECT_EQ(values(run(Prim::Cast, CastAttrs{kF32}, {t}, {3, 2}, kF32)),
            (std::vector<double>{1, 3, 0, 0, 2, 5}));
  EXPECT_EQ(
      run(Prim::Cast, CastAttrs{kF32}, {empty({0}, kI64)}, {0}, kF32).numel(),
      0);
}

}  // namespace
}  // namespace fnx::cpu_test
