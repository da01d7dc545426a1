// scaled_dot_product_attention against a plain C++ loop (bool, additive and
// causal masks, fully masked rows); under vmap with per-example masks;
// MultiheadAttention against an explicit composition of its weights;
// per-example gradients of attention and transformer layers through
// vmap(grad(functional_call)) against a loop of grad; errors.
#include "nn/attention.h"

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "nn/functional_call.h"
#include "nn/transformer.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::f64;
using testing::throws_with;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Additive mask value for batch b, query i, key j (-inf = masked).
using MaskFn = std::function<double(int64_t, int64_t, int64_t)>;

// softmax(q kᵀ scale + mask) v in plain loops: q (B, L, E), k (B, S, E),
// v (B, S, F). A row with every key masked gives zeros.
Tensor reference(const Tensor& q, const Tensor& k, const Tensor& v,
                 const MaskFn& mask, double scale) {
  const int64_t nb = q.size(0), l = q.size(1), s = k.size(1), e = q.size(2),
                f = v.size(2);
  const std::vector<double> qd = q.to_vector(), kd = k.to_vector(),
                            vd = v.to_vector();
  std::vector<double> out(nb * l * f, 0.0);
  for (int64_t b = 0; b < nb; ++b) {
    for (int64_t i = 0; i < l; ++i) {
      std::vector<double> sc(s);
      double mx = -kInf;
      for (int64_t j = 0; j < s; ++j) {
        double dot = 0;
        for (int64_t c = 0; c < e; ++c) {
          dot += qd[(b * l + i) * e + c] * kd[(b * s + j) * e + c];
        }
        sc[j] = dot * scale + mask(b, i, j);
        mx = std::max(mx, sc[j]);
      }
      if (mx == -kInf) continue;  // fully masked: zeros
      double z = 0;
      for (double& x : sc) z += (x = std::exp(x - mx));
      for (int64_t j = 0; j < s; ++j) {
        for (int64_t c = 0; c < f; ++c) {
          out[(b * l + i) * f + c] += sc[j] / z * vd[(b * s + j) * f + c];
        }
      }
    }
  }
  return f64(out, {nb, l, f});
}

struct Qkv {
  Tensor q, k, v;
};
Qkv make_qkv(Generator& gen, int64_t b = 2, int64_t l = 3, int64_t s = 5) {
  return {randn({b, l, 4}, DType::Float64, &gen),
          randn({b, s, 4}, DType::Float64, &gen),
          randn({b, s, 3}, DType::Float64, &gen)};
}

TEST(ScaledDotProductAttention, MatchesTheLoopWithEveryMaskKind) {
  Generator gen(0);
  const auto [q, k, v] = make_qkv(gen);
  const double scale = 0.5;  // 1 / sqrt(E = 4)
  const MaskFn none_mask = [](int64_t, int64_t, int64_t) { return 0.0; };
  EXPECT_TRUE(close(nn::scaled_dot_product_attention(q, k, v),
                    reference(q, k, v, none_mask, scale), 1e-12));
  EXPECT_TRUE(
      close(nn::scaled_dot_product_attention(q, k, v, {}, 0, false, 0.3),
            reference(q, k, v, none_mask, 0.3), 1e-12));

  // A bool (L, S) mask broadcast over the batch: true = attend.
  std::vector<int64_t> allowed_bits = {1, 0, 1, 1, 0,  //
                                       0, 1, 1, 0, 1,  //
                                       1, 1, 0, 0, 0};
  const Tensor allowed =
      cast(from_vector(allowed_bits, {3, 5}, DType::Int64), DType::Bool);
  EXPECT_TRUE(close(nn::scaled_dot_product_attention(q, k, v, allowed),
                    reference(
                        q, k, v,
                        [&](int64_t, int64_t i, int64_t j) {
                          return allowed_bits[i * 5 + j] ? 0.0 : -kInf;
                        },
                        scale),
                    1e-12));

  // An additive float mask per batch entry.
  const Tensor add = randn({2, 3, 5}, DType::Float64, &gen);
  const std::vector<double> ad = add.to_vector();
  EXPECT_TRUE(close(nn::scaled_dot_product_attention(q, k, v, add),
                    reference(
                        q, k, v,
                        [&](int64_t b, int64_t i, int64_t j) {
                          return ad[(b * 3 + i) * 5 + j];
                        },
                        scale),
                    1e-12));

  // Causal: key j <= query i (top-left aligned for L != S).
  EXPECT_TRUE(close(
      nn::scaled_dot_product_attention(q, k, v, {}, 0, true),
      reference(
          q, k, v,
          [](int64_t, int64_t i, int64_t j) { return j <= i ? 0.0 : -kInf; },
          scale),
      1e-12));
}

TEST(ScaledDotProductAttention, FullyMaskedRowsGiveZerosAndFiniteGrads) {
  Generator gen(1);
  const auto [q, k, v] = make_qkv(gen, 1, 2, 3);
  const Tensor mask = cast(f64({1, 0, 1, 0, 0, 0}, {2, 3}), DType::Bool);
  const Tensor out = nn::scaled_dot_product_attention(q, k, v, mask);
  EXPECT_TRUE(close(out[0][1], zeros({3}, DType::Float64)));
  const Tensor gq = grad([&](const Tensor& x) {
    return nn::scaled_dot_product_attention(x, k, v, mask).sum();
  })(q);
  for (double g : gq.to_vector()) EXPECT_TRUE(std::isfinite(g));
  EXPECT_TRUE(close(gq[0][1], zeros({4}, DType::Float64)));
}

TEST(ScaledDotProductAttention, VmapWithPerExampleMasksEqualsALoop) {
  Generator gen(2);
  const auto [q, k, v] = make_qkv(gen, 4, 3, 5);
  const Tensor masks = rand({4, 3, 5}, DType::Float64, &gen) > 0.4;
  auto f = [](const Tensor& a, const Tensor& b, const Tensor& c,
              const Tensor& m) {
    return nn::scaled_dot_product_attention(a, b, c, m);
  };
  const Tensor batched = vmap(f)(q, k, v, masks);
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(close(batched[i], f(q[i], k[i], v[i], masks[i]), 1e-12)) << i;
  }
  // Gradients per example, too.
  auto loss = [&](const Tensor& a, const Tensor& b, const Tensor& c,
                  const Tensor& m) { return square(f(a, b, c, m)).sum(); };
  const Tensor gq = vmap(grad(loss))(q, k, v, masks);
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(close(gq[i], grad(loss)(q[i], k[i], v[i], masks[i]), 1e-12));
  }
}

// Self-attention by hand from the module's tensors: (L, N, E) input.
Tensor mha_by_hand(const nn::MultiheadAttention& m, const Tensor& x,
                   const Tensor& key_padding /* (N, S) bool, true = pad */) {
  const int64_t e = m.embed_dim(), h = m.num_heads(), d = e / h;
  const int64_t n = x.size(1);
  const Tensor w = m.param("in_proj_weight"), b = m.param("in_proj_bias");
  std::vector<Tensor> per_batch;
  for (int64_t bi = 0; bi < n; ++bi) {
    const Tensor xb = x.select(1, bi);  // (L, E)
    const Tensor q = matmul(xb, w.slice(0, 0, e).t()) + b.slice(0, 0, e);
    const Tensor k =
        matmul(xb, w.slice(0, e, 2 * e).t()) + b.slice(0, e, 2 * e);
    const Tensor v =
        matmul(xb, w.slice(0, 2 * e, 3 * e).t()) + b.slice(0, 2 * e, 3 * e);
    std::vector<Tensor> heads;
    for (int64_t hi = 0; hi < h; ++hi) {
      const Tensor qh = q.slice(1, hi * d, (hi + 1) * d);
      const Tensor kh = k.slice(1, hi * d, (hi + 1) * d);
      const Tensor vh = v.slice(1, hi * d, (hi + 1) * d);
      Tensor scores = matmul(qh, kh.t()) / std::sqrt(double(d));
      if (key_padding.defined()) {
        scores = where(key_padding[bi], scalar_like(-kInf, scores), scores);
      }
      heads.push_back(matmul(softmax(scores, -1), vh));
    }
    const Tensor cat_heads = cat(heads, 1);
    const Tensor* ow = m.find_tensor("out_proj.weight");
    const Tensor* ob = m.find_tensor("out_proj.bias");
    per_batch.push_back(matmul(cat_heads, ow->t()) + *ob);
  }
  return stack(per_batch, 1);
}

nn::MultiheadAttentionOptions f64_opts(bool batch_first = false) {
  return {.batch_first = batch_first, .dtype = DType::Float64};
}

TEST(MultiheadAttention, EqualsAnExplicitCompositionOfItsWeights) {
  Generator gen(3);
  nn::MultiheadAttention m(4, 2, gen, f64_opts());
  // torch's names, shapes and initialisation of the biases.
  const ParamDict p = m.named_parameters();
  EXPECT_EQ(p.keys(),
            (std::vector<std::string>{"in_proj_weight", "in_proj_bias",
                                      "out_proj.weight", "out_proj.bias"}));
  EXPECT_EQ(p.at("in_proj_weight").shape(), (Shape{12, 4}));
  EXPECT_TRUE(close(p.at("out_proj.bias"), zeros({4}, DType::Float64)));
  // Non-zero biases so the composition checks where they go.
  ParamDict q = p;
  q.insert_or_assign("in_proj_bias", randn({12}, DType::Float64, &gen));
  q.insert_or_assign("out_proj.bias", randn({4}, DType::Float64, &gen));
  m.load_state_dict(q);

  const Tensor x = randn({3, 2, 4}, DType::Float64, &gen);  // (L, N, E)
  EXPECT_TRUE(close(m(x), mha_by_hand(m, x, {}), 1e-12));
  const Tensor pad = cast(f64({0, 0, 1, 0, 1, 1}, {2, 3}), DType::Bool);
  const nn::AttentionResult r = m.forward(x, x, x, pad);
  EXPECT_TRUE(close(r.output, mha_by_hand(m, x, pad), 1e-12));
  // Averaged weights: padded keys get none, rows sum to 1.
  EXPECT_EQ(r.weights.shape(), (Shape{2, 3, 3}));
  EXPECT_TRUE(close(r.weights.sum({-1}), ones({2, 3}, DType::Float64), 1e-12));
  EXPECT_TRUE(close(r.weights.select(2, 2)[0], zeros({3}, DType::Float64)));
  EXPECT_EQ(m.forward(x, x, x, pad, true, {}, false).weights.shape(),
            (Shape{2, 2, 3, 3}));

  // batch_first and unbatched inputs agree with the (L, N, E) layout.
  nn::MultiheadAttention bf(4, 2, gen, f64_opts(true));
  bf.load_state_dict(m.state_dict());
  EXPECT_TRUE(close(bf(x.transpose(0, 1)), m(x).transpose(0, 1), 1e-12));
  EXPECT_TRUE(close(m(x.select(1, 1)), m(x).select(1, 1), 1e-12));
  EXPECT_EQ(
      m.forward(x.select(1, 0), x.select(1, 0), x.select(1, 0)).weights.shape(),
      (Shape{3, 3}));
  // A bool attn_mask (true = not allowed) and is_causal agree (is_causal
  // alone takes sdpa's causal path, without the fully-masked-row guard),
  // outputs and weights.
  const Tensor upper = logical_not(unsqueeze(arange(3), 1) >=
                                   unsqueeze(arange(3), 0));  // (L, S)
  const auto masked = m.forward(x, x, x, {}, true, upper);
  const auto causal = m.forward(x, x, x, {}, true, {}, true, true);
  EXPECT_TRUE(close(masked.output, causal.output, 1e-12));
  EXPECT_TRUE(close(masked.weights, causal.weights, 1e-12));
}

TEST(MultiheadAttention, KdimAndVdimGiveSeparateProjections) {
  Generator gen(4);
  nn::MultiheadAttention m(4, 2, gen,
                           {.kdim = 3, .vdim = 5, .dtype = DType::Float64});
  const ParamDict p = m.named_parameters();
  EXPECT_FALSE(p.contains("in_proj_weight"));
  EXPECT_EQ(p.at("k_proj_weight").shape(), (Shape{4, 3}));
  EXPECT_EQ(p.at("v_proj_weight").shape(), (Shape{4, 5}));
  const Tensor out = m.forward(randn({2, 1, 4}, DType::Float64, &gen),
                               randn({6, 1, 3}, DType::Float64, &gen),
                               randn({6, 1, 5}, DType::Float64, &gen))
                         .output;
  EXPECT_EQ(out.shape(), (Shape{2, 1, 4}));
}

// vmap(grad(loss of functional_call)) against a loop of grad, each example
// as a batch of one.
template <typename M, typename Loss>
void expect_per_example_grads(M& model, const Tensor& xs, Loss loss) {
  const ParamDict params = model.named_parameters();
  auto f = [&](const ParamDict& p, const Tensor& x) { return loss(p, x); };
  const ParamDict per_ex = vmap(grad(f), {none, 0})(params, xs);
  for (int64_t i = 0; i < xs.size(0); ++i) {
    const ParamDict one = grad(f)(params, xs[i]);
    for (const auto& [name, g] : one) {
      EXPECT_TRUE(close(per_ex.at(name)[i], g, 1e-10)) << name << " " << i;
    }
  }
}

TEST(MultiheadAttention, PerExampleGradientsEqualALoop) {
  Generator gen(5);
  nn::MultiheadAttention m(4, 2, gen, f64_opts(true));
  const Tensor xs = randn({3, 5, 4}, DType::Float64, &gen);  // (B, L, E)
  expect_per_example_grads(m, xs, [&](const ParamDict& p, const Tensor& x) {
    return square(nn::functional_call(m, p, unsqueeze(x, 0))).sum();
  });
}

nn::TransformerLayerOptions layer_opts(bool norm_first) {
  return {.dim_feedforward = 8,
          .activation = nn::Activation::gelu,
          .batch_first = true,
          .norm_first = norm_first,
          .dtype = DType::Float64};
}

TEST(TransformerEncoderLayer, IsTheComposition) {
  Generator gen(6);
  for (bool norm_first : {false, true}) {
    nn::TransformerEncoderLayer layer(4, 2, gen, layer_opts(norm_first));
    layer.eval();  // no dropout
    const Tensor x = randn({2, 3, 4}, DType::Float64, &gen);
    auto& sa =
        static_cast<nn::MultiheadAttention&>(*layer.named_children()[0].second);
    auto sub = [&](const char* name) -> nn::Module& {
      for (auto& [n, m] : layer.named_children()) {
        if (n == name) return *m;
      }
      throw std::runtime_error(name);
    };
    auto ff = [&](const Tensor& t) {
      return sub("linear2")(gelu(sub("linear1")(t)));
    };
    Tensor want;
    if (norm_first) {
      const Tensor y = x + sa(sub("norm1")(x));
      want = y + ff(sub("norm2")(y));
    } else {
      const Tensor y = sub("norm1")(x + sa(x));
      want = sub("norm2")(y + ff(y));
    }
    EXPECT_TRUE(close(layer(x), want, 1e-12)) << norm_first;
    // A causal layer differs from a plain one; an all-allowed mask does not.
    EXPECT_FALSE(close(layer.forward(x, {}, {}, true), layer(x), 1e-6));
    EXPECT_TRUE(close(layer.forward(x, zeros({3, 3}, DType::Float64)), layer(x),
                      1e-12));
  }
}

TEST(TransformerLayers, PerExampleGradientsEqualALoop) {
  Generator gen(7);
  nn::TransformerEncoderLayer enc(4, 2, gen, layer_opts(false));
  enc.eval();
  const Tensor xs = randn({3, 3, 4}, DType::Float64, &gen);
  expect_per_example_grads(enc, xs, [&](const ParamDict& p, const Tensor& x) {
    return square(nn::functional_call(enc, p, unsqueeze(x, 0), Tensor(),
                                      Tensor(), true))
        .sum();
  });

  nn::TransformerDecoderLayer dec(4, 2, gen, layer_opts(true));
  dec.eval();
  const Tensor memory = randn({1, 5, 4}, DType::Float64, &gen);
  const ParamDict names = dec.named_parameters();
  EXPECT_TRUE(names.contains("multihead_attn.in_proj_weight"));
  EXPECT_TRUE(names.contains("norm3.weight"));
  EXPECT_EQ(dec.forward(xs, randn({3, 5, 4}, DType::Float64, &gen)).shape(),
            (Shape{3, 3, 4}));
  expect_per_example_grads(dec, xs, [&](const ParamDict& p, const Tensor& x) {
    return square(nn::functional_call(dec, p, unsqueeze(x, 0), memory, Tensor(),
                                      Tensor(), Tensor(), Tensor(), true))
        .sum();
  });
}

TEST(Attention, Errors) {
  Generator gen(8);
  EXPECT_TRUE(throws_with([&] { nn::MultiheadAttention(6, 4, gen); },
                          {"[nn.MultiheadAttention]", "divisible"}));
  const auto [q, k, v] = make_qkv(gen);
  EXPECT_TRUE(throws_with(
      [&] {
        nn::scaled_dot_product_attention(q, k, v,
                                         zeros({3, 4}, DType::Float64));
      },
      {"[nn.scaled_dot_product_attention]", "does not broadcast"}));
  EXPECT_TRUE(throws_with(
      [&] {
        nn::scaled_dot_product_attention(q, k, v, zeros({3, 5}), 0, true);
      },
      "not both"));
  EXPECT_TRUE(throws_with([&] { nn::scaled_dot_product_attention(q, v, v); },
                          "same last dim"));
  nn::MultiheadAttention m(4, 2, gen);
  EXPECT_TRUE(throws_with([&] { m(randn({2, 3, 5})); }, "feature sizes"));
  EXPECT_TRUE(throws_with([&] { m(randn({4})); }, "batched (3-d)"));
  const Tensor x = randn({3, 2, 4});
  EXPECT_TRUE(throws_with(
      [&] {
        m.forward(x, x, x, zeros({2, 4}, DType::Bool));
      },
      "key_padding_mask must be"));
  EXPECT_TRUE(throws_with(
      [&] {
        m.forward(x, x, x, {}, false, zeros({3, 2}));
      },
      "attn_mask must be"));
}

}  // namespace
}  // namespace fnx
