// VJP rules of the view and shape families (reshape, permute, expand,
// slice <-> pad, cat -> slice), memory (copy, copy_into), the identity
// stop_gradient, and the sources (creation, random), which have no inputs.
#include <vector>

#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "transforms/grad/rule_helpers.h"
#include "transforms/grad/vjp_rule.h"

namespace fnx::grad_internal {
namespace {

void reshape_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (v.needs(0)) grads[0] = reshape(g, v.meta[0].shape);
}

void permute_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (!v.needs(0)) return;
  const Dims& perm = v.attr<PermuteAttrs>().perm;
  Dims inverse(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) {
    inverse[perm[i]] = static_cast<int64_t>(i);
  }
  grads[0] = permute(g, inverse);
}

// expand is broadcasting: its transpose sums over the stretched dims.
void expand_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (v.needs(0)) grads[0] = sum_to(g, v.meta[0].shape);
}

// The transpose of slice puts the cotangent back at the sliced positions,
// zeros elsewhere: with step 1 a pad; with step s, each element is first
// followed by s - 1 zeros (pad a new dim, merge it), then padded into place.
void slice_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (!v.needs(0)) return;
  const auto& a = v.attr<SliceAttrs>();
  const Shape& in = v.meta[0].shape;
  const int64_t n = g.shape()[a.dim];
  if (n == 0) {
    grads[0] = zeros_of(v.meta[0]);
    return;
  }
  Tensor spread = g;
  if (a.step > 1) {
    spread = pad_dim(unsqueeze(g, a.dim + 1), a.dim + 1, 0, a.step - 1);
    Shape merged = g.shape();
    merged[a.dim] = n * a.step;
    spread = reshape(spread, merged);
  }
  const int64_t covered = spread.shape()[a.dim];
  grads[0] = pad_dim(spread, a.dim, a.start, in[a.dim] - a.start - covered);
}

// pad's transpose is pad with the amounts negated (negative pads crop, so
// this covers cropping too); the fill value is a constant.
void pad_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (!v.needs(0)) return;
  const auto& a = v.attr<PadAttrs>();
  std::vector<int64_t> pads;
  for (int64_t d = g.dim() - 1; d >= 0; --d) {
    pads.push_back(-a.lo[d]);
    pads.push_back(-a.hi[d]);
  }
  grads[0] = pads.empty() ? g : pad(g, pads, 0.0);
}

void cat_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  const int64_t dim = v.attr<DimAttrs>().dim;
  int64_t offset = 0;
  for (std::size_t i = 0; i < v.meta.size(); ++i) {
    const int64_t size = v.meta[i].shape[dim];
    if (v.needs(i)) grads[i] = slice(g, dim, offset, offset + size);
    offset += size;
  }
}

void copy_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (v.needs(0)) grads[0] = g;
}

// copy_into(dst, src): dst's old value is overwritten (no cotangent); src
// was broadcast and cast into dst.
void copy_into_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (v.needs(1)) {
    grads[1] = cast(sum_to(g, v.meta[1].shape), v.meta[1].dtype);
  }
}

// ---- in-place writes through views ----

// The view chain applied to t (as the forward pass took the view).
Tensor apply_views(const ViewChain& views, Tensor t) {
  for (const ViewStep& step : views) {
    const Tensor in[] = {t};
    t = dispatch(step.prim, step.attrs, in);
  }
  return t;
}

// Its transpose: each view's own VJP rule, last view first.
Tensor transpose_views(const ViewChain& views, Tensor g) {
  const Tensor none;
  for (auto it = views.rbegin(); it != views.rend(); ++it) {
    const char needs[] = {1};
    const VjpArgs args{it->prim,     it->attrs, {},   none,
                       {&it->in, 1}, it->out,   needs};
    Tensor grad;
    rule_for(it->prim)->fn(args, g, std::span<Tensor>(&grad, 1));
    g = grad;
  }
  return g;
}

// new_base = old_base with src written where the views reach. The views
// are injective (copy_ refuses overlapping destinations), so the old value
// keeps the cotangent outside the region: g - T(A(g)).
void write_through_view_vjp(const VjpArgs& v, const Tensor& g,
                            std::span<Tensor> grads) {
  const Tensor region = apply_views(*v.views, g);
  if (v.needs(0)) grads[0] = g - transpose_views(*v.views, region);
  if (v.needs(1)) {
    grads[1] = cast(sum_to(region, v.meta[1].shape), v.meta[1].dtype);
  }
}

// dst = the view of the new base.
void view_of_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (v.needs(0)) grads[0] = transpose_views(*v.views, g);
}

constexpr VjpRule kReshape{&reshape_vjp, kSaveNone, false, true};
constexpr VjpRule kPermute{&permute_vjp, kSaveNone, false, true};
constexpr VjpRule kExpand{&expand_vjp, kSaveNone, false, true};
constexpr VjpRule kSlice{&slice_vjp, kSaveNone, false, true};
constexpr VjpRule kPad{&pad_vjp, kSaveNone, false, true};
constexpr VjpRule kCat{&cat_vjp, kSaveNone, false, true};
// y = x moved to another device: the cotangent moves back.
void to_device_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (v.needs(0)) grads[0] = to_device(g, v.meta[0].device);
}

constexpr VjpRule kCopy{&copy_vjp, kSaveNone, false, true};
constexpr VjpRule kToDevice{&to_device_vjp, kSaveNone, false, true};
constexpr VjpRule kCopyInto{&copy_into_vjp, kSaveNone, false, true};

}  // namespace

const VjpRule kWriteThroughViewRule{&write_through_view_vjp, kSaveNone, false,
                                    true};
const VjpRule kViewOfRule{&view_of_vjp, kSaveNone, false, true};

void no_cotangents(const VjpArgs&, const Tensor&, std::span<Tensor>) {}

void register_shape_rules(Registrar& r) {
  add_rule(r, Prim::Reshape, kReshape);
  add_rule(r, Prim::Permute, kPermute);
  add_rule(r, Prim::Expand, kExpand);
  add_rule(r, Prim::Slice, kSlice);
  add_rule(r, Prim::Pad, kPad);
  add_rule(r, Prim::Cat, kCat);
  add_rule(r, Prim::Copy, kCopy);
  add_rule(r, Prim::CopyInto, kCopyInto);
  add_rule(r, Prim::ToDevice, kToDevice);
  // stop_gradient: the result is a constant to every grad level. Sources
  // have no inputs to differentiate.
  for (Prim p : {Prim::StopGradient, Prim::Full, Prim::Iota, Prim::Uniform,
                 Prim::Normal}) {
    add_rule(r, p, kConstantRule);
  }
}

}  // namespace fnx::grad_internal
