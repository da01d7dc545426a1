#include "nn/norm_layers.h"

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/shape.h"
#include "core/str_cat.h"
#include "transforms/vmap/vmap_collectives.h"

namespace fnx::nn {
namespace {

// The dims of `all` (x with k gathered example dims in front) to reduce:
// every dim but the channel dim, k + 1.
Dims all_but_channel(const Tensor& all, const Tensor& x) {
  const int64_t k = all.dim() - x.dim();
  Dims dims;
  for (int64_t d = 0; d < all.dim(); ++d) {
    if (d != k + 1) dims.push_back(d);
  }
  return dims;
}

}  // namespace

BatchNorm::BatchNorm(const char* type_name, int64_t num_features,
                     int64_t rank_a, int64_t rank_b, BatchNormOptions options)
    : Module(type_name),
      num_features_(num_features),
      rank_a_(rank_a),
      rank_b_(rank_b),
      options_(options) {
  FNX_CHECK(num_features > 0, str_cat("nn.", type_name),
            "num_features must be positive, got ", num_features);
  if (options.affine) {
    register_parameter("weight", ones({num_features}, options.dtype));
    register_parameter("bias", zeros({num_features}, options.dtype));
  }
  if (options.track_running_stats) {
    register_buffer("running_mean", zeros({num_features}, options.dtype));
    register_buffer("running_var", ones({num_features}, options.dtype));
    register_buffer("num_batches_tracked", zeros({}, DType::Int64));
  }
}

Tensor BatchNorm::forward(const Tensor& x) {
  const std::string op = str_cat("nn.", type_name());
  FNX_CHECK((x.dim() == rank_a_ || x.dim() == rank_b_) &&
                x.size(1) == num_features_,
            op, "expected input of rank ", rank_a_,
            rank_a_ == rank_b_ ? std::string() : str_cat(" or ", rank_b_),
            " with ", num_features_, " channels in dim 1, got shape ",
            shape_str(x.shape()));
  const bool affine = has_param("weight");
  const Tensor w = affine ? param("weight") : Tensor();
  const Tensor b = affine ? param("bias") : Tensor();
  const bool tracking = find_tensor("running_mean") != nullptr;
  if (!is_training() && tracking) {
    return batch_norm(x, buffer("running_mean"), buffer("running_var"), w, b,
                      /*training=*/false, options_.eps);
  }
  const Tensor y =
      batch_norm(x, Tensor(), Tensor(), w, b, /*training=*/true, options_.eps);
  if (is_training() && tracking) update_running_stats(x, op);
  return y;
}

void BatchNorm::update_running_stats(const Tensor& x, const std::string& op) {
  Tensor& rm = *find_tensor("running_mean");
  Tensor& rv = *find_tensor("running_var");
  Tensor& count = *find_tensor("num_batches_tracked");
  // Every example of the vmap levels that batch x but not the buffer, with
  // no gradient; x itself (detached) outside vmap.
  const Tensor for_mean = vmap_all_gather(x, rm, op.c_str());
  const Tensor for_var = vmap_all_gather(x, rv, op.c_str());
  const double m = options_.momentum;
  const Tensor batch_mean = mean(for_mean, all_but_channel(for_mean, x));
  const Tensor batch_var =
      var(for_var, all_but_channel(for_var, x), /*correction=*/1);
  rm.copy_(rm * (1 - m) + batch_mean * m);
  rv.copy_(rv * (1 - m) + batch_var * m);
  count.copy_(count + scalar_like(1, count));
}

void BatchNorm::stop_tracking_running_stats() {
  unregister_buffer("running_mean");
  unregister_buffer("running_var");
  unregister_buffer("num_batches_tracked");
  options_.track_running_stats = false;
}

void replace_all_batch_norm_modules_(Module& root) {
  for (const auto& [name, module] : root.named_modules()) {
    if (auto* bn = dynamic_cast<BatchNorm*>(module)) {
      bn->stop_tracking_running_stats();
    }
  }
}

GroupNorm::GroupNorm(int64_t num_groups, int64_t num_channels,
                     GroupNormOptions options)
    : Module("GroupNorm"),
      num_groups_(num_groups),
      num_channels_(num_channels),
      eps_(options.eps) {
  FNX_CHECK(num_groups > 0 && num_channels % num_groups == 0, "nn.GroupNorm",
            "num_groups (", num_groups, ") must divide num_channels (",
            num_channels, ")");
  if (options.affine) {
    register_parameter("weight", ones({num_channels}, options.dtype));
    register_parameter("bias", zeros({num_channels}, options.dtype));
  }
}

Tensor GroupNorm::forward(const Tensor& x) {
  FNX_CHECK(x.dim() >= 2 && x.size(1) == num_channels_, "nn.GroupNorm",
            "expected (N, ", num_channels_, ", ...) input, got shape ",
            shape_str(x.shape()));
  const int64_t n = x.size(0);
  const Tensor grouped = reshape(x, {n, num_groups_, -1});
  const Tensor mu = mean(grouped, {2}, /*keepdim=*/true);
  const Tensor v = var(grouped, {2}, /*correction=*/0, /*keepdim=*/true);
  Tensor y = reshape((grouped - mu) * rsqrt(v + eps_), x.shape());
  if (has_param("weight")) {
    Shape channel_shape(static_cast<std::size_t>(x.dim()), 1);
    channel_shape[1] = num_channels_;
    y = y * reshape(param("weight"), channel_shape) +
        reshape(param("bias"), channel_shape);
  }
  return y;
}

}  // namespace fnx::nn
