// map (JAX's lax.map): f over the leading dim of xs, one example at a time
// (the memory of one example), or vmapped over chunks of batch_size (one
// batched call per chunk: vmap's speed with bounded memory).
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "transforms/control/control_internal.h"
#include "transforms/control/control_util.h"
#include "transforms/vmap/vmap.h"

namespace fnx::control_internal {
namespace {
constexpr const char* kOp = "map";
}  // namespace

TensorList map(const FlatFn& f, std::span<const Tensor> xs,
               const MapOptions& options) {
  FNX_CHECK(options.batch_size >= 0, kOp, "batch_size is ", options.batch_size,
            "; it must be >= 0 (0: one example at a time)");
  FNX_CHECK(!xs.empty(), kOp, "xs has no tensors; pass what to map over");
  const int64_t length = leading_length(kOp, xs, nullptr);
  FNX_CHECK(length > 0, kOp,
            "xs has leading size 0; map needs at least one example (it gives "
            "the shapes of the results)");
  TensorList x(xs.size());
  if (options.batch_size == 0) {
    std::vector<TensorList> ys;
    ys.reserve(static_cast<std::size_t>(length));
    for (int64_t i = 0; i < length; ++i) {
      for (std::size_t j = 0; j < xs.size(); ++j) x[j] = select(xs[j], 0, i);
      ys.push_back(f(x));
    }
    return stack_steps(kOp, ys);
  }
  auto batched = vmap([&f](const TensorList& chunk) { return f(chunk); });
  std::vector<TensorList> chunks;
  for (int64_t start = 0; start < length; start += options.batch_size) {
    const int64_t size = std::min(options.batch_size, length - start);
    for (std::size_t j = 0; j < xs.size(); ++j) {
      x[j] = narrow(xs[j], 0, start, size);
    }
    chunks.push_back(batched(x));
  }
  TensorList ys;
  for (std::size_t j = 0; j < chunks[0].size(); ++j) {
    std::vector<Tensor> parts;
    for (const TensorList& chunk : chunks) parts.push_back(chunk[j]);
    ys.push_back(parts.size() == 1 ? parts[0] : cat(parts, 0));
  }
  return ys;
}

}  // namespace fnx::control_internal
