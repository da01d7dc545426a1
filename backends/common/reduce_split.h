// How every backend lays out a reduction: the input's dims split into kept
// dims (one result each, in order) and reduced dims (in memory order), size
// 1 dims dropped and adjacent dims that step through memory as one merged.
// The CPU loops (backends/cpu/reduce.cc) and the CUDA plan
// (backends/cuda/reduce_plan.cc) both start from it.
#pragma once

#include <cstdint>

#include "core/shape.h"

namespace fnx {

struct ReduceSplit {
  Shape kept_sizes, red_sizes;
  Strides kept_strides, red_strides;  // in elements
  int64_t n_red = 1;                  // elements reduced into each result
};

// The split reducing `dims` (sorted, unique) of a tensor (shape, strides).
ReduceSplit split_reduction(const Shape& shape, const Strides& strides,
                            const Dims& dims);

// Merges adjacent dims that step through memory as one (dim d and d+1 with
// stride[d] == stride[d+1] * size[d+1]).
void coalesce_dims(Shape& sizes, Strides& strides);

}  // namespace fnx
