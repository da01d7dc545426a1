#include "transforms/vmap/vmap_interpreter.h"

#include <utility>

#include "absl/container/inlined_vector.h"
#include "core/error.h"
#include "core/registry.h"
#include "transforms/vmap/fallback.h"

namespace fnx::vmap_internal {

VmapInterpreter::VmapInterpreter(const BatchContext& context)
    : Interpreter("vmap"), context_(context) {
  context_.level = level();
}

namespace {

// Each example's layout in memory: the physical strides without the batch
// dim (torch.func's strides() and is_contiguous() under vmap).
Tensor with_example_strides(Tensor wrapper, const Strides& physical,
                            int64_t bdim) {
  Strides strides(physical.begin(), physical.end());
  strides.erase(strides.begin() + bdim);
  wrapper.impl()->strides = std::move(strides);
  return wrapper;
}

}  // namespace

Tensor VmapInterpreter::wrap(Tensor physical, int64_t bdim) const {
  FNX_CHECK(bdim >= 0 && bdim < physical.dim(), "vmap",
            "internal error: a batching rule put the batch dim at ", bdim,
            " of a result of shape ", shape_str(physical.shape()),
            "; please report it");
  std::shared_ptr<BatchPayload> payload;
  if (bdim < static_cast<int64_t>(payloads_.size())) {
    auto& cached = payloads_[bdim];
    if (cached == nullptr) cached = std::make_shared<BatchPayload>(bdim, -1);
    payload = cached;
  } else {
    payload = std::make_shared<BatchPayload>(bdim, -1);
  }
  Shape logical = physical.shape();
  logical.erase(logical.begin() + bdim);
  const DType dtype = physical.dtype();
  const Strides strides = physical.strides();
  return with_example_strides(
      make_wrapper(std::move(physical), std::move(logical), dtype,
                   std::move(payload)),
      strides, bdim);
}

Tensor VmapInterpreter::wrap_input(Tensor physical, int64_t bdim,
                                   int argument) const {
  Shape logical = physical.shape();
  logical.erase(logical.begin() + bdim);
  const DType dtype = physical.dtype();
  const Strides strides = physical.strides();
  return with_example_strides(
      make_wrapper(std::move(physical), std::move(logical), dtype,
                   std::make_shared<BatchPayload>(bdim, argument)),
      strides, bdim);
}

const BatchPayload& VmapInterpreter::payload(const Tensor& wrapper) const {
  return *static_cast<const BatchPayload*>(payload_of(wrapper));
}

BatchedValue VmapInterpreter::unwrap_batched(const Tensor& t) const {
  if (!owns(t)) return {t, -1};
  return {unwrap(t), payload(t).bdim};
}

Tensor VmapInterpreter::process(const OpCall& call) {
  absl::InlinedVector<BatchedValue, 4> args;
  args.reserve(call.inputs.size());
  for (const Tensor& t : call.inputs) args.push_back(unwrap_batched(t));
  BatchedValue out = run_batching_rule(context_, call, args);
  if (call.prim == Prim::CopyInto && owns(call.inputs[0])) {
    // In place: the caller's BatchedTensor stays the destination. A level
    // below may answer with a new tensor standing for the written one.
    const Tensor& dst = call.inputs[0];
    if (!out.value.is_same(args[0].value)) {
      dst.impl()->wrapper->inner = std::move(out.value);
    }
    return dst;
  }
  if (!out.batched()) return std::move(out.value);
  return wrap(std::move(out.value), out.bdim);
}

std::vector<Tensor> VmapInterpreter::process_higher_order(const OpCall& call) {
  const auto rule =
      reinterpret_cast<HigherOrderBatchingRule>(Registry::get().rule(
          Registry::get().table_id(kBatchingTable), call.prim));
  FNX_CHECK(rule != nullptr, "vmap", "no batching rule for ", call.name(),
            "; rebuild //transforms/vmap with this core");
  std::vector<BatchedValue> args;
  args.reserve(call.inputs.size());
  for (const Tensor& t : call.inputs) args.push_back(unwrap_batched(t));
  std::vector<BatchedValue> outs = rule(context_, call, args);
  std::vector<Tensor> result;
  result.reserve(outs.size());
  for (BatchedValue& o : outs) {
    result.push_back(o.batched() ? wrap(std::move(o.value), o.bdim)
                                 : std::move(o.value));
  }
  return result;
}

Tensor VmapInterpreter::concrete(const Tensor& wrapper, std::string_view what) {
  const BatchPayload& p = payload(wrapper);
  const std::string source = p.argument >= 0
                                 ? str_cat("mapped argument ", p.argument)
                                 : std::string("a batched tensor");
  fail("vmap", what, "() needs the value of ", source, " (per-example shape ",
       shape_str(wrapper.shape()), ", batch size ", context_.batch_size,
       "), which differs from example to example: data-dependent reads "
       "(item(), to_vector(), printing, allclose) cannot run inside vmap. "
       "Compute with tensor ops instead (where(), masks), branch and loop "
       "per example with cond / while_loop (transforms/control/control.h), "
       "or return the value from the mapped function.");
}

}  // namespace fnx::vmap_internal
