// The forward level: one Interpreter per jvp/linearize call. Its values are
// dual numbers: wrappers of the primal (a value of the levels below) whose
// payload is the tangent. A wrapper with no tangent stands for a zero
// tangent, which costs nothing: results whose tangent is zero are returned
// as plain values, constants to this level. process() runs each primitive
// on the primals (reaching the levels below) and its JVP rule on the
// tangents. Inputs that are not its wrappers (captured tensors, values of
// outer levels) are constants to it, so nested levels never confuse their
// perturbations.
#pragma once

#include <memory>
#include <span>
#include <functional>
#include <string>
#include <string_view>

#include "core/interpreter.h"
#include "core/tensor.h"
#include "transforms/jvp/jvp_rule.h"

namespace fnx::jvp_internal {

// A dual's payload.
struct Dual final : WrapperPayload {
  Tensor tangent;  // a value of the levels below, shaped like the primal
  // Whether the tangent's memory belongs to this dual (fresh, or the same
  // view of its base's tangent that the primal is of its base): only then
  // may copy_ write into it in place. A tangent passed through from another
  // value (x + c has x's tangent) or given by the caller does not.
  bool owns = false;
};

class JvpInterpreter final : public Interpreter {
 public:
  // `outer_mode`: the forward-grad mode where the transform was called; the
  // levels below see it while this level runs their ops.
  JvpInterpreter(std::string_view caller, bool outer_mode);

  // A dual of this level (tangent undefined = zero).
  Tensor make_dual(const Tensor& primal, Tensor tangent, bool owns) const;
  // The tangent of one of this level's values; undefined when `t` is not
  // one or its tangent is zero.
  const Tensor& tangent_of(const Tensor& t) const;

  Tensor process(const OpCall& call) override;
  // custom_call (custom_call.cc).
  std::vector<Tensor> process_higher_order(const OpCall& call) override;
  // A dual has one concrete value, its primal: item() and printing read it.
  Tensor concrete(const Tensor& wrapper, std::string_view what) override;

  const std::string& caller() const { return caller_; }
  bool outer_mode() const { return outer_mode_; }
  // Called with the primal memory each in-place write is about to change
  // (linearize keeps the residuals it recorded from that memory).
  void set_before_write(std::function<void(const Storage*)> hook) {
    before_write_ = std::move(hook);
  }

 private:
  Tensor copy_into(const OpCall& call, std::span<const Tensor> primals,
                   std::span<const Tensor> tangents);
  bool result_owns(const OpCall& call, std::span<const Tensor> primals,
                   std::span<const Tensor> tangents, const Tensor& out,
                   const Tensor& tangent) const;

  std::string caller_;
  bool outer_mode_;
  // The call's arguments without tangents: writable with duals.
  PassiveArguments::Claim passive_;
  int table_;
  std::function<void(const Storage*)> before_write_;
};

// The storage at the bottom of a stack of wrappers (the memory a value
// lives in), or null.
const Storage* storage_of(const Tensor& t);

}  // namespace fnx::jvp_internal
