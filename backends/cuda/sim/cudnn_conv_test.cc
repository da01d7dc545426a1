// The simulated cuDNN convolutions: forward against a direct loop, 1-d
// (as the backend passes it: 2-d with a trailing 1), 2-d and 3-d, with
// groups, stride, padding, dilation, both modes and strided tensors; the
// backward passes through the adjoint identity; math types; the algorithm
// lists; and the statuses misuse gets.
#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "backends/cuda/sim/sim_libs_test_util.h"

namespace cuda_sim_test {
namespace {

// A convolution of x (n, c, in...) with w (k, c / groups, size...); the
// spatial vectors have 2 or 3 dims (a 1-d convolution has a trailing 1, as
// cuDNN wants and the backend does).
struct ConvCase {
  int n, c, k, groups;
  std::vector<int> in, size, pad, stride, dilation;
  cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;

  std::vector<int> out() const {
    std::vector<int> o;
    for (std::size_t i = 0; i < in.size(); ++i) {
      o.push_back((in[i] + 2 * pad[i] - dilation[i] * (size[i] - 1) - 1) /
                      stride[i] +
                  1);
    }
    return o;
  }
  std::vector<int> x_dims() const { return dims_of(n, c, in); }
  std::vector<int> w_dims() const { return dims_of(k, c / groups, size); }
  std::vector<int> y_dims() const { return dims_of(n, k, out()); }
};

// The forward convolution by its definition, packed tensors, in double.
std::vector<double> conv_reference(const ConvCase& cc,
                                   const std::vector<double>& x,
                                   const std::vector<double>& w) {
  const auto in = three(cc.in, 1), size = three(cc.size, 1),
             pad = three(cc.pad, 0), st = three(cc.stride, 1),
             dil = three(cc.dilation, 1), out = three(cc.out(), 1);
  const int cg = cc.c / cc.groups, kg = cc.k / cc.groups;
  std::vector<double> y(numel(cc.y_dims()));
  int yi = 0;
  for (int n = 0; n < cc.n; ++n) {
    for (int k = 0; k < cc.k; ++k) {
      for (int o0 = 0; o0 < out[0]; ++o0) {
        for (int o1 = 0; o1 < out[1]; ++o1) {
          for (int o2 = 0; o2 < out[2]; ++o2) {
            double acc = 0;
            for (int c = 0; c < cg; ++c) {
              const int xc = k / kg * cg + c;
              for (int r0 = 0; r0 < size[0]; ++r0) {
                for (int r1 = 0; r1 < size[1]; ++r1) {
                  for (int r2 = 0; r2 < size[2]; ++r2) {
                    const int i0 = o0 * st[0] - pad[0] + r0 * dil[0];
                    const int i1 = o1 * st[1] - pad[1] + r1 * dil[1];
                    const int i2 = o2 * st[2] - pad[2] + r2 * dil[2];
                    if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] ||
                        i2 < 0 || i2 >= in[2]) {
                      continue;
                    }
                    const bool f = cc.mode == CUDNN_CONVOLUTION;
                    const int w0 = f ? size[0] - 1 - r0 : r0;
                    const int w1 = f ? size[1] - 1 - r1 : r1;
                    const int w2 = f ? size[2] - 1 - r2 : r2;
                    acc += x[(((n * cc.c + xc) * in[0] + i0) * in[1] + i1) *
                                 in[2] +
                             i2] *
                           w[(((k * cg + c) * size[0] + w0) * size[1] + w1) *
                                 size[2] +
                             w2];
                  }
                }
              }
            }
            y[yi++] = acc;
          }
        }
      }
    }
  }
  return y;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

const std::vector<ConvCase>& conv_cases() {
  static const auto* cases = new std::vector<ConvCase>{
      // 1-d: stride and padding.
      {2, 3, 4, 1, {9, 1}, {3, 1}, {1, 0}, {2, 1}, {1, 1}},
      // 2-d: groups, dilation, stride, unequal padding.
      {2, 4, 6, 2, {7, 6}, {3, 2}, {1, 1}, {2, 1}, {2, 1}},
      // 2-d depthwise, true convolution (flipped filter).
      {1, 3, 3, 3, {5, 5}, {3, 3}, {1, 2}, {1, 2}, {1, 1}, CUDNN_CONVOLUTION},
      // 3-d.
      {1, 2, 3, 1, {5, 4, 6}, {2, 3, 2}, {0, 1, 1}, {1, 2, 1}, {2, 1, 1}},
  };
  return *cases;
}

// A case's convolution descriptor, and its x, y and w descriptors packed
// (NCHW, no gaps).
cudnnConvolutionDescriptor_t conv_of(Descriptors& d, const ConvCase& cc,
                                     cudnnDataType_t dt) {
  return d.conv(cc.pad, cc.stride, cc.dilation, cc.mode, dt, cc.groups);
}

struct CaseDescriptors {
  cudnnTensorDescriptor_t x, y;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t conv;
};

CaseDescriptors packed(Descriptors& d, const ConvCase& cc, cudnnDataType_t dt) {
  const auto xd = cc.x_dims(), yd = cc.y_dims();
  return {d.tensor(dt, xd, packed_strides(xd)),
          d.tensor(dt, yd, packed_strides(yd)), d.filter(dt, cc.w_dims()),
          conv_of(d, cc, dt)};
}

class Cudnn : public CudnnTest {
 protected:
  // Forward with alpha and beta over strided x and y, against the
  // reference.
  template <typename T>
  void check_forward(const ConvCase& cc) {
    const cudnnDataType_t dt = data_type<T>();
    Descriptors d;
    const auto xd = cc.x_dims(), wd = cc.w_dims(), yd = cc.y_dims();
    const auto xs = channels_last_strides(xd), ys = channels_last_strides(yd);
    const auto x = random_vector<T>(extent(xd, xs), 10);
    const auto w = random_vector<T>(numel(wd), 11);
    const auto y0 = random_vector<T>(extent(yd, ys), 12);
    DeviceArray<T> dx(x), dw(w), dy(y0);
    auto conv = conv_of(d, cc, dt);
    ASSERT_EQ(cudnnSetConvolutionMathType(conv, CUDNN_FMA_MATH),
              CUDNN_STATUS_SUCCESS);
    const T alpha = 2, beta = 0.5;
    ASSERT_EQ(cudnnConvolutionForward(
                  h_, &alpha, d.tensor(dt, xd, xs), dx.get(), d.filter(dt, wd),
                  dw.get(), conv, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                  nullptr, 0, &beta, d.tensor(dt, yd, ys), dy.get()),
              CUDNN_STATUS_SUCCESS);
    const auto expected = conv_reference(cc, unstride(x, xd, xs),
                                         unstride(w, wd, packed_strides(wd)));
    const auto before = unstride(y0, yd, ys);
    const auto got = unstride(dy.read(), yd, ys);
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_NEAR(got[i], 2 * expected[i] + 0.5 * before[i],
                  20 * tolerance<T>())
          << "element " << i;
    }
  }
};

TEST_F(Cudnn, ForwardMatchesTheReference) {
  for (const ConvCase& cc : conv_cases()) {
    SCOPED_TRACE(testing::Message()
                 << cc.in.size() << "-d, groups " << cc.groups);
    check_forward<double>(cc);
    check_forward<float>(cc);
  }
}

// <conv(x, w), dy> = <x, backward_data(w, dy)> = <w, backward_filter(x,
// dy)>: the backward passes are the adjoints of the forward one. Results
// start as NaN (fresh device memory), so beta == 0 must not read them.
TEST_F(Cudnn, BackwardPassesAreAdjoints) {
  const cudnnDataType_t dt = CUDNN_DATA_DOUBLE;
  for (const ConvCase& cc : conv_cases()) {
    SCOPED_TRACE(testing::Message()
                 << cc.in.size() << "-d, groups " << cc.groups);
    Descriptors d;
    const auto xd = cc.x_dims(), wd = cc.w_dims(), yd = cc.y_dims();
    const auto xs = channels_last_strides(xd), ys = packed_strides(yd);
    const auto x = random_vector<double>(extent(xd, xs), 20);
    const auto w = random_vector<double>(numel(wd), 21);
    const auto dy = random_vector<double>(numel(yd), 22);
    DeviceArray<double> x_d(x), w_d(w), dy_d(dy), y_d(numel(yd));
    DeviceArray<double> dx_d(extent(xd, xs)), dw_d(numel(wd));
    auto xdesc = d.tensor(dt, xd, xs), ydesc = d.tensor(dt, yd, ys);
    auto wdesc = d.filter(dt, wd);
    auto conv = conv_of(d, cc, dt);
    const double one = 1, zero = 0;
    ASSERT_EQ(
        cudnnConvolutionForward(h_, &one, xdesc, x_d.get(), wdesc, w_d.get(),
                                conv, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                nullptr, 0, &zero, ydesc, y_d.get()),
        CUDNN_STATUS_SUCCESS);
    ASSERT_EQ(cudnnConvolutionBackwardData(
                  h_, &one, wdesc, w_d.get(), ydesc, dy_d.get(), conv,
                  CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, nullptr, 0, &zero, xdesc,
                  dx_d.get()),
              CUDNN_STATUS_SUCCESS);
    ASSERT_EQ(cudnnConvolutionBackwardFilter(
                  h_, &one, xdesc, x_d.get(), ydesc, dy_d.get(), conv,
                  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0, nullptr, 0, &zero, wdesc,
                  dw_d.get()),
              CUDNN_STATUS_SUCCESS);
    const auto px = unstride(x, xd, xs),
               pw = unstride(w, wd, packed_strides(wd));
    const auto pdy = unstride(dy, yd, ys);
    const double forward = dot(unstride(y_d.read(), yd, ys), pdy);
    EXPECT_NEAR(forward, dot(conv_reference(cc, px, pw), pdy), 1e-10);
    EXPECT_NEAR(forward, dot(px, unstride(dx_d.read(), xd, xs)), 1e-10);
    EXPECT_NEAR(forward, dot(pw, unstride(dw_d.read(), wd, packed_strides(wd))),
                1e-10);
  }
}

// With beta == 1 the backward passes accumulate into their result.
TEST_F(Cudnn, BackwardBetaAccumulates) {
  const cudnnDataType_t dt = CUDNN_DATA_DOUBLE;
  const ConvCase& cc = conv_cases()[1];
  Descriptors d;
  const auto xd = cc.x_dims(), wd = cc.w_dims(), yd = cc.y_dims();
  const auto [xdesc, ydesc, wdesc, conv] = packed(d, cc, dt);
  const auto w = random_vector<double>(numel(wd), 1);
  const auto dy = random_vector<double>(numel(yd), 2);
  DeviceArray<double> w_d(w), dy_d(dy), dx_d(numel(xd));
  const double one = 1, zero = 0, two = 2;
  auto run = [&](const double* beta) {
    ASSERT_EQ(cudnnConvolutionBackwardData(h_, &one, wdesc, w_d.get(), ydesc,
                                           dy_d.get(), conv,
                                           CUDNN_CONVOLUTION_BWD_DATA_ALGO_0,
                                           nullptr, 0, beta, xdesc, dx_d.get()),
              CUDNN_STATUS_SUCCESS);
  };
  run(&zero);
  const auto once = dx_d.read();
  run(&two);  // 2 * once + once
  const auto thrice = dx_d.read();
  for (std::size_t i = 0; i < once.size(); ++i) {
    EXPECT_NEAR(thrice[i], 3 * once[i], 1e-12);
  }
}

// Tensor-op math rounds float inputs to TF32; FMA and default math do not.
TEST_F(Cudnn, TensorOpMathRoundsFloatInputsToTf32) {
  const cudnnDataType_t dt = CUDNN_DATA_FLOAT;
  Descriptors d;
  const std::vector<float> x = {1 + std::ldexp(1.0f, -11),
                                1 + 3 * std::ldexp(1.0f, -11)};
  DeviceArray<float> x_d(x), w_d(std::vector<float>{1}), y_d(2);
  auto xdesc = d.tensor(dt, {1, 1, 2, 1}, {2, 2, 1, 1});
  auto wdesc = d.filter(dt, {1, 1, 1, 1});
  auto conv = d.conv({0, 0}, {1, 1}, {1, 1}, CUDNN_CROSS_CORRELATION, dt, 1);
  const float one = 1, zero = 0;
  auto run = [&](cudnnMathType_t math) {
    EXPECT_EQ(cudnnSetConvolutionMathType(conv, math), CUDNN_STATUS_SUCCESS);
    EXPECT_EQ(
        cudnnConvolutionForward(h_, &one, xdesc, x_d.get(), wdesc, w_d.get(),
                                conv, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                nullptr, 0, &zero, xdesc, y_d.get()),
        CUDNN_STATUS_SUCCESS);
    return y_d.read();
  };
  EXPECT_EQ(run(CUDNN_FMA_MATH), x);
  EXPECT_EQ(run(CUDNN_DEFAULT_MATH), x);
  EXPECT_EQ(run(CUDNN_TENSOR_OP_MATH),
            (std::vector<float>{1, 1 + std::ldexp(1.0f, -9)}));
}

// The heuristics list a tensor-op algorithm that wants workspace, a plain
// one that does not, then one that is not supported.
TEST_F(Cudnn, AlgorithmLists) {
  const ConvCase& cc = conv_cases()[1];
  for (cudnnDataType_t dt : {CUDNN_DATA_FLOAT, CUDNN_DATA_DOUBLE}) {
    Descriptors d;
    const auto [xdesc, ydesc, wdesc, conv] = packed(d, cc, dt);
    cudnnConvolutionFwdAlgoPerf_t fwd[8];
    int n = 0;
    ASSERT_EQ(cudnnGetConvolutionForwardAlgorithm_v7(h_, xdesc, wdesc, conv,
                                                     ydesc, 8, &n, fwd),
              CUDNN_STATUS_SUCCESS);
    ASSERT_EQ(n, 3);
    EXPECT_EQ(fwd[0].status, CUDNN_STATUS_SUCCESS);
    EXPECT_GT(fwd[0].memory, 0u);
    EXPECT_EQ(fwd[0].mathType, dt == CUDNN_DATA_FLOAT ? CUDNN_TENSOR_OP_MATH
                                                      : CUDNN_DEFAULT_MATH);
    EXPECT_EQ(fwd[1].status, CUDNN_STATUS_SUCCESS);
    EXPECT_EQ(fwd[1].memory, 0u);
    EXPECT_EQ(fwd[1].mathType, CUDNN_DEFAULT_MATH);
    EXPECT_LT(fwd[0].time, fwd[1].time);
    EXPECT_EQ(fwd[2].status, CUDNN_STATUS_NOT_SUPPORTED);

    cudnnConvolutionBwdDataAlgoPerf_t bwd_data[1];
    ASSERT_EQ(cudnnGetConvolutionBackwardDataAlgorithm_v7(
                  h_, wdesc, ydesc, conv, xdesc, 1, &n, bwd_data),
              CUDNN_STATUS_SUCCESS);
    EXPECT_EQ(n, 1);
    EXPECT_EQ(bwd_data[0].algo, CUDNN_CONVOLUTION_BWD_DATA_ALGO_1);
    cudnnConvolutionBwdFilterAlgoPerf_t bwd_filter[4];
    ASSERT_EQ(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
                  h_, xdesc, ydesc, conv, wdesc, 4, &n, bwd_filter),
              CUDNN_STATUS_SUCCESS);
    EXPECT_EQ(n, 3);
    EXPECT_EQ(bwd_filter[1].algo, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0);
    EXPECT_EQ(bwd_filter[1].determinism, CUDNN_NON_DETERMINISTIC);
  }
}

// Find*Ex checks its tensors and workspace and lists only what fits the
// workspace as usable; the algorithm it lists first then runs with that
// workspace, and fails with less.
TEST_F(Cudnn, FindThenRunWithTheWorkspaceFound) {
  const cudnnDataType_t dt = CUDNN_DATA_FLOAT;
  const ConvCase& cc = conv_cases()[0];
  Descriptors d;
  const auto xd = cc.x_dims(), wd = cc.w_dims(), yd = cc.y_dims();
  const auto [xdesc, ydesc, wdesc, conv] = packed(d, cc, dt);
  DeviceArray<float> x(random_vector<float>(numel(xd), 1)),
      w(random_vector<float>(numel(wd), 2)), y(numel(yd)), ws(1 << 16);
  cudnnConvolutionFwdAlgoPerf_t perf[4];
  int n = 0;
  std::vector<float> host(numel(xd));
  EXPECT_EQ(cudnnFindConvolutionForwardAlgorithmEx(
                h_, xdesc, host.data(), wdesc, w.get(), conv, ydesc, y.get(), 4,
                &n, perf, ws.get(), 4 << 16),
            CUDNN_STATUS_BAD_PARAM);
  // Without workspace the workspace algorithm is listed as failing, last.
  ASSERT_EQ(cudnnFindConvolutionForwardAlgorithmEx(
                h_, xdesc, x.get(), wdesc, w.get(), conv, ydesc, y.get(), 4, &n,
                perf, nullptr, 0),
            CUDNN_STATUS_SUCCESS);
  ASSERT_EQ(n, 3);
  EXPECT_EQ(perf[0].algo, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM);
  EXPECT_NE(perf[1].status, CUDNN_STATUS_SUCCESS);
  EXPECT_NE(perf[2].status, CUDNN_STATUS_SUCCESS);
  ASSERT_EQ(cudnnFindConvolutionForwardAlgorithmEx(
                h_, xdesc, x.get(), wdesc, w.get(), conv, ydesc, y.get(), 4, &n,
                perf, ws.get(), 4 << 16),
            CUDNN_STATUS_SUCCESS);
  ASSERT_EQ(perf[0].algo, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM);
  ASSERT_EQ(perf[0].status, CUDNN_STATUS_SUCCESS);
  ASSERT_GT(perf[0].memory, 0u);
  const float one = 1, zero = 0;
  EXPECT_EQ(cudnnConvolutionForward(h_, &one, xdesc, x.get(), wdesc, w.get(),
                                    conv, perf[0].algo, ws.get(),
                                    perf[0].memory - 1, &zero, ydesc, y.get()),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnConvolutionForward(h_, &one, xdesc, x.get(), wdesc, w.get(),
                                    conv, perf[0].algo, ws.get(),
                                    perf[0].memory, &zero, ydesc, y.get()),
            CUDNN_STATUS_SUCCESS);

  cudnnConvolutionBwdDataAlgoPerf_t data_perf[4];
  EXPECT_EQ(cudnnFindConvolutionBackwardDataAlgorithmEx(
                h_, wdesc, w.get(), ydesc, y.get(), conv, xdesc, x.get(), 4, &n,
                data_perf, ws.get(), 4 << 16),
            CUDNN_STATUS_SUCCESS);
  cudnnConvolutionBwdFilterAlgoPerf_t filter_perf[4];
  EXPECT_EQ(cudnnFindConvolutionBackwardFilterAlgorithmEx(
                h_, xdesc, x.get(), ydesc, host.data(), conv, wdesc, w.get(), 4,
                &n, filter_perf, ws.get(), 4 << 16),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(y.read().size(), static_cast<std::size_t>(numel(yd)));
}

TEST_F(Cudnn, MisuseIsRefused) {
  const cudnnDataType_t dt = CUDNN_DATA_FLOAT;
  Descriptors d;
  const std::vector<int> xd = {2, 4, 6, 6}, wd = {6, 2, 3, 3},
                         yd = {2, 6, 4, 4};
  DeviceArray<float> x(numel(xd)), w(numel(wd)), y(numel(yd));
  const float one = 1, zero = 0;
  auto xdesc = d.tensor(dt, xd, packed_strides(xd));
  auto wdesc = d.filter(dt, wd);
  auto ydesc = d.tensor(dt, yd, packed_strides(yd));
  auto conv = d.conv({0, 0}, {1, 1}, {1, 1}, CUDNN_CROSS_CORRELATION, dt, 2);
  auto forward = [&](cudnnTensorDescriptor_t xdesc,
                     cudnnFilterDescriptor_t wdesc,
                     cudnnConvolutionDescriptor_t conv,
                     cudnnTensorDescriptor_t ydesc, const void* xp,
                     int algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM) {
    return cudnnConvolutionForward(h_, &one, xdesc, xp, wdesc, w.get(), conv,
                                   static_cast<cudnnConvolutionFwdAlgo_t>(algo),
                                   nullptr, 0, &zero, ydesc, y.get());
  };
  EXPECT_EQ(forward(xdesc, wdesc, conv, ydesc, x.get()), CUDNN_STATUS_SUCCESS);
  // y's spatial dims must be the convolution's output dims.
  EXPECT_EQ(forward(xdesc, wdesc, conv,
                    d.tensor(dt, {2, 6, 5, 4}, packed_strides({2, 6, 5, 4})),
                    x.get()),
            CUDNN_STATUS_BAD_PARAM);
  // C = filter C * groups; K divisible by groups; y's C = K.
  EXPECT_EQ(forward(d.tensor(dt, {2, 3, 6, 6}, packed_strides({2, 3, 6, 6})),
                    wdesc, conv, ydesc, x.get()),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(
      forward(xdesc, wdesc,
              d.conv({0, 0}, {1, 1}, {1, 1}, CUDNN_CROSS_CORRELATION, dt, 4),
              ydesc, x.get()),
      CUDNN_STATUS_BAD_PARAM);
  // Data types must agree; only float and double are supported.
  EXPECT_EQ(forward(d.tensor(CUDNN_DATA_DOUBLE, xd, packed_strides(xd)), wdesc,
                    conv, ydesc, x.get()),
            CUDNN_STATUS_BAD_PARAM);
  auto half = [&](std::vector<int> dims) {
    return d.tensor(CUDNN_DATA_HALF, dims, packed_strides(dims));
  };
  EXPECT_EQ(forward(half(xd), d.filter(CUDNN_DATA_HALF, wd),
                    d.conv({0, 0}, {1, 1}, {1, 1}, CUDNN_CROSS_CORRELATION,
                           CUDNN_DATA_HALF, 2),
                    half(yd), x.get()),
            CUDNN_STATUS_NOT_SUPPORTED);
  // cuDNN convolves 4-d and 5-d tensors only.
  EXPECT_EQ(
      forward(d.tensor(dt, {2, 4, 6}, {24, 6, 1}), d.filter(dt, {6, 2, 3}),
              d.conv({0}, {1}, {1}, CUDNN_CROSS_CORRELATION, dt, 2),
              d.tensor(dt, {2, 6, 4}, {24, 4, 1}), x.get()),
      CUDNN_STATUS_NOT_SUPPORTED);
  const std::vector<int> x6 = {1, 4, 2, 2, 2, 2}, y6 = {1, 6, 2, 2, 2, 2};
  EXPECT_EQ(forward(d.tensor(dt, x6, packed_strides(x6)),
                    d.filter(dt, {6, 2, 1, 1, 1, 1}),
                    d.conv({0, 0, 0, 0}, {1, 1, 1, 1}, {1, 1, 1, 1},
                           CUDNN_CROSS_CORRELATION, dt, 2),
                    d.tensor(dt, y6, packed_strides(y6)), x.get()),
            CUDNN_STATUS_NOT_SUPPORTED);
  // Algorithms: one that does not exist, one not offered, one that needs
  // more workspace than given.
  EXPECT_EQ(forward(xdesc, wdesc, conv, ydesc, x.get(), 99),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(forward(xdesc, wdesc, conv, ydesc, x.get(),
                    CUDNN_CONVOLUTION_FWD_ALGO_FFT),
            CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_EQ(forward(xdesc, wdesc, conv, ydesc, x.get(),
                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM),
            CUDNN_STATUS_BAD_PARAM);
  // A host pointer, and a tensor whose strides reach past its allocation.
  std::vector<float> host(numel(xd));
  EXPECT_EQ(forward(xdesc, wdesc, conv, ydesc, host.data()),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(
      forward(d.tensor(dt, xd, {145, 36, 6, 1}), wdesc, conv, ydesc, x.get()),
      CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnConvolutionBackwardFilter(h_, &one, xdesc, x.get(), ydesc,
                                           host.data(), conv,
                                           CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0,
                                           nullptr, 0, &zero, wdesc, w.get()),
            CUDNN_STATUS_BAD_PARAM);
  // Descriptors refuse bad values when set.
  cudnnTensorDescriptor_t t = nullptr;
  ASSERT_EQ(cudnnCreateTensorDescriptor(&t), CUDNN_STATUS_SUCCESS);
  const int zero_dim[] = {2, 0, 3, 3}, strides[] = {9, 9, 3, 1};
  EXPECT_EQ(cudnnSetTensorNdDescriptor(t, dt, 4, zero_dim, strides),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(forward(t, wdesc, conv, ydesc, x.get()), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnDestroyTensorDescriptor(t), CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(cudnnSetConvolutionGroupCount(conv, 0), CUDNN_STATUS_BAD_PARAM);
  EXPECT_STREQ(cudnnGetErrorString(CUDNN_STATUS_BAD_PARAM),
               "CUDNN_STATUS_BAD_PARAM");
  EXPECT_EQ(y.read().size(), static_cast<std::size_t>(numel(yd)));
}

}  // namespace
}  // namespace cuda_sim_test
