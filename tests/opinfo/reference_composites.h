// Float64 references of tensordot, kron, cross, flip, roll, repeat,
// repeat_interleave, masked_select and meshgrid: plain loops over Nd arrays
// (reference.h); none calls an fnx op.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/opinfo/reference.h"

namespace fnx::opinfo {

// da[i] of a contracted with db[i] of b (negative dims from the end).
Nd tensordot_ref(const Nd& a, const Nd& b, Index da, Index db);
Nd kron_ref(Nd a, Nd b);
Nd cross_ref(const Nd& a, const Nd& b, int64_t dim);
Nd flip_ref(const Nd& x, const Index& dims);
// No dims: the flattened array rolled by shifts[0], reshaped back.
Nd roll_ref(const Nd& x, const Index& shifts, const Index& dims);
Nd repeat_ref(const Nd& x, const Index& sizes);
// Element j of dim taken repeats[j] times (repeats of one entry: for all);
// without a dim, of the flattened array.
Nd repeat_interleave_ref(const Nd& x, const Index& repeats, bool has_dim,
                         int64_t dim);
Nd masked_select_ref(const Nd& x, const Nd& mask, int64_t size, double fill);
// meshgrid's outputs stacked in reversed order.
Nd meshgrid_ref(const std::vector<Nd>& inputs, const std::string& indexing);

}  // namespace fnx::opinfo
