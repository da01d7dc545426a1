// References of the composites in opinfo_composites.cc: index loops over
// each op's definition. Nothing here calls an fnx op.
#include "tests/opinfo/reference_composites.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace fnx::opinfo {

namespace {

// An array of `shape` whose element at each index is f(index).
Nd build(const Shape& shape, DType dtype,
         const std::function<double(const Index&)>& f) {
  Nd out = full_nd(shape, 0.0, dtype);
  for (int64_t i = 0; i < out.numel(); ++i) out.data[i] = f(unravel(i, shape));
  return out;
}

int64_t mod(int64_t a, int64_t n) { return ((a % n) + n) % n; }

Nd flatten_nd(const Nd& x) { return reshape_nd(x, {x.numel()}); }

}  // namespace

Nd tensordot_ref(const Nd& a, const Nd& b, Index da, Index db) {
  for (int64_t& d : da) d = wrap_dim(d, a.rank());
  for (int64_t& d : db) d = wrap_dim(d, b.rank());
  Index free_a, free_b;
  Shape shape, contracted;
  for (int64_t d = 0; d < a.rank(); ++d) {
    if (std::find(da.begin(), da.end(), d) != da.end()) continue;
    free_a.push_back(d);
    shape.push_back(a.shape[d]);
  }
  for (int64_t d = 0; d < b.rank(); ++d) {
    if (std::find(db.begin(), db.end(), d) != db.end()) continue;
    free_b.push_back(d);
    shape.push_back(b.shape[d]);
  }
  for (int64_t d : da) contracted.push_back(a.shape[d]);
  return build(shape, promote(a.dtype, b.dtype), [&](const Index& o) {
    double s = 0;
    for (int64_t k = 0; k < count(contracted); ++k) {
      const Index c = unravel(k, contracted);
      Index ia(a.rank()), ib(b.rank());
      for (size_t i = 0; i < free_a.size(); ++i) ia[free_a[i]] = o[i];
      for (size_t i = 0; i < free_b.size(); ++i) {
        ib[free_b[i]] = o[free_a.size() + i];
      }
      for (size_t i = 0; i < da.size(); ++i) {
        ia[da[i]] = c[i];
        ib[db[i]] = c[i];
      }
      s += a[ia] * b[ib];
    }
    return s;
  });
}

Nd kron_ref(Nd a, Nd b) {
  const int64_t rank = std::max(a.rank(), b.rank());
  while (a.rank() < rank) a.shape.insert(a.shape.begin(), 1);
  while (b.rank() < rank) b.shape.insert(b.shape.begin(), 1);
  Shape shape;
  for (int64_t d = 0; d < rank; ++d) shape.push_back(a.shape[d] * b.shape[d]);
  return build(shape, promote(a.dtype, b.dtype), [&](const Index& o) {
    Index ia, ib;
    for (int64_t d = 0; d < rank; ++d) {
      ia.push_back(o[d] / b.shape[d]);
      ib.push_back(o[d] % b.shape[d]);
    }
    return a[ia] * b[ib];
  });
}

Nd cross_ref(const Nd& a, const Nd& b, int64_t dim) {
  const Shape shape = broadcast_shape(a.shape, b.shape);
  const Nd x = broadcast_nd(a, shape), y = broadcast_nd(b, shape);
  const int64_t d = wrap_dim(dim, static_cast<int64_t>(shape.size()));
  return build(shape, promote(a.dtype, b.dtype), [&](const Index& o) {
    auto at = [&](const Nd& t, int64_t k) {
      Index i = o;
      i[d] = (o[d] + k) % 3;
      return t[i];
    };
    return at(x, 1) * at(y, 2) - at(x, 2) * at(y, 1);
  });
}

Nd flip_ref(const Nd& x, const Index& dims) {
  return build(x.shape, x.dtype, [&](const Index& o) {
    Index i = o;
    for (int64_t d : dims) {
      const int64_t w = wrap_dim(d, x.rank());
      i[w] = x.shape[w] - 1 - o[w];
    }
    return x[i];
  });
}

Nd roll_ref(const Nd& x, const Index& shifts, const Index& dims) {
  if (dims.empty()) {
    Nd rolled = roll_ref(flatten_nd(x), shifts, {0});
    rolled.shape = x.shape;
    return rolled;
  }
  return build(x.shape, x.dtype, [&](const Index& o) {
    Index i = o;
    for (size_t k = 0; k < dims.size(); ++k) {
      const int64_t w = wrap_dim(dims[k], x.rank());
      i[w] = mod(i[w] - shifts[k], x.shape[w]);
    }
    return x[i];
  });
}

Nd repeat_ref(const Nd& x, const Index& sizes) {
  const int64_t lead = static_cast<int64_t>(sizes.size()) - x.rank();
  Shape shape;
  for (size_t d = 0; d < sizes.size(); ++d) {
    const int64_t s = static_cast<int64_t>(d) < lead ? 1 : x.shape[d - lead];
    shape.push_back(sizes[d] * s);
  }
  return build(shape, x.dtype, [&](const Index& o) {
    Index i;
    for (int64_t d = lead; d < static_cast<int64_t>(sizes.size()); ++d) {
      i.push_back(o[d] % x.shape[d - lead]);
    }
    return x[i];
  });
}

// Element j of dim taken repeats[j] times (repeats of one entry: for all).
Nd repeat_interleave_ref(const Nd& x0, const Index& repeats, bool has_dim,
                         int64_t dim) {
  const Nd x = has_dim ? x0 : flatten_nd(x0);
  const int64_t d = has_dim ? wrap_dim(dim, x.rank()) : 0;
  Index source;
  for (int64_t j = 0; j < x.shape[d]; ++j) {
    const int64_t r = repeats.size() == 1 ? repeats[0] : repeats[j];
    for (int64_t k = 0; k < r; ++k) source.push_back(j);
  }
  Shape shape = x.shape;
  shape[d] = static_cast<int64_t>(source.size());
  return build(shape, x.dtype, [&](const Index& o) {
    Index i = o;
    i[d] = source[o[d]];
    return x[i];
  });
}

Nd masked_select_ref(const Nd& x, const Nd& mask, int64_t size, double fill) {
  const Shape shape = broadcast_shape(x.shape, mask.shape);
  const Nd xs = broadcast_nd(x, shape), ms = broadcast_nd(mask, shape);
  Nd out = full_nd({size}, round_to(fill, x.dtype), x.dtype);
  int64_t k = 0;
  for (int64_t i = 0; i < xs.numel() && k < size; ++i) {
    if (ms.data[i] != 0) out.data[k++] = xs.data[i];
  }
  return out;
}

Nd meshgrid_ref(const std::vector<Nd>& inputs, const std::string& indexing) {
  const size_t k = inputs.size();
  std::vector<Nd> xs;
  Shape shape;
  for (const Nd& x : inputs) {
    xs.push_back(flatten_nd(x));
    shape.push_back(xs.back().numel());
  }
  const bool xy = indexing == "xy" && k >= 2;
  if (xy) std::swap(shape[0], shape[1]);
  Shape out_shape = shape;
  out_shape.insert(out_shape.begin(), static_cast<int64_t>(k));
  return build(out_shape, xs[0].dtype, [&](const Index& o) {
    const size_t i = k - 1 - static_cast<size_t>(o[0]);  // reversed
    const size_t pos = xy && i < 2 ? 1 - i : i;
    return xs[i].data[o[1 + pos]];
  });
}

}  // namespace fnx::opinfo
