#include "core/collective.h"

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/str_cat.h"

namespace fnx {

std::string_view reduce_op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum:
      return "sum";
    case ReduceOp::Mean:
      return "mean";
    case ReduceOp::Max:
      return "max";
    case ReduceOp::Min:
      return "min";
  }
  return "?";
}

VmapAxis::VmapAxis(int64_t level, int64_t size) : level_(level), size_(size) {
  FNX_CHECK(size >= 1 && size <= INT32_MAX, "vmap axis", "a vmap level of ",
            size, " examples cannot be a collective's axis");
}

int VmapAxis::rank() const {
  fail("vmap axis", "the axis of ", describe(),
       " has no single rank: each example has its own index; this "
       "collective needs a process group");
}

std::string VmapAxis::describe() const {
  return str_cat("vmap level ", level_, " (", size_, " examples)");
}

// The value is the same in every example of the level: the sum over the
// examples is size times it, the extrema are it.
void VmapAxis::all_reduce(const Tensor& in, const Tensor& out,
                          ReduceOp op) const {
  Tensor mutable_out = out;
  if (op == ReduceOp::Sum) {
    mutable_out.copy_(in * static_cast<double>(size_));
  } else {
    mutable_out.copy_(in);
  }
}

void VmapAxis::all_gather(const Tensor& in, const Tensor& out) const {
  Tensor mutable_out = out;
  mutable_out.copy_(expand(unsqueeze(in, 0), out.shape()));
}

void VmapAxis::reduce_scatter(const Tensor&, const Tensor&, ReduceOp) const {
  fail("reduce_scatter", "over ", describe(),
       ": the value is not batched by that level (it is the same in every "
       "example), so each example's block would need its own index; apply "
       "it to a value the level batches");
}

void VmapAxis::broadcast(const Tensor& in, const Tensor& out, int) const {
  Tensor mutable_out = out;
  mutable_out.copy_(in);
}

void VmapAxis::permute(const Tensor&, const Tensor&,
                       std::span<const std::pair<int, int>>) const {
  fail("ppermute", "over ", describe(),
       ": the value is not batched by that level (it is the same in every "
       "example), so which examples receive it cannot be told apart; apply "
       "it to a value the level batches");
}

}  // namespace fnx
