#include "transforms/jvp/trace_interpreter.h"

#include <memory>

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx::jvp_internal {
namespace {

struct Symbol final : WrapperPayload {
  explicit Symbol(int id) : id(id) {}
  int id;
};

}  // namespace

TraceInterpreter::TraceInterpreter(bool record)
    : Interpreter("linearize"), record_(record) {}

// A symbol's inner value is a one-element placeholder: it gives the symbol
// its device, and its memory identity (a view's placeholder is its base's),
// which the forward level reads to tell fresh tangents from shared ones.
Tensor TraceInterpreter::symbol(int id, const OutMeta& meta,
                                const Tensor* view_of) const {
  Tensor inner = view_of != nullptr ? unwrap(*view_of)
                                    : empty({}, meta.dtype, meta.device);
  return make_wrapper(std::move(inner), meta.shape, meta.dtype,
                      std::make_shared<Symbol>(id));
}

Tensor TraceInterpreter::input(const Tensor& like) {
  const int id = program_.num_values++;
  const OutMeta meta{like.shape(), like.dtype(), like.device()};
  program_.inputs.push_back(meta);
  return symbol(id, meta, nullptr);
}

void TraceInterpreter::skip_input() {
  ++program_.num_values;
  program_.inputs.emplace_back();
}

int TraceInterpreter::id_of(const Tensor& t) const {
  const auto* s = static_cast<const Symbol*>(payload_of(t));
  return s != nullptr ? s->id : -1;
}

Tensor TraceInterpreter::process(const OpCall& call) {
  const OutMeta meta = infer_meta(call);
  const bool write = call.prim == Prim::CopyInto;
  const bool in_place = write && owns(call.inputs[0]);
  if (record_) {
    LinearProgram::Step step{
        call.prim, call.attrs, {}, -1, LinearProgram::Kind::kCall};
    step.args.reserve(call.inputs.size());
    for (const Tensor& t : call.inputs) {
      const int id = id_of(t);
      step.args.push_back(id >= 0 ? LinearProgram::Arg{id, Tensor()}
                                  : LinearProgram::Arg{-1, t});
    }
    if (in_place) {
      step.kind = LinearProgram::Kind::kWrite;
      step.out = id_of(call.inputs[0]);
    } else {
      if (write) step.kind = LinearProgram::Kind::kMaterialize;
      step.out = program_.num_values;
    }
    program_.steps.push_back(std::move(step));
  }
  // copy_ into a symbol: the symbol now stands for the written value.
  if (in_place) return call.inputs[0];
  const int id = program_.num_values++;
  const bool view =
      prim_info(call.prim).family == PrimFamily::View && owns(call.inputs[0]);
  return symbol(id, meta, view ? &call.inputs[0] : nullptr);
}

}  // namespace fnx::jvp_internal
