// Max pooling on the device against the CPU, at sizes the op database's
// samples do not reach: both routes of max_pool_select (cuDNN's pooling
// forward for a tensor pooled with itself, pool.cu's kernel otherwise),
// the scatter's two routes (disjoint windows, with and without elements
// that no window reads; the gather for overlapping windows), many equal
// maxima,
// NaN, 1-3 spatial dims, and per-sample gradients through max_pool2d under
// vmap(grad).
#include <limits>
#include <vector>

#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/cuda/cuda_test_util.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx::cuda_test {
namespace {

Tensor dev(const Tensor& t) { return mirror(t, device()); }

struct PoolCase {
  Shape x;
  PoolOptions o;
};

std::vector<PoolCase> cases() {
  return {
      {{64, 32, 28, 28}, {{2, 2}}},  // cuDNN route
      {{16, 8, 33, 31}, {{2, 2}}},   // disjoint windows, a remainder
      {{8, 4, 30, 29}, {{2, 3}, {3, 4}, {1, 1}}},          // gaps and padding
      {{16, 4, 100}, {{3}, {5}, {0}, {2}}},                // dilated, disjoint
      {{16, 8, 33, 31}, {{3, 3}, {2, 2}}},                 // cuDNN, overlapping
      {{16, 8, 33, 31}, {{3, 3}, {1, 1}, {1, 1}}},         // padded: kernel
      {{8, 4, 30, 30}, {{2, 2}, {1, 1}, {0, 0}, {2, 2}}},  // dilated
      {{32, 16, 1000}, {{4}, {3}, {1}}},                   // 1-d
      {{4, 8, 12, 10, 14}, {{2, 2, 2}}},                   // 3-d, cuDNN
      {{4, 8, 12, 10, 14}, {{3, 2, 3}, {2, 1, 2}, {1, 0, 1}}},
  };
}

TEST(CudaPool, SelectAndScatterMatchTheCpu) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(11);
  for (const PoolCase& c : cases()) {
    SCOPED_TRACE(shape_str(c.x) + " kernel " + shape_str(c.o.kernel));
    for (DType dtype : {DType::Float32, DType::Float64}) {
      const Tensor x = randn(c.x, dtype, &gen);
      const Tensor xd = dev(x);
      // Pooled with itself (cuDNN where it applies) and with other values.
      const Tensor y = max_pool_select(x, x, c.o);
      EXPECT_TRUE(close(max_pool_select(xd, xd, c.o), y, 0, 0));
      const Tensor v = randn(c.x, dtype, &gen);
      EXPECT_TRUE(close(max_pool_select(xd, dev(v), c.o),
                        max_pool_select(x, v, c.o), 0, 0));
      const Tensor g = randn(y.shape(), dtype, &gen);
      const Tol tol = tolerance_for(dtype);
      EXPECT_TRUE(close(max_pool_scatter(xd, dev(g), c.o),
                        max_pool_scatter(x, g, c.o), tol.atol, tol.rtol));
    }
  }
}

TEST(CudaPool, TiesAndNaNGoWhereTheCpuPutsThem) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(12);
  // Small integers after a relu: most windows hold equal maxima (zeros).
  const Tensor x = relu(floor(randn({8, 4, 20, 20}, DType::Float32, &gen)));
  const PoolOptions o{{3, 3}, {1, 1}, {1, 1}};
  const Tensor g = randn(max_pool2d(x, o).shape(), DType::Float32, &gen);
  EXPECT_TRUE(close(max_pool_scatter(dev(x), dev(g), o),
                    max_pool_scatter(x, g, o), 1e-6, 1e-6));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor with_nan = from_vector(
      std::vector<double>{1, nan, 5, 2, nan, 9, 3, 3, 0, 0, 7, nan, 0, 0, 7, 1},
      {1, 1, 4, 4}, DType::Float32);
  const PoolOptions two{{2, 2}};
  EXPECT_TRUE(
      close(max_pool2d(dev(with_nan), two), max_pool2d(with_nan, two), 0, 0));
  const Tensor v = randn({1, 1, 4, 4}, DType::Float32, &gen);
  EXPECT_TRUE(close(max_pool_select(dev(with_nan), dev(v), two),
                    max_pool_select(with_nan, v, two), 0, 0));
}

TEST(CudaPool, PerSampleGradientsThroughMaxPool) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(13);
  const Tensor x = randn({16, 3, 12, 12}, DType::Float32, &gen);
  const Tensor w = randn({4, 3, 3, 3}, DType::Float32, &gen);
  auto loss = [](const Tensor& weight, const Tensor& image) {
    const Tensor h = conv2d(unsqueeze(image, 0), weight, {}, {.padding = {1}});
    return sum(square(max_pool2d(relu(h), {{2, 2}})));
  };
  auto per_sample = [&](const Tensor& weight, const Tensor& images) {
    return vmap(grad(loss), {none, 0})(weight, images);
  };
  EXPECT_TRUE(close(per_sample(dev(w), dev(x)), per_sample(w, x), 1e-3, 1e-4));
}

}  // namespace
}  // namespace fnx::cuda_test
