// TransformerEncoderLayer and TransformerDecoderLayer, as torch's (same
// submodule names, so torch state_dicts load): post-norm by default,
// pre-norm with norm_first. Written in public ops through
// MultiheadAttention, Linear, LayerNorm and Dropout, so every transform
// handles them.
#pragma once

#include <cstdint>
#include <memory>

#include "core/dtype.h"
#include "core/generator.h"
#include "nn/attention.h"
#include "nn/layers.h"
#include "nn/module.h"

namespace fnx::nn {

enum class Activation { relu, gelu };

struct TransformerLayerOptions {
  int64_t dim_feedforward = 2048;
  double dropout = 0.1;
  Activation activation = Activation::relu;
  double layer_norm_eps = 1e-5;
  bool batch_first = false;
  bool norm_first = false;
  bool bias = true;
  DType dtype = DType::Float32;
};

// Submodules self_attn, linear1, dropout, linear2, norm1, norm2, dropout1,
// dropout2. Input (S, N, E), (N, S, E) with batch_first, or (S, E).
class TransformerEncoderLayer : public Module {
 public:
  TransformerEncoderLayer(int64_t d_model, int64_t nhead, Generator& gen,
                          TransformerLayerOptions options = {});
  TransformerEncoderLayer(int64_t d_model, int64_t nhead,
                          TransformerLayerOptions options = {})
      : TransformerEncoderLayer(d_model, nhead, default_generator(), options) {}
  // Masks as MultiheadAttention's (bool true = not allowed, or additive);
  // is_causal without src_mask applies a causal mask.
  Tensor forward(const Tensor& src, const Tensor& src_mask,
                 const Tensor& src_key_padding_mask = {},
                 bool is_causal = false);
  Tensor forward(const Tensor& src) override { return forward(src, {}); }

 private:
  Tensor feed_forward(const Tensor& x);

  Activation activation_;
  bool norm_first_;
  std::shared_ptr<MultiheadAttention> self_attn_;
  std::shared_ptr<Linear> linear1_, linear2_;
  std::shared_ptr<Dropout> dropout_, dropout1_, dropout2_;
  std::shared_ptr<LayerNorm> norm1_, norm2_;
};

// Submodules self_attn, multihead_attn, linear1, dropout, linear2, norm1,
// norm2, norm3, dropout1, dropout2, dropout3. tgt (T, N, E), memory
// (S, N, E) (batch first, or unbatched, alike).
class TransformerDecoderLayer : public Module {
 public:
  TransformerDecoderLayer(int64_t d_model, int64_t nhead, Generator& gen,
                          TransformerLayerOptions options = {});
  TransformerDecoderLayer(int64_t d_model, int64_t nhead,
                          TransformerLayerOptions options = {})
      : TransformerDecoderLayer(d_model, nhead, default_generator(), options) {}
  // (The single-tensor forward is an error: a decoder needs memory.)
  using Module::forward;
  Tensor forward(const Tensor& tgt, const Tensor& memory,
                 const Tensor& tgt_mask = {}, const Tensor& memory_mask = {},
                 const Tensor& tgt_key_padding_mask = {},
                 const Tensor& memory_key_padding_mask = {},
                 bool tgt_is_causal = false, bool memory_is_causal = false);

 private:
  Tensor feed_forward(const Tensor& x);

  Activation activation_;
  bool norm_first_;
  std::shared_ptr<MultiheadAttention> self_attn_, multihead_attn_;
  std::shared_ptr<Linear> linear1_, linear2_;
  std::shared_ptr<Dropout> dropout_, dropout1_, dropout2_, dropout3_;
  std::shared_ptr<LayerNorm> norm1_, norm2_, norm3_;
};

}  // namespace fnx::nn
