// The Linalg family's shape rule and the packed layout of its
// multi-result primitives (Lu, Qr, Eigh, Svd): each returns its parts
// flattened and concatenated along one trailing axis, (..., total), so that
// every transform handles it as the single result of an ordinary primitive.
// The op API and the derivative rules unpack it into views with
// unpack_parts and pack tangents back with pack_parts.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/primitive.h"
#include "core/tensor.h"

namespace fnx {

// The matrix shapes of the parts of `prim` applied to an (m, n) matrix, in
// packed order (see LinalgAttrs). Cholesky and TriangularSolve have one part
// and are not packed.
std::vector<Shape> linalg_parts(Prim prim, const LinalgAttrs& attrs, int64_t m,
                                int64_t n);
int64_t packed_size(std::span<const Shape> parts);

// Views (..., *part) of each part of packed (..., total).
std::vector<Tensor> unpack_parts(const Tensor& packed,
                                 std::span<const Shape> parts);
// The inverse: parts (..., *part) with the same batch dims, packed into
// (..., total). An undefined part is zero.
Tensor pack_parts(std::span<const Tensor> parts, std::span<const Shape> shapes,
                  const Tensor& like);

// The shape/dtype rule of the Linalg and Assert families.
OutMeta linalg_meta(const OpCall& call);
OutMeta assert_meta(const OpCall& call);

}  // namespace fnx
