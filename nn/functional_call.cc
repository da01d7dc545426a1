#include "nn/functional_call.h"

#include <string>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/shape.h"
#include "core/str_cat.h"

namespace fnx::nn {
namespace functional_internal {

namespace {

// This thread's functional_call substitutions, innermost last.
std::vector<std::unordered_map<const Tensor*, Tensor>*>& substitutions() {
  thread_local std::vector<std::unordered_map<const Tensor*, Tensor>*> stack;
  return stack;
}

}  // namespace

Reparametrize::Reparametrize(Module& module, const ParamDict& values,
                             FunctionalCallOptions options) {
  constexpr const char* kOp = "nn.functional_call";
  const ParamDict all = module.state_dict();  // as this thread sees it
  // Check everything before swapping anything.
  for (const auto& [k, t] : values) {
    const Tensor* slot = module.slot_of(k);
    FNX_CHECK(slot != nullptr, kOp, "unexpected key \"", k,
              "\": ", module.type_name(), " has ", all.keys_str());
    FNX_CHECK(t.defined(), kOp, "value for \"", k, "\" is undefined");
    FNX_CHECK(t.shape() == slot->shape(), kOp, "shape mismatch for \"", k,
              "\": the module has ", shape_str(slot->shape()), ", got ",
              shape_str(t.shape()));
  }
  // The full substitution: the given names, plus (tie_weights) every name
  // whose tensor is tied to a given one.
  ParamDict subst = values;
  if (options.tie_weights) {
    for (const auto& [k, t] : values) {
      const Tensor& original = all.at(k);
      for (const auto& [other, o] : all) {
        if (other == k || !o.is_same(original)) continue;
        if (values.contains(other)) {
          FNX_CHECK(values.at(other).is_same(t), kOp, "\"", k, "\" and \"",
                    other, "\" are tied in ", module.type_name(),
                    " but were given different tensors");
        } else {
          subst.insert_or_assign(other, t);
        }
      }
    }
  }
  if (options.strict) {
    std::string missing;
    for (const auto& [k, t] : all) {
      if (!subst.contains(k)) missing += missing.empty() ? k : ", " + k;
    }
    FNX_CHECK(missing.empty(), kOp, "strict: missing keys {", missing, "}");
  }
  for (const auto& [k, t] : subst)
    by_slot_.insert_or_assign(module.slot_of(k), t);
  substitutions().push_back(&by_slot_);
}

Reparametrize::~Reparametrize() {
  // Scopes end in reverse order on their thread.
  substitutions().pop_back();
}

Tensor* substituted(const Tensor* slot) {
  auto& stack = substitutions();
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
    const auto found = (*it)->find(slot);
    if (found != (*it)->end()) return &found->second;
  }
  return nullptr;
}

ParamDict merge(const ParamDict& params, const ParamDict& buffers) {
  ParamDict out = params;
  for (const auto& [k, t] : buffers) {
    FNX_CHECK(!out.contains(k), "nn.functional_call", "key \"", k,
              "\" is in both the parameter and the buffer dict");
    out.insert_or_assign(k, t);
  }
  return out;
}

}  // namespace functional_internal

namespace {

ParamDict stack_dicts(const std::vector<ParamDict>& dicts, const char* what) {
  constexpr const char* kOp = "nn.stack_module_state";
  ParamDict out;
  for (std::size_t i = 1; i < dicts.size(); ++i) {
    FNX_CHECK(dicts[i].same_keys(dicts[0]), kOp, "models differ in their ",
              what, ": model 0 has ", dicts[0].keys_str(), ", model ", i,
              " has ", dicts[i].keys_str());
  }
  for (const auto& [k, t0] : dicts[0]) {
    std::vector<Tensor> parts;
    parts.reserve(dicts.size());
    for (std::size_t i = 0; i < dicts.size(); ++i) {
      const Tensor& t = dicts[i].at(k);
      FNX_CHECK(t.shape() == t0.shape() && t.dtype() == t0.dtype(), kOp, "\"",
                k, "\" differs: model 0 has ", shape_str(t0.shape()), " ",
                dtype_name(t0.dtype()), ", model ", i, " has ",
                shape_str(t.shape()), " ", dtype_name(t.dtype()));
      parts.push_back(detach(t));
    }
    out.insert_or_assign(k, stack(parts, 0));
  }
  return out;
}

}  // namespace

namespace functional_internal {

std::pair<ParamDict, ParamDict> stack_modules(
    const std::vector<const Module*>& models) {
  FNX_CHECK(!models.empty(), "nn.stack_module_state", "no models given");
  std::vector<ParamDict> params, buffers;
  for (std::size_t i = 0; i < models.size(); ++i) {
    FNX_CHECK(models[i] != nullptr, "nn.stack_module_state", "model ", i,
              " is null");
    params.push_back(models[i]->named_parameters());
    buffers.push_back(models[i]->named_buffers());
  }
  return {stack_dicts(params, "parameters"), stack_dicts(buffers, "buffers")};
}

}  // namespace functional_internal

std::pair<ParamDict, ParamDict> stack_module_state(
    const std::vector<std::shared_ptr<Module>>& models) {
  std::vector<const Module*> pointers;
  pointers.reserve(models.size());
  for (const auto& m : models) pointers.push_back(m.get());
  return functional_internal::stack_modules(pointers);
}

}  // namespace fnx::nn
