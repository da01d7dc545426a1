// Shape composites: views written with the view primitives (reshape,
// permute, slice) and the copying ones written with cat, so every
// transform supports them.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {

namespace {

// Maps a dim in [-rank - 1, rank] (an insertion point) to [0, rank].
int64_t normalize_insert_dim(int64_t dim, int64_t rank, std::string_view op) {
  FNX_CHECK(dim >= -rank - 1 && dim <= rank, op, "dim ", dim,
            " is out of range for inserting a dim into a tensor of rank ", rank,
            " (expected a dim in [", -rank - 1, ", ", rank, "])");
  return dim < 0 ? dim + rank + 1 : dim;
}

// pad() along one dim only (negative amounts crop).
Tensor pad_one_dim(const Tensor& x, int64_t dim, int64_t lo, int64_t hi,
                   double value) {
  std::vector<int64_t> pads(2 * (x.dim() - dim), 0);
  pads[pads.size() - 2] = lo;
  pads[pads.size() - 1] = hi;
  return pad(x, pads, value);
}

Dims identity_perm(int64_t rank) {
  Dims perm(rank);
  for (int64_t i = 0; i < rank; ++i) perm[i] = i;
  return perm;
}

std::string sizes_str(const std::vector<int64_t>& sizes) {
  return absl::StrCat("[", absl::StrJoin(sizes, ", "), "]");
}

}  // namespace

Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) {
  const int64_t rank = x.dim();
  const int64_t a = normalize_dim(d0, rank, "transpose");
  const int64_t b = normalize_dim(d1, rank, "transpose");
  Dims perm = identity_perm(rank);
  if (rank > 0) std::swap(perm[a], perm[b]);
  return permute(x, perm);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  FNX_CHECK(x.dim() > 0, "select",
            "cannot select from a 0-d tensor; it has "
            "no dims to index");
  const int64_t d = normalize_dim(dim, x.dim(), "select");
  const int64_t size = x.shape()[d];
  FNX_CHECK(index >= -size && index < size, "select", "index ", index,
            " is out of range for dim ", d, " of size ", size);
  const int64_t i = index < 0 ? index + size : index;
  Shape out_shape = x.shape();
  out_shape.erase(out_shape.begin() + d);
  return reshape(slice(x, d, i, i + 1), out_shape);
}

Tensor squeeze(const Tensor& x) {
  Shape out_shape;
  for (int64_t s : x.shape()) {
    if (s != 1) out_shape.push_back(s);
  }
  return reshape(x, out_shape);
}

// A dim whose size is not 1 is left alone, as in torch.
Tensor squeeze(const Tensor& x, int64_t dim) {
  const int64_t d = normalize_dim(dim, x.dim(), "squeeze");
  if (x.dim() == 0 || x.shape()[d] != 1) return reshape(x, x.shape());
  Shape out_shape = x.shape();
  out_shape.erase(out_shape.begin() + d);
  return reshape(x, out_shape);
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  const int64_t d = normalize_insert_dim(dim, x.dim(), "unsqueeze");
  Shape out_shape = x.shape();
  out_shape.insert(out_shape.begin() + d, 1);
  return reshape(x, out_shape);
}

// Merges dims [start, end] into one; a 0-d tensor becomes 1-d of size 1.
Tensor flatten(const Tensor& x, int64_t start, int64_t end) {
  if (x.dim() == 0) {
    normalize_dim(start, 0, "flatten");
    normalize_dim(end, 0, "flatten");
    return reshape(x, {1});
  }
  const int64_t s = normalize_dim(start, x.dim(), "flatten");
  const int64_t e = normalize_dim(end, x.dim(), "flatten");
  FNX_CHECK(s <= e, "flatten", "start dim ", start, " comes after end dim ",
            end, " for a tensor of shape ", shape_str(x.shape()));
  Shape out_shape;
  int64_t merged = 1;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < s || d > e) {
      out_shape.push_back(x.shape()[d]);
    } else {
      merged *= x.shape()[d];
      if (d == e) out_shape.push_back(merged);
    }
  }
  return reshape(x, out_shape);
}

Tensor movedim(const Tensor& x, int64_t from, int64_t to) {
  const int64_t rank = x.dim();
  const int64_t src = normalize_dim(from, rank, "movedim");
  const int64_t dst = normalize_dim(to, rank, "movedim");
  Dims perm;
  for (int64_t d = 0; d < rank; ++d) {
    if (d != src) perm.push_back(d);
  }
  if (rank > 0) perm.insert(perm.begin() + dst, src);
  return permute(x, perm);
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  FNX_CHECK(x.dim() > 0, "narrow", "cannot narrow a 0-d tensor");
  const int64_t d = normalize_dim(dim, x.dim(), "narrow");
  const int64_t size = x.shape()[d];
  FNX_CHECK(start >= -size && start <= size, "narrow", "start ", start,
            " is out of range for dim ", d, " of size ", size);
  const int64_t s = start < 0 ? start + size : start;
  FNX_CHECK(length >= 0 && length <= size - s, "narrow", "start ", s,
            " + length ", length, " exceeds dim ", d, " of size ", size,
            " (shape ", shape_str(x.shape()), ")");
  return slice(x, d, s, s + length);
}

Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  FNX_CHECK(!xs.empty(), "stack", "expected a non-empty list of tensors");
  const Shape& first = xs[0].shape();
  for (size_t i = 1; i < xs.size(); ++i) {
    FNX_CHECK(xs[i].shape() == first, "stack",
              "all tensors must have the same shape, got ", shape_str(first),
              " at index 0 and ", shape_str(xs[i].shape()), " at index ", i);
  }
  const int64_t d =
      normalize_insert_dim(dim, static_cast<int64_t>(first.size()), "stack");
  std::vector<Tensor> parts;
  parts.reserve(xs.size());
  for (const Tensor& x : xs) parts.push_back(unsqueeze(x, d));
  return cat(parts, d);
}

// Pieces of split_size along dim (the last may be smaller). A dim of size
// 0 gives one empty piece, as in torch.
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  FNX_CHECK(x.dim() > 0, "split", "cannot split a 0-d tensor");
  const int64_t d = normalize_dim(dim, x.dim(), "split");
  const int64_t size = x.shape()[d];
  FNX_CHECK(split_size > 0 || (split_size == 0 && size == 0), "split",
            "split_size must be positive, got ", split_size, " for dim ", d,
            " of size ", size);
  if (size == 0) return {slice(x, d, 0, 0)};
  std::vector<Tensor> out;
  for (int64_t start = 0; start < size; start += split_size) {
    out.push_back(slice(x, d, start, std::min(start + split_size, size)));
  }
  return out;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes,
                          int64_t dim) {
  FNX_CHECK(x.dim() > 0, "split", "cannot split a 0-d tensor");
  const int64_t d = normalize_dim(dim, x.dim(), "split");
  const int64_t size = x.shape()[d];
  int64_t total = 0;
  for (int64_t s : sizes) {
    FNX_CHECK(s >= 0, "split", "split sizes ", sizes_str(sizes),
              " must be non-negative");
    total += s;
  }
  FNX_CHECK(total == size, "split", "split sizes ", sizes_str(sizes),
            " sum to ", total, " but dim ", d, " of shape ",
            shape_str(x.shape()), " has size ", size);
  std::vector<Tensor> out;
  out.reserve(sizes.size());
  int64_t start = 0;
  for (int64_t s : sizes) {
    out.push_back(slice(x, d, start, start + s));
    start += s;
  }
  return out;
}

// Pieces of ceil(size / chunks), so possibly fewer than `chunks` pieces (as
// torch). A dim of size 0 gives `chunks` empty pieces.
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  FNX_CHECK(chunks > 0, "chunk", "number of chunks must be positive, got ",
            chunks);
  FNX_CHECK(x.dim() > 0, "chunk", "cannot chunk a 0-d tensor");
  const int64_t d = normalize_dim(dim, x.dim(), "chunk");
  const int64_t size = x.shape()[d];
  if (size == 0) {
    constexpr int64_t kMaxEmptyPieces = int64_t{1} << 20;
    FNX_CHECK(chunks <= kMaxEmptyPieces, "chunk", "splitting an empty dim into ",
              chunks, " pieces would make that many empty tensors; ask for at "
              "most ", kMaxEmptyPieces);
    return split(x, std::vector<int64_t>(static_cast<size_t>(chunks), 0), d);
  }
  // ceil(size / chunks) without overflow for huge counts.
  return split(x, size / chunks + (size % chunks != 0 ? 1 : 0), d);
}

std::vector<Tensor> unbind(const Tensor& x, int64_t dim) {
  FNX_CHECK(x.dim() > 0, "unbind", "cannot unbind a 0-d tensor");
  const int64_t d = normalize_dim(dim, x.dim(), "unbind");
  std::vector<Tensor> out;
  out.reserve(static_cast<size_t>(x.shape()[d]));
  for (int64_t i = 0; i < x.shape()[d]; ++i) out.push_back(select(x, d, i));
  return out;
}

// Pure, so every transform (and functionalization's write-back through a
// slice) runs it. A unit step joins base's pieces around src with cat (one
// pass); a larger step places src at the sliced positions with pad and
// picks it or base with a mask placed the same way.
Tensor slice_scatter(const Tensor& base, const Tensor& src, int64_t dim,
                     int64_t start, int64_t stop, int64_t step) {
  const Tensor window = slice(base, dim, start, stop, step);  // validates
  const int64_t d = normalize_dim(dim, base.dim(), "slice_scatter");
  const int64_t size = base.shape()[d];
  const int64_t lo = std::clamp<int64_t>(start < 0 ? start + size : start, 0,
                                         size);
  FNX_CHECK(broadcast_shapes(src.shape(), window.shape(), "slice_scatter") ==
                window.shape(),
            "slice_scatter",
            "the source of shape ", shape_str(src.shape()),
            " does not broadcast to the slice's shape ",
            shape_str(window.shape()), " (base ", shape_str(base.shape()),
            ", dim ", d, ")");
  const int64_t n = window.shape()[d];
  if (n == 0) return base;
  const Tensor value = cast(broadcast_to(src, window.shape()), base.dtype());
  if (step == 1) {  // one pass: the pieces before and after, joined
    std::vector<Tensor> pieces;
    if (lo > 0) pieces.push_back(slice(base, d, 0, lo));
    pieces.push_back(value);
    if (lo + n < size) pieces.push_back(slice(base, d, lo + n, size));
    return pieces.size() == 1 ? value : cat(pieces, d);
  }
  auto spread = [&](const Tensor& t) {
    Tensor out = t;
    if (step > 1) {
      out = pad_one_dim(unsqueeze(t, d + 1), d + 1, 0, step - 1, 0);
      Shape merged = t.shape();
      merged[d] = n * step;
      out = reshape(out, merged);
    }
    return pad_one_dim(out, d, lo, size - lo - out.shape()[d], 0);
  };
  const Tensor mask = spread(ones(window.shape(), DType::Bool, base.device()));
  return where(mask, spread(value), base);
}

}  // namespace fnx
