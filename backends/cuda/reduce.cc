// Reductions on CUDA: Sum, Amax, Amin over a set of dims and Argmax/Argmin
// over one. The host splits the input's dims into kept and reduced ones
// (reduced dims in memory order, adjacent dims merged) and the kernels
// (reduce.cu) pick a thread per result or blocks per result.
#include <algorithm>
#include <cstdlib>
#include <utility>
#include <vector>

#include "backends/cuda/kernels.h"
#include "backends/cuda/tensors.h"
#include "core/error.h"
#include "core/registry.h"

namespace fnx::cuda {
namespace {

// Merges adjacent dims that step through memory as one.
void coalesce(Shape& sizes, Strides& strides) {
  Shape s;
  Strides t;
  for (std::size_t d = 0; d < sizes.size(); ++d) {
    if (!s.empty() && t.back() == strides[d] * sizes[d]) {
      s.back() *= sizes[d];
      t.back() = strides[d];
    } else {
      s.push_back(sizes[d]);
      t.push_back(strides[d]);
    }
  }
  sizes = std::move(s);
  strides = std::move(t);
}

void copy_dims(std::string_view op, const Shape& sizes, const Strides& strides,
               int& ndim, int64_t* out_sizes, int64_t* out_strides) {
  FNX_CHECK(static_cast<int>(sizes.size()) <= kMaxDims, op,
            "the CUDA backend reduces tensors with at most ", kMaxDims,
            " kept or reduced dims that cannot be merged");
  ndim = static_cast<int>(sizes.size());
  for (int d = 0; d < ndim; ++d) {
    out_sizes[d] = sizes[d];
    out_strides[d] = strides[d];
  }
}

// Kept dims in order; reduced dims by decreasing stride (memory order).
ReduceGeometry split_dims(std::string_view op, const Tensor& x,
                          const Dims& dims) {
  Shape kept_sizes, red_sizes;
  Strides kept_strides, red_strides;
  int64_t n_red = 1;
  std::vector<std::pair<int64_t, int64_t>> red;  // (stride, size)
  for (int64_t d = 0; d < x.dim(); ++d) {
    const int64_t size = x.shape()[d];
    const bool reduced = std::binary_search(dims.begin(), dims.end(), d);
    if (reduced) n_red *= size;
    if (size == 1) continue;
    if (reduced) {
      red.emplace_back(x.strides()[d], size);
    } else {
      kept_sizes.push_back(size);
      kept_strides.push_back(x.strides()[d]);
    }
  }
  std::stable_sort(red.begin(), red.end(), [](const auto& a, const auto& b) {
    return std::abs(a.first) > std::abs(b.first);
  });
  for (const auto& [stride, size] : red) {
    red_sizes.push_back(size);
    red_strides.push_back(stride);
  }
  coalesce(kept_sizes, kept_strides);
  coalesce(red_sizes, red_strides);
  ReduceGeometry g;
  copy_dims(op, kept_sizes, kept_strides, g.kept_ndim, g.kept_sizes,
            g.kept_strides);
  copy_dims(op, red_sizes, red_strides, g.red_ndim, g.red_sizes, g.red_strides);
  g.n_red = n_red;
  g.n_out = numel(kept_sizes);
  return g;
}

template <ReduceOp kOp>
Tensor reduce_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor& x = call.inputs[0];
  Tensor result = make_result(out);
  const int64_t n_out = numel(out.shape);
  if (n_out == 0) return result;
  const ReduceGeometry g =
      split_dims(call.name(), x, call.attr<ReduceAttrs>().dims);
  if (g.n_red == 0) {  // only Sum gets here (the shape rule refuses others)
    fill(ctx, dptr(result), out.dtype, n_out, 0);
    return result;
  }
  const int64_t ws_bytes = reduce_workspace_bytes(g);
  std::shared_ptr<Storage> ws;
  if (ws_bytes > 0) {
    ws = Storage::allocate(static_cast<std::size_t>(ws_bytes), out.device);
  }
  launched(
      launch_reduce(kOp, scalar_of(x.dtype()), scalar_of(out.dtype), g, dptr(x),
                    dptr(result), ws ? ws->data() : nullptr, ctx.stream),
      call.name());
  return result;  // ws returns to the pool; later users queue behind us
}

template <bool kMax>
Tensor arg_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor& x = call.inputs[0];
  Tensor result = make_result(out);
  const int64_t n_out = numel(out.shape);
  if (n_out == 0) return result;
  if (x.dim() == 0) {
    fill(ctx, dptr(result), DType::Int64, 1, 0);
    return result;
  }
  const int64_t dim = call.attr<ReduceAttrs>().dims.at(0);
  const ReduceGeometry g = split_dims(call.name(), x, Dims{dim});
  launched(launch_arg_reduce(
               kMax, scalar_of(x.dtype()), g, x.shape()[dim], x.strides()[dim],
               dptr(x), reinterpret_cast<int64_t*>(dptr(result)), ctx.stream),
           call.name());
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  constexpr DeviceType kCuda = DeviceType::CUDA;
  r.kernel(kCuda, Prim::Sum, &reduce_kernel<ReduceOp::Sum>);
  r.kernel(kCuda, Prim::Amax, &reduce_kernel<ReduceOp::Max>);
  r.kernel(kCuda, Prim::Amin, &reduce_kernel<ReduceOp::Min>);
  r.kernel(kCuda, Prim::Argmax, &arg_kernel<true>);
  r.kernel(kCuda, Prim::Argmin, &arg_kernel<false>);
}

}  // namespace fnx::cuda
