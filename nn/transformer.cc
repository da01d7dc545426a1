#include "nn/transformer.h"

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx::nn {
namespace {

MultiheadAttentionOptions attention_options(const TransformerLayerOptions& o) {
  return {.bias = o.bias,
          .batch_first = o.batch_first,
          .dropout = o.dropout,
          .dtype = o.dtype};
}

Tensor activate(Activation a, const Tensor& x) {
  return a == Activation::gelu ? gelu(x) : relu(x);
}

}  // namespace

TransformerEncoderLayer::TransformerEncoderLayer(
    int64_t d_model, int64_t nhead, Generator& gen,
    TransformerLayerOptions options)
    : Module("TransformerEncoderLayer"),
      activation_(options.activation),
      norm_first_(options.norm_first) {
  const LinearOptions lin{.bias = options.bias, .dtype = options.dtype};
  const LayerNormOptions ln{.eps = options.layer_norm_eps,
                            .dtype = options.dtype};
  self_attn_ = register_module(
      "self_attn", std::make_shared<MultiheadAttention>(
                       d_model, nhead, gen, attention_options(options)));
  linear1_ = register_module(
      "linear1",
      std::make_shared<Linear>(d_model, options.dim_feedforward, gen, lin));
  dropout_ = register_module("dropout",
                             std::make_shared<Dropout>(options.dropout, gen));
  linear2_ = register_module(
      "linear2",
      std::make_shared<Linear>(options.dim_feedforward, d_model, gen, lin));
  norm1_ =
      register_module("norm1", std::make_shared<LayerNorm>(Shape{d_model}, ln));
  norm2_ =
      register_module("norm2", std::make_shared<LayerNorm>(Shape{d_model}, ln));
  dropout1_ = register_module("dropout1",
                              std::make_shared<Dropout>(options.dropout, gen));
  dropout2_ = register_module("dropout2",
                              std::make_shared<Dropout>(options.dropout, gen));
}

Tensor TransformerEncoderLayer::feed_forward(const Tensor& x) {
  return (*dropout2_)(
      (*linear2_)((*dropout_)(activate(activation_, (*linear1_)(x)))));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src,
                                        const Tensor& src_mask,
                                        const Tensor& src_key_padding_mask,
                                        bool is_causal) {
  auto self_attention = [&](const Tensor& x) {
    return (*dropout1_)(self_attn_
                            ->forward(x, x, x, src_key_padding_mask,
                                      /*need_weights=*/false, src_mask, true,
                                      is_causal)
                            .output);
  };
  Tensor x = src;
  if (norm_first_) {
    x = x + self_attention((*norm1_)(x));
    return x + feed_forward((*norm2_)(x));
  }
  x = (*norm1_)(x + self_attention(x));
  return (*norm2_)(x + feed_forward(x));
}

TransformerDecoderLayer::TransformerDecoderLayer(
    int64_t d_model, int64_t nhead, Generator& gen,
    TransformerLayerOptions options)
    : Module("TransformerDecoderLayer"),
      activation_(options.activation),
      norm_first_(options.norm_first) {
  const LinearOptions lin{.bias = options.bias, .dtype = options.dtype};
  const LayerNormOptions ln{.eps = options.layer_norm_eps,
                            .dtype = options.dtype};
  self_attn_ = register_module(
      "self_attn", std::make_shared<MultiheadAttention>(
                       d_model, nhead, gen, attention_options(options)));
  multihead_attn_ = register_module(
      "multihead_attn", std::make_shared<MultiheadAttention>(
                            d_model, nhead, gen, attention_options(options)));
  linear1_ = register_module(
      "linear1",
      std::make_shared<Linear>(d_model, options.dim_feedforward, gen, lin));
  dropout_ = register_module("dropout",
                             std::make_shared<Dropout>(options.dropout, gen));
  linear2_ = register_module(
      "linear2",
      std::make_shared<Linear>(options.dim_feedforward, d_model, gen, lin));
  norm1_ =
      register_module("norm1", std::make_shared<LayerNorm>(Shape{d_model}, ln));
  norm2_ =
      register_module("norm2", std::make_shared<LayerNorm>(Shape{d_model}, ln));
  norm3_ =
      register_module("norm3", std::make_shared<LayerNorm>(Shape{d_model}, ln));
  dropout1_ = register_module("dropout1",
                              std::make_shared<Dropout>(options.dropout, gen));
  dropout2_ = register_module("dropout2",
                              std::make_shared<Dropout>(options.dropout, gen));
  dropout3_ = register_module("dropout3",
                              std::make_shared<Dropout>(options.dropout, gen));
}

Tensor TransformerDecoderLayer::feed_forward(const Tensor& x) {
  return (*dropout3_)(
      (*linear2_)((*dropout_)(activate(activation_, (*linear1_)(x)))));
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory,
                                        const Tensor& tgt_mask,
                                        const Tensor& memory_mask,
                                        const Tensor& tgt_key_padding_mask,
                                        const Tensor& memory_key_padding_mask,
                                        bool tgt_is_causal,
                                        bool memory_is_causal) {
  auto self_attention = [&](const Tensor& x) {
    return (*dropout1_)(self_attn_
                            ->forward(x, x, x, tgt_key_padding_mask, false,
                                      tgt_mask, true, tgt_is_causal)
                            .output);
  };
  auto cross_attention = [&](const Tensor& x) {
    return (*dropout2_)(multihead_attn_
                            ->forward(x, memory, memory,
                                      memory_key_padding_mask, false,
                                      memory_mask, true, memory_is_causal)
                            .output);
  };
  Tensor x = tgt;
  if (norm_first_) {
    x = x + self_attention((*norm1_)(x));
    x = x + cross_attention((*norm2_)(x));
    return x + feed_forward((*norm3_)(x));
  }
  x = (*norm1_)(x + self_attention(x));
  x = (*norm2_)(x + cross_attention(x));
  return (*norm3_)(x + feed_forward(x));
}

}  // namespace fnx::nn
