// vmap's collectives (vmap_collectives.h), registered as transform
// "vmap_collectives". all_gather takes a value apart layer by layer: its
// gradient is stopped (grad and jvp answer stop_gradient with a value of the
// levels below them, so only vmap layers are left on top), then the vmap
// wrappers from the outermost down to the innermost level to reduce are
// unwrapped, tracking which physical dim is which level's batch dim. The
// reduced levels' dims are permuted to the front (a view: every example's
// value, stacked) and the levels kept are wrapped again, in their original
// nesting order, at their dims' new positions.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/interpreter.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "transforms/vmap/vmap_collectives.h"
#include "transforms/vmap/vmap_interpreter.h"

namespace fnx::vmap_internal {
namespace {

// A dim of x itself rather than a level's batch dim.
constexpr int64_t kLogicalDim = -1;

// One live wrapper layer of a value.
struct Layer {
  Interpreter* interpreter = nullptr;
  VmapInterpreter* vmap = nullptr;  // null: another transform's level
  int64_t bdim = -1;                // vmap layers only
  Tensor inner;                     // the tensor this layer wraps
};

// The live wrapper layers of `t`, outermost first (dead ones skipped).
std::vector<Layer> layers_of(const Tensor& t) {
  std::vector<Layer> layers;
  Tensor current = t;
  for (;;) {
    Tensor storage;
    const Tensor live = peel_dead(current, storage);
    if (!live.is_wrapper()) break;
    Layer layer;
    layer.interpreter = live.impl()->wrapper->owner->interpreter();
    layer.vmap = dynamic_cast<VmapInterpreter*>(layer.interpreter);
    if (layer.vmap != nullptr) {
      const BatchedValue b = layer.vmap->unwrap_batched(live);
      layer.bdim = b.bdim;
      layer.inner = b.value;
    } else {
      layer.inner = live.impl()->wrapper->inner;
    }
    current = layer.inner;
    layers.push_back(std::move(layer));
  }
  return layers;
}

bool contains(const std::vector<int64_t>& v, int64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

Tensor all_gather(const Tensor& x, const Tensor& keep, const char* op) {
  FNX_CHECK(x.defined(), op, "x is an undefined tensor; pass a tensor");
  const Tensor value = stop_gradient(x);
  const std::vector<Layer> layers = layers_of(value);

  std::vector<int64_t> kept_levels;
  if (keep.defined()) {
    for (const Layer& layer : layers_of(keep)) {
      if (layer.vmap != nullptr) kept_levels.push_back(layer.vmap->level());
    }
  }
  // Layers (outermost first) down to the innermost one to reduce.
  std::vector<bool> reduce(layers.size(), false);
  int64_t innermost = -1;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const VmapInterpreter* vmap = layers[i].vmap;
    if (vmap != nullptr && !contains(kept_levels, vmap->level())) {
      reduce[i] = true;
      innermost = static_cast<int64_t>(i);
    }
  }
  if (innermost < 0) return value;

  std::vector<int64_t> reduced_levels;
  for (int64_t i = 0; i <= innermost; ++i) {
    const Layer& layer = layers[i];
    if (layer.vmap == nullptr) {
      fail(op, "x is also a value of the ", layer.interpreter->name(),
           " transform (level ", layer.interpreter->level(),
           "), which sits inside a vmap level it must be gathered over; call ",
           op, " outside that transform, or on a value it does not see");
    }
    if (!reduce[i]) continue;
    const BatchContext& ctx = layer.vmap->context();
    FNX_CHECK(ctx.replay == nullptr, op,
              "x is batched by a vmap that runs with chunk_size (this chunk "
              "holds ",
              ctx.batch_size,
              " examples), so a collective would see only one chunk's "
              "examples; leave chunk_size unset for that vmap");
    reduced_levels.push_back(layer.vmap->level());
  }
  std::sort(reduced_levels.begin(), reduced_levels.end());

  // Which level's batch dim each physical dim of the innermost reduced
  // layer's tensor is (kLogicalDim for x's own dims).
  std::vector<int64_t> labels(static_cast<std::size_t>(value.dim()),
                              kLogicalDim);
  for (int64_t i = 0; i <= innermost; ++i) {
    labels.insert(labels.begin() + layers[i].bdim, layers[i].vmap->level());
  }
  const Tensor& base = layers[innermost].inner;
  FNX_CHECK(base.dim() == static_cast<int64_t>(labels.size()), op,
            "internal error: a batched value of rank ", base.dim(),
            " was expected to have rank ", labels.size(), "; please report it");

  Dims perm;
  std::vector<int64_t> moved_labels;
  for (const int64_t level : reduced_levels) {
    const auto at = std::find(labels.begin(), labels.end(), level);
    perm.push_back(at - labels.begin());
    moved_labels.push_back(kLogicalDim);
  }
  for (std::size_t d = 0; d < labels.size(); ++d) {
    if (!contains(reduced_levels, labels[d])) {
      perm.push_back(static_cast<int64_t>(d));
      moved_labels.push_back(labels[d]);
    }
  }
  Tensor out = permute(base, perm);
  // Wrap the kept levels again, innermost first, as they were nested.
  for (int64_t i = innermost; i >= 0; --i) {
    if (reduce[i]) continue;
    const auto at = std::find(moved_labels.begin(), moved_labels.end(),
                              layers[i].vmap->level());
    out = layers[i].vmap->wrap(std::move(out), at - moved_labels.begin());
    moved_labels.erase(at);
  }
  return out;
}

const vmap_detail::CollectivesEntry kCollectives{
    vmap_detail::kCollectivesVersion, &all_gather};

}  // namespace

FNX_REGISTER_PLUGIN("vmap") { r.transform("vmap_collectives", &kCollectives); }

}  // namespace fnx::vmap_internal
