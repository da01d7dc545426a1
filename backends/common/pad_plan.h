// Pad's plan, the same on every device: which region of the input survives
// cropping, where it starts in the input and in the (contiguous) result,
// and whether any result element is padding. A backend fills the result
// with the pad value when needed and copies the region.
#pragma once

#include <cstdint>

#include "core/primitive.h"
#include "core/tensor.h"

namespace fnx::backend {

struct PadPlan {
  Shape region;            // the copied block's shape (zeros: nothing)
  Strides out_strides;     // the result's (contiguous) strides
  int64_t src_offset = 0;  // elements, from x's element 0
  int64_t dst_offset = 0;  // elements, from the result's element 0
  bool copies = false;     // the region holds elements
  bool fills = false;      // some result element is padding
};

// Checks the call's attributes against x and out (an fnx::Error naming the
// primitive when they disagree).
PadPlan pad_plan(const OpCall& call, const OutMeta& out);

}  // namespace fnx::backend
