// Conv, ConvInputGrad, ConvWeightGrad, Unfold and Fold against naive
// float64 loops over 1, 2 and 3 spatial dims (stride, padding, dilation,
// groups), plus the 1x1 fast path and zero sizes.
#include "tests/backends_cpu/test_util.h"

namespace fnx::cpu_test {
namespace {

struct Spec {
  int64_t n, c_in, c_out, groups;
  Shape in, kernel, stride, padding, dilation;

  Shape out_spatial() const {
    Shape o;
    for (size_t d = 0; d < in.size(); ++d) {
      const int64_t span =
          in[d] + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1;
      o.push_back(span < 0 ? 0 : span / stride[d] + 1);
    }
    return o;
  }
  Shape x_shape() const { return cat({n, c_in}, in); }
  Shape w_shape() const { return cat({c_out, c_in / groups}, kernel); }
  Shape y_shape() const { return cat({n, c_out}, out_spatial()); }
  ConvAttrs attrs() const {
    ConvAttrs a;
    a.stride = stride;
    a.padding = padding;
    a.dilation = dilation;
    a.groups = groups;
    a.input_shape = x_shape();
    a.weight_shape = w_shape();
    return a;
  }
  static Shape cat(Shape a, const Shape& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }
};

// Pads a spatial shape to 3 dims with `fill`.
Shape to3(const Shape& s, int64_t fill) {
  Shape r = s;
  while (r.size() < 3) r.push_back(fill);
  return r;
}

// Calls f(n, co, ci, out_flat, in_flat, w_flat) for every valid (output,
// kernel tap) pair of the convolution.
template <typename F>
void for_each_tap(const Spec& s, F f) {
  const Shape in = to3(s.in, 1), k = to3(s.kernel, 1), st = to3(s.stride, 1),
              pd = to3(s.padding, 0), dl = to3(s.dilation, 1),
              out = to3(s.out_spatial(), 1);
  const int64_t cig = s.c_in / s.groups, cog = s.c_out / s.groups;
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t co = 0; co < s.c_out; ++co)
      for (int64_t cl = 0; cl < cig; ++cl)
        for (int64_t o0 = 0; o0 < out[0]; ++o0)
          for (int64_t o1 = 0; o1 < out[1]; ++o1)
            for (int64_t o2 = 0; o2 < out[2]; ++o2)
              for (int64_t k0 = 0; k0 < k[0]; ++k0)
                for (int64_t k1 = 0; k1 < k[1]; ++k1)
                  for (int64_t k2 = 0; k2 < k[2]; ++k2) {
                    const int64_t i0 = o0 * st[0] - pd[0] + k0 * dl[0];
                    const int64_t i1 = o1 * st[1] - pd[1] + k1 * dl[1];
                    const int64_t i2 = o2 * st[2] - pd[2] + k2 * dl[2];
                    if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] ||
                        i2 < 0 || i2 >= in[2])
                      continue;
                    const int64_t ci = (co / cog) * cig + cl;
                    const int64_t y =
                        (((n * s.c_out + co) * out[0] + o0) * out[1] + o1) *
                            out[2] +
                        o2;
                    const int64_t x =
                        (((n * s.c_in + ci) * in[0] + i0) * in[1] + i1) *
                            in[2] +
                        i2;
                    const int64_t w =
                        (((co * cig + cl) * k[0] + k0) * k[1] + k1) * k[2] + k2;
                    f(y, x, w);
                  }
}

const std::vector<Spec>& specs() {
  static const std::vector<Spec> s = {
      {2, 3, 4, 1, {9}, {3}, {2}, {1}, {2}},
      {1, 2, 2, 2, {5}, {1}, {1}, {0}, {1}},                 // 1x1 depthwise
      {2, 4, 6, 2, {6, 7}, {3, 2}, {2, 1}, {1, 2}, {1, 2}},  // groups
      {1, 3, 2, 1, {5, 5}, {1, 1}, {1, 1}, {0, 0}, {1, 1}},  // col == image
      {2, 2, 3, 1, {4, 5, 3}, {2, 3, 2}, {1, 2, 1}, {1, 0, 1}, {1, 1, 2}},
      {1, 1, 1, 1, {2, 2}, {3, 3}, {1, 1}, {1, 1}, {1, 1}},  // kernel > input
  };
  return s;
}

void check_conv(const Spec& s, uint32_t seed, const std::string& what) {
  const Tensor x = random_t(s.x_shape(), kF64, 100 + seed);
  const Tensor w = random_t(s.w_shape(), kF64, 200 + seed);
  const Tensor gy = random_t(s.y_shape(), kF64, 300 + seed);
  const auto xv = values(x), wv = values(w), gv = values(gy);
  std::vector<double> y(numel(s.y_shape()), 0), gx(xv.size(), 0),
      gw(wv.size(), 0);
  for_each_tap(s, [&](int64_t yi, int64_t xi, int64_t wi) {
    y[yi] += xv[xi] * wv[wi];
    gx[xi] += gv[yi] * wv[wi];
    gw[wi] += gv[yi] * xv[xi];
  });
  expect_near_all(values(run(Prim::Conv, s.attrs(), {x, w}, s.y_shape(), kF64)),
                  y, 1e-12, what + " conv");
  expect_near_all(
      values(run(Prim::ConvInputGrad, s.attrs(), {gy, w}, s.x_shape(), kF64)),
      gx, 1e-12, what + " input grad");
  expect_near_all(
      values(run(Prim::ConvWeightGrad, s.attrs(), {x, gy}, s.w_shape(), kF64)),
      gw, 1e-12, what + " weight grad");
  // Float32 and non-contiguous inputs give the same numbers.
  const Tensor xt = make_transposed(xv, s.x_shape(), kF32);
  expect_near_all(
      values(run(Prim::Conv, s.attrs(), {xt, w}, s.y_shape(), kF32)), y, 1e-5,
      what + " conv float32 transposed x");
}

TEST(Conv, ForwardAndBothGradientsMatchNaiveLoops) {
  for (size_t i = 0; i < specs().size(); ++i) {
    check_conv(specs()[i], i, "spec " + std::to_string(i));
  }
}

TEST(Conv, SeveralChunksOfSamples) {
  // 104 samples of 72 x 576 columns exceed the ~4M-element column budget.
  check_conv({104, 8, 1, 1, {24, 24}, {3, 3}, {1, 1}, {1, 1}, {1, 1}}, 42,
             "chunked");
}

TEST(Conv, LargeGemmsRunPerSample) {
  // cout_g * P * rows_g >= 64^3: one GEMM per (sample, group).
  check_conv({2, 16, 16, 2, {24, 24}, {3, 3}, {1, 1}, {1, 1}, {1, 1}}, 43,
             "per-sample im2col");
  check_conv({2, 64, 64, 1, {8, 8}, {1, 1}, {1, 1}, {0, 0}, {1, 1}}, 44,
             "per-sample 1x1");
}

TEST(Conv, ZeroSizes) {
  Spec s{0, 2, 3, 1, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1}};
  EXPECT_EQ(run(Prim::Conv, s.attrs(),
                {empty(s.x_shape()), random_t(s.w_shape(), kF32, 1)},
                s.y_shape(), kF32)
                .numel(),
            0);
  EXPECT_EQ(
      values(run(Prim::ConvWeightGrad, s.attrs(),
                 {empty(s.x_shape()), empty(s.y_shape())}, s.w_shape(), kF32)),
      std::vector<double>(numel(s.w_shape()), 0));
  Spec c0{2, 0, 3, 1, {4}, {3}, {1}, {0}, {1}};  // no input channels: zeros
  EXPECT_EQ(values(run(Prim::Conv, c0.attrs(),
                       {empty(c0.x_shape()), empty(c0.w_shape())}, c0.y_shape(),
                       kF32)),
            std::vector<double>(numel(c0.y_shape()), 0));
}

TEST(Conv, MismatchedChannelsAreErrors) {
  Spec s{1, 4, 4, 2, {5}, {3}, {1}, {0}, {1}};
  const std::string msg = error_of([&] {
    run(Prim::Conv, s.attrs(),
        {random_t({1, 3, 5}, kF32, 1), random_t(s.w_shape(), kF32, 2)},
        s.y_shape(), kF32);
  });
  EXPECT_NE(msg.find("[conv]"), std::string::npos) << msg;
}

UnfoldAttrs unfold_attrs(const Spec& s, double pad_value) {
  UnfoldAttrs a;
  a.kernel = s.kernel;
  a.stride = s.stride;
  a.padding = s.padding;
  a.dilation = s.dilation;
  a.pad_value = pad_value;
  a.input_spatial = s.in;
  return a;
}

TEST(Unfold, PatchesAndTheirTranspose) {
  for (size_t i = 0; i < specs().size(); ++i) {
    Spec s = specs()[i];
    s.c_out = s.c_in;
    s.groups = 1;
    const std::string what = "spec " + std::to_string(i);
    const int64_t kk = numel(s.kernel);
    const Shape patches_shape = Spec::cat({s.n, s.c_in, kk}, s.out_spatial());
    const int64_t p = numel(s.out_spatial());
    const Tensor x = random_t(s.x_shape(), kF64, 400 + i);
    const Tensor g = random_t(patches_shape, kF64, 500 + i);
    const auto xv = values(x), gv = values(g);
    // Naive: walk every (n, c, tap, position) with a one-channel conv spec.
    std::vector<double> want(numel(patches_shape), -7.5), folded(xv.size(), 0);
    Spec one = s;
    one.n = 1;
    one.c_in = one.c_out = 1;
    const int64_t in_numel = numel(s.in);
    for (int64_t nc = 0; nc < s.n * s.c_in; ++nc) {
      // Tap index within the kernel: recover it from the weight index.
      for_each_tap(one, [&](int64_t yi, int64_t xi, int64_t wi) {
        const int64_t pi = (nc * kk + wi) * p + yi;
        want[pi] = xv[nc * in_numel + xi];
        folded[nc * in_numel + xi] += gv[pi];
      });
    }
    const Tensor u =
        run(Prim::Unfold, unfold_attrs(s, -7.5), {x}, patches_shape, kF64);
    expect_near_all(values(u), want, 0, what + " unfold");
    const Tensor f =
        run(Prim::Fold, unfold_attrs(s, 0), {g}, s.x_shape(), kF64);
    expect_near_all(values(f), folded, 1e-12, what + " fold");
  }
}

}  // namespace
}  // namespace fnx::cpu_test
