#include "core/shape.h"

#include <algorithm>

#include "absl/strings/str_join.h"
#include "core/error.h"

namespace fnx {

namespace {

[[noreturn]] void fail_too_large(const Shape& shape, std::string_view op,
                                 std::string_view what) {
  fail(op, "the shape ", shape_str(shape), " is too large: its ", what,
       " overflows 64-bit integers; no tensor can be that big");
}

}  // namespace

int64_t checked_add(int64_t a, int64_t b, std::string_view op) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) {
    fail(op, "a size computed from ", a, " + ", b,
         " overflows 64-bit integers; the sizes, paddings or offsets given "
         "are too large");
  }
  return out;
}

int64_t checked_mul(int64_t a, int64_t b, std::string_view op) {
  int64_t out;
  if (__builtin_mul_overflow(a, b, &out)) {
    fail(op, "a size computed from ", a, " * ", b,
         " overflows 64-bit integers; the sizes, strides or dilations given "
         "are too large");
  }
  return out;
}

void check_shape(const Shape& shape, std::string_view op,
                 std::size_t itemsize) {
  FNX_CHECK(static_cast<int64_t>(shape.size()) <= kMaxRank, op, "a tensor of ",
            shape.size(), " dims is deeper than the ", kMaxRank,
            " dims fnx supports");
  int64_t elements = 1, span = 1;
  for (int64_t s : shape) {
    FNX_CHECK(s >= 0, op, "negative dimension in shape ", shape_str(shape));
    if (__builtin_mul_overflow(elements, s, &elements)) {
      fail_too_large(shape, op, "element count");
    }
    // Strides multiply the sizes of dims of size 0 as 1.
    if (__builtin_mul_overflow(span, std::max<int64_t>(s, 1), &span)) {
      fail_too_large(shape, op, "stride");
    }
  }
  int64_t bytes;
  if (__builtin_mul_overflow(elements, static_cast<int64_t>(itemsize),
                             &bytes)) {
    fail_too_large(shape, op, "byte size");
  }
}

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) {
    if (__builtin_mul_overflow(n, s, &n)) {
      fail_too_large(shape, "numel", "element count");
    }
  }
  return n;
}

DimSplit split_at_dim(const Shape& shape, int64_t dim) {
  DimSplit s;
  const int64_t rank = static_cast<int64_t>(shape.size());
  for (int64_t d = 0; d < dim; ++d) s.outer *= shape[d];
  s.n = shape[dim];
  for (int64_t d = dim + 1; d < rank; ++d) s.inner *= shape[d];
  return s;
}

Strides contiguous_strides(const Shape& shape) {
  Strides strides(shape.size());
  int64_t stride = 1;
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
    strides[i] = stride;
    // The last product (the whole span) is not a stride: it may overflow
    // only when check_shape would have refused the shape.
    if (i > 0)
      stride = checked_mul(stride, std::max<int64_t>(shape[i], 1),
                           "contiguous_strides");
  }
  return strides;
}

bool is_contiguous(const Shape& shape, const Strides& strides) {
  int64_t expected = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    if (shape[d] == 0) return true;
    if (shape[d] != 1 && strides[d] != expected) return false;
    expected *= shape[d];
  }
  return true;
}

Strides broadcast_strides(const Shape& shape, const Strides& strides,
                          const Shape& to) {
  const int64_t rank = static_cast<int64_t>(to.size());
  const int64_t trank = static_cast<int64_t>(shape.size());
  Strides out(rank, 0);
  for (int64_t i = 0; i < trank && i < rank; ++i) {
    const int64_t d = rank - 1 - i;
    const int64_t td = trank - 1 - i;
    if (shape[td] == to[d]) out[d] = strides[td];
  }
  return out;
}

std::string shape_str(const Shape& shape) {
  return str_cat("[", absl::StrJoin(shape, ", "), "]");
}

int64_t normalize_dim(int64_t dim, int64_t rank, std::string_view op) {
  const int64_t lo = rank == 0 ? -1 : -rank;
  const int64_t hi = rank == 0 ? 0 : rank - 1;
  FNX_CHECK(dim >= lo && dim <= hi, op, "dim ", dim,
            " is out of range for a tensor of rank ", rank,
            " (expected a dim in [", lo, ", ", hi, "])");
  return dim < 0 ? dim + std::max<int64_t>(rank, 1) : dim;
}

Dims normalize_dims(const Dims& dims, int64_t rank, std::string_view op,
                    bool empty_means_all) {
  Dims out;
  if (dims.empty() && empty_means_all) {
    for (int64_t d = 0; d < rank; ++d) out.push_back(d);
    return out;
  }
  for (int64_t d : dims) out.push_back(normalize_dim(d, rank, op));
  std::sort(out.begin(), out.end());
  FNX_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), op,
            "dims [", absl::StrJoin(dims, ", "), "] repeat a dim");
  if (rank == 0) out.clear();  // dim 0 / -1 of a scalar is the scalar itself
  return out;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    FNX_CHECK(da == db || da == 1 || db == 1, op, "shapes ", shape_str(a),
              " and ", shape_str(b), " do not broadcast (dim ", i, ": ", da,
              " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// Each run of old dims that is contiguous in memory ("chunk") must be
// split exactly by a run of new dims.
std::optional<Strides> view_strides(const Shape& old_shape,
                                    const Strides& old_strides,
                                    const Shape& new_shape) {
  Strides new_strides(new_shape.size(), 0);
  if (old_shape.empty()) {
    for (auto& s : new_strides) s = 1;
    return new_strides;
  }
  if (numel(old_shape) == 0) {
    if (old_shape == new_shape) return old_strides;
    return contiguous_strides(new_shape);
  }
  int64_t view_d = static_cast<int64_t>(new_shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1;
  int64_t view_numel = 1;
  for (int64_t tensor_d = static_cast<int64_t>(old_shape.size()) - 1;
       tensor_d >= 0; --tensor_d) {
    tensor_numel *= old_shape[tensor_d];
    if (tensor_d == 0 ||
        (old_shape[tensor_d - 1] != 1 &&
         old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 &&
             (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        new_strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (tensor_d > 0) {
        chunk_base_stride = old_strides[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return new_strides;
}

}  // namespace fnx
