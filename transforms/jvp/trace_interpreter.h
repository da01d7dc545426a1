// A level whose values are symbols: wrappers that stand for a tensor of a
// known shape and dtype without holding its data. Every primitive applied to
// a symbol is recorded into a LinearProgram (when recording) and answered
// with a new symbol, so no kernel runs for it. linearize puts it below its
// forward level, with symbols as the input tangents: the JVP rules' tangent
// ops are recorded, the primal computation runs once. eval_shape uses it
// (not recording) with symbols as the primals.
#pragma once

#include "core/interpreter.h"
#include "core/tensor.h"
#include "transforms/jvp/linear_program.h"

namespace fnx::jvp_internal {

class TraceInterpreter final : public Interpreter {
 public:
  explicit TraceInterpreter(bool record);

  // A new symbol shaped like `like`, recorded as the program's next input.
  Tensor input(const Tensor& like);
  // Marks an input with no symbol (a value with no tangent).
  void skip_input();
  // The recorded id of one of this level's symbols, or -1.
  int id_of(const Tensor& t) const;
  // The program recorded so far (outputs are the caller's to fill).
  LinearProgram& program() { return program_; }

  Tensor process(const OpCall& call) override;

 private:
  Tensor symbol(int id, const OutMeta& meta, const Tensor* view_of) const;

  bool record_;
  LinearProgram program_;
};

}  // namespace fnx::jvp_internal
