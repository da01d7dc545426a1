// In-place ops (add_, mul_, fill_, clamp_, masked_fill_, index_put_, ...),
// each written into the whole destination and through views: a chain
// (slice of transpose of reshape), a selected row, a single element. The
// entry's op clones inputs[0], writes into the clone through the sample's
// view and returns the clone, so every suite (vmap, grad, jvp, their
// compositions) sees a function; SampleInput::mutate is the write itself,
// for the functionalization suite. References write the op's value at the
// base positions the view reaches.
// Also slice_scatter, the pure form of a write through a slice.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {

namespace {

using Samples = std::vector<SampleInput>;

// Where a sample writes: a view of the destination, and the base position
// of each of the view's positions.
struct Site {
  std::string desc;
  std::vector<std::string> tags;
  Shape base_shape;
  Shape view_shape;
  std::function<Tensor(const Tensor&)> view;
  std::function<Index(const Index&)> to_base;
};

std::vector<Site> sites() {
  return {
      {"whole",
       {"basic"},
       {3, 4},
       {3, 4},
       [](const Tensor& x) { return x; },
       [](const Index& i) { return i; }},
      {"through x.reshape({6, 4}).transpose(0, 1).slice(1, 1, 5, 2)",
       {"noncontig"},
       {4, 6},
       {4, 2},
       [](const Tensor& x) {
         return x.reshape({6, 4}).transpose(0, 1).slice(1, 1, 5, 2);
       },
       [](const Index& i) {
         const int64_t flat = (1 + 2 * i[1]) * 4 + i[0];
         return Index{flat / 6, flat % 6};
       }},
      {"through x.select(0, 1)",
       {"basic"},
       {3, 4},
       {4},
       [](const Tensor& x) { return x.select(0, 1); },
       [](const Index& i) {
         return Index{1, i[0]};
       }},
      {"into one element, x.select(0, 2).select(0, 1)",
       {"scalar"},
       {3, 4},
       {},
       [](const Tensor& x) { return x.select(0, 2).select(0, 1); },
       [](const Index&) {
         return Index{2, 1};
       }},
      {"whole, no elements",
       {"zero-size"},
       {0, 3},
       {0, 3},
       [](const Tensor& x) { return x; },
       [](const Index& i) { return i; }},
  };
}

// The write of one op into a view: (view, all inputs).
using WriteFn = std::function<void(Tensor&, const TensorList&)>;
// The op's new value of the view, from the view's old value and all inputs.
using ViewRefFn = std::function<Nd(const Nd&, const TensorList&)>;

Nd gather_view(const Nd& base, const Site& site) {
  Nd v = full_nd(site.view_shape, 0, base.dtype);
  for (int64_t k = 0; k < v.numel(); ++k) {
    const Index i = unravel(k, v.shape);
    v[i] = base[site.to_base(i)];
  }
  return v;
}

SampleInput write_sample(TensorList in, const Site& site, std::string desc,
                         WriteFn write, ViewRefFn ref) {
  std::vector<std::string> tags = site.tags;
  SampleInput s = sample_with(
      std::move(in), tags, site.desc + (desc.empty() ? "" : ", " + desc),
      [view = site.view, write](const TensorList& t) {
        TensorList args = t;
        args[0] = clone(t.at(0));
        Tensor v = view(args[0]);
        write(v, args);
        return args[0];
      },
      [site, ref](const TensorList& t) {
        Nd out = read(t.at(0));
        const Nd value = ref(gather_view(out, site), t);
        for (int64_t k = 0; k < value.numel(); ++k) {
          const Index i = unravel(k, value.shape);
          out[site.to_base(i)] = round_to(value[i], out.dtype);
        }
        return out;
      });
  s.mutate = [view = site.view, write](TensorList& t) {
    Tensor v = view(t.at(0));
    write(v, t);
  };
  return s;
}

OpInfo inplace_entry(std::string name, std::vector<int> diff_args,
                     std::function<Samples(DType, Generator&)> samples) {
  OpInfo info;
  info.name = std::move(name);
  info.family = "inplace";
  info.impl = Impl::kComposite;
  info.samples = std::move(samples);
  info.dtypes = floating_dtypes();
  info.diff_args = std::move(diff_args);
  info.in_place = true;
  Generator g(0);
  const SampleInput first = info.samples(kF64, g).at(0);
  info.op = first.op;
  info.reference = first.reference;
  return info;
}

// x.op_(other) with `other` shaped like the view (and, written whole, a
// broadcasting row).
OpInfo binary_entry(std::string name, WriteFn write,
                    std::function<double(double, double)> f, Domain domain) {
  ViewRefFn ref = [f](const Nd& v, const TensorList& t) {
    return zip(v, broadcast_nd(read(t.at(1)), v.shape), f, v.dtype);
  };
  return inplace_entry(
      std::move(name), {0, 1}, [write, ref, domain](DType d, Generator& g) {
        Samples v;
        for (const Site& site : sites()) {
          v.push_back(write_sample({make(site.base_shape, d, g),
                                    make(site.view_shape, d, g, domain)},
                                   site, "", write, ref));
        }
        v.push_back(write_sample({make({3, 4}, d, g), make({4}, d, g, domain)},
                                 sites()[0], "a broadcast row", write, ref));
        v.back().tags.push_back("broadcast");
        return v;
      });
}

// x.op_(...) with one input (the destination) and optional bool mask.
OpInfo unary_entry(std::string name, WriteFn write,
                   std::function<double(double)> f) {
  ViewRefFn ref = [f](const Nd& v, const TensorList&) {
    return map(v, f, v.dtype);
  };
  return inplace_entry(
      std::move(name), {0}, [write, ref](DType d, Generator& g) {
        Samples v;
        for (const Site& site : sites()) {
          v.push_back(write_sample({make(site.base_shape, d, g)}, site, "",
                                   write, ref));
        }
        return v;
      });
}

OpInfo masked_fill_entry() {
  WriteFn write = [](Tensor& v, const TensorList& t) {
    v.masked_fill_(t.at(1), -1.5);
  };
  ViewRefFn ref = [](const Nd& v, const TensorList& t) {
    const Nd mask = broadcast_nd(read(t.at(1)), v.shape);
    Nd out = v;
    for (int64_t k = 0; k < out.numel(); ++k) {
      if (mask.data[k] != 0) out.data[k] = -1.5;
    }
    return out;
  };
  return inplace_entry(
      "masked_fill_", {0}, [write, ref](DType d, Generator& g) {
        Samples v;
        for (const Site& site : sites()) {
          v.push_back(write_sample(
              {make(site.base_shape, d, g), make(site.view_shape, kBool, g)},
              site, "value -1.5", write, ref));
        }
        return v;
      });
}

// Index writes along dim 0 of a (4, 3) destination, whole or through a
// transpose of a (3, 4) base; rows {2, 0} (distinct, so copy and put are
// well defined).
std::vector<Site> index_sites() {
  return {
      {"whole",
       {"basic"},
       {4, 3},
       {4, 3},
       [](const Tensor& x) { return x; },
       [](const Index& i) { return i; }},
      {"through x.transpose(0, 1)",
       {"noncontig"},
       {3, 4},
       {4, 3},
       [](const Tensor& x) { return x.transpose(0, 1); },
       [](const Index& i) {
         return Index{i[1], i[0]};
       }},
  };
}

Tensor rows_2_0() { return constant({2, 0}, {2}, kI64); }

// out[index[r]] = combine(out[index[r]], src[r]) over rows r.
Nd rows_ref(const Nd& v, const Nd& index, const Nd& src, bool accumulate) {
  Nd out = v;
  for (int64_t r = 0; r < index.numel(); ++r) {
    const auto row = static_cast<int64_t>(index.data[r]);
    for (int64_t c = 0; c < v.shape[1]; ++c) {
      const double s = src.data[r * v.shape[1] + c];
      out[{row, c}] = accumulate ? out[{row, c}] + s : s;
    }
  }
  return out;
}

OpInfo index_entry(std::string name, WriteFn write, bool accumulate,
                   bool broadcast_values) {
  ViewRefFn ref = [accumulate](const Nd& v, const TensorList& t) {
    const Nd src = broadcast_nd(read(t.at(2)), {2, v.shape[1]});
    return rows_ref(v, read(t.at(1)), src, accumulate);
  };
  OpInfo info = inplace_entry(
      std::move(name), {0, 2},
      [write, ref, broadcast_values](DType d, Generator& g) {
        Samples v;
        for (const Site& site : index_sites()) {
          v.push_back(write_sample(
              {make(site.base_shape, d, g), rows_2_0(), make({2, 3}, d, g)},
              site, "rows {2, 0}", write, ref));
        }
        if (broadcast_values) {
          v.push_back(write_sample(
              {make({4, 3}, d, g), rows_2_0(), make({3}, d, g)},
              index_sites()[0], "rows {2, 0}, one broadcast row", write, ref));
          v.back().tags.push_back("broadcast");
        }
        return v;
      });
  info.needs_zero_size = false;
  info.needs_scalar = false;
  return info;
}

OpInfo scatter_add_entry() {
  WriteFn write = [](Tensor& v, const TensorList& t) {
    v.scatter_add_(0, t.at(1), t.at(2));
  };
  ViewRefFn ref = [](const Nd& v, const TensorList& t) {
    const Nd index = read(t.at(1));
    const Nd src = read(t.at(2));
    Nd out = v;
    for (int64_t k = 0; k < index.numel(); ++k) {
      const Index i = unravel(k, index.shape);
      out[{static_cast<int64_t>(index.data[k]), i[1]}] += src[i];
    }
    return out;
  };
  OpInfo info = inplace_entry(
      "scatter_add_", {0, 2}, [write, ref](DType d, Generator& g) {
        Samples v;
        for (const Site& site : index_sites()) {
          v.push_back(
              write_sample({make(site.base_shape, d, g),
                            make_index({2, 3}, 4, g), make({2, 3}, d, g)},
                           site, "dim 0", write, ref));
        }
        return v;
      });
  info.needs_zero_size = false;
  info.needs_scalar = false;
  return info;
}

// slice_scatter(base, src, dim, start, stop, step): the pure form of a write
// through a slice. Reference: base with the sliced positions replaced.
SampleInput slice_scatter_sample(TensorList in, std::vector<std::string> tags,
                                 int64_t dim, int64_t start, int64_t stop,
                                 int64_t step) {
  std::string desc = "dim " + std::to_string(dim) + ", " +
                     std::to_string(start) + ":" + std::to_string(stop) + ":" +
                     std::to_string(step);
  return sample_with(
      std::move(in), std::move(tags), std::move(desc),
      [=](const TensorList& t) {
        return slice_scatter(t.at(0), t.at(1), dim, start, stop, step);
      },
      [=](const TensorList& t) {
        Nd out = read(t.at(0));
        const int64_t size = out.shape[dim];
        int64_t lo = start < 0 ? start + size : start;
        int64_t hi = stop < 0 ? stop + size : stop;
        lo = std::clamp<int64_t>(lo, 0, size);
        hi = std::clamp<int64_t>(hi, lo, size);
        Shape window = out.shape;
        window[dim] = (hi - lo + step - 1) / step;
        const Nd src = broadcast_nd(read(t.at(1)), window);
        for (int64_t k = 0; k < src.numel(); ++k) {
          const Index i = unravel(k, src.shape);
          Index j = i;
          j[dim] = lo + i[dim] * step;
          out[j] = round_to(src[i], out.dtype);
        }
        return out;
      });
}

OpInfo slice_scatter_entry() {
  OpInfo info;
  info.name = "slice_scatter";
  info.family = "shape";
  info.impl = Impl::kComposite;
  info.dtypes = numeric_dtypes();
  info.diff_args = {0, 1};
  info.needs_scalar = false;
  info.samples = [](DType d, Generator& g) {
    return Samples{
        slice_scatter_sample({make({4, 6}, d, g), make({2, 6}, d, g)},
                             {"basic"}, 0, 1, 3, 1),
        slice_scatter_sample({make({4, 6}, d, g), make({4, 3}, d, g)},
                             {"basic"}, 1, 0, 6, 2),
        slice_scatter_sample({make({4, 6}, d, g), make({4, 2}, d, g)},
                             {"basic"}, 1, -2, 6, 1),
        slice_scatter_sample({make({4, 6}, d, g), make({6}, d, g)},
                             {"broadcast"}, 0, 0, 4, 1),
        slice_scatter_sample({make_noncontig({4, 6}, d, g), make({4, 2}, d, g)},
                             {"noncontig"}, 1, 1, 5, 2),
        slice_scatter_sample({make({4, 6}, d, g), make({0, 6}, d, g)},
                             {"zero-size"}, 0, 2, 2, 1),
    };
  };
  Generator g(0);
  const SampleInput first = info.samples(kF64, g).at(0);
  info.op = first.op;
  info.reference = first.reference;
  return info;
}

}  // namespace

void add_inplace_ops(std::vector<OpInfo>& db) {
  db.push_back(binary_entry(
      "add_", [](Tensor& v, const TensorList& t) { v.add_(t.at(1)); },
      [](double a, double b) { return a + b; }, Domain::kAny));
  db.push_back(binary_entry(
      "sub_", [](Tensor& v, const TensorList& t) { v.sub_(t.at(1)); },
      [](double a, double b) { return a - b; }, Domain::kAny));
  db.push_back(binary_entry(
      "mul_", [](Tensor& v, const TensorList& t) { v.mul_(t.at(1)); },
      [](double a, double b) { return a * b; }, Domain::kAny));
  db.push_back(binary_entry(
      "div_", [](Tensor& v, const TensorList& t) { v.div_(t.at(1)); },
      [](double a, double b) { return a / b; }, Domain::kNonZero));
  db.push_back(unary_entry(
      "add_.scalar", [](Tensor& v, const TensorList&) { v.add_(2.5); },
      [](double a) { return a + 2.5; }));
  db.push_back(unary_entry(
      "fill_", [](Tensor& v, const TensorList&) { v.fill_(0.75); },
      [](double) { return 0.75; }));
  db.push_back(unary_entry(
      "zero_", [](Tensor& v, const TensorList&) { v.zero_(); },
      [](double) { return 0.0; }));
  db.push_back(unary_entry(
      "clamp_", [](Tensor& v, const TensorList&) { v.clamp_(-0.55, 0.85); },
      [](double a) { return std::min(std::max(a, -0.55), 0.85); }));
  db.push_back(unary_entry(
      "relu_", [](Tensor& v, const TensorList&) { v.relu_(); },
      [](double a) { return a > 0 ? a : 0.0; }));
  db.push_back(masked_fill_entry());
  db.push_back(index_entry(
      "index_add_",
      [](Tensor& v, const TensorList& t) { v.index_add_(0, t.at(1), t.at(2)); },
      true, false));
  db.push_back(index_entry(
      "index_copy_",
      [](Tensor& v, const TensorList& t) {
        v.index_copy_(0, t.at(1), t.at(2));
      },
      false, false));
  db.push_back(index_entry(
      "index_put_",
      [](Tensor& v, const TensorList& t) { v.index_put_(t.at(1), t.at(2)); },
      false, true));
  db.push_back(index_entry(
      "index_put_.accumulate",
      [](Tensor& v, const TensorList& t) {
        v.index_put_(t.at(1), t.at(2), true);
      },
      true, true));
  db.push_back(scatter_add_entry());
  db.push_back(slice_scatter_entry());
}

}  // namespace fnx::opinfo
