// The "functionalize" transform entry point: wraps the inputs, runs the
// function under a FunctionalInterpreter, unwraps the outputs and writes
// the inputs the function mutated back, once each.
#include <algorithm>
#include <vector>

#include "core/interpreter.h"
#include "core/ops/ops.h"
#include "core/plugin.h"
#include "transforms/functionalize/functional_interpreter.h"

namespace fnx::functionalize_internal {
namespace {

std::vector<Tensor> run(std::span<const Tensor> inputs,
                        const FunctionalizeOptions& options,
                        functionalize_detail::BodyRef body) {
  FunctionalInterpreter interpreter(options.remove);
  std::vector<Tensor> wrapped;
  std::vector<Tensor> out;
  {
    InterpreterScope scope(interpreter);
    wrapped.reserve(inputs.size());
    for (const Tensor& t : inputs) {
      wrapped.push_back(t.defined() ? interpreter.wrap_fresh(t) : t);
    }
    body(wrapped, out);
  }
  // The level has ended; its values are read with the levels below.
  for (Tensor& t : out) {
    if (interpreter.owns(t)) t = interpreter.current(t);
  }
  std::vector<std::size_t> mutated;
  std::vector<const Storage*> targets;
  for (std::size_t i = 0; i < wrapped.size(); ++i) {
    if (wrapped[i].defined() && interpreter.written(wrapped[i])) {
      mutated.push_back(i);
      targets.push_back(memory_of(inputs[i]).get());
    }
  }
  if (mutated.empty()) return out;
  // Values that share memory with an input about to be overwritten are
  // copied first, so the write-back cannot change them.
  auto detach_from_targets = [&](Tensor& t) {
    const Storage* s = memory_of(t).get();
    if (s != nullptr &&
        std::find(targets.begin(), targets.end(), s) != targets.end()) {
      t = clone(t);
    }
  };
  std::vector<Tensor> values;
  for (std::size_t i : mutated) {
    values.push_back(interpreter.current(wrapped[i]));
    detach_from_targets(values.back());
  }
  for (Tensor& t : out) {
    if (t.defined()) detach_from_targets(t);
  }
  for (std::size_t k = 0; k < mutated.size(); ++k) {
    Tensor target = inputs[mutated[k]];
    copy_(target, values[k]);
  }
  return out;
}

constexpr functionalize_detail::Entry kEntry{functionalize_detail::kEntryVersion,
                                             &run};

}  // namespace

FNX_REGISTER_PLUGIN("functionalize") {
  r.transform("functionalize", &kEntry);
}

}  // namespace fnx::functionalize_internal
