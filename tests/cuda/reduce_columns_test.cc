// The columns path of the CUDA reductions (results adjacent in memory:
// sum(x, 0), bias gradients) checked on the host: a model of reduce.cu's
// `columns` kernel with the kernel's own index arithmetic
// (reduce_geometry.h: column_result, column_row, column_splits,
// column_split_len), both passes, against the CPU backend for sums,
// max/min and argmax/argmin (ties, NaNs); every (result, split) written
// exactly once; and which reductions the plan sends there.
// Needs no GPU and no CUDA: runs in every build.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "backends/common/scalar_ops.h"
#include "backends/cuda/reduce_plan.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

using cuda::kWarp;
using cuda::kWarpsPerBlock;
using cuda::ReduceGeometry;
using cuda::ReducePath;

ReduceGeometry geometry(const Tensor& x, const Dims& dims) {
  return cuda::reduce_geometry("sum", x.shape(), x.strides(), dims);
}

// One launch of `columns` over a grid (column_blocks, splits) of
// kWarpsPerBlock * kWarp threads. element(o, r) is what the kernel loads;
// returns what it stores: (splits, n_out) values, the results themselves
// when splits == 1.
template <typename Acc>
std::vector<Acc> columns_launch(
    const ReduceGeometry& g, int64_t splits, Acc init,
    const std::function<Acc(Acc, Acc)>& merge,
    const std::function<Acc(int64_t, int64_t)>& element) {
  const int64_t len = cuda::column_split_len(g, splits);
  std::vector<Acc> stored(static_cast<std::size_t>(splits * g.n_out), init);
  std::vector<int> writes(stored.size(), 0);
  for (int64_t bx = 0; bx < cuda::column_blocks(g); ++bx) {
    for (int64_t by = 0; by < splits; ++by) {
      const int64_t r0 = by * len;
      const int64_t r1 = std::min(g.n_red, r0 + len);
      Acc rows[kWarpsPerBlock][kWarp];
      for (int t = 0; t < kWarpsPerBlock * kWarp; ++t) {
        const int64_t o = cuda::column_result(bx, t);
        const int row = cuda::column_row(t);
        Acc acc = init;
        for (int64_t r = r0 + row; o < g.n_out && r < r1; r += kWarpsPerBlock) {
          acc = merge(acc, element(o, r));
        }
        rows[row][t % kWarp] = acc;
      }
      for (int lane = 0; lane < kWarp; ++lane) {  // row 0's threads
        const int64_t o = cuda::column_result(bx, lane);
        if (o >= g.n_out) continue;
        Acc acc = rows[0][lane];
        for (int k = 1; k < kWarpsPerBlock; ++k)
          acc = merge(acc, rows[k][lane]);
        const auto at = static_cast<std::size_t>(by * g.n_out + o);
        stored[at] = acc;
        ++writes[at];
      }
    }
  }
  for (std::size_t i = 0; i < writes.size(); ++i) {
    EXPECT_EQ(writes[i], 1)
        << "split " << i / g.n_out << " result " << i % g.n_out;
  }
  return stored;
}

// Both passes, as reduce_typed runs them.
template <typename Acc>
std::vector<Acc> columns_model(const ReduceGeometry& g, Acc init,
                               const std::function<Acc(Acc, Acc)>& merge,
                               const std::function<Acc(int64_t, int64_t)>& at) {
  const int64_t splits = cuda::column_splits(g);
  std::vector<Acc> partial = columns_launch<Acc>(g, splits, init, merge, at);
  if (splits == 1) return partial;
  ReduceGeometry g2;  // (splits, n_out), reduced over the splits
  g2.kept_ndim = g2.red_ndim = 1;
  g2.kept_sizes[0] = g2.n_out = g.n_out;
  g2.kept_strides[0] = 1;
  g2.red_sizes[0] = g2.n_red = splits;
  g2.red_strides[0] = g.n_out;
  return columns_launch<Acc>(g2, 1, init, merge, [&](int64_t o, int64_t r) {
    return partial[static_cast<std::size_t>(r * g.n_out + o)];
  });
}

// Sum (double accumulator, as for float inputs), Amax and Amin of x over
// dims through the model, against the CPU backend.
void check_columns(const Tensor& x, const Dims& dims) {
  SCOPED_TRACE(shape_str(x.shape()) + " strides " +
               shape_str(Shape(x.strides())) + " dims " + shape_str(dims));
  const ReduceGeometry g = geometry(x, dims);
  ASSERT_EQ(cuda::reduce_path(g), ReducePath::kColumns);
  const double* base =
      static_cast<const double*>(x.impl()->storage->data()) + x.offset();
  auto element = [&](int64_t o, int64_t r) {
    return base[cuda::offset_of(o, g.kept_ndim, g.kept_sizes, g.kept_strides) +
                cuda::offset_of(r, g.red_ndim, g.red_sizes, g.red_strides)];
  };
  const double inf = std::numeric_limits<double>::infinity();
  const auto sums = columns_model<double>(
      g, 0.0, [](double a, double b) { return a + b; }, element);
  const auto maxes =
      columns_model<double>(g, -inf, scalar::MaximumOp{}, element);
  const auto mins = columns_model<double>(g, inf, scalar::MinimumOp{}, element);
  const std::vector<double> want_sum = sum(x, dims).to_vector();
  const std::vector<double> want_max = amax(x, dims).to_vector();
  const std::vector<double> want_min = amin(x, dims).to_vector();
  ASSERT_EQ(static_cast<int64_t>(want_sum.size()), g.n_out);
  for (int64_t o = 0; o < g.n_out; ++o) {
    const auto i = static_cast<std::size_t>(o);
    EXPECT_NEAR(sums[i], want_sum[i], 1e-9 * (1 + std::abs(want_sum[i])))
        << "sum " << o;
    EXPECT_EQ(maxes[i], want_max[i]) << "max " << o;
    EXPECT_EQ(mins[i], want_min[i]) << "min " << o;
  }
}

// Argmax/Argmin of x over dim through the model (candidates merged by
// arg_better, as ArgReducer in reduce.cu), against the CPU: exact indices.
void check_column_args(const Tensor& x, int64_t dim) {
  SCOPED_TRACE(shape_str(x.shape()) + " strides " +
               shape_str(Shape(x.strides())) + " dim " + std::to_string(dim));
  const ReduceGeometry g = geometry(x, Dims{dim});
  ASSERT_EQ(cuda::arg_reduce_path(g), ReducePath::kColumns);
  const double* base =
      static_cast<const double*>(x.impl()->storage->data()) + x.offset();
  using C = cuda::ArgCandidate<double>;
  auto element = [&](int64_t o, int64_t r) {
    return C{
        base[cuda::offset_of(o, g.kept_ndim, g.kept_sizes, g.kept_strides) +
             r * x.strides()[dim]],
        r};
  };
  const auto maxes = columns_model<C>(
      g, C{0, -1}, [](C a, C b) { return cuda::arg_better<true>(a, b); },
      element);
  const auto mins = columns_model<C>(
      g, C{0, -1}, [](C a, C b) { return cuda::arg_better<false>(a, b); },
      element);
  const std::vector<double> want_max = argmax(x, dim).to_vector();
  const std::vector<double> want_min = argmin(x, dim).to_vector();
  ASSERT_EQ(static_cast<int64_t>(want_max.size()), g.n_out);
  for (int64_t o = 0; o < g.n_out; ++o) {
    const auto i = static_cast<std::size_t>(o);
    EXPECT_EQ(maxes[i].index, static_cast<int64_t>(want_max[i])) << o;
    EXPECT_EQ(mins[i].index, static_cast<int64_t>(want_min[i])) << o;
  }
}

// rows x cols of a few levels (many ties), a NaN in every fifth column at
// row (3 * col) % rows and a second one later in every tenth.
Tensor ties_and_nans(int64_t rows, int64_t cols, Generator* gen) {
  std::vector<double> v =
      randint(-2, 3, {rows, cols}, DType::Int64, gen).to_vector();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t c = 0; c < cols; c += 5) {
    v[static_cast<std::size_t>((3 * c) % rows * cols + c)] = nan;
    if (c % 10 == 0) v[static_cast<std::size_t>((rows - 1) * cols + c)] = nan;
  }
  return from_vector(v, {rows, cols}, DType::Float64);
}

TEST(CudaReduceColumns, ArgModelMatchesTheCpu) {
  Generator gen(6);
  check_column_args(ties_and_nans(40, 33, &gen), 0);       // one split
  check_column_args(ties_and_nans(3000, 70, &gen), 0);     // 11 splits
  check_column_args(ties_and_nans(5000, 40, &gen), 0);     // 19 splits
  check_column_args(zeros({600, 64}, DType::Float64), 0);  // all tied: 0
  check_column_args(
      randn({3, 300, 32}, DType::Float64, &gen).permute({1, 0, 2}), 0);
}

TEST(CudaReduceColumns, ModelMatchesTheCpu) {
  Generator gen(4);
  auto x = [&](const Shape& s) { return randn(s, DType::Float64, &gen); };
  check_columns(x({40, 33}), {0});         // one split, a part-empty block
  check_columns(x({300, 100}), {0});       // one split: too few rows for two
  check_columns(x({3000, 70}), {0});       // several splits, a shorter last one
  check_columns(x({5000, 40}), {0});       // 19 splits of 264 rows
  check_columns(x({20, 30, 64}), {0, 1});  // merged reduced dims
  check_columns(x({64, 8, 5, 6}), {0, 2});              // two reduced strides
  check_columns(x({200, 3, 40}).slice(2, 0, 32), {0});  // two kept dims
  check_columns(x({33}).expand({500, 33}), {0});        // stride-0 rows
}

// n_out adjacent results over n_red rows, as reduce_geometry lays out
// sum(x, 0) of an (n_red, n_out) tensor, without the tensor.
ReduceGeometry rows_of(int64_t n_red, int64_t n_out) {
  ReduceGeometry g;
  g.kept_ndim = g.red_ndim = 1;
  g.kept_sizes[0] = g.n_out = n_out;
  g.kept_strides[0] = 1;
  g.red_sizes[0] = g.n_red = n_red;
  g.red_strides[0] = n_out;
  return g;
}

TEST(CudaReduceColumns, SplitsFillTheGpuWithinLimits) {
  EXPECT_EQ(cuda::column_splits(rows_of(255, 64)), 1) << "too few rows";
  EXPECT_EQ(cuda::column_splits(rows_of(100000, 4096)), 8)
      << "128 blocks of results: 8 splits make 1024 blocks";
  EXPECT_EQ(cuda::column_splits(rows_of(100000, 64)), 390)
      << "2 blocks of results: 512 splits wanted, 390 of 256 rows possible";
  EXPECT_EQ(cuda::column_splits(rows_of(1 << 20, 1 << 20)), 1)
      << "32768 blocks of results fill the GPU alone";
  EXPECT_EQ(cuda::column_splits(rows_of(int64_t{1} << 40, 32)), 1024);
  EXPECT_EQ(cuda::column_splits(rows_of(int64_t{1} << 40, 1)), 1024);
  // gridDim.y's limit: 65535 splits at most, however long the range.
  EXPECT_EQ(cuda::kColumnsBlocks, 1024) << "update the cases above";
  for (const int64_t n_red : {int64_t{256}, int64_t{1000}, int64_t{1} << 40}) {
    const ReduceGeometry g = rows_of(n_red, 32);
    const int64_t splits = cuda::column_splits(g);
    const int64_t len = cuda::column_split_len(g, splits);
    EXPECT_LE(splits, 65535);
    EXPECT_GE(len * splits, n_red) << "the splits cover the range";
    EXPECT_LT(len * (splits - 1), n_red) << "no split is empty";
  }
}

TEST(CudaReduceColumns, PathForResultsAdjacentInMemory) {
  auto path = [](const Tensor& x, const Dims& dims) {
    return cuda::reduce_path(geometry(x, dims));
  };
  EXPECT_EQ(path(zeros({1000, 4096}), {0}), ReducePath::kColumns);
  EXPECT_EQ(path(zeros({4096, 1000}), {0}), ReducePath::kColumns);
  EXPECT_EQ(path(zeros({4096, 1000}).t(), {1}), ReducePath::kColumns);
  EXPECT_EQ(path(zeros({512, 32, 26, 26}), {0}), ReducePath::kColumns)
      << "batch statistics";
  EXPECT_EQ(path(zeros({512, 128}), {0}), ReducePath::kColumns)
      << "a linear layer's bias gradient";
  EXPECT_EQ(path(zeros({31, 4096}), {0}), ReducePath::kThreadPerResult)
      << "fewer rows than kColumnsMinRows";
  EXPECT_EQ(path(zeros({1000, 31}), {0}), ReducePath::kBlocksPerResult)
      << "fewer results than a warp";
  EXPECT_EQ(path(zeros({1000, 64}).slice(1, 0, 64, 2), {0}),
            ReducePath::kBlocksPerResult)
      << "stepped results are not adjacent";
  EXPECT_EQ(path(zeros({64, 1000}), {1}), ReducePath::kBlocksPerResult)
      << "a contiguous run keeps its paths";
}

}  // namespace
}  // namespace fnx
