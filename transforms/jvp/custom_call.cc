// jvp's rule for custom_call (core/custom_function.h). The output tangents
// come from, in order of preference: the user's jvp; the transpose of the
// user's bwd (bwd is linear in its cotangent, so reverse mode through it
// with respect to the cotangent, applied to the input tangents, gives
// J t: forward mode works for functions that have only a custom vjp); or
// forward mode through fwd.
#include <utility>
#include <vector>

#include "core/custom_function.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "transforms/grad/grad_api.h"
#include "transforms/jvp/fwd_grad_mode.h"
#include "transforms/jvp/jvp_api.h"
#include "transforms/jvp/jvp_interpreter.h"
#include "transforms/jvp/jvp_rule.h"

namespace fnx::jvp_internal {
namespace {

constexpr const char* kCaller = "custom_function";

std::vector<Tensor> zeros_for(std::span<const Tensor> like) {
  std::vector<Tensor> out;
  out.reserve(like.size());
  for (const Tensor& t : like) out.push_back(zeros_like(t));
  return out;
}

// Output tangents from the user's bwd: J t = (t -> bwd(res, c))^T applied
// to the input tangents, by reverse mode through bwd at c = 0.
std::vector<Tensor> transposed_bwd(const CustomFunction& fn,
                                   const std::vector<Tensor>& residuals,
                                   std::span<const Tensor> inputs,
                                   std::span<const Tensor> outs,
                                   std::span<const Tensor> tangents) {
  std::vector<Tensor> c0;  // a zero cotangent per floating output
  std::vector<int> index_of;
  for (std::size_t j = 0; j < outs.size(); ++j) {
    if (is_floating(outs[j].dtype())) {
      index_of.push_back(static_cast<int>(j));
      c0.push_back(zeros_like(outs[j]));
    }
  }
  auto cotangent_map = [&](const std::vector<Tensor>& cs) {
    std::vector<Tensor> cts = zeros_for(outs);
    for (std::size_t k = 0; k < cs.size(); ++k) cts[index_of[k]] = cs[k];
    CustomCallScope scope(fn, "bwd");
    std::vector<char> needs(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      needs[i] = tangents[i].defined();
    }
    NeedsInputGradScope needed(std::move(needs));
    std::vector<Tensor> g = fn.bwd(residuals, cts);
    check_custom_count(fn, "bwd", "cotangents", g.size(), inputs.size());
    for (std::size_t i = 0; i < g.size(); ++i) {
      // Only differentiated inputs with a tangent take part; the others'
      // cotangents are zero against their zero tangents.
      if (!tangents[i].defined() || !g[i].defined())
        g[i] = zeros_like(inputs[i]);
      FNX_CHECK(g[i].shape() == inputs[i].shape(), kCaller, "the bwd of '",
                fn.name, "' gave input ", i, " a cotangent of shape ",
                shape_str(g[i].shape()), " for an input of shape ",
                shape_str(inputs[i].shape()),
                "; return one cotangent shaped like each input");
      if (g[i].dtype() != inputs[i].dtype())
        g[i] = cast(g[i], inputs[i].dtype());
    }
    return grad_internal::FlatOut{std::move(g), {}};
  };
  const auto r =
      grad_internal::transform(kCaller).vjp(cotangent_map, c0, kCaller);
  std::vector<Tensor> seeds(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) seeds[i] = tangents[i];
  const std::vector<Tensor> jt = r.pullback->apply(seeds);
  std::vector<Tensor> out(outs.size());
  for (std::size_t k = 0; k < jt.size(); ++k) out[index_of[k]] = jt[k];
  return out;
}

}  // namespace

std::vector<Tensor> JvpInterpreter::process_higher_order(const OpCall& call) {
  const std::shared_ptr<const CustomFunction>& fn_ptr =
      call.attr<CustomAttrs>().fn;
  const CustomFunction& fn = *fn_ptr;
  const bool active = fwd_grad_enabled();
  FwdGradModeScope below(outer_mode());
  const std::size_t n = call.inputs.size();
  std::vector<Tensor> primals(n), tangents(n);
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) {
    primals[i] = unwrap(call.inputs[i]);
    if (active && fn.is_differentiable(i) && is_floating(primals[i].dtype())) {
      tangents[i] = tangent_of(call.inputs[i]);
    }
    any |= tangents[i].defined();
  }
  if (!any) return custom_call(fn_ptr, primals);

  std::vector<Tensor> outs, touts;
  if (fn.has_jvp()) {
    std::vector<Tensor> full(n);
    for (std::size_t i = 0; i < n; ++i) {
      full[i] = tangents[i].defined() ? tangents[i] : zeros_like(primals[i]);
    }
    CustomCallScope scope(fn, "jvp");
    std::tie(outs, touts) = fn.jvp(primals, full);
    check_custom_count(fn, "jvp", "output tangents", touts.size(), outs.size());
  } else if (fn.has_vjp()) {
    std::vector<Tensor> residuals;
    std::tie(outs, residuals) = outputs_and_residuals(fn_ptr, primals);
    touts = transposed_bwd(fn, residuals, primals, outs, tangents);
  } else {
    auto body = [&](const std::vector<Tensor>& args) {
      CustomCallScope scope(fn, "fwd");
      return jvp_internal::FlatOut{fn.fwd(args), {}};
    };
    jvp_internal::JvpResult r =
        jvp_internal::transform(kCaller).jvp(body, primals, tangents, kCaller);
    outs = std::move(r.outputs);
    touts = std::move(r.tangents);
  }

  std::vector<Tensor> result;
  result.reserve(outs.size());
  for (std::size_t j = 0; j < outs.size(); ++j) {
    Tensor tangent = j < touts.size() ? touts[j] : Tensor();
    if (!outs[j].defined() || !tangent.defined() ||
        !is_floating(outs[j].dtype())) {
      result.push_back(outs[j]);
      continue;
    }
    FNX_CHECK(tangent.shape() == outs[j].shape(), kCaller, "the ",
              fn.has_jvp() ? "jvp" : "bwd", " of '", fn.name, "' gave output ",
              j, " a tangent of shape ", shape_str(tangent.shape()),
              " for an output of shape ", shape_str(outs[j].shape()));
    if (tangent.dtype() != outs[j].dtype()) {
      tangent = cast(tangent, outs[j].dtype());
    }
    result.push_back(make_dual(outs[j], std::move(tangent), /*owns=*/false));
  }
  return result;
}

void register_custom_call_rule(Registrar& r) {
  static constexpr JvpRule kRule{JvpRule::Kind::kHigherOrder, nullptr};
  add_rule(r, Prim::CustomCall, kRule);
}

}  // namespace fnx::jvp_internal
