// The level checkpoint puts under the function it checkpoints, to keep
// what the policy saves. Recording, it numbers every primitive call that
// reaches it (those on values derived from the arguments) and keeps the
// results the policy names; replaying, inside the backward's
// recomputation, it answers those same calls with the kept results instead
// of running them, while the grad level above still records them (so the
// gradient flows through; only the computation is skipped).
#pragma once

#include <cstdint>
#include <map>
#include <string_view>

#include "core/interpreter.h"
#include "transforms/custom/checkpoint_entry.h"

namespace fnx::checkpoint_internal {

class PolicyInterpreter final : public Interpreter {
 public:
  enum class Mode : uint8_t { record, replay };

  // A kept result: the call that made it and its value.
  struct Kept {
    Prim prim;
    Tensor value;
  };

  PolicyInterpreter(const CheckpointPolicy& policy, Mode mode,
                    std::map<int64_t, Kept> kept = {});

  // An argument of the checkpointed function, as this level sees it.
  Tensor wrap_argument(const Tensor& value) const;
  Tensor process(const OpCall& call) override;
  Tensor concrete(const Tensor& wrapper, std::string_view what) override;

  // checkpoint_name(x, name) while recording.
  void name(const Tensor& x, std::string_view name);
  // The recomputation's forward is over: later calls (the backward's) run.
  void end_replay() { replaying_ = false; }

  // The kept results by call number (recording).
  const std::map<int64_t, Kept>& kept() const { return kept_; }
  // The level recording on this thread (innermost), or null; set_recording
  // returns the previous one.
  static PolicyInterpreter* recording();
  static PolicyInterpreter* set_recording(PolicyInterpreter* level);

 private:
  Tensor wrap(Tensor value, int64_t index, Prim prim) const;
  bool keeps(Prim prim) const;

  CheckpointPolicy policy_;
  Mode mode_;
  bool replaying_;
  int64_t next_ = 0;
  std::map<int64_t, Kept> kept_;
};

}  // namespace fnx::checkpoint_internal
