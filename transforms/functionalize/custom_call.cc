// functionalize's rule for custom_call (core/custom_function.h): the call
// goes one level down as a custom function whose fwd, and each derivative
// rule the user gave, run functionalized, so in-place code inside them is
// removed while the levels below still see the user's rules. The outputs
// are fresh values of this level.
#include <memory>
#include <utility>
#include <vector>

#include "core/custom_function.h"
#include "transforms/functionalize/functional_interpreter.h"
#include "transforms/functionalize/functionalize_entry.h"

namespace fnx::functionalize_internal {
namespace {

using Body = std::function<TensorList(std::span<const Tensor>)>;

TensorList functionalized(Remove remove, std::span<const Tensor> inputs,
                          const Body& body) {
  auto run = [&body](std::span<const Tensor> leaves, std::vector<Tensor>& out) {
    out = body(leaves);
  };
  return functionalize_detail::entry().run(
      inputs, FunctionalizeOptions{remove},
      functionalize_detail::BodyRef::of(run));
}

// Runs a user function returning two lists functionalized; splits them.
std::pair<TensorList, TensorList> functionalized_pair(
    Remove remove, std::span<const Tensor> inputs,
    const std::function<
        std::pair<TensorList, TensorList>(std::span<const Tensor>)>& body) {
  std::size_t first = 0;
  TensorList all = functionalized(remove, inputs,
                                  [&body, &first](std::span<const Tensor> x) {
                                    auto [a, b] = body(x);
                                    first = a.size();
                                    a.insert(a.end(), b.begin(), b.end());
                                    return a;
                                  });
  TensorList second(all.begin() + static_cast<int64_t>(first), all.end());
  all.resize(first);
  return {std::move(all), std::move(second)};
}

std::shared_ptr<const CustomFunction> functionalized_function(
    std::shared_ptr<const CustomFunction> fn, Remove remove) {
  auto f = std::make_shared<CustomFunction>(*fn);
  f->fwd = [fn, remove](std::span<const Tensor> inputs) {
    return functionalized(remove, inputs, [&fn](std::span<const Tensor> x) {
      CustomCallScope scope(*fn, "fwd");
      return fn->fwd(x);
    });
  };
  if (fn->fwd_with_residuals) {
    f->fwd_with_residuals = [fn, remove](std::span<const Tensor> inputs) {
      return functionalized_pair(
          remove, inputs, [&fn](std::span<const Tensor> x) {
            CustomCallScope scope(*fn, "fwd_with_residuals");
            return fn->fwd_with_residuals(x);
          });
    };
  }
  if (fn->bwd) {
    f->bwd = [fn, remove](std::span<const Tensor> residuals,
                          std::span<const Tensor> cts) {
      std::vector<Tensor> leaves(residuals.begin(), residuals.end());
      leaves.insert(leaves.end(), cts.begin(), cts.end());
      const std::size_t n = residuals.size();
      return functionalized(remove, leaves,
                            [&fn, n](std::span<const Tensor> x) {
                              CustomCallScope scope(*fn, "bwd");
                              return fn->bwd(x.subspan(0, n), x.subspan(n));
                            });
    };
  }
  if (fn->jvp) {
    f->jvp = [fn, remove](std::span<const Tensor> primals,
                          std::span<const Tensor> tangents) {
      std::vector<Tensor> leaves(primals.begin(), primals.end());
      leaves.insert(leaves.end(), tangents.begin(), tangents.end());
      const std::size_t n = primals.size();
      return functionalized_pair(
          remove, leaves, [&fn, n](std::span<const Tensor> x) {
            CustomCallScope scope(*fn, "jvp");
            return fn->jvp(x.subspan(0, n), x.subspan(n));
          });
    };
  }
  return f;
}

}  // namespace

std::vector<Tensor> FunctionalInterpreter::process_higher_order(
    const OpCall& call) {
  std::vector<Tensor> inner;
  inner.reserve(call.inputs.size());
  for (const Tensor& t : call.inputs) inner.push_back(owns(t) ? current(t) : t);
  TensorList outs = custom_call(
      functionalized_function(call.attr<CustomAttrs>().fn, remove_), inner);
  for (Tensor& o : outs) {
    if (o.defined()) o = wrap_fresh(std::move(o));
  }
  return outs;
}

}  // namespace fnx::functionalize_internal
