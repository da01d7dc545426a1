// Convolution and pooling: conv1d, conv2d (stride, padding, dilation,
// groups, bias, unbatched input), the N-d conv primitive, its two
// transposes, unfold, fold, the max-pooling primitives (max_pool_select,
// max_pool_scatter) and max/avg pooling over 1-3 spatial dims. The geometry is
// bound per sample.
#include <utility>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {

namespace {

using Samples = std::vector<SampleInput>;

int64_t out_len(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

std::string conv_desc(const ConvOptions& o) {
  auto str = [](const Shape& s) { return dims_str(Index(s.begin(), s.end())); };
  return "stride " + str(o.stride) + " padding " + str(o.padding) +
         " dilation " + str(o.dilation) + " groups " + std::to_string(o.groups);
}

// conv1d / conv2d: inputs {x, w[, bias]}; x may be unbatched.
Nd conv_bias_ref(const TensorList& in, const ConvOptions& o) {
  Nd x = read(in.at(0));
  const Nd w = read(in.at(1));
  const bool unbatched = x.rank() == w.rank() - 1;
  if (unbatched) x.shape.insert(x.shape.begin(), 1);
  Nd y = conv_nd(x, w, conv_geometry(o, w.rank() - 2));
  if (in.size() > 2 && in[2].defined()) {
    const Nd b = read(in[2]);
    Index bias_shape{b.numel()};
    for (int64_t d = 2; d < y.rank(); ++d) bias_shape.push_back(1);
    y = zip(
        y, reshape_nd(b, bias_shape), [](double u, double v) { return u + v; },
        y.dtype);
  }
  if (unbatched) y.shape.erase(y.shape.begin());
  return y;
}

SampleInput conv_sample(int spatial, TensorList in,
                        std::vector<std::string> tags, ConvOptions o) {
  return sample_with(
      std::move(in), std::move(tags), conv_desc(o),
      [spatial, o](const TensorList& t) {
        const Tensor bias = t.size() > 2 ? t[2] : Tensor();
        return spatial == 1 ? conv1d(t.at(0), t.at(1), bias, o)
                            : conv2d(t.at(0), t.at(1), bias, o);
      },
      [o](const TensorList& t) { return conv_bias_ref(t, o); });
}

Samples conv1d_samples(DType d, Generator& g) {
  auto m = [&](const Shape& s) { return make(s, d, g); };
  return {
      conv_sample(1, {m({2, 4, 9}), m({6, 4, 3}), m({6})}, {"basic"}, {}),
      conv_sample(1, {m({2, 4, 9}), m({6, 4, 3})}, {"basic"},
                  {{2}, {1}, {1}, 1}),
      conv_sample(1, {m({2, 4, 9}), m({6, 4, 3}), m({6})}, {"basic"},
                  {{1}, {0}, {2}, 1}),
      conv_sample(1, {m({2, 4, 9}), m({6, 2, 3}), m({6})}, {"basic"},
                  {{1}, {1}, {1}, 2}),
      conv_sample(1, {m({2, 4, 9}), m({4, 1, 2})}, {"basic"},
                  {{2}, {2}, {2}, 4}),
      conv_sample(1, {m({4, 9}), m({6, 4, 3}), m({6})}, {"basic"},
                  {{1}, {1}, {1}, 1}),
      conv_sample(
          1, {make_noncontig({2, 4, 9}, d, g), make_noncontig({6, 4, 3}, d, g)},
          {"noncontig"}, {{2}, {1}, {1}, 1}),
      conv_sample(1, {m({0, 4, 9}), m({6, 4, 3}), m({6})}, {"zero-size"}, {}),
  };
}

Samples conv2d_samples(DType d, Generator& g) {
  auto m = [&](const Shape& s) { return make(s, d, g); };
  return {
      conv_sample(2, {m({2, 4, 6, 5}), m({6, 4, 3, 3}), m({6})}, {"basic"}, {}),
      conv_sample(2, {m({2, 4, 6, 5}), m({6, 4, 3, 2})}, {"basic"},
                  {{2, 1}, {1, 2}, {1, 1}, 1}),
      conv_sample(2, {m({2, 4, 7, 6}), m({6, 4, 2, 3}), m({6})}, {"basic"},
                  {{1, 1}, {0, 1}, {2, 1}, 1}),
      conv_sample(2, {m({2, 4, 6, 5}), m({6, 2, 3, 3}), m({6})}, {"basic"},
                  {{2, 2}, {1, 1}, {1, 2}, 2}),
      conv_sample(2, {m({4, 6, 5}), m({3, 4, 3, 3}), m({3})}, {"basic"},
                  {{1, 1}, {1, 1}, {1, 1}, 1}),
      conv_sample(2,
                  {make_noncontig({2, 4, 6, 5}, d, g),
                   make_noncontig({6, 4, 3, 3}, d, g), m({6})},
                  {"noncontig"}, {{1, 2}, {1, 0}, {1, 1}, 1}),
      conv_sample(2, {m({0, 4, 6, 5}), m({6, 4, 3, 3})}, {"zero-size"}, {}),
  };
}

// The N-d primitive (no bias).
SampleInput nd_conv_sample(TensorList in, std::vector<std::string> tags,
                           ConvOptions o) {
  return sample_with(
      std::move(in), std::move(tags), conv_desc(o),
      [o](const TensorList& t) { return conv(t.at(0), t.at(1), o); },
      [o](const TensorList& t) {
        const Nd w = read(t.at(1));
        return conv_nd(read(t.at(0)), w, conv_geometry(o, w.rank() - 2));
      });
}

// The conv output shape for input `x`, weight `w` and options `o`.
Shape conv_out_shape(const Shape& x, const Shape& w, const ConvOptions& o) {
  const ConvGeometry geo = conv_geometry(o, static_cast<int64_t>(x.size()) - 2);
  Shape out{x[0], w[0]};
  for (size_t d = 2; d < x.size(); ++d) {
    out.push_back(out_len(x[d], w[d], geo.stride[d - 2], geo.padding[d - 2],
                          geo.dilation[d - 2]));
  }
  return out;
}

struct ConvCase {
  Shape x, w;
  ConvOptions o;
  std::vector<std::string> tags;
};

std::vector<ConvCase> transpose_cases() {
  return {
      {{2, 4, 9}, {6, 4, 3}, {}, {"basic"}},
      {{2, 4, 8}, {6, 4, 3}, {{2}, {0}, {1}, 1}, {"basic"}},
      {{2, 4, 9}, {6, 2, 3}, {{2}, {1}, {2}, 2}, {"basic"}},
      {{2, 4, 6, 5}, {6, 4, 3, 2}, {{2, 1}, {1, 1}, {1, 2}, 1}, {"basic"}},
      {{1, 4, 5, 6}, {4, 1, 2, 2}, {{1, 2}, {0, 1}, {1, 1}, 4}, {"basic"}},
      {{0, 4, 9}, {6, 4, 3}, {}, {"zero-size"}},
  };
}

SampleInput input_grad_sample(const ConvCase& c, Tensor gy, Tensor w,
                              std::vector<std::string> tags) {
  return sample_with(
      {std::move(gy), std::move(w)}, std::move(tags),
      "input " + dims_str(Index(c.x.begin(), c.x.end())) + " " + conv_desc(c.o),
      [c](const TensorList& t) {
        return conv_input_grad(t.at(0), t.at(1), c.x, c.o);
      },
      [c](const TensorList& t) {
        return conv_input_grad_nd(read(t.at(0)), read(t.at(1)), c.x,
                                  conv_geometry(c.o, c.x.size() - 2));
      });
}

SampleInput weight_grad_sample(const ConvCase& c, Tensor x, Tensor gy,
                               std::vector<std::string> tags) {
  return sample_with(
      {std::move(x), std::move(gy)}, std::move(tags),
      "weight " + dims_str(Index(c.w.begin(), c.w.end())) + " " +
          conv_desc(c.o),
      [c](const TensorList& t) {
        return conv_weight_grad(t.at(0), t.at(1), c.w, c.o);
      },
      [c](const TensorList& t) {
        return conv_weight_grad_nd(read(t.at(0)), read(t.at(1)), c.w,
                                   conv_geometry(c.o, c.x.size() - 2));
      });
}

std::string pool_desc(const PoolOptions& o) {
  auto str = [](const Shape& s) { return dims_str(Index(s.begin(), s.end())); };
  return "kernel " + str(o.kernel) + " stride " + str(o.stride) + " padding " +
         str(o.padding) + " dilation " + str(o.dilation);
}

SampleInput unfold_sample(Tensor x, std::vector<std::string> tags,
                          PoolOptions o, double pad_value) {
  return sample1(
      std::move(x), std::move(tags),
      pool_desc(o) + " pad_value " + std::to_string(pad_value),
      [o, pad_value](const Tensor& t) { return unfold(t, o, pad_value); },
      [o, pad_value](const Nd& n) {
        return unfold_nd(n, pool_geometry(o), pad_value);
      });
}

// fold: the patches of an input of spatial size `spatial`.
SampleInput fold_sample(int64_t n, int64_t c, Index spatial,
                        std::vector<std::string> tags, PoolOptions o, DType d,
                        Generator& g, bool noncontig) {
  const PoolGeometry geo = pool_geometry(o);
  Shape shape{n, c, count(make_shape(geo.kernel))};
  for (size_t i = 0; i < spatial.size(); ++i) {
    shape.push_back(out_len(spatial[i], geo.kernel[i], geo.stride[i],
                            geo.padding[i], geo.dilation[i]));
  }
  Tensor patches = noncontig ? make_noncontig(shape, d, g) : make(shape, d, g);
  return sample1(
      std::move(patches), std::move(tags),
      "spatial " + dims_str(spatial) + " " + pool_desc(o),
      [spatial, o](const Tensor& t) { return fold(t, make_shape(spatial), o); },
      [spatial, o](const Nd& p) {
        return fold_nd(p, spatial, pool_geometry(o));
      });
}

// max_pool1d/2d/3d or avg_pool1d/2d/3d by the kernel's rank.
SampleInput pool_sample(Tensor x, std::vector<std::string> tags, PoolOptions o,
                        bool max) {
  return sample1(
      std::move(x), std::move(tags), pool_desc(o),
      [o, max](const Tensor& t) {
        switch (o.kernel.size()) {
          case 1:
            return max ? max_pool1d(t, o) : avg_pool1d(t, o);
          case 2:
            return max ? max_pool2d(t, o) : avg_pool2d(t, o);
          default:
            return max ? max_pool3d(t, o) : avg_pool3d(t, o);
        }
      },
      [o, max](const Nd& n) {
        // Unbatched (C, *spatial) pools as one image.
        if (n.shape.size() > o.kernel.size() + 1) {
          return pool_nd(n, pool_geometry(o), max);
        }
        Nd batched = n;
        batched.shape.insert(batched.shape.begin(), 1);
        Nd y = pool_nd(batched, pool_geometry(o), max);
        y.shape.erase(y.shape.begin());
        return y;
      });
}

// max_pool_select(x, values) or max_pool_scatter(x, grad_out).
SampleInput max_pool_prim_sample(Tensor x, Tensor other,
                                 std::vector<std::string> tags, PoolOptions o,
                                 bool select) {
  return sample_with(
      {std::move(x), std::move(other)}, std::move(tags), pool_desc(o),
      [o, select](const TensorList& t) {
        return select ? max_pool_select(t.at(0), t.at(1), o)
                      : max_pool_scatter(t.at(0), t.at(1), o);
      },
      [o, select](const TensorList& t) {
        const PoolGeometry g = pool_geometry(o);
        return select ? max_pool_select_nd(read(t.at(0)), read(t.at(1)), g)
                      : max_pool_scatter_nd(read(t.at(0)), read(t.at(1)), g);
      });
}

// The pooled shape of x (N, C, *spatial) under o.
Shape pooled(const Shape& x, const PoolOptions& o) {
  const PoolGeometry geo = pool_geometry(o);
  Shape out{x[0], x[1]};
  for (size_t i = 0; i + 2 < x.size(); ++i) {
    out.push_back(out_len(x[i + 2], geo.kernel[i], geo.stride[i],
                          geo.padding[i], geo.dilation[i]));
  }
  return out;
}

Samples max_pool_prim_samples(DType d, Generator& g, bool select) {
  auto m = [&](const Shape& s) { return make(s, d, g); };
  // The second operand: values of x's shape, or a gradient of the pooled.
  auto other = [&](const Shape& x, const PoolOptions& o, bool noncontig) {
    const Shape s = select ? x : pooled(x, o);
    return noncontig ? make_noncontig(s, d, g) : make(s, d, g);
  };
  auto one = [&](const Shape& x, std::vector<std::string> tags, PoolOptions o) {
    return max_pool_prim_sample(m(x), other(x, o, false), std::move(tags), o,
                                select);
  };
  Samples v{
      one({2, 3, 6, 5}, {"basic"}, {{2, 2}}),
      one({2, 3, 6, 5}, {"basic"}, {{3, 3}, {1, 1}, {1, 1}}),
      one({2, 2, 7, 6}, {"basic"}, {{2, 2}, {1, 1}, {1, 0}, {2, 2}}),
      one({2, 3, 7}, {"basic"}, {{3}, {2}, {1}}),
      one({1, 2, 4, 5, 4}, {"basic"}, {{2, 3, 2}, {2, 1, 1}, {1, 1, 0}}),
      max_pool_prim_sample(make_noncontig({2, 3, 5, 6}, d, g),
                           other({2, 3, 5, 6}, {{2, 2}, {1, 1}}, true),
                           {"noncontig"}, {{2, 2}, {1, 1}}, select),
      one({0, 3, 6, 5}, {"zero-size"}, {{2, 2}}),
  };
  // Small integers: many equal values in a window (the first one counts).
  const Shape tie_shape{2, 2, 5, 5};
  const PoolOptions tie_o{{3, 3}, {1, 1}};
  v.push_back(max_pool_prim_sample(floor(mul(m(tie_shape), 1.5)),
                                   other(tie_shape, tie_o, false), {"ties"},
                                   tie_o, select));
  return v;
}

OpInfo conv_entry(std::string name, Impl impl,
                  std::function<Samples(DType, Generator&)> samples) {
  OpInfo info;
  info.name = std::move(name);
  info.family = "conv";
  info.samples = std::move(samples);
  info.dtypes = floating_dtypes();
  info.diff_args = {0, 1, 2};
  info.impl = impl;
  info.needs_scalar = false;
  info.tol32 = {5e-5, 1e-5};
  return info;
}

}  // namespace

void add_conv_ops(std::vector<OpInfo>& db) {
  OpInfo c1 = conv_entry("conv1d", Impl::kComposite, conv1d_samples);
  c1.op = conv_sample(1, {}, {}, {}).op;
  c1.reference = conv_sample(1, {}, {}, {}).reference;
  db.push_back(c1);
  OpInfo c2 = conv_entry("conv2d", Impl::kComposite, conv2d_samples);
  c2.op = conv_sample(2, {}, {}, {}).op;
  c2.reference = conv_sample(2, {}, {}, {}).reference;
  db.push_back(c2);

  OpInfo nd = conv_entry("conv", Impl::kPrimitive, [](DType d, Generator& g) {
    auto m = [&](const Shape& s) { return make(s, d, g); };
    return Samples{
        nd_conv_sample({m({2, 3, 7}), m({4, 3, 2})}, {"basic"}, {}),
        nd_conv_sample({m({2, 4, 5, 6}), m({4, 2, 3, 2})}, {"basic"},
                       {{1, 2}, {1, 0}, {1, 2}, 2}),
        nd_conv_sample({m({1, 2, 4, 5, 3}), m({4, 2, 2, 3, 2})}, {"basic"},
                       {{1, 2, 1}, {1, 0, 1}, {1, 1, 2}, 1}),
        nd_conv_sample({make_noncontig({2, 3, 5, 4}, d, g), m({2, 3, 2, 2})},
                       {"noncontig"}, {{1, 1}, {1, 1}, {1, 1}, 1}),
        nd_conv_sample({m({0, 3, 7}), m({4, 3, 2})}, {"zero-size"}, {}),
    };
  });
  nd.op = nd_conv_sample({}, {}, {}).op;
  nd.reference = nd_conv_sample({}, {}, {}).reference;
  nd.diff_args = {0, 1};
  db.push_back(nd);

  OpInfo gi = conv_entry(
      "conv_input_grad", Impl::kPrimitive, [](DType d, Generator& g) {
        Samples v;
        for (const ConvCase& c : transpose_cases()) {
          const Shape out = conv_out_shape(c.x, c.w, c.o);
          v.push_back(
              input_grad_sample(c, make(out, d, g), make(c.w, d, g), c.tags));
        }
        const ConvCase c = transpose_cases()[2];
        v.push_back(input_grad_sample(
            c, make_noncontig(conv_out_shape(c.x, c.w, c.o), d, g),
            make_noncontig(c.w, d, g), {"noncontig"}));
        return v;
      });
  gi.op = input_grad_sample(transpose_cases()[0], {}, {}, {}).op;
  gi.reference = input_grad_sample(transpose_cases()[0], {}, {}, {}).reference;
  gi.diff_args = {0, 1};
  db.push_back(gi);

  OpInfo gw = conv_entry(
      "conv_weight_grad", Impl::kPrimitive, [](DType d, Generator& g) {
        Samples v;
        for (const ConvCase& c : transpose_cases()) {
          const Shape out = conv_out_shape(c.x, c.w, c.o);
          v.push_back(
              weight_grad_sample(c, make(c.x, d, g), make(out, d, g), c.tags));
        }
        const ConvCase c = transpose_cases()[3];
        v.push_back(weight_grad_sample(
            c, make_noncontig(c.x, d, g),
            make_noncontig(conv_out_shape(c.x, c.w, c.o), d, g),
            {"noncontig"}));
        return v;
      });
  gw.op = weight_grad_sample(transpose_cases()[0], {}, {}, {}).op;
  gw.reference = weight_grad_sample(transpose_cases()[0], {}, {}, {}).reference;
  gw.diff_args = {0, 1};
  db.push_back(gw);

  OpInfo uf = conv_entry("unfold", Impl::kPrimitive, [](DType d, Generator& g) {
    auto m = [&](const Shape& s) { return make(s, d, g); };
    return Samples{
        unfold_sample(m({2, 3, 5, 4}), {"basic"}, {{2, 2}, {1, 1}}, 0),
        unfold_sample(m({2, 3, 5, 4}), {"basic"},
                      {{2, 2}, {2, 1}, {1, 0}, {1, 2}}, 0.5),
        unfold_sample(m({2, 3, 7}), {"basic"}, {{3}, {2}, {1}}, 0),
        unfold_sample(m({1, 2, 4, 4}), {"basic"}, {{2, 2}}, -1),
        unfold_sample(make_noncontig({2, 3, 4, 5}, d, g), {"noncontig"},
                      {{3, 2}, {1, 2}}, 0),
        unfold_sample(m({0, 3, 5, 4}), {"zero-size"}, {{2, 2}, {1, 1}}, 0),
    };
  });
  uf.op = unfold_sample({}, {}, {{2, 2}, {1, 1}}, 0).op;
  uf.reference = unfold_sample({}, {}, {{2, 2}, {1, 1}}, 0).reference;
  uf.diff_args = {0};
  db.push_back(uf);

  OpInfo fo = conv_entry("fold", Impl::kPrimitive, [](DType d, Generator& g) {
    return Samples{
        fold_sample(2, 3, {5, 4}, {"basic"}, {{2, 2}, {1, 1}}, d, g, false),
        fold_sample(2, 3, {5, 4}, {"basic"}, {{2, 2}, {2, 1}, {1, 0}, {1, 2}},
                    d, g, false),
        fold_sample(2, 3, {7}, {"basic"}, {{3}, {2}, {1}}, d, g, false),
        fold_sample(1, 2, {4, 4}, {"basic"}, {{2, 2}}, d, g, false),
        fold_sample(2, 2, {4, 5}, {"noncontig"}, {{3, 2}, {1, 2}}, d, g, true),
        fold_sample(0, 3, {5, 4}, {"zero-size"}, {{2, 2}, {1, 1}}, d, g, false),
    };
  });
  fo.op = [](const TensorList& t) {
    return fold(t.at(0), {5, 4}, {{2, 2}, {1, 1}});
  };
  fo.reference = [](const TensorList& t) {
    return fold_nd(read(t.at(0)), {5, 4}, pool_geometry({{2, 2}, {1, 1}}));
  };
  fo.diff_args = {0};
  db.push_back(fo);

  for (bool select : {true, false}) {
    OpInfo prim = conv_entry(select ? "max_pool_select" : "max_pool_scatter",
                             Impl::kPrimitive, [select](DType d, Generator& g) {
                               return max_pool_prim_samples(d, g, select);
                             });
    const PoolOptions o{{2, 2}};
    prim.op = [o, select](const TensorList& t) {
      return select ? max_pool_select(t.at(0), t.at(1), o)
                    : max_pool_scatter(t.at(0), t.at(1), o);
    };
    prim.reference = [o, select](const TensorList& t) {
      return select ? max_pool_select_nd(read(t.at(0)), read(t.at(1)),
                                         pool_geometry(o))
                    : max_pool_scatter_nd(read(t.at(0)), read(t.at(1)),
                                          pool_geometry(o));
    };
    // x only picks the places: its derivative is zero almost everywhere.
    prim.diff_args = {1};
    db.push_back(prim);
  }

  for (bool max : {true, false}) {
    OpInfo pool = conv_entry(
        max ? "max_pool2d" : "avg_pool2d", Impl::kComposite,
        [max](DType d, Generator& g) {
          auto m = [&](const Shape& s) { return make(s, d, g); };
          Samples v{
              pool_sample(m({2, 3, 6, 5}), {"basic"}, {{2, 2}}, max),
              pool_sample(m({2, 3, 6, 5}), {"basic"}, {{3, 3}, {2, 2}, {1, 1}},
                          max),
              pool_sample(m({1, 2, 5, 7}), {"basic"}, {{2, 3}, {1, 2}, {1, 0}},
                          max),
              pool_sample(m({3, 6, 5}), {"basic"}, {{2, 2}}, max),
              pool_sample(make_noncontig({2, 3, 5, 6}, d, g), {"noncontig"},
                          {{2, 2}, {1, 1}}, max),
              pool_sample(m({0, 3, 6, 5}), {"zero-size"}, {{2, 2}}, max),
          };
          if (max) {
            v.push_back(pool_sample(m({2, 2, 7, 6}), {"basic"},
                                    {{2, 2}, {1, 1}, {1, 0}, {2, 2}}, max));
          }
          return v;
        });
    pool.op = pool_sample({}, {}, {{2, 2}}, max).op;
    pool.reference = pool_sample({}, {}, {{2, 2}}, max).reference;
    pool.diff_args = {0};
    db.push_back(pool);
  }

  // 1-d and 3-d pooling: the same composites over other ranks.
  for (bool max : {true, false}) {
    for (int rank : {1, 3}) {
      const std::string name = std::string(max ? "max_pool" : "avg_pool") +
                               std::to_string(rank) + "d";
      const PoolOptions basic =
          rank == 1 ? PoolOptions{{3}, {2}, {1}} : PoolOptions{{2, 2, 2}};
      OpInfo pool = conv_entry(
          name, Impl::kComposite, [max, rank](DType d, Generator& g) {
            auto m = [&](const Shape& s) { return make(s, d, g); };
            if (rank == 1) {
              return Samples{
                  pool_sample(m({2, 3, 9}), {"basic"}, {{3}, {2}, {1}}, max),
                  pool_sample(m({2, 3, 8}), {"basic"}, {{2}, {1}, {0}, {3}},
                              max),
                  pool_sample(m({3, 7}), {"basic"}, {{2}}, max),
                  pool_sample(make_noncontig({2, 3, 8}, d, g), {"noncontig"},
                              {{2}}, max),
                  pool_sample(m({0, 3, 8}), {"zero-size"}, {{2}}, max),
              };
            }
            return Samples{
                pool_sample(m({2, 2, 4, 5, 4}), {"basic"}, {{2, 2, 2}}, max),
                pool_sample(m({1, 2, 5, 4, 6}), {"basic"},
                            {{3, 2, 3}, {2, 1, 2}, {1, 0, 1}}, max),
                pool_sample(m({2, 4, 4, 4}), {"basic"}, {{2, 2, 2}}, max),
                pool_sample(make_noncontig({2, 2, 4, 4, 4}, d, g),
                            {"noncontig"}, {{2, 2, 2}}, max),
                pool_sample(m({0, 2, 4, 4, 4}), {"zero-size"}, {{2, 2, 2}},
                            max),
            };
          });
      pool.op = pool_sample({}, {}, basic, max).op;
      pool.reference = pool_sample({}, {}, basic, max).reference;
      pool.diff_args = {0};
      db.push_back(pool);
    }
  }
}

}  // namespace fnx::opinfo
