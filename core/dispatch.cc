#include "core/dispatch.h"

#include "absl/container/inlined_vector.h"
#include "core/custom_function.h"
#include "core/device.h"
#include "core/error.h"
#include "core/interpreter.h"
#include "core/plugin_loading.h"
#include "core/registry.h"

namespace fnx {

namespace {

thread_local int64_t t_kernel_calls = 0;

bool is_source(Prim prim) {
  const PrimFamily family = prim_info(prim).family;
  return family == PrimFamily::Random || family == PrimFamily::Creation;
}

Tensor run_kernel_with_meta(const OpCall& call, const OutMeta& meta) {
  Kernel kernel = Registry::get().kernel(meta.device.type, call.prim);
  if (kernel == nullptr) {
    ensure_env_plugins_loaded();  // FNX_PLUGINS may bring the backend
    // A device type's backend plugin, loaded on its first use.
    ensure_device_backend(meta.device.type);
    kernel = Registry::get().kernel(meta.device.type, call.prim);
  }
  if (kernel == nullptr) {
    fail(call.name(), "no kernel for device ", meta.device.str(),
         device_type_name(meta.device.type) == "cpu"
             ? "; link the CPU backend (//backends/cpu) or use //:fnx"
             : "; load the CUDA backend (libfnx_cuda.so) or build with "
               "--config=cuda");
  }
  ++t_kernel_calls;
  return kernel(call, meta);
}

void check_defined(Prim prim, std::span<const Tensor> inputs,
                   bool& transformed) {
  for (const Tensor& t : inputs) {
    if (!t.defined()) {
      fail(prim_name(prim), "an input tensor is undefined (default-constructed)");
    }
    transformed |= t.is_wrapper();
  }
}

// Peels dead wrappers off `inputs` into `peeled`; returns the stack index of
// the interpreter owning the highest live level among them (-1: none).
int owning_interpreter(Prim prim, std::span<const Tensor> inputs,
                       absl::InlinedVector<Tensor, 4>& peeled) {
  peeled.reserve(inputs.size());
  int64_t top_level = -1;
  for (const Tensor& t : inputs) {
    Tensor storage;
    peeled.push_back(peel_dead(t, storage));
    top_level = std::max(top_level, live_level(peeled.back()));
  }
  if (top_level < 0) return -1;
  for (int i = interpreter_depth() - 1; i >= 0; --i) {
    if (interpreter_at(i)->level() == top_level) return i;
  }
  const std::string custom = CustomCallScope::current();
  if (!custom.empty()) {
    fail(prim_name(prim), "the ", custom,
         " uses a tensor of an enclosing transform (level ", top_level,
         ") that it captured instead of taking it as an argument; its "
         "derivative or batching would be silently wrong. Pass the tensor "
         "in as an argument of the custom function (and to its rules "
         "through the residuals).");
  }
  fail(prim_name(prim), "an input belongs to transform level ", top_level,
       ", which is not active on this thread here (was the tensor "
       "captured from another thread's transform, or from an outer "
       "transform's rule?). Pass it in as an argument instead.");
}

// The slow path: some input is a wrapper, or a transform is active.
Tensor dispatch_transformed(Prim prim, const Attrs& attrs,
                            std::span<const Tensor> inputs) {
  absl::InlinedVector<Tensor, 4> peeled;
  int index = owning_interpreter(prim, inputs, peeled);
  const std::span<const Tensor> args(peeled.data(), peeled.size());
  const OpCall call{prim, attrs, args};
  const int depth = interpreter_depth();
  // Random and creation ops go to the highest interpreter that asks for
  // them (vmap's randomness modes), even under other transforms: in
  // vmap(grad(f)) a random op in f must still meet vmap.
  if (is_source(prim)) {
    for (int i = depth - 1; i > index; --i) {
      if (interpreter_at(i)->wants_random_ops()) {
        index = i;
        break;
      }
    }
  }
  // Validate in the user's terms (logical shapes) before any transform
  // rewrites the call.
  const OutMeta meta = infer_meta(call);
  if (index < 0) return run_kernel_with_meta(call, meta);
  Interpreter* interpreter = interpreter_at(index);
  StackDepthGuard hide(index);
  return interpreter->process(call);
}

}  // namespace

Tensor dispatch(Prim prim, const Attrs& attrs, std::span<const Tensor> inputs) {
  bool transformed = interpreter_depth() > 0;
  check_defined(prim, inputs, transformed);
  if (transformed) return dispatch_transformed(prim, attrs, inputs);
  const OpCall call{prim, attrs, inputs};
  return run_kernel_with_meta(call, infer_meta(call));
}

std::vector<Tensor> dispatch_higher_order(Prim prim, const Attrs& attrs,
                                          std::span<const Tensor> inputs) {
  FNX_CHECK(is_higher_order(prim), prim_name(prim),
            "is not a higher-order primitive; call it through dispatch");
  bool transformed = interpreter_depth() > 0;
  check_defined(prim, inputs, transformed);
  if (!transformed) return run_higher_order_body(OpCall{prim, attrs, inputs});
  absl::InlinedVector<Tensor, 4> peeled;
  const int index = owning_interpreter(prim, inputs, peeled);
  const OpCall call{prim, attrs,
                    std::span<const Tensor>(peeled.data(), peeled.size())};
  // No level owns an input: the body runs here, and its ops meet the
  // active transforms as any other ops would (random ops still reach vmap).
  if (index < 0) return run_higher_order_body(call);
  Interpreter* interpreter = interpreter_at(index);
  StackDepthGuard hide(index);
  return interpreter->process_higher_order(call);
}

Tensor run_kernel(const OpCall& call) {
  return run_kernel_with_meta(call, infer_meta(call));
}

int64_t kernel_calls() { return t_kernel_calls; }

void note_kernel_call() { ++t_kernel_calls; }

}  // namespace fnx
