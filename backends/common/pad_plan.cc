#include "backends/common/pad_plan.h"

#include <algorithm>

#include "core/error.h"

namespace fnx::backend {

PadPlan pad_plan(const OpCall& call, const OutMeta& out) {
  const Tensor& x = call.inputs[0];
  const auto& a = call.attr<PadAttrs>();
  const int64_t rank = x.dim();
  FNX_CHECK(static_cast<int64_t>(a.lo.size()) == rank &&
                static_cast<int64_t>(a.hi.size()) == rank &&
                static_cast<int64_t>(out.shape.size()) == rank,
            call.name(), "padding needs one (lo, hi) pair per dim of ",
            shape_str(x.shape()));
  PadPlan p;
  p.out_strides = contiguous_strides(out.shape);
  p.region = Shape(rank);
  bool empty = false;
  for (int64_t d = 0; d < rank; ++d) {
    FNX_CHECK(x.shape()[d] + a.lo[d] + a.hi[d] == out.shape[d], call.name(),
              "padding (", a.lo[d], ", ", a.hi[d], ") of dim ", d, " of ",
              shape_str(x.shape()), " does not give ", shape_str(out.shape));
    // Negative amounts crop: the region starts later in x, or earlier in
    // the result.
    const int64_t src_start = std::max<int64_t>(0, -a.lo[d]);
    const int64_t dst_start = std::max<int64_t>(0, a.lo[d]);
    p.region[d] = std::max<int64_t>(
        0, std::min(x.shape()[d] - src_start, out.shape[d] - dst_start));
    empty = empty || p.region[d] == 0;
    p.src_offset += src_start * x.strides()[d];
    p.dst_offset += dst_start * p.out_strides[d];
  }
  p.copies = !empty;
  p.fills = empty || numel(p.region) != numel(out.shape);
  return p;
}

}  // namespace fnx::backend
