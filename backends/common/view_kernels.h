// The view primitives' kernels, shared by every backend: they only compute
// metadata (shape, strides, offset) over the input's storage, so they do
// not depend on where the memory lives. Reshape has one device-specific
// part, the copy when no strides can express the new shape: a backend
// calls reshape_view() and copies when it returns nothing.
#pragma once

#include <optional>
#include <utility>

#include "core/primitive.h"
#include "core/tensor.h"

namespace fnx::backend {

// view_strides (the strides of a reshape without a copy) is core/shape.h's.

// The byte range [lo, hi) a non-empty strided tensor whose element 0 is at
// `base` touches (copy_ checks source and destination for overlap).
std::pair<const char*, const char*> byte_extent(const Tensor& t,
                                                const char* base);

// Reshape as a view of x's storage, or nullopt when it needs a copy
// (checks the element count).
std::optional<Tensor> reshape_view(const OpCall& call);

Tensor permute_kernel(const OpCall& call, const OutMeta& out);
Tensor expand_kernel(const OpCall& call, const OutMeta& out);
Tensor slice_kernel(const OpCall& call, const OutMeta& out);
// StopGradient on concrete tensors: an alias of the input.
Tensor identity_kernel(const OpCall& call, const OutMeta& out);

}  // namespace fnx::backend
