// Unfold's, Fold's and max pooling's index arithmetic as the CUDA kernels
// compute it (backends/cuda/window.h, compiled here for the host) against
// the CPU backend's unfold, fold, max_pool_select and max_pool_scatter: 1-3
// spatial dims, stride, padding, dilation, ties and NaN. Runs in every
// build.
#include "backends/cuda/window.h"

#include <cmath>
#include <limits>
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

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {{2, 3, 11}, {3}, {2}, {1}, {1}},
      {{1, 2, 7, 6}, {2, 3}, {1, 2}, {1, 0}, {2, 1}},
      {{2, 1, 8, 8}, {2, 2}, {2, 2}, {0, 0}, {1, 1}},  // max_pool2d's
      {{2, 2, 6, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1}},  // overlapping windows
      {{1, 2, 5, 4, 6}, {2, 2, 3}, {1, 2, 1}, {1, 0, 1}, {1, 1, 2}},
      // Disjoint windows that leave elements out: a remainder, gaps
      // (stride > kernel), padding, dilation's holes.
      {{2, 2, 7, 9}, {2, 2}, {2, 2}, {0, 0}, {1, 1}},
      {{1, 3, 10, 11}, {2, 3}, {3, 4}, {1, 1}, {1, 1}},
      {{2, 1, 13}, {2}, {4}, {0}, {3}},
  };
  return all;
}

PoolOptions options_of(const Case& c) {
  return PoolOptions{.kernel = c.kernel,
                     .stride = c.stride,
                     .padding = c.padding,
                     .dilation = c.dilation};
}

TEST(CudaWindow, UnfoldAndFoldMatchTheCpu) {
  Generator gen(0);
  for (const Case& c : cases()) {
    SCOPED_TRACE(shape_str(c.x) + " kernel " + shape_str(c.kernel));
    const Tensor x = randn(c.x, DType::Float64, &gen);
    const PoolOptions o = options_of(c);
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

// pool.cu's plan: select reads values at window_argmax; scatter writes
// every window's argmax, then each image element sums the gradients of the
// covering windows whose argmax it is; or, for disjoint windows, each
// window writes its own elements.
void expect_pooling_matches_cpu(const Tensor& x, const Case& c,
                                Generator& gen) {
  const PoolOptions o = options_of(c);
  const Shape spatial(c.x.begin() + 2, c.x.end());
  const WindowGeometry g = geometry(c.x[0] * c.x[1], spatial, c.kernel,
                                    c.stride, c.padding, c.dilation);
  const Tensor values = randn(c.x, DType::Float64, &gen);
  const std::vector<double> xs = x.to_vector(), vs = values.to_vector();
  const std::vector<double> selected =
      max_pool_select(x, values, o).to_vector();
  ASSERT_EQ(static_cast<int64_t>(selected.size()), g.images * g.out_numel);
  std::vector<int64_t> places(selected.size());
  for (int64_t i = 0; i < g.images * g.out_numel; ++i) {
    const int64_t image = i / g.out_numel;
    const int64_t at =
        cuda::window_argmax(g, xs.data() + image * g.in_numel, i % g.out_numel);
    ASSERT_GE(at, 0);
    places[i] = at;
    EXPECT_EQ(vs[image * g.in_numel + at], selected[i]) << "window " << i;
  }
  const Tensor grad =
      randn(max_pool_select(x, x, o).shape(), DType::Float64, &gen);
  const std::vector<double> gs = grad.to_vector();
  const std::vector<double> dx = max_pool_scatter(x, grad, o).to_vector();
  ASSERT_EQ(static_cast<int64_t>(dx.size()), g.images * g.in_numel);
  for (int64_t i = 0; i < g.images * g.in_numel; ++i) {
    const int64_t image = i / g.in_numel, pos = i % g.in_numel;
    double acc = 0;
    cuda::for_each_covering_window(g, pos, [&](int64_t, int64_t w) {
      if (places[image * g.out_numel + w] == pos) {
        acc += gs[image * g.out_numel + w];
      }
    });
    EXPECT_NEAR(acc, dx[i], 1e-12) << "image element " << i;
  }
  if (!cuda::windows_disjoint(g)) return;
  // Disjoint windows: zeros where no window reads (unless the windows
  // cover the image), then each window writes its own elements.
  const double unwritten = -123.0;
  std::vector<double> by_window(dx.size(),
                                cuda::windows_cover_image(g) ? unwritten : 0.0);
  std::vector<int> writes(dx.size(), 0);
  for (int64_t i = 0; i < g.images * g.out_numel; ++i) {
    const int64_t image = i / g.out_numel;
    cuda::for_each_window_element(g, i % g.out_numel, [&](int64_t pos) {
      const int64_t e = image * g.in_numel + pos;
      by_window[e] = pos == places[i] ? gs[i] : 0.0;
      ++writes[e];
    });
  }
  for (std::size_t e = 0; e < dx.size(); ++e) {
    EXPECT_LE(writes[e], 1) << "image element " << e << " in two windows";
    EXPECT_EQ(by_window[e], dx[e]) << "image element " << e;
  }
}

TEST(CudaWindow, MaxPoolingMatchesTheCpu) {
  Generator gen(1);
  for (const Case& c : cases()) {
    SCOPED_TRACE(shape_str(c.x) + " kernel " + shape_str(c.kernel));
    expect_pooling_matches_cpu(randn(c.x, DType::Float64, &gen), c, gen);
    // Small integers: many equal maxima (the first one counts).
    SCOPED_TRACE("ties");
    expect_pooling_matches_cpu(
        floor(mul(randn(c.x, DType::Float64, &gen), 1.5)), c, gen);
  }
}

TEST(CudaWindow, MaxPoolingPicksTheFirstNaN) {
  const Case c{{1, 1, 4, 4}, {2, 2}, {2, 2}, {0, 0}, {1, 1}};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = from_vector(
      std::vector<double>{1, nan, 5, 2, nan, 9, 3, 3, 0, 0, 7, nan, 0, 0, 7, 1},
      {1, 1, 4, 4}, DType::Float64);
  Generator gen(2);
  expect_pooling_matches_cpu(x, c, gen);
  const WindowGeometry g =
      geometry(1, {4, 4}, c.kernel, c.stride, c.padding, c.dilation);
  const std::vector<double> xs = x.to_vector();
  EXPECT_EQ(cuda::window_argmax(g, xs.data(), 0), 1);   // NaN over 9
  EXPECT_EQ(cuda::window_argmax(g, xs.data(), 1), 2);   // 5
  EXPECT_EQ(cuda::window_argmax(g, xs.data(), 2), 8);   // all zeros: first
  EXPECT_EQ(cuda::window_argmax(g, xs.data(), 3), 11);  // NaN
  // The CPU's plain-max path (x pooled with itself) against its argmax path
  // (x pooled with a copy of itself): NaN where a window holds one.
  const std::vector<double> plain =
      max_pool_select(x, x, options_of(c)).to_vector();
  const std::vector<double> picked =
      max_pool_select(x, clone(x), options_of(c)).to_vector();
  ASSERT_EQ(plain.size(), 4u);
  for (std::size_t i = 0; i < plain.size(); ++i) {
    EXPECT_EQ(std::isnan(plain[i]), std::isnan(picked[i])) << i;
    if (!std::isnan(picked[i])) {
      EXPECT_EQ(plain[i], picked[i]) << i;
    }
  }
  EXPECT_TRUE(std::isnan(plain[0]) && std::isnan(plain[3]));
}

}  // namespace
}  // namespace fnx
