// Normalisation layers with state: BatchNorm1d/2d (running statistics as
// buffers) and GroupNorm. (LayerNorm is in nn/layers.h.)
#pragma once

#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "nn/module.h"

namespace fnx::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  // Weight of the new batch statistics in the running averages.
  double momentum = 0.1;
  bool affine = true;
  bool track_running_stats = true;
  DType dtype = DType::Float32;
};

// Parameters weight (ones) and bias (zeros); buffers running_mean (zeros),
// running_var (ones) and num_batches_tracked (int64, 0), as torch. In
// training mode it normalises with the batch statistics and updates the
// running buffers in place (running_var with the unbiased variance); in
// eval mode it uses the running statistics. Under functional_call the
// buffers passed in are the ones updated, as torch.func.
//
// Under vmap (per-example gradients, vmap(grad(loss), {none, 0, 0}), with
// the model as it is; no replace_all_batch_norm_modules_ needed):
// - Normalisation: each per-example computation normalises with the
//   statistics of the batch it sees, its own input (an example unsqueezed
//   to a batch of one: over its spatial positions; a micro-batch: over its
//   rows). So vmap keeps its contract: outputs and per-example gradients
//   equal a loop over the examples, each example's gradient depends on that
//   example only (what per-example clipping, as in DP-SGD, relies on), and
//   the gradients are those replace_all_batch_norm_modules_ gives.
// - Running statistics: updated once per call (num_batches_tracked += 1)
//   with the mean and unbiased variance over every example's input to the
//   layer, gathered with vmap_all_gather(x, buffer) (vmap_collectives.h):
//   the vmap levels that batch the input but not the buffer are taken as
//   one batch split into examples; levels that batch the buffer too (a
//   stacked ensemble, stack_module_state) keep one set of statistics per
//   model. For a BatchNorm whose input no earlier BatchNorm normalised,
//   this is exactly what one plain training forward over the whole batch
//   gives; a later BatchNorm's input was normalised per example upstream,
//   so its statistics are those of that input, as computed under vmap.
// - A vmap with chunk_size smaller than its batch (each chunk would see
//   only its own examples) is an fnx::Error naming the layer. A batch of one
//   example with one value per channel cannot be normalised, as in torch.
class BatchNorm : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  // Drops the running statistics (the three buffers): from now on batch
  // statistics are used in training and eval mode alike.
  void stop_tracking_running_stats();

 protected:
  // ranks: the accepted input ranks (e.g. 2 and 3 for BatchNorm1d).
  BatchNorm(const char* type_name, int64_t num_features, int64_t rank_a,
            int64_t rank_b, BatchNormOptions options);

 private:
  // The running statistics' update with the statistics of the whole batch
  // (see the class comment for what that is under vmap).
  void update_running_stats(const Tensor& x, const std::string& op);

  int64_t num_features_;
  int64_t rank_a_, rank_b_;
  BatchNormOptions options_;
};

// Input (N, C) or (N, C, L).
class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(int64_t num_features, BatchNormOptions options = {})
      : BatchNorm("BatchNorm1d", num_features, 2, 3, options) {}
};

// Input (N, C, H, W).
class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(int64_t num_features, BatchNormOptions options = {})
      : BatchNorm("BatchNorm2d", num_features, 4, 4, options) {}
};

struct GroupNormOptions {
  double eps = 1e-5;
  bool affine = true;
  DType dtype = DType::Float32;
};

// Normalises each of num_groups channel groups per example; input
// (N, C, *). Affine weight (ones) and bias (zeros) of shape (C).
class GroupNorm : public Module {
 public:
  GroupNorm(int64_t num_groups, int64_t num_channels,
            GroupNormOptions options = {});
  Tensor forward(const Tensor& x) override;

 private:
  int64_t num_groups_, num_channels_;
  double eps_;
};

// torch.func.replace_all_batch_norm_modules_: every BatchNorm in `root`
// (itself included) stops tracking running statistics (from then on batch
// statistics are used in eval mode too). Not needed for vmap any more (see
// BatchNorm); kept for torch.func's API and for models that should not
// track statistics.
void replace_all_batch_norm_modules_(Module& root);

}  // namespace fnx::nn
