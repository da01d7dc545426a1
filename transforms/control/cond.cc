// cond and switch_case: run the branch the index picks; under vmap, when
// examples pick different branches, run each picked branch on the whole
// batch and give every example its own branch's result (JAX's semantics
// for a batched predicate).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "transforms/control/control_internal.h"
#include "transforms/control/control_util.h"

namespace fnx::control_internal {

TensorList switch_case(const char* op, const Tensor& index_in,
                       const std::vector<Thunk>& branches) {
  const bool is_cond = std::strcmp(op, "cond") == 0;
  check_scalar(op, is_cond ? "pred" : "index", index_in);
  FNX_CHECK(!branches.empty(), op, "no branches; pass at least one");
  Tensor index;
  if (is_cond) {
    index = cast(cast(index_in, DType::Bool), DType::Int64);
  } else {
    FNX_CHECK(is_integral(index_in.dtype()), op, "index is ",
              dtype_name(index_in.dtype()),
              "; it must be an integer (or bool) tensor");
    const int64_t last = static_cast<int64_t>(branches.size()) - 1;
    // Out-of-range indices pick the nearest branch, as in JAX.
    const Tensor i64 = cast(index_in, DType::Int64);
    index = maximum(minimum(i64, full({}, static_cast<double>(last),
                                      DType::Int64, i64.device())),
                    full({}, 0.0, DType::Int64, i64.device()));
  }
  index = reshape(index, {});

  const Tensor all = every_example(index, op);
  if (all.dim() == 0) {
    return branches[static_cast<std::size_t>(all.item<int64_t>())]();
  }
  // Which branches some example picks, in order.
  const std::vector<double> picks = all.to_vector();
  std::vector<int64_t> used;
  for (double p : picks) used.push_back(static_cast<int64_t>(p));
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  if (used.size() == 1) return branches[static_cast<std::size_t>(used[0])]();

  std::vector<TensorList> outs;
  for (int64_t b : used) {
    outs.push_back(branches[static_cast<std::size_t>(b)]());
    if (outs.size() > 1) {
      check_like(op, is_cond ? "a branch's output" : "branch output",
                 outs.back(), outs.front());
    }
  }
  TensorList result = outs.back();
  for (std::size_t k = used.size() - 1; k-- > 0;) {
    const Tensor pick = eq(index, full({}, static_cast<double>(used[k]),
                                       DType::Int64, all.device()));
    result = select(pick, outs[k], result);
  }
  return result;
}

}  // namespace fnx::control_internal
