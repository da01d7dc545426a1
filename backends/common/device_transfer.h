// The ToDevice primitive's kernel, shared by every backend: a copy between
// devices through the copy_bytes of the non-CPU side's allocator (installed
// by its backend; the core names none). Registered under the destination's
// device type (dispatch picks kernels by the result's device).
#pragma once

#include "core/primitive.h"
#include "core/tensor.h"

namespace fnx::backend {

Tensor to_device_kernel(const OpCall& call, const OutMeta& out);

}  // namespace fnx::backend
