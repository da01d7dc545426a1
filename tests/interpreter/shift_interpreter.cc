#include "core/error.h"
#include "core/ops/ops.h"
#include "tests/interpreter/tracing_interpreter.h"

namespace fnx::testing {

Tensor ShiftInterpreter::wrap(const Tensor& value) const {
  return make_wrapper(value + shift_, value.shape(), value.dtype(), nullptr);
}

Tensor ShiftInterpreter::process(const OpCall& call) {
  // Unshift own inputs, run the op below, shift the result again.
  std::vector<Tensor> values;
  for (const Tensor& t : call.inputs) {
    values.push_back(owns(t) ? t.impl()->wrapper->inner - shift_ : t);
  }
  Tensor out = dispatch(call.prim, call.attrs, std::span<const Tensor>(values));
  if (!is_floating(out.dtype())) return out;  // comparisons etc.: plain
  return wrap(out);
}

Tensor ShiftInterpreter::concrete(const Tensor& wrapper, std::string_view) {
  return wrapper.impl()->wrapper->inner - shift_;
}

}  // namespace fnx::testing
