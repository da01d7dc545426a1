// cuda_sim's cuDNN internals: the opaque structs behind cuDNN's handles and
// descriptors, and what convolution's entry points share (the shapes the
// descriptors describe, checked as cuDNN checks them; the algorithms the
// simulator offers).
#pragma once

#include <cudnn.h>

#include <cstdint>
#include <string>
#include <vector>

#include "backends/cuda/sim/cudnn_strided.h"

struct cudnnContext {
  cudaStream_t stream = nullptr;  // the legacy default stream until set
};

// A descriptor is usable once set; `set` stays false after a failed Set.
struct cudnnTensorStruct {
  bool set = false;
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
  std::vector<int> dims, strides;
};

struct cudnnFilterStruct {
  bool set = false;
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
  cudnnTensorFormat_t format = CUDNN_TENSOR_NCHW;
  std::vector<int> dims;
};

struct cudnnConvolutionStruct {
  bool set = false;
  std::vector<int> pad, stride, dilation;
  cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  cudnnDataType_t compute = CUDNN_DATA_FLOAT;
  int groups = 1;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

struct cudnnPoolingStruct {
  bool set = false;
  cudnnPoolingMode_t mode = CUDNN_POOLING_MAX;
  cudnnNanPropagation_t nan = CUDNN_NOT_PROPAGATE_NAN;
  std::vector<int> window, pad, stride;
};

namespace cuda_sim::dnn {

// Bytes of one element of a type the computations support (float,
// double), else 0.
std::size_t item_size(cudnnDataType_t type);

// The layout a tensor descriptor describes (set).
Layout layout_of(const cudnnTensorStruct& d);

// Output size of a window sliding over `in` (the cuDNN formula); < 1 when
// the window does not fit.
int64_t window_output(int64_t in, int pad, int size, int stride, int dilation);

// Whether the tensor `l` of `item`-byte elements at `base` lies in one
// device allocation; reports `what` of `call` otherwise.
bool on_device(const char* call, const char* what, const void* base,
               const Layout& l, std::size_t item);

// A tensor argument of a call: its pointer, name (for reports) and layout.
struct Operand {
  const void* data;
  const char* name;
  const Layout& layout;
};

// Reads a host scalar given as const void* (alpha, beta).
template <typename T>
T scalar(const void* p) {
  return *static_cast<const T*>(p);
}

// Runs f(T{}) with T the C++ type of `type`: float or double, else
// CUDNN_STATUS_NOT_SUPPORTED.
template <typename F>
cudnnStatus_t with_type(cudnnDataType_t type, F&& f) {
  switch (type) {
    case CUDNN_DATA_FLOAT:
      return f(float{});
    case CUDNN_DATA_DOUBLE:
      return f(double{});
    default:
      return CUDNN_STATUS_NOT_SUPPORTED;
  }
}

// ---- convolution ----

enum class Pass { Forward, BackwardData, BackwardFilter };

// A convolution as its descriptors describe it: x (N, C, in...), w (K,
// C / groups, size...) packed, y (N, K, out...). For the backward passes x
// is dx and y is dy.
struct ConvShape {
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
  Layout x, w, y;
  int64_t n = 0, c = 0, k = 0, groups = 1;
  Window window;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

// Checks the descriptors as cuDNN does: CUDNN_STATUS_BAD_PARAM for a null
// or unset descriptor or shapes that do not fit together,
// CUDNN_STATUS_NOT_SUPPORTED for what cuDNN (or the simulator) cannot run.
cudnnStatus_t conv_shape(const cudnnTensorStruct* x, const cudnnFilterStruct* w,
                         const cudnnConvolutionStruct* conv,
                         const cudnnTensorStruct* y, ConvShape* out);

// One algorithm the simulator offers for a pass. All compute the same
// thing; they differ in what they report (and require: workspace).
struct Algorithm {
  int algo;
  bool supported;
  bool tensor_ops;  // reported with CUDNN_TENSOR_OP_MATH (float)
  bool workspace;   // requires workspace_bytes
  cudnnDeterminism_t determinism;
  float time;  // the milliseconds reported
  // Listed, but refuses dilated convolutions when run (CUDNN_STATUS_NOT_
  // SUPPORTED), as some cuDNN algorithms do: callers must try the next.
  bool refuses_dilation = false;
};

// The algorithms offered for `pass`, fastest first.
const std::vector<Algorithm>& algorithms(Pass pass);

// The workspace an algorithm requires for a convolution of shape s.
std::size_t workspace_bytes(const Algorithm& a, const ConvShape& s);

// The checks every algorithm-taking call makes of `algo` and the workspace
// given to it: CUDNN_STATUS_BAD_PARAM for an algorithm that does not exist
// or too little workspace, CUDNN_STATUS_NOT_SUPPORTED for one not offered
// for this convolution.
cudnnStatus_t check_algorithm(const char* call, Pass pass, int algo,
                              const ConvShape& s, const void* workspace,
                              std::size_t workspace_size);

}  // namespace cuda_sim::dnn
