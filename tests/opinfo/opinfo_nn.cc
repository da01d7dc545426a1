// Neural-network functions: mse_loss, nll_loss, cross_entropy, batch_norm
// (training and eval), layer_norm (with and without affine), dropout (its
// deterministic cases) and embedding.
#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <utility>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {

namespace {

using Samples = std::vector<SampleInput>;
constexpr double kEps = 1e-5;

Tensor opt(const TensorList& in, size_t i) {
  return i < in.size() ? in[i] : Tensor();
}

OpInfo nn_entry(std::string name, OpFn op, RefFn ref,
                std::function<Samples(DType, Generator&)> samples,
                std::vector<int> diff_args) {
  OpInfo info;
  info.name = std::move(name);
  info.family = "nn";
  info.op = std::move(op);
  info.reference = std::move(ref);
  info.samples = std::move(samples);
  info.dtypes = floating_dtypes();
  info.diff_args = std::move(diff_args);
  info.impl = Impl::kComposite;
  return info;
}

// -mean over rows of lp[row, target[row]]; (C) with a 0-d target too.
Nd nll_ref(const Nd& lp, const Nd& target) {
  const int64_t classes = lp.shape.back();
  double total = 0;
  for (int64_t i = 0; i < target.numel(); ++i) {
    total -= lp.data[i * classes + static_cast<int64_t>(target.data[i])];
  }
  return full_nd({}, total / static_cast<double>(target.numel()), lp.dtype);
}

Nd log_softmax_last(const Nd& x) {
  return along(x, -1, [](const std::vector<double>& f) {
    double m = f[0];
    for (double v : f) m = std::max(m, v);
    double s = 0;
    for (double v : f) s += std::exp(v - m);
    std::vector<double> out(f.size());
    for (size_t i = 0; i < f.size(); ++i) out[i] = f[i] - m - std::log(s);
    return out;
  });
}

// (x - mean) / sqrt(var + eps) * w + b per channel (dim 1), with the batch
// statistics (biased variance) or the given ones.
Nd batch_norm_ref(const Nd& x, const Nd* mean, const Nd* var, const Nd* w,
                  const Nd* b) {
  const int64_t channels = x.shape[1];
  std::vector<std::vector<double>> per_channel(channels);
  for (int64_t k = 0; k < x.numel(); ++k) {
    per_channel[unravel(k, x.shape)[1]].push_back(x.data[k]);
  }
  Nd y = x;
  for (int64_t k = 0; k < x.numel(); ++k) {
    const int64_t c = unravel(k, x.shape)[1];
    const double m = mean ? mean->data[c] : mean_of(per_channel[c]);
    const double v = var ? var->data[c] : var_of(per_channel[c], 0);
    double out = (x.data[k] - m) / std::sqrt(v + kEps);
    if (w) out *= w->data[c];
    if (b) out += b->data[c];
    y.data[k] = out;
  }
  return y;
}

Nd layer_norm_ref(const Nd& x, int64_t normalized, const Nd* w, const Nd* b) {
  const int64_t inner = count(Shape(x.shape.end() - normalized, x.shape.end()));
  Nd y = x;
  for (int64_t o = 0; o * inner < x.numel(); ++o) {
    const std::vector<double> row(x.data.begin() + o * inner,
                                  x.data.begin() + (o + 1) * inner);
    const double m = mean_of(row), v = var_of(row, 0);
    for (int64_t i = 0; i < inner; ++i) {
      double out = (row[i] - m) / std::sqrt(v + kEps);
      if (w) out *= w->data[i];
      if (b) out += b->data[i];
      y.data[o * inner + i] = out;
    }
  }
  return y;
}

SampleInput layer_norm_sample(TensorList in, std::vector<std::string> tags,
                              Shape normalized) {
  const Index shown(normalized.begin(), normalized.end());
  return sample_with(
      std::move(in), std::move(tags), "normalized_shape " + dims_str(shown),
      [normalized](const TensorList& t) {
        return layer_norm(t.at(0), normalized, opt(t, 1), opt(t, 2), kEps);
      },
      [normalized](const TensorList& t) {
        const Nd x = read(t.at(0));
        const bool affine = t.size() > 2;
        const Nd w = affine ? read(t[1]) : Nd{};
        const Nd b = affine ? read(t[2]) : Nd{};
        return layer_norm_ref(x, static_cast<int64_t>(normalized.size()),
                              affine ? &w : nullptr, affine ? &b : nullptr);
      });
}

SampleInput dropout_sample(Tensor x, std::vector<std::string> tags, double p,
                           bool training) {
  return sample1(
      std::move(x), std::move(tags),
      "p " + std::to_string(p) + (training ? " training" : " eval"),
      [p, training](const Tensor& t) {
        Generator gen(7);
        return dropout(t, p, training, &gen);
      },
      [](const Nd& n) { return n; });
}

}  // namespace

// sum(a b) / sqrt(max(|a|^2 |b|^2, eps^2)) along `dim`, a and b broadcast.
Nd cosine_similarity_ref(const TensorList& t, int64_t dim) {
  const Nd a = read(t.at(0)), b = read(t.at(1));
  const Shape shape = broadcast_shape(a.shape, b.shape);
  const Nd ab = zip(
      broadcast_nd(a, shape), broadcast_nd(b, shape),
      [](double x, double y) { return x * y; }, a.dtype);
  const Nd aa = map(
      broadcast_nd(a, shape), [](double x) { return x * x; }, a.dtype);
  const Nd bb = map(
      broadcast_nd(b, shape), [](double x) { return x * x; }, a.dtype);
  const Index dims = {wrap_dim(dim, static_cast<int64_t>(shape.size()))};
  auto total = [](const std::vector<double>& v) { return sum_of(v); };
  const Nd num = reduce(ab, dims, false, total, a.dtype);
  const Nd na = reduce(aa, dims, false, total, a.dtype);
  const Nd nb = reduce(bb, dims, false, total, a.dtype);
  return zip3(
      num, na, nb,
      [](double n, double x, double y) {
        return n / std::sqrt(std::max(x * y, 1e-16));
      },
      a.dtype);
}

namespace {

// CTC's alpha recursion per example in float64, then the reduction.
Nd ctc_ref(const Nd& lp, const Nd& targets, const Nd& in_len, const Nd& tgt_len,
           const std::string& reduction) {
  const int64_t n = lp.shape[1];
  const int64_t s_max = targets.shape[1];
  auto lse = [](std::vector<double> v) {
    double m = -HUGE_VAL;
    for (double x : v) m = std::max(m, x);
    if (m == -HUGE_VAL) return m;
    double s = 0;
    for (double x : v) s += std::exp(x - m);
    return m + std::log(s);
  };
  std::vector<double> losses;
  for (int64_t b = 0; b < n; ++b) {
    const int64_t t_len = static_cast<int64_t>(in_len.data[b]);
    const int64_t l_len = static_cast<int64_t>(tgt_len.data[b]);
    std::vector<int64_t> ext = {0};
    for (int64_t k = 0; k < l_len; ++k) {
      ext.push_back(static_cast<int64_t>(targets.data[b * s_max + k]));
      ext.push_back(0);
    }
    const size_t len = ext.size();
    std::vector<double> alpha(len, -HUGE_VAL);
    alpha[0] = lp[{0, b, ext[0]}];
    if (len > 1) alpha[1] = lp[{0, b, ext[1]}];
    for (int64_t t = 1; t < t_len; ++t) {
      std::vector<double> next(len, -HUGE_VAL);
      for (size_t s = 0; s < len; ++s) {
        std::vector<double> terms = {alpha[s]};
        if (s >= 1) terms.push_back(alpha[s - 1]);
        if (s >= 2 && ext[s] != 0 && ext[s] != ext[s - 2]) {
          terms.push_back(alpha[s - 2]);
        }
        next[s] = lse(terms) + lp[{t, b, ext[s]}];
      }
      alpha = next;
    }
    std::vector<double> ends = {alpha[len - 1]};
    if (len > 1) ends.push_back(alpha[len - 2]);
    losses.push_back(-lse(ends));
  }
  if (reduction == "none") {
    Nd y = full_nd({n}, 0, lp.dtype);
    y.data = losses;
    return y;
  }
  double total = 0;
  for (int64_t b = 0; b < n; ++b) {
    total += reduction == "sum"
                 ? losses[b]
                 : losses[b] / std::max<double>(1, tgt_len.data[b]);
  }
  return full_nd({}, reduction == "sum" ? total : total / double(n), lp.dtype);
}

}  // namespace

void add_nn_ops(std::vector<OpInfo>& db) {
  {
    auto with_dim = [](int64_t dim) {
      return std::pair<OpFn, RefFn>{
          [dim](const TensorList& t) {
            return cosine_similarity(t.at(0), t.at(1), dim);
          },
          [dim](const TensorList& t) { return cosine_similarity_ref(t, dim); }};
    };
    OpInfo info = nn_entry(
        "cosine_similarity", with_dim(1).first, with_dim(1).second,
        [with_dim](DType d, Generator& g) {
          Samples s{
              sample({make({3, 4}, d, g), make({3, 4}, d, g)}, {"basic"}),
              sample({make({3, 4}, d, g), make({1, 4}, d, g)}, {"broadcast"}),
              sample({make_noncontig({4, 3}, d, g), make({4, 3}, d, g)},
                     {"noncontig"}),
              sample({make({0, 4}, d, g), make({0, 4}, d, g)}, {"zero-size"}),
          };
          SampleInput last = sample({make({5}, d, g), make({5}, d, g)},
                                    {"scalar"}, "dim 0 of vectors");
          std::tie(last.op, last.reference) = with_dim(0);
          s.push_back(std::move(last));
          return s;
        },
        {0, 1});
    info.impl = Impl::kComposite;
    db.push_back(std::move(info));
  }

  db.push_back(nn_entry(
      "mse_loss",
      [](const TensorList& t) { return mse_loss(t.at(0), t.at(1)); },
      [](const TensorList& t) {
        const Nd a = read(t.at(0)), b = read(t.at(1));
        const Nd sq = zip(
            a, b, [](double x, double y) { return (x - y) * (x - y); },
            a.dtype);
        return full_nd({}, mean_of(sq.data), a.dtype);
      },
      [](DType d, Generator& g) {
        return Samples{
            sample({make({3, 4}, d, g), make({3, 4}, d, g)}, {"basic"}),
            sample({make({5}, d, g), make({5}, d, g)}, {"basic"}),
            sample({make_noncontig({4, 3}, d, g), make_strided({4, 3}, d, g)},
                   {"noncontig"}),
            sample({make({}, d, g), make({}, d, g)}, {"scalar"}),
        };
      },
      {0, 1}));
  db.back().needs_zero_size = false;  // the mean of nothing is NaN

  db.push_back(nn_entry(
      "nll_loss",
      [](const TensorList& t) { return nll_loss(t.at(0), t.at(1)); },
      [](const TensorList& t) { return nll_ref(read(t.at(0)), read(t.at(1))); },
      [](DType d, Generator& g) {
        return Samples{
            sample({make({4, 5}, d, g), make_index({4}, 5, g)}, {"basic"}),
            sample({make({1, 3}, d, g), make_index({1}, 3, g)}, {"basic"}),
            sample({make_noncontig({4, 3}, d, g),
                    make_index({8}, 3, g).slice(0, 0, 8, 2)},
                   {"noncontig"}),
            sample({make({5}, d, g), make_index({}, 5, g)}, {"scalar"},
                   "unbatched"),
        };
      },
      {0}));
  db.back().needs_zero_size = false;

  db.push_back(nn_entry(
      "cross_entropy",
      [](const TensorList& t) { return cross_entropy(t.at(0), t.at(1)); },
      [](const TensorList& t) {
        return nll_ref(log_softmax_last(read(t.at(0))), read(t.at(1)));
      },
      [](DType d, Generator& g) {
        return Samples{
            sample({make({4, 5}, d, g), make_index({4}, 5, g)}, {"basic"}),
            sample({constant({100, 101, 99, -100, -101, -99}, {2, 3}, d),
                    make_index({2}, 3, g)},
                   {"basic"}, "large logits"),
            sample({make_noncontig({4, 3}, d, g), make_index({4}, 3, g)},
                   {"noncontig"}),
            sample({make({5}, d, g), make_index({}, 5, g)}, {"scalar"},
                   "unbatched"),
        };
      },
      {0}));
  db.back().needs_zero_size = false;

  db.push_back(nn_entry(
      "batch_norm.train",
      [](const TensorList& t) {
        return batch_norm(t.at(0), Tensor(), Tensor(), opt(t, 1), opt(t, 2),
                          true, kEps);
      },
      [](const TensorList& t) {
        const Nd x = read(t.at(0));
        const bool affine = t.size() > 2;
        const Nd w = affine ? read(t[1]) : Nd{}, b = affine ? read(t[2]) : Nd{};
        return batch_norm_ref(x, nullptr, nullptr, affine ? &w : nullptr,
                              affine ? &b : nullptr);
      },
      [](DType d, Generator& g) {
        auto m = [&](const Shape& s) { return make(s, d, g); };
        return Samples{
            sample({m({4, 3}), m({3}), m({3})}, {"basic"}, "(N, C) affine"),
            sample({m({2, 3, 4}), m({3}), m({3})}, {"basic"}, "(N, C, L)"),
            sample({m({2, 3, 2, 2})}, {"basic"}, "(N, C, H, W) no affine"),
            sample({make_noncontig({2, 3, 4}, d, g), m({3}), m({3})},
                   {"noncontig"}),
        };
      },
      {0, 1, 2}));
  db.back().needs_zero_size = false;
  db.back().needs_scalar = false;

  db.push_back(nn_entry(
      "batch_norm.eval",
      [](const TensorList& t) {
        return batch_norm(t.at(0), t.at(1), t.at(2), opt(t, 3), opt(t, 4),
                          false, kEps);
      },
      [](const TensorList& t) {
        const Nd x = read(t.at(0)), mean = read(t.at(1)), var = read(t.at(2));
        const bool affine = t.size() > 4;
        const Nd w = affine ? read(t[3]) : Nd{}, b = affine ? read(t[4]) : Nd{};
        return batch_norm_ref(x, &mean, &var, affine ? &w : nullptr,
                              affine ? &b : nullptr);
      },
      [](DType d, Generator& g) {
        auto m = [&](const Shape& s) { return make(s, d, g); };
        auto var = [&](const Shape& s) {
          return make(s, d, g, Domain::kPositive);
        };
        return Samples{
            sample({m({4, 3}), m({3}), var({3}), m({3}), m({3})}, {"basic"}),
            sample({m({2, 3, 4}), m({3}), var({3})}, {"basic"}, "no affine"),
            sample({m({2, 3, 2, 2}), m({3}), var({3}), m({3}), m({3})},
                   {"basic"}),
            sample({make_noncontig({2, 3, 4}, d, g), m({3}), var({3}), m({3}),
                    m({3})},
                   {"noncontig"}),
            sample({m({0, 3}), m({3}), var({3}), m({3}), m({3})},
                   {"zero-size"}),
        };
      },
      {0, 3, 4}));
  db.back().needs_scalar = false;

  OpInfo ln = nn_entry(
      "layer_norm", {}, {},
      [](DType d, Generator& g) {
        auto m = [&](const Shape& s) { return make(s, d, g); };
        return Samples{
            layer_norm_sample({m({3, 4}), m({4}), m({4})}, {"basic"}, {4}),
            layer_norm_sample({m({2, 3, 4}), m({3, 4}), m({3, 4})}, {"basic"},
                              {3, 4}),
            layer_norm_sample({m({2, 3, 4})}, {"basic"}, {4}),
            layer_norm_sample({m({5})}, {"basic"}, {5}),
            layer_norm_sample({make_noncontig({3, 4}, d, g), m({4}), m({4})},
                              {"noncontig"}, {4}),
            layer_norm_sample({m({0, 4}), m({4}), m({4})}, {"zero-size"}, {4}),
        };
      },
      {0, 1, 2});
  ln.op = layer_norm_sample({}, {}, {4}).op;
  ln.reference = layer_norm_sample({}, {}, {4}).reference;
  ln.needs_scalar = false;
  db.push_back(ln);

  OpInfo drop = nn_entry(
      "dropout", dropout_sample({}, {}, 0.0, true).op,
      dropout_sample({}, {}, 0.0, true).reference,
      [](DType d, Generator& g) {
        return Samples{
            dropout_sample(make({3, 4}, d, g), {"basic"}, 0.0, true),
            dropout_sample(make({3, 4}, d, g), {"basic"}, 0.5, false),
            dropout_sample(make_noncontig({4, 3}, d, g), {"noncontig"}, 0.0,
                           true),
            dropout_sample(make({0, 3}, d, g), {"zero-size"}, 0.3, false),
            dropout_sample(make({}, d, g), {"scalar"}, 0.0, true),
        };
      },
      {0});
  db.push_back(drop);

  OpInfo emb = nn_entry(
      "embedding",
      [](const TensorList& t) { return embedding(t.at(0), t.at(1)); },
      [](const TensorList& t) {
        const Nd w = read(t.at(0)), idx = read(t.at(1));
        const int64_t dim = w.shape[1];
        Shape shape = idx.shape;
        shape.push_back(dim);
        Nd y = full_nd(shape, 0, w.dtype);
        for (int64_t i = 0; i < idx.numel(); ++i) {
          for (int64_t j = 0; j < dim; ++j) {
            y.data[i * dim + j] =
                w.data[static_cast<int64_t>(idx.data[i]) * dim + j];
          }
        }
        return y;
      },
      [](DType d, Generator& g) {
        return Samples{
            sample({make({6, 3}, d, g), make_index({4}, 6, g)}, {"basic"}),
            sample({make({6, 3}, d, g), make_index({2, 3}, 6, g)}, {"basic"}),
            sample({make({6, 3}, d, g), make_index({}, 6, g)}, {"scalar"}),
            sample({make_noncontig({6, 3}, d, g),
                    make_index({3, 2}, 6, g).transpose(0, 1)},
                   {"noncontig"}),
            sample({make({6, 3}, d, g), make_index({0}, 6, g)}, {"zero-size"}),
        };
      },
      {0});
  db.push_back(emb);

  for (std::string reduction : {"mean", "sum", "none"}) {
    OpInfo ctc = nn_entry(
        reduction == "mean" ? "ctc_loss" : "ctc_loss." + reduction,
        [reduction](const TensorList& t) {
          return ctc_loss(t.at(0), t.at(1), t.at(2), t.at(3), 0, reduction);
        },
        [reduction](const TensorList& t) {
          return ctc_ref(read(t.at(0)), read(t.at(1)), read(t.at(2)),
                         read(t.at(3)), reduction);
        },
        [](DType d, Generator& g) {
          auto ints = [](std::vector<double> v, Shape shape) {
            return constant(v, shape, DType::Int64);
          };
          // Repeated labels (2, 2) need a blank between them; one empty
          // target; lengths below the padded sizes.
          return Samples{
              sample({make({6, 3, 5}, d, g),
                      ints({2, 2, 3, 1, 4, 0, 3, 0, 0}, {3, 3}),
                      ints({6, 5, 4}, {3}), ints({3, 2, 0}, {3})},
                     {"basic"}),
              sample({make({4, 2, 3}, d, g), ints({1, 2, 2, 1}, {2, 2}),
                      ints({4, 3}, {2}), ints({2, 1}, {2})},
                     {"basic"}),
              sample(
                  {make_noncontig({5, 2, 4}, d, g), ints({3, 1, 2, 2}, {2, 2}),
                   ints({5, 5}, {2}), ints({2, 2}, {2})},
                  {"noncontig"}),
          };
        },
        {0});
    ctc.needs_zero_size = false;
    ctc.needs_scalar = false;
    db.push_back(ctc);
  }
}

}  // namespace fnx::opinfo
