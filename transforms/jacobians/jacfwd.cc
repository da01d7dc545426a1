// jacfwd on flat lists: the standard basis of the primals (one tangent per
// input element, split per primal leaf), one jvp vmapped over it, and the
// tangent rows cut into per-(output, input) Jacobian blocks.
#include "transforms/jacobians/jacfwd.h"

#include <string>

#include "core/error.h"
#include "core/leaf_names.h"
#include "core/ops/ops.h"
#include "transforms/jacobians/basis.h"
#include "transforms/vmap/vmap.h"

namespace fnx::jacfwd_internal {
namespace {

// Basis tangents: for primal i, a (n, *shape_i) tensor whose row r is
// e_r restricted to the primal's elements (n = all primals' elements).
std::vector<Tensor> standard_basis(std::span<const Tensor> primals, int64_t n) {
  std::vector<Tensor> basis;
  int64_t offset = 0;
  for (const Tensor& p : primals) {
    // Columns [offset, offset + numel) of the identity, built contiguous.
    Shape shape = p.shape();
    shape.insert(shape.begin(), n);
    basis.push_back(reshape(jacobian_internal::identity_block(
                                n, p.numel(), 0, offset, p.dtype(), p.device()),
                            shape));
    offset += p.numel();
  }
  return basis;
}

void check_primals(std::span<const Tensor> primals, std::string_view caller) {
  for (std::size_t i = 0; i < primals.size(); ++i) {
    FNX_CHECK(primals[i].defined(), caller, leaf_name(primals, i),
              " is an undefined tensor; pass a tensor for every leaf of the "
              "differentiated arguments");
    FNX_CHECK(is_floating(primals[i].dtype()), caller, leaf_name(primals, i),
              " has dtype ", dtype_name(primals[i].dtype()),
              "; Jacobians are taken w.r.t. floating-point inputs only (cast "
              "it, or leave its argument out of argnums)");
  }
}

}  // namespace

FlatJacobian jacfwd_flat(const FlatFn& f, std::span<const Tensor> primals,
                         const JacfwdOptions& options,
                         std::string_view caller) {
  FNX_CHECK(!options.chunk_size || *options.chunk_size >= 1, caller,
            "chunk_size must be >= 1 (or unset), got ",
            options.chunk_size.value_or(0));
  check_primals(primals, caller);
  const jvp_internal::JvpTransform& forward = jvp_internal::transform(caller);
  int64_t n = 0;
  for (const Tensor& p : primals) n += p.numel();

  FlatJacobian r;
  std::vector<Tensor> rows;  // per output: (n, *output shape)
  if (n == 0) {
    // No input element: nothing to map over, one evaluation for the values.
    const std::vector<Tensor> no_tangents(primals.size());
    jvp_internal::JvpResult j = forward.jvp(f, primals, no_tangents, caller);
    r.values = std::move(j.outputs);
    r.aux = std::move(j.aux);
    for (const Tensor& v : r.values) {
      Shape shape = v.shape();
      shape.insert(shape.begin(), 0);
      rows.push_back(zeros(shape, v.dtype(), v.device()));
    }
  } else {
    // Values and aux do not depend on the basis tangent, so they come back
    // unbatched -- except with different randomness per basis element.
    const bool per_row = options.randomness == Randomness::different;
    const VmapDims value_dim = per_row ? VmapDims(0) : VmapDims(none);
    auto push_forward = [&](const std::vector<Tensor>& basis) {
      jvp_internal::JvpResult j = forward.jvp(f, primals, basis, caller);
      return std::tuple{std::move(j.outputs), std::move(j.tangents),
                        std::move(j.aux)};
    };
    auto [values, tangents, aux] =
        vmap(push_forward, 0, {value_dim, 0, value_dim},
             {.randomness = options.randomness,
              .chunk_size = options.chunk_size})(standard_basis(primals, n));
    if (per_row) {  // the function's own value is the first row's
      for (Tensor& v : values) v = select(v, 0, 0);
      for (Tensor& a : aux) {
        if (a.defined()) a = select(a, 0, 0);
      }
    }
    r.values = std::move(values);
    r.aux = std::move(aux);
    rows = std::move(tangents);
  }
  r.blocks.reserve(rows.size() * primals.size());
  for (std::size_t o = 0; o < rows.size(); ++o) {
    if (!r.values[o].defined() || !rows[o].defined()) {  // undefined leaf
      r.blocks.insert(r.blocks.end(), primals.size(), Tensor());
      continue;
    }
    const Shape& out_shape = r.values[o].shape();
    int64_t offset = 0;
    for (const Tensor& p : primals) {
      // Rows of this input, moved last: (*out, numel), then split into the
      // input's shape (a view).
      Tensor block = movedim(narrow(rows[o], 0, offset, p.numel()), 0, -1);
      Shape shape = out_shape;
      shape.insert(shape.end(), p.shape().begin(), p.shape().end());
      block = reshape(block, shape);
      // An integer output has a zero derivative in the input's floating
      // dtype (what jacrev gives), not an integer Jacobian.
      if (block.dtype() != p.dtype()) block = cast(block, p.dtype());
      r.blocks.push_back(std::move(block));
      offset += p.numel();
    }
  }
  return r;
}

}  // namespace fnx::jacfwd_internal
