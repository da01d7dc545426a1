// Memory ops (contiguous, clone, copy_ into a clone, to_device), creation
// (zeros ... eye, from_vector) and the deterministic corners of the random
// ops (bernoulli with p in {0, 1}, uniform with low == high, randint with a
// one-value range). Creation samples have no tensor inputs.
#include <cmath>
#include <utility>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {

namespace {

using Samples = std::vector<SampleInput>;

Nd identity(const Nd& n) { return n; }

std::vector<SampleInput> memory_samples(DType d, Generator& g) {
  return {
      sample({make({3, 4}, d, g)}, {"basic"}),
      sample({make_noncontig({4, 3}, d, g)}, {"noncontig"}),
      sample({make_strided({3, 2}, d, g)}, {"noncontig"}),
      sample({make_expanded({3, 4}, d, g)}, {"expanded"}),
      sample({make({0, 3}, d, g)}, {"zero-size"}),
      sample({make({}, d, g)}, {"scalar"}),
  };
}

OpInfo memory_entry(std::string name, Impl impl,
                    std::function<Tensor(const Tensor&)> op) {
  OpInfo info =
      entry1(std::move(name), "memory", impl, std::move(op), identity);
  info.samples = memory_samples;
  info.dtypes = all_dtypes();
  return info;
}

// dst = clone(inputs[0]); copy_(view(dst), inputs[1]); returns dst. The view
// is selected by `view` (identity when empty).
SampleInput copy_sample(TensorList in, std::vector<std::string> tags,
                        std::string desc, std::function<Tensor(Tensor&)> view,
                        std::function<Nd(const Nd&, const Nd&)> ref) {
  SampleInput s = sample_with(
      std::move(in), std::move(tags), std::move(desc),
      [view](const TensorList& t) {
        Tensor dst = clone(t.at(0));
        Tensor target = view ? view(dst) : dst;
        copy_(target, t.at(1));
        return dst;
      },
      [ref](const TensorList& t) { return ref(read(t.at(0)), read(t.at(1))); });
  s.mutate = [view](TensorList& t) {
    Tensor target = view ? view(t.at(0)) : t.at(0);
    copy_(target, t.at(1));
  };
  return s;
}

Nd copy_ref(const Nd& dst, const Nd& src) {
  Nd y = broadcast_nd(src, dst.shape);
  y.dtype = dst.dtype;
  for (double& v : y.data) v = round_to(v, dst.dtype);
  return y;
}

// Writes src into columns [0:4:2] of dst.
Nd copy_columns_ref(const Nd& dst, const Nd& src) {
  Nd y = dst;
  for (int64_t i = 0; i < dst.shape[0]; ++i) {
    for (int64_t j = 0; j < 2; ++j) {
      y[{i, 2 * j}] = round_to(src[{i, j}], dst.dtype);
    }
  }
  return y;
}

OpInfo copy_entry() {
  OpInfo info;
  info.name = "copy_";
  info.family = "memory";
  info.op = copy_sample({}, {}, "", {}, copy_ref).op;
  info.reference = copy_sample({}, {}, "", {}, copy_ref).reference;
  info.samples = [](DType d, Generator& g) {
    const DType other = d == kF64 ? kF32 : kF64;
    return Samples{
        copy_sample({make({3, 4}, d, g), make({3, 4}, d, g)}, {"basic"}, "", {},
                    copy_ref),
        copy_sample({make({3, 4}, d, g), make({4}, d, g)}, {"broadcast"}, "",
                    {}, copy_ref),
        copy_sample({make({3, 4}, d, g), make({3, 4}, other, g)}, {"promote"},
                    "cast from " + std::string(dtype_name(other)), {},
                    copy_ref),
        copy_sample({make({3, 4}, d, g), make_noncontig({3, 4}, d, g)},
                    {"noncontig"}, "transposed source", {}, copy_ref),
        copy_sample(
            {make({3, 4}, d, g), make({3, 2}, d, g)}, {"noncontig"},
            "into columns 0:4:2 of the clone",
            [](Tensor& dst) { return dst.slice(1, 0, 4, 2); },
            copy_columns_ref),
        copy_sample({make({0, 3}, d, g), make({3}, d, g)}, {"zero-size"}, "",
                    {}, copy_ref),
        copy_sample({make({2, 3}, d, g), make({}, d, g)},
                    {"scalar", "broadcast"}, "0-d source", {}, copy_ref),
    };
  };
  info.dtypes = all_dtypes();
  info.diff_args = {0, 1};
  info.in_place = true;
  return info;
}

// A creation sample: no inputs, `make_fn` builds the tensor, `ref` the
// expected array.
SampleInput create_sample(std::vector<std::string> tags, std::string desc,
                          std::function<Tensor()> make_fn,
                          std::function<Nd()> ref) {
  return sample_with(
      {}, std::move(tags), std::move(desc),
      [make_fn](const TensorList&) { return make_fn(); },
      [ref](const TensorList&) { return ref(); });
}

OpInfo creation_entry(std::string name, std::string family,
                      std::vector<DType> dtypes, Impl impl,
                      std::function<Samples(DType, Generator&)> samples) {
  OpInfo info;
  info.name = std::move(name);
  info.family = std::move(family);
  info.samples = std::move(samples);
  info.dtypes = std::move(dtypes);
  info.differentiable = false;
  info.impl = impl;
  // Every sample binds its own closure; the entry default is the first.
  Generator g(0);
  const SampleInput first = info.samples(info.dtypes.at(0), g).at(0);
  info.op = first.op;
  info.reference = first.reference;
  return info;
}

// zeros / ones / full over a few shapes.
Samples fill_samples(DType d, double value,
                     const std::function<Tensor(const Shape&, DType)>& fn) {
  Samples v;
  const std::vector<std::pair<Shape, std::string>> shapes = {
      {{2, 3}, "basic"}, {{4}, "basic"}, {{}, "scalar"}, {{0, 3}, "zero-size"}};
  for (const auto& [shape, tag] : shapes) {
    v.push_back(create_sample(
        {tag}, "shape " + dims_str(Index(shape.begin(), shape.end())),
        [fn, shape, d] { return fn(shape, d); },
        [shape, value, d] { return full_nd(shape, round_to(value, d), d); }));
  }
  return v;
}

double fill_value(DType d) { return is_floating(d) ? 2.5 : 3.0; }

Nd arange_ref(double start, double stop, double step, DType d) {
  const int64_t n = std::max<int64_t>(
      0, static_cast<int64_t>(std::ceil((stop - start) / step)));
  Nd y = full_nd({n}, 0, d);
  for (int64_t i = 0; i < n; ++i) y.data[i] = round_to(start + i * step, d);
  return y;
}

// torch's linspace: both ends exact, the first half counted from start and
// the second half from stop.
Nd linspace_ref(double start, double stop, int64_t steps, DType d) {
  Nd y = full_nd({steps}, 0, d);
  if (steps == 1) y.data[0] = round_to(start, d);
  if (steps <= 1) return y;
  const double step = (stop - start) / static_cast<double>(steps - 1);
  for (int64_t i = 0; i < steps; ++i) {
    const double v = i < steps / 2
                         ? start + step * static_cast<double>(i)
                         : stop - step * static_cast<double>(steps - 1 - i);
    y.data[i] = round_to(v, d);
  }
  return y;
}

Nd eye_ref(int64_t n, int64_t m, DType d) {
  Nd y = full_nd({n, m}, 0, d);
  for (int64_t i = 0; i < std::min(n, m); ++i) y.data[i * m + i] = 1;
  return y;
}

OpInfo like_entry(std::string name, std::function<Tensor(const Tensor&)> fn,
                  double value) {
  OpInfo info =
      entry1(std::move(name), "creation", Impl::kComposite, std::move(fn),
             [value](const Nd& n) {
               return full_nd(n.shape, round_to(value, n.dtype), n.dtype);
             });
  info.samples = memory_samples;
  info.dtypes = all_dtypes();
  info.differentiable = false;
  info.diff_args.clear();
  return info;
}

}  // namespace

void add_misc_ops(std::vector<OpInfo>& db) {
  db.push_back(memory_entry("contiguous", Impl::kComposite,
                            [](const Tensor& t) { return contiguous(t); }));
  db.push_back(memory_entry("clone", Impl::kPrimitive,
                            [](const Tensor& t) { return clone(t); }));
  db.push_back(memory_entry("to_device", Impl::kComposite, [](const Tensor& t) {
    return to_device(t, Device::cpu());
  }));
  db.push_back(copy_entry());
  // Identity on values; its derivative is zero by definition (not what
  // finite differences see), so the differentiation suites skip it.
  OpInfo stop = memory_entry("stop_gradient", Impl::kPrimitive,
                             [](const Tensor& t) { return stop_gradient(t); });
  stop.differentiable = false;
  stop.diff_args.clear();
  db.push_back(stop);

  const auto& all = all_dtypes();
  db.push_back(creation_entry(
      "zeros", "creation", all, Impl::kComposite, [](DType d, Generator&) {
        return fill_samples(
            d, 0, [](const Shape& s, DType t) { return zeros(s, t); });
      }));
  db.push_back(creation_entry(
      "ones", "creation", all, Impl::kComposite, [](DType d, Generator&) {
        return fill_samples(d, 1,
                            [](const Shape& s, DType t) { return ones(s, t); });
      }));
  db.push_back(creation_entry(
      "full", "creation", all, Impl::kPrimitive, [](DType d, Generator&) {
        const double v = fill_value(d);
        return fill_samples(
            d, v, [v](const Shape& s, DType t) { return full(s, v, t); });
      }));
  db.push_back(creation_entry(
      "scalar_tensor", "creation", all, Impl::kComposite,
      [](DType d, Generator&) {
        const double v = fill_value(d);
        return Samples{create_sample(
            {"scalar"}, "", [v, d] { return scalar_tensor(v, d); },
            [v, d] { return full_nd({}, round_to(v, d), d); })};
      }));
  db.back().needs_zero_size = false;
  db.push_back(like_entry(
      "zeros_like", [](const Tensor& t) { return zeros_like(t); }, 0));
  db.push_back(like_entry(
      "ones_like", [](const Tensor& t) { return ones_like(t); }, 1));
  db.push_back(like_entry(
      "full_like", [](const Tensor& t) { return full_like(t, 3.0); }, 3.0));

  db.push_back(creation_entry(
      "arange", "creation", numeric_dtypes(), Impl::kPrimitive,
      [](DType d, Generator&) {
        Samples v;
        for (int64_t n : {5, 1, 0}) {
          v.push_back(create_sample(
              {n == 0 ? "zero-size" : "basic"}, "stop " + std::to_string(n),
              [n, d] { return arange(n, d); },
              [n, d] { return arange_ref(0, static_cast<double>(n), 1, d); }));
        }
        return v;
      }));
  db.back().needs_scalar = false;
  db.push_back(creation_entry(
      "arange.float", "creation", floating_dtypes(), Impl::kComposite,
      [](DType d, Generator&) {
        Samples v;
        const std::vector<std::vector<double>> ranges = {
            {0, 1, 0.25}, {2, -1, -0.5}, {1, 4, 1}, {0.5, 2, 0.4}, {1, 1, 1}};
        for (const auto& r : ranges) {
          v.push_back(create_sample(
              {r[0] == r[1] ? "zero-size" : "basic"},
              "[" + std::to_string(r[0]) + ", " + std::to_string(r[1]) +
                  ") step " + std::to_string(r[2]),
              [r, d] { return arange(r[0], r[1], r[2], d); },
              [r, d] { return arange_ref(r[0], r[1], r[2], d); }));
        }
        return v;
      }));
  db.back().needs_scalar = false;
  db.push_back(creation_entry(
      "linspace", "creation", floating_dtypes(), Impl::kComposite,
      [](DType d, Generator&) {
        Samples v;
        struct Case {
          double start, stop;
          int64_t steps;
        };
        for (const Case& c : {Case{0, 1, 5}, Case{-1, 2, 7}, Case{3, 3, 1},
                              Case{2, -2, 4}, Case{0, 1, 0}}) {
          v.push_back(create_sample(
              {c.steps == 0 ? "zero-size" : "basic"},
              std::to_string(c.start) + " to " + std::to_string(c.stop) +
                  " in " + std::to_string(c.steps),
              [c, d] { return linspace(c.start, c.stop, c.steps, d); },
              [c, d] { return linspace_ref(c.start, c.stop, c.steps, d); }));
        }
        return v;
      }));
  db.back().needs_scalar = false;
  for (bool rect : {false, true}) {
    db.push_back(creation_entry(
        rect ? "eye.nm" : "eye", "creation", all, Impl::kComposite,
        [rect](DType d, Generator&) {
          Samples v;
          const std::vector<std::pair<int64_t, int64_t>> sizes =
              rect ? std::vector<std::pair<int64_t, int64_t>>{{2, 4},
                                                              {4, 2},
                                                              {0, 3}}
                   : std::vector<std::pair<int64_t, int64_t>>{
                         {3, 3}, {1, 1}, {0, 0}};
          for (const auto& [n, m] : sizes) {
            v.push_back(create_sample(
                {n == 0 ? "zero-size" : "basic"},
                std::to_string(n) + "x" + std::to_string(m),
                [n = n, m = m, d, rect] {
                  return rect ? eye(n, m, d) : eye(n, d);
                },
                [n = n, m = m, d] { return eye_ref(n, m, d); }));
          }
          return v;
        }));
    db.back().needs_scalar = false;
  }
  db.push_back(creation_entry(
      "from_vector", "creation", all, Impl::kComposite,
      [](DType d, Generator&) {
        Samples v;
        const std::vector<double> data{1, -2, 0, 3, 5, -1};
        const std::vector<std::pair<Shape, std::string>> shapes = {
            {{2, 3}, "basic"},
            {{6}, "basic"},
            {{}, "scalar"},
            {{0, 2}, "zero-size"}};
        for (const auto& [shape, tag] : shapes) {
          const std::vector<double> part(data.begin(),
                                         data.begin() + count(shape));
          v.push_back(create_sample(
              {tag}, "shape " + dims_str(Index(shape.begin(), shape.end())),
              [part, shape, d] { return from_vector(part, shape, d); },
              [part, shape, d] {
                Nd y = full_nd(shape, 0, d);
                for (size_t i = 0; i < part.size(); ++i) {
                  y.data[i] = round_to(part[i], d);
                }
                return y;
              }));
        }
        return v;
      }));

  // Deterministic corners of the random ops.
  OpInfo bern = entry1(
      "bernoulli.tensor", "random", Impl::kComposite,
      [](const Tensor& p) {
        Generator gen(11);
        return bernoulli(p, &gen);
      },
      identity);
  bern.samples = [](DType d, Generator& g) {
    auto p01 = [&](const Shape& s) {
      return make(s, d, g, Domain::kAny) > 0.0;
    };
    auto as = [d](const Tensor& mask) { return cast(mask, d); };
    return Samples{
        sample({as(p01({3, 4}))}, {"basic"}, "p in {0, 1}"),
        sample({as(p01({4, 3})).transpose(0, 1)}, {"noncontig"}),
        sample({as(p01({0, 3}))}, {"zero-size"}),
        sample({constant({1}, {}, d)}, {"scalar"}),
    };
  };
  bern.dtypes = floating_dtypes();
  bern.differentiable = false;
  bern.diff_args.clear();
  db.push_back(bern);

  db.push_back(creation_entry("bernoulli.shape", "random", all,
                              Impl::kComposite, [](DType d, Generator&) {
                                Samples v;
                                for (double p : {0.0, 1.0}) {
                                  v.push_back(create_sample(
                                      {"basic"}, "p " + std::to_string(p),
                                      [p, d] {
                                        Generator gen(5);
                                        return bernoulli({3, 4}, p, d, &gen);
                                      },
                                      [p, d] {
                                        return full_nd({3, 4}, p, d);
                                      }));
                                }
                                v.push_back(create_sample(
                                    {"zero-size"}, "p 1",
                                    [d] {
                                      Generator gen(5);
                                      return bernoulli({0, 2}, 1.0, d, &gen);
                                    },
                                    [d] {
                                      return full_nd({0, 2}, 1, d);
                                    }));
                                return v;
                              }));
  db.back().needs_scalar = false;
  db.push_back(creation_entry(
      "uniform.degenerate", "random", floating_dtypes(), Impl::kPrimitive,
      [](DType d, Generator&) {
        Samples v;
        for (const Shape& shape : {Shape{3, 4}, Shape{}, Shape{0, 2}}) {
          v.push_back(create_sample(
              {shape.empty() ? "scalar"
                             : (count(shape) == 0 ? "zero-size" : "basic")},
              "low == high == 1.5",
              [shape, d] {
                Generator gen(9);
                return uniform(shape, 1.5, 1.5, d, &gen);
              },
              [shape, d] { return full_nd(shape, round_to(1.5, d), d); }));
        }
        return v;
      }));
  db.push_back(creation_entry(
      "randint.degenerate", "random", {kI32, kI64}, Impl::kComposite,
      [](DType d, Generator&) {
        Samples v;
        for (const Shape& shape : {Shape{3, 4}, Shape{}, Shape{0, 2}}) {
          v.push_back(create_sample(
              {shape.empty() ? "scalar"
                             : (count(shape) == 0 ? "zero-size" : "basic")},
              "range [3, 4)",
              [shape, d] {
                Generator gen(9);
                return randint(3, 4, shape, d, &gen);
              },
              [shape, d] { return full_nd(shape, 3, d); }));
        }
        return v;
      }));
}

}  // namespace fnx::opinfo
