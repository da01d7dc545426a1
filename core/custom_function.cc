#include "core/custom_function.h"

#include "core/dispatch.h"
#include "core/error.h"

namespace fnx {
namespace {
thread_local const CustomCallScope* t_scope = nullptr;
thread_local const std::vector<char>* t_needs = nullptr;
}  // namespace

bool custom_needs_input_grad(std::size_t input) {
  return t_needs == nullptr || input >= t_needs->size() || (*t_needs)[input];
}

NeedsInputGradScope::NeedsInputGradScope(std::vector<char> needs)
    : needs_(std::move(needs)), outer_(t_needs) {
  t_needs = &needs_;
}

NeedsInputGradScope::~NeedsInputGradScope() { t_needs = outer_; }

CustomCallScope::CustomCallScope(const CustomFunction& fn, const char* part)
    : fn_(&fn), part_(part), outer_(t_scope) {
  t_scope = this;
}

CustomCallScope::~CustomCallScope() { t_scope = outer_; }

std::string CustomCallScope::current() {
  if (t_scope == nullptr) return {};
  return str_cat(t_scope->part_, " of custom function '", t_scope->fn_->name,
                 "'");
}

void check_custom_count(const CustomFunction& fn, const char* part,
                        const char* what, std::size_t got, std::size_t want) {
  FNX_CHECK(got == want, "custom_function", "the ", part, " of '", fn.name,
            "' returned ", got, " ", what, " where ", want,
            " were expected (one per ",
            std::string_view(what) == "cotangents" ? "input" : "output",
            " tensor leaf)");
}

TensorList custom_call(std::shared_ptr<const CustomFunction> fn,
                       std::span<const Tensor> inputs) {
  FNX_CHECK(fn != nullptr && fn->fwd, "custom_function",
            "a custom function needs a fwd function");
  FNX_CHECK(fn->fwd_with_residuals == nullptr || fn->bwd != nullptr,
            "custom_function", "'", fn->name,
            "' has a fwd_with_residuals but no bwd; a custom vjp needs bwd");
  FNX_CHECK(
      fn->differentiable.empty() || fn->differentiable.size() == inputs.size(),
      "custom_function", "'", fn->name, "' marks ", fn->differentiable.size(),
      " inputs as differentiable or not, "
      "but is called with ",
      inputs.size());
  const Attrs attrs = CustomAttrs{std::move(fn)};
  return dispatch_higher_order(Prim::CustomCall, attrs, inputs);
}

std::pair<TensorList, TensorList> outputs_and_residuals(
    const std::shared_ptr<const CustomFunction>& fn,
    std::span<const Tensor> inputs) {
  if (fn->fwd_with_residuals) {
    CustomCallScope scope(*fn, "fwd_with_residuals");
    return fn->fwd_with_residuals(inputs);
  }
  TensorList outs = custom_call(fn, inputs);
  TensorList residuals(inputs.begin(), inputs.end());
  residuals.insert(residuals.end(), outs.begin(), outs.end());
  return {std::move(outs), std::move(residuals)};
}

TensorList run_higher_order_body(const OpCall& call) {
  const CustomFunction& fn = *call.attr<CustomAttrs>().fn;
  CustomCallScope scope(fn, "fwd");
  return fn.fwd(call.inputs);
}

}  // namespace fnx
