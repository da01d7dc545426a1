// checkpoint as a custom function (core/custom_function.h):
//   fwd                 f itself (nothing to save outside grad);
//   fwd_with_residuals  f under a recording PolicyInterpreter, with random
//                       keys logged; residuals: the arguments, then the
//                       results the policy keeps;
//   bwd                 the recomputation: vjp of f over a replaying
//                       PolicyInterpreter (kept results answered, the same
//                       random keys drawn), then its pullback;
//   jvp                 forward mode through f.
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "core/custom_function.h"
#include "core/generator.h"
#include "core/interpreter.h"
#include "core/registry.h"
#include "transforms/custom/checkpoint_entry.h"
#include "transforms/custom/policy_interpreter.h"
#include "transforms/grad/grad_api.h"
#include "transforms/jvp/jvp_api.h"

namespace fnx::checkpoint_internal {
namespace {

constexpr const char* kName = "checkpoint";

// One call of a checkpointed function: what its recording left for its
// backward besides the residual tensors.
struct CallState {
  FlatBody body;
  CheckpointPolicy policy;
  std::vector<char> mask;
  RandomKeyLog keys;
  std::vector<std::pair<int64_t, Prim>> kept;  // call number and primitive
};

bool differentiated(const CallState& s, std::size_t i, const Tensor& t) {
  return t.defined() && is_floating(t.dtype()) &&
         (s.mask.empty() || (i < s.mask.size() && s.mask[i]));
}

// In the backward, only the inputs whose cotangent is wanted are
// differentiated again (weights held constant get no dW, for instance).
bool wanted(const CallState& s, std::size_t i, const Tensor& t) {
  return differentiated(s, i, t) && custom_needs_input_grad(i);
}

std::pair<TensorList, TensorList> record(CallState& s,
                                         std::span<const Tensor> args) {
  s.keys = RandomKeyLog{};
  s.kept.clear();
  RandomKeyScope keys(s.keys);
  if (s.policy.save == CheckpointPolicy::Save::nothing) {
    TensorList residuals(args.begin(), args.end());
    return {s.body(args), std::move(residuals)};
  }
  PolicyInterpreter level(s.policy, PolicyInterpreter::Mode::record);
  TensorList outs;
  {
    InterpreterScope scope(level);
    PolicyInterpreter* outer = PolicyInterpreter::set_recording(&level);
    struct Restore {
      PolicyInterpreter* outer;
      ~Restore() { PolicyInterpreter::set_recording(outer); }
    } restore{outer};
    TensorList wrapped;
    wrapped.reserve(args.size());
    for (const Tensor& a : args) wrapped.push_back(level.wrap_argument(a));
    outs = s.body(wrapped);
    for (Tensor& o : outs) o = level.unwrap(o);
  }
  TensorList residuals(args.begin(), args.end());
  for (const auto& [index, kept] : level.kept()) {
    s.kept.emplace_back(index, kept.prim);
    residuals.push_back(kept.value);
  }
  return {std::move(outs), std::move(residuals)};
}

// vjp of f at `args`, differentiated in the wanted inputs, then its
// pullback applied to the cotangents: one gradient per argument. `level`
// (null when nothing was kept) stops answering with kept results once the
// recomputation's forward is over.
TensorList vjp_of_body(const CallState& s, const TensorList& args,
                       std::span<const Tensor> cts, PolicyInterpreter* level) {
  std::vector<Tensor> primals;
  std::vector<std::size_t> index_of;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (wanted(s, i, args[i])) {
      primals.push_back(args[i]);
      index_of.push_back(i);
    }
  }
  auto f = [&](const std::vector<Tensor>& tracked) {
    TensorList x = args;
    for (std::size_t j = 0; j < tracked.size(); ++j) {
      x[index_of[j]] = tracked[j];
    }
    return grad_internal::FlatOut{s.body(x), {}};
  };
  const auto r = grad_internal::transform(kName).vjp(f, primals, kName);
  if (level != nullptr) level->end_replay();
  const TensorList g = r.pullback->apply(cts);
  TensorList out(args.size());
  for (std::size_t j = 0; j < g.size(); ++j) out[index_of[j]] = g[j];
  return out;
}

TensorList recompute_backward(const CallState& s,
                              std::span<const Tensor> residuals,
                              std::span<const Tensor> cts) {
  const std::size_t n = residuals.size() - s.kept.size();
  RandomKeyLog replay = s.keys;
  replay.replaying = true;
  RandomKeyScope keys(replay);
  if (s.kept.empty()) {  // nothing kept: no level under f
    return vjp_of_body(s, TensorList(residuals.begin(), residuals.begin() + n),
                       cts, nullptr);
  }
  std::map<int64_t, PolicyInterpreter::Kept> kept;
  for (std::size_t k = 0; k < s.kept.size(); ++k) {
    kept[s.kept[k].first] = {s.kept[k].second, residuals[n + k]};
  }
  PolicyInterpreter level(s.policy, PolicyInterpreter::Mode::replay,
                          std::move(kept));
  TensorList out;
  {
    InterpreterScope scope(level);
    TensorList args;
    for (std::size_t i = 0; i < n; ++i) {
      args.push_back(level.wrap_argument(residuals[i]));
    }
    out = vjp_of_body(s, args, cts, &level);
    for (Tensor& g : out) g = level.unwrap(g);
  }
  return out;
}

std::pair<TensorList, TensorList> forward_mode(
    const CallState& s, std::span<const Tensor> primals,
    std::span<const Tensor> tangents) {
  std::vector<Tensor> t(tangents.size());
  for (std::size_t i = 0; i < tangents.size(); ++i) {
    if (differentiated(s, i, primals[i])) t[i] = tangents[i];
  }
  auto f = [&s](const std::vector<Tensor>& x) {
    return jvp_internal::FlatOut{s.body(x), {}};
  };
  jvp_internal::JvpResult r = jvp_internal::transform(kName).jvp(
      f, std::vector<Tensor>(primals.begin(), primals.end()), t, kName);
  return {std::move(r.outputs), std::move(r.tangents)};
}

TensorList call(const FlatBody& body, const CheckpointPolicy& policy,
                std::span<const Tensor> leaves, std::vector<char> mask) {
  auto s = std::make_shared<CallState>();
  s->body = body;
  s->policy = policy;
  s->mask = mask;
  auto fn = std::make_shared<CustomFunction>();
  fn->name = kName;
  fn->differentiable = std::move(mask);
  fn->fwd = [s](std::span<const Tensor> x) { return s->body(x); };
  fn->fwd_with_residuals = [s](std::span<const Tensor> x) {
    return record(*s, x);
  };
  fn->bwd = [s](std::span<const Tensor> residuals,
                std::span<const Tensor> cts) {
    return recompute_backward(*s, residuals, cts);
  };
  fn->jvp = [s](std::span<const Tensor> primals,
                std::span<const Tensor> tangents) {
    return forward_mode(*s, primals, tangents);
  };
  return custom_call(std::move(fn), leaves);
}

Tensor name(const Tensor& x, std::string_view name) {
  if (PolicyInterpreter* level = PolicyInterpreter::recording()) {
    level->name(x, name);
  }
  return x;
}

constexpr Entry kEntry{kEntryVersion, &call, &name};

}  // namespace

FNX_REGISTER_PLUGIN("custom") { r.transform("checkpoint", &kEntry); }

}  // namespace fnx::checkpoint_internal
