// Unfold's and Fold's index arithmetic as the CUDA kernels compute it
// (backends/cuda/window.h, compiled here for the host) against the CPU
// backend's unfold and fold: 1-3 spatial dims, stride, padding, dilation.
// Runs in every build.
#include "backends/cuda/window.h"

#include <vector>

#include "core/ops/ops.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

using cuda::WindowGeometry;

// As backends/cuda/unfold.cc builds it.
WindowGeometry geometry(int64_t images, const Shape& in, const Shape& kernel,
                        const Shape& stride, const Shape& padding,
                        const Shape& dilation) {
  WindowGeometry g;
  g.spatial = static_cast<int>(in.size());
  g.images = images;
  for (int d = 0; d < g.spatial; ++d) {
    g.in[d] = in[d];
    g.kernel[d] = kernel[d];
    g.stride[d] = stride[d];
    g.padding[d] = padding[d];
    g.dilation[d] = dilation[d];
    const int64_t span = g.dilation[d] * (g.kernel[d] - 1) + 1;
    g.out[d] = (g.in[d] + 2 * g.padding[d] - span) / g.stride[d] + 1;
    g.in_numel *= g.in[d];
    g.kernel_numel *= g.kernel[d];
    g.out_numel *= g.out[d];
  }
  return g;
}

struct Case {
  Shape x;  // (N, C, *spatial)
  Shape kernel, stride, padding, dilation;
};

TEST(CudaWindow, UnfoldAndFoldMatchTheCpu) {
  const std::vector<Case> cases = {
      {{2, 3, 11}, {3}, {2}, {1}, {1}},
      {{1, 2, 7, 6}, {2, 3}, {1, 2}, {1, 0}, {2, 1}},
      {{2, 1, 8, 8}, {2, 2}, {2, 2}, {0, 0}, {1, 1}},  // max_pool2d's
      {{1, 2, 5, 4, 6}, {2, 2, 3}, {1, 2, 1}, {1, 0, 1}, {1, 1, 2}},
  };
  Generator gen(0);
  for (const Case& c : cases) {
    SCOPED_TRACE(shape_str(c.x) + " kernel " + shape_str(c.kernel));
    const Tensor x = randn(c.x, DType::Float64, &gen);
    const PoolOptions o{.kernel = c.kernel,
                        .stride = c.stride,
                        .padding = c.padding,
                        .dilation = c.dilation};
    const Tensor want = unfold(x, o, -7.0);
    const Shape spatial(c.x.begin() + 2, c.x.end());
    const WindowGeometry g = geometry(c.x[0] * c.x[1], spatial, c.kernel,
                                      c.stride, c.padding, c.dilation);
    ASSERT_EQ(g.images * g.kernel_numel * g.out_numel, want.numel());
    const std::vector<double> xs = x.to_vector();
    const std::vector<double> ws = want.to_vector();
    for (int64_t i = 0; i < want.numel(); ++i) {
      const int64_t s = cuda::unfold_source(g, i);
      EXPECT_EQ(s >= 0 ? xs[s] : -7.0, ws[i]) << "patch entry " << i;
    }
    // Fold: each image element sums the patch entries that read it.
    const Tensor patches = randn(want.shape(), DType::Float64, &gen);
    const Tensor folded = fold(patches, spatial, o);
    const std::vector<double> ps = patches.to_vector();
    const std::vector<double> fs = folded.to_vector();
    ASSERT_EQ(g.images * g.in_numel, folded.numel());
    for (int64_t i = 0; i < folded.numel(); ++i) {
      double acc = 0;
      cuda::for_each_reader(g, i, [&](int64_t p) { acc += ps[p]; });
      EXPECT_NEAR(acc, fs[i], 1e-12) << "image element " << i;
    }
  }
}

}  // namespace
}  // namespace fnx
