// The dispatcher: every primitive call goes through dispatch(). With no
// transform active and only dense inputs it runs the shape rule and the
// device kernel directly (the fast path). Otherwise it routes the call to
// the highest-level interpreter that owns an input (core/interpreter.h).
#pragma once

#include <initializer_list>
#include <span>
#include <vector>

#include "core/primitive.h"
#include "core/tensor.h"

namespace fnx {

Tensor dispatch(Prim prim, const Attrs& attrs, std::span<const Tensor> inputs);
inline Tensor dispatch(Prim prim, const Attrs& attrs,
                       std::initializer_list<Tensor> inputs) {
  return dispatch(prim, attrs, std::span<const Tensor>(inputs.begin(), inputs.size()));
}

// Calls a higher-order primitive (is_higher_order: custom_call), whose
// outputs are several and known only by running its body. With no
// transform owning an input the body runs as it is; otherwise the call goes
// to the owning interpreter's process_higher_order.
std::vector<Tensor> dispatch_higher_order(Prim prim, const Attrs& attrs,
                                          std::span<const Tensor> inputs);

// Runs the device kernel for a call whose inputs are all dense, skipping
// every interpreter (what dispatch does at the bottom of the stack).
Tensor run_kernel(const OpCall& call);

// Counts primitive calls that reached a kernel on this thread (tests and
// benchmarks use it to see that transforms produce batched kernels).
int64_t kernel_calls();
// Counts one kernel run outside dispatch (a fused elementwise program).
void note_kernel_call();

}  // namespace fnx
