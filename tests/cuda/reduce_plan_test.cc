// How the CUDA backend lays out reductions (backends/cuda/reduce_plan.h)
// checked on the host: each plan runs through a model of the kernels
// (result o sums x at kept offset(o) + reduced offset(r), with the kernels'
// offset arithmetic) and must equal the CPU backend's sum; the reduced dims
// come in memory order. The warp-per-result kernels get a model of their
// own: 32 lanes each reducing their strided share, then the shuffle tree,
// with the kernels' lane arithmetic and (value, index) merge
// (reduce_geometry.h); sums, max/min and argmax/argmin (ties, NaN, ranges
// shorter than a warp or not a multiple of it) must match the CPU backend,
// and the plan must pick that path exactly for contiguous reduced runs.
// Needs no GPU and no CUDA: runs in every build.
#include "backends/cuda/reduce_plan.h"

#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "backends/common/scalar_ops.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

void check(const Tensor& x, const Dims& dims) {
  SCOPED_TRACE(shape_str(x.shape()) + " strides " +
               shape_str(Shape(x.strides())) + " dims " + shape_str(dims));
  const cuda::ReduceGeometry g =
      cuda::reduce_geometry("sum", x.shape(), x.strides(), dims);
  const Tensor want = sum(x, dims);
  ASSERT_EQ(g.n_out, want.numel());
  const double* base =
      static_cast<const double*>(x.impl()->storage->data()) + x.offset();
  const std::vector<double> w = want.to_vector();
  for (int64_t o = 0; o < g.n_out; ++o) {
    const int64_t at =
        cuda::offset_of(o, g.kept_ndim, g.kept_sizes, g.kept_strides);
    double acc = 0;
    for (int64_t r = 0; r < g.n_red; ++r) {
      acc +=
          base[at + cuda::offset_of(r, g.red_ndim, g.red_sizes, g.red_strides)];
    }
    EXPECT_NEAR(acc, w[o], 1e-9) << "result " << o;
  }
  // Reduced dims in memory order (decreasing stride), merged when they can.
  for (int d = 1; d < g.red_ndim; ++d) {
    EXPECT_GE(std::abs(g.red_strides[d - 1]), std::abs(g.red_strides[d]));
  }
}

TEST(CudaReducePlan, LayoutsMatchTheCpuSum) {
  Generator gen(0);
  const Tensor x = randn({4, 5, 6}, DType::Float64, &gen);
  for (const Dims& dims :
       {Dims{0}, Dims{1}, Dims{2}, Dims{0, 2}, Dims{1, 2}, Dims{0, 1, 2}}) {
    check(x, dims);
    check(x.permute({2, 0, 1}), dims);  // memory order != logical order
    check(x.slice(1, 0, 5, 2), dims);   // stepped
  }
  check(randn({3, 1, 4}, DType::Float64, &gen), {0, 1});        // size-1 dims
  check(randn({7}, DType::Float64, &gen).expand({3, 7}), {0});  // stride 0
  check(randn({2, 3, 4, 5}, DType::Float64, &gen).transpose(0, 3), {1, 3});
  check(randn({}, DType::Float64, &gen), {});  // 0-d
  const cuda::ReduceGeometry merged =
      cuda::reduce_geometry("sum", x.shape(), x.strides(), Dims{1, 2});
  EXPECT_EQ(merged.red_ndim, 1) << "contiguous reduced dims merge";
  EXPECT_EQ(merged.red_sizes[0], 30);
}

// ---- A warp per result ----

using cuda::kWarp;
using cuda::ReducePath;

template <typename T>
const T* data_of(const Tensor& x) {
  return static_cast<const T*>(x.impl()->storage->data()) + x.offset();
}

cuda::ReduceGeometry geometry(const Tensor& x, const Dims& dims) {
  return cuda::reduce_geometry("sum", x.shape(), x.strides(), dims);
}

// reduce.cu's shuffle tree: for each delta every lane merges in the value
// lane + delta held before the step (__shfl_down_sync reads the old
// values; lanes past the warp read their own). Lane 0's value is the
// result.
template <typename V, typename Merge>
V shuffle_tree(std::array<V, kWarp> lanes, Merge merge) {
  for (int delta = cuda::kFirstShuffleDelta; delta > 0; delta /= 2) {
    std::array<V, kWarp> next = lanes;
    for (int l = 0; l < kWarp; ++l) {
      next[l] = merge(lanes[l], lanes[l + delta < kWarp ? l + delta : l]);
    }
    lanes = next;
  }
  return lanes[0];
}

// Runs body(o, lane) -> lane value for every thread of the warp kernels'
// launch (warp_blocks(n_out) blocks of kWarpsPerBlock warps), checks each
// warp's lanes share one result and each result gets exactly one warp,
// and returns the shuffle tree's value per result.
template <typename V, typename Body, typename Merge>
std::vector<V> warp_launch(int64_t n_out, Body body, Merge merge) {
  std::vector<V> out(n_out);
  std::vector<int> warps(n_out, 0);
  for (int64_t b = 0; b < cuda::warp_blocks(n_out); ++b) {
    for (int w = 0; w < cuda::kWarpsPerBlock; ++w) {
      const int64_t o = cuda::warp_result(b, w * kWarp);
      if (o >= n_out) continue;  // the kernel's early return
      std::array<V, kWarp> lanes;
      for (int t = w * kWarp; t < (w + 1) * kWarp; ++t) {
        EXPECT_EQ(cuda::warp_result(b, t), o)
            << "block " << b << " thread " << t;
        lanes[cuda::warp_lane(t)] = body(o, cuda::warp_lane(t));
      }
      out[o] = shuffle_tree(lanes, merge);
      ++warps[o];
    }
  }
  for (int64_t o = 0; o < n_out; ++o) EXPECT_EQ(warps[o], 1) << "result " << o;
  return out;
}

// warp_per_result for Sum (double accumulator, as the kernel for float
// inputs), Amax and Amin over x's `dims`, against the CPU backend.
template <typename T>
void check_warp_reductions(const Tensor& x, const Dims& dims) {
  SCOPED_TRACE(shape_str(x.shape()) + " strides " +
               shape_str(Shape(x.strides())) + " dims " + shape_str(dims));
  const cuda::ReduceGeometry g = geometry(x, dims);
  const T* base = data_of<T>(x);
  // One lane's share: r = lane, lane + kWarp, ... (reduce_range's loop).
  auto lane_fold = [&](auto init, auto merge) {
    return [&g, base, init, merge](int64_t o, int lane) {
      const int64_t at =
          cuda::offset_of(o, g.kept_ndim, g.kept_sizes, g.kept_strides);
      auto acc = init;
      for (int64_t r = lane; r < g.n_red; r += kWarp) {
        acc =
            merge(acc, static_cast<decltype(acc)>(
                           base[at + cuda::offset_of(r, g.red_ndim, g.red_sizes,
                                                     g.red_strides)]));
      }
      return acc;
    };
  };
  const auto add = [](double a, double b) { return a + b; };
  const auto max = scalar::MaximumOp{};
  const auto min = scalar::MinimumOp{};
  const T inf = std::numeric_limits<T>::infinity();
  const std::vector<double> sums =
      warp_launch<double>(g.n_out, lane_fold(0.0, add), add);
  const std::vector<T> maxes =
      warp_launch<T>(g.n_out, lane_fold(-inf, max), max);
  const std::vector<T> mins = warp_launch<T>(g.n_out, lane_fold(inf, min), min);
  const std::vector<double> want_sum = sum(x, dims).to_vector();
  const std::vector<double> want_max = amax(x, dims).to_vector();
  const std::vector<double> want_min = amin(x, dims).to_vector();
  ASSERT_EQ(static_cast<int64_t>(want_sum.size()), g.n_out);
  auto same = [](double got, double want) {
    return std::isnan(want) ? std::isnan(got) : got == want;
  };
  for (int64_t o = 0; o < g.n_out; ++o) {
    const double got = static_cast<T>(sums[o]);  // the kernel's convert<T>
    if (std::isnan(want_sum[o])) {
      EXPECT_TRUE(std::isnan(got)) << "sum " << o;
    } else {
      EXPECT_NEAR(got, want_sum[o], 1e-5 * (1 + std::abs(want_sum[o])))
          << "sum " << o;
    }
    EXPECT_TRUE(same(maxes[o], want_max[o]))
        << "max " << o << ": " << maxes[o] << " vs " << want_max[o];
    EXPECT_TRUE(same(mins[o], want_min[o]))
        << "min " << o << ": " << mins[o] << " vs " << want_min[o];
  }
}

// arg_warp_kernel over x's `dim` (arg_lane per lane, arg_better in the
// tree) against the CPU's argmax/argmin: exact indices.
template <typename T>
void check_warp_args(const Tensor& x, int64_t dim) {
  SCOPED_TRACE(shape_str(x.shape()) + " strides " +
               shape_str(Shape(x.strides())) + " dim " + std::to_string(dim));
  const cuda::ReduceGeometry g = geometry(x, Dims{dim});
  const T* base = data_of<T>(x);
  const int64_t n = x.shape()[dim], stride = x.strides()[dim];
  auto run = [&]<bool kMax>() {
    auto lane = [&](int64_t o, int l) {
      return cuda::arg_lane<kMax>(
          base + cuda::offset_of(o, g.kept_ndim, g.kept_sizes, g.kept_strides),
          n, stride, l);
    };
    auto better = [](cuda::ArgCandidate<T> a, cuda::ArgCandidate<T> b) {
      return cuda::arg_better<kMax>(a, b);
    };
    const auto got = warp_launch<cuda::ArgCandidate<T>>(g.n_out, lane, better);
    const std::vector<double> want =
        (kMax ? argmax(x, dim) : argmin(x, dim)).to_vector();
    ASSERT_EQ(static_cast<int64_t>(want.size()), g.n_out);
    for (int64_t o = 0; o < g.n_out; ++o) {
      EXPECT_EQ(got[o].index, static_cast<int64_t>(want[o]))
          << (kMax ? "argmax " : "argmin ") << o;
    }
  };
  run.template operator()<true>();
  run.template operator()<false>();
}

// Rows of `cols` values from a few levels (many ties) with NaNs in some
// rows: row i gets a NaN at column (7 * i) % cols when i % 3 == 0 and a
// second one later when i % 6 == 0, so the first NaN must win.
Tensor ties_and_nans(int64_t rows, int64_t cols, DType dtype, Generator* gen,
                     bool nans) {
  std::vector<double> v =
      randint(-2, 3, {rows, cols}, DType::Int64, gen).to_vector();
  if (nans) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (int64_t i = 0; i < rows; i += 3) {
      const int64_t j = (7 * i) % cols;
      v[i * cols + j] = nan;
      if (i % 6 == 0 && j + 1 < cols) v[i * cols + cols - 1] = nan;
    }
  }
  return from_vector(v, {rows, cols}, dtype);
}

TEST(CudaReducePlan, WarpPathForContiguousRunsToManyResults) {
  auto path = [](const Tensor& x, const Dims& dims) {
    return cuda::reduce_path(geometry(x, dims));
  };
  auto arg_path = [](const Tensor& x, int64_t dim) {
    return cuda::arg_reduce_path(geometry(x, Dims{dim}));
  };
  const Tensor x = zeros({4096, 1000});
  EXPECT_EQ(path(x, {1}), ReducePath::kWarpPerResult);  // sum(x, -1), softmax
  EXPECT_EQ(arg_path(x, 1), ReducePath::kWarpPerResult);
  // Over dim 0 the kept dim is the fast one: no warp, the columns path
  // (reduce_columns_test.cc).
  EXPECT_EQ(path(x, {0}), ReducePath::kColumns);
  EXPECT_EQ(arg_path(x, 0), ReducePath::kColumns);
  const Tensor wide = zeros({1000, 4096});
  EXPECT_EQ(path(wide, {0}), ReducePath::kColumns);
  EXPECT_EQ(arg_path(wide, 0), ReducePath::kColumns);
  EXPECT_EQ(arg_path(zeros({20, 4096}), 0), ReducePath::kThreadPerResult)
      << "fewer rows than kColumnsMinRows";
  EXPECT_EQ(path(wide.t(), {1}), ReducePath::kColumns);
  EXPECT_EQ(path(x.t(), {0}), ReducePath::kWarpPerResult) << "memory order";
  EXPECT_EQ(path(x.slice(1, 0, 1000, 2), {1}), ReducePath::kThreadPerResult)
      << "a stepped run is not contiguous";
  EXPECT_EQ(path(zeros({64, 128, 1000}), {2}), ReducePath::kWarpPerResult);
  EXPECT_EQ(path(zeros({4096, 4, 250}), {1, 2}), ReducePath::kWarpPerResult)
      << "merged into one run of 1000";
  EXPECT_EQ(path(zeros({3, 2048, 20}), {0, 2}), ReducePath::kWarpPerResult)
      << "the innermost reduced dim is a run of 20";
  EXPECT_EQ(path(zeros({4096, 8}), {1}), ReducePath::kThreadPerResult)
      << "a run shorter than kWarpMinRun";
  EXPECT_EQ(path(zeros({4096, 16}), {1}), ReducePath::kWarpPerResult);
  EXPECT_EQ(path(zeros({100, 1000}), {1}), ReducePath::kBlocksPerResult)
      << "few results";
  EXPECT_EQ(arg_path(zeros({100, 1000}), 1), ReducePath::kWarpPerResult)
      << "argmax has no blocks path";
  EXPECT_EQ(arg_path(zeros({4096, 1}), 1), ReducePath::kThreadPerResult);
  EXPECT_EQ(cuda::warp_blocks(4096), 4096 / cuda::kWarpsPerBlock);
  EXPECT_EQ(cuda::warp_blocks(4097), 4096 / cuda::kWarpsPerBlock + 1);
}

TEST(CudaReducePlan, WarpModelMatchesTheCpu) {
  Generator gen(3);
  // Reduced lengths under a warp, not a multiple of it and several warps
  // long; 37 results leave the last block part empty.
  for (int64_t n : {1, 5, 16, 31, 32, 33, 64, 100, 1000}) {
    SCOPED_TRACE("n_red " + std::to_string(n));
    check_warp_reductions<float>(randn({37, n}, DType::Float32, &gen), {1});
    check_warp_reductions<double>(randn({37, n}, DType::Float64, &gen), {1});
    check_warp_reductions<float>(
        ties_and_nans(37, n, DType::Float32, &gen, true), {1});
    check_warp_args<float>(ties_and_nans(37, n, DType::Float32, &gen, false),
                           1);
    check_warp_args<float>(ties_and_nans(37, n, DType::Float32, &gen, true), 1);
    check_warp_args<double>(ties_and_nans(37, n, DType::Float64, &gen, true),
                            1);
    check_warp_args<int64_t>(randint(-2, 3, {37, n}, DType::Int64, &gen), 1);
    check_warp_args<int32_t>(randint(-2, 3, {37, n}, DType::Int32, &gen), 1);
  }
  // The shapes the plan sends down this path.
  const Tensor big = randn({4096, 1000}, DType::Float32, &gen);
  check_warp_reductions<float>(big, {1});
  check_warp_args<float>(big, 1);
  check_warp_args<float>(ties_and_nans(4096, 1000, DType::Float32, &gen, true),
                         1);
  check_warp_reductions<float>(randn({1000, 2048}, DType::Float32, &gen).t(),
                               {0});
  check_warp_args<float>(randn({40, 2048}, DType::Float32, &gen).t(), 0);
  check_warp_reductions<double>(randn({3, 2048, 20}, DType::Float64, &gen),
                                {0, 2});
  check_warp_reductions<double>(randn({4096, 4, 25}, DType::Float64, &gen),
                                {1, 2});
  // All equal, or all NaN: the first index.
  check_warp_args<float>(zeros({9, 70}), 1);
  check_warp_args<float>(full({9, 70}, std::nan("")), 1);
  check_warp_args<double>(full({9, 70}, -INFINITY, DType::Float64), 1);
}

// The merge is a total order on (value, index): symmetric, so any tree
// gives the one-pass answer.
TEST(CudaReducePlan, ArgBetweenPairs) {
  using C = cuda::ArgCandidate<float>;
  const float nan = std::nanf("");
  const std::vector<C> cs = {{1, 0},     {1, 3},         {2, 1},
                             {-0.0f, 4}, {0.0f, 2},      {nan, 5},
                             {nan, 6},   {-INFINITY, 7}, {0, -1}};
  for (const C& a : cs) {
    for (const C& b : cs) {
      if (a.index == b.index) continue;
      EXPECT_EQ(cuda::arg_better<true>(a, b).index,
                cuda::arg_better<true>(b, a).index);
      EXPECT_EQ(cuda::arg_better<false>(a, b).index,
                cuda::arg_better<false>(b, a).index);
    }
  }
  EXPECT_EQ(cuda::arg_better<true>(C{1, 3}, C{1, 0}).index, 0) << "tie";
  EXPECT_EQ(cuda::arg_better<true>(C{-0.0f, 4}, C{0.0f, 2}).index, 2);
  EXPECT_EQ(cuda::arg_better<true>(C{nan, 6}, C{nan, 5}).index, 5);
  EXPECT_EQ(cuda::arg_better<false>(C{-INFINITY, 7}, C{nan, 6}).index, 6);
  EXPECT_EQ(cuda::arg_better<true>(C{0, -1}, C{-INFINITY, 7}).index, 7)
      << "an empty lane loses";
}

}  // namespace
}  // namespace fnx
