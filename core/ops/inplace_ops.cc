// The in-place op API: every in-place op is its out-of-place op followed by
// copy_ (the CopyInto primitive, the one in-place primitive). So a
// transform that handles CopyInto handles every in-place op, and
// functionalization has exactly one primitive to remove.
#include <string>

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {

namespace {

thread_local const char* t_inplace_op = nullptr;

// Writes value into x as the in-place op `name`.
Tensor& write_back(const char* name, Tensor& x, const Tensor& value) {
  InPlaceOpScope scope(name);
  return copy_(x, value);
}

// torch refuses in-place ops whose result cannot be stored in the
// destination's dtype without losing its kind (a float result written into
// an integer tensor, an integer result into a bool tensor).
void check_storable(const char* op, const Tensor& dst, DType result) {
  const bool float_into_int = is_floating(result) && !is_floating(dst.dtype());
  const bool int_into_bool =
      dst.dtype() == DType::Bool && result != DType::Bool;
  if (float_into_int || int_into_bool) {
    fail(op, "the result has dtype ", dtype_name(result),
         ", which cannot be stored in place in a tensor of dtype ",
         dtype_name(dst.dtype()), " (shape ", shape_str(dst.shape()),
         "); use the out-of-place op, or cast the destination first");
  }
}

// dst = op(dst, other), written back in place.
template <typename Op>
Tensor& binary_inplace(const char* name, Tensor& dst, const Tensor& other,
                       Op op) {
  Tensor result = op(dst, other);
  check_storable(name, dst, result.dtype());
  FNX_CHECK(result.shape() == dst.shape(), name, "the result shape ",
            shape_str(result.shape()),
            " does not match the destination's shape ", shape_str(dst.shape()),
            ": an in-place op may broadcast the other operand, not the "
            "destination");
  return write_back(name, dst, result);
}

}  // namespace

const char* inplace_op_name() {
  return t_inplace_op != nullptr ? t_inplace_op : "copy_";
}

InPlaceOpScope::InPlaceOpScope(const char* name) : outer_(t_inplace_op) {
  // The outermost op the user called names the write.
  if (t_inplace_op == nullptr) t_inplace_op = name;
}

InPlaceOpScope::~InPlaceOpScope() { t_inplace_op = outer_; }

Tensor& add_(Tensor& x, const Tensor& y) {
  return binary_inplace(
      "add_", x, y, [](const Tensor& a, const Tensor& b) { return add(a, b); });
}

Tensor& sub_(Tensor& x, const Tensor& y) {
  return binary_inplace(
      "sub_", x, y, [](const Tensor& a, const Tensor& b) { return sub(a, b); });
}

Tensor& mul_(Tensor& x, const Tensor& y) {
  return binary_inplace(
      "mul_", x, y, [](const Tensor& a, const Tensor& b) { return mul(a, b); });
}

Tensor& div_(Tensor& x, const Tensor& y) {
  return binary_inplace(
      "div_", x, y, [](const Tensor& a, const Tensor& b) { return div(a, b); });
}

Tensor& add_(Tensor& x, double y) { return add_(x, scalar_like(y, x)); }
Tensor& sub_(Tensor& x, double y) { return sub_(x, scalar_like(y, x)); }
Tensor& mul_(Tensor& x, double y) { return mul_(x, scalar_like(y, x)); }
Tensor& div_(Tensor& x, double y) { return div_(x, scalar_like(y, x)); }

Tensor& fill_(Tensor& x, double value) {
  return write_back("fill_", x, full({}, value, x.dtype(), x.device()));
}

Tensor& fill_(Tensor& x, const Tensor& value) {
  FNX_CHECK(value.dim() == 0, "fill_",
            "the fill value must be a 0-d tensor, got shape ",
            shape_str(value.shape()), "; use copy_ to write a tensor");
  return write_back("fill_", x, value);
}

Tensor& zero_(Tensor& x) { return fill_(x, 0.0); }

Tensor& clamp_(Tensor& x, std::optional<double> min,
               std::optional<double> max) {
  Tensor result = clamp(x, min, max);
  check_storable("clamp_", x, result.dtype());
  return write_back("clamp_", x, result);
}

Tensor& relu_(Tensor& x) { return write_back("relu_", x, relu(x)); }

Tensor& masked_fill_(Tensor& x, const Tensor& mask, double value) {
  FNX_CHECK(mask.dtype() == DType::Bool, "masked_fill_",
            "the mask must be bool, got ", dtype_name(mask.dtype()), " (shape ",
            shape_str(mask.shape()), ")");
  Tensor result = where(mask, scalar_like(value, x), x);
  FNX_CHECK(result.shape() == x.shape(), "masked_fill_", "the mask of shape ",
            shape_str(mask.shape()),
            " must broadcast to the destination's shape ",
            shape_str(x.shape()));
  return write_back("masked_fill_", x, result);
}

Tensor& index_add_(Tensor& x, int64_t dim, const Tensor& index,
                   const Tensor& src) {
  return write_back("index_add_", x, index_add(x, dim, index, src));
}

// Entries not named by index keep their value; entries named write src's
// slices (several writes to one entry: their sum, where torch leaves the
// result unspecified).
namespace {

// index_copy_ and index_put_ are built on index_add: its errors (a bad
// index, a shape mismatch) are reported under the op the user called.
template <typename Fn>
Tensor& relabelled(std::string_view op, Fn&& fn) {
  try {
    return fn();
  } catch (const Error& e) {
    const std::string_view what = e.what();
    for (std::string_view inner : {"[index_add] ", "[index_copy_] "}) {
      if (what.substr(0, inner.size()) == inner) {
        throw Error(str_cat("[", op, "] ", what.substr(inner.size())));
      }
    }
    throw;
  }
}

}  // namespace

Tensor& index_copy_(Tensor& x, int64_t dim, const Tensor& index,
                    const Tensor& src) {
  return relabelled("index_copy_", [&]() -> Tensor& {
    const Tensor written =
        index_add(zeros(x.shape(), DType::Int32, x.device()), dim, index,
                  ones(src.shape(), DType::Int32, src.device()));
    const Tensor values = index_add(zeros_like(x), dim, index, src);
    return write_back("index_copy_", x, where(written > 0.0, values, x));
  });
}

Tensor& index_put_(Tensor& x, const Tensor& index, const Tensor& values,
                   bool accumulate) {
  FNX_CHECK(x.dim() >= 1, "index_put_",
            "the destination needs at least 1 dim, got shape ",
            shape_str(x.shape()));
  FNX_CHECK(index.dim() == 1, "index_put_",
            "the index must be 1-d (positions along dim 0), got shape ",
            shape_str(index.shape()));
  Shape target = x.shape();
  target[0] = index.size(0);
  const Tensor src = broadcast_to(values, target);
  InPlaceOpScope scope("index_put_");
  return relabelled("index_put_", [&]() -> Tensor& {
    return accumulate ? index_add_(x, 0, index, src)
                      : index_copy_(x, 0, index, src);
  });
}

Tensor& scatter_add_(Tensor& x, int64_t dim, const Tensor& index,
                     const Tensor& src) {
  return write_back("scatter_add_", x, scatter_add(x, dim, index, src));
}

}  // namespace fnx
