// A test-only transform: it wraps values, logs every primitive it processes
// ("name:prim") and otherwise passes each op through to the level below.
// Small, but it exercises everything a real plugin relies on: wrapping,
// routing by level, temporarily popping, rewrapping, liveness.
#pragma once

#include <string>
#include <vector>

#include "core/dispatch.h"
#include "core/interpreter.h"

namespace fnx::testing {

class TracingInterpreter final : public Interpreter {
 public:
  explicit TracingInterpreter(std::string tag, bool see_random = false)
      : Interpreter("trace:" + tag), tag_(std::move(tag)), see_random_(see_random) {}

  Tensor wrap(const Tensor& t) const {
    return make_wrapper(t, t.shape(), t.dtype(), nullptr);
  }

  Tensor process(const OpCall& call) override {
    log.push_back(tag_ + ":" + std::string(call.name()));
    std::vector<Tensor> inner;
    for (const Tensor& t : call.inputs) inner.push_back(unwrap(t));
    Tensor out = dispatch(call.prim, call.attrs, std::span<const Tensor>(inner));
    return wrap(out);
  }

  bool wants_random_ops() const override { return see_random_; }

  std::vector<std::string> log;

 private:
  std::string tag_;
  bool see_random_;
};

// Another toy with a real meaning: values are represented shifted by a
// constant (inner = value + shift); it shows a rule that rewrites a call.
class ShiftInterpreter final : public Interpreter {
 public:
  explicit ShiftInterpreter(double shift) : Interpreter("shift"), shift_(shift) {}
  Tensor wrap(const Tensor& value) const;
  Tensor process(const OpCall& call) override;
  Tensor concrete(const Tensor& wrapper, std::string_view what) override;

 private:
  double shift_;
};

}  // namespace fnx::testing
