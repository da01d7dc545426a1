// The public ops that are primitives: each builds its typed attributes,
// resolves user conveniences (negative dims, -1 sizes, dtype promotion,
// 1-d matmul operands) and dispatches exactly one primitive (plus casts).
#include <cmath>
#include <cstring>

#include "absl/strings/str_join.h"
#include "core/dispatch.h"
#include "core/error.h"
#include "core/interpreter.h"
#include "core/ops/ops.h"

namespace fnx {
namespace {

Tensor call1(Prim prim, const Tensor& x, const Attrs& attrs = NoAttrs{}) {
  const Tensor inputs[] = {x};
  return dispatch(prim, attrs, inputs);
}

Tensor call2(Prim prim, const Tensor& a, const Tensor& b,
             const Attrs& attrs = NoAttrs{}) {
  const Tensor inputs[] = {a, b};
  return dispatch(prim, attrs, inputs);
}

Tensor call3(Prim prim, const Tensor& a, const Tensor& b, const Tensor& c,
             const Attrs& attrs = NoAttrs{}) {
  const Tensor inputs[] = {a, b, c};
  return dispatch(prim, attrs, inputs);
}

Tensor to_float(const Tensor& x) {
  return is_floating(x.dtype()) ? x : cast(x, DType::Float32);
}

// Float-only unary primitives take integers as float32, like torch.
Tensor float_unary(Prim prim, const Tensor& x) { return call1(prim, to_float(x)); }

Tensor promoted_binary(Prim prim, const Tensor& a, const Tensor& b) {
  const DType dt = promote_types(a.dtype(), b.dtype());
  return call2(prim, cast(a, dt), cast(b, dt));
}

Tensor float_binary(Prim prim, const Tensor& a, const Tensor& b) {
  DType dt = promote_types(a.dtype(), b.dtype());
  if (!is_floating(dt)) dt = DType::Float32;
  return call2(prim, cast(a, dt), cast(b, dt));
}

Tensor index_as_int64(const Tensor& index) {
  return index.dtype() == DType::Int32 ? cast(index, DType::Int64) : index;
}

}  // namespace

// ---------------- factories (primitive-backed) ----------------

Tensor full(const Shape& shape, double value, DType dtype, Device device) {
  return dispatch(Prim::Full, FullAttrs{shape, dtype, device, value}, {});
}

Tensor scalar_tensor(double value, DType dtype, Device device) {
  return full({}, value, dtype, device);
}

Tensor arange(int64_t stop, DType dtype, Device device) {
  FNX_CHECK(stop >= 0, "arange", "stop must be >= 0, got ", stop);
  return dispatch(Prim::Iota, IotaAttrs{stop, dtype, device}, {});
}

namespace {
Tensor random_call(Prim prim, const Shape& shape, double a, double b,
                   DType dtype, Generator* gen, Device device) {
  Generator& g = gen != nullptr ? *gen : default_generator();
  const Generator::Key key = g.reserve(static_cast<uint64_t>(numel(shape)));
  return dispatch(prim, RandomAttrs{shape, dtype, device, key.seed, key.offset, a, b},
                  {});
}
}  // namespace

Tensor uniform(const Shape& shape, double low, double high, DType dtype,
               Generator* gen, Device device) {
  FNX_CHECK(low <= high, "uniform", "low (", low, ") must be <= high (", high,
            ")");
  return random_call(Prim::Uniform, shape, low, high, dtype, gen, device);
}

Tensor normal(const Shape& shape, double mean, double std, DType dtype,
              Generator* gen, Device device) {
  FNX_CHECK(std >= 0, "normal", "std must be >= 0, got ", std);
  return random_call(Prim::Normal, shape, mean, std, dtype, gen, device);
}

namespace {

// Host values converted element by element from their own type (int64
// values never pass through double).
template <typename V>
Tensor from_host_values(const std::vector<V>& values, const Shape& shape,
                        DType dtype, Device device) {
  FNX_CHECK(numel(shape) == static_cast<int64_t>(values.size()), "from_vector",
            values.size(), " values do not fill shape ", shape_str(shape));
  Tensor out = empty(shape, dtype, Device::cpu());
  FNX_DISPATCH_ALL_TYPES(dtype, [&] {
    scalar_t* data = out.mutable_data<scalar_t>();
    for (std::size_t i = 0; i < values.size(); ++i) {
      data[i] = static_cast<scalar_t>(values[i]);
    }
  });
  return device == Device::cpu() ? out : to_device(out, device);
}

}  // namespace

Tensor from_vector(const std::vector<double>& values, const Shape& shape,
                   DType dtype, Device device) {
  return from_host_values(values, shape, dtype, device);
}

Tensor from_vector(const std::vector<double>& values, DType dtype) {
  return from_vector(values, {static_cast<int64_t>(values.size())}, dtype);
}

Tensor from_vector(const std::vector<int64_t>& values, const Shape& shape,
                   DType dtype, Device device) {
  return from_host_values(values, shape, dtype, device);
}

// ---------------- unary ----------------

Tensor neg(const Tensor& x) { return call1(Prim::Neg, x); }
Tensor abs(const Tensor& x) { return call1(Prim::Abs, x); }
Tensor sign(const Tensor& x) { return call1(Prim::Sign, x); }
Tensor exp(const Tensor& x) { return float_unary(Prim::Exp, x); }
Tensor log(const Tensor& x) { return float_unary(Prim::Log, x); }
Tensor log1p(const Tensor& x) { return float_unary(Prim::Log1p, x); }
Tensor expm1(const Tensor& x) { return float_unary(Prim::Expm1, x); }
Tensor sqrt(const Tensor& x) { return float_unary(Prim::Sqrt, x); }
Tensor rsqrt(const Tensor& x) { return float_unary(Prim::Rsqrt, x); }
Tensor sin(const Tensor& x) { return float_unary(Prim::Sin, x); }
Tensor cos(const Tensor& x) { return float_unary(Prim::Cos, x); }
Tensor tanh(const Tensor& x) { return float_unary(Prim::Tanh, x); }
Tensor sigmoid(const Tensor& x) { return float_unary(Prim::Logistic, x); }
Tensor erf(const Tensor& x) { return float_unary(Prim::Erf, x); }
Tensor tan(const Tensor& x) { return float_unary(Prim::Tan, x); }
Tensor asin(const Tensor& x) { return float_unary(Prim::Asin, x); }
Tensor acos(const Tensor& x) { return float_unary(Prim::Acos, x); }
Tensor atan(const Tensor& x) { return float_unary(Prim::Atan, x); }
Tensor sinh(const Tensor& x) { return float_unary(Prim::Sinh, x); }
Tensor cosh(const Tensor& x) { return float_unary(Prim::Cosh, x); }
Tensor asinh(const Tensor& x) { return float_unary(Prim::Asinh, x); }
Tensor acosh(const Tensor& x) { return float_unary(Prim::Acosh, x); }
Tensor atanh(const Tensor& x) { return float_unary(Prim::Atanh, x); }
Tensor log2(const Tensor& x) { return float_unary(Prim::Log2, x); }
Tensor log10(const Tensor& x) { return float_unary(Prim::Log10, x); }
Tensor exp2(const Tensor& x) { return float_unary(Prim::Exp2, x); }
Tensor lgamma(const Tensor& x) { return float_unary(Prim::Lgamma, x); }
Tensor digamma(const Tensor& x) { return float_unary(Prim::Digamma, x); }
Tensor erfinv(const Tensor& x) { return float_unary(Prim::Erfinv, x); }
Tensor floor(const Tensor& x) {
  return is_floating(x.dtype()) ? call1(Prim::Floor, x) : x;
}
Tensor ceil(const Tensor& x) {
  return is_floating(x.dtype()) ? call1(Prim::Ceil, x) : x;
}
Tensor round(const Tensor& x) {
  return is_floating(x.dtype()) ? call1(Prim::Round, x) : x;
}
Tensor trunc(const Tensor& x) {
  return is_floating(x.dtype()) ? call1(Prim::Trunc, x) : x;
}
Tensor logical_not(const Tensor& x) { return call1(Prim::LogicalNot, x); }

// ---------------- binary ----------------

Tensor add(const Tensor& a, const Tensor& b) { return promoted_binary(Prim::Add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return promoted_binary(Prim::Sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return promoted_binary(Prim::Mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return float_binary(Prim::Div, a, b); }
Tensor pow(const Tensor& a, const Tensor& b) { return float_binary(Prim::Pow, a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return promoted_binary(Prim::Maximum, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return promoted_binary(Prim::Minimum, a, b); }
Tensor atan2(const Tensor& a, const Tensor& b) { return float_binary(Prim::Atan2, a, b); }
Tensor hypot(const Tensor& a, const Tensor& b) { return float_binary(Prim::Hypot, a, b); }
Tensor fmod(const Tensor& a, const Tensor& b) { return promoted_binary(Prim::Fmod, a, b); }
Tensor remainder(const Tensor& a, const Tensor& b) { return promoted_binary(Prim::Remainder, a, b); }
Tensor polygamma(int64_t n, const Tensor& x) {
  FNX_CHECK(n >= 0, "polygamma", "the order n must be >= 0, got ", n,
            " (input shape ", shape_str(x.shape()), ")");
  const Tensor xf = to_float(x);
  return call2(Prim::Polygamma, scalar_like(static_cast<double>(n), xf), xf);
}
Tensor polygamma(const Tensor& n, const Tensor& x) { return float_binary(Prim::Polygamma, n, x); }
Tensor eq(const Tensor& a, const Tensor& b) { return promoted_binary(Prim::Eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return promoted_binary(Prim::Ne, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return promoted_binary(Prim::Lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return promoted_binary(Prim::Le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return promoted_binary(Prim::Gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return promoted_binary(Prim::Ge, a, b); }
Tensor logical_and(const Tensor& a, const Tensor& b) {
  return call2(Prim::LogicalAnd, cast(a, DType::Bool), cast(b, DType::Bool));
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return call2(Prim::LogicalOr, cast(a, DType::Bool), cast(b, DType::Bool));
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  const DType dt = promote_types(a.dtype(), b.dtype());
  return call3(Prim::Where, cast(cond, DType::Bool), cast(a, dt), cast(b, dt));
}

Tensor cast(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  return call1(Prim::Cast, x, CastAttrs{dtype});
}

Tensor scalar_like(double value, const Tensor& like) {
  const bool integral_value = std::floor(value) == value;
  DType dt = like.dtype();
  if (dt == DType::Bool) dt = integral_value ? DType::Int64 : DType::Float32;
  if (!is_floating(dt) && !integral_value) dt = DType::Float32;
  return scalar_tensor(value, dt, like.device());
}

Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, scalar_like(b, a)); }
Tensor operator-(const Tensor& a, double b) { return sub(a, scalar_like(b, a)); }
Tensor operator*(const Tensor& a, double b) { return mul(a, scalar_like(b, a)); }
Tensor operator/(const Tensor& a, double b) { return div(a, scalar_like(b, a)); }
Tensor operator+(double a, const Tensor& b) { return add(scalar_like(a, b), b); }
Tensor operator-(double a, const Tensor& b) { return sub(scalar_like(a, b), b); }
Tensor operator*(double a, const Tensor& b) { return mul(scalar_like(a, b), b); }
Tensor operator/(double a, const Tensor& b) { return div(scalar_like(a, b), b); }
Tensor pow(const Tensor& a, double exponent) {
  // Squares and cubes as products: one vectorized pass instead of libm's
  // pow per element (a third of an hvp of sum(tanh(x)^2)), and their
  // derivatives are mul's. x * x is exactly pow(x, 2); a cube may differ
  // from a correctly rounded pow in the last bit.
  if (exponent == 2.0 || exponent == 3.0) {
    const Tensor x = is_floating(a.dtype()) ? a : cast(a, DType::Float32);
    const Tensor square = x * x;
    return exponent == 2.0 ? square : square * x;
  }
  return pow(a, scalar_like(exponent, a));
}
Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator<(const Tensor& a, double b) { return lt(a, scalar_like(b, a)); }
Tensor operator>(const Tensor& a, double b) { return gt(a, scalar_like(b, a)); }

// ---------------- reductions ----------------

namespace {
Tensor reduce(Prim prim, const Tensor& x, const Dims& dims, bool keepdim) {
  return call1(prim, x,
               ReduceAttrs{normalize_dims(dims, x.dim(), prim_name(prim), true),
                           keepdim});
}
}  // namespace

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim) {
  return reduce(Prim::Sum, x, dims, keepdim);
}
Tensor amax(const Tensor& x, const Dims& dims, bool keepdim) {
  return reduce(Prim::Amax, x, dims, keepdim);
}
Tensor amin(const Tensor& x, const Dims& dims, bool keepdim) {
  return reduce(Prim::Amin, x, dims, keepdim);
}
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return reduce(Prim::Argmax, x, {dim}, keepdim);
}
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return reduce(Prim::Argmin, x, {dim}, keepdim);
}

// Fused primitives rather than composites (max, subtract, exp, sum, then
// divide or log and subtract): a pass over the data instead of about ten
// kernels. Integers are taken as float32; a 0-d tensor is its own dim of
// size 1.
namespace {
Tensor softmax_call(Prim prim, const Tensor& x, int64_t dim) {
  const Tensor xf = to_float(x);
  const int64_t d = normalize_dim(dim, xf.dim(), prim_name(prim));
  if (xf.dim() == 0) {
    return reshape(call1(prim, reshape(xf, {1}), DimAttrs{0}), {});
  }
  return call1(prim, xf, DimAttrs{d});
}
}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  return softmax_call(Prim::Softmax, x, dim);
}
Tensor log_softmax(const Tensor& x, int64_t dim) {
  return softmax_call(Prim::LogSoftmax, x, dim);
}

// ---------------- views ----------------

Tensor reshape(const Tensor& x, const Shape& shape) {
  Shape resolved = shape;
  int64_t infer_at = -1, known = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      FNX_CHECK(infer_at < 0, "reshape", "only one dim can be -1, got ",
                shape_str(shape));
      infer_at = static_cast<int64_t>(i);
    } else {
      FNX_CHECK(shape[i] >= 0, "reshape", "invalid size in ", shape_str(shape));
      known *= shape[i];
    }
  }
  if (infer_at >= 0) {
    FNX_CHECK(known != 0 && x.numel() % known == 0, "reshape",
              "cannot reshape a tensor of shape ", shape_str(x.shape()), " (",
              x.numel(), " elements) to ", shape_str(shape));
    resolved[infer_at] = x.numel() / known;
  }
  if (resolved == x.shape()) return x;
  return call1(Prim::Reshape, x, ShapeAttrs{resolved});
}

Tensor permute(const Tensor& x, const Dims& perm) {
  FNX_CHECK(static_cast<int64_t>(perm.size()) == x.dim(), "permute",
            "permutation [", absl::StrJoin(perm, ", "),
            "] does not match a tensor of shape ", shape_str(x.shape()));
  Dims p;
  bool identity = true;
  for (std::size_t i = 0; i < perm.size(); ++i) {
    p.push_back(normalize_dim(perm[i], x.dim(), "permute"));
    identity &= p.back() == static_cast<int64_t>(i);
  }
  if (identity) return x;
  return call1(Prim::Permute, x, PermuteAttrs{p});
}

Tensor expand(const Tensor& x, const Shape& shape) {
  FNX_CHECK(shape.size() >= x.shape().size(), "expand", "cannot expand ",
            shape_str(x.shape()), " to fewer dims ", shape_str(shape));
  Shape resolved = shape;
  const std::size_t lead = shape.size() - x.shape().size();
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      FNX_CHECK(i >= lead, "expand", "-1 is not allowed for the new leading ",
                "dims of ", shape_str(shape));
      resolved[i] = x.shape()[i - lead];
    }
  }
  if (resolved == x.shape()) return x;
  return call1(Prim::Expand, x, ShapeAttrs{resolved});
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) { return expand(x, shape); }

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t stop,
             int64_t step) {
  FNX_CHECK(x.dim() > 0, "slice", "cannot slice a 0-d tensor");
  const int64_t d = normalize_dim(dim, x.dim(), "slice");
  FNX_CHECK(step >= 1, "slice", "step must be positive, got ", step);
  const int64_t size = x.shape()[d];
  auto clamp_bound = [size](int64_t v) {
    if (v < 0) v += size;
    return std::clamp<int64_t>(v, 0, size);
  };
  const int64_t lo = clamp_bound(start);
  const int64_t hi = std::max(lo, clamp_bound(stop));
  if (lo == 0 && hi == size && step == 1) return x;
  return call1(Prim::Slice, x, SliceAttrs{d, lo, hi, step});
}

// ---------------- shape ops that copy ----------------

Tensor cat(const std::vector<Tensor>& xs, int64_t dim) {
  FNX_CHECK(!xs.empty(), "cat", "needs at least one tensor");
  DType dt = xs[0].dtype();
  for (const Tensor& t : xs) {
    FNX_CHECK(t.defined(), "cat", "an input tensor is undefined");
    dt = promote_types(dt, t.dtype());
  }
  FNX_CHECK(xs[0].dim() > 0, "cat", "zero-dimensional tensors cannot be ",
            "concatenated; use stack");
  std::vector<Tensor> inputs;
  inputs.reserve(xs.size());
  for (const Tensor& t : xs) inputs.push_back(cast(t, dt));
  return dispatch(Prim::Cat, DimAttrs{normalize_dim(dim, xs[0].dim(), "cat")},
                  std::span<const Tensor>(inputs));
}

Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value) {
  FNX_CHECK(pads.size() % 2 == 0 &&
                static_cast<int64_t>(pads.size()) <= 2 * x.dim(),
            "pad", "needs (lo, hi) pairs for at most ", x.dim(),
            " dims (from the last), got ", pads.size(), " values");
  PadAttrs attrs{Shape(x.dim(), 0), Shape(x.dim(), 0), value};
  for (std::size_t i = 0; i < pads.size() / 2; ++i) {
    const int64_t d = x.dim() - 1 - static_cast<int64_t>(i);
    attrs.lo[d] = pads[2 * i];
    attrs.hi[d] = pads[2 * i + 1];
  }
  return call1(Prim::Pad, x, attrs);
}

// ---------------- indexing ----------------

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  return call2(Prim::Gather, x, index_as_int64(index),
               DimAttrs{normalize_dim(dim, x.dim(), "gather")});
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index,
                   const Tensor& src) {
  return call3(Prim::ScatterAdd, x, index_as_int64(index), cast(src, x.dtype()),
               DimAttrs{normalize_dim(dim, x.dim(), "scatter_add")});
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  return call2(Prim::IndexSelect, x, index_as_int64(index),
               DimAttrs{normalize_dim(dim, x.dim(), "index_select")});
}

Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index,
                 const Tensor& src) {
  return call3(Prim::IndexAdd, x, index_as_int64(index), cast(src, x.dtype()),
               DimAttrs{normalize_dim(dim, x.dim(), "index_add")});
}

// ---------------- linear algebra ----------------

Tensor matmul(const Tensor& a, const Tensor& b) {
  FNX_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul",
            "both arguments need at least 1 dim, got shapes ",
            shape_str(a.shape()), " and ", shape_str(b.shape()));
  const DType dt = promote_types(a.dtype(), b.dtype());
  const Tensor a2 = a.dim() == 1 ? unsqueeze(a, 0) : a;
  const Tensor b2 = b.dim() == 1 ? unsqueeze(b, 1) : b;
  Tensor out = call2(Prim::Matmul, cast(a2, dt), cast(b2, dt));
  if (b.dim() == 1) out = squeeze(out, -1);
  if (a.dim() == 1) out = squeeze(out, b.dim() == 1 ? -1 : -2);
  return out;
}

// ---------------- convolution ----------------

namespace {

// Empty = `fill` everywhere; one value = that value everywhere.
Shape per_spatial(const Shape& v, std::size_t n, int64_t fill) {
  if (v.empty()) return Shape(n, fill);
  if (v.size() == 1) return Shape(n, v[0]);
  return v;
}

ConvAttrs conv_attrs(const ConvOptions& o, std::size_t spatial) {
  ConvAttrs a;
  a.stride = per_spatial(o.stride, spatial, 1);
  a.padding = per_spatial(o.padding, spatial, 0);
  a.dilation = per_spatial(o.dilation, spatial, 1);
  a.groups = o.groups;
  return a;
}

UnfoldAttrs unfold_attrs(const PoolOptions& o, double pad_value) {
  const std::size_t n = o.kernel.size();
  UnfoldAttrs a;
  a.kernel = o.kernel;
  a.stride = o.stride.empty() ? o.kernel : per_spatial(o.stride, n, 1);
  a.padding = per_spatial(o.padding, n, 0);
  a.dilation = per_spatial(o.dilation, n, 1);
  a.pad_value = pad_value;
  return a;
}

std::size_t spatial_dims(const Tensor& x, std::string_view op) {
  FNX_CHECK(x.dim() >= 3, op, "expects (N, C, *spatial), got ",
            shape_str(x.shape()));
  return static_cast<std::size_t>(x.dim() - 2);
}

}  // namespace

Tensor conv(const Tensor& x, const Tensor& weight, const ConvOptions& options) {
  const DType dt = promote_types(x.dtype(), weight.dtype());
  return call2(Prim::Conv, cast(x, dt), cast(weight, dt),
               conv_attrs(options, spatial_dims(x, "conv")));
}

Tensor conv_input_grad(const Tensor& grad_out, const Tensor& weight,
                       const Shape& input_shape, const ConvOptions& options) {
  ConvAttrs a = conv_attrs(options, spatial_dims(grad_out, "conv_input_grad"));
  a.input_shape = input_shape;
  return call2(Prim::ConvInputGrad, grad_out, cast(weight, grad_out.dtype()), a);
}

Tensor conv_weight_grad(const Tensor& x, const Tensor& grad_out,
                        const Shape& weight_shape, const ConvOptions& options) {
  ConvAttrs a = conv_attrs(options, spatial_dims(x, "conv_weight_grad"));
  a.weight_shape = weight_shape;
  return call2(Prim::ConvWeightGrad, x, cast(grad_out, x.dtype()), a);
}

Tensor unfold(const Tensor& x, const PoolOptions& options, double pad_value) {
  return call1(Prim::Unfold, x, unfold_attrs(options, pad_value));
}

Tensor fold(const Tensor& patches, const Shape& input_spatial,
            const PoolOptions& options) {
  UnfoldAttrs a = unfold_attrs(options, 0);
  a.input_spatial = input_spatial;
  return call1(Prim::Fold, patches, a);
}

Tensor max_pool_select(const Tensor& x, const Tensor& values,
                       const PoolOptions& options) {
  const DType dt = promote_types(x.dtype(), values.dtype());
  return call2(Prim::MaxPoolSelect, cast(x, dt), cast(values, dt),
               unfold_attrs(options, 0));
}

Tensor max_pool_scatter(const Tensor& x, const Tensor& grad_out,
                        const PoolOptions& options) {
  const DType dt = promote_types(x.dtype(), grad_out.dtype());
  return call2(Prim::MaxPoolScatter, cast(x, dt), cast(grad_out, dt),
               unfold_attrs(options, 0));
}

// ---------------- memory ----------------

Tensor contiguous(const Tensor& x) {
  return x.is_contiguous() ? x : call1(Prim::Copy, x);
}

Tensor clone(const Tensor& x) { return call1(Prim::Copy, x); }

Tensor& copy_(Tensor& dst, const Tensor& src) {
  Tensor result = call2(Prim::CopyInto, dst, src);
  // A transform may answer with a new wrapper standing for dst (e.g. a
  // functionalized value); the caller's handle follows it.
  if (!result.is_same(dst)) dst = result;
  return dst;
}

Tensor stop_gradient(const Tensor& x) { return call1(Prim::StopGradient, x); }

// The ToDevice primitive, so that every transform sees the move (its
// kernel, shared by the backends: backends/common/device_transfer.h).
Tensor to_device(const Tensor& x, Device device) {
  if (x.device() == device) return x;
  // The device's backend (loaded on first use) and a clear error when it or
  // the device is missing, before any transform records the call.
  device_allocator(device.type != DeviceType::CPU ? device : x.device(), "to");
  return call1(Prim::ToDevice, x, DeviceAttrs{device});
}

}  // namespace fnx
