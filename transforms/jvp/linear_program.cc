#include "transforms/jvp/linear_program.h"

#include "absl/container/inlined_vector.h"
#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx::jvp_internal {

void LinearProgram::prune() {
  for (const Step& s : steps) {
    if (s.kind == Kind::kWrite) return;
  }
  std::vector<char> live(static_cast<std::size_t>(num_values), 0);
  for (const Arg& a : outputs) {
    if (a.id >= 0) live[a.id] = 1;
  }
  std::vector<Step> kept;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (!live[it->out]) continue;
    for (const Arg& a : it->args) {
      if (a.id >= 0) live[a.id] = 1;
    }
    kept.push_back(std::move(*it));
  }
  steps.assign(std::make_move_iterator(kept.rbegin()),
               std::make_move_iterator(kept.rend()));
}

std::vector<Tensor> LinearProgram::run(std::span<const Tensor> tangents) const {
  std::vector<Tensor> env(static_cast<std::size_t>(num_values));
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (tangents[i].defined()) {
      env[i] = tangents[i];
    } else if (const auto& m = inputs[i]) {
      env[i] = zeros(m->shape, m->dtype, m->device);
    }
  }
  absl::InlinedVector<Tensor, 4> args;
  for (const Step& s : steps) {
    args.clear();
    for (const Arg& a : s.args)
      args.push_back(a.id >= 0 ? env[a.id] : a.constant);
    const std::span<const Tensor> in(args.data(), args.size());
    switch (s.kind) {
      case Kind::kCall:
        env[s.out] = dispatch(s.prim, s.attrs, in);
        break;
      case Kind::kWrite: {
        Tensor dst = env[s.out];
        copy_(dst, in[1]);
        env[s.out] = std::move(dst);
        break;
      }
      case Kind::kMaterialize: {
        Tensor dst = clone(in[0]);
        copy_(dst, in[1]);
        env[s.out] = std::move(dst);
        break;
      }
    }
  }
  std::vector<Tensor> out;
  out.reserve(outputs.size());
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const Arg& a = outputs[k];
    if (a.id >= 0) {
      out.push_back(env[a.id]);
    } else if (a.constant.defined()) {
      out.push_back(a.constant);
    } else if (const auto& m = output_meta[k]) {
      out.push_back(zeros(m->shape, m->dtype, m->device));
    } else {
      out.emplace_back();
    }
  }
  return out;
}

void LinearProgram::preserve_constants(const Storage* memory) {
  if (memory == nullptr) return;
  for (Step& step : steps) {
    for (Arg& arg : step.args) {
      if (arg.id < 0 && arg.constant.defined() &&
          memory_of(arg.constant).get() == memory) {
        arg.constant = clone(arg.constant);
      }
    }
  }
}

}  // namespace fnx::jvp_internal
