// What the thin checkpoint API (checkpoint.h) and the custom plugin share:
// the policy and the entry point the plugin registers as the transform
// "checkpoint". The header flattens the user's trees into leaves; the
// plugin runs the flat function as a custom function whose backward
// recomputes it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/custom_function.h"
#include "core/error.h"
#include "core/registry.h"
#include "core/tensor.h"

namespace fnx {

// Which of the checkpointed function's intermediates the forward keeps for
// the backward (JAX's checkpoint policies); the rest are recomputed.
struct CheckpointPolicy {
  enum class Save : uint8_t {
    nothing,  // keep only the arguments (the default)
    dots,     // keep the results of matmul and convolutions
    names,    // keep the values marked with checkpoint_name(x, name)
  };
  Save save = Save::nothing;
  std::vector<std::string> names;  // for Save::names

  static CheckpointPolicy save_nothing() { return {}; }
  static CheckpointPolicy dots_saveable() { return {Save::dots, {}}; }
  static CheckpointPolicy save_only_these_names(std::vector<std::string> n) {
    return {Save::names, std::move(n)};
  }
};

namespace checkpoint_internal {

using FlatBody = std::function<TensorList(std::span<const Tensor>)>;

inline constexpr int kEntryVersion = 1;

struct Entry {
  int version = kEntryVersion;
  // Calls body on leaves as one checkpointed custom function; mask says
  // which leaves are differentiated (empty: all).
  TensorList (*call)(const FlatBody& body, const CheckpointPolicy& policy,
                     std::span<const Tensor> leaves,
                     std::vector<char> mask) = nullptr;
  // checkpoint_name: x itself, remembered by the checkpoint recording it.
  Tensor (*name)(const Tensor& x, std::string_view name) = nullptr;
};

// The plugin's entry point, found in the registry at call time.
inline const Entry& entry() {
  static std::atomic<const Entry*> cached{nullptr};
  const Entry* e = cached.load(std::memory_order_acquire);
  if (e == nullptr) {
    e = static_cast<const Entry*>(Registry::get().transform("checkpoint"));
    FNX_CHECK(e != nullptr, "checkpoint",
              "the custom plugin is not linked or loaded; depend on "
              "//transforms/custom or load libfnx_custom.so");
    FNX_CHECK(e->version == kEntryVersion, "checkpoint",
              "the loaded custom plugin has entry version ", e->version,
              " but this program was built against version ", kEntryVersion,
              "; rebuild libfnx_custom.so with the same fnx");
    cached.store(e, std::memory_order_release);
  }
  return *e;
}

}  // namespace checkpoint_internal
}  // namespace fnx
