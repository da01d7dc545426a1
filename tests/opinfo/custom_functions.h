// The custom functions of the op database (opinfo_custom.cc), shared with
// the custom-function tests: each counts how often its user rules ran, so
// tests can prove which rule a transform used.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/tensor.h"

namespace fnx::opinfo::custom {

struct Counters {
  std::atomic<int64_t> fwd{0}, bwd{0}, jvp{0}, vmap{0};
  void reset() { fwd = bwd = jvp = vmap = 0; }
};

// log(1 + exp(x)) with a custom jvp (sigmoid(x) * t).
Tensor stable_softplus(const Tensor& x);
Counters& stable_softplus_counters();

// y = 2x with a custom vjp that clips the cotangent to [-limit, limit].
Tensor scale_clip_grad(const Tensor& x, double limit);
Counters& clip_counters();

// A "foreign" kernel: sum(x * y, -1) computed by a loop over host copies of
// the data (as a call into another library would), with a custom vjp in
// public ops and a vmap rule that makes one call for the whole batch.
Tensor foreign_rowdot(const Tensor& x, const Tensor& y);
Counters& foreign_counters();
// How many times the host loop itself ran.
int64_t foreign_kernel_calls();

// (sin x, 2 cos x) as one custom function with a custom vjp.
std::tuple<Tensor, Tensor> sin_and_twice_cos(const Tensor& x);
Counters& multi_output_counters();

// scale * x^k + shift, with an integer k, a double scale and a tensor
// shift that is not differentiated (NonDiff); custom vjp.
Tensor scaled_power(const Tensor& x, int64_t k, double scale,
                    const Tensor& shift);
Counters& scaled_power_counters();

// matmul(x, w) with a vmap rule that makes one batched matmul.
Tensor batched_matmul(const Tensor& x, const Tensor& w);
Counters& batched_matmul_counters();

// x * stable_softplus(x), a custom vjp around the custom-jvp softplus.
Tensor x_softplus(const Tensor& x);
Counters& nested_counters();

// d/dx sum(x sin x) = sin x + x cos x: fwd calls grad inside.
Tensor grad_inside(const Tensor& x);

}  // namespace fnx::opinfo::custom
