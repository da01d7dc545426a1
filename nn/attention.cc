#include "nn/attention.h"

#include <cmath>
#include <limits>
#include <string>

#include "core/error.h"
#include "core/str_cat.h"

namespace fnx::nn {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Whether `mask` broadcasts to `target` without growing it (a mask may
// not add batch dims the scores do not have).
bool broadcasts_to(const Shape& mask, const Shape& target) {
  if (mask.size() > target.size()) return false;
  const size_t off = target.size() - mask.size();
  for (size_t i = 0; i < mask.size(); ++i) {
    if (mask[i] != 1 && mask[i] != target[off + i]) return false;
  }
  return true;
}

// (L, S), true where query i may attend key j (j <= i), as torch's
// ones(L, S).tril().
Tensor causal_mask(int64_t l, int64_t s, Device device) {
  return unsqueeze(arange(l, DType::Int64, device), 1) >=
         unsqueeze(arange(s, DType::Int64, device), 0);
}

// A bool "not allowed" mask (torch's module convention) as an additive
// one; a floating mask is returned as it is.
Tensor additive(const Tensor& mask, const Tensor& like) {
  if (mask.dtype() != DType::Bool) return mask;
  return where(mask, scalar_like(-kInf, like), scalar_like(0.0, like));
}

Tensor add_masks(const Tensor& a, const Tensor& b) {
  if (!a.defined()) return b;
  if (!b.defined()) return a;
  return a + b;
}

}  // namespace

AttentionResult scaled_dot_product_attention_with_weights(
    const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask,
    double dropout_p, bool is_causal, std::optional<double> scale,
    Generator* gen) {
  const char* op = "nn.scaled_dot_product_attention";
  FNX_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, op,
            "q, k and v need at least 2 dims (..., L or S, E), got ",
            shape_str(q.shape()), ", ", shape_str(k.shape()), ", ",
            shape_str(v.shape()));
  FNX_CHECK(q.size(-1) == k.size(-1), op,
            "q and k must have the same last dim, got ", shape_str(q.shape()),
            " and ", shape_str(k.shape()));
  FNX_CHECK(k.size(-2) == v.size(-2), op,
            "k and v must have the same number of keys (dim -2), got ",
            shape_str(k.shape()), " and ", shape_str(v.shape()));
  FNX_CHECK(!(is_causal && attn_mask.defined()), op,
            "give either attn_mask or is_causal, not both");
  FNX_CHECK(dropout_p >= 0 && dropout_p < 1, op,
            "dropout_p must be in [0, 1), got ", dropout_p);
  const double s =
      scale.has_value() ? *scale : 1.0 / std::sqrt(double(q.size(-1)));
  // Scaling q rather than the scores: (L, E) products instead of (L, S).
  Tensor scores = matmul(q * s, transpose(k, -2, -1));  // (..., L, S)

  if (is_causal) {
    // Query i always sees key 0, so no row is fully masked: plain softmax.
    // The mask is added (0 or -inf, one (L, S) tensor): its VJP passes the
    // cotangent through, where a where() would need a second select.
    scores =
        scores +
        additive(logical_not(causal_mask(q.size(-2), k.size(-2), q.device())),
                 scores);
  }
  const Tensor& mask = attn_mask;
  if (mask.defined()) {
    FNX_CHECK(broadcasts_to(mask.shape(), scores.shape()), op, "attn_mask ",
              shape_str(mask.shape()), " does not broadcast to the scores ",
              shape_str(scores.shape()), " (..., L, S)");
    scores = mask.dtype() == DType::Bool
                 ? where(mask, scores, scalar_like(-kInf, scores))
                 : scores + mask;
    // A row with no finite score would give 0/0: such rows are softmaxed
    // as zeros and their weights set to 0, so neither the output nor any
    // gradient sees a NaN (torch's _safe_softmax).
    const Tensor row_ok =
        amax(cast(scores > -kInf, scores.dtype()), {-1}, true) > 0.0;
    scores = where(row_ok, scores, scalar_like(0.0, scores));
    Tensor weights =
        where(row_ok, softmax(scores, -1), scalar_like(0.0, scores));
    if (dropout_p > 0) weights = dropout(weights, dropout_p, true, gen);
    return {matmul(weights, v), weights};
  }
  Tensor weights = softmax(scores, -1);
  if (dropout_p > 0) weights = dropout(weights, dropout_p, true, gen);
  return {matmul(weights, v), weights};
}

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k,
                                    const Tensor& v, const Tensor& attn_mask,
                                    double dropout_p, bool is_causal,
                                    std::optional<double> scale,
                                    Generator* gen) {
  return scaled_dot_product_attention_with_weights(
             q, k, v, attn_mask, dropout_p, is_causal, scale, gen)
      .output;
}

MultiheadAttention::MultiheadAttention(int64_t embed_dim, int64_t num_heads,
                                       Generator& gen,
                                       MultiheadAttentionOptions options)
    : Module("MultiheadAttention"),
      embed_dim_(embed_dim),
      num_heads_(num_heads),
      kdim_(options.kdim > 0 ? options.kdim : embed_dim),
      vdim_(options.vdim > 0 ? options.vdim : embed_dim),
      batch_first_(options.batch_first),
      dropout_(options.dropout),
      gen_(&gen) {
  const char* op = "nn.MultiheadAttention";
  FNX_CHECK(embed_dim > 0 && num_heads > 0, op,
            "embed_dim and num_heads must be positive, got ", embed_dim,
            " and ", num_heads);
  FNX_CHECK(embed_dim % num_heads == 0, op, "embed_dim (", embed_dim,
            ") must be divisible by num_heads (", num_heads, ")");
  FNX_CHECK(options.dropout >= 0 && options.dropout < 1, op,
            "dropout must be in [0, 1), got ", options.dropout);
  const int64_t e = embed_dim;
  // xavier_uniform_: U(-b, b), b = sqrt(6 / (fan_in + fan_out)).
  auto xavier = [&](int64_t out, int64_t in) {
    const double b = std::sqrt(6.0 / double(in + out));
    return uniform({out, in}, -b, b, options.dtype, &gen);
  };
  if (kdim_ == e && vdim_ == e) {
    register_parameter("in_proj_weight", xavier(3 * e, e));
  } else {
    register_parameter("q_proj_weight", xavier(e, e));
    register_parameter("k_proj_weight", xavier(e, kdim_));
    register_parameter("v_proj_weight", xavier(e, vdim_));
  }
  if (options.bias) {
    register_parameter("in_proj_bias", zeros({3 * e}, options.dtype));
  }
  out_proj_ = register_module(
      "out_proj",
      std::make_shared<Linear>(
          e, e, gen,
          LinearOptions{.bias = options.bias, .dtype = options.dtype}));
  if (Tensor* b = find_tensor("out_proj.bias")) zero_(*b);
}

Tensor MultiheadAttention::forward(const Tensor& x) {
  return forward(x, x, x, {}, /*need_weights=*/false).output;
}

AttentionResult MultiheadAttention::forward(
    const Tensor& query, const Tensor& key, const Tensor& value,
    const Tensor& key_padding_mask, bool need_weights, const Tensor& attn_mask,
    bool average_attn_weights, bool is_causal) {
  const char* op = "nn.MultiheadAttention";
  const int64_t e = embed_dim_, h = num_heads_, d = e / h;
  FNX_CHECK((query.dim() == 2 || query.dim() == 3) &&
                key.dim() == query.dim() && value.dim() == query.dim(),
            op,
            "query, key and value must all be batched (3-d) or unbatched "
            "(2-d), got ",
            shape_str(query.shape()), ", ", shape_str(key.shape()), ", ",
            shape_str(value.shape()));
  const bool batched = query.dim() == 3;
  // Everything below works on (N, L, E).
  auto to_nle = [&](const Tensor& t) {
    if (!batched) return unsqueeze(t, 0);
    return batch_first_ ? t : transpose(t, 0, 1);
  };
  const Tensor q_in = to_nle(query), k_in = to_nle(key), v_in = to_nle(value);
  const int64_t n = q_in.size(0), l = q_in.size(1), s = k_in.size(1);
  FNX_CHECK(q_in.size(2) == e && k_in.size(2) == kdim_ && v_in.size(2) == vdim_,
            op, "expected query, key, value feature sizes ", e, ", ", kdim_,
            ", ", vdim_, ", got shapes ", shape_str(query.shape()), ", ",
            shape_str(key.shape()), ", ", shape_str(value.shape()));
  FNX_CHECK(k_in.size(0) == n && v_in.size(0) == n && v_in.size(1) == s, op,
            "key and value must have the query's batch size and the same "
            "length, got shapes ",
            shape_str(query.shape()), ", ", shape_str(key.shape()), ", ",
            shape_str(value.shape()));

  Tensor wq, wk, wv, bq, bk, bv;
  if (has_param("in_proj_weight")) {
    const Tensor& w = param("in_proj_weight");
    wq = slice(w, 0, 0, e), wk = slice(w, 0, e, 2 * e);
    wv = slice(w, 0, 2 * e, 3 * e);
  } else {
    wq = param("q_proj_weight"), wk = param("k_proj_weight");
    wv = param("v_proj_weight");
  }
  if (has_param("in_proj_bias")) {
    const Tensor& b = param("in_proj_bias");
    bq = slice(b, 0, 0, e), bk = slice(b, 0, e, 2 * e);
    bv = slice(b, 0, 2 * e, 3 * e);
  }
  // (N, len, E) -> (N, H, len, D)
  auto heads = [&](const Tensor& t, int64_t len) {
    return transpose(reshape(t, {n, len, h, d}), 1, 2);
  };
  const Tensor q = heads(linear(q_in, wq, bq), l);
  const Tensor k = heads(linear(k_in, wk, bk), s);
  const Tensor v = heads(linear(v_in, wv, bv), s);

  Tensor mask;  // additive, broadcasting to (N, H, L, S)
  if (attn_mask.defined()) {
    const bool ok2 = attn_mask.dim() == 2 && attn_mask.size(0) == l &&
                     attn_mask.size(1) == s;
    const bool ok3 = attn_mask.dim() == 3 && attn_mask.size(0) == n * h &&
                     attn_mask.size(1) == l && attn_mask.size(2) == s;
    FNX_CHECK(ok2 || ok3, op, "attn_mask must be (L, S) = (", l, ", ", s,
              ") or (N * num_heads, L, S) = (", n * h, ", ", l, ", ", s,
              "), got ", shape_str(attn_mask.shape()));
    mask = additive(ok3 ? reshape(attn_mask, {n, h, l, s}) : attn_mask, q);
  } else if (is_causal) {
    mask = additive(logical_not(causal_mask(l, s, q.device())), q);
  }
  if (key_padding_mask.defined()) {
    const bool ok =
        batched
            ? key_padding_mask.dim() == 2 && key_padding_mask.size(0) == n &&
                  key_padding_mask.size(1) == s
            : key_padding_mask.dim() == 1 && key_padding_mask.size(0) == s;
    FNX_CHECK(ok, op, "key_padding_mask must be ",
              batched ? str_cat("(N, S) = (", n, ", ", s, ")")
                      : str_cat("(S) = (", s, ")"),
              ", got ", shape_str(key_padding_mask.shape()));
    mask =
        add_masks(mask, additive(reshape(key_padding_mask, {n, 1, 1, s}), q));
  }

  // Causal alone leaves no row fully masked (query i sees key 0): sdpa's
  // causal path adds the same mask and softmaxes plainly, without the
  // guard for fully masked rows (a compare, a reduction and two selects
  // over every score, and their VJPs).
  const bool causal_only =
      is_causal && !attn_mask.defined() && !key_padding_mask.defined();
  AttentionResult r = scaled_dot_product_attention_with_weights(
      q, k, v, causal_only ? Tensor() : mask, is_training() ? dropout_ : 0.0,
      causal_only, {}, gen_);
  Tensor out = (*out_proj_)(reshape(transpose(r.output, 1, 2), {n, l, e}));
  if (!batched) {
    out = squeeze(out, 0);
  } else if (!batch_first_) {
    out = transpose(out, 0, 1);
  }
  Tensor weights;
  if (need_weights) {
    weights = average_attn_weights ? mean(r.weights, {1}) : r.weights;
    if (!batched) weights = squeeze(weights, 0);
  }
  return {out, weights};
}

}  // namespace fnx::nn
