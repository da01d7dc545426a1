// A process group of the dist plugin: the core's CommGroup (the collective
// primitives call it) plus what only the plugin needs: splitting into
// sub-groups and an in-place all-reduce that runs in the background (the
// data-parallel helper overlaps it with other work).
#pragma once

#include <functional>
#include <memory>

#include "core/collective.h"

namespace fnx::dist {

class ProcessGroup;
using Group = std::shared_ptr<const ProcessGroup>;

class ProcessGroup : public CommGroup {
 public:
  // MPI_Comm_split's rule: ranks with the same color form a group, ordered
  // by key (ties by rank here). Every rank of this group must call it.
  virtual Group split(int color, int key) const = 0;
  // Starts `buffer = op over the ranks' buffer` (in place, dense,
  // contiguous, Sum/Max/Min) and returns the function that waits for it.
  // The buffer must stay alive and untouched until the wait returns.
  virtual std::function<void()> start_all_reduce(const Tensor& buffer,
                                                 ReduceOp op) const = 0;
};

// The group of one process (what every program gets when not launched by
// mpirun): every collective is the identity on its one rank.
Group single_process_group();

}  // namespace fnx::dist
