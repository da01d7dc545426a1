// Rearranging and selecting composites (flip, roll, repeat,
// repeat_interleave, meshgrid, masked_select, nonzero) and where with scalar
// branches, written in public ops so that every transform supports them
// with no rule of their own. Shapes stay static: what torch sizes by data
// (repeat_interleave with a tensor, masked_select, nonzero) takes its size as
// an argument.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {
namespace {

int64_t numel_of(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

// Inclusive prefix sums along the last dim of an int64 tensor: log2(n)
// shifted adds (Hillis-Steele), O(n log n) work and O(n) memory, since
// there is no cumsum primitive. pad with a negative high amount shifts the
// values right by s, dropping the last s.
Tensor inclusive_prefix_sum(Tensor c) {
  const int64_t n = c.dim() == 0 ? 1 : c.shape().back();
  for (int64_t s = 1; s < n; s *= 2) c = c + pad(c, {s, -s});
  return c;
}

}  // namespace

Tensor where(const Tensor& cond, const Tensor& a, double b) {
  return where(cond, a, scalar_like(b, a));
}

Tensor where(const Tensor& cond, double a, const Tensor& b) {
  return where(cond, scalar_like(a, b), b);
}

Tensor where(const Tensor& cond, double a, double b, DType dtype) {
  return where(cond, scalar_tensor(a, dtype, cond.device()),
               scalar_tensor(b, dtype, cond.device()));
}

// index_select with a reversed range per flipped dim: the view primitives
// have no negative step.
Tensor flip(const Tensor& x, const Dims& dims) {
  const Dims ds = normalize_dims(dims, x.dim(), "flip", false);
  Tensor out = x;
  for (int64_t d : ds) {
    const int64_t n = x.shape()[d];
    if (n < 2) continue;
    out = index_select(out, d,
                       arange(static_cast<double>(n - 1), -1.0, -1.0,
                              DType::Int64, x.device()));
  }
  // torch.flip always returns a new tensor.
  return out.is_same(x) ? clone(x) : out;
}

// Two slices joined by cat per rolled dim.
Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts,
            const Dims& dims) {
  if (dims.empty()) {
    FNX_CHECK(shifts.size() == 1, "roll", "without dims, roll takes one ",
              "shift (of the flattened tensor), got ", shifts.size());
    return reshape(roll(flatten(x), shifts, {0}), x.shape());
  }
  FNX_CHECK(shifts.size() == dims.size(), "roll", "got ", shifts.size(),
            " shifts for ", dims.size(), " dims; give one shift per dim");
  Tensor out = x;
  for (size_t i = 0; i < dims.size(); ++i) {
    FNX_CHECK(x.dim() > 0, "roll", "a 0-d tensor has no dim ", dims[i],
              "; roll it without dims");
    const int64_t d = normalize_dim(dims[i], x.dim(), "roll");
    const int64_t n = x.shape()[d];
    if (n == 0) continue;
    const int64_t s = ((shifts[i] % n) + n) % n;
    if (s == 0) continue;
    out = cat({slice(out, d, n - s, n), slice(out, d, 0, n - s)}, d);
  }
  return out.is_same(x) ? clone(x) : out;
}

// x viewed as (1, s0, 1, s1, ...), expanded to (r0, s0, r1, s1, ...) and
// merged: one copy.
Tensor repeat(const Tensor& x, const Shape& sizes) {
  FNX_CHECK(static_cast<int64_t>(sizes.size()) >= x.dim(), "repeat", "got ",
            sizes.size(), " repeat counts for a tensor of shape ",
            shape_str(x.shape()), "; give at least one per dim");
  const int64_t lead = static_cast<int64_t>(sizes.size()) - x.dim();
  Shape view, expanded, out_shape;
  for (size_t d = 0; d < sizes.size(); ++d) {
    FNX_CHECK(sizes[d] >= 0, "repeat", "repeat counts must be >= 0, got ",
              shape_str(sizes));
    const int64_t s = static_cast<int64_t>(d) < lead ? 1 : x.shape()[d - lead];
    view.insert(view.end(), {1, s});
    expanded.insert(expanded.end(), {sizes[d], s});
    out_shape.push_back(sizes[d] * s);
  }
  return reshape(expand(reshape(x, view), expanded), out_shape);
}

// Each element unsqueezed, expanded `repeats` times and merged.
Tensor repeat_interleave(const Tensor& x, int64_t repeats,
                         std::optional<int64_t> dim) {
  FNX_CHECK(repeats >= 0, "repeat_interleave", "repeats must be >= 0, got ",
            repeats);
  if (!dim.has_value()) return repeat_interleave(flatten(x), repeats, 0);
  FNX_CHECK(x.dim() > 0, "repeat_interleave", "a 0-d tensor has no dim ", *dim,
            "; omit dim");
  const int64_t d = normalize_dim(*dim, x.dim(), "repeat_interleave");
  Shape expanded = x.shape(), out_shape = x.shape();
  expanded.insert(expanded.begin() + d + 1, repeats);
  out_shape[d] *= repeats;
  return reshape(expand(unsqueeze(x, d + 1), expanded), out_shape);
}

// Output position p takes element j = #{i : ends[i] <= p}, where ends are
// the inclusive prefix sums of repeats: an (output_size, n) comparison
// summed (O(output_size * n) memory), then one index_select. The sum of
// repeats is checked against output_size with assert_all, which names the
// example under vmap.
Tensor repeat_interleave(const Tensor& x, const Tensor& repeats,
                         std::optional<int64_t> dim, int64_t output_size) {
  constexpr std::string_view op = "repeat_interleave";
  FNX_CHECK(repeats.dtype() == DType::Int64 || repeats.dtype() == DType::Int32,
            op, "repeats must be an int32 or int64 tensor, got ",
            dtype_name(repeats.dtype()));
  FNX_CHECK(repeats.dim() <= 1, op, "repeats must be 0-d or 1-d, got shape ",
            shape_str(repeats.shape()));
  FNX_CHECK(output_size >= 0, op, "output_size must be >= 0, got ",
            output_size);
  if (!dim.has_value()) {
    return repeat_interleave(flatten(x), repeats, 0, output_size);
  }
  FNX_CHECK(x.dim() > 0, op, "a 0-d tensor has no dim ", *dim, "; omit dim");
  const int64_t d = normalize_dim(*dim, x.dim(), op);
  const int64_t n = x.shape()[d];
  FNX_CHECK(repeats.numel() == n || repeats.numel() == 1, op, "repeats of ",
            "shape ", shape_str(repeats.shape()), " must have one entry per ",
            "element of dim ", d, " (size ", n, ") or a single entry");
  const Tensor r =
      expand(reshape(cast(repeats, DType::Int64), {repeats.numel()}), {n});
  const Tensor zero = zeros({}, DType::Int64, x.device());
  assert_all(r >= zero, "[repeat_interleave] repeats must be >= 0");
  const Tensor ends = inclusive_prefix_sum(r);
  const Tensor total = n == 0 ? zero : select(ends, 0, n - 1);
  assert_all(eq(total, full({}, static_cast<double>(output_size), DType::Int64,
                            x.device())),
             str_cat("[repeat_interleave] output_size ", output_size,
                     " differs from the sum of repeats"));
  const Tensor positions =
      reshape(arange(output_size, DType::Int64, x.device()), {output_size, 1});
  const Tensor source =
      sum(cast(reshape(ends, {1, n}) <= positions, DType::Int64), {1});
  return index_select(x, d, source);
}

std::vector<Tensor> meshgrid(const std::vector<Tensor>& tensors,
                             std::string_view indexing) {
  FNX_CHECK(indexing == "ij" || indexing == "xy", "meshgrid",
            "indexing must be \"ij\" or \"xy\", got \"", indexing, "\"");
  FNX_CHECK(!tensors.empty(), "meshgrid", "expected at least one tensor");
  const size_t k = tensors.size();
  Shape shape;
  for (size_t i = 0; i < k; ++i) {
    FNX_CHECK(tensors[i].dim() <= 1, "meshgrid", "tensor ", i, " has shape ",
              shape_str(tensors[i].shape()), "; expected 0-d or 1-d tensors");
    FNX_CHECK(tensors[i].dtype() == tensors[0].dtype(), "meshgrid", "tensor ",
              i, " is ", dtype_name(tensors[i].dtype()), " but tensor 0 is ",
              dtype_name(tensors[0].dtype()), "; cast them to one dtype");
    shape.push_back(tensors[i].numel());
  }
  // "xy": the first two inputs vary along the output's dims 1 and 0.
  const bool xy = indexing == "xy" && k >= 2;
  auto position = [&](size_t i) { return xy && i < 2 ? 1 - i : i; };
  Shape out_shape(k);
  for (size_t i = 0; i < k; ++i) out_shape[position(i)] = shape[i];
  std::vector<Tensor> out;
  for (size_t i = 0; i < k; ++i) {
    Shape view(k, 1);
    view[position(i)] = shape[i];
    out.push_back(expand(reshape(tensors[i], view), out_shape));
  }
  return out;
}

// Selected element j goes to slot rank(j) - 1 (rank: the inclusive prefix
// count of the mask), unselected ones and those past `size` to a dump slot
// `size`: one index_add, O(n log n) work for the prefix count and O(n)
// memory. Slots past the selected count get `fill`.
Tensor masked_select(const Tensor& x, const Tensor& mask, int64_t size,
                     double fill) {
  constexpr std::string_view op = "masked_select";
  FNX_CHECK(mask.dtype() == DType::Bool, op, "mask must be bool, got ",
            dtype_name(mask.dtype()));
  FNX_CHECK(size >= 0, op, "size must be >= 0, got ", size);
  const Shape shape = broadcast_shapes(x.shape(), mask.shape(), op);
  const int64_t n = numel_of(shape);
  const Tensor values = reshape(broadcast_to(x, shape), {n});
  const Tensor selected = reshape(broadcast_to(mask, shape), {n});
  const Tensor rank = inclusive_prefix_sum(cast(selected, DType::Int64));
  const Tensor dump =
      full({}, static_cast<double>(size), DType::Int64, x.device());
  const Tensor slot =
      where(logical_and(selected, rank <= dump), rank - 1.0, dump);
  const Tensor out = slice(
      index_add(zeros({size + 1}, x.dtype(), x.device()), 0, slot, values), 0,
      0, size);
  const Tensor count =
      n == 0 ? zeros({}, DType::Int64, x.device()) : select(rank, 0, n - 1);
  return where(arange(size, DType::Int64, x.device()) < count, out,
               scalar_like(fill, out));
}

// Column d of the result is masked_select of the d-th coordinate grid (an
// arange along d, broadcast to x's shape) where x != 0.
Tensor nonzero(const Tensor& x, int64_t size, int64_t fill) {
  FNX_CHECK(size >= 0, "nonzero", "size must be >= 0, got ", size);
  const int64_t rank = x.dim();
  if (rank == 0) return zeros({size, 0}, DType::Int64, x.device());
  const Tensor mask = x.dtype() == DType::Bool ? x : ne(x, scalar_like(0, x));
  std::vector<Tensor> columns;
  for (int64_t d = 0; d < rank; ++d) {
    Shape along(static_cast<size_t>(rank), 1);
    along[d] = x.shape()[d];
    const Tensor coordinate = broadcast_to(
        reshape(arange(x.shape()[d], DType::Int64, x.device()), along),
        x.shape());
    columns.push_back(
        masked_select(coordinate, mask, size, static_cast<double>(fill)));
  }
  return stack(columns, 1);
}

}  // namespace fnx
