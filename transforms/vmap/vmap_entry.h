// What the thin vmap API (vmap.h) and the vmap plugin share: the options,
// and the entry point the plugin registers as transform "vmap". The header
// flattens the user's trees into leaves with one batch dim per leaf; the
// plugin maps them and calls back into the header to run the function.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/registry.h"
#include "core/tensor.h"

namespace fnx {

// What random operations do under vmap (torch.func's `randomness`):
//   error      a random op inside the mapped function is an fnx::Error;
//   different  every example draws its own values;
//   same       every example sees the same values.
enum class Randomness : uint8_t { error, different, same };

struct VmapOptions {
  Randomness randomness = Randomness::error;
  // Maps the batch this many examples at a time and concatenates the
  // results (bounds peak memory; results are identical to unchunked).
  std::optional<int64_t> chunk_size = std::nullopt;
  // The batch size when no input is mapped (JAX's axis_size); when inputs
  // are mapped it must agree with them.
  std::optional<int64_t> axis_size = std::nullopt;
  // An in-place write of a batched value into a tensor that is not batched
  // makes that tensor batched (its old value broadcast over the batch, then
  // written) instead of being an error (pytorch/functorch#1025): for
  // buffers the mapped function makes, such as an accumulator from zeros().
  // Only the handle written through changes, so the tensor must be one the
  // function made and that no other view reaches; to write per-example
  // values through views of a buffer, use vmap(functionalize(f)).
  bool promote_inplace_writes = false;
};

namespace vmap_detail {

// The batch dim of a leaf that is not mapped (in_dims / out_dims none).
inline constexpr int64_t kNoDim = std::numeric_limits<int64_t>::min();

// The flattened arguments: leaves, the batch dim of each (kNoDim: passed
// whole) and the argument each leaf came from (for messages).
struct Inputs {
  std::vector<Tensor> leaves;
  std::vector<int64_t> dims;
  std::vector<int> arg_of_leaf;
  // Each leaf's path inside its argument ("", "[1][0]", "[\"fc1.weight\"]",
  // ".w"), computed only when a message needs it (no strings are built on
  // calls that succeed). Valid during the call.
  std::function<std::vector<std::string>()> leaf_paths;
};

// The flattened result of one call of the function and its out_dims.
struct Outputs {
  std::vector<Tensor> leaves;
  std::vector<int64_t> dims;
};

// A non-owning reference to the header's "rebuild the arguments from these
// leaves, call the function, flatten its result" callback.
struct BodyRef {
  void* self = nullptr;
  void (*call)(void* self, std::span<const Tensor> leaves,
               Outputs& out) = nullptr;

  template <typename Fn>
  static BodyRef of(Fn& fn) {
    return {&fn, [](void* self, std::span<const Tensor> leaves, Outputs& out) {
              (*static_cast<Fn*>(self))(leaves, out);
            }};
  }
  void operator()(std::span<const Tensor> leaves, Outputs& out) const {
    call(self, leaves, out);
  }
};

inline constexpr int kEntryVersion = 2;

// Registered by the plugin with Registrar::transform("vmap", &entry).
struct Entry {
  int version = kEntryVersion;
  // Maps `body` over the inputs' batch; returns the output leaves with
  // their batch dims moved to the out_dims.
  std::vector<Tensor> (*run)(const Inputs& inputs, const VmapOptions& options,
                             BodyRef body) = nullptr;
  // Whether a primitive with no batching rule is an error instead of a
  // warned-once per-example loop.
  void (*set_fallback_error)(bool is_error) = nullptr;
  // The primitives that reached the per-example loop in this process.
  std::vector<std::string> (*fallback_primitives)() = nullptr;
};

// The plugin's entry point, found in the registry at call time.
inline const Entry& entry() {
  static std::atomic<const Entry*> cached{nullptr};
  const Entry* e = cached.load(std::memory_order_acquire);
  if (e == nullptr) {
    e = static_cast<const Entry*>(Registry::get().transform("vmap"));
    if (e == nullptr) {
      fail("vmap",
           "the vmap plugin is not linked or loaded; depend on "
           "//transforms/vmap or load libfnx_vmap.so");
    }
    if (e->version != kEntryVersion) {
      fail("vmap", "the loaded vmap plugin has entry version ", e->version,
           " but this program was built against version ", kEntryVersion,
           "; rebuild libfnx_vmap.so with the same fnx");
    }
    cached.store(e, std::memory_order_release);
  }
  return *e;
}

}  // namespace vmap_detail
}  // namespace fnx
