// How a reduction is laid out for the kernels (reduce.cu): the input's dims
// split into kept dims (one result each, in order) and reduced dims (in
// memory order), adjacent dims merged. Host code; tests/cuda/
// reduce_plan_test.cc runs plans through a host model of the kernels
// against the CPU backend.
#pragma once

#include <string_view>

#include "backends/cuda/reduce_geometry.h"
#include "core/shape.h"

namespace fnx::cuda {

// The geometry reducing `dims` (sorted) of a tensor (shape, strides); an
// fnx::Error naming `op` when more than kMaxDims dims cannot be merged.
ReduceGeometry reduce_geometry(std::string_view op, const Shape& shape,
                               const Strides& strides, const Dims& dims);

}  // namespace fnx::cuda
