// Cumulative and sorting ops: the scans (cumsum, cumprod, logcumsumexp, the
// cummax / cummin positions) and argsort (primitives), and the composites
// over them and gather (cummax, cummin, sort, msort, topk, kthvalue,
// median).
// References sort each fiber with std::stable_sort, NaN above all values,
// as the kernels promise. Ops with two results are entered for their
// values (argsort checks the positions); samples with equal values are
// tagged "ties": which element gets the gradient is a convention there.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <utility>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {
namespace {

using Fiber = std::vector<double>;
using FiberFn = std::function<Fiber(const Fiber&)>;

// Replaces each fiber along dim (a 0-d x is one fiber of one element) by
// f(fiber), of length `out_len`; the result has dtype `out` and, when
// `drop_dim`, loses dim (out_len must be 1).
Nd fibers(const Nd& x, int64_t dim, int64_t out_len, const FiberFn& f,
          DType out, bool drop_dim = false) {
  Nd y;
  y.dtype = out;
  if (x.rank() == 0) {
    y.data = f(x.data);
    return y;
  }
  dim = wrap_dim(dim, x.rank());
  Shape outer = x.shape;
  outer[dim] = 1;
  y.shape = x.shape;
  y.shape[dim] = out_len;
  y.data.assign(count(y.shape), 0);
  const int64_t n = x.shape[dim];
  Fiber fiber(n);
  for (int64_t o = 0; o < count(outer); ++o) {
    Index index = unravel(o, outer);
    for (int64_t k = 0; k < n; ++k) {
      index[dim] = k;
      fiber[k] = x[index];
    }
    const Fiber result = f(fiber);
    for (int64_t k = 0; k < out_len; ++k) {
      index[dim] = k;
      y[index] = result[k];
    }
  }
  if (drop_dim) {
    Index shape(y.shape.begin(), y.shape.end());
    shape.erase(shape.begin() + dim);
    return reshape_nd(y, shape);
  }
  return y;
}

bool before(double a, double b, bool descending) {
  if (descending) std::swap(a, b);
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return a < b;
}

std::vector<int64_t> order_of(const Fiber& f, bool descending) {
  std::vector<int64_t> order(f.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) {
    return before(f[i], f[j], descending);
  });
  return order;
}

// The first k of the sorted fiber: values, or positions when `positions`.
FiberFn sorted_fiber(bool descending, int64_t k, bool positions) {
  return [=](const Fiber& f) {
    const std::vector<int64_t> order = order_of(f, descending);
    Fiber out;
    const int64_t take = k < 0 ? static_cast<int64_t>(f.size()) : k;
    for (int64_t i = 0; i < take; ++i) {
      out.push_back(positions ? static_cast<double>(order[i]) : f[order[i]]);
    }
    return out;
  };
}

Fiber running_sum(const Fiber& f) {
  Fiber out(f.size());
  double s = 0;
  for (size_t i = 0; i < f.size(); ++i) out[i] = s += f[i];
  return out;
}

// Running product; integers wrap as int64 (the kernels' unsigned
// accumulator), floats multiply in double.
FiberFn running_product(DType dtype) {
  return [dtype](const Fiber& f) {
    Fiber out(f.size());
    double p = 1;
    uint64_t w = 1;
    for (size_t i = 0; i < f.size(); ++i) {
      if (is_floating(dtype)) {
        out[i] = p *= f[i];
      } else {
        w *= static_cast<uint64_t>(static_cast<int64_t>(f[i]));
        out[i] = static_cast<double>(static_cast<int64_t>(w));
      }
    }
    return out;
  };
}

// log(sum_{j<=i} exp(f_j)), each prefix shifted by its own maximum.
Fiber running_logsumexp(const Fiber& f) {
  Fiber out(f.size());
  for (size_t i = 0; i < f.size(); ++i) {
    double m = -HUGE_VAL;
    for (size_t j = 0; j <= i; ++j) m = std::max(m, f[j]);
    if (std::isinf(m)) {
      out[i] = m;
      continue;
    }
    double s = 0;
    for (size_t j = 0; j <= i; ++j) s += std::exp(f[j] - m);
    out[i] = m + std::log(s);
  }
  return out;
}

// The running max (min) position: the last of equal values wins (the
// samples hold no NaN; the kernel tests pin NaN).
FiberFn running_extreme(bool largest, bool positions) {
  return [=](const Fiber& f) {
    Fiber out(f.size());
    size_t at = 0;
    for (size_t i = 0; i < f.size(); ++i) {
      if (largest ? f[i] >= f[at] : f[i] <= f[at]) at = i;
      out[i] = positions ? static_cast<double>(at) : f[at];
    }
    return out;
  };
}

int64_t size_along(const Tensor& x, int64_t dim) {
  return x.dim() == 0 ? 1 : x.shape()[wrap_dim(dim, x.dim())];
}

// An op of (x, dim) and its reference, sampled over the usual layouts.
using DimOp = std::function<Tensor(const Tensor&, int64_t)>;
using DimRef = std::function<Nd(const Nd&, int64_t)>;

// Extra inputs an entry samples along its last dim, each with its tags.
using ExtraSamples =
    std::function<std::vector<std::pair<Tensor, std::string>>(DType dtype)>;

OpInfo dim_entry(std::string name, Impl impl, DimOp op, DimRef ref,
                 std::vector<DType> dtypes, bool differentiable,
                 ExtraSamples extra = nullptr) {
  auto dim_sample = [op, ref](Tensor x, std::vector<std::string> tags,
                              int64_t dim) {
    return sample_with(
        {std::move(x)}, std::move(tags), "dim=" + std::to_string(dim),
        [op, dim](const TensorList& in) { return op(in.at(0), dim); },
        [ref, dim](const TensorList& in) { return ref(read(in.at(0)), dim); });
  };
  OpInfo info;
  info.name = std::move(name);
  info.family = "sort";
  info.impl = impl;
  info.op = [op](const TensorList& in) { return op(in.at(0), -1); };
  info.reference = [ref](const TensorList& in) {
    return ref(read(in.at(0)), -1);
  };
  info.samples = [dim_sample, extra](DType dtype, Generator& gen) {
    std::vector<SampleInput> v;
    v.push_back(dim_sample(make({3, 4}, dtype, gen), {"basic"}, 1));
    v.push_back(dim_sample(make({3, 4}, dtype, gen), {"basic"}, 0));
    v.push_back(dim_sample(make({2, 3, 5}, dtype, gen), {"basic"}, 1));
    v.push_back(dim_sample(make({2, 40}, dtype, gen), {"basic"}, -1));
    v.push_back(
        dim_sample(make_noncontig({4, 5}, dtype, gen), {"noncontig"}, 0));
    v.push_back(dim_sample(make_strided({4, 3}, dtype, gen), {"noncontig"}, 1));
    v.push_back(dim_sample(make({0, 3}, dtype, gen), {"zero-size"}, 1));
    v.push_back(dim_sample(make({}, dtype, gen), {"scalar"}, 0));
    v.push_back(dim_sample(
        constant({1, 3, 3, 2, 0, 0, -1, 0, -2, 5, -2, 5}, {3, 4}, dtype),
        {"ties"}, 1));
    v.push_back(
        dim_sample(make({5, 4}, dtype, gen, Domain::kSmallInt), {"ties"}, 0));
    if (extra) {
      for (auto& [x, tag] : extra(dtype)) {
        v.push_back(dim_sample(std::move(x), {tag}, -1));
      }
    }
    return v;
  };
  info.dtypes = std::move(dtypes);
  info.differentiable = differentiable;
  if (differentiable) info.diff_args = {0};
  return info;
}

DType cumsum_dtype(DType d) {
  return d == DType::Int32 || d == DType::Bool ? DType::Int64 : d;
}

// searchsorted's reference: for each value, how many elements of its
// sequence are < it (<= with right), the leading dims broadcast.
Nd search_ref(const Nd& seq, const Nd& values, bool right) {
  Nd s = seq, v = values;
  if (seq.rank() > 1) {
    Shape lead_s(seq.shape.begin(), seq.shape.end() - 1);
    Shape lead_v(values.shape.begin(), values.shape.end() - 1);
    Shape lead = broadcast_shape(lead_s, lead_v);
    Shape ss = lead, vs = lead;
    ss.push_back(seq.shape.back());
    vs.push_back(values.shape.back());
    s = broadcast_nd(seq, ss);
    v = broadcast_nd(values, vs);
  }
  const int64_t m = s.shape.back();
  const int64_t n = v.rank() == 0 ? 1 : v.shape.back();
  Nd out = v;
  out.dtype = DType::Int64;
  for (int64_t i = 0; i < v.numel(); ++i) {
    // Row of the sequence for value i: 0 for a 1-d sequence.
    const int64_t row = seq.rank() > 1 ? i / n : 0;
    double c = 0;
    for (int64_t k = 0; k < m; ++k) {
      const double e = s.data[row * m + k];
      if (right ? e <= v.data[i] : e < v.data[i]) ++c;
    }
    out.data[i] = c;
  }
  return out;
}

// An ascending sequence of `shape` (sorted along the last dim).
Tensor ascending_seq(const Shape& shape, DType dtype, Generator& gen) {
  return sort(make(shape, dtype, gen), -1).values.contiguous();
}

OpInfo search_entry(bool right, bool bucket) {
  OpInfo info;
  info.name = bucket ? "bucketize" : "searchsorted";
  if (right) info.name += ".right";
  info.family = "sort";
  info.impl = Impl::kComposite;
  info.op = [right, bucket](const TensorList& in) {
    return bucket ? bucketize(in.at(1), in.at(0), right)
                  : searchsorted(in.at(0), in.at(1), right);
  };
  info.reference = [right](const TensorList& in) {
    return search_ref(read(in.at(0)), read(in.at(1)), right);
  };
  info.samples = [bucket](DType dtype, Generator& gen) {
    std::vector<SampleInput> v;
    auto add = [&](Tensor seq, Tensor values, std::vector<std::string> tags) {
      v.push_back(sample({std::move(seq), std::move(values)}, std::move(tags),
                         "inputs (sorted_sequence, values)"));
    };
    add(ascending_seq({6}, dtype, gen), make({2, 3}, dtype, gen), {"basic"});
    add(ascending_seq({5}, dtype, gen), make({7}, dtype, gen), {"basic"});
    add(ascending_seq({4}, dtype, gen), make({}, dtype, gen), {"scalar"});
    add(ascending_seq({4}, dtype, gen), make({0}, dtype, gen), {"zero-size"});
    add(ascending_seq({4}, dtype, gen), make_noncontig({3, 2}, dtype, gen),
        {"noncontig"});
    // Values equal to elements of the sequence: left and right differ.
    add(constant({-1, 0, 0, 2, 3}, {5}, dtype),
        constant({0, -1, 3, 1, 4, -2}, {6}, dtype), {"ties"});
    if (!bucket) {
      add(ascending_seq({2, 5}, dtype, gen), make({2, 3}, dtype, gen),
          {"basic"});
      add(ascending_seq({1, 5}, dtype, gen), make({3, 4}, dtype, gen),
          {"broadcast"});
    }
    return v;
  };
  info.dtypes = numeric_dtypes();
  info.differentiable = false;
  return info;
}

// nonzero's reference: the coordinates of nonzero elements, row-major.
Nd nonzero_ref(const Nd& x, int64_t size, int64_t fill) {
  const int64_t rank = x.rank();
  Nd out = full_nd({size, rank}, static_cast<double>(fill), DType::Int64);
  int64_t row = 0;
  for (int64_t i = 0; i < x.numel() && row < size; ++i) {
    if (x.data[i] == 0) continue;
    const Index at = unravel(i, x.shape);
    for (int64_t d = 0; d < rank; ++d) out.data[row * rank + d] = at[d];
    ++row;
  }
  return out;
}

// unique's reference: part 0 values, 1 inverse, 2 counts.
Nd unique_ref(const Nd& x, int64_t size, double fill, int part) {
  std::vector<double> distinct = x.data;
  std::sort(distinct.begin(), distinct.end());  // the samples hold no NaN
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  const int64_t kept = std::min<int64_t>(size, distinct.size());
  if (part == 1) {
    Nd inverse = x;
    inverse.dtype = DType::Int64;
    for (double& v : inverse.data) {
      v = static_cast<double>(
          std::lower_bound(distinct.begin(), distinct.end(), v) -
          distinct.begin());
    }
    return inverse;
  }
  Nd out = full_nd({size}, part == 0 ? round_to(fill, x.dtype) : 0,
                   part == 0 ? x.dtype : DType::Int64);
  for (int64_t k = 0; k < kept; ++k) {
    out.data[k] = part == 0 ? distinct[k]
                            : static_cast<double>(std::count(
                                  x.data.begin(), x.data.end(), distinct[k]));
  }
  return out;
}

// A fill value that is none of the samples' values (true for bool).
double unique_fill(DType dtype) { return dtype == DType::Bool ? 1 : -7; }

// Sizes below, at and above the count of nonzero / distinct elements.
OpInfo static_size_entry(std::string name, int part) {
  const bool nz = part < 0;
  OpInfo info;
  info.name = std::move(name);
  info.family = "sort";
  info.impl = Impl::kComposite;
  auto op_of = [nz, part](int64_t size) {
    return [nz, part, size](const TensorList& in) {
      if (nz) return nonzero(in.at(0), size, -1);
      const UniqueResult r = unique(
          in.at(0), size, unique_fill(in.at(0).dtype()), part == 1, part == 2);
      return part == 0 ? r.values : part == 1 ? r.inverse : r.counts;
    };
  };
  auto ref_of = [nz, part](int64_t size) {
    return [nz, part, size](const TensorList& in) {
      return nz ? nonzero_ref(read(in.at(0)), size, -1)
                : unique_ref(read(in.at(0)), size,
                             unique_fill(in.at(0).dtype()), part);
    };
  };
  info.op = op_of(4);
  info.reference = ref_of(4);
  info.samples = [op_of, ref_of](DType dtype, Generator& gen) {
    std::vector<SampleInput> v;
    auto add = [&](Tensor x, std::string tag, int64_t size) {
      v.push_back(sample_with({std::move(x)}, {std::move(tag)},
                              "size=" + std::to_string(size), op_of(size),
                              ref_of(size)));
    };
    for (int64_t size : {0, 3, 12, 30}) {
      add(make({4, 5}, dtype, gen, Domain::kSmallInt), "basic", size);
    }
    add(make({2, 3, 4}, dtype, gen, Domain::kSmallInt), "basic", 10);
    add(make_noncontig({4, 3}, dtype, gen, Domain::kSmallInt), "noncontig", 6);
    add(make({0, 3}, dtype, gen), "zero-size", 2);
    add(make({}, dtype, gen, Domain::kSmallInt), "scalar", 2);
    return v;
  };
  info.dtypes = all_dtypes();
  info.differentiable = false;
  return info;
}

}  // namespace

void add_sort_ops(std::vector<OpInfo>& db) {
  db.push_back(static_size_entry("nonzero", -1));
  db.push_back(static_size_entry("unique", 0));
  db.push_back(static_size_entry("unique.inverse", 1));
  db.push_back(static_size_entry("unique.counts", 2));
  db.push_back(dim_entry(
      "cumsum", Impl::kPrimitive,
      [](const Tensor& x, int64_t dim) { return cumsum(x, dim); },
      [](const Nd& x, int64_t dim) {
        return fibers(x, dim, x.rank() ? x.shape[wrap_dim(dim, x.rank())] : 1,
                      running_sum, cumsum_dtype(x.dtype));
      },
      numeric_dtypes(), true));
  // Zeros, one per fiber (first, middle, last), which the derivatives must
  // handle without dividing by them. (Two or more per fiber: first
  // derivatives exact too, tests/grad/scan_grad_test.cc.)
  db.push_back(dim_entry(
      "cumprod", Impl::kPrimitive,
      [](const Tensor& x, int64_t dim) { return cumprod(x, dim); },
      [](const Nd& x, int64_t dim) {
        return fibers(x, dim, x.rank() ? x.shape[wrap_dim(dim, x.rank())] : 1,
                      running_product(x.dtype), cumsum_dtype(x.dtype));
      },
      numeric_dtypes(), true,
      [](DType dtype) {
        std::vector<std::pair<Tensor, std::string>> v;
        v.emplace_back(
            constant({1.5, 0, -2, 0.5, 3, -0.5, 1.25, 0, 0, 1.2, -1.1, 2},
                     {3, 4}, dtype),
            "basic");
        return v;
      }));
  db.push_back(dim_entry(
      "logcumsumexp", Impl::kPrimitive,
      [](const Tensor& x, int64_t dim) { return logcumsumexp(x, dim); },
      [](const Nd& x, int64_t dim) {
        return fibers(x, dim, x.rank() ? x.shape[wrap_dim(dim, x.rank())] : 1,
                      running_logsumexp, x.dtype);
      },
      floating_dtypes(), true,
      [](DType dtype) {
        // exp of these over- and underflows: a shift by the overall max
        // would lose the first prefixes, a sum without one would overflow.
        std::vector<std::pair<Tensor, std::string>> v;
        v.emplace_back(constant({-200, -190, 150, 80, -5, 300}, {2, 3}, dtype),
                       "basic");
        return v;
      }));
  for (bool largest : {true, false}) {
    const std::string name = largest ? "cummax" : "cummin";
    db.push_back(dim_entry(
        name, Impl::kComposite,
        [largest](const Tensor& x, int64_t dim) {
          return (largest ? cummax(x, dim) : cummin(x, dim)).values;
        },
        [largest](const Nd& x, int64_t dim) {
          const int64_t n = x.rank() ? x.shape[wrap_dim(dim, x.rank())] : 1;
          return fibers(x, dim, n, running_extreme(largest, false), x.dtype);
        },
        all_dtypes(), true));
    db.push_back(dim_entry(
        name + ".indices", Impl::kPrimitive,
        [largest](const Tensor& x, int64_t dim) {
          return (largest ? cummax(x, dim) : cummin(x, dim)).indices;
        },
        [largest](const Nd& x, int64_t dim) {
          const int64_t n = x.rank() ? x.shape[wrap_dim(dim, x.rank())] : 1;
          return fibers(x, dim, n, running_extreme(largest, true),
                        DType::Int64);
        },
        all_dtypes(), false));
  }
  for (bool descending : {false, true}) {
    db.push_back(dim_entry(
        descending ? "argsort.descending" : "argsort", Impl::kPrimitive,
        [descending](const Tensor& x, int64_t dim) {
          return argsort(x, dim, descending);
        },
        [descending](const Nd& x, int64_t dim) {
          const int64_t n = x.rank() ? x.shape[wrap_dim(dim, x.rank())] : 1;
          return fibers(x, dim, n, sorted_fiber(descending, -1, true),
                        DType::Int64);
        },
        numeric_dtypes(), false));
    db.push_back(dim_entry(
        descending ? "sort.descending" : "sort", Impl::kComposite,
        [descending](const Tensor& x, int64_t dim) {
          return sort(x, dim, descending).values;
        },
        [descending](const Nd& x, int64_t dim) {
          const int64_t n = x.rank() ? x.shape[wrap_dim(dim, x.rank())] : 1;
          return fibers(x, dim, n, sorted_fiber(descending, -1, false),
                        x.dtype);
        },
        numeric_dtypes(), true));
  }
  // msort sorts along dim 0: the sample's dim is ignored.
  db.push_back(dim_entry(
      "msort", Impl::kComposite,
      [](const Tensor& x, int64_t) { return msort(x); },
      [](const Nd& x, int64_t) {
        const int64_t n = x.rank() ? x.shape[0] : 1;
        return fibers(x, 0, n, sorted_fiber(false, -1, false), x.dtype);
      },
      numeric_dtypes(), true));
  // topk: the largest half (rounded up), and the smallest two or fewer.
  for (bool largest : {true, false}) {
    db.push_back(dim_entry(
        largest ? "topk" : "topk.smallest", Impl::kComposite,
        [largest](const Tensor& x, int64_t dim) {
          const int64_t n = size_along(x, dim);
          const int64_t k = largest ? (n + 1) / 2 : std::min<int64_t>(n, 2);
          return topk(x, k, dim, largest).values;
        },
        [largest](const Nd& x, int64_t dim) {
          const int64_t n = x.rank() ? x.shape[wrap_dim(dim, x.rank())] : 1;
          const int64_t k = largest ? (n + 1) / 2 : std::min<int64_t>(n, 2);
          return fibers(x, dim, k, sorted_fiber(largest, k, false), x.dtype);
        },
        numeric_dtypes(), true));
  }
  // kthvalue (k = 2 or the last) and median: one element per fiber. A
  // zero-size fiber has no k-th value, so these run on non-empty dims.
  db.push_back(dim_entry(
      "kthvalue", Impl::kComposite,
      [](const Tensor& x, int64_t dim) {
        const int64_t k = std::min<int64_t>(size_along(x, dim), 2);
        return kthvalue(x, k, dim).values;
      },
      [](const Nd& x, int64_t dim) {
        const int64_t n = x.rank() ? x.shape[wrap_dim(dim, x.rank())] : 1;
        const int64_t k = std::min<int64_t>(n, 2);
        return fibers(
            x, dim, 1,
            [k](const Fiber& f) {
              return Fiber{sorted_fiber(false, k, false)(f).back()};
            },
            x.dtype, /*drop_dim=*/x.rank() > 0);
      },
      numeric_dtypes(), true));
  for (bool keepdim : {false, true}) {
    db.push_back(dim_entry(
        keepdim ? "median.keepdim" : "median", Impl::kComposite,
        [keepdim](const Tensor& x, int64_t dim) {
          return median(x, dim, keepdim).values;
        },
        [keepdim](const Nd& x, int64_t dim) {
          return fibers(
              x, dim, 1,
              [](const Fiber& f) {
                return Fiber{
                    sorted_fiber(false, -1, false)(f)[(f.size() - 1) / 2]};
              },
              x.dtype, /*drop_dim=*/!keepdim && x.rank() > 0);
        },
        numeric_dtypes(), true));
  }
  for (bool right : {false, true}) {
    db.push_back(search_entry(right, /*bucket=*/false));
    db.push_back(search_entry(right, /*bucket=*/true));
  }
}

}  // namespace fnx::opinfo
