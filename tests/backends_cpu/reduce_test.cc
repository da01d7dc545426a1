// Sum / Amax / Amin / Argmax / Argmin kernels against naive references.
#include <algorithm>
#include <cmath>
#include <limits>

#include "tests/backends_cpu/test_util.h"

namespace fnx::cpu_test {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Shape reduced_shape(const Shape& in, const Dims& dims, bool keepdim) {
  Shape out;
  for (int64_t d = 0; d < static_cast<int64_t>(in.size()); ++d) {
    const bool r = std::find(dims.begin(), dims.end(), d) != dims.end();
    if (!r) {
      out.push_back(in[d]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

// Naive reduction of row-major `vals` of `shape` over `dims`.
std::vector<double> naive(const std::vector<double>& vals, const Shape& shape,
                          const Dims& dims, int kind /*0 sum, 1 max, 2 min*/) {
  const Shape out_shape = reduced_shape(shape, dims, true);
  const int64_t n_out = numel(out_shape);
  std::vector<double> acc(n_out, kind == 0   ? 0
                                 : kind == 1 ? -INFINITY
                                             : INFINITY);
  const int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<int64_t> idx(rank, 0);
  for (size_t i = 0; i < vals.size(); ++i) {
    int64_t o = 0;
    for (int64_t d = 0; d < rank; ++d)
      o = o * out_shape[d] + (out_shape[d] == 1 ? 0 : idx[d]);
    double& a = acc[o];
    const double v = vals[i];
    if (kind == 0) {
      a += v;
    } else if (std::isnan(v) || std::isnan(a)) {
      a = kNaN;
    } else {
      a = kind == 1 ? std::max(a, v) : std::min(a, v);
    }
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return acc;
}

Tensor reduce(Prim p, const Tensor& x, const Dims& dims, bool keepdim,
              DType dtype) {
  return run(p, ReduceAttrs{dims, keepdim}, {x},
             reduced_shape(x.shape(), dims, keepdim), dtype);
}

TEST(Reduce, EverySubsetOfDimsOnContiguousAndPermutedInputs) {
  const Shape shape = {3, 4, 5, 2};
  const Tensor base = random_t(shape, kF64, 7);
  // A permuted view: (5, 3, 2, 4) of base.
  const Tensor perm = view(base, {5, 3, 2, 4},
                           {base.strides()[2], base.strides()[0],
                            base.strides()[3], base.strides()[1]});
  for (const Tensor& x : {base, perm}) {
    const auto vals = values(x);
    for (int mask = 0; mask < 16; ++mask) {
      Dims dims;
      for (int d = 0; d < 4; ++d) {
        if (mask & (1 << d)) dims.push_back(d);
      }
      for (bool keepdim : {false, true}) {
        const Prim prims[] = {Prim::Sum, Prim::Amax, Prim::Amin};
        for (int kind = 0; kind < 3; ++kind) {
          const Tensor y = reduce(prims[kind], x, dims, keepdim, kF64);
          EXPECT_EQ(y.shape(), reduced_shape(x.shape(), dims, keepdim));
          expect_near_all(
              values(y), naive(vals, x.shape(), dims, kind), 1e-12,
              "mask " + std::to_string(mask) + " kind " + std::to_string(kind));
        }
      }
    }
  }
}

TEST(Reduce, LargeVerticalHorizontalAndFullReductions) {
  const Shape shape = {513, 300};
  const Tensor x = random_t(shape, kF32, 11);
  const auto vals = values(x);
  for (const Dims& dims : {Dims{0}, Dims{1}, Dims{0, 1}}) {
    for (int kind = 0; kind < 3; ++kind) {
      const Prim p = kind == 0   ? Prim::Sum
                     : kind == 1 ? Prim::Amax
                                 : Prim::Amin;
      expect_near_all(values(reduce(p, x, dims, false, kF32)),
                      naive(vals, shape, dims, kind), 1e-5);
      // Transposed input: vertical and horizontal swap roles.
      const Tensor t = transposed(x);
      Dims td;
      for (int64_t d : dims) td.push_back(1 - d);
      std::sort(td.begin(), td.end());
      expect_near_all(values(reduce(p, t, td, false, kF32)),
                      naive(values(t), t.shape(), td, kind), 1e-5);
    }
  }
}

TEST(Reduce, Float32SumAccumulatesInDouble) {
  const int64_t n = 1 << 21;
  const Tensor x = make(std::vector<double>(n, 0.1), {n}, kF32);
  const double want = n * static_cast<double>(0.1f);
  const auto got = values(reduce(Prim::Sum, x, {0}, false, kF32));
  EXPECT_NEAR(got[0], want, want * 1e-7);
  // Few outputs with long rows take the chunked path.
  const Tensor y = view(x, {2, n / 2}, {n / 2, 1});
  const auto got2 = values(reduce(Prim::Sum, y, {1}, false, kF32));
  EXPECT_NEAR(got2[0], want / 2, want * 1e-7);
  EXPECT_NEAR(got2[1], want / 2, want * 1e-7);
}

TEST(Reduce, IntegerAndBoolSumsGiveInt64) {
  const Tensor b = make({1, 0, 1, 1}, {2, 2}, kBool);
  EXPECT_EQ(values(reduce(Prim::Sum, b, {0, 1}, false, kI64)),
            std::vector<double>{3});
  const Tensor i = make({2147483647.0, 2147483647.0}, {2}, kI32);
  EXPECT_EQ(values(reduce(Prim::Sum, i, {0}, false, kI64)),
            std::vector<double>{4294967294.0});
  EXPECT_EQ(
      values(reduce(Prim::Amax, make({-3, 9, 2}, {3}, kI64), {0}, false, kI64)),
      std::vector<double>{9});
  EXPECT_EQ(values(reduce(Prim::Amin, make({1, 0, 1}, {3}, kBool), {0}, false,
                          kBool)),
            std::vector<double>{0});
}

TEST(Reduce, EmptyInputs) {
  // Sum over an empty dim is 0.
  const Tensor e = empty({0, 3}, kF32);
  EXPECT_EQ(values(reduce(Prim::Sum, e, {0}, false, kF32)),
            std::vector<double>(3, 0));
  EXPECT_EQ(values(reduce(Prim::Sum, e, {0, 1}, false, kF32)),
            std::vector<double>{0});
  // Reducing the non-empty dim of an empty tensor gives an empty result.
  EXPECT_EQ(reduce(Prim::Amax, e, {1}, false, kF32).numel(), 0);
  // Max over an empty dim has no identity.
  EXPECT_NE(
      error_of([&] { reduce(Prim::Amax, e, {0}, false, kF32); }).find("[amax]"),
      std::string::npos);
  // No dims: elementwise (with the result dtype).
  EXPECT_EQ(values(reduce(Prim::Sum, make({1, 2}, {2}, kI32), {}, false, kI64)),
            (std::vector<double>{1, 2}));
  // 0-d.
  EXPECT_EQ(values(reduce(Prim::Sum, make({5}, {}, kF32), {}, false, kF32)),
            std::vector<double>{5});
}

TEST(Reduce, MaxMinPropagateNaN) {
  const Tensor x = make({1, kNaN, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {11}, kF32);
  EXPECT_TRUE(std::isnan(values(reduce(Prim::Amax, x, {0}, false, kF32))[0]));
  EXPECT_TRUE(std::isnan(values(reduce(Prim::Amin, x, {0}, false, kF32))[0]));
  EXPECT_FALSE(std::isnan(
      values(reduce(Prim::Amax, view(x, {5}, {2}, 2), {0}, false, kF32))[0]));
}

TEST(ArgReduce, FirstOccurrenceAndNaN) {
  const Tensor x = make({1, 5, 5, 0, 0, 2}, {2, 3}, kF32);
  auto arg = [](Prim p, const Tensor& t, int64_t dim, bool keepdim) {
    return values(reduce(p, t, {dim}, keepdim, kI64));
  };
  EXPECT_EQ(arg(Prim::Argmax, x, 1, false), (std::vector<double>{1, 2}));
  EXPECT_EQ(arg(Prim::Argmin, x, 1, false), (std::vector<double>{0, 0}));
  EXPECT_EQ(arg(Prim::Argmax, x, 0, true), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(arg(Prim::Argmin, x, 0, false), (std::vector<double>{1, 1, 1}));
  const Tensor n = make({1, kNaN, 9, kNaN}, {4}, kF64);
  EXPECT_EQ(arg(Prim::Argmax, n, 0, false), std::vector<double>{1});
  EXPECT_EQ(arg(Prim::Argmin, n, 0, false), std::vector<double>{1});
  // Transposed input.
  const Tensor t = transposed(x);  // (3, 2): [[1,0],[5,0],[5,2]]
  EXPECT_EQ(arg(Prim::Argmax, t, 0, false), (std::vector<double>{1, 2}));
  EXPECT_EQ(arg(Prim::Argmax, make({3, 1, 2}, {3}, kI32), 0, false),
            std::vector<double>{0});
  EXPECT_NE(error_of([&] {
              arg(Prim::Argmax, empty({2, 0}), 1, false);
            }).find("[argmax]"),
            std::string::npos);
  EXPECT_EQ(reduce(Prim::Argmax, empty({0, 3}), {1}, false, kI64).numel(), 0);
}

}  // namespace
}  // namespace fnx::cpu_test
