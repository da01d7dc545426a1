// vmap's collectives (vmap_collectives.h), registered as transform
// "vmap_collectives": which vmap levels a value is gathered or averaged
// over. The header then calls the Collective primitives with those levels'
// axes (VmapAxis, core/collective.h), which each level's batching rule
// turns into an ordinary op over its batch dim (rules_collective.cc). Here
// the value (its gradient already stopped: grad and jvp answer
// stop_gradient with a value of the levels below them, so only vmap layers
// are left on top) is taken apart layer by layer, from the outermost down
// to the innermost level to reduce, checking that no other transform's
// level sits between and that no reduced level runs in chunks.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/collective.h"
#include "core/error.h"
#include "core/interpreter.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "transforms/vmap/vmap_collectives.h"
#include "transforms/vmap/vmap_interpreter.h"

namespace fnx::vmap_internal {
namespace {

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

// The vmap levels x is gathered over, as collective axes, the outer vmap
// (lower level) first.
std::vector<std::shared_ptr<const CommGroup>> axes(const Tensor& x,
                                                   const Tensor& keep,
                                                   const char* op) {
  FNX_CHECK(x.defined(), op, "x is an undefined tensor; pass a tensor");
  const std::vector<Layer> layers = layers_of(x);

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
  std::vector<std::shared_ptr<const CommGroup>> result;
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
    result.push_back(
        std::make_shared<VmapAxis>(layer.vmap->level(), ctx.batch_size));
  }
  // Outer vmap first (lower levels were made first).
  std::sort(result.begin(), result.end(), [](const auto& a, const auto& b) {
    return a->vmap_level() < b->vmap_level();
  });
  return result;
}

const vmap_detail::CollectivesEntry kCollectives{
    vmap_detail::kCollectivesVersion, &axes};

}  // namespace

FNX_REGISTER_PLUGIN("vmap") { r.transform("vmap_collectives", &kCollectives); }

}  // namespace fnx::vmap_internal
