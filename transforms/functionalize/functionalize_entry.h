// What the thin functionalize API (functionalize.h) and the functionalize
// plugin share: the options and the entry point the plugin registers as the
// transform "functionalize". The header flattens the user's trees into
// leaves; the plugin wraps them, calls back into the header to run the
// function, and returns the output leaves.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "core/error.h"
#include "core/registry.h"
#include "core/tensor.h"

namespace fnx {

// What functionalize removes (torch.func.functionalize's `remove`):
//   mutations            in-place ops become out-of-place ops; views stay
//                        views of the values below;
//   mutations_and_views  views become copies too, so no two values the
//                        function computes share memory.
// Either way the function observed from outside is unchanged: a write
// through a view still changes its base and every other view of it, and
// inputs the function mutates are mutated once, at the end.
enum class Remove : uint8_t { mutations, mutations_and_views };

struct FunctionalizeOptions {
  Remove remove = Remove::mutations;
};

namespace functionalize_detail {

inline constexpr int kEntryVersion = 1;

// A non-owning reference to the header's "rebuild the arguments from these
// leaves, call the function, flatten its result" callback.
struct BodyRef {
  void* self = nullptr;
  void (*call)(void* self, std::span<const Tensor> leaves,
               std::vector<Tensor>& out) = nullptr;

  template <typename Fn>
  static BodyRef of(Fn& fn) {
    return {&fn, [](void* self, std::span<const Tensor> leaves,
                    std::vector<Tensor>& out) {
              (*static_cast<Fn*>(self))(leaves, out);
            }};
  }
  void operator()(std::span<const Tensor> leaves,
                  std::vector<Tensor>& out) const {
    call(self, leaves, out);
  }
};

struct Entry {
  int version = kEntryVersion;
  // Runs body once under a new functionalization level with `inputs` as
  // its argument leaves; returns its output leaves as plain values of the
  // level below, after writing mutated inputs back into `inputs`.
  std::vector<Tensor> (*run)(std::span<const Tensor> inputs,
                             const FunctionalizeOptions& options,
                             BodyRef body) = nullptr;
};

// The plugin's entry point, found in the registry at call time.
inline const Entry& entry() {
  static std::atomic<const Entry*> cached{nullptr};
  const Entry* e = cached.load(std::memory_order_acquire);
  if (e == nullptr) {
    e = static_cast<const Entry*>(Registry::get().transform("functionalize"));
    if (e == nullptr) {
      fail("functionalize",
           "the functionalize plugin is not linked or loaded; depend on "
           "//transforms/functionalize or load libfnx_functionalize.so");
    }
    if (e->version != kEntryVersion) {
      fail("functionalize",
           "the loaded functionalize plugin has entry "
           "version ",
           e->version,
           " but this program was built against "
           "version ",
           kEntryVersion,
           "; rebuild libfnx_functionalize.so with the same fnx");
    }
    cached.store(e, std::memory_order_release);
  }
  return *e;
}

}  // namespace functionalize_detail
}  // namespace fnx
