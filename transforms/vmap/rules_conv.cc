// Batching rules of convolution and unfold/fold. A batched input alone
// folds the vmap batch into N (one conv over B * N images). A batched
// weight (per-example filters) becomes one grouped convolution: the
// examples' channels are laid side by side as B * groups groups. The two
// transposes (conv_input_grad, conv_weight_grad) follow the same plan, and
// unfold/fold and the max-pooling pair fold the batch into N.
#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "transforms/vmap/batching_util.h"

namespace fnx::vmap_internal {
namespace {

// (N, C, *s) images, batched or not, as (N, B * C, *s): example b's
// channels at [b * C, (b + 1) * C).
Tensor channels_side_by_side(const BatchedValue& v, int64_t batch_size) {
  Tensor t;
  if (v.batched()) {
    t = v.bdim == 1 ? v.value : movedim(v.value, v.bdim, 1);
  } else {
    t = expand(unsqueeze(v.value, 1), with_dim(v.value.shape(), 1, batch_size));
  }
  Shape merged(t.shape().begin() + 1, t.shape().end());
  merged[0] = t.shape()[0];
  merged[1] *= t.shape()[1];
  return reshape(t, merged);
}

// (N, B * C, *s) -> physical (N, B, C, *s), batched at dim 1.
BatchedValue split_channels(const Tensor& t, int64_t batch_size, int64_t c) {
  Shape shape = t.shape();
  shape[1] = c;
  shape.insert(shape.begin() + 1, batch_size);
  return batched_at(reshape(t, shape), 1);
}

// Per-example weights (B, O, I, *k) as (B * O, I, *k).
Tensor stacked_filters(const BatchedValue& w) {
  return merge_batch_into_next(batch_first(w));
}

// Runs `prim` with the batch folded into N of operand `i` (the only
// batched one) and unfolds the result.
BatchedValue fold_into_n(const OpCall& call, std::span<const BatchedValue> args,
                         const Attrs& attrs, int i) {
  const Tensor x = batch_first(args[i]);
  Tensor inputs[2];
  for (std::size_t k = 0; k < args.size(); ++k) inputs[k] = args[k].value;
  inputs[i] = merge_batch_into_next(x);
  const Tensor out =
      dispatch(call.prim, attrs, std::span<const Tensor>(inputs, args.size()));
  return batched_at(unmerge_batch(out, x.shape()[0], x.shape()[1]), 0);
}

BatchedValue conv_rule(const BatchContext& ctx, const OpCall& call,
                       std::span<const BatchedValue> args) {
  const BatchedValue& x = args[0];
  const BatchedValue& w = args[1];
  const auto& a = call.attr<ConvAttrs>();
  if (!w.batched()) return fold_into_n(call, args, call.attrs, 0);
  const int64_t b = ctx.batch_size;
  const int64_t out_channels = w.value.shape()[physical_dim(0, w.bdim)];
  if (!x.batched() && a.groups == 1) {
    // Shared images, per-example filters: all filters in one conv.
    const Tensor inputs[] = {x.value, stacked_filters(w)};
    return split_channels(dispatch(Prim::Conv, a, inputs), b, out_channels);
  }
  ConvAttrs grouped = a;
  grouped.groups = a.groups * b;
  const Tensor inputs[] = {channels_side_by_side(x, b), stacked_filters(w)};
  return split_channels(dispatch(Prim::Conv, grouped, inputs), b, out_channels);
}

// Inputs (grad_out, weight); attrs.input_shape is the forward input's.
BatchedValue conv_input_grad_rule(const BatchContext& ctx, const OpCall& call,
                                  std::span<const BatchedValue> args) {
  const BatchedValue& g = args[0];
  const BatchedValue& w = args[1];
  const auto& a = call.attr<ConvAttrs>();
  const int64_t b = ctx.batch_size;
  if (!w.batched()) {
    ConvAttrs folded = a;
    folded.input_shape[0] *= b;
    return fold_into_n(call, args, folded, 0);
  }
  ConvAttrs grouped = a;
  grouped.groups = a.groups * b;
  grouped.input_shape[1] *= b;
  const Tensor inputs[] = {channels_side_by_side(g, b), stacked_filters(w)};
  return split_channels(dispatch(Prim::ConvInputGrad, grouped, inputs), b,
                        a.input_shape[1]);
}

// Inputs (input, grad_out); attrs.weight_shape is the forward weight's.
// Per-example weight gradients: one grouped weight-gradient conv.
BatchedValue conv_weight_grad_rule(const BatchContext& ctx, const OpCall& call,
                                   std::span<const BatchedValue> args) {
  const auto& a = call.attr<ConvAttrs>();
  const int64_t b = ctx.batch_size;
  ConvAttrs grouped = a;
  grouped.groups = a.groups * b;
  grouped.weight_shape[0] *= b;
  const Tensor inputs[] = {channels_side_by_side(args[0], b),
                           channels_side_by_side(args[1], b)};
  const Tensor out = dispatch(Prim::ConvWeightGrad, grouped, inputs);
  return batched_at(unmerge_batch(out, b, a.weight_shape[0]), 0);
}

BatchedValue unfold_fold_rule(const BatchContext&, const OpCall& call,
                              std::span<const BatchedValue> args) {
  return fold_into_n(call, args, call.attrs, 0);
}

// (x, values) or (x, grad): both operands with the batch folded into N (an
// unbatched one is broadcast: the window argmax is per example). Pooling a
// value with itself stays one tensor (the kernels' plain-max path).
BatchedValue pool_rule(const BatchContext& ctx, const OpCall& call,
                       std::span<const BatchedValue> args) {
  const int64_t b = ctx.batch_size;
  const Tensor x = batch_first_materialized(args[0], b);
  const Tensor merged_x = merge_batch_into_next(x);
  const bool itself =
      args[0].value.is_same(args[1].value) && args[0].bdim == args[1].bdim;
  const Tensor inputs[] = {
      merged_x,
      itself ? merged_x
             : merge_batch_into_next(batch_first_materialized(args[1], b))};
  const Tensor out = dispatch(call.prim, call.attrs, inputs);
  return batched_at(unmerge_batch(out, b, x.shape()[1]), 0);
}

}  // namespace

FNX_REGISTER_PLUGIN("vmap") {
  add_batching_rule(r, Prim::Conv, &conv_rule);
  add_batching_rule(r, Prim::ConvInputGrad, &conv_input_grad_rule);
  add_batching_rule(r, Prim::ConvWeightGrad, &conv_weight_grad_rule);
  add_batching_rule(r, Prim::Unfold, &unfold_fold_rule);
  add_batching_rule(r, Prim::Fold, &unfold_fold_rule);
  add_batching_rule(r, Prim::MaxPoolSelect, &pool_rule);
  add_batching_rule(r, Prim::MaxPoolScatter, &pool_rule);
}

}  // namespace fnx::vmap_internal
