// The interpreter of one vmap level. Its wrappers (BatchedTensors) hold a
// physical tensor of the level below with one extra dim, the batch dim, at
// a position recorded in the payload; the wrapper's own shape is what one
// example sees. process() unwraps the level's inputs, runs the primitive's
// batching rule (or the per-example loop when there is none) and wraps the
// result again.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/interpreter.h"
#include "transforms/vmap/batching_rule.h"

namespace fnx::vmap_internal {

class BatchPayload final : public WrapperPayload {
 public:
  BatchPayload(int64_t bdim, int argument) : bdim(bdim), argument(argument) {}
  const int64_t bdim;
  // The argument a mapped input stands for (-1: computed inside vmap).
  const int argument;
};

class VmapInterpreter final : public Interpreter {
 public:
  explicit VmapInterpreter(const BatchContext& context);

  Tensor process(const OpCall& call) override;
  std::vector<Tensor> process_higher_order(const OpCall& call) override;
  Tensor concrete(const Tensor& wrapper, std::string_view what) override;
  // Random and creation ops come here so that the randomness mode applies.
  bool wants_random_ops() const override { return true; }

  // A BatchedTensor of this level for `physical` batched at `bdim`.
  Tensor wrap(Tensor physical, int64_t bdim) const;
  // The same for a mapped input of the function (argument `argument`).
  Tensor wrap_input(Tensor physical, int64_t bdim, int argument) const;
  // The physical tensor and batch dim of a BatchedTensor of this level; any
  // other tensor is an unbatched value.
  BatchedValue unwrap_batched(const Tensor& t) const;

  const BatchContext& context() const { return context_; }

 private:
  const BatchPayload& payload(const Tensor& wrapper) const;

  BatchContext context_;
  // Shared payloads for the common batch dims (computed values carry no
  // per-tensor data), so wrapping allocates no payload.
  mutable std::array<std::shared_ptr<BatchPayload>, 8> payloads_;
};

}  // namespace fnx::vmap_internal
