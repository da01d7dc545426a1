// fnx across processes: process groups and collectives (issue 18).
//
//   dist::init();                       // MPI under mpirun, else 1 process
//   Tensor s = dist::all_reduce(x);     // sum over dist::world()
//   dist::Group pairs = dist::split(dist::world(), dist::rank() / 2);
//   Tensor g = dist::all_gather(x, pairs, /*dim=*/0);
//
// The collectives are primitives (core/primitive.h, Collective family), so
// grad, jvp, vmap and functionalize work through them: grad follows JAX's
// transposes (psum is its own transpose: transforms/common/
// collective_derivatives.h), vmap carries the batch dim along.
// README.md in this directory has the launch commands and the JAX /
// torch.distributed spellings side by side.
#pragma once

#include <utility>
#include <vector>

#include "core/param_dict.h"
#include "core/tensor.h"
#include "transforms/distributed/process_group.h"

namespace fnx::dist {

// Sets up the world group once per process (later calls do nothing):
// MPI's world when launched by mpirun (OMPI_COMM_WORLD_SIZE is set) and
// the MPI backend (//transforms/distributed:mpi) is linked, else a single
// process. Under MPI it also makes any exception that escapes main or
// dist::run end the whole job (failure.h).
void init();
bool launched_by_mpirun();

// The world group (init() first, or it is called for you).
Group world();
int rank();  // in the world
int size();

// Sub-groups: ranks of `group` with the same color, ordered by key.
Group split(const Group& group, int color, int key = 0);

// Collectives over `group`; every rank of the group makes the same call.
Tensor all_reduce(const Tensor& x, const Group& group = world(),
                  ReduceOp op = ReduceOp::Sum);
// The ranks' x concatenated along dim in rank order (JAX's
// all_gather(tiled=True)).
Tensor all_gather(const Tensor& x, const Group& group = world(),
                  int64_t dim = 0);
// x's dim split into size() blocks; rank r gets op (Sum or Mean) of block r.
Tensor reduce_scatter(const Tensor& x, const Group& group = world(),
                      int64_t dim = 0, ReduceOp op = ReduceOp::Sum);
Tensor broadcast(const Tensor& x, const Group& group = world(), int root = 0);
// For each (source, destination), destination gets source's x; ranks no
// pair sends to get zeros (JAX's ppermute).
Tensor ppermute(const Tensor& x, const Group& group,
                std::vector<std::pair<int, int>> pairs);
// Each rank sends x to rank + shift (mod size): a ring step.
Tensor shift(const Tensor& x, const Group& group, int shift = 1);

// The explicit reduction for replicated parameters: grad gives each rank
// the gradient of its own loss; the gradient of the summed (Sum) or
// averaged (Mean) loss over ranks is this all-reduce of those gradients.
// Packs the gradients into ~25 MB buckets (data_parallel.h).
ParamDict all_reduce_gradients(const ParamDict& grads,
                               const Group& group = world(),
                               ReduceOp op = ReduceOp::Mean);

}  // namespace fnx::dist
