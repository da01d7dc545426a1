// Attention: scaled_dot_product_attention and MultiheadAttention, with
// torch's semantics, parameter names and shapes (so weights load from a
// torch state_dict). Both are composites of public ops, so vmap, grad, jvp
// and the rest handle them with no rule of their own.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "core/dtype.h"
#include "core/generator.h"
#include "core/ops/ops.h"
#include "nn/layers.h"
#include "nn/module.h"

namespace fnx::nn {

// softmax(q kᵀ · scale + mask) v over q (..., L, E), k (..., S, E),
// v (..., S, Ev) -> (..., L, Ev); leading dims broadcast. scale defaults
// to 1/sqrt(E). attn_mask broadcasts to (..., L, S): a bool mask says
// where to attend (true = attend), a floating mask is added to the scores.
// is_causal attends to keys j <= i (top-left aligned, as torch) and cannot
// be combined with attn_mask. dropout_p > 0 drops attention weights (from
// gen, else the default generator) whenever given, as torch's function.
//
// A query row whose keys are all masked gives zeros (torch >= 2.5's
// math path; older versions gave NaN), and no NaN reaches any gradient.
Tensor scaled_dot_product_attention(
    const Tensor& q, const Tensor& k, const Tensor& v,
    const Tensor& attn_mask = {}, double dropout_p = 0, bool is_causal = false,
    std::optional<double> scale = {}, Generator* gen = nullptr);

struct AttentionResult {
  Tensor output;
  Tensor weights;  // (..., L, S) after dropout; undefined when not asked for
};

// The same, also returning the attention weights (what
// MultiheadAttention's need_weights reports).
AttentionResult scaled_dot_product_attention_with_weights(
    const Tensor& q, const Tensor& k, const Tensor& v,
    const Tensor& attn_mask = {}, double dropout_p = 0, bool is_causal = false,
    std::optional<double> scale = {}, Generator* gen = nullptr);

struct MultiheadAttentionOptions {
  bool bias = true;
  bool batch_first = false;
  double dropout = 0;  // on the attention weights, in training mode
  int64_t kdim = 0;    // 0 = embed_dim
  int64_t vdim = 0;    // 0 = embed_dim
  DType dtype = DType::Float32;
};

// torch.nn.MultiheadAttention. Parameters: in_proj_weight (3E, E) when
// kdim == vdim == E, else q_proj_weight (E, E), k_proj_weight (E, kdim),
// v_proj_weight (E, vdim) (xavier-uniform); in_proj_bias (3E, zeros);
// out_proj (Linear(E, E), its bias zeroed). Inputs (L, N, E), or (N, L, E)
// with batch_first, or unbatched (L, E).
//
// Masks as torch's module (the opposite of scaled_dot_product_attention's
// bool convention): a bool key_padding_mask (N, S) / (S) or attn_mask
// (L, S) / (N * num_heads, L, S) is true where attention is NOT allowed; a
// floating one is added to the scores. A query whose keys are all masked
// gives zeros (torch gives NaN).
class MultiheadAttention : public Module {
 public:
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, Generator& gen,
                     MultiheadAttentionOptions options = {});
  MultiheadAttention(int64_t embed_dim, int64_t num_heads,
                     MultiheadAttentionOptions options = {})
      : MultiheadAttention(embed_dim, num_heads, default_generator(), options) {
  }

  // weights: (N, L, S) averaged over heads, or (N, num_heads, L, S);
  // without the N for unbatched input; undefined without need_weights.
  // is_causal without attn_mask applies a causal mask (torch only takes it
  // as a hint about attn_mask).
  AttentionResult forward(const Tensor& query, const Tensor& key,
                          const Tensor& value,
                          const Tensor& key_padding_mask = {},
                          bool need_weights = true,
                          const Tensor& attn_mask = {},
                          bool average_attn_weights = true,
                          bool is_causal = false);
  // Self-attention, output only.
  Tensor forward(const Tensor& x) override;

  int64_t embed_dim() const { return embed_dim_; }
  int64_t num_heads() const { return num_heads_; }
  bool batch_first() const { return batch_first_; }

 private:
  int64_t embed_dim_, num_heads_, kdim_, vdim_;
  bool batch_first_;
  double dropout_;
  Generator* gen_;
  std::shared_ptr<Linear> out_proj_;
};

}  // namespace fnx::nn
