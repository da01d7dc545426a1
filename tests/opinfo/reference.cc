#include "tests/opinfo/reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace fnx::opinfo {

namespace {

[[noreturn]] void oracle_error(const std::string& what) {
  throw std::logic_error("opinfo reference: " + what);
}

}  // namespace

double& Nd::operator[](const Index& index) { return data[ravel(index, shape)]; }

double Nd::operator[](const Index& index) const {
  return data[ravel(index, shape)];
}

int64_t count(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

Index unravel(int64_t flat, const Shape& shape) {
  Index index(shape.size(), 0);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    if (shape[d] == 0) continue;
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

int64_t ravel(const Index& index, const Shape& shape) {
  if (index.size() != shape.size()) oracle_error("index rank mismatch");
  int64_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (index[d] < 0 || index[d] >= shape[d])
      oracle_error("index out of range");
    flat = flat * shape[d] + index[d];
  }
  return flat;
}

int64_t wrap_dim(int64_t dim, int64_t rank) {
  const int64_t r = std::max<int64_t>(rank, 1);
  if (dim < -r || dim >= r) oracle_error("dim out of range");
  return dim < 0 ? dim + r : dim;
}

Shape make_shape(const Index& sizes) {
  return Shape(sizes.begin(), sizes.end());
}

Nd full_nd(const Shape& shape, double value, DType dtype) {
  return Nd{shape, std::vector<double>(count(shape), value), dtype};
}

Nd read(const Tensor& tensor) {
  const Tensor t = tensor.concrete("opinfo::read");
  if (t.device().type != DeviceType::CPU) oracle_error("non-CPU tensor");
  Nd out{t.shape(), std::vector<double>(count(t.shape())), t.dtype()};
  if (out.data.empty()) return out;
  const char* base = static_cast<const char*>(t.impl()->storage->data());
  const Strides& strides = t.strides();
  FNX_DISPATCH_ALL_TYPES(t.dtype(), [&] {
    const scalar_t* p = reinterpret_cast<const scalar_t*>(base) + t.offset();
    for (int64_t i = 0; i < out.numel(); ++i) {
      const Index index = unravel(i, t.shape());
      int64_t offset = 0;
      for (size_t d = 0; d < index.size(); ++d) offset += index[d] * strides[d];
      out.data[i] = static_cast<double>(p[offset]);
    }
  });
  return out;
}

std::vector<double> values(const Tensor& t) { return read(t).data; }

Tensor to_tensor(const Nd& nd) {
  return from_vector(nd.data, nd.shape, nd.dtype);
}

double round_to(double v, DType dtype) {
  switch (dtype) {
    case DType::Bool:
      return v != 0 ? 1 : 0;
    case DType::Int32:
      return static_cast<double>(static_cast<int32_t>(v));
    case DType::Int64:
      return static_cast<double>(static_cast<int64_t>(v));
    case DType::Float32:
      return static_cast<double>(static_cast<float>(v));
    case DType::Float64:
      return v;
  }
  return v;
}

DType promote(DType a, DType b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

Nd map(const Nd& x, const std::function<double(double)>& f, DType out) {
  Nd y{x.shape, x.data, out};
  for (double& v : y.data) v = f(v);
  return y;
}

Shape broadcast_shape(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) oracle_error("shapes do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Nd broadcast_nd(const Nd& x, const Shape& shape) {
  if (shape.size() < x.shape.size()) oracle_error("broadcast to lower rank");
  const size_t lead = shape.size() - x.shape.size();
  Nd y = full_nd(shape, 0, x.dtype);
  Index src(x.shape.size());
  for (int64_t i = 0; i < y.numel(); ++i) {
    const Index index = unravel(i, shape);
    for (size_t d = 0; d < x.shape.size(); ++d) {
      const int64_t size = x.shape[d];
      if (size != 1 && size != shape[lead + d]) oracle_error("bad broadcast");
      src[d] = size == 1 ? 0 : index[lead + d];
    }
    y.data[i] = x[src];
  }
  return y;
}

Nd zip(const Nd& a, const Nd& b, const std::function<double(double, double)>& f,
       DType out) {
  const Shape shape = broadcast_shape(a.shape, b.shape);
  const Nd x = broadcast_nd(a, shape);
  const Nd y = broadcast_nd(b, shape);
  Nd z = full_nd(shape, 0, out);
  for (int64_t i = 0; i < z.numel(); ++i) z.data[i] = f(x.data[i], y.data[i]);
  return z;
}

Nd zip3(const Nd& a, const Nd& b, const Nd& c,
        const std::function<double(double, double, double)>& f, DType out) {
  const Shape shape =
      broadcast_shape(broadcast_shape(a.shape, b.shape), c.shape);
  const Nd x = broadcast_nd(a, shape);
  const Nd y = broadcast_nd(b, shape);
  const Nd w = broadcast_nd(c, shape);
  Nd z = full_nd(shape, 0, out);
  for (int64_t i = 0; i < z.numel(); ++i) {
    z.data[i] = f(x.data[i], y.data[i], w.data[i]);
  }
  return z;
}

Nd reduce(const Nd& x, const Index& dims, bool keepdim,
          const std::function<double(const std::vector<double>&)>& f,
          DType out) {
  const int64_t rank = x.rank();
  std::vector<bool> reduced(rank, dims.empty());
  for (int64_t d : dims) {
    if (rank > 0) reduced[wrap_dim(d, rank)] = true;
  }
  Shape kept_shape, reduced_shape, out_shape;
  for (int64_t d = 0; d < rank; ++d) {
    (reduced[d] ? reduced_shape : kept_shape).push_back(x.shape[d]);
    if (!reduced[d]) {
      out_shape.push_back(x.shape[d]);
    } else if (keepdim) {
      out_shape.push_back(1);
    }
  }
  Nd y = full_nd(out_shape, 0, out);
  std::vector<double> fiber(count(reduced_shape));
  Index full(rank);
  for (int64_t o = 0; o < y.numel(); ++o) {
    const Index kept = unravel(o, kept_shape);
    for (int64_t r = 0; r < static_cast<int64_t>(fiber.size()); ++r) {
      const Index red = unravel(r, reduced_shape);
      size_t ki = 0, ri = 0;
      for (int64_t d = 0; d < rank; ++d) {
        full[d] = reduced[d] ? red[ri++] : kept[ki++];
      }
      fiber[r] = x[full];
    }
    y.data[o] = f(fiber);
  }
  return y;
}

Nd along(
    const Nd& x, int64_t dim,
    const std::function<std::vector<double>(const std::vector<double>&)>& f) {
  Nd y = x;
  if (x.rank() == 0) {
    y.data = f(x.data);
    return y;
  }
  dim = wrap_dim(dim, x.rank());
  Shape outer = x.shape;
  outer[dim] = 1;
  const int64_t n = x.shape[dim];
  std::vector<double> fiber(n);
  for (int64_t o = 0; o < count(outer); ++o) {
    Index index = unravel(o, outer);
    for (int64_t k = 0; k < n; ++k) {
      index[dim] = k;
      fiber[k] = x[index];
    }
    const std::vector<double> result = f(fiber);
    for (int64_t k = 0; k < n; ++k) {
      index[dim] = k;
      y[index] = result[k];
    }
  }
  return y;
}

double sum_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

double mean_of(const std::vector<double>& v) {
  return sum_of(v) / static_cast<double>(v.size());
}

double var_of(const std::vector<double>& v, int64_t correction) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / static_cast<double>(static_cast<int64_t>(v.size()) - correction);
}

Nd reshape_nd(const Nd& x, const Index& shape) {
  Index sizes = shape;
  int64_t known = 1, infer = -1;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == -1) {
      infer = static_cast<int64_t>(d);
    } else {
      known *= sizes[d];
    }
  }
  if (infer >= 0) sizes[infer] = known == 0 ? 0 : x.numel() / known;
  Nd y{make_shape(sizes), x.data, x.dtype};
  if (count(y.shape) != x.numel()) oracle_error("reshape changes numel");
  return y;
}

Nd permute_nd(const Nd& x, const Index& perm) {
  Shape shape(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    shape[i] = x.shape[wrap_dim(perm[i], x.rank())];
  }
  Nd y = full_nd(shape, 0, x.dtype);
  Index src(perm.size());
  for (int64_t i = 0; i < y.numel(); ++i) {
    const Index index = unravel(i, shape);
    for (size_t d = 0; d < perm.size(); ++d) {
      src[wrap_dim(perm[d], x.rank())] = index[d];
    }
    y.data[i] = x[src];
  }
  return y;
}

Nd slice_nd(const Nd& x, int64_t dim, int64_t start, int64_t stop,
            int64_t step) {
  dim = wrap_dim(dim, x.rank());
  const int64_t size = x.shape[dim];
  auto clamp_bound = [size](int64_t v) {
    if (v < 0) v += size;
    return std::clamp<int64_t>(v, 0, size);
  };
  start = clamp_bound(start);
  stop = clamp_bound(stop);
  const int64_t len = stop > start ? (stop - start + step - 1) / step : 0;
  Shape shape = x.shape;
  shape[dim] = len;
  Nd y = full_nd(shape, 0, x.dtype);
  for (int64_t i = 0; i < y.numel(); ++i) {
    Index index = unravel(i, shape);
    index[dim] = start + index[dim] * step;
    y.data[i] = x[index];
  }
  return y;
}

Nd cat_nd(const std::vector<Nd>& xs, int64_t dim) {
  dim = wrap_dim(dim, xs.at(0).rank());
  Shape shape = xs[0].shape;
  shape[dim] = 0;
  for (const Nd& x : xs) shape[dim] += x.shape[dim];
  Nd y = full_nd(shape, 0, xs[0].dtype);
  int64_t base = 0;
  for (const Nd& x : xs) {
    for (int64_t i = 0; i < x.numel(); ++i) {
      Index index = unravel(i, x.shape);
      const double v = x.data[i];
      index[dim] += base;
      y[index] = v;
    }
    base += x.shape[dim];
  }
  return y;
}

Nd pad_nd(const Nd& x, const std::vector<int64_t>& pads, double value) {
  Index lo(x.rank(), 0), hi(x.rank(), 0);
  for (size_t p = 0; p + 1 < pads.size(); p += 2) {
    const int64_t d = x.rank() - 1 - static_cast<int64_t>(p / 2);
    lo[d] = pads[p];
    hi[d] = pads[p + 1];
  }
  Shape shape = x.shape;
  for (int64_t d = 0; d < x.rank(); ++d) shape[d] += lo[d] + hi[d];
  Nd y = full_nd(shape, value, x.dtype);
  for (int64_t i = 0; i < y.numel(); ++i) {
    Index index = unravel(i, shape);
    bool inside = true;
    for (int64_t d = 0; d < x.rank(); ++d) {
      index[d] -= lo[d];
      inside = inside && index[d] >= 0 && index[d] < x.shape[d];
    }
    if (inside) y.data[i] = x[index];
  }
  return y;
}

Nd matmul_nd(const Nd& a, const Nd& b) {
  if (a.rank() == 0 || b.rank() == 0) oracle_error("matmul of a 0-d operand");
  const bool a_vec = a.rank() == 1, b_vec = b.rank() == 1;
  Shape as = a.shape, bs = b.shape;
  if (a_vec) as.insert(as.begin(), 1);
  if (b_vec) bs.push_back(1);
  const int64_t n = as[as.size() - 2], k = as.back(), m = bs.back();
  if (bs[bs.size() - 2] != k) oracle_error("matmul inner dims differ");
  const Shape a_batch(as.begin(), as.end() - 2);
  const Shape b_batch(bs.begin(), bs.end() - 2);
  const Shape batch = broadcast_shape(a_batch, b_batch);
  Shape out_shape = batch;
  if (!a_vec) out_shape.push_back(n);
  if (!b_vec) out_shape.push_back(m);
  Nd y = full_nd(out_shape, 0, promote(a.dtype, b.dtype));
  const Nd a3{as, a.data, a.dtype}, b3{bs, b.data, b.dtype};
  for (int64_t bi = 0; bi < count(batch); ++bi) {
    const Index index = unravel(bi, batch);
    Index ai(as.size()), bj(bs.size());
    for (size_t d = 0; d < a_batch.size(); ++d) {
      const size_t src = index.size() - a_batch.size() + d;
      ai[d] = a_batch[d] == 1 ? 0 : index[src];
    }
    for (size_t d = 0; d < b_batch.size(); ++d) {
      const size_t src = index.size() - b_batch.size() + d;
      bj[d] = b_batch[d] == 1 ? 0 : index[src];
    }
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < m; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p) {
          ai[as.size() - 2] = i;
          ai[as.size() - 1] = p;
          bj[bs.size() - 2] = p;
          bj[bs.size() - 1] = j;
          acc += a3[ai] * b3[bj];
        }
        y.data[(bi * n + i) * m + j] = acc;
      }
    }
  }
  return y;
}

}  // namespace fnx::opinfo
