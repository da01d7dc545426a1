#include "transforms/distributed/data_parallel.h"

#include <utility>

#include "core/error.h"
#include "core/ops/ops.h"
#include "transforms/distributed/dist.h"

namespace fnx::dist {

GradientBuckets::GradientBuckets(const ParamDict& like, Group group,
                                 ReduceOp op, int64_t bucket_bytes)
    : group_(std::move(group)), op_(op) {
  FNX_CHECK(group_ != nullptr, "dist::GradientBuckets", "the group is null");
  FNX_CHECK(op == ReduceOp::Mean || op == ReduceOp::Sum,
            "dist::GradientBuckets", "reduces gradients by mean or sum, got ",
            reduce_op_name(op));
  for (const auto& [name, value] : like) {
    slots_.push_back({name, value.shape(), value.dtype(), 0, Tensor(), false});
  }
  // Reverse order: the last layer's gradients are ready first.
  int64_t filled = 0;
  for (int i = static_cast<int>(slots_.size()) - 1; i >= 0; --i) {
    Slot& slot = slots_[i];
    const int64_t bytes = numel(slot.shape) * itemsize(slot.dtype);
    const bool fresh = buckets_.empty() || filled + bytes > bucket_bytes ||
                       slots_[buckets_.back().slots.back()].dtype != slot.dtype;
    if (fresh) {
      buckets_.emplace_back();
      filled = 0;
    }
    filled += bytes;
    slot.bucket = static_cast<int>(buckets_.size()) - 1;
    buckets_.back().slots.push_back(i);
    ++buckets_.back().missing;
  }
}

void GradientBuckets::ready(const std::string& name, const Tensor& grad) {
  int index = -1;
  for (int i = 0; i < static_cast<int>(slots_.size()); ++i) {
    if (slots_[i].name == name) index = i;
  }
  FNX_CHECK(index >= 0, "dist::GradientBuckets", "no parameter named '", name,
            "'");
  Slot& slot = slots_[index];
  FNX_CHECK(!slot.ready, "dist::GradientBuckets", "the gradient of '", name,
            "' was handed over twice");
  FNX_CHECK(!grad.defined() ||
                (grad.shape() == slot.shape && grad.dtype() == slot.dtype),
            "dist::GradientBuckets", "the gradient of '", name, "' is ",
            dtype_name(grad.dtype()), " ", shape_str(grad.shape()),
            " but the parameter is ", dtype_name(slot.dtype), " ",
            shape_str(slot.shape));
  slot.grad = grad;
  slot.ready = true;
  Bucket& bucket = buckets_[slot.bucket];
  if (--bucket.missing == 0) start(bucket);
}

std::function<void(std::size_t, const Tensor&)> GradientBuckets::hook() {
  return [this](std::size_t leaf, const Tensor& grad) {
    FNX_CHECK(leaf < slots_.size(), "dist::GradientBuckets",
              "the differentiated argument has more leaves (", leaf + 1,
              ") than the ", slots_.size(), " parameters the buckets were made for");
    ready(slots_[leaf].name, grad);
  };
}

void GradientBuckets::start(Bucket& bucket) {
  std::vector<Tensor> flat;
  for (int i : bucket.slots) {
    const Slot& slot = slots_[i];
    flat.push_back(slot.grad.defined()
                       ? reshape(slot.grad, {numel(slot.shape)})
                       : zeros({numel(slot.shape)}, slot.dtype));
  }
  bucket.buffer = contiguous(cat(flat));
  bucket.wait = group_->start_all_reduce(bucket.buffer, ReduceOp::Sum);
}

ParamDict GradientBuckets::finish() {
  ParamDict reduced;
  for (const Slot& slot : slots_) {
    FNX_CHECK(slot.ready, "dist::GradientBuckets", "the gradient of '",
              slot.name, "' was never handed over (ready)");
  }
  for (Bucket& bucket : buckets_) {
    bucket.wait();
    if (op_ == ReduceOp::Mean) {
      bucket.buffer = bucket.buffer / static_cast<double>(group_->size());
    }
  }
  for (const Slot& slot : slots_) {
    const Bucket& bucket = buckets_[slot.bucket];
    int64_t start = 0;
    for (int i : bucket.slots) {
      if (i == &slot - slots_.data()) break;
      start += numel(slots_[i].shape);
    }
    reduced.insert_or_assign(
        slot.name, reshape(narrow(bucket.buffer, 0, start, numel(slot.shape)),
                           slot.shape));
  }
  return reduced;
}

ParamDict all_reduce_gradients(const ParamDict& grads, const Group& group,
                               ReduceOp op) {
  GradientBuckets buckets(grads, group, op);
  for (const auto& [name, grad] : grads) buckets.ready(name, grad);
  return buckets.finish();
}

}  // namespace fnx::dist
