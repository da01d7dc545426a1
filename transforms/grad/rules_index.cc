// VJP rules of the indexing family, each the transpose of another:
// gather <-> scatter_add, index_select <-> index_add.
#include <vector>

#include "core/ops/ops.h"
#include "transforms/grad/rule_helpers.h"
#include "transforms/grad/vjp_rule.h"

namespace fnx::grad_internal {
namespace {

int64_t dim_of(const VjpArgs& v) { return v.attr<DimAttrs>().dim; }

// gather(x, dim, index): the cotangent goes back to the gathered positions
// (summed where an index repeats).
void gather_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (!v.needs(0)) return;
  grads[0] = scatter_add(zeros_of(v.meta[0]), dim_of(v), v.input(1), g);
}

// scatter_add(x, dim, index, src): x passes through; src's elements went to
// the indexed positions, and those of src beyond index's extent nowhere.
void scatter_add_vjp(const VjpArgs& v, const Tensor& g,
                     std::span<Tensor> grads) {
  if (v.needs(0)) grads[0] = g;
  if (!v.needs(2)) return;
  Tensor gs = gather(g, dim_of(v), v.input(1));
  const Shape& src = v.meta[2].shape;
  for (int64_t d = 0; d < gs.dim(); ++d) {
    gs = pad_dim(gs, d, 0, src[d] - gs.shape()[d]);
  }
  grads[2] = gs;
}

void index_select_vjp(const VjpArgs& v, const Tensor& g,
                      std::span<Tensor> grads) {
  if (!v.needs(0)) return;
  grads[0] = index_add(zeros_of(v.meta[0]), dim_of(v), v.input(1), g);
}

void index_add_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (v.needs(0)) grads[0] = g;
  if (v.needs(2)) grads[2] = index_select(g, dim_of(v), v.input(1));
}

constexpr VjpRule kGather{&gather_vjp, kSave1, false, true};
constexpr VjpRule kScatterAdd{&scatter_add_vjp, kSave1, false, true};
constexpr VjpRule kIndexSelect{&index_select_vjp, kSave1, false, true};
constexpr VjpRule kIndexAdd{&index_add_vjp, kSave1, false, true};

}  // namespace

void register_index_rules(Registrar& r) {
  add_rule(r, Prim::Gather, kGather);
  add_rule(r, Prim::ScatterAdd, kScatterAdd);
  add_rule(r, Prim::IndexSelect, kIndexSelect);
  add_rule(r, Prim::IndexAdd, kIndexAdd);
}

}  // namespace fnx::grad_internal
