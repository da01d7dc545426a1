// cuda_sim's cuDNN: the convolution algorithms the simulator offers, and
// the calls that list them (the heuristics, Get*_v7, and the measurements,
// Find*Ex). Every algorithm computes the same reference result; the list
// exists so that a caller's choice among algorithms (math type, workspace,
// status) runs as it would against cuDNN.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "backends/cuda/sim/cudnn_internal.h"
#include "cuda_sim/stream.h"

namespace cuda_sim::dnn {
namespace {

// For each pass, fastest first: a tensor-op algorithm that wants
// workspace (and refuses dilated convolutions when run), a plain one that
// wants none, and one that is not supported (cuDNN lists those too, with a
// failing status).
const std::vector<Algorithm>& forward_algorithms() {
  static const auto* list = new std::vector<Algorithm>{
      {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, true, true, true,
       CUDNN_DETERMINISTIC, 0.5f, true},
      {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, true, false, false,
       CUDNN_DETERMINISTIC, 1.0f},
      {CUDNN_CONVOLUTION_FWD_ALGO_FFT, false, false, false, CUDNN_DETERMINISTIC,
       -1.0f},
  };
  return *list;
}

const std::vector<Algorithm>& backward_data_algorithms() {
  static const auto* list = new std::vector<Algorithm>{
      {CUDNN_CONVOLUTION_BWD_DATA_ALGO_1, true, true, true, CUDNN_DETERMINISTIC,
       0.5f, true},
      {CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, true, false, false,
       CUDNN_NON_DETERMINISTIC, 1.0f},
      {CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT, false, false, false,
       CUDNN_DETERMINISTIC, -1.0f},
  };
  return *list;
}

const std::vector<Algorithm>& backward_filter_algorithms() {
  static const auto* list = new std::vector<Algorithm>{
      {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, true, true, true,
       CUDNN_DETERMINISTIC, 0.5f, true},
      {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0, true, false, false,
       CUDNN_NON_DETERMINISTIC, 1.0f},
      {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT, false, false, false,
       CUDNN_DETERMINISTIC, -1.0f},
  };
  return *list;
}

int algorithm_count(Pass pass) {
  switch (pass) {
    case Pass::Forward:
      return CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
    case Pass::BackwardData:
      return CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
    case Pass::BackwardFilter:
      return CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
  }
  return 0;
}

// Fills perf with up to `requested` algorithms for a convolution of shape
// s, usable ones first (fastest first), as Get*_v7 and Find*Ex do; an
// algorithm that needs more than `workspace_limit` bytes is not usable.
template <typename Perf>
cudnnStatus_t list(Pass pass, const ConvShape& s, int requested, int* returned,
                   Perf* perf, std::size_t workspace_limit) {
  if (requested < 1 || returned == nullptr || perf == nullptr) {
    return CUDNN_STATUS_BAD_PARAM;
  }
  std::vector<Perf> all;
  for (const Algorithm& a : algorithms(pass)) {
    Perf p{};
    p.algo = static_cast<decltype(p.algo)>(a.algo);
    p.memory = a.supported ? workspace_bytes(a, s) : 0;
    p.status = !a.supported                 ? CUDNN_STATUS_NOT_SUPPORTED
               : p.memory > workspace_limit ? CUDNN_STATUS_ALLOC_FAILED
                                            : CUDNN_STATUS_SUCCESS;
    p.time = p.status == CUDNN_STATUS_SUCCESS ? a.time : -1.0f;
    p.determinism = a.determinism;
    // A descriptor set to FMA math gets FMA algorithms only (the
    // tensor-op ones as their FMA variants). Double has no
    // reduced-precision mode to report.
    p.mathType = s.math == CUDNN_FMA_MATH ? CUDNN_FMA_MATH
                 : a.tensor_ops && s.type == CUDNN_DATA_FLOAT
                     ? CUDNN_TENSOR_OP_MATH
                     : CUDNN_DEFAULT_MATH;
    all.push_back(p);
  }
  std::stable_partition(all.begin(), all.end(), [](const Perf& p) {
    return p.status == CUDNN_STATUS_SUCCESS;
  });
  const int n = std::min(requested, static_cast<int>(all.size()));
  std::copy(all.begin(), all.begin() + n, perf);
  *returned = n;
  return CUDNN_STATUS_SUCCESS;
}

// Get*_v7: the descriptors are checked; nothing is run.
template <typename Perf>
cudnnStatus_t heuristics(Pass pass, cudnnHandle_t handle,
                         cudnnStatus_t shape_status, const ConvShape& s,
                         int requested, int* returned, Perf* perf) {
  if (handle == nullptr) return CUDNN_STATUS_BAD_PARAM;
  if (shape_status != CUDNN_STATUS_SUCCESS) return shape_status;
  return list(pass, s, requested, returned, perf,
              std::numeric_limits<std::size_t>::max());
}

// Find*Ex: cuDNN runs every algorithm on the tensors given (writing
// garbage into the result); the simulator checks them and runs nothing.
template <typename Perf>
cudnnStatus_t measurements(const char* call, Pass pass, cudnnHandle_t handle,
                           cudnnStatus_t shape_status, const ConvShape& s,
                           std::initializer_list<Operand> tensors,
                           int requested, int* returned, Perf* perf,
                           void* workspace, std::size_t workspace_size) {
  if (handle == nullptr) return CUDNN_STATUS_BAD_PARAM;
  if (shape_status != CUDNN_STATUS_SUCCESS) return shape_status;
  for (const Operand& op : tensors) {
    if (!on_device(call, op.name, op.data, op.layout, item_size(s.type))) {
      return CUDNN_STATUS_BAD_PARAM;
    }
  }
  if (workspace_size > 0 &&
      !cuda_sim::is_device_range(workspace, workspace_size)) {
    cuda_sim::report(std::string(call) + ": the workspace (" +
                     std::to_string(workspace_size) +
                     " bytes) is not device memory");
    return CUDNN_STATUS_BAD_PARAM;
  }
  return list(pass, s, requested, returned, perf, workspace_size);
}

}  // namespace

const std::vector<Algorithm>& algorithms(Pass pass) {
  switch (pass) {
    case Pass::Forward:
      return forward_algorithms();
    case Pass::BackwardData:
      return backward_data_algorithms();
    case Pass::BackwardFilter:
      break;
  }
  return backward_filter_algorithms();
}

// What an im2col algorithm would stage: one image's unfolded input.
std::size_t workspace_bytes(const Algorithm& a, const ConvShape& s) {
  if (!a.workspace) return 0;
  return static_cast<std::size_t>(s.c * product(s.window.size) *
                                  product(s.window.out)) *
         item_size(s.type);
}

cudnnStatus_t check_algorithm(const char* call, Pass pass, int algo,
                              const ConvShape& s, const void* workspace,
                              std::size_t workspace_size) {
  if (algo < 0 || algo >= algorithm_count(pass)) {
    cuda_sim::report(std::string(call) + ": algorithm " + std::to_string(algo) +
                     " does not exist");
    return CUDNN_STATUS_BAD_PARAM;
  }
  const std::vector<Algorithm>& offered = algorithms(pass);
  const auto it =
      std::find_if(offered.begin(), offered.end(),
                   [&](const Algorithm& a) { return a.algo == algo; });
  if (it == offered.end() || !it->supported) {
    cuda_sim::report(std::string(call) + ": algorithm " + std::to_string(algo) +
                     " is not supported for this convolution (choose one "
                     "that Get*_v7 or Find*Ex lists with status success)");
    return CUDNN_STATUS_NOT_SUPPORTED;
  }
  const auto& dilation = s.window.dilation;
  if (it->refuses_dilation && std::any_of(dilation.begin(), dilation.end(),
                                          [](int d) { return d > 1; })) {
    return CUDNN_STATUS_NOT_SUPPORTED;  // listed, yet refused: no misuse
  }
  const std::size_t required = workspace_bytes(*it, s);
  if (workspace_size < required) {
    cuda_sim::report(std::string(call) + ": algorithm " + std::to_string(algo) +
                     " needs " + std::to_string(required) +
                     " bytes of workspace, got " +
                     std::to_string(workspace_size));
    return CUDNN_STATUS_BAD_PARAM;
  }
  if (required > 0 && !cuda_sim::is_device_range(workspace, required)) {
    cuda_sim::report(std::string(call) + ": the workspace (" +
                     std::to_string(required) + " bytes) is not device memory");
    return CUDNN_STATUS_BAD_PARAM;
  }
  return CUDNN_STATUS_SUCCESS;
}

}  // namespace cuda_sim::dnn

using cuda_sim::dnn::ConvShape;
using cuda_sim::dnn::Pass;

cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t srcDesc,
    const cudnnFilterDescriptor_t filterDesc,
    const cudnnConvolutionDescriptor_t convDesc,
    const cudnnTensorDescriptor_t destDesc, const int requestedAlgoCount,
    int* returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t* perfResults) {
  ConvShape s;
  const cudnnStatus_t status =
      cuda_sim::dnn::conv_shape(srcDesc, filterDesc, convDesc, destDesc, &s);
  return cuda_sim::dnn::heuristics(Pass::Forward, handle, status, s,
                                   requestedAlgoCount, returnedAlgoCount,
                                   perfResults);
}

cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(
    cudnnHandle_t handle, const cudnnFilterDescriptor_t filterDesc,
    const cudnnTensorDescriptor_t diffDesc,
    const cudnnConvolutionDescriptor_t convDesc,
    const cudnnTensorDescriptor_t gradDesc, const int requestedAlgoCount,
    int* returnedAlgoCount, cudnnConvolutionBwdDataAlgoPerf_t* perfResults) {
  ConvShape s;
  const cudnnStatus_t status =
      cuda_sim::dnn::conv_shape(gradDesc, filterDesc, convDesc, diffDesc, &s);
  return cuda_sim::dnn::heuristics(Pass::BackwardData, handle, status, s,
                                   requestedAlgoCount, returnedAlgoCount,
                                   perfResults);
}

cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t srcDesc,
    const cudnnTensorDescriptor_t diffDesc,
    const cudnnConvolutionDescriptor_t convDesc,
    const cudnnFilterDescriptor_t gradDesc, const int requestedAlgoCount,
    int* returnedAlgoCount, cudnnConvolutionBwdFilterAlgoPerf_t* perfResults) {
  ConvShape s;
  const cudnnStatus_t status =
      cuda_sim::dnn::conv_shape(srcDesc, gradDesc, convDesc, diffDesc, &s);
  return cuda_sim::dnn::heuristics(Pass::BackwardFilter, handle, status, s,
                                   requestedAlgoCount, returnedAlgoCount,
                                   perfResults);
}

cudnnStatus_t cudnnFindConvolutionForwardAlgorithmEx(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc, const void* x,
    const cudnnFilterDescriptor_t wDesc, const void* w,
    const cudnnConvolutionDescriptor_t convDesc,
    const cudnnTensorDescriptor_t yDesc, void* y, const int requestedAlgoCount,
    int* returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t* perfResults,
    void* workSpace, std::size_t workSpaceSizeInBytes) {
  ConvShape s;
  const cudnnStatus_t status =
      cuda_sim::dnn::conv_shape(xDesc, wDesc, convDesc, yDesc, &s);
  return cuda_sim::dnn::measurements(
      "cudnnFindConvolutionForwardAlgorithmEx", Pass::Forward, handle, status,
      s, {{x, "x", s.x}, {w, "w", s.w}, {y, "y", s.y}}, requestedAlgoCount,
      returnedAlgoCount, perfResults, workSpace, workSpaceSizeInBytes);
}

cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithmEx(
    cudnnHandle_t handle, const cudnnFilterDescriptor_t wDesc, const void* w,
    const cudnnTensorDescriptor_t dyDesc, const void* dy,
    const cudnnConvolutionDescriptor_t convDesc,
    const cudnnTensorDescriptor_t dxDesc, void* dx,
    const int requestedAlgoCount, int* returnedAlgoCount,
    cudnnConvolutionBwdDataAlgoPerf_t* perfResults, void* workSpace,
    std::size_t workSpaceSizeInBytes) {
  ConvShape s;
  const cudnnStatus_t status =
      cuda_sim::dnn::conv_shape(dxDesc, wDesc, convDesc, dyDesc, &s);
  return cuda_sim::dnn::measurements(
      "cudnnFindConvolutionBackwardDataAlgorithmEx", Pass::BackwardData, handle,
      status, s, {{w, "w", s.w}, {dy, "dy", s.y}, {dx, "dx", s.x}},
      requestedAlgoCount, returnedAlgoCount, perfResults, workSpace,
      workSpaceSizeInBytes);
}

cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithmEx(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc, const void* x,
    const cudnnTensorDescriptor_t dyDesc, const void* y,
    const cudnnConvolutionDescriptor_t convDesc,
    const cudnnFilterDescriptor_t dwDesc, void* dw,
    const int requestedAlgoCount, int* returnedAlgoCount,
    cudnnConvolutionBwdFilterAlgoPerf_t* perfResults, void* workSpace,
    std::size_t workSpaceSizeInBytes) {
  ConvShape s;
  const cudnnStatus_t status =
      cuda_sim::dnn::conv_shape(xDesc, dwDesc, convDesc, dyDesc, &s);
  return cuda_sim::dnn::measurements(
      "cudnnFindConvolutionBackwardFilterAlgorithmEx", Pass::BackwardFilter,
      handle, status, s, {{x, "x", s.x}, {y, "dy", s.y}, {dw, "dw", s.w}},
      requestedAlgoCount, returnedAlgoCount, perfResults, workSpace,
      workSpaceSizeInBytes);
}
