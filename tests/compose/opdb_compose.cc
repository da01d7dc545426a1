#include "tests/compose/opdb_compose.h"

#include "core/ops/ops.h"

namespace fnx::compose {

const std::vector<Composition>& compositions() {
  static const std::vector<Composition> kAll = {
      {"jvp_fd", &jvp_matches_finite_differences,
       "jvp == central finite differences (smooth points)"},
      {"jvp_vjp", &jvp_agrees_with_vjp, "<u, J v> == <J^T u, v>"},
      {"jacfwd_jacrev", &jacfwd_equals_jacrev, "jacfwd == jacrev"},
      {"hessian", &hessians_agree,
       "hessian == jacrev(jacrev) == jacfwd(jacfwd) of sum(w * op)"},
      {"vmap_jvp", &vmap_of_jvp, "vmap(jvp) == a loop of jvp"},
      {"jvp_vmap", &jvp_of_vmap, "jvp(vmap) == a loop of jvp"},
      {"jvp_grad", &jvp_of_grad,
       "jvp(grad) == finite differences of grad == grad(grad)"},
      {"vmap_grad", &vmap_of_grad, "vmap(grad) == a loop of grad"},
      {"grad_vmap", &grad_of_vmap, "grad(sum of vmap) == a loop of grad"},
      {"grad_grad", &grad_of_grad,
       "grad(<grad, r>) == finite differences of grad"},
      {"vmap_vmap_grad", &vmap_of_vmap_of_grad,
       "vmap(vmap(grad)) == a double loop of grad"},
      {"view_of_written_base", &view_of_written_base,
       "grad and jvp through a view read after its base was written"},
      {"nested_no_grad", &nested_no_grad,
       "grad ignores an inner grad taken under NoGradGuard"},
  };
  return kAll;
}

Tensor Case::phi(const std::vector<Tensor>& xs) const {
  return (p(xs) * w).sum();
}

std::vector<Tensor> Case::batch(int64_t count, Generator& gen) const {
  std::vector<Tensor> out;
  for (const Tensor& leaf : x) {
    std::vector<Tensor> copies;
    for (int64_t b = 0; b < count; ++b) {
      copies.push_back(leaf + randn(leaf.shape(), leaf.dtype(), &gen) *
                                  (0.01 * static_cast<double>(b)));
    }
    out.push_back(stack(copies, 0));
  }
  return out;
}

Tensor stack_leaves(const std::vector<std::vector<Tensor>>& per_example,
                    std::size_t leaf) {
  std::vector<Tensor> parts;
  for (const auto& e : per_example) parts.push_back(e.at(leaf));
  return stack(parts, 0);
}

std::vector<Tensor> example(const std::vector<Tensor>& batched, int64_t b) {
  std::vector<Tensor> out;
  for (const Tensor& t : batched) out.push_back(select(t, 0, b));
  return out;
}

double tolerance(const Case& c) {
  bool f32 = c.w.dtype() == DType::Float32;
  for (const Tensor& t : c.x) f32 |= t.dtype() == DType::Float32;
  return f32 ? 1e-5 : 1e-11;
}

}  // namespace fnx::compose
