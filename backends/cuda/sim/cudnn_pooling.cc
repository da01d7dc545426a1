// cuda_sim's cuDNN: pooling forward (max, with or without NaN propagation,
// and the two averages), N-d windows with padding and stride; checked as
// cuDNN checks it, then enqueued on the handle's stream.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "backends/cuda/sim/cudnn_internal.h"
#include "cuda_sim/stream.h"

namespace cuda_sim::dnn {
namespace {

// A pooling as its descriptors describe it: x (N, C, in...), y (N, C,
// out...).
struct PoolShape {
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
  cudnnPoolingMode_t mode = CUDNN_POOLING_MAX;
  bool propagate_nan = false;
  Layout x, y;
  int64_t images = 0;  // N * C
  Window window;
};

cudnnStatus_t pool_shape(const cudnnPoolingStruct* pool,
                         const cudnnTensorStruct* x, const cudnnTensorStruct* y,
                         PoolShape* out) {
  if (pool == nullptr || x == nullptr || y == nullptr || !pool->set ||
      !x->set || !y->set) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  if (x->type != y->type) return CUDNN_STATUS_BAD_PARAM;
  if (item_size(x->type) == 0) return CUDNN_STATUS_NOT_SUPPORTED;
  const std::size_t nd = x->dims.size();
  if (y->dims.size() != nd || pool->window.size() + 2 != nd ||
      x->dims[0] != y->dims[0] || x->dims[1] != y->dims[1]) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  if (nd < 4 || nd > 5) return CUDNN_STATUS_NOT_SUPPORTED;  // as for conv
  PoolShape s;
  s.type = x->type;
  s.mode = pool->mode;
  s.propagate_nan = pool->nan == CUDNN_PROPAGATE_NAN;
  s.images = int64_t{x->dims[0]} * x->dims[1];
  Window& win = s.window;
  win.in.assign(x->dims.begin() + 2, x->dims.end());
  win.out.assign(y->dims.begin() + 2, y->dims.end());
  win.size = pool->window;
  win.pad = pool->pad;
  win.stride = pool->stride;
  win.dilation.assign(nd - 2, 1);
  for (std::size_t i = 0; i + 2 < nd; ++i) {
    const int64_t expected =
        window_output(win.in[i], win.pad[i], win.size[i], win.stride[i], 1);
    if (expected < 1 || win.out[i] != expected) return CUDNN_STATUS_BAD_PARAM;
  }
  s.x = layout_of(*x);
  s.y = layout_of(*y);
  *out = std::move(s);
  return CUDNN_STATUS_SUCCESS;
}

// One window's value: `in` is the image, `taps` the window's positions
// inside it (padding never takes part, and counts only for the average
// that includes it).
template <typename T>
T reduce(const PoolShape& s, const T* in, const std::vector<Tap>& taps) {
  if (s.mode == CUDNN_POOLING_MAX ||
      s.mode == CUDNN_POOLING_MAX_DETERMINISTIC) {
    T best = -std::numeric_limits<T>::infinity();
    for (const Tap& t : taps) {
      const T v = in[t.in];
      if (std::isnan(v)) {
        if (s.propagate_nan) return v;
        continue;  // ignored
      }
      if (v > best) best = v;
    }
    return best;
  }
  T sum = 0;
  for (const Tap& t : taps) sum += in[t.in];
  const int64_t count = s.mode == CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                            ? product(s.window.size)
                            : static_cast<int64_t>(taps.size());
  return count == 0 ? T(0) : sum / static_cast<T>(count);
}

template <typename T>
void run_pool(const PoolShape& s, const T* x, T alpha, T beta, T* y) {
  const std::vector<T> in = gather(x, s.x, false);
  std::vector<T> out(static_cast<std::size_t>(s.y.numel()));
  const int64_t in_size = product(s.window.in);
  const int64_t out_size = product(s.window.out);
  for_each_window(s.window, [&](int64_t o, const std::vector<Tap>& taps) {
    for (int64_t i = 0; i < s.images; ++i) {
      out[i * out_size + o] = reduce(s, &in[i * in_size], taps);
    }
  });
  scatter(out, y, s.y, alpha, beta);
}

}  // namespace
}  // namespace cuda_sim::dnn

cudnnStatus_t cudnnPoolingForward(
    cudnnHandle_t handle, const cudnnPoolingDescriptor_t poolingDesc,
    const void* alpha, const cudnnTensorDescriptor_t xDesc, const void* x,
    const void* beta, const cudnnTensorDescriptor_t yDesc, void* y) {
  namespace dnn = cuda_sim::dnn;
  constexpr const char* kCall = "cudnnPoolingForward";
  dnn::PoolShape s;
  if (const cudnnStatus_t status =
          dnn::pool_shape(poolingDesc, xDesc, yDesc, &s);
      status != CUDNN_STATUS_SUCCESS) {
    return status;
  }
  if (handle == nullptr || alpha == nullptr || beta == nullptr) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  const std::size_t item = dnn::item_size(s.type);
  if (!dnn::on_device(kCall, "x", x, s.x, item) ||
      !dnn::on_device(kCall, "y", y, s.y, item)) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  return dnn::with_type(s.type, [&](auto zero) {
    using T = decltype(zero);
    // Host scalars: read now, not when the work runs.
    const T alpha_v = dnn::scalar<T>(alpha), beta_v = dnn::scalar<T>(beta);
    const T* x_p = static_cast<const T*>(x);
    T* y_p = static_cast<T*>(y);
    cuda_sim::enqueue(handle->stream, [=] {
      dnn::run_pool(s, x_p, alpha_v, beta_v, y_p);
      return cudaSuccess;
    });
    return CUDNN_STATUS_SUCCESS;
  });
}
