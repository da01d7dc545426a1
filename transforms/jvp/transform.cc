// The jvp plugin's entry points (registered as transform "jvp"): jvp runs
// f once under a forward level; linearize runs it once more with a trace
// level below the forward level, so the tangent computation is recorded
// instead of run; eval_shape runs it on symbols. This file also registers
// every JVP rule.
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/interpreter.h"
#include "core/leaf_names.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "transforms/jvp/fwd_grad_mode.h"
#include "transforms/jvp/jvp_api.h"
#include "transforms/jvp/jvp_interpreter.h"
#include "transforms/jvp/jvp_rule.h"
#include "transforms/jvp/linear_program.h"
#include "transforms/jvp/trace_interpreter.h"

namespace fnx::jvp_internal {
namespace {

using jvp_internal::FlatFn;
using jvp_internal::FlatOut;
using jvp_internal::JvpResult;
using jvp_internal::LinearizeResult;

// A primal and its tangent must agree: same shape, dtype and device, and
// only floating-point values have tangents. Leaf i is named as the user
// wrote it (core/leaf_names.h) when a check fails.
void check_tangent(std::string_view caller, std::span<const Tensor> primals,
                   std::size_t i, const Tensor& tangent) {
  if (!tangent.defined()) return;
  const Tensor& primal = primals[i];
  FNX_CHECK(primal.defined(), caller, "a tangent is given for ",
            leaf_name(primals, i),
            ", an undefined primal; pass an undefined Tensor() as its "
            "tangent too");
  FNX_CHECK(is_floating(primal.dtype()), caller, leaf_name(primals, i),
            " has dtype ", dtype_name(primal.dtype()),
            ", which has no tangent; pass an undefined Tensor() as its "
            "tangent (a zero tangent), or make the primal floating point");
  FNX_CHECK(tangent.shape() == primal.shape(), caller, "the tangent of ",
            leaf_name(primals, i), " has shape ", shape_str(tangent.shape()),
            " but its primal has shape ", shape_str(primal.shape()),
            "; every tangent must have its primal's shape");
  FNX_CHECK(tangent.dtype() == primal.dtype(), caller, "the tangent of ",
            leaf_name(primals, i), " has dtype ", dtype_name(tangent.dtype()),
            " but its primal has dtype ", dtype_name(primal.dtype()),
            "; every tangent must have its primal's dtype (cast it with "
            ".to(dtype))");
  FNX_CHECK(tangent.device() == primal.device(), caller, "the tangent of ",
            leaf_name(primals, i), " is on ", tangent.device().str(),
            " but its primal is on ", primal.device().str(),
            "; move it to the primal's device");
}

// A primal as f sees it at `level`: floating values become duals (with no
// tangent payload when the tangent is zero); others pass as constants.
Tensor as_dual(const JvpInterpreter& level, const Tensor& primal,
               Tensor tangent) {
  if (!primal.defined() || !is_floating(primal.dtype())) return primal;
  return level.make_dual(primal, std::move(tangent), /*owns=*/false);
}

Tensor unwrap_defined(const JvpInterpreter& level, const Tensor& t) {
  return t.defined() ? level.unwrap(t) : t;
}

JvpResult run_jvp(const FlatFn& f, std::span<const Tensor> primals,
                  std::span<const Tensor> tangents, std::string_view caller) {
  FNX_CHECK(primals.size() == tangents.size(), caller, "got ", primals.size(),
            " primal tensors but ", tangents.size(),
            " tangents; pass one tangent per primal, in the same structure");
  for (std::size_t i = 0; i < primals.size(); ++i) {
    check_tangent(caller, primals, i, tangents[i]);
  }
  JvpInterpreter level(caller, fwd_grad_enabled());
  FwdGradModeScope on(true);  // f carries tangents even inside a guard
  JvpResult r;
  InterpreterScope scope(level);
  std::vector<Tensor> wrapped;
  wrapped.reserve(primals.size());
  for (std::size_t i = 0; i < primals.size(); ++i) {
    wrapped.push_back(as_dual(level, primals[i], tangents[i]));
  }
  FlatOut out = f(wrapped);
  r.outputs.reserve(out.outputs.size());
  r.tangents.reserve(out.outputs.size());
  for (const Tensor& o : out.outputs) {
    Tensor primal = unwrap_defined(level, o);
    Tensor tangent = level.tangent_of(o);
    // An output that does not depend on the primals has a zero tangent,
    // made only here, where the caller asks for it.
    const bool independent = !tangent.defined() && primal.defined();
    if (independent) tangent = zeros_like(primal);
    r.independent.push_back(independent ? 1 : 0);
    r.outputs.push_back(std::move(primal));
    r.tangents.push_back(std::move(tangent));
  }
  for (const Tensor& a : out.aux) r.aux.push_back(unwrap_defined(level, a));
  return r;
}

class Replay final : public jvp_internal::Linearized {
 public:
  Replay(LinearProgram program, std::string caller)
      : program_(std::move(program)), caller_(std::move(caller)) {}

  std::vector<Tensor> apply(std::span<const Tensor> tangents) const override {
    FNX_CHECK(tangents.size() == program_.inputs.size(), caller_, "jvp_fn got ",
              tangents.size(), " tangent tensors but ", program_.inputs.size(),
              " primal tensors were linearized; pass one tangent per primal, "
              "in the same structure");
    for (std::size_t i = 0; i < tangents.size(); ++i) {
      const auto& meta = program_.inputs[i];
      if (!tangents[i].defined()) continue;
      FNX_CHECK(meta.has_value(), caller_, "jvp_fn: tangent ", i,
                " is given for a primal that has none (undefined or not "
                "floating point); pass an undefined Tensor() for it");
      FNX_CHECK(tangents[i].shape() == meta->shape &&
                    tangents[i].dtype() == meta->dtype,
                caller_, "jvp_fn: tangent ", i, " has shape ",
                shape_str(tangents[i].shape()), " and dtype ",
                dtype_name(tangents[i].dtype()), " but its primal has shape ",
                shape_str(meta->shape), " and dtype ", dtype_name(meta->dtype),
                "; every tangent must have its primal's shape and dtype");
    }
    return program_.run(tangents);
  }
  int64_t num_steps() const override {
    return static_cast<int64_t>(program_.steps.size());
  }

 private:
  LinearProgram program_;
  std::string caller_;
};

LinearizeResult run_linearize(const FlatFn& f, std::span<const Tensor> primals,
                              std::string_view caller) {
  TraceInterpreter trace(/*record=*/true);
  JvpInterpreter level(caller, fwd_grad_enabled());
  FwdGradModeScope on(true);
  level.set_before_write([&trace](const Storage* memory) {
    trace.program().preserve_constants(memory);
  });
  LinearizeResult r;
  {
    InterpreterScope trace_scope(trace);
    std::vector<Tensor> symbols;
    for (const Tensor& p : primals) {
      if (p.defined() && is_floating(p.dtype())) {
        symbols.push_back(trace.input(p));
      } else {
        trace.skip_input();
        symbols.emplace_back();
      }
    }
    InterpreterScope scope(level);
    std::vector<Tensor> wrapped;
    wrapped.reserve(primals.size());
    for (std::size_t i = 0; i < primals.size(); ++i) {
      wrapped.push_back(as_dual(level, primals[i], symbols[i]));
    }
    FlatOut out = f(wrapped);
    LinearProgram& program = trace.program();
    for (const Tensor& o : out.outputs) {
      Tensor primal = unwrap_defined(level, o);
      const Tensor& tangent = level.tangent_of(o);
      const int id = trace.id_of(tangent);
      program.outputs.push_back(
          id >= 0 ? LinearProgram::Arg{id, Tensor()}
                  : LinearProgram::Arg{-1, tangent});  // zero or a constant
      if (primal.defined()) {
        program.output_meta.push_back(
            OutMeta{primal.shape(), primal.dtype(), primal.device()});
      } else {
        program.output_meta.emplace_back();
      }
      r.out.outputs.push_back(std::move(primal));
    }
    for (const Tensor& a : out.aux) {
      r.out.aux.push_back(unwrap_defined(level, a));
    }
  }
  LinearProgram program = std::move(trace.program());
  program.prune();
  r.fn = std::make_shared<Replay>(std::move(program), std::string(caller));
  return r;
}

std::vector<OutMeta> run_eval_shape(const FlatFn& f,
                                    std::span<const Tensor> primals,
                                    std::string_view) {
  TraceInterpreter trace(/*record=*/false);
  InterpreterScope scope(trace);
  std::vector<Tensor> symbols;
  for (const Tensor& p : primals) {
    symbols.push_back(p.defined() ? trace.input(p) : p);
  }
  const FlatOut out = f(symbols);
  std::vector<OutMeta> metas;
  for (const Tensor& o : out.outputs) {
    metas.push_back(o.defined() ? OutMeta{o.shape(), o.dtype(), o.device()}
                                : OutMeta{{0}, DType::Float32, {}});
  }
  return metas;
}

bool is_fwd_enabled() { return fwd_grad_enabled(); }
void set_fwd_enabled(bool enabled) { set_fwd_grad_enabled(enabled); }

const jvp_internal::JvpTransform kTransform{jvp_internal::kJvpApiVersion,
                                            &run_jvp,
                                            &run_linearize,
                                            &run_eval_shape,
                                            &is_fwd_enabled,
                                            &set_fwd_enabled};

}  // namespace

FNX_REGISTER_PLUGIN("jvp") {
  register_elementwise_rules(r);
  register_reduce_rules(r);
  register_sort_rules(r);
  register_collective_rules(r);
  register_shape_rules(r);
  register_index_rules(r);
  register_linalg_rules(r);
  register_decomposition_rules(r);
  register_custom_call_rule(r);
  r.transform("jvp", &kTransform);
}

}  // namespace fnx::jvp_internal
