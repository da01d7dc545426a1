// Products beside matmul and einsum: tensordot, kron and cross, written in
// public ops (permute, reshape, matmul, mul, roll) so that every transform
// supports them with no rule of its own.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {

Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims) {
  FNX_CHECK(dims >= 0 && dims <= a.dim() && dims <= b.dim(), "tensordot",
            "dims ", dims, " must be in [0, min(rank a, rank b)] for shapes ",
            shape_str(a.shape()), " and ", shape_str(b.shape()));
  Dims dims_a, dims_b;
  for (int64_t k = 0; k < dims; ++k) {
    dims_a.push_back(a.dim() - dims + k);
    dims_b.push_back(k);
  }
  return tensordot(a, b, dims_a, dims_b);
}

// One matmul: a as (free, contracted), b as (contracted, free).
Tensor tensordot(const Tensor& a, const Tensor& b, const Dims& dims_a,
                 const Dims& dims_b) {
  FNX_CHECK(dims_a.size() == dims_b.size(), "tensordot", "contracts ",
            dims_a.size(), " dims of a but ", dims_b.size(),
            " dims of b; the lists pair up, so they need the same length");
  std::vector<bool> used_a(a.dim(), false), used_b(b.dim(), false);
  Dims perm_a, perm_b;
  int64_t k = 1;
  for (size_t i = 0; i < dims_a.size(); ++i) {
    const int64_t da = normalize_dim(dims_a[i], a.dim(), "tensordot");
    const int64_t db = normalize_dim(dims_b[i], b.dim(), "tensordot");
    FNX_CHECK(!used_a[da] && !used_b[db], "tensordot", "dim ",
              used_a[da] ? da : db, " of ", used_a[da] ? "a" : "b",
              " is contracted twice");
    used_a[da] = used_b[db] = true;
    FNX_CHECK(a.shape()[da] == b.shape()[db], "tensordot", "dim ", da,
              " of a (shape ", shape_str(a.shape()), ") has size ",
              a.shape()[da], " but dim ", db, " of b (shape ",
              shape_str(b.shape()), ") has size ", b.shape()[db]);
    perm_a.push_back(da);
    perm_b.push_back(db);
    k *= a.shape()[da];
  }
  Shape out_shape;
  int64_t m = 1, n = 1;
  Dims free_a, free_b;
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (used_a[d]) continue;
    free_a.push_back(d);
    out_shape.push_back(a.shape()[d]);
    m *= a.shape()[d];
  }
  for (int64_t d = 0; d < b.dim(); ++d) {
    if (used_b[d]) continue;
    free_b.push_back(d);
    out_shape.push_back(b.shape()[d]);
    n *= b.shape()[d];
  }
  perm_a.insert(perm_a.begin(), free_a.begin(), free_a.end());
  perm_b.insert(perm_b.end(), free_b.begin(), free_b.end());
  const Tensor am = reshape(permute(a, perm_a), {m, k});
  const Tensor bm = reshape(permute(b, perm_b), {k, n});
  return reshape(matmul(am, bm), out_shape);
}

// a viewed as (a0, 1, a1, 1, ...) times b as (1, b0, 1, b1, ...), then the
// pairs merged: one broadcasting multiply.
Tensor kron(const Tensor& a, const Tensor& b) {
  const int64_t rank = std::max(a.dim(), b.dim());
  Shape a_view, b_view, out_shape;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t sa = d < rank - a.dim() ? 1 : a.shape()[d - (rank - a.dim())];
    const int64_t sb = d < rank - b.dim() ? 1 : b.shape()[d - (rank - b.dim())];
    a_view.insert(a_view.end(), {sa, 1});
    b_view.insert(b_view.end(), {1, sb});
    out_shape.push_back(sa * sb);
  }
  return reshape(reshape(a, a_view) * reshape(b, b_view), out_shape);
}

// c_i = a_{i+1} b_{i+2} - a_{i+2} b_{i+1} (indices mod 3), with the shifted
// copies made by roll.
Tensor cross(const Tensor& a, const Tensor& b, int64_t dim) {
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), "cross");
  const int64_t d =
      normalize_dim(dim, static_cast<int64_t>(shape.size()), "cross");
  FNX_CHECK(shape[d] == 3, "cross", "dim ", dim, " must have size 3, got ",
            shape[d], " (shapes ", shape_str(a.shape()), " and ",
            shape_str(b.shape()), ")");
  const Tensor x = broadcast_to(a, shape), y = broadcast_to(b, shape);
  return roll(x, {-1}, {d}) * roll(y, {-2}, {d}) -
         roll(x, {-2}, {d}) * roll(y, {-1}, {d});
}

}  // namespace fnx
