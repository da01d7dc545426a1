// The layout of a reduction as the kernels (reduce.cu) see it, and the
// offset arithmetic they use, compiled for the host too. Plain types only:
// nvcc includes this. The host builds it with reduce_plan.h.
#pragma once

#include <cstdint>

#include "backends/cuda/host_device.h"

namespace fnx::cuda {

// Iteration spaces have at most this many dims after size-1 dims are
// dropped and mergeable dims coalesced (the host checks).
inline constexpr int kMaxDims = 8;

// Result o reduces the elements at offset(o over kept) + offset(r over
// reduced), r < n_red (offsets in elements).
struct ReduceGeometry {
  int kept_ndim = 0, red_ndim = 0;
  int64_t kept_sizes[kMaxDims] = {}, kept_strides[kMaxDims] = {};
  int64_t red_sizes[kMaxDims] = {}, red_strides[kMaxDims] = {};
  int64_t n_out = 0, n_red = 0;
};

// Offset of the i-th index (row-major over sizes) through strides.
FNX_HD int64_t offset_of(int64_t i, int ndim, const int64_t* sizes,
                         const int64_t* strides) {
  int64_t off = 0;
  for (int d = ndim - 1; d >= 0; --d) {
    off += (i % sizes[d]) * strides[d];
    i /= sizes[d];
  }
  return off;
}

}  // namespace fnx::cuda
