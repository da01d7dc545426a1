// Assert(cond): returns cond when every element is true, otherwise throws
// the op's message naming the batch index of the first false element.
#include <algorithm>
#include <string>
#include <vector>

#include "backends/cpu/common.h"
#include "core/registry.h"
#include "core/str_cat.h"

namespace fnx::cpu {
namespace {

Tensor assert_kernel(const OpCall& call, const OutMeta&) {
  const Tensor& cond = call.inputs[0];
  const AssertAttrs& attrs = call.attr<AssertAttrs>();
  const int64_t n = cond.numel();
  if (n == 0) return cond;
  const Tensor dense = contiguous(cond);
  const bool* p = data_ptr<bool>(dense);
  const bool* first_false = std::find(p, p + n, false);
  if (first_false == p + n) return cond;
  // The first false element in row-major order lies in the first batch
  // block holding one.
  const int64_t rank = std::clamp<int64_t>(attrs.batch_rank, 0, cond.dim());
  if (rank == 0) throw Error(attrs.message);
  int64_t block = 1;
  for (int64_t d = rank; d < cond.dim(); ++d) block *= cond.shape()[d];
  int64_t linear = (first_false - p) / block;
  std::vector<int64_t> index(rank);
  for (int64_t d = rank - 1; d >= 0; --d) {
    index[d] = linear % cond.shape()[d];
    linear /= cond.shape()[d];
  }
  std::string where;
  for (int64_t d = 0; d < rank; ++d) {
    where += str_cat(d > 0 ? ", " : "", index[d]);
  }
  // The message already starts with "[op] ": thrown verbatim.
  throw Error(str_cat(attrs.message, " (batch index [", where, "])"));
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  r.kernel(DeviceType::CPU, Prim::Assert, &assert_kernel);
}

}  // namespace fnx::cpu
