// cuda_sim's cuDNN: the handle, the descriptors and the helpers the
// computations share. Descriptors are checked when set as cuDNN checks
// them; whether they fit together is checked by the call that uses them.
#include <cstdint>
#include <string>
#include <vector>

#include "backends/cuda/sim/cudnn_internal.h"
#include "cuda_sim/stream.h"

namespace {

bool valid_type(cudnnDataType_t type) {
  return type >= CUDNN_DATA_FLOAT && type <= CUDNN_DATA_INT64;
}

// Whether all n values are at least `least` (a null array is not).
bool all_at_least(const int* values, int n, int least) {
  if (values == nullptr) return false;
  for (int i = 0; i < n; ++i) {
    if (values[i] < least) return false;
  }
  return true;
}

template <typename Desc>
cudnnStatus_t create(Desc** desc) {
  if (desc == nullptr) return CUDNN_STATUS_BAD_PARAM;
  *desc = new Desc;
  return CUDNN_STATUS_SUCCESS;
}

template <typename Desc>
cudnnStatus_t destroy(Desc* desc) {
  delete desc;  // null is fine, as in cuDNN
  return CUDNN_STATUS_SUCCESS;
}

}  // namespace

namespace cuda_sim::dnn {

std::size_t item_size(cudnnDataType_t type) {
  switch (type) {
    case CUDNN_DATA_FLOAT:
      return sizeof(float);
    case CUDNN_DATA_DOUBLE:
      return sizeof(double);
    default:
      return 0;
  }
}

Layout layout_of(const cudnnTensorStruct& d) {
  return {d.dims, std::vector<int64_t>(d.strides.begin(), d.strides.end())};
}

int64_t window_output(int64_t in, int pad, int size, int stride, int dilation) {
  const int64_t span = int64_t{dilation} * (size - 1) + 1;
  const int64_t room = in + 2 * int64_t{pad} - span;
  return room < 0 ? 0 : room / stride + 1;
}

bool on_device(const char* call, const char* what, const void* base,
               const Layout& l, std::size_t item) {
  const auto bytes = static_cast<std::size_t>(l.extent()) * item;
  if (cuda_sim::is_device_range(base, bytes)) return true;
  cuda_sim::report(std::string(call) + ": " + what + " (" +
                   std::to_string(bytes) +
                   " bytes as its descriptor lays it out) is not device "
                   "memory, or extends past the end of its allocation");
  return false;
}

}  // namespace cuda_sim::dnn

// ---- handle ----

cudnnStatus_t cudnnCreate(cudnnHandle_t* handle) { return create(handle); }

cudnnStatus_t cudnnDestroy(cudnnHandle_t handle) {
  if (handle == nullptr) return CUDNN_STATUS_BAD_PARAM;
  delete handle;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t stream) {
  if (handle == nullptr) return CUDNN_STATUS_BAD_PARAM;
  handle->stream = stream;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetStream(cudnnHandle_t handle, cudaStream_t* stream) {
  if (handle == nullptr || stream == nullptr) return CUDNN_STATUS_BAD_PARAM;
  *stream = handle->stream;
  return CUDNN_STATUS_SUCCESS;
}

const char* cudnnGetErrorString(cudnnStatus_t status) {
  switch (status) {
    case CUDNN_STATUS_SUCCESS:
      return "CUDNN_STATUS_SUCCESS";
    case CUDNN_STATUS_NOT_INITIALIZED:
      return "CUDNN_STATUS_NOT_INITIALIZED";
    case CUDNN_STATUS_ALLOC_FAILED:
      return "CUDNN_STATUS_ALLOC_FAILED";
    case CUDNN_STATUS_BAD_PARAM:
      return "CUDNN_STATUS_BAD_PARAM";
    case CUDNN_STATUS_INTERNAL_ERROR:
      return "CUDNN_STATUS_INTERNAL_ERROR";
    case CUDNN_STATUS_INVALID_VALUE:
      return "CUDNN_STATUS_INVALID_VALUE";
    case CUDNN_STATUS_ARCH_MISMATCH:
      return "CUDNN_STATUS_ARCH_MISMATCH";
    case CUDNN_STATUS_MAPPING_ERROR:
      return "CUDNN_STATUS_MAPPING_ERROR";
    case CUDNN_STATUS_EXECUTION_FAILED:
      return "CUDNN_STATUS_EXECUTION_FAILED";
    case CUDNN_STATUS_NOT_SUPPORTED:
      return "CUDNN_STATUS_NOT_SUPPORTED";
  }
  return "CUDNN_STATUS_UNKNOWN";
}

// ---- tensor ----

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t* desc) {
  return create(desc);
}

cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t desc) {
  return destroy(desc);
}

// 3 dims are accepted here (as cuDNN does, for its RNNs); convolution and
// pooling need 4 or more.
cudnnStatus_t cudnnSetTensorNdDescriptor(cudnnTensorDescriptor_t desc,
                                         cudnnDataType_t dataType, int nbDims,
                                         const int dimA[],
                                         const int strideA[]) {
  if (desc == nullptr) return CUDNN_STATUS_BAD_PARAM;
  desc->set = false;
  if (nbDims < 3 || nbDims > CUDNN_DIM_MAX) return CUDNN_STATUS_NOT_SUPPORTED;
  if (!valid_type(dataType) || !all_at_least(dimA, nbDims, 1) ||
      !all_at_least(strideA, nbDims, 1)) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  desc->type = dataType;
  desc->dims.assign(dimA, dimA + nbDims);
  desc->strides.assign(strideA, strideA + nbDims);
  desc->set = true;
  return CUDNN_STATUS_SUCCESS;
}

// ---- filter ----

cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t* desc) {
  return create(desc);
}

cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t desc) {
  return destroy(desc);
}

cudnnStatus_t cudnnSetFilterNdDescriptor(cudnnFilterDescriptor_t desc,
                                         cudnnDataType_t dataType,
                                         cudnnTensorFormat_t format, int nbDims,
                                         const int filterDimA[]) {
  if (desc == nullptr) return CUDNN_STATUS_BAD_PARAM;
  desc->set = false;
  if (nbDims < 3 || nbDims > CUDNN_DIM_MAX) return CUDNN_STATUS_NOT_SUPPORTED;
  if (!valid_type(dataType) || !all_at_least(filterDimA, nbDims, 1) ||
      format < CUDNN_TENSOR_NCHW || format > CUDNN_TENSOR_NCHW_VECT_C) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  desc->type = dataType;
  desc->format = format;
  desc->dims.assign(filterDimA, filterDimA + nbDims);
  desc->set = true;
  return CUDNN_STATUS_SUCCESS;
}

// ---- convolution ----

cudnnStatus_t cudnnCreateConvolutionDescriptor(
    cudnnConvolutionDescriptor_t* desc) {
  return create(desc);
}

cudnnStatus_t cudnnDestroyConvolutionDescriptor(
    cudnnConvolutionDescriptor_t desc) {
  return destroy(desc);
}

cudnnStatus_t cudnnSetConvolutionNdDescriptor(cudnnConvolutionDescriptor_t desc,
                                              int arrayLength, const int padA[],
                                              const int filterStrideA[],
                                              const int dilationA[],
                                              cudnnConvolutionMode_t mode,
                                              cudnnDataType_t computeType) {
  if (desc == nullptr) return CUDNN_STATUS_BAD_PARAM;
  desc->set = false;
  if (arrayLength < 1 || arrayLength > CUDNN_DIM_MAX - 2 ||
      !all_at_least(padA, arrayLength, 0) ||
      !all_at_least(filterStrideA, arrayLength, 1) ||
      !all_at_least(dilationA, arrayLength, 1) ||
      (mode != CUDNN_CONVOLUTION && mode != CUDNN_CROSS_CORRELATION) ||
      !valid_type(computeType)) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  desc->pad.assign(padA, padA + arrayLength);
  desc->stride.assign(filterStrideA, filterStrideA + arrayLength);
  desc->dilation.assign(dilationA, dilationA + arrayLength);
  desc->mode = mode;
  desc->compute = computeType;
  desc->set = true;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t desc,
                                            int groupCount) {
  if (desc == nullptr || groupCount < 1) return CUDNN_STATUS_BAD_PARAM;
  desc->groups = groupCount;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t desc,
                                          cudnnMathType_t mathType) {
  if (desc == nullptr || mathType < CUDNN_DEFAULT_MATH ||
      mathType > CUDNN_FMA_MATH) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  desc->math = mathType;
  return CUDNN_STATUS_SUCCESS;
}

// ---- pooling ----

cudnnStatus_t cudnnCreatePoolingDescriptor(cudnnPoolingDescriptor_t* desc) {
  return create(desc);
}

cudnnStatus_t cudnnDestroyPoolingDescriptor(cudnnPoolingDescriptor_t desc) {
  return destroy(desc);
}

cudnnStatus_t cudnnSetPoolingNdDescriptor(
    cudnnPoolingDescriptor_t desc, cudnnPoolingMode_t mode,
    cudnnNanPropagation_t maxpoolingNanOpt, int nbDims, const int windowDimA[],
    const int paddingA[], const int strideA[]) {
  if (desc == nullptr) return CUDNN_STATUS_BAD_PARAM;
  desc->set = false;
  if (nbDims < 1 || nbDims > CUDNN_DIM_MAX - 2 || mode < CUDNN_POOLING_MAX ||
      mode > CUDNN_POOLING_MAX_DETERMINISTIC ||
      (maxpoolingNanOpt != CUDNN_NOT_PROPAGATE_NAN &&
       maxpoolingNanOpt != CUDNN_PROPAGATE_NAN) ||
      !all_at_least(windowDimA, nbDims, 1) ||
      !all_at_least(paddingA, nbDims, 0) || !all_at_least(strideA, nbDims, 1)) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  desc->mode = mode;
  desc->nan = maxpoolingNanOpt;
  desc->window.assign(windowDimA, windowDimA + nbDims);
  desc->pad.assign(paddingA, paddingA + nbDims);
  desc->stride.assign(strideA, strideA + nbDims);
  desc->set = true;
  return CUDNN_STATUS_SUCCESS;
}
