// A test-only transform that records every primitive reaching it. Pushed
// below functionalize (its wrappers are functionalize's inputs), it sees
// exactly the ops the functionalized program runs. Writes keep the
// destination's wrapper, as real transforms do.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "core/dispatch.h"
#include "core/interpreter.h"

namespace fnx::testing {

class OpRecorder final : public Interpreter {
 public:
  OpRecorder() : Interpreter("record") {}

  Tensor wrap(const Tensor& t) const {
    return make_wrapper(t, t.shape(), t.dtype(), nullptr);
  }
  std::vector<Tensor> wrap_all(const std::vector<Tensor>& ts) const {
    std::vector<Tensor> out;
    for (const Tensor& t : ts) out.push_back(wrap(t));
    return out;
  }

  Tensor process(const OpCall& call) override {
    ops.push_back(call.prim);
    std::vector<Tensor> inner;
    for (const Tensor& t : call.inputs) inner.push_back(unwrap(t));
    Tensor out =
        dispatch(call.prim, call.attrs, std::span<const Tensor>(inner));
    if (call.prim == Prim::CopyInto && owns(call.inputs[0])) {
      return call.inputs[0];
    }
    return wrap(out);
  }

  Tensor concrete(const Tensor& wrapper, std::string_view what) override {
    return unwrap(wrapper).concrete(what);
  }

  bool wants_random_ops() const override { return true; }

  int64_t count(Prim prim) const {
    return std::count(ops.begin(), ops.end(), prim);
  }

  std::vector<Prim> ops;
};

}  // namespace fnx::testing
