// The "functionalize" transform entry point: wraps the inputs, runs the
// function under a FunctionalInterpreter, unwraps the outputs and writes
// the inputs the function mutated back, once each.
#include <algorithm>
#include <vector>

#include "core/error.h"
#include "core/interpreter.h"
#include "core/ops/ops.h"
#include "core/plugin.h"
#include "transforms/functionalize/functional_interpreter.h"

namespace fnx::functionalize_internal {
namespace {

std::size_t first_with_same_wrapper(const std::vector<Tensor>& wrapped,
                                    std::size_t i) {
  for (std::size_t j = 0; j < i; ++j) {
    if (wrapped[j].is_same(wrapped[i])) return j;
  }
  return i;
}

// The same tensor passed twice is one functional tensor (a write through
// one argument shows through the other, as in eager mode).
Tensor wrap_input(const FunctionalInterpreter& interpreter,
                  std::span<const Tensor> inputs,
                  const std::vector<Tensor>& wrapped, std::size_t i) {
  const Tensor& t = inputs[i];
  if (!t.defined()) return t;
  for (std::size_t j = 0; j < i; ++j) {
    if (inputs[j].is_same(t)) return wrapped[j];
  }
  return interpreter.wrap_fresh(t);
}

// Distinct inputs that share memory (x and a view of x) are separate
// functional tensors: a write through one would not show through the
// other, so a function that writes one of them gets an error, not a
// silently different result.
void check_not_aliased(std::span<const Tensor> inputs, std::size_t written) {
  const Storage* memory = memory_of(inputs[written]).get();
  for (std::size_t j = 0; memory != nullptr && j < inputs.size(); ++j) {
    if (j == written || inputs[j].is_same(inputs[written])) continue;
    if (memory_of(inputs[j]).get() == memory) {
      fail("functionalize", "the function wrote input leaf ", written,
           " (shape ", shape_str(inputs[written].shape()),
           "), which shares memory with input leaf ", j, " (shape ",
           shape_str(inputs[j].shape()),
           "); functionalize treats different input tensors as separate, "
           "so the write would not show through the other. Pass the base "
           "tensor once and take the view inside the function");
    }
  }
}

std::vector<Tensor> run(std::span<const Tensor> inputs,
                        const FunctionalizeOptions& options,
                        functionalize_detail::BodyRef body) {
  FunctionalInterpreter interpreter(options.remove);
  std::vector<Tensor> wrapped;
  std::vector<Tensor> out;
  {
    InterpreterScope scope(interpreter);
    wrapped.reserve(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      wrapped.push_back(wrap_input(interpreter, inputs, wrapped, i));
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
    if (!wrapped[i].defined() || !interpreter.written(wrapped[i]) ||
        first_with_same_wrapper(wrapped, i) != i) {
      continue;
    }
    check_not_aliased(inputs, i);
    mutated.push_back(i);
    targets.push_back(memory_of(inputs[i]).get());
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

constexpr functionalize_detail::Entry kEntry{
    functionalize_detail::kEntryVersion, &run};

}  // namespace

FNX_REGISTER_PLUGIN("functionalize") { r.transform("functionalize", &kEntry); }

}  // namespace fnx::functionalize_internal
