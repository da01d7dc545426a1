// JVP rules: one per primitive, in the rule table "jvp". A rule maps the
// tangents of a primitive's inputs to the tangent of its output. Rules are
// written with the public ops (and dispatch of the same primitive, for
// linear ops), so they run at the levels below the forward level: under
// vmap they batch, under grad they are recorded, under another jvp they
// carry that level's tangents.
#pragma once

#include <cstdint>
#include <span>

#include "core/primitive.h"
#include "core/registry.h"
#include "core/tensor.h"

namespace fnx::jvp_internal {

inline constexpr const char* kJvpTable = "jvp";

// What a rule sees: the primal inputs and output (values of the levels
// below) and one tangent per input (undefined = zero). At least one tangent
// is defined, and the output is floating point.
struct JvpArgs {
  Prim prim;
  const Attrs& attrs;
  std::span<const Tensor> inputs;
  std::span<const Tensor> tangents;
  const Tensor& out;

  template <typename A>
  const A& attr() const {
    return std::get<A>(attrs);
  }
  const Tensor& input(std::size_t i) const { return inputs[i]; }
  const Tensor& tangent(std::size_t i) const { return tangents[i]; }
  bool has(std::size_t i) const {
    return i < tangents.size() && tangents[i].defined();
  }
};

// The output's tangent (undefined = zero).
using JvpFn = Tensor (*)(const JvpArgs& args);

struct JvpRule {
  enum class Kind : uint8_t {
    kRule,      // fn computes the tangent
    kConstant,  // not differentiable (comparisons, argmax, floor, random,
                // stop_gradient...): the result is a constant, zero tangent
    kInPlace,   // copy_: the interpreter rebinds the destination's tangent
    kHigherOrder,  // custom_call: JvpInterpreter::process_higher_order
  };
  Kind kind = Kind::kRule;
  JvpFn fn = nullptr;
};

inline constexpr JvpRule kConstantRule{JvpRule::Kind::kConstant, nullptr};

inline void add_rule(Registrar& r, Prim prim, const JvpRule& rule) {
  r.rule(kJvpTable, prim, &rule);
}

// Registration, one function per family file.
void register_elementwise_rules(Registrar& r);
void register_reduce_rules(Registrar& r);
void register_sort_rules(Registrar& r);  // cumsum, argsort
void register_collective_rules(Registrar& r);  // all_reduce ... ppermute
void register_shape_rules(Registrar& r);
void register_index_rules(Registrar& r);
void register_linalg_rules(Registrar& r);
void register_decomposition_rules(Registrar& r);  // matrix decompositions
void register_custom_call_rule(Registrar& r);  // custom_call.cc

}  // namespace fnx::jvp_internal
