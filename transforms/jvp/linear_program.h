// What linearize records: the tangent computation of one jvp as a list of
// primitive calls, replayable on new tangents without running f again. The
// values it reads are the input tangents, earlier steps' results and
// constants (the residuals: primal values the JVP rules multiplied the
// tangents by, kept alive by the program).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/primitive.h"
#include "core/tensor.h"

namespace fnx::jvp_internal {

struct LinearProgram {
  // A step's argument: a recorded value (id >= 0) or a constant.
  struct Arg {
    int id = -1;
    Tensor constant;  // when id < 0; undefined in an output means zero
  };
  enum class Kind : uint8_t {
    kCall,         // out = prim(args...)
    kWrite,        // copy_(value out, args[1]) in place
    kMaterialize,  // out = clone(args[0]) then copy_(out, args[1])
  };
  struct Step {
    Prim prim;
    Attrs attrs;
    std::vector<Arg> args;
    int out = -1;
    Kind kind = Kind::kCall;
  };

  // Ids 0..inputs.size()-1 are the input tangents (nullopt: an input with
  // no tangent, an integer one, that no step reads).
  std::vector<std::optional<OutMeta>> inputs;
  std::vector<Step> steps;
  int num_values = 0;
  std::vector<Arg> outputs;
  // nullopt: an undefined output, whose tangent is undefined too.
  std::vector<std::optional<OutMeta>> output_meta;

  // Drops steps no output depends on (kept whole when a step writes in
  // place, whose effects reach values through shared memory).
  void prune();
  // The primal memory `memory` is about to be written in place: constants
  // recorded from it (residuals such as x in d(x*y) = dx*y + x*dy) are
  // replaced by copies, so a replay sees the values the step used.
  void preserve_constants(const Storage* memory);
  // One tangent per input (undefined = zero); one per output.
  std::vector<Tensor> run(std::span<const Tensor> tangents) const;
};

}  // namespace fnx::jvp_internal
