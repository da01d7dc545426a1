// allclose / equal: host-side comparisons of concrete values (they return
// a bool, so they cannot be traced; under a transform the values must be
// concrete, which Tensor::to_vector() enforces).
#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {

namespace {

// torch.isclose: equal values (including equal infinities) are close; NaN
// is close only to NaN and only with equal_nan; otherwise both must be
// finite and |a - b| <= atol + rtol * |b|.
bool is_close(double a, double b, double rtol, double atol, bool equal_nan) {
  if (std::isnan(a) || std::isnan(b)) {
    return equal_nan && std::isnan(a) && std::isnan(b);
  }
  if (a == b) return true;
  if (!std::isfinite(a) || !std::isfinite(b)) return false;
  return std::fabs(a - b) <= atol + rtol * std::fabs(b);
}

}  // namespace

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol,
              bool equal_nan) {
  FNX_CHECK(a.defined() && b.defined(), "allclose",
            "both tensors must be defined");
  FNX_CHECK(rtol >= 0 && atol >= 0, "allclose", "rtol (", rtol, ") and atol (",
            atol, ") must be non-negative");
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), "allclose");
  const std::vector<double> va = broadcast_to(a, shape).to_vector();
  const std::vector<double> vb = broadcast_to(b, shape).to_vector();
  for (size_t i = 0; i < va.size(); ++i) {
    if (!is_close(va[i], vb[i], rtol, atol, equal_nan)) return false;
  }
  return true;
}

// Same shape and the same values (NaN equals nothing, as in torch.equal).
// Values are compared as doubles, so dtypes may differ.
bool equal(const Tensor& a, const Tensor& b) {
  FNX_CHECK(a.defined() && b.defined(), "equal",
            "both tensors must be defined");
  if (a.shape() != b.shape()) return false;
  const std::vector<double> va = a.to_vector();
  const std::vector<double> vb = b.to_vector();
  for (size_t i = 0; i < va.size(); ++i) {
    if (!(va[i] == vb[i])) return false;
  }
  return true;
}

}  // namespace fnx
