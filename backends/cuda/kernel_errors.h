// Errors that kernels find (an index out of range), raised at the next host
// synchronization of their device instead of right after the launch, so an
// indexing op does not stall the host until the GPU catches up.
//
// Each check takes the next 16-byte slot of a per-device ring of device
// memory (zeroed, written only by a kernel that finds an error) and
// remembers the op and the sizes for the message. synchronize() and every
// copy to the host read the slots their wait covered and raise the first
// error as fnx::Error; a full ring is read the same way before a slot is
// reused. Until then results of the failing op are unspecified, as on the
// CPU after an error.
#pragma once

#include <cstdint>
#include <string_view>

#include "backends/cuda/kernels.h"
#include "backends/cuda/runtime.h"

namespace fnx::cuda {

// A slot for one launch's index check: "[op] index <bad> is out of range
// for dim <dim> of size <size>" if the kernel reports one.
IndexError index_check_slot(const Context& ctx, std::string_view op,
                            int64_t dim, int64_t size);

// How many checks ctx's device has issued: take it before waiting for the
// stream, so that raise_kernel_errors reads only checks whose kernels the
// wait covered (another thread may enqueue more meanwhile).
uint64_t kernel_errors_mark(const Context& ctx);

// After the wait: raises the first error among the checks issued before
// `mark` that were not yet read.
void raise_kernel_errors(const Context& ctx, uint64_t mark);

}  // namespace fnx::cuda
