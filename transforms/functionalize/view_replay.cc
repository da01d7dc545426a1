#include "transforms/functionalize/view_replay.h"

#include <utility>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx::functionalize_internal {

namespace {

Tensor materialize(Tensor t, ViewMode mode) {
  return mode == ViewMode::copies ? clone(t) : t;
}

Tensor apply_step(const ViewStep& step, const Tensor& x, ViewMode mode) {
  return materialize(dispatch(step.prim, step.attrs, {x}), mode);
}

// An expand that only adds or keeps size-1 dims is a reshape; one that
// repeats elements makes several positions share one memory location.
bool expand_repeats(const Shape& in, const Shape& out) {
  const std::size_t lead = out.size() - in.size();
  for (std::size_t d = 0; d < out.size(); ++d) {
    const int64_t before = d < lead ? 1 : in[d - lead];
    if (before != out[d]) return true;
  }
  return false;
}

// The new value of a step's input, given the new value of its output.
Tensor unapply_step(const ViewStep& step, const Tensor& old_input,
                    const Tensor& new_output, ViewMode mode) {
  switch (step.prim) {
    case Prim::Reshape:
      return materialize(reshape(new_output, step.input_shape), mode);
    case Prim::Permute: {
      const Dims& perm = std::get<PermuteAttrs>(step.attrs).perm;
      Dims inverse(perm.size());
      for (std::size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = i;
      return materialize(permute(new_output, inverse), mode);
    }
    case Prim::Expand: {
      const Shape& out = std::get<ShapeAttrs>(step.attrs).shape;
      if (expand_repeats(step.input_shape, out)) {
        fail("copy_", "cannot write in place into an expanded view (shape ",
             shape_str(out), " expanded from ", shape_str(step.input_shape),
             "): several of its elements share one memory location. Clone "
             "it first (x.expand(...).clone())");
      }
      return materialize(reshape(new_output, step.input_shape), mode);
    }
    case Prim::Slice: {
      const auto& a = std::get<SliceAttrs>(step.attrs);
      return slice_scatter(old_input, new_output, a.dim, a.start, a.stop,
                           a.step);
    }
    default:
      fail("functionalize", "internal error: ", prim_name(step.prim),
           " recorded as a view; please report it");
  }
}

}  // namespace

Tensor replay_views(const Tensor& base, std::span<const ViewStep> chain,
                    ViewMode mode) {
  Tensor t = base;
  for (const ViewStep& step : chain) t = apply_step(step, t, mode);
  return t;
}

Tensor write_through_views(const Tensor& base, std::span<const ViewStep> chain,
                           const Tensor& value, ViewMode mode) {
  // The value of every step's input, base first.
  std::vector<Tensor> inputs;
  inputs.reserve(chain.size());
  Tensor t = base;
  for (const ViewStep& step : chain) {
    inputs.push_back(t);
    t = apply_step(step, t, mode);
  }
  Tensor updated = value;
  for (std::size_t i = chain.size(); i-- > 0;) {
    updated = unapply_step(chain[i], inputs[i], updated, mode);
  }
  return updated;
}

}  // namespace fnx::functionalize_internal
