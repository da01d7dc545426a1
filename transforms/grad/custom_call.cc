// grad's rule for custom_call (core/custom_function.h). The call's outputs
// are computed at the levels below; one node records the call, and a
// projection node per output collects that output's cotangent, so the
// backward runs once with all of them. The backward is, in order of
// preference: the user's bwd; the transpose of the user's jvp (reverse
// mode through it with respect to the tangents, which it is linear in);
// or reverse mode through fwd.
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "core/custom_function.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "transforms/grad/grad_api.h"
#include "transforms/grad/grad_interpreter.h"
#include "transforms/grad/grad_mode.h"
#include "transforms/grad/vjp_rule.h"

namespace fnx::grad_internal {
namespace {

using grad_internal::FlatOut;

// Marks the nodes of a custom call (the backward loop runs them through
// Node::multi, never through this rule's function).
const VjpRule kCustomCallNodeRule{nullptr, kSaveNone, false, true};

// Zeros where a cotangent is undefined, so user rules see one per output.
std::vector<Tensor> zeros_where_undefined(std::span<const Tensor> values,
                                          std::span<const TensorMeta> like) {
  std::vector<Tensor> out(like.size());
  for (std::size_t i = 0; i < like.size(); ++i) {
    out[i] = i < values.size() && values[i].defined()
                 ? values[i]
                 : zeros(like[i].shape, like[i].dtype, like[i].device);
  }
  return out;
}

std::vector<TensorMeta> metas_of(std::span<const Tensor> values) {
  std::vector<TensorMeta> out;
  out.reserve(values.size());
  for (const Tensor& t : values) out.push_back(TensorMeta::of(t));
  return out;
}

// Cotangents a user function gave the inputs: one per input, each shaped
// like its input; nothing for inputs that are not differentiated.
std::vector<Tensor> checked_cotangents(const CustomFunction& fn,
                                       const char* part,
                                       std::vector<Tensor> cts,
                                       std::span<const TensorMeta> inputs) {
  check_custom_count(fn, part, "cotangents", cts.size(), inputs.size());
  for (std::size_t i = 0; i < cts.size(); ++i) {
    if (!fn.is_differentiable(i) || !inputs[i].defined) {
      cts[i] = Tensor();
      continue;
    }
    if (!cts[i].defined()) continue;
    FNX_CHECK(cts[i].shape() == inputs[i].shape, "custom_function", "the ",
              part, " of '", fn.name, "' gave input ", i,
              " a cotangent of shape ", shape_str(cts[i].shape()),
              " for an input of shape ", shape_str(inputs[i].shape),
              "; return one cotangent shaped like each input");
    if (cts[i].dtype() != inputs[i].dtype)
      cts[i] = cast(cts[i], inputs[i].dtype);
  }
  return cts;
}

class UserBackward final : public MultiOutputBackward {
 public:
  UserBackward(std::shared_ptr<const CustomFunction> fn,
               std::vector<Tensor> residuals, std::vector<TensorMeta> inputs,
               std::vector<TensorMeta> outputs, std::vector<char> needs)
      : fn_(std::move(fn)),
        residuals_(std::move(residuals)),
        inputs_(std::move(inputs)),
        outputs_(std::move(outputs)),
        needs_(std::move(needs)) {}

  std::vector<Tensor> apply(std::span<const Tensor> cts) const override {
    const std::vector<Tensor> full = zeros_where_undefined(cts, outputs_);
    CustomCallScope scope(*fn_, "bwd");
    NeedsInputGradScope needs(needs_);
    return checked_cotangents(*fn_, "bwd", fn_->bwd(residuals_, full), inputs_);
  }

 private:
  std::shared_ptr<const CustomFunction> fn_;
  std::vector<Tensor> residuals_;
  std::vector<TensorMeta> inputs_, outputs_;
  std::vector<char> needs_;  // per input: tracked by this level
};

// J^T c from the user's jvp: t -> jvp(x, t) is linear, so reverse mode
// through it at t = 0 with cotangent c gives J^T c.
class TransposedJvp final : public MultiOutputBackward {
 public:
  TransposedJvp(std::shared_ptr<const CustomFunction> fn,
                std::vector<Tensor> primals, std::vector<TensorMeta> outputs)
      : fn_(std::move(fn)),
        primals_(std::move(primals)),
        inputs_(metas_of(primals_)),
        outputs_(std::move(outputs)) {}

  std::vector<Tensor> apply(std::span<const Tensor> cts) const override {
    const CustomFunction& fn = *fn_;
    std::vector<Tensor> t0;  // the tangents differentiated
    std::vector<int> index_of;
    for (std::size_t i = 0; i < primals_.size(); ++i) {
      if (fn.is_differentiable(i) && is_floating(primals_[i].dtype())) {
        index_of.push_back(static_cast<int>(i));
        t0.push_back(zeros_like(primals_[i]));
      }
    }
    auto tangent_map = [&](const std::vector<Tensor>& ts) {
      std::vector<Tensor> tangents(primals_.size());
      for (std::size_t i = 0; i < primals_.size(); ++i) {
        tangents[i] = zeros_like(primals_[i]);
      }
      for (std::size_t j = 0; j < ts.size(); ++j) tangents[index_of[j]] = ts[j];
      CustomCallScope scope(fn, "jvp");
      auto [outs, touts] = fn.jvp(primals_, tangents);
      check_custom_count(fn, "jvp", "output tangents", touts.size(),
                         outputs_.size());
      return FlatOut{std::move(touts), {}};
    };
    const auto r = grad_internal::transform("custom_function")
                       .vjp(tangent_map, t0, "custom_function");
    const std::vector<Tensor> full = zeros_where_undefined(cts, outputs_);
    const std::vector<Tensor> g = r.pullback->apply(full);
    std::vector<Tensor> out(primals_.size());
    for (std::size_t j = 0; j < g.size(); ++j) out[index_of[j]] = g[j];
    return checked_cotangents(fn, "jvp", std::move(out), inputs_);
  }

 private:
  std::shared_ptr<const CustomFunction> fn_;
  std::vector<Tensor> primals_;
  std::vector<TensorMeta> inputs_, outputs_;
};

// Reverse mode through fwd (no derivative rule given).
class PullbackBackward final : public MultiOutputBackward {
 public:
  PullbackBackward(std::shared_ptr<const grad_internal::Pullback> pullback,
                   std::vector<int> index_of, std::size_t num_inputs,
                   std::vector<TensorMeta> outputs)
      : pullback_(std::move(pullback)),
        index_of_(std::move(index_of)),
        num_inputs_(num_inputs),
        outputs_(std::move(outputs)) {}

  std::vector<Tensor> apply(std::span<const Tensor> cts) const override {
    const std::vector<Tensor> g =
        pullback_->apply(zeros_where_undefined(cts, outputs_));
    std::vector<Tensor> out(num_inputs_);
    for (std::size_t j = 0; j < g.size(); ++j) out[index_of_[j]] = g[j];
    return out;
  }

 private:
  std::shared_ptr<const grad_internal::Pullback> pullback_;
  std::vector<int> index_of_;
  std::size_t num_inputs_;
  std::vector<TensorMeta> outputs_;
};

}  // namespace

void register_custom_call_rule(Registrar& r) {
  add_rule(r, Prim::CustomCall, kCustomCallNodeRule);
}

std::vector<Tensor> GradInterpreter::process_higher_order(const OpCall& call) {
  const std::shared_ptr<const CustomFunction>& fn_ptr =
      call.attr<CustomAttrs>().fn;
  const CustomFunction& fn = *fn_ptr;
  const bool recording = grad_enabled();
  GradModeScope below(outer_mode_);
  const std::size_t n = call.inputs.size();
  std::vector<Tensor> inner(n);
  std::vector<std::shared_ptr<Node>> parents(n);
  bool tracked = false;
  for (std::size_t i = 0; i < n; ++i) {
    parents[i] = current_node(call.inputs[i]);
    inner[i] = unwrap(call.inputs[i]);
    if (!fn.is_differentiable(i) || !is_floating(inner[i].dtype())) {
      parents[i] = nullptr;
    }
    tracked |= parents[i] != nullptr;
  }
  if (!tracked || !recording) return custom_call(fn_ptr, inner);

  std::vector<Tensor> outs;
  std::shared_ptr<MultiOutputBackward> backward;
  if (fn.has_vjp()) {
    std::vector<Tensor> residuals;
    std::tie(outs, residuals) = outputs_and_residuals(fn_ptr, inner);
    std::vector<char> needs(n);
    for (std::size_t i = 0; i < n; ++i) needs[i] = parents[i] != nullptr;
    backward = std::make_shared<UserBackward>(fn_ptr, std::move(residuals),
                                              metas_of(inner), metas_of(outs),
                                              std::move(needs));
  } else if (fn.has_jvp()) {
    outs = custom_call(fn_ptr, inner);
    backward = std::make_shared<TransposedJvp>(fn_ptr, inner, metas_of(outs));
  } else {
    std::vector<Tensor> primals;
    std::vector<int> index_of;
    for (std::size_t i = 0; i < n; ++i) {
      if (parents[i]) {
        primals.push_back(inner[i]);
        index_of.push_back(static_cast<int>(i));
      }
    }
    auto body = [&](const std::vector<Tensor>& tracked_values) {
      std::vector<Tensor> args = inner;
      for (std::size_t j = 0; j < tracked_values.size(); ++j) {
        args[index_of[j]] = tracked_values[j];
      }
      CustomCallScope scope(fn, "fwd");
      return FlatOut{fn.fwd(args), {}};
    };
    auto r = grad_internal::transform("custom_function")
                 .vjp(body, primals, "custom_function");
    outs = std::move(r.out.outputs);
    backward = std::make_shared<PullbackBackward>(
        std::move(r.pullback), std::move(index_of), n, metas_of(outs));
  }
  backward->num_outputs = outs.size();

  auto call_node = new_node(&kCustomCallNodeRule, call.prim, call.attrs);
  call_node->parents.assign(parents.begin(), parents.end());
  for (const Tensor& t : inner) call_node->inputs.push_back(TensorMeta::of(t));
  call_node->multi = std::move(backward);
  std::vector<Tensor> result;
  result.reserve(outs.size());
  for (std::size_t j = 0; j < outs.size(); ++j) {
    Tensor& out = outs[j];
    if (!out.defined() || !is_floating(out.dtype())) {
      result.push_back(std::move(out));
      continue;
    }
    auto node = new_node(&kCustomCallNodeRule, call.prim, NoAttrs{});
    node->parents.push_back(call_node);
    node->inputs.push_back(TensorMeta::of(out));
    node->output_index = static_cast<int>(j);
    Shape shape = out.shape();
    const DType dtype = out.dtype();
    Tensor wrapper =
        make_wrapper(std::move(out), std::move(shape), dtype, node);
    attach(node, wrapper);
    result.push_back(std::move(wrapper));
  }
  return result;
}

}  // namespace fnx::grad_internal
