// Convolution on CUDA through cuDNN: Conv (forward), ConvInputGrad
// (backward data) and ConvWeightGrad (backward filter), 1-3 spatial dims,
// any stride / padding / dilation / groups (a per-example weight under
// vmap is one grouped convolution, so per-sample conv gradients are one
// cuDNN call). A plan (descriptors, algorithm, workspace size) is made once
// per (pass, shapes, dtype, math mode, device) and cached; the algorithm is
// cuDNN's heuristic choice, or measured (cudnnFind*) when
// FNX_CUDNN_BENCHMARK=1. TF32 only when allowed (cuda.h).
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "backends/cuda/cuda.h"
#include "backends/cuda/cudnn_shapes.h"
#include "backends/cuda/tensors.h"
#include "core/error.h"
#include "core/registry.h"
#include "core/str_cat.h"

namespace fnx::cuda {
namespace {

enum class Pass { Forward, BackwardData, BackwardFilter };

// Workspace above this is not considered (cuDNN's fastest algorithms can
// ask for gigabytes).
constexpr std::size_t kMaxWorkspace = std::size_t{1} << 30;
// The workspace measured algorithms (FNX_CUDNN_BENCHMARK=1) may use.
constexpr std::size_t kFindWorkspace = std::size_t{1} << 28;

// Owns its descriptors (a plan that fails half-built releases them; cached
// plans live as long as the program).
struct Plan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  // The usable algorithms cuDNN listed, fastest first, and the one that
  // runs: a listed algorithm can still refuse at run time, and then the
  // next is tried (and kept, under the cuDNN handle's lock).
  struct Choice {
    int algo = 0;
    std::size_t workspace = 0;
    cudnnMathType_t math = CUDNN_DEFAULT_MATH;
  };
  std::vector<Choice> choices;
  std::size_t current = 0;
  cudnnStatus_t refused_with = CUDNN_STATUS_SUCCESS;  // the last refusal

  Plan() = default;
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;
  ~Plan() {
    if (x != nullptr) cudnnDestroyTensorDescriptor(x);
    if (y != nullptr) cudnnDestroyTensorDescriptor(y);
    if (w != nullptr) cudnnDestroyFilterDescriptor(w);
    if (conv != nullptr) cudnnDestroyConvolutionDescriptor(conv);
  }
};

bool benchmark_mode() {
  static const bool on = [] {
    const char* env = std::getenv("FNX_CUDNN_BENCHMARK");
    return env != nullptr && std::strcmp(env, "1") == 0;
  }();
  return on;
}

// The usable algorithms in cuDNN's order (fastest first). The descriptor
// asked for FMA math unless tensor-op math is fine (TF32 allowed, or
// float64, whose tensor cores compute in full FP64), so cuDNN lists FMA
// algorithms only; one listed with tensor-op math anyway is passed over
// rather than run with math it was not measured for. Each runs with the
// math type it was listed with (its workspace size is for that type).
template <typename Perf>
void take_usable(Plan& p, const Perf* perf, int n, bool tensor_ops_ok,
                 std::size_t max_workspace, std::string_view op) {
  for (int i = 0; i < n; ++i) {
    const bool tensor_op_math =
        perf[i].mathType == CUDNN_TENSOR_OP_MATH ||
        perf[i].mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    if (perf[i].status != CUDNN_STATUS_SUCCESS ||
        perf[i].memory > max_workspace || (tensor_op_math && !tensor_ops_ok)) {
      continue;
    }
    p.choices.push_back(
        {static_cast<int>(perf[i].algo), perf[i].memory, perf[i].mathType});
  }
  FNX_CHECK(!p.choices.empty(), op, "cuDNN has no algorithm for this ",
            "convolution within ", max_workspace, " bytes of workspace",
            tensor_ops_ok ? ""
                          : " without TF32 (cuda::set_allow_tf32(true) also "
                            "admits tensor-op algorithms)");
}

std::string plan_key(Pass pass, const Shape& x, const Shape& w, const Shape& y,
                     const ConvAttrs& a, DType dtype, bool tf32, int device) {
  return str_cat(static_cast<int>(pass), shape_str(x), shape_str(w),
                 shape_str(y), shape_str(a.stride), shape_str(a.padding),
                 shape_str(a.dilation), a.groups, "|", static_cast<int>(dtype),
                 tf32 ? "t" : "f", device);
}

// Chooses the algorithm for a plan whose descriptors are set.
void choose_algorithm(const Context& ctx, Pass pass, Plan& p, const Tensor& x,
                      const Tensor& w, const Tensor& y, bool tensor_ops_ok) {
  const auto dnn = ctx.cudnn();  // locked while this function uses it
  cudnnHandle_t h = dnn.handle;
  constexpr int kMax = 16;
  int n = 0;
  // Measuring runs the convolutions on scratch outputs of the right size,
  // with a workspace smaller than the heuristics' limit (it is allocated
  // for every new shape).
  std::shared_ptr<Storage> ws, scratch;
  std::size_t limit = kMaxWorkspace;
  if (benchmark_mode()) {
    limit = kFindWorkspace;
    ws = Storage::allocate(limit, x.device());
  }
  auto measure_into = [&](const Tensor& like) {
    scratch = Storage::allocate(
        static_cast<std::size_t>(like.numel()) * itemsize(like.dtype()),
        like.device());
    return scratch->data();
  };
  switch (pass) {
    case Pass::Forward: {
      cudnnConvolutionFwdAlgoPerf_t perf[kMax];
      if (ws) {
        FNX_CUDA_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
            h, p.x, dptr(x), p.w, dptr(w), p.conv, p.y, measure_into(y), kMax,
            &n, perf, ws->data(), limit));
      } else {
        FNX_CUDA_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(
            h, p.x, p.w, p.conv, p.y, kMax, &n, perf));
      }
      take_usable(p, perf, n, tensor_ops_ok, limit, "conv");
      break;
    }
    case Pass::BackwardData: {
      cudnnConvolutionBwdDataAlgoPerf_t perf[kMax];
      if (ws) {
        FNX_CUDA_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
            h, p.w, dptr(w), p.y, dptr(y), p.conv, p.x, measure_into(x), kMax,
            &n, perf, ws->data(), limit));
      } else {
        FNX_CUDA_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
            h, p.w, p.y, p.conv, p.x, kMax, &n, perf));
      }
      take_usable(p, perf, n, tensor_ops_ok, limit, "conv_input_grad");
      break;
    }
    case Pass::BackwardFilter: {
      cudnnConvolutionBwdFilterAlgoPerf_t perf[kMax];
      if (ws) {
        FNX_CUDA_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
            h, p.x, dptr(x), p.y, dptr(y), p.conv, p.w, measure_into(w), kMax,
            &n, perf, ws->data(), limit));
      } else {
        FNX_CUDA_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
            h, p.x, p.y, p.conv, p.w, kMax, &n, perf));
      }
      take_usable(p, perf, n, tensor_ops_ok, limit, "conv_weight_grad");
      break;
    }
  }
}

// The cached plan for x (N, C, *s), w (C_out, C / groups, *k), y (N,
// C_out, *o); the tensors are only read when measuring.
Plan& plan_for(const Context& ctx, Pass pass, const Tensor& x, const Tensor& w,
               const Tensor& y, const ConvAttrs& a) {
  static std::mutex mutex;
  static auto* cache = new std::map<std::string, std::unique_ptr<Plan>>;
  const bool tf32 = allow_tf32() && x.dtype() == DType::Float32;
  const std::string key = plan_key(pass, x.shape(), w.shape(), y.shape(), a,
                                   x.dtype(), tf32, ctx.index);
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache->find(key);
  if (it != cache->end()) return *it->second;

  auto p = std::make_unique<Plan>();
  const cudnnDataType_t dt =
      x.dtype() == DType::Float32 ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
  const std::vector<int> xd = dims4(x.shape()), wd = dims4(w.shape()),
                         yd = dims4(y.shape());
  const std::size_t nsp = xd.size() - 2;
  FNX_CUDA_CHECK(cudnnCreateTensorDescriptor(&p->x));
  FNX_CUDA_CHECK(cudnnCreateTensorDescriptor(&p->y));
  FNX_CUDA_CHECK(cudnnCreateFilterDescriptor(&p->w));
  FNX_CUDA_CHECK(cudnnCreateConvolutionDescriptor(&p->conv));
  FNX_CUDA_CHECK(
      cudnnSetTensorNdDescriptor(p->x, dt, static_cast<int>(xd.size()),
                                 xd.data(), packed_strides(xd).data()));
  FNX_CUDA_CHECK(
      cudnnSetTensorNdDescriptor(p->y, dt, static_cast<int>(yd.size()),
                                 yd.data(), packed_strides(yd).data()));
  FNX_CUDA_CHECK(cudnnSetFilterNdDescriptor(
      p->w, dt, CUDNN_TENSOR_NCHW, static_cast<int>(wd.size()), wd.data()));
  const std::vector<int> pad = spatial_param(a.padding, nsp, 0);
  const std::vector<int> stride = spatial_param(a.stride, nsp, 1);
  const std::vector<int> dilation = spatial_param(a.dilation, nsp, 1);
  FNX_CUDA_CHECK(cudnnSetConvolutionNdDescriptor(
      p->conv, static_cast<int>(nsp), pad.data(), stride.data(),
      dilation.data(), CUDNN_CROSS_CORRELATION, dt));
  FNX_CUDA_CHECK(
      cudnnSetConvolutionGroupCount(p->conv, static_cast<int>(a.groups)));
  const bool tensor_ops_ok = tf32 || x.dtype() == DType::Float64;
  FNX_CUDA_CHECK(cudnnSetConvolutionMathType(
      p->conv, tensor_ops_ok ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
  choose_algorithm(ctx, pass, *p, x, w, y, tensor_ops_ok);
  return *cache->emplace(key, std::move(p)).first->second;
}

// Statuses with which a listed algorithm refuses a convolution it cannot
// run after all; the next one is tried.
bool algorithm_refused(cudnnStatus_t status) {
  return status == CUDNN_STATUS_NOT_SUPPORTED ||
         status == CUDNN_STATUS_BAD_PARAM ||
         status == CUDNN_STATUS_EXECUTION_FAILED ||
         status == CUDNN_STATUS_ALLOC_FAILED;
}

// One attempt with choice c.
cudnnStatus_t run_choice(cudnnHandle_t h, Pass pass, const Plan& p,
                         const Plan::Choice& c, const Tensor& x,
                         const Tensor& w, const Tensor& y) {
  std::shared_ptr<Storage> ws;
  if (c.workspace > 0) ws = Storage::allocate(c.workspace, x.device());
  void* wsp = ws ? ws->data() : nullptr;
  const double one_d = 1, zero_d = 0;
  const float one_f = 1, zero_f = 0;
  const bool is_float = x.dtype() == DType::Float32;
  const void* one = is_float ? static_cast<const void*>(&one_f) : &one_d;
  const void* zero = is_float ? static_cast<const void*>(&zero_f) : &zero_d;
  switch (pass) {
    case Pass::Forward:
      return cudnnConvolutionForward(
          h, one, p.x, dptr(x), p.w, dptr(w), p.conv,
          static_cast<cudnnConvolutionFwdAlgo_t>(c.algo), wsp, c.workspace,
          zero, p.y, dptr(y));
    case Pass::BackwardData:
      return cudnnConvolutionBackwardData(
          h, one, p.w, dptr(w), p.y, dptr(y), p.conv,
          static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), wsp, c.workspace,
          zero, p.x, dptr(x));
    case Pass::BackwardFilter:
      return cudnnConvolutionBackwardFilter(
          h, one, p.x, dptr(x), p.y, dptr(y), p.conv,
          static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo), wsp,
          c.workspace, zero, p.w, dptr(w));
  }
  return CUDNN_STATUS_BAD_PARAM;
}

// Runs one pass: x, w, y are contiguous; the pass writes the one that is
// its result (y, x or w).
void run(const Context& ctx, Pass pass, const Tensor& x, const Tensor& w,
         const Tensor& y, const ConvAttrs& a) {
  Plan& p = plan_for(ctx, pass, x, w, y, a);
  const auto dnn = ctx.cudnn();  // guards the handle and p.current
  for (; p.current < p.choices.size(); ++p.current) {
    const Plan::Choice& c = p.choices[p.current];
    FNX_CUDA_CHECK(cudnnSetConvolutionMathType(p.conv, c.math));
    const cudnnStatus_t status = run_choice(dnn.handle, pass, p, c, x, w, y);
    if (status == CUDNN_STATUS_SUCCESS) return;
    if (!algorithm_refused(status)) check(status, "cudnnConvolution*");
    p.refused_with = status;
  }
  fail("cuda", "cuDNN refused every algorithm it listed for this convolution",
       " (the last: ", cudnnGetErrorString(p.refused_with), "); x ",
       shape_str(x.shape()), ", w ", shape_str(w.shape()));
}

bool any_empty(std::initializer_list<const Tensor*> ts) {
  for (const Tensor* t : ts) {
    if (t->numel() == 0) return true;
  }
  return false;
}

Tensor conv_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor x = contiguous(cast_to(call.inputs[0], out.dtype));
  const Tensor w = contiguous(cast_to(call.inputs[1], out.dtype));
  Tensor y = make_result(out);
  if (any_empty({&x, &w, &y})) {
    fill(ctx, dptr(y), out.dtype, y.numel(), 0);
    return y;
  }
  run(ctx, Pass::Forward, x, w, y, call.attr<ConvAttrs>());
  return y;
}

// Inputs (grad_out, weight); the result has the forward input's shape.
Tensor conv_input_grad_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor dy = contiguous(cast_to(call.inputs[0], out.dtype));
  const Tensor w = contiguous(cast_to(call.inputs[1], out.dtype));
  Tensor dx = make_result(out);
  if (any_empty({&dy, &w, &dx})) {
    fill(ctx, dptr(dx), out.dtype, dx.numel(), 0);
    return dx;
  }
  run(ctx, Pass::BackwardData, dx, w, dy, call.attr<ConvAttrs>());
  return dx;
}

// Inputs (x, grad_out); the result has the forward weight's shape.
Tensor conv_weight_grad_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor x = contiguous(cast_to(call.inputs[0], out.dtype));
  const Tensor dy = contiguous(cast_to(call.inputs[1], out.dtype));
  Tensor dw = make_result(out);
  if (any_empty({&x, &dy, &dw})) {
    fill(ctx, dptr(dw), out.dtype, dw.numel(), 0);
    return dw;
  }
  run(ctx, Pass::BackwardFilter, x, dw, dy, call.attr<ConvAttrs>());
  return dw;
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  constexpr DeviceType kCuda = DeviceType::CUDA;
  r.kernel(kCuda, Prim::Conv, &conv_kernel);
  r.kernel(kCuda, Prim::ConvInputGrad, &conv_input_grad_kernel);
  r.kernel(kCuda, Prim::ConvWeightGrad, &conv_weight_grad_kernel);
}

}  // namespace fnx::cuda
