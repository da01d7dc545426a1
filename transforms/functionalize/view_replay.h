// Views as data: a recorded view primitive (reshape, permute, expand,
// slice) can be replayed on a new base, and a new value of the view can be
// written back into its base out of place. Functionalization keeps, for
// every tensor that aliases a base, the chain of steps from that base.
#pragma once

#include <span>
#include <vector>

#include "core/primitive.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace fnx::functionalize_internal {

struct ViewStep {
  Prim prim;          // a View-family primitive
  Attrs attrs;        // as the op API normalized them
  Shape input_shape;  // the shape the step was applied to
};
using ViewChain = std::vector<ViewStep>;

// How replayed views are materialized: as views of the level below
// (Remove::mutations) or as copies (Remove::mutations_and_views).
enum class ViewMode { views, copies };

// The tensor `chain` makes of `base`.
Tensor replay_views(const Tensor& base, std::span<const ViewStep> chain,
                    ViewMode mode);

// `base` with the part that `chain` selects replaced by `value` (shaped
// like the end of the chain), computed with pure ops only. A write through
// an expand that repeats elements is an fnx::Error, as copy_ into such a
// view is outside functionalization.
Tensor write_through_views(const Tensor& base, std::span<const ViewStep> chain,
                           const Tensor& value, ViewMode mode);

}  // namespace fnx::functionalize_internal
