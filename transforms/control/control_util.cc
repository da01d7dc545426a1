#include "transforms/control/control_util.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/interpreter.h"
#include "core/ops/ops.h"
#include "core/str_cat.h"
#include "transforms/vmap/vmap_collectives.h"

namespace fnx::control_internal {

Tensor every_example(const Tensor& x, const char* op) {
  return vmap_all_gather(x, Tensor(), op);
}

void check_scalar(const char* op, const char* what, const Tensor& t) {
  FNX_CHECK(t.defined(), op, what,
            " is an undefined tensor; it must be a "
            "scalar tensor");
  FNX_CHECK(t.numel() == 1, op, what, " has shape ", shape_str(t.shape()),
            "; it must be a scalar (one element per example)");
}

void check_like(const char* op, const char* what, std::span<const Tensor> got,
                std::span<const Tensor> want) {
  FNX_CHECK(got.size() == want.size(), op, what, " has ", got.size(),
            " tensors where ", want.size(), " are due");
  for (std::size_t i = 0; i < got.size(); ++i) {
    FNX_CHECK(got[i].defined(), op, what, " leaf ", i,
              " is an undefined tensor");
    FNX_CHECK(
        got[i].shape() == want[i].shape() && got[i].dtype() == want[i].dtype(),
        op, what, " leaf ", i, " is ", shape_str(got[i].shape()), " ",
        dtype_name(got[i].dtype()), " but must be ", shape_str(want[i].shape()),
        " ", dtype_name(want[i].dtype()),
        " (as the other branch or the carry); shapes and dtypes must "
        "not change");
  }
}

TensorList select(const Tensor& pick, std::span<const Tensor> a,
                  std::span<const Tensor> b) {
  TensorList out;
  out.reserve(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    out.push_back(where(pick, a[i], b[i]));
  }
  return out;
}

bool reverse_mode_tracks(const Tensor& t) {
  Tensor current = t;
  while (current.defined() && current.is_wrapper()) {
    const auto& wrapper = *current.impl()->wrapper;
    if (const Interpreter* owner = wrapper.owner->interpreter()) {
      const std::string& name = owner->name();
      if (name == "grad" || name == "linearize") return true;
    }
    current = wrapper.inner;
  }
  return false;
}

int64_t leading_length(const char* op, std::span<const Tensor> xs,
                       const int64_t* length) {
  if (xs.empty()) {
    FNX_CHECK(length != nullptr, op,
              "xs has no tensors, so the number of steps is unknown; pass "
              "{.length = N}");
    return *length;
  }
  int64_t n = -1;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    FNX_CHECK(xs[i].defined(), op, "xs leaf ", i, " is an undefined tensor");
    FNX_CHECK(xs[i].dim() >= 1, op, "xs leaf ", i,
              " is 0-d; every leaf of xs needs a leading dim to scan over");
    const int64_t size = xs[i].shape()[0];
    FNX_CHECK(n < 0 || size == n, op, "xs leaf ", i, " has leading size ", size,
              " but leaf 0 has ", n,
              "; every leaf of xs must have the "
              "same leading size");
    n = size;
  }
  FNX_CHECK(length == nullptr || *length == n, op, "length is ", *length,
            " but xs has leading size ", n, "; they must agree");
  return n;
}

TensorList stack_steps(const char* op, const std::vector<TensorList>& steps) {
  TensorList out;
  if (steps.empty()) return out;
  const std::size_t leaves = steps[0].size();
  for (std::size_t j = 0; j < leaves; ++j) {
    std::vector<Tensor> column;
    column.reserve(steps.size());
    for (std::size_t s = 0; s < steps.size(); ++s) {
      FNX_CHECK(steps[s].size() == leaves, op, "step ", s, " returned ",
                steps[s].size(), " output tensors but step 0 returned ",
                leaves);
      const Tensor& y = steps[s][j];
      FNX_CHECK(y.defined(), op, "output leaf ", j, " of step ", s,
                " is an undefined tensor");
      if (!column.empty()) {
        FNX_CHECK(
            y.shape() == column[0].shape() && y.dtype() == column[0].dtype(),
            op, "output leaf ", j, " is ", shape_str(y.shape()), " ",
            dtype_name(y.dtype()), " at step ", s, " but ",
            shape_str(column[0].shape()), " ", dtype_name(column[0].dtype()),
            " at step 0; every step must return the same shapes and "
            "dtypes");
      }
      column.push_back(y);
    }
    out.push_back(stack(column, 0));
  }
  return out;
}

}  // namespace fnx::control_internal
