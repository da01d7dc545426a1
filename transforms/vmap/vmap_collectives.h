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
// This header is thin, like vmap.h: the implementation is in the vmap
// plugin, found in the registry as transform "vmap_collectives". Without
// the plugin no value can be batched, so the functions need it only for
// values that are transform wrappers and are the identity (on values)
// otherwise.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "core/tensor.h"

namespace fnx {
namespace vmap_detail {

inline constexpr int kCollectivesVersion = 1;

// Registered by the vmap plugin as transform "vmap_collectives".
struct CollectivesEntry {
  int version = kCollectivesVersion;
  // vmap_all_gather: x with the batch dims of the vmap levels that batch x
  // but not keep moved in front of its dims (outermost level first),
  // re-wrapped at the levels it keeps, gradient stopped. `op` names the
  // caller in errors.
  Tensor (*all_gather)(const Tensor& x, const Tensor& keep,
                       const char* op) = nullptr;
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

// The collective: the plugin's when x is a transform wrapper and the plugin
// is there; otherwise nothing batches x.
inline Tensor all_gather(const Tensor& x, const Tensor& keep, const char* op) {
  FNX_CHECK(x.defined(), op, "x is an undefined tensor; pass a tensor");
  if (x.is_wrapper()) {
    if (const CollectivesEntry* e = collectives_entry()) {
      return e->all_gather(x, keep, op);
    }
  }
  return stop_gradient(x);
}

}  // namespace vmap_detail

// Every example's x, stacked in front: shape (B_1, ..., B_k, *x.shape())
// for the k vmap levels that batch x and not keep, outermost level first
// (k = 0: x itself). The result is the same for every example of those
// levels and carries no gradient. `caller` is the name errors start with:
// a layer built on the collective passes its own ("nn.BatchNorm2d").
inline Tensor vmap_all_gather(const Tensor& x, const Tensor& keep = Tensor(),
                              const char* caller = "vmap_all_gather") {
  return vmap_detail::all_gather(x, keep, caller);
}

// The mean of x over the examples of the vmap levels that batch x and not
// keep (JAX's pmean); x itself (without gradient) when there are none.
inline Tensor vmap_mean(const Tensor& x, const Tensor& keep = Tensor()) {
  const Tensor all = vmap_detail::all_gather(x, keep, "vmap_mean");
  const int64_t levels = all.dim() - x.dim();
  if (levels == 0) return all;
  Dims dims;
  for (int64_t d = 0; d < levels; ++d) dims.push_back(d);
  return mean(all, dims);
}

}  // namespace fnx
