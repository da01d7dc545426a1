// How the CUDA backend lays out reductions (backends/cuda/reduce_plan.h)
// checked on the host: each plan runs through a model of the kernels
// (result o sums x at kept offset(o) + reduced offset(r), with the kernels'
// offset arithmetic) and must equal the CPU backend's sum; the reduced dims
// come in memory order. Needs no GPU and no CUDA: runs in every build.
#include "backends/cuda/reduce_plan.h"

#include <vector>

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

}  // namespace
}  // namespace fnx
