// The simulated cuDNN pooling forward against a direct loop: max (NaN
// propagated or not) and both averages, 1-d to 3-d windows with padding and
// stride over strided tensors, alpha and beta; and the statuses misuse
// gets.
#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "backends/cuda/sim/sim_libs_test_util.h"

namespace cuda_sim_test {
namespace {

using CudnnPooling = CudnnTest;

struct PoolCase {
  std::vector<int> in, window, pad, stride;
};

// Pooling by its definition over packed (n * c images of `in`), in
// double; padding never takes part except in the including average's
// count.
std::vector<double> pool_reference(const PoolCase& pc, int images,
                                   cudnnPoolingMode_t mode, bool propagate,
                                   const std::vector<double>& x,
                                   std::vector<int>* out_dims) {
  const auto in = three(pc.in, 1), win = three(pc.window, 1),
             pad = three(pc.pad, 0), st = three(pc.stride, 1);
  std::array<int, 3> out;
  for (int i = 0; i < 3; ++i)
    out[i] = (in[i] + 2 * pad[i] - win[i]) / st[i] + 1;
  out_dims->assign(out.begin(), out.begin() + pc.in.size());
  std::vector<double> y;
  for (int img = 0; img < images; ++img) {
    for (int o0 = 0; o0 < out[0]; ++o0) {
      for (int o1 = 0; o1 < out[1]; ++o1) {
        for (int o2 = 0; o2 < out[2]; ++o2) {
          double best = -std::numeric_limits<double>::infinity(), sum = 0;
          int count = 0;
          bool nan = false;
          for (int r0 = 0; r0 < win[0]; ++r0) {
            for (int r1 = 0; r1 < win[1]; ++r1) {
              for (int r2 = 0; r2 < win[2]; ++r2) {
                const int i0 = o0 * st[0] - pad[0] + r0;
                const int i1 = o1 * st[1] - pad[1] + r1;
                const int i2 = o2 * st[2] - pad[2] + r2;
                if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] || i2 < 0 ||
                    i2 >= in[2]) {
                  continue;
                }
                const double v =
                    x[((img * in[0] + i0) * in[1] + i1) * in[2] + i2];
                nan = nan || std::isnan(v);
                if (!std::isnan(v)) best = std::max(best, v);
                sum += v;
                ++count;
              }
            }
          }
          if (mode == CUDNN_POOLING_MAX) {
            y.push_back(nan && propagate ? kNaN : best);
          } else {
            const int n = mode == CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                              ? win[0] * win[1] * win[2]
                              : count;
            y.push_back(sum / n);
          }
        }
      }
    }
  }
  return y;
}

TEST_F(CudnnPooling, MatchesTheReference) {
  const std::vector<PoolCase> cases = {
      {{7, 6}, {3, 2}, {1, 0}, {2, 2}},
      {{5, 1}, {2, 1}, {0, 0}, {1, 1}},  // 1-d, as the backend pools
      {{4, 5, 3}, {2, 3, 2}, {1, 1, 0}, {2, 1, 1}},
  };
  for (const PoolCase& pc : cases) {
    for (cudnnPoolingMode_t mode :
         {CUDNN_POOLING_MAX, CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING,
          CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING}) {
      for (cudnnNanPropagation_t nan :
           {CUDNN_NOT_PROPAGATE_NAN, CUDNN_PROPAGATE_NAN}) {
        SCOPED_TRACE(testing::Message()
                     << pc.in.size() << "-d, mode " << mode << ", nan " << nan);
        const cudnnDataType_t dt = CUDNN_DATA_DOUBLE;
        Descriptors d;
        const std::vector<int> xd = dims_of(2, 3, pc.in);
        const auto xs = channels_last_strides(xd);
        auto x = random_vector<double>(extent(xd, xs), 30);
        x[xs[1] * 2 + xs[0]] = kNaN;  // one NaN in image (1, 2)
        std::vector<int> out;
        const auto expected = pool_reference(
            pc, 6, mode, nan == CUDNN_PROPAGATE_NAN, unstride(x, xd, xs), &out);
        const std::vector<int> yd = dims_of(2, 3, out);
        const auto y0 = random_vector<double>(numel(yd), 31);
        DeviceArray<double> x_d(x), y_d(y0);
        const double alpha = 1.5, beta = 0.5;
        ASSERT_EQ(cudnnPoolingForward(
                      h_, d.pool(mode, nan, pc.window, pc.pad, pc.stride),
                      &alpha, d.tensor(dt, xd, xs), x_d.get(), &beta,
                      d.tensor(dt, yd, packed_strides(yd)), y_d.get()),
                  CUDNN_STATUS_SUCCESS);
        const auto got = y_d.read();
        for (std::size_t i = 0; i < got.size(); ++i) {
          const double want = alpha * expected[i] + beta * y0[i];
          if (std::isnan(want)) {
            EXPECT_TRUE(std::isnan(got[i])) << "element " << i;
          } else {
            EXPECT_NEAR(got[i], want, 1e-12) << "element " << i;
          }
        }
      }
    }
  }
}

TEST_F(CudnnPooling, MisuseIsRefused) {
  const cudnnDataType_t dt = CUDNN_DATA_FLOAT;
  Descriptors d;
  const std::vector<int> xd = {1, 2, 6, 6}, yd = {1, 2, 3, 3};
  DeviceArray<float> x(numel(xd)), y(numel(yd));
  const float one = 1, zero = 0;
  auto pool =
      d.pool(CUDNN_POOLING_MAX, CUDNN_PROPAGATE_NAN, {2, 2}, {0, 0}, {2, 2});
  auto xdesc = d.tensor(dt, xd, packed_strides(xd));
  auto run = [&](cudnnTensorDescriptor_t ydesc, const void* xp) {
    return cudnnPoolingForward(h_, pool, &one, xdesc, xp, &zero, ydesc,
                               y.get());
  };
  EXPECT_EQ(run(d.tensor(dt, yd, packed_strides(yd)), x.get()),
            CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(
      run(d.tensor(dt, {1, 2, 3, 2}, packed_strides({1, 2, 3, 2})), x.get()),
      CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(
      run(d.tensor(dt, {1, 3, 3, 3}, packed_strides({1, 3, 3, 3})), x.get()),
      CUDNN_STATUS_BAD_PARAM);
  std::vector<float> host(numel(xd));
  EXPECT_EQ(run(d.tensor(dt, yd, packed_strides(yd)), host.data()),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(y.read().size(), static_cast<std::size_t>(numel(yd)));
}

}  // namespace
}  // namespace cuda_sim_test
