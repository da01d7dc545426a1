// What the thin control-flow API (control.h) and the control plugin share:
// the options and the entry point the plugin registers as the transform
// "control". The header turns the user's typed functions into functions
// over flat lists of tensors; the plugin runs the loops and the selection.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "core/custom_function.h"
#include "core/error.h"
#include "core/registry.h"
#include "core/tensor.h"

namespace fnx {

struct WhileLoopOptions {
  // At most this many iterations (Equinox's max_steps): the loop stops
  // after them even if the condition still holds. Reverse-mode
  // differentiation through a while_loop needs it.
  std::optional<int64_t> max_steps;
};

struct ScanOptions {
  // The number of steps; needed only when xs has no tensors (otherwise it
  // must equal their leading size).
  std::optional<int64_t> length;
  // Run from the last step to the first (ys stay aligned with xs).
  bool reverse = false;
  // JAX's unroll (steps per loop iteration in compiled code); must be >= 1.
  // Eager execution runs every step as it comes, so it changes nothing.
  int64_t unroll = 1;
  // With k > 0: reverse mode keeps the carry only every k steps and
  // recomputes the steps in between in the backward (each block of k steps
  // is a checkpoint, transforms/custom/checkpoint.h). The step function
  // must then take every differentiated tensor through the carry or xs.
  int64_t checkpoint_every = 0;
};

struct MapOptions {
  // 0: one example at a time; b > 0: vmap over chunks of b examples.
  int64_t batch_size = 0;
};

namespace control_internal {

using Thunk = std::function<TensorList()>;
using FlatFn = std::function<TensorList(std::span<const Tensor>)>;
using FlatPredicate = std::function<Tensor(std::span<const Tensor>)>;
// (carry, x) -> (carry, y)
using FlatStep = std::function<std::pair<TensorList, TensorList>(
    std::span<const Tensor>, std::span<const Tensor>)>;

inline constexpr int kEntryVersion = 1;

struct Entry {
  int version = kEntryVersion;
  // Runs the branch `index` (an integer scalar tensor, clamped to the
  // branches) selects; per example when it differs between examples. `op`
  // ("cond", "switch_case") names the caller in errors.
  TensorList (*switch_case)(const char* op, const Tensor& index,
                            const std::vector<Thunk>& branches) = nullptr;
  TensorList (*while_loop)(const FlatPredicate& cond, const FlatFn& body,
                           std::span<const Tensor> init,
                           const WhileLoopOptions& options) = nullptr;
  // Returns the final carry followed by the stacked ys.
  std::pair<TensorList, TensorList> (*scan)(
      const FlatStep& step, std::span<const Tensor> init,
      std::span<const Tensor> xs, const ScanOptions& options) = nullptr;
  TensorList (*map)(const FlatFn& f, std::span<const Tensor> xs,
                    const MapOptions& options) = nullptr;
};

// The plugin's entry point, found in the registry at call time.
inline const Entry& entry() {
  static std::atomic<const Entry*> cached{nullptr};
  const Entry* e = cached.load(std::memory_order_acquire);
  if (e == nullptr) {
    e = static_cast<const Entry*>(Registry::get().transform("control"));
    FNX_CHECK(e != nullptr, "control",
              "the control plugin is not linked or loaded; depend on "
              "//transforms/control or load libfnx_control.so");
    FNX_CHECK(e->version == kEntryVersion, "control",
              "the loaded control plugin has entry version ", e->version,
              " but this program was built against version ", kEntryVersion,
              "; rebuild libfnx_control.so with the same fnx");
    cached.store(e, std::memory_order_release);
  }
  return *e;
}

}  // namespace control_internal
}  // namespace fnx
