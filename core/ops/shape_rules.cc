// The shape/dtype rule of every primitive: validates a call in the user's
// terms and gives the result's metadata. Kernels and transform rules trust
// what passes here.
#include <algorithm>

#include "absl/strings/str_join.h"
#include "core/collective.h"
#include "core/error.h"
#include "core/ops/linalg_parts.h"
#include "core/primitive.h"
#include "core/tensor.h"

namespace fnx {
namespace {

std::string_view op_name(const OpCall& call) { return call.name(); }

void check_same_device(const OpCall& call) {
  for (const Tensor& t : call.inputs.subspan(1)) {
    FNX_CHECK(t.device() == call.inputs[0].device(), op_name(call),
              "inputs are on different devices (", call.inputs[0].device().str(),
              " and ", t.device().str(), "); move them with to(device)");
  }
}

void check_same_dtype(const OpCall& call, std::span<const Tensor> ts) {
  for (const Tensor& t : ts.subspan(1)) {
    FNX_CHECK(t.dtype() == ts[0].dtype(), op_name(call),
              "inputs have different dtypes (", dtype_name(ts[0].dtype()),
              " and ", dtype_name(t.dtype()),
              "); the primitive needs one dtype (the op API promotes)");
  }
}

void check_floating(const OpCall& call, const Tensor& t) {
  FNX_CHECK(is_floating(t.dtype()), op_name(call),
            "expects a floating-point tensor, got ", dtype_name(t.dtype()),
            "; cast it with to(DType::Float32)");
}

void check_index(const OpCall& call, const Tensor& index) {
  FNX_CHECK(index.dtype() == DType::Int64 || index.dtype() == DType::Int32,
            op_name(call), "index must be int64 or int32, got ",
            dtype_name(index.dtype()));
}

OutMeta unary(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  switch (call.prim) {
    case Prim::LogicalNot:
      return {x.shape(), DType::Bool, x.device()};
    case Prim::Neg:
    case Prim::Abs:
    case Prim::Sign:
      FNX_CHECK(x.dtype() != DType::Bool, op_name(call),
                "is not defined for bool tensors; use logical_not");
      return {x.shape(), x.dtype(), x.device()};
    default:
      check_floating(call, x);
      return {x.shape(), x.dtype(), x.device()};
  }
}

OutMeta binary(const OpCall& call) {
  check_same_device(call);
  check_same_dtype(call, call.inputs);
  const Tensor& a = call.inputs[0];
  const Shape shape = broadcast_shapes(a.shape(), call.inputs[1].shape(),
                                       op_name(call));
  switch (call.prim) {
    case Prim::Div:
    case Prim::Pow:
    case Prim::Atan2:
    case Prim::Hypot:
    case Prim::Polygamma:
      check_floating(call, a);
      break;
    default:
      break;
  }
  if (prim_info(call.prim).family == PrimFamily::Compare) {
    return {shape, DType::Bool, a.device()};
  }
  FNX_CHECK(a.dtype() != DType::Bool || call.prim == Prim::Maximum ||
                call.prim == Prim::Minimum,
            op_name(call), "is not defined for bool tensors; cast first");
  return {shape, a.dtype(), a.device()};
}

OutMeta where(const OpCall& call) {
  check_same_device(call);
  FNX_CHECK(call.inputs[0].dtype() == DType::Bool, "where",
            "condition must be bool, got ", dtype_name(call.inputs[0].dtype()));
  check_same_dtype(call, call.inputs.subspan(1));
  Shape shape = broadcast_shapes(call.inputs[0].shape(),
                                 call.inputs[1].shape(), "where");
  shape = broadcast_shapes(shape, call.inputs[2].shape(), "where");
  return {shape, call.inputs[1].dtype(), call.inputs[0].device()};
}

Shape reduced_shape(const Shape& in, const Dims& dims, bool keepdim) {
  Shape out;
  for (int64_t d = 0; d < static_cast<int64_t>(in.size()); ++d) {
    const bool reduced = std::find(dims.begin(), dims.end(), d) != dims.end();
    if (!reduced) {
      out.push_back(in[d]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

void check_dims_normalized(const OpCall& call, const Dims& dims, int64_t rank) {
  for (std::size_t i = 0; i < dims.size(); ++i) {
    FNX_CHECK(dims[i] >= 0 && dims[i] < std::max<int64_t>(rank, 1) &&
                  (i == 0 || dims[i] > dims[i - 1]),
              op_name(call), "dims [", absl::StrJoin(dims, ", "),
              "] are invalid for a tensor of rank ", rank);
  }
}

OutMeta reduce(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& a = call.attr<ReduceAttrs>();
  check_dims_normalized(call, a.dims, x.dim());
  const Shape shape = reduced_shape(x.shape(), x.dim() == 0 ? Dims{} : a.dims,
                                    a.keepdim);
  // More elements per result than memory could hold (2^48) can only come
  // from an expanded view; looping over them would never finish.
  int64_t per_result = 1;
  for (int64_t d : a.dims) {
    if (d < x.dim()) per_result = checked_mul(per_result, x.shape()[d], op_name(call));
  }
  constexpr int64_t kMaxReduced = int64_t{1} << 48;
  FNX_CHECK(per_result <= kMaxReduced, op_name(call), "reduces ", per_result,
            " elements per result (shape ", shape_str(x.shape()),
            "), more than any tensor in memory holds: only an expanded view "
            "is that large, and summing it element by element would not "
            "finish; reduce the tensor before expanding it");
  if (call.prim == Prim::Sum) {
    const DType dt = is_floating(x.dtype()) ? x.dtype() : DType::Int64;
    return {shape, dt, x.device()};
  }
  for (int64_t d : a.dims) {
    FNX_CHECK(x.dim() == 0 || x.shape()[d] > 0, op_name(call),
              "cannot reduce over dim ", d, " of size 0 (shape ",
              shape_str(x.shape()), "): the result has no identity");
  }
  if (prim_info(call.prim).family == PrimFamily::ArgReduce) {
    FNX_CHECK(a.dims.size() == 1 || x.dim() == 0, op_name(call),
              "reduces exactly one dim");
    return {shape, DType::Int64, x.device()};
  }
  return {shape, x.dtype(), x.device()};
}

// Softmax, LogSoftmax: a floating tensor of rank >= 1 (the op API reshapes
// a 0-d one), the dim normalized; the result has x's shape and dtype.
OutMeta softmax(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  check_floating(call, x);
  const int64_t dim = call.attr<DimAttrs>().dim;
  FNX_CHECK(dim >= 0 && dim < x.dim(), op_name(call), "dim ", dim,
            " is invalid for a tensor of shape ", shape_str(x.shape()));
  return {x.shape(), x.dtype(), x.device()};
}

// Cumsum and Cumprod keep x's dtype (the op API promotes bool and int32
// to int64 first, as sum does); Logcumsumexp takes floating point only;
// Argsort, CummaxIndex and CumminIndex give int64 positions along the dim.
OutMeta along_dim(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const bool scan = prim_info(call.prim).family == PrimFamily::Scan;
  const bool positions = !scan || call.prim == Prim::CummaxIndex ||
                         call.prim == Prim::CumminIndex;
  const int64_t dim =
      scan ? call.attr<ScanAttrs>().dim : call.attr<SortAttrs>().dim;
  FNX_CHECK(dim >= 0 && dim < x.dim(), op_name(call), "dim ", dim,
            " is invalid for a tensor of shape ", shape_str(x.shape()));
  FNX_CHECK(positions || x.dtype() != DType::Bool, op_name(call),
            "takes a numeric tensor, got bool; cast it first");
  if (call.prim == Prim::Logcumsumexp) check_floating(call, x);
  if (scan) {
    return {x.shape(), positions ? DType::Int64 : x.dtype(), x.device()};
  }
  Shape shape = x.shape();
  const int64_t k = call.attr<SortAttrs>().k;
  FNX_CHECK(k >= -1 && k <= shape[dim], op_name(call), "k = ", k,
            " is out of range for a dim of size ", shape[dim],
            " (expected 0 <= k <= size, or -1 for all)");
  if (k >= 0) shape[dim] = k;
  return {shape, DType::Int64, x.device()};
}

// The Collective family: every rank makes the same call, so the rule
// checks this rank's side (the dist plugin's debug mode compares ranks).
OutMeta collective(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const CollectiveAttrs& a = call.attr<CollectiveAttrs>();
  FNX_CHECK(a.group != nullptr, op_name(call),
            "has no process group; pass dist::world() or a group from split");
  const int64_t n = a.group->size();
  OutMeta meta{x.shape(), x.dtype(), x.device()};
  const bool reduces =
      call.prim == Prim::AllReduce || call.prim == Prim::ReduceScatter;
  if (reduces) {
    FNX_CHECK(x.dtype() != DType::Bool || a.op == ReduceOp::Max ||
                  a.op == ReduceOp::Min,
              op_name(call), reduce_op_name(a.op),
              " of bool tensors is not defined; cast to int64 first");
    FNX_CHECK(a.op != ReduceOp::Mean || is_floating(x.dtype()), op_name(call),
              "mean needs a floating-point tensor, got ",
              dtype_name(x.dtype()), "; cast it or use ReduceOp::Sum");
  }
  switch (call.prim) {
    case Prim::AllGather:
    case Prim::ReduceScatter: {
      FNX_CHECK(a.dim >= 0 && a.dim < x.dim(), op_name(call), "dim ", a.dim,
                " is invalid for a tensor of shape ", shape_str(x.shape()));
      if (call.prim == Prim::AllGather) {
        meta.shape[a.dim] *= n;
        break;
      }
      FNX_CHECK(a.op == ReduceOp::Sum || a.op == ReduceOp::Mean,
                op_name(call), "takes sum or mean, got ", reduce_op_name(a.op),
                "; use all_reduce and slice for max and min");
      FNX_CHECK(x.shape()[a.dim] % n == 0, op_name(call), "dim ", a.dim,
                " of shape ", shape_str(x.shape()),
                " must split evenly over ", n, " ranks");
      meta.shape[a.dim] /= n;
      break;
    }
    case Prim::Broadcast:
      FNX_CHECK(a.root >= 0 && a.root < n, op_name(call), "root ", a.root,
                " is not a rank of a group of ", n);
      break;
    case Prim::Ppermute: {
      std::vector<char> sends(n, 0), receives(n, 0);
      for (const auto& [from, to] : a.pairs) {
        FNX_CHECK(from >= 0 && from < n && to >= 0 && to < n, op_name(call),
                  "pair (", from, ", ", to, ") names a rank outside a group of ",
                  n);
        FNX_CHECK(!sends[from] && !receives[to], op_name(call),
                  "rank ", sends[from] ? from : to, " appears twice as ",
                  sends[from] ? "source" : "destination",
                  "; each rank sends and receives at most once");
        sends[from] = receives[to] = 1;
      }
      break;
    }
    default:
      break;
  }
  return meta;
}

OutMeta cast(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  return {x.shape(), call.attr<CastAttrs>().dtype, x.device()};
}

OutMeta view(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  switch (call.prim) {
    case Prim::Reshape: {
      const Shape& shape = call.attr<ShapeAttrs>().shape;
      FNX_CHECK(numel(shape) == x.numel() &&
                    std::all_of(shape.begin(), shape.end(),
                                [](int64_t s) { return s >= 0; }),
                "reshape", "cannot reshape a tensor of shape ",
                shape_str(x.shape()), " (", x.numel(), " elements) to ",
                shape_str(shape));
      return {shape, x.dtype(), x.device()};
    }
    case Prim::Permute: {
      const Dims& perm = call.attr<PermuteAttrs>().perm;
      FNX_CHECK(static_cast<int64_t>(perm.size()) == x.dim(), "permute",
                "permutation [", absl::StrJoin(perm, ", "),
                "] does not match a tensor of shape ", shape_str(x.shape()));
      Shape shape(perm.size());
      std::vector<bool> seen(perm.size(), false);
      for (std::size_t i = 0; i < perm.size(); ++i) {
        const int64_t d = perm[i];
        FNX_CHECK(d >= 0 && d < x.dim() && !seen[d], "permute", "[",
                  absl::StrJoin(perm, ", "), "] is not a permutation of ",
                  x.dim(), " dims");
        seen[d] = true;
        shape[i] = x.shape()[d];
      }
      return {shape, x.dtype(), x.device()};
    }
    case Prim::Expand: {
      const Shape& shape = call.attr<ShapeAttrs>().shape;
      FNX_CHECK(shape.size() >= x.shape().size(), "expand", "cannot expand ",
                shape_str(x.shape()), " to fewer dims ", shape_str(shape));
      const std::size_t lead = shape.size() - x.shape().size();
      for (std::size_t i = 0; i < x.shape().size(); ++i) {
        FNX_CHECK(x.shape()[i] == shape[lead + i] || x.shape()[i] == 1,
                  "expand", "cannot expand ", shape_str(x.shape()), " to ",
                  shape_str(shape), ": dim ", i, " has size ", x.shape()[i],
                  " (only size-1 dims expand)");
      }
      return {shape, x.dtype(), x.device()};
    }
    case Prim::Slice:
    default: {
      const auto& a = call.attr<SliceAttrs>();
      FNX_CHECK(a.dim >= 0 && a.dim < x.dim(), "slice", "dim ", a.dim,
                " is out of range for shape ", shape_str(x.shape()));
      const int64_t size = x.shape()[a.dim];
      FNX_CHECK(a.step >= 1, "slice", "step must be positive, got ", a.step);
      FNX_CHECK(0 <= a.start && a.start <= a.stop && a.stop <= size, "slice",
                "bounds [", a.start, ", ", a.stop, ") are invalid for dim ",
                a.dim, " of size ", size);
      Shape shape = x.shape();
      // (stop - start + step - 1) / step without overflow for huge steps.
      shape[a.dim] = a.stop > a.start ? (a.stop - a.start - 1) / a.step + 1 : 0;
      return {shape, x.dtype(), x.device()};
    }
  }
}

OutMeta cat(const OpCall& call) {
  FNX_CHECK(!call.inputs.empty(), "cat", "needs at least one tensor");
  check_same_device(call);
  check_same_dtype(call, call.inputs);
  const Tensor& first = call.inputs[0];
  const int64_t dim = call.attr<DimAttrs>().dim;
  FNX_CHECK(first.dim() > 0 && dim >= 0 && dim < first.dim(), "cat", "dim ",
            dim, " is invalid for tensors of shape ", shape_str(first.shape()));
  Shape shape = first.shape();
  shape[dim] = 0;
  for (const Tensor& t : call.inputs) {
    bool ok = t.dim() == first.dim();
    for (int64_t d = 0; ok && d < t.dim(); ++d) {
      ok = d == dim || t.shape()[d] == first.shape()[d];
    }
    FNX_CHECK(ok, "cat", "shapes ", shape_str(first.shape()), " and ",
              shape_str(t.shape()), " differ outside dim ", dim);
    shape[dim] = checked_add(shape[dim], t.shape()[dim], "cat");
  }
  return {shape, first.dtype(), first.device()};
}

OutMeta pad(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& a = call.attr<PadAttrs>();
  FNX_CHECK(static_cast<int64_t>(a.lo.size()) == x.dim() &&
                a.hi.size() == a.lo.size(),
            "pad", "needs one (lo, hi) pair per dim of ", shape_str(x.shape()));
  Shape shape = x.shape();
  for (int64_t d = 0; d < x.dim(); ++d) {
    shape[d] = checked_add(shape[d], checked_add(a.lo[d], a.hi[d], "pad"),
                           "pad");
    FNX_CHECK(shape[d] >= 0, "pad", "padding (", a.lo[d], ", ", a.hi[d],
              ") makes dim ", d, " of ", shape_str(x.shape()), " negative");
  }
  return {shape, x.dtype(), x.device()};
}

OutMeta indexing(const OpCall& call) {
  check_same_device(call);
  const Tensor& x = call.inputs[0];
  const Tensor& index = call.inputs[1];
  const int64_t dim = call.attr<DimAttrs>().dim;
  const std::string_view op = op_name(call);
  FNX_CHECK(dim >= 0 && dim < std::max<int64_t>(x.dim(), 1), op, "dim ", dim,
            " is out of range for shape ", shape_str(x.shape()));
  check_index(call, index);
  const int64_t size_at_dim = x.dim() == 0 ? 1 : x.shape()[dim];
  (void)size_at_dim;
  switch (call.prim) {
    case Prim::Gather: {
      FNX_CHECK(index.dim() == x.dim(), "gather", "index of shape ",
                shape_str(index.shape()), " must have the rank of input ",
                shape_str(x.shape()));
      for (int64_t d = 0; d < x.dim(); ++d) {
        FNX_CHECK(d == dim || index.shape()[d] <= x.shape()[d], "gather",
                  "index of shape ", shape_str(index.shape()),
                  " is larger than input ", shape_str(x.shape()),
                  " outside dim ", dim);
      }
      return {index.shape(), x.dtype(), x.device()};
    }
    case Prim::ScatterAdd: {
      const Tensor& src = call.inputs[2];
      FNX_CHECK(src.dtype() == x.dtype(), "scatter_add", "src dtype ",
                dtype_name(src.dtype()), " differs from input dtype ",
                dtype_name(x.dtype()));
      FNX_CHECK(index.dim() == x.dim() && src.dim() == x.dim(), "scatter_add",
                "input ", shape_str(x.shape()), ", index ",
                shape_str(index.shape()), " and src ", shape_str(src.shape()),
                " must have the same rank");
      for (int64_t d = 0; d < x.dim(); ++d) {
        FNX_CHECK(index.shape()[d] <= src.shape()[d] &&
                      (d == dim || index.shape()[d] <= x.shape()[d]),
                  "scatter_add", "index ", shape_str(index.shape()),
                  " does not fit src ", shape_str(src.shape()), " and input ",
                  shape_str(x.shape()));
      }
      return {x.shape(), x.dtype(), x.device()};
    }
    case Prim::IndexSelect: {
      FNX_CHECK(index.dim() <= 1, "index_select", "index must be 1-D, got ",
                shape_str(index.shape()));
      Shape shape = x.shape();
      if (x.dim() > 0) shape[dim] = index.numel();
      return {shape, x.dtype(), x.device()};
    }
    case Prim::IndexAdd:
    default: {
      const Tensor& src = call.inputs[2];
      FNX_CHECK(index.dim() <= 1, "index_add", "index must be 1-D, got ",
                shape_str(index.shape()));
      FNX_CHECK(src.dtype() == x.dtype(), "index_add", "src dtype ",
                dtype_name(src.dtype()), " differs from input dtype ",
                dtype_name(x.dtype()));
      Shape expected = x.shape();
      if (x.dim() > 0) expected[dim] = index.numel();
      FNX_CHECK(src.shape() == expected, "index_add", "src has shape ",
                shape_str(src.shape()), " but input ", shape_str(x.shape()),
                " with ", index.numel(), " indices along dim ", dim,
                " needs ", shape_str(expected));
      return {x.shape(), x.dtype(), x.device()};
    }
  }
}

OutMeta matmul(const OpCall& call) {
  check_same_device(call);
  check_same_dtype(call, call.inputs);
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  FNX_CHECK(a.dim() >= 2 && b.dim() >= 2, "matmul",
            "the primitive needs operands of rank >= 2, got ",
            shape_str(a.shape()), " and ", shape_str(b.shape()));
  FNX_CHECK(a.dtype() != DType::Bool, "matmul", "bool operands; cast first");
  const int64_t m = a.shape()[a.dim() - 2], k = a.shape()[a.dim() - 1];
  const int64_t k2 = b.shape()[b.dim() - 2], n = b.shape()[b.dim() - 1];
  FNX_CHECK(k == k2, "matmul", "shapes ", shape_str(a.shape()), " and ",
            shape_str(b.shape()), " cannot be multiplied (", m, "x", k,
            " and ", k2, "x", n, ")");
  const Shape batch_a(a.shape().begin(), a.shape().end() - 2);
  const Shape batch_b(b.shape().begin(), b.shape().end() - 2);
  Shape shape = broadcast_shapes(batch_a, batch_b, "matmul");
  shape.push_back(m);
  shape.push_back(n);
  return {shape, a.dtype(), a.device()};
}

void check_spatial_attr(std::string_view op, const Shape& v, std::size_t n,
                        std::string_view what, int64_t min) {
  FNX_CHECK(v.size() == n, op, what, " needs ", n, " values (one per spatial ",
            "dim), got ", shape_str(v));
  for (int64_t s : v) {
    FNX_CHECK(s >= min, op, what, " values must be >= ", min, ", got ",
              shape_str(v));
  }
}

// Output spatial size of a window op; an error when the window does not fit.
Shape window_out(std::string_view op, const Shape& in, const Shape& kernel,
                 const Shape& stride, const Shape& padding,
                 const Shape& dilation) {
  Shape out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const int64_t span =
        checked_add(checked_mul(dilation[i], kernel[i] - 1, op), 1, op);
    const int64_t padded = checked_add(in[i], checked_mul(2, padding[i], op), op);
    FNX_CHECK(padded >= span, op, "the window (", span,
              " with dilation) is larger than the padded input (", padded,
              ") in spatial dim ", i, "; input spatial size ", shape_str(in));
    out.push_back((padded - span) / stride[i] + 1);
  }
  return out;
}

void check_conv_attrs(std::string_view op, const ConvAttrs& a, std::size_t n) {
  check_spatial_attr(op, a.stride, n, "stride", 1);
  check_spatial_attr(op, a.padding, n, "padding", 0);
  check_spatial_attr(op, a.dilation, n, "dilation", 1);
  FNX_CHECK(a.groups >= 1, op, "groups must be >= 1, got ", a.groups);
}

// Checks (input, weight) of a forward conv and returns the output shape.
Shape conv_forward_shape(std::string_view op, const Shape& x, const Shape& w,
                         const ConvAttrs& a) {
  FNX_CHECK(x.size() >= 3 && x.size() <= 5 && w.size() == x.size(), op,
            "expects input (N, C, *spatial) with 1-3 spatial dims and a "
            "weight of the same rank, got input ",
            shape_str(x), " and weight ", shape_str(w));
  const std::size_t n = x.size() - 2;
  check_conv_attrs(op, a, n);
  FNX_CHECK(x[1] == w[1] * a.groups && w[0] % a.groups == 0, op, "input ",
            shape_str(x), " has ", x[1], " channels but weight ", shape_str(w),
            " with groups=", a.groups, " expects ", w[1] * a.groups,
            " (and out channels divisible by groups)");
  const Shape in(x.begin() + 2, x.end());
  const Shape kernel(w.begin() + 2, w.end());
  Shape out = {x[0], w[0]};
  for (int64_t s : window_out(op, in, kernel, a.stride, a.padding, a.dilation)) {
    out.push_back(s);
  }
  return out;
}

OutMeta conv(const OpCall& call) {
  check_same_device(call);
  check_same_dtype(call, call.inputs);
  check_floating(call, call.inputs[0]);
  const auto& a = call.attr<ConvAttrs>();
  const std::string_view op = op_name(call);
  const Tensor& first = call.inputs[0];
  switch (call.prim) {
    case Prim::Conv:
      return {conv_forward_shape(op, first.shape(), call.inputs[1].shape(), a),
              first.dtype(), first.device()};
    case Prim::ConvInputGrad: {
      const Shape out = conv_forward_shape(op, a.input_shape,
                                           call.inputs[1].shape(), a);
      FNX_CHECK(out == first.shape(), op, "grad_output has shape ",
                shape_str(first.shape()), " but the forward conv gives ",
                shape_str(out));
      return {a.input_shape, first.dtype(), first.device()};
    }
    case Prim::ConvWeightGrad:
    default: {
      const Shape out =
          conv_forward_shape(op, first.shape(), a.weight_shape, a);
      FNX_CHECK(out == call.inputs[1].shape(), op, "grad_output has shape ",
                shape_str(call.inputs[1].shape()),
                " but the forward conv gives ", shape_str(out));
      return {a.weight_shape, first.dtype(), first.device()};
    }
  }
}

// Unfold's, Fold's and the Pool family's window attributes; the number of
// spatial dims.
std::size_t check_window_attrs(std::string_view op, const UnfoldAttrs& a) {
  const std::size_t n = a.kernel.size();
  FNX_CHECK(n >= 1 && n <= 3, op, "needs 1-3 spatial dims, got kernel ",
            shape_str(a.kernel));
  check_spatial_attr(op, a.kernel, n, "kernel", 1);
  check_spatial_attr(op, a.stride, n, "stride", 1);
  check_spatial_attr(op, a.padding, n, "padding", 0);
  check_spatial_attr(op, a.dilation, n, "dilation", 1);
  return n;
}

OutMeta unfold(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const auto& a = call.attr<UnfoldAttrs>();
  const std::string_view op = op_name(call);
  const std::size_t n = check_window_attrs(op, a);
  if (call.prim == Prim::Unfold) {
    FNX_CHECK(x.dim() == static_cast<int64_t>(n) + 2, "unfold",
              "expects (N, C, *spatial) with ", n, " spatial dims, got ",
              shape_str(x.shape()));
    const Shape in(x.shape().begin() + 2, x.shape().end());
    Shape shape = {x.shape()[0], x.shape()[1], numel(a.kernel)};
    for (int64_t s : window_out(op, in, a.kernel, a.stride, a.padding,
                                a.dilation)) {
      shape.push_back(s);
    }
    return {shape, x.dtype(), x.device()};
  }
  check_spatial_attr(op, a.input_spatial, n, "input_spatial", 0);
  Shape expected = {x.dim() > 0 ? x.shape()[0] : 0,
                    x.dim() > 1 ? x.shape()[1] : 0, numel(a.kernel)};
  for (int64_t s : window_out(op, a.input_spatial, a.kernel, a.stride,
                              a.padding, a.dilation)) {
    expected.push_back(s);
  }
  FNX_CHECK(x.shape() == expected, "fold", "patches of shape ",
            shape_str(x.shape()), " do not match input spatial size ",
            shape_str(a.input_spatial), " (expected ", shape_str(expected),
            ")");
  Shape shape = {x.shape()[0], x.shape()[1]};
  for (int64_t s : a.input_spatial) shape.push_back(s);
  return {shape, x.dtype(), x.device()};
}

void check_shape_nonneg(std::string_view op, const Shape& shape) {
  for (int64_t s : shape) {
    FNX_CHECK(s >= 0, op, "negative dimension in shape ", shape_str(shape));
  }
}

// The CPU is one device (index 0); a device index is never negative.
void check_device(std::string_view op, const Device& device) {
  FNX_CHECK(device.index >= 0 &&
                (device.type != DeviceType::CPU || device.index == 0),
            op, "device ", device.str(), " does not exist",
            device.type == DeviceType::CPU
                ? "; the CPU is one device, Device::cpu() (index 0)"
                : "; device indices start at 0");
}

OutMeta source(const OpCall& call) {
  switch (call.prim) {
    case Prim::Full: {
      const auto& a = call.attr<FullAttrs>();
      check_shape_nonneg("full", a.shape);
      check_device("full", a.device);
      return {a.shape, a.dtype, a.device};
    }
    case Prim::Iota: {
      const auto& a = call.attr<IotaAttrs>();
      FNX_CHECK(a.n >= 0, "iota", "length must be >= 0, got ", a.n);
      check_device("iota", a.device);
      return {{a.n}, a.dtype, a.device};
    }
    default: {
      const auto& a = call.attr<RandomAttrs>();
      check_shape_nonneg(op_name(call), a.shape);
      FNX_CHECK(is_floating(a.dtype), op_name(call),
                "produces floating-point values, not ", dtype_name(a.dtype));
      check_device(op_name(call), a.device);
      return {a.shape, a.dtype, a.device};
    }
  }
}

OutMeta copy(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  if (call.prim == Prim::Copy) return {x.shape(), x.dtype(), x.device()};
  check_same_device(call);
  const Tensor& src = call.inputs[1];
  const Shape shape = broadcast_shapes(x.shape(), src.shape(), "copy_");
  FNX_CHECK(shape == x.shape(), "copy_", "cannot write a value of shape ",
            shape_str(src.shape()), " into a tensor of shape ",
            shape_str(x.shape()), " (it must broadcast to the destination)");
  return {x.shape(), x.dtype(), x.device()};
}

// Every window must hold at least one input element (max pooling never
// selects padding), per spatial dim.
void check_windows_touch_input(std::string_view op, const Shape& in,
                               const Shape& out, const UnfoldAttrs& a) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    for (int64_t o = 0; o < out[i]; ++o) {
      // Some k in [0, kernel) puts first + k * dilation in [0, in): the
      // range of such k, in constant time (a huge kernel must not loop).
      const int64_t first = o * a.stride[i] - a.padding[i];
      const int64_t d = a.dilation[i];
      const int64_t lo_k = first >= 0 ? 0 : (-first + d - 1) / d;
      const int64_t hi_k = std::min<int64_t>(
          a.kernel[i] - 1, in[i] - 1 - first < 0 ? -1 : (in[i] - 1 - first) / d);
      const bool touches = lo_k <= hi_k;
      FNX_CHECK(touches, op, "window ", o, " of spatial dim ", i,
                " covers only padding (input spatial size ", shape_str(in),
                ", padding ", shape_str(a.padding), ", dilation ",
                shape_str(a.dilation), "); use less padding or dilation");
    }
  }
}

// MaxPoolSelect (x, values) -> (N, C, *out): values at each window's argmax
// of x. MaxPoolScatter (x, grad) -> x's shape: grad added at those places.
OutMeta pool(const OpCall& call) {
  check_same_device(call);
  check_same_dtype(call, call.inputs);
  const Tensor& x = call.inputs[0];
  const Tensor& other = call.inputs[1];
  const auto& a = call.attr<UnfoldAttrs>();
  const std::string_view op = op_name(call);
  const std::size_t n = check_window_attrs(op, a);
  FNX_CHECK(x.dim() == static_cast<int64_t>(n) + 2, op,
            "expects (N, C, *spatial) with ", n, " spatial dims, got ",
            shape_str(x.shape()));
  FNX_CHECK(x.dtype() != DType::Bool, op, "is not defined for bool tensors");
  const Shape in(x.shape().begin() + 2, x.shape().end());
  const Shape out_spatial =
      window_out(op, in, a.kernel, a.stride, a.padding, a.dilation);
  check_windows_touch_input(op, in, out_spatial, a);
  Shape out = {x.shape()[0], x.shape()[1]};
  out.insert(out.end(), out_spatial.begin(), out_spatial.end());
  if (call.prim == Prim::MaxPoolSelect) {
    FNX_CHECK(other.shape() == x.shape(), op, "values of shape ",
              shape_str(other.shape()), " must have the input's shape ",
              shape_str(x.shape()));
    return {out, x.dtype(), x.device()};
  }
  FNX_CHECK(other.shape() == out, op, "grad_output of shape ",
            shape_str(other.shape()), " does not match the pooled shape ",
            shape_str(out), " of input ", shape_str(x.shape()));
  return {x.shape(), x.dtype(), x.device()};
}

}  // namespace

namespace {
OutMeta infer_meta_unchecked(const OpCall& call);
}  // namespace

// Every primitive's result is a tensor that must be addressable: its shape
// is checked once here (rank, element count, strides and bytes within
// int64), whatever rule computed it.
OutMeta infer_meta(const OpCall& call) {
  OutMeta meta = infer_meta_unchecked(call);
  // A view allocates nothing: an expanded tensor may show more bytes than
  // memory holds.
  const bool view = prim_info(call.prim).family == PrimFamily::View;
  check_shape(meta.shape, call.name(), view ? 1 : itemsize(meta.dtype));
  return meta;
}

namespace {

OutMeta infer_meta_unchecked(const OpCall& call) {
  const PrimInfo& info = prim_info(call.prim);
  FNX_CHECK(info.arity < 0 ||
                static_cast<int>(call.inputs.size()) == info.arity,
            info.name, "takes ", info.arity, " tensor inputs, got ",
            call.inputs.size());
  switch (info.family) {
    case PrimFamily::Unary: return unary(call);
    case PrimFamily::Binary:
    case PrimFamily::Compare: return binary(call);
    case PrimFamily::Where: return where(call);
    case PrimFamily::Cast: return cast(call);
    case PrimFamily::Reduce:
    case PrimFamily::ArgReduce: return reduce(call);
    case PrimFamily::Softmax: return softmax(call);
    case PrimFamily::Scan:
    case PrimFamily::Sort: return along_dim(call);
    case PrimFamily::View: return view(call);
    case PrimFamily::Cat: return cat(call);
    case PrimFamily::Pad: return pad(call);
    case PrimFamily::Index: return indexing(call);
    case PrimFamily::Matmul: return matmul(call);
    case PrimFamily::Conv: return conv(call);
    case PrimFamily::Unfold: return unfold(call);
    case PrimFamily::Pool: return pool(call);
    case PrimFamily::Creation:
    case PrimFamily::Random: return source(call);
    case PrimFamily::Copy: return copy(call);
    case PrimFamily::Transfer: {
      const Tensor& x = call.inputs[0];
      check_device("to", call.attr<DeviceAttrs>().device);
      return {x.shape(), x.dtype(), call.attr<DeviceAttrs>().device};
    }
    case PrimFamily::Identity: {
      const Tensor& x = call.inputs[0];
      return {x.shape(), x.dtype(), x.device()};
    }
    case PrimFamily::Linalg: return linalg_meta(call);
    case PrimFamily::Collective: return collective(call);
    case PrimFamily::Assert: return assert_meta(call);
    case PrimFamily::HigherOrder:
      // Several outputs, known only by running the body.
      fail(info.name,
           "is a higher-order primitive with several outputs; call it "
           "through dispatch_higher_order (custom_call), not dispatch");
  }
  fail(info.name, "has no shape rule");
}

}  // namespace
}  // namespace fnx
