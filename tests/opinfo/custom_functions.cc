#include "tests/opinfo/custom_functions.h"

#include <tuple>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "transforms/custom/custom.h"
#include "transforms/grad/grad.h"

namespace fnx::opinfo::custom {
namespace {

std::atomic<int64_t> g_foreign_kernel{0};

// The host loop: sum over the last dim of x * y (same shapes).
Tensor rowdot_kernel(const Tensor& x, const Tensor& y) {
  FNX_CHECK(x.shape() == y.shape() && x.dim() >= 1, "foreign_rowdot",
            "expects two tensors of one shape with at least one dim, got ",
            shape_str(x.shape()), " and ", shape_str(y.shape()));
  ++g_foreign_kernel;
  const std::vector<double> a = x.to_vector(), b = y.to_vector();
  Shape out_shape = x.shape();
  const int64_t k = out_shape.back();
  out_shape.pop_back();
  int64_t rows = 1;
  for (int64_t s : out_shape) rows *= s;
  std::vector<double> out(static_cast<std::size_t>(rows), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    double acc = 0;
    for (int64_t j = 0; j < k; ++j) acc += a[r * k + j] * b[r * k + j];
    out[r] = acc;
  }
  return from_vector(out, out_shape, x.dtype(), x.device());
}

// `t` with its batch dim (-1: none) at 0, expanded to the batch.
Tensor batch_first(const Tensor& t, int64_t dim, int64_t size) {
  if (dim >= 0) return movedim(t, dim, 0);
  Shape s = t.shape();
  s.insert(s.begin(), size);
  return expand(unsqueeze(t, 0), s);
}

}  // namespace

Counters& stable_softplus_counters() {
  static Counters c;
  return c;
}
Counters& clip_counters() {
  static Counters c;
  return c;
}
Counters& foreign_counters() {
  static Counters c;
  return c;
}
Counters& multi_output_counters() {
  static Counters c;
  return c;
}
Counters& scaled_power_counters() {
  static Counters c;
  return c;
}
Counters& batched_matmul_counters() {
  static Counters c;
  return c;
}
Counters& nested_counters() {
  static Counters c;
  return c;
}
int64_t foreign_kernel_calls() { return g_foreign_kernel.load(); }

Tensor stable_softplus(const Tensor& x) {
  static const auto fn = custom_function(
      [](const Tensor& x) {
        ++stable_softplus_counters().fwd;
        return log1p(exp(-abs(x))) + relu(x);
      },
      {.jvp =
           [](const Tensor& x, const Tensor& t) {
             ++stable_softplus_counters().jvp;
             return std::pair{log1p(exp(-abs(x))) + relu(x), sigmoid(x) * t};
           },
       .name = "softplus"});
  return fn(x);
}

Tensor scale_clip_grad(const Tensor& x, double limit) {
  static const auto fn = custom_function(
      [](const Tensor& x, double) {
        ++clip_counters().fwd;
        return x * 2.0;
      },
      {.vjp = {.fwd_with_residuals =
                   [](const Tensor& x, double limit) {
                     ++clip_counters().fwd;
                     return std::pair{
                         x * 2.0,
                         TensorList{full({}, limit, x.dtype(), x.device())}};
                   },
               .bwd =
                   [](const TensorList& res, const Tensor& g) {
                     ++clip_counters().bwd;
                     const Tensor& limit = res[0];
                     return TensorList{
                         minimum(maximum(g * 2.0, -limit), limit)};
                   }},
       .name = "scale_clip_grad"});
  return fn(x, limit);
}

Tensor foreign_rowdot(const Tensor& x, const Tensor& y) {
  static const auto fn = custom_function(
      [](const Tensor& x, const Tensor& y) {
        ++foreign_counters().fwd;
        return rowdot_kernel(x, y);
      },
      {.vjp = {.bwd =
                   [](const TensorList& res, const Tensor& g) {
                     ++foreign_counters().bwd;
                     const Tensor gk = unsqueeze(g, -1);
                     return TensorList{gk * res[1], gk * res[0]};
                   }},
       .vmap =
           [](const VmapInfo& info, const Tensor& x, const Tensor& y) {
             ++foreign_counters().vmap;
             return std::pair{
                 rowdot_kernel(
                     batch_first(x, info.in_dims[0], info.batch_size),
                     batch_first(y, info.in_dims[1], info.batch_size)),
                 std::vector<int64_t>{0}};
           },
       .name = "foreign_rowdot"});
  return fn(x, y);
}

std::tuple<Tensor, Tensor> sin_and_twice_cos(const Tensor& x) {
  using Out = std::tuple<Tensor, Tensor>;
  static const auto fn = custom_function(
      [](const Tensor& x) {
        ++multi_output_counters().fwd;
        return Out{sin(x), cos(x) * 2.0};
      },
      {.vjp = {.fwd_with_residuals =
                   [](const Tensor& x) {
                     ++multi_output_counters().fwd;
                     return std::pair{Out{sin(x), cos(x) * 2.0}, TensorList{x}};
                   },
               .bwd =
                   [](const TensorList& res, const Out& g) {
                     ++multi_output_counters().bwd;
                     const Tensor& x = res[0];
                     return TensorList{std::get<0>(g) * cos(x) -
                                       std::get<1>(g) * sin(x) * 2.0};
                   }},
       .name = "sin_and_twice_cos"});
  return fn(x);
}

Tensor scaled_power(const Tensor& x, int64_t k, double scale,
                    const Tensor& shift) {
  static const auto fn = custom_function(
      [](const Tensor& x, int64_t k, double scale, const NonDiff& shift) {
        ++scaled_power_counters().fwd;
        return pow(x, static_cast<double>(k)) * scale + shift.value;
      },
      {.vjp = {.fwd_with_residuals =
                   [](const Tensor& x, int64_t k, double scale,
                      const NonDiff& shift) {
                     ++scaled_power_counters().fwd;
                     const double kd = static_cast<double>(k);
                     return std::pair{
                         pow(x, kd) * scale + shift.value,
                         TensorList{pow(x, kd - 1.0) * (scale * kd)}};
                   },
               .bwd =
                   [](const TensorList& res, const Tensor& g) {
                     ++scaled_power_counters().bwd;
                     return TensorList{g * res[0]};
                   }},
       .name = "scaled_power"});
  return fn(x, k, scale, NonDiff{shift});
}

Tensor batched_matmul(const Tensor& x, const Tensor& w) {
  static const auto fn = custom_function(
      [](const Tensor& x, const Tensor& w) {
        ++batched_matmul_counters().fwd;
        return matmul(x, w);
      },
      {.vmap =
           [](const VmapInfo& info, const Tensor& x, const Tensor& w) {
             ++batched_matmul_counters().vmap;
             return std::pair{
                 matmul(batch_first(x, info.in_dims[0], info.batch_size),
                        batch_first(w, info.in_dims[1], info.batch_size)),
                 std::vector<int64_t>{0}};
           },
       .name = "batched_matmul"});
  return fn(x, w);
}

Tensor x_softplus(const Tensor& x) {
  static const auto fn = custom_function(
      [](const Tensor& x) {
        ++nested_counters().fwd;
        return x * stable_softplus(x);
      },
      {.vjp = {.bwd =
                   [](const TensorList& res, const Tensor& g) {
                     ++nested_counters().bwd;
                     const Tensor& x = res[0];
                     return TensorList{g *
                                       (stable_softplus(x) + x * sigmoid(x))};
                   }},
       .name = "x_softplus"});
  return fn(x);
}

Tensor grad_inside(const Tensor& x) {
  static const auto fn = custom_function(
      [](const Tensor& x) {
        return grad([](const Tensor& u) { return (u * sin(u)).sum(); })(x);
      },
      {.name = "grad_inside"});
  return fn(x);
}

}  // namespace fnx::opinfo::custom
