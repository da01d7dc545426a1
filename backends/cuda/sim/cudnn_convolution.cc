// cuda_sim's cuDNN: convolution forward, backward data and backward
// filter. Each call checks its descriptors, algorithm, workspace and
// pointers as cuDNN would (or as a GPU would fault), then enqueues a
// reference computation on the handle's stream. All three passes walk the
// same products (for_each_product), each accumulating a different one of
// the three tensors.
#include <cstdint>
#include <string>
#include <vector>

#include "backends/cuda/sim/cudnn_internal.h"
#include "cuda_sim/stream.h"

namespace cuda_sim::dnn {
namespace {

// Calls f(x_index, w_index, y_index) for every product x * w a forward
// convolution sums into y (indices into the packed tensors): each output
// position, image and output channel, with each channel of the output
// channel's group and each filter tap that lands inside x.
template <typename F>
void for_each_product(const ConvShape& s, F&& f) {
  const int64_t in_size = product(s.window.in);
  const int64_t out_size = product(s.window.out);
  const int64_t taps = product(s.window.size);
  const int64_t c_per_group = s.c / s.groups, k_per_group = s.k / s.groups;
  for_each_window(s.window, [&](int64_t o, const std::vector<Tap>& window) {
    for (int64_t n = 0; n < s.n; ++n) {
      for (int64_t k = 0; k < s.k; ++k) {
        const int64_t y_index = (n * s.k + k) * out_size + o;
        const int64_t first_c = k / k_per_group * c_per_group;
        for (int64_t c = 0; c < c_per_group; ++c) {
          const int64_t x_base = (n * s.c + first_c + c) * in_size;
          const int64_t w_base = (k * c_per_group + c) * taps;
          for (const Tap& t : window) {
            f(x_base + t.in, w_base + t.weight, y_index);
          }
        }
      }
    }
  });
}

bool uses_tf32(const ConvShape& s) {
  return s.type == CUDNN_DATA_FLOAT &&
         (s.math == CUDNN_TENSOR_OP_MATH ||
          s.math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION);
}

// One pass, as stream work: `a` and `b` are its inputs (x and w for
// Forward, w and dy for BackwardData, x and dy for BackwardFilter), `out`
// its result (y, dx, dw). Accumulates in T.
template <typename T>
void run_pass(Pass pass, const ConvShape& s, const T* a, const T* b, T alpha,
              T beta, T* out) {
  const bool tf32 = uses_tf32(s);
  switch (pass) {
    case Pass::Forward: {
      const std::vector<T> x = gather(a, s.x, tf32), w = gather(b, s.w, tf32);
      std::vector<T> y(static_cast<std::size_t>(s.y.numel()), T(0));
      for_each_product(s, [&](int64_t xi, int64_t wi, int64_t yi) {
        y[yi] += x[xi] * w[wi];
      });
      scatter(y, out, s.y, alpha, beta);
      break;
    }
    case Pass::BackwardData: {
      const std::vector<T> w = gather(a, s.w, tf32), dy = gather(b, s.y, tf32);
      std::vector<T> dx(static_cast<std::size_t>(s.x.numel()), T(0));
      for_each_product(s, [&](int64_t xi, int64_t wi, int64_t yi) {
        dx[xi] += w[wi] * dy[yi];
      });
      scatter(dx, out, s.x, alpha, beta);
      break;
    }
    case Pass::BackwardFilter: {
      const std::vector<T> x = gather(a, s.x, tf32), dy = gather(b, s.y, tf32);
      std::vector<T> dw(static_cast<std::size_t>(s.w.numel()), T(0));
      for_each_product(s, [&](int64_t xi, int64_t wi, int64_t yi) {
        dw[wi] += x[xi] * dy[yi];
      });
      scatter(dw, out, s.w, alpha, beta);
      break;
    }
  }
}

// Checks and enqueues one pass whose descriptors have been checked.
cudnnStatus_t convolve(const char* call, Pass pass, cudnnHandle_t handle,
                       const ConvShape& s, int algo, void* workspace,
                       std::size_t workspace_size, const void* alpha,
                       const void* beta, const Operand& a, const Operand& b,
                       const Operand& out) {
  if (handle == nullptr || alpha == nullptr || beta == nullptr) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  if (const cudnnStatus_t status =
          check_algorithm(call, pass, algo, s, workspace, workspace_size);
      status != CUDNN_STATUS_SUCCESS) {
    return status;
  }
  for (const Operand* op : {&a, &b, &out}) {
    if (!on_device(call, op->name, op->data, op->layout, item_size(s.type))) {
      return CUDNN_STATUS_BAD_PARAM;
    }
  }
  return with_type(s.type, [&](auto zero) {
    using T = decltype(zero);
    // Host scalars: read now, not when the work runs.
    const T alpha_v = scalar<T>(alpha), beta_v = scalar<T>(beta);
    const T* a_p = static_cast<const T*>(a.data);
    const T* b_p = static_cast<const T*>(b.data);
    T* out_p = static_cast<T*>(const_cast<void*>(out.data));
    cuda_sim::enqueue(handle->stream, [=] {
      run_pass(pass, s, a_p, b_p, alpha_v, beta_v, out_p);
      return cudaSuccess;
    });
    return CUDNN_STATUS_SUCCESS;
  });
}

}  // namespace

cudnnStatus_t conv_shape(const cudnnTensorStruct* x, const cudnnFilterStruct* w,
                         const cudnnConvolutionStruct* conv,
                         const cudnnTensorStruct* y, ConvShape* out) {
  if (x == nullptr || w == nullptr || conv == nullptr || y == nullptr ||
      !x->set || !w->set || !conv->set || !y->set) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  if (x->type != w->type || x->type != y->type) return CUDNN_STATUS_BAD_PARAM;
  // Float and double compute in their own type in cuDNN.
  if (item_size(x->type) == 0 || conv->compute != x->type) {
    return CUDNN_STATUS_NOT_SUPPORTED;
  }
  const std::size_t nd = x->dims.size();
  if (w->dims.size() != nd || y->dims.size() != nd ||
      conv->pad.size() + 2 != nd) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  // cuDNN convolves 4-d and 5-d tensors only (a 1-d convolution is a 2-d
  // one with a spatial dim of 1), and this filter layout only.
  if (nd < 4 || nd > 5 || w->format != CUDNN_TENSOR_NCHW) {
    return CUDNN_STATUS_NOT_SUPPORTED;
  }
  ConvShape s;
  s.type = x->type;
  s.math = conv->math;
  s.n = x->dims[0];
  s.c = x->dims[1];
  s.k = w->dims[0];
  s.groups = conv->groups;
  if (s.k % s.groups != 0 || s.c != w->dims[1] * s.groups ||
      y->dims[0] != s.n || y->dims[1] != s.k) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  Window& win = s.window;
  win.in.assign(x->dims.begin() + 2, x->dims.end());
  win.size.assign(w->dims.begin() + 2, w->dims.end());
  win.out.assign(y->dims.begin() + 2, y->dims.end());
  win.pad = conv->pad;
  win.stride = conv->stride;
  win.dilation = conv->dilation;
  win.flip = conv->mode == CUDNN_CONVOLUTION;
  for (std::size_t i = 0; i + 2 < nd; ++i) {
    const int64_t expected = window_output(win.in[i], win.pad[i], win.size[i],
                                           win.stride[i], win.dilation[i]);
    if (expected < 1 || win.out[i] != expected) return CUDNN_STATUS_BAD_PARAM;
  }
  s.x = layout_of(*x);
  s.y = layout_of(*y);
  s.w = packed(w->dims);
  *out = std::move(s);
  return CUDNN_STATUS_SUCCESS;
}

}  // namespace cuda_sim::dnn

using cuda_sim::dnn::ConvShape;
using cuda_sim::dnn::Pass;

cudnnStatus_t cudnnConvolutionForward(
    cudnnHandle_t handle, const void* alpha,
    const cudnnTensorDescriptor_t xDesc, const void* x,
    const cudnnFilterDescriptor_t wDesc, const void* w,
    const cudnnConvolutionDescriptor_t convDesc, cudnnConvolutionFwdAlgo_t algo,
    void* workSpace, std::size_t workSpaceSizeInBytes, const void* beta,
    const cudnnTensorDescriptor_t yDesc, void* y) {
  ConvShape s;
  if (const cudnnStatus_t status =
          cuda_sim::dnn::conv_shape(xDesc, wDesc, convDesc, yDesc, &s);
      status != CUDNN_STATUS_SUCCESS) {
    return status;
  }
  return cuda_sim::dnn::convolve("cudnnConvolutionForward", Pass::Forward,
                                 handle, s, algo, workSpace,
                                 workSpaceSizeInBytes, alpha, beta,
                                 {x, "x", s.x}, {w, "w", s.w}, {y, "y", s.y});
}

cudnnStatus_t cudnnConvolutionBackwardData(
    cudnnHandle_t handle, const void* alpha,
    const cudnnFilterDescriptor_t wDesc, const void* w,
    const cudnnTensorDescriptor_t dyDesc, const void* dy,
    const cudnnConvolutionDescriptor_t convDesc,
    cudnnConvolutionBwdDataAlgo_t algo, void* workSpace,
    std::size_t workSpaceSizeInBytes, const void* beta,
    const cudnnTensorDescriptor_t dxDesc, void* dx) {
  ConvShape s;
  if (const cudnnStatus_t status =
          cuda_sim::dnn::conv_shape(dxDesc, wDesc, convDesc, dyDesc, &s);
      status != CUDNN_STATUS_SUCCESS) {
    return status;
  }
  return cuda_sim::dnn::convolve(
      "cudnnConvolutionBackwardData", Pass::BackwardData, handle, s, algo,
      workSpace, workSpaceSizeInBytes, alpha, beta, {w, "w", s.w},
      {dy, "dy", s.y}, {dx, "dx", s.x});
}

cudnnStatus_t cudnnConvolutionBackwardFilter(
    cudnnHandle_t handle, const void* alpha,
    const cudnnTensorDescriptor_t xDesc, const void* x,
    const cudnnTensorDescriptor_t dyDesc, const void* dy,
    const cudnnConvolutionDescriptor_t convDesc,
    cudnnConvolutionBwdFilterAlgo_t algo, void* workSpace,
    std::size_t workSpaceSizeInBytes, const void* beta,
    const cudnnFilterDescriptor_t dwDesc, void* dw) {
  ConvShape s;
  if (const cudnnStatus_t status =
          cuda_sim::dnn::conv_shape(xDesc, dwDesc, convDesc, dyDesc, &s);
      status != CUDNN_STATUS_SUCCESS) {
    return status;
  }
  return cuda_sim::dnn::convolve(
      "cudnnConvolutionBackwardFilter", Pass::BackwardFilter, handle, s, algo,
      workSpace, workSpaceSizeInBytes, alpha, beta, {x, "x", s.x},
      {dy, "dy", s.y}, {dw, "dw", s.w});
}
