// Collectives over vmap's batch, in the spirit of JAX's all_gather and pmean
// over a named axis: inside a mapped function, a value that differs from
// example to example can be combined across the examples into one value
// that is the same for all of them.
//
//   Tensor all = vmap_all_gather(x);   // (B, *x.shape()): every example's x
//   Tensor avg = vmap_mean(x);         // x.shape(): the mean over examples
//   Tensor m = vmap_mean(x, buffer);   // over the levels that batch x but
//                                      // not buffer: writable into buffer
//
// Which levels. fnx's vmap has no axis names; a collective reduces over the
// vmap levels that batch `x` and do not batch `keep` (with `keep` undefined:
// every vmap level that batches x). Levels that batch both stay batched, so
// under vmap(models) of vmap(examples), vmap_mean(stats, per_model_buffer)
// averages over the examples of each model and keeps one value per model.
// The result is never batched at a reduced level; it can be copied into
// `keep` in place (copy_), which is what BatchNorm does with its running
// statistics (nn/norm_layers.h). A value no vmap level batches (also any
// value outside vmap) is returned as it is: vmap_all_gather adds no dims and
// vmap_mean is the identity.
//
// No gradient. The result is a constant to grad, vjp and jvp (as
// stop_gradient): a per-example derivative through a value every example
// shares would couple the examples, which per-example gradients must not
// do. Collectives are for statistics and bookkeeping, not for the loss.
//
// Errors (fnx::Error): an undefined x; a reduced vmap level that runs with
// chunk_size below its batch size (each chunk would see only its own
// examples); a value of another transform's level (eval_shape, linearize)
// sitting between vmap levels that must be reduced.
//
// They are the vmap case of the Collective primitives (core/collective.h):
// all_gather and all_reduce(mean) over each reduced level's axis
// (VmapAxis), which that level's batching rule runs as an ordinary op over
// its batch dim. This header is thin, like vmap.h: which levels to reduce
// is decided in the vmap plugin, found in the registry as transform
// "vmap_collectives". Without the plugin no value can be batched, so the
// functions need it only for values that are transform wrappers and are
// the identity (on values) otherwise.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/collective.h"
#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "core/tensor.h"

namespace fnx {
namespace vmap_detail {

// Version 2: the plugin names the levels; the collectives are primitives.
inline constexpr int kCollectivesVersion = 2;

// Registered by the vmap plugin as transform "vmap_collectives".
struct CollectivesEntry {
  int version = kCollectivesVersion;
  // The axes (VmapAxis) of the vmap levels that batch x but not keep, the
  // outer vmap (lower level) first; errors name `op`. x's gradient is already stopped.
  std::vector<std::shared_ptr<const CommGroup>> (*axes)(const Tensor& x,
                                                        const Tensor& keep,
                                                        const char* op) =
      nullptr;
};

// The plugin's entry point, or null when no vmap plugin is linked or loaded.
inline const CollectivesEntry* collectives_entry() {
  static std::atomic<const CollectivesEntry*> cached{nullptr};
  const CollectivesEntry* e = cached.load(std::memory_order_acquire);
  if (e != nullptr) return e;
  e = static_cast<const CollectivesEntry*>(
      Registry::get().transform("vmap_collectives"));
  if (e == nullptr) return nullptr;  // may be loaded later: do not cache
  if (e->version != kCollectivesVersion) {
    fail("vmap_all_gather", "the loaded vmap plugin has collectives version ",
         e->version, " but this program was built against version ",
         kCollectivesVersion, "; rebuild libfnx_vmap.so with the same fnx");
  }
  cached.store(e, std::memory_order_release);
  return e;
}

// The axes to reduce x over: the plugin's answer when x is a transform
// wrapper and the plugin is there; otherwise none batches x.
inline std::vector<std::shared_ptr<const CommGroup>> axes(const Tensor& x,
                                                          const Tensor& keep,
                                                          const char* op) {
  if (x.is_wrapper()) {
    if (const CollectivesEntry* e = collectives_entry()) {
      return e->axes(x, keep, op);
    }
  }
  return {};
}

inline Tensor over_axis(Prim prim, const std::shared_ptr<const CommGroup>& axis,
                        ReduceOp op, const Tensor& x) {
  CollectiveAttrs a;
  a.group = axis;
  a.op = op;
  const Tensor inputs[] = {x};
  return dispatch(prim, Attrs{std::move(a)}, inputs);
}

}  // namespace vmap_detail

// Every example's x, stacked in front: shape (B_1, ..., B_k, *x.shape())
// for the k vmap levels that batch x and not keep, outermost level first
// (k = 0: x itself). The result is the same for every example of those
// levels and carries no gradient. `caller` is the name errors start with:
// a layer built on the collective passes its own ("nn.BatchNorm2d").
// It is all_gather over each level's axis, innermost level first, of x
// with a new dim in front.
inline Tensor vmap_all_gather(const Tensor& x, const Tensor& keep = Tensor(),
                              const char* caller = "vmap_all_gather") {
  FNX_CHECK(x.defined(), caller, "x is an undefined tensor; pass a tensor");
  Tensor value = stop_gradient(x);
  const auto axes = vmap_detail::axes(value, keep, caller);
  for (auto axis = axes.rbegin(); axis != axes.rend(); ++axis) {
    value = vmap_detail::over_axis(Prim::AllGather, *axis, ReduceOp::Sum,
                                   unsqueeze(value, 0));
  }
  return value;
}

// The mean of x over the examples of the vmap levels that batch x and not
// keep (JAX's pmean); x itself (without gradient) when there are none.
// It is all_reduce(mean) over each level's axis.
inline Tensor vmap_mean(const Tensor& x, const Tensor& keep = Tensor()) {
  FNX_CHECK(x.defined(), "vmap_mean", "x is an undefined tensor; pass a tensor");
  Tensor value = stop_gradient(x);
  const auto axes = vmap_detail::axes(value, keep, "vmap_mean");
  for (auto axis = axes.rbegin(); axis != axes.rend(); ++axis) {
    value = vmap_detail::over_axis(Prim::AllReduce, *axis, ReduceOp::Mean,
                                   value);
  }
  return value;
}

}  // namespace fnx
