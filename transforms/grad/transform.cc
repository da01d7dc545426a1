// The grad plugin's entry points (the table grad.h finds as the transform
// "grad") and its registration: the entry points and one VJP rule per
// primitive.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/interpreter.h"
#include "core/leaf_names.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "transforms/grad/backward.h"
#include "transforms/grad/grad_api.h"
#include "transforms/grad/grad_interpreter.h"
#include "transforms/grad/grad_mode.h"
#include "transforms/grad/vjp_rule.h"

namespace fnx::grad_internal {
namespace {

using grad_internal::FlatFn;
using grad_internal::FlatOut;
using grad_internal::GradResult;
using grad_internal::VjpResult;

class TapePullback final : public grad_internal::Pullback {
 public:
  explicit TapePullback(std::string_view caller) : caller_(caller) {}

  std::vector<Tensor> apply(std::span<const Tensor> cotangents) const override {
    FNX_CHECK(cotangents.size() == outputs.size(), caller_, "expected ",
              outputs.size(), " cotangents (one per output), got ",
              cotangents.size());
    std::vector<Tensor> seeds(cotangents.size());
    for (std::size_t i = 0; i < cotangents.size(); ++i) {
      const Tensor& ct = cotangents[i];
      if (!ct.defined() || !outputs[i].defined) continue;
      FNX_CHECK(ct.shape() == outputs[i].shape, caller_, "cotangent ", i,
                " has shape ", shape_str(ct.shape()), " but output ", i,
                " has shape ", shape_str(outputs[i].shape),
                "; each cotangent must be shaped like its output");
      seeds[i] =
          is_floating(outputs[i].dtype) ? cast(ct, outputs[i].dtype) : ct;
    }
    if (!hook) return with_zeros(backward(roots, seeds, primals.size()));
    // The user's hook sees each gradient once, as it is returned: early
    // for the leaves the backward finishes on its way, at the end for the
    // rest (zeros included).
    std::vector<char> reported(primals.size(), 0);
    const LeafFinal on_final = [&](std::size_t i, const Tensor& g) {
      reported[i] = 1;
      hook(i, g.defined() || !primals[i].defined ? g : zeros_like_primal(i));
    };
    std::vector<Tensor> grads =
        with_zeros(backward(roots, seeds, primals.size(), &on_final));
    for (std::size_t i = 0; i < grads.size(); ++i) {
      if (!reported[i]) hook(i, grads[i]);
    }
    return grads;
  }

  std::vector<std::shared_ptr<Node>> roots;  // per output; null = constant
  std::vector<TensorMeta> outputs;
  std::vector<TensorMeta> primals;
  LeafGradientHook hook;  // taken from the thread when the level was made

 private:
  Tensor zeros_like_primal(std::size_t i) const {
    return zeros(primals[i].shape, primals[i].dtype, primals[i].device);
  }
  // Outputs that do not depend on an input give it zeros (torch.func).
  std::vector<Tensor> with_zeros(std::vector<Tensor> grads) const {
    for (std::size_t i = 0; i < grads.size(); ++i) {
      if (!grads[i].defined() && primals[i].defined) {
        grads[i] = zeros_like_primal(i);
      }
    }
    return grads;
  }

  std::string caller_;
};

// The hook the next grad/vjp call on this thread takes (leaf_hook.h).
thread_local LeafGradientHook pending_hook;

LeafGradientHook exchange_hook(LeafGradientHook hook) {
  LeafGradientHook previous = std::move(pending_hook);
  pending_hook = std::move(hook);
  return previous;
}

// Values returned from the finished level act as the tensors they wrap;
// unwrapping them now also lets the tape go when the pullback does.
void peel_all(std::vector<Tensor>& values) {
  for (Tensor& t : values) {
    Tensor storage;
    Tensor peeled = peel_dead(t, storage);
    t = std::move(peeled);
  }
}

VjpResult vjp_entry(const FlatFn& f, std::span<const Tensor> primals,
                    std::string_view caller) {
  for (std::size_t i = 0; i < primals.size(); ++i) {
    const Tensor& p = primals[i];
    FNX_CHECK(!p.defined() || is_floating(p.dtype()), caller,
              leaf_name(primals, i), " has dtype ", dtype_name(p.dtype()),
              " (shape ", shape_str(p.shape()),
              "); only floating-point tensors can be differentiated, as in "
              "torch.func. Cast it (x.to(DType::Float32)), or pass it as an "
              "argument that is not differentiated");
  }
  auto pullback = std::make_shared<TapePullback>(caller);
  // Taken before f runs, so grad calls inside f do not see it.
  pullback->hook = exchange_hook(nullptr);
  GradInterpreter level(caller, grad_enabled());
  FlatOut out;
  {
    // A no_grad scope around the transform does not reach into f.
    GradModeScope recording(true);
    InterpreterScope scope(level);
    std::vector<Tensor> tracked;
    tracked.reserve(primals.size());
    for (std::size_t i = 0; i < primals.size(); ++i) {
      pullback->primals.push_back(TensorMeta::of(primals[i]));
      tracked.push_back(primals[i].defined()
                            ? level.track_leaf(primals[i], static_cast<int>(i))
                            : Tensor());
    }
    out = f(tracked);
    for (const Tensor& o : out.outputs) {
      pullback->roots.push_back(level.current_node(o));
      pullback->outputs.push_back(TensorMeta::of(o));
    }
  }
  peel_all(out.outputs);
  peel_all(out.aux);
  return VjpResult{std::move(out), std::move(pullback)};
}

GradResult grad_entry(const FlatFn& f, std::span<const Tensor> primals,
                      std::string_view caller) {
  // The backward runs under the mode grad was called in: under a
  // NoGradGuard its ops are constants to the enclosing levels.
  const bool outer_mode = grad_enabled();
  VjpResult r = vjp_entry(f, primals, caller);
  FNX_CHECK(r.out.outputs.size() == 1 && r.out.outputs[0].defined(), caller,
            "f must return one defined Tensor");
  const Tensor& value = r.out.outputs[0];
  FNX_CHECK(value.dim() == 0, caller,
            "f must return a scalar (0-d) tensor, got shape ",
            shape_str(value.shape()),
            "; reduce it (sum, mean), or use vjp or jacrev for a non-scalar "
            "output");
  GradModeScope backward(outer_mode);
  const Tensor seed = ones({}, value.dtype(), value.device());
  std::vector<Tensor> grads =
      r.pullback->apply(std::span<const Tensor>(&seed, 1));
  return GradResult{value, std::move(grads), std::move(r.out.aux)};
}

bool is_enabled() { return grad_enabled(); }
void set_enabled(bool enabled) { set_grad_enabled(enabled); }

constexpr grad_internal::GradTransform kTransform{
    grad_internal::kGradApiVersion, &vjp_entry, &grad_entry, &is_enabled,
    &set_enabled};
constexpr LeafHookApi kLeafHook{kLeafHookApiVersion, &exchange_hook};

}  // namespace

FNX_REGISTER_PLUGIN("grad") {
  register_elementwise_rules(r);
  register_reduce_rules(r);
  register_sort_rules(r);
  register_collective_rules(r);
  register_shape_rules(r);
  register_index_rules(r);
  register_linalg_rules(r);
  register_decomposition_rules(r);
  register_custom_call_rule(r);
  r.transform("grad", &kTransform);
  r.transform("grad_leaf_hook", &kLeafHook);
}

}  // namespace fnx::grad_internal
