#include "core/ops/linalg_parts.h"

#include <algorithm>

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {

std::vector<Shape> linalg_parts(Prim prim, const LinalgAttrs& attrs, int64_t m,
                                int64_t n) {
  const int64_t k = std::min(m, n);
  switch (prim) {
    case Prim::Lu:
      return {{n, n}, {n}, {n}};
    case Prim::Qr:
      return attrs.full_matrices ? std::vector<Shape>{{m, m}, {m, n}}
                                 : std::vector<Shape>{{m, k}, {k, n}};
    case Prim::Eigh:
      return {{n}, {n, n}};
    case Prim::Svd:
      return attrs.full_matrices ? std::vector<Shape>{{m, m}, {k}, {n, n}}
                                 : std::vector<Shape>{{m, k}, {k}, {k, n}};
    default:
      return {{m, n}};
  }
}

int64_t packed_size(std::span<const Shape> parts) {
  int64_t total = 0;
  for (const Shape& p : parts) total += numel(p);
  return total;
}

std::vector<Tensor> unpack_parts(const Tensor& packed,
                                 std::span<const Shape> parts) {
  const int64_t last = packed.dim() - 1;
  const Shape batch(packed.shape().begin(), packed.shape().end() - 1);
  std::vector<Tensor> out;
  out.reserve(parts.size());
  int64_t offset = 0;
  for (const Shape& p : parts) {
    const int64_t size = numel(p);
    Shape shape = batch;
    shape.insert(shape.end(), p.begin(), p.end());
    out.push_back(reshape(slice(packed, last, offset, offset + size), shape));
    offset += size;
  }
  return out;
}

Tensor pack_parts(std::span<const Tensor> parts, std::span<const Shape> shapes,
                  const Tensor& like) {
  // `like` is any tensor with the batch dims first and the packed dtype.
  std::vector<Tensor> flat;
  flat.reserve(parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const int64_t size = numel(shapes[i]);
    const int64_t batch_rank = like.dim() - 2;
    Shape shape(like.shape().begin(), like.shape().begin() + batch_rank);
    shape.push_back(size);
    flat.push_back(parts[i].defined()
                       ? reshape(parts[i], shape)
                       : zeros(shape, like.dtype(), like.device()));
  }
  return cat(flat, -1);
}

namespace {

void check_matrix(std::string_view op, const Tensor& a, std::string_view what) {
  FNX_CHECK(a.dim() >= 2, op, what,
            " must be a matrix or a batch of matrices "
            "(rank >= 2), got shape ",
            shape_str(a.shape()));
  FNX_CHECK(is_floating(a.dtype()), op, what, " has dtype ",
            dtype_name(a.dtype()),
            "; linear algebra needs float32 or float64: cast it with "
            "to(DType::Float32)");
}

void check_square(std::string_view op, const Tensor& a, std::string_view what) {
  const int64_t m = a.shape()[a.dim() - 2], n = a.shape()[a.dim() - 1];
  FNX_CHECK(m == n, op, what, " must be square, got shape ",
            shape_str(a.shape()), " (", m, "x", n, ")");
}

}  // namespace

OutMeta linalg_meta(const OpCall& call) {
  const std::string_view op = call.name();
  const Tensor& a = call.inputs[0];
  check_matrix(op, a, "the matrix");
  const int64_t m = a.shape()[a.dim() - 2], n = a.shape()[a.dim() - 1];
  const Shape batch(a.shape().begin(), a.shape().end() - 2);
  if (call.prim == Prim::TriangularSolve) {
    const Tensor& b = call.inputs[1];
    check_square(op, a, "the triangular matrix");
    check_matrix(op, b, "the right-hand side");
    FNX_CHECK(b.dtype() == a.dtype() && b.device() == a.device(), op,
              "the matrix (", dtype_name(a.dtype()), ", ", a.device().str(),
              ") and the right-hand side (", dtype_name(b.dtype()), ", ",
              b.device().str(), ") differ in dtype or device");
    FNX_CHECK(b.dim() == a.dim() &&
                  std::equal(batch.begin(), batch.end(), b.shape().begin()),
              op, "the primitive needs equal batch dims, got ",
              shape_str(a.shape()), " and ", shape_str(b.shape()),
              " (the op API broadcasts them)");
    const bool left = call.attr<LinalgAttrs>().left;
    const int64_t side = b.shape()[b.dim() - (left ? 2 : 1)];
    FNX_CHECK(side == n, op, "a ", n, "x", n, " triangular matrix cannot ",
              left ? "left" : "right", "-solve a right-hand side of shape ",
              shape_str(b.shape()), " (", left ? "rows" : "columns", " ", side,
              " != ", n, ")");
    return {b.shape(), b.dtype(), b.device()};
  }
  if (call.prim != Prim::Qr && call.prim != Prim::Svd) {
    check_square(op, a, "the matrix");
  }
  Shape shape = batch;
  if (call.prim == Prim::Cholesky) {
    shape.push_back(n);
    shape.push_back(n);
  } else {
    shape.push_back(
        packed_size(linalg_parts(call.prim, call.attr<LinalgAttrs>(), m, n)));
  }
  return {shape, a.dtype(), a.device()};
}

OutMeta assert_meta(const OpCall& call) {
  const Tensor& cond = call.inputs[0];
  FNX_CHECK(cond.dtype() == DType::Bool, "assert",
            "the condition must be a bool tensor, got ",
            dtype_name(cond.dtype()));
  FNX_CHECK(call.attr<AssertAttrs>().batch_rank <= cond.dim(), "assert",
            "batch_rank ", call.attr<AssertAttrs>().batch_rank,
            " exceeds the condition's rank ", cond.dim());
  return {cond.shape(), cond.dtype(), cond.device()};
}

}  // namespace fnx
