#include "nn/layers.h"

#include <cmath>
#include <string>
#include <utility>

#include "core/error.h"
#include "core/str_cat.h"

namespace fnx::nn {
namespace {

// U(-bound, bound) with bound = 1/sqrt(fan_in): torch's kaiming_uniform_
// with a = sqrt(5) for weights and its bias rule.
Tensor fan_in_uniform(const Shape& shape, int64_t fan_in, DType dtype,
                      Generator& gen) {
  const double bound = fan_in > 0 ? 1.0 / std::sqrt(double(fan_in)) : 0.0;
  return uniform(shape, -bound, bound, dtype, &gen);
}

}  // namespace

Linear::Linear(int64_t in_features, int64_t out_features, Generator& gen,
               LinearOptions options)
    : Module("Linear"), in_features_(in_features) {
  FNX_CHECK(in_features >= 0 && out_features >= 0, "nn.Linear",
            "feature counts must be non-negative, got ", in_features, " and ",
            out_features);
  register_parameter("weight", fan_in_uniform({out_features, in_features},
                                              in_features, options.dtype, gen));
  if (options.bias) {
    register_parameter("bias", fan_in_uniform({out_features}, in_features,
                                              options.dtype, gen));
  }
}

Tensor Linear::forward(const Tensor& x) {
  FNX_CHECK(x.dim() >= 1 && x.size(-1) == in_features_, "nn.Linear",
            "expected input with last dim ", in_features_, ", got shape ",
            shape_str(x.shape()));
  return linear(x, param("weight"),
                has_param("bias") ? param("bias") : Tensor());
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, Shape kernel_size,
               Generator& gen, Conv2dOptions options)
    : Module("Conv2d"), in_channels_(in_channels) {
  FNX_CHECK(kernel_size.size() == 2, "nn.Conv2d",
            "kernel_size must have 2 entries, got ", shape_str(kernel_size));
  FNX_CHECK(options.groups >= 1 && in_channels % options.groups == 0 &&
                out_channels % options.groups == 0,
            "nn.Conv2d", "groups (", options.groups,
            ") must divide in_channels (", in_channels, ") and out_channels (",
            out_channels, ")");
  conv_ = ConvOptions{options.stride, options.padding, options.dilation,
                      options.groups};
  const int64_t per_group = in_channels / options.groups;
  const int64_t fan_in = per_group * kernel_size[0] * kernel_size[1];
  register_parameter("weight", fan_in_uniform({out_channels, per_group,
                                               kernel_size[0], kernel_size[1]},
                                              fan_in, options.dtype, gen));
  if (options.bias) {
    register_parameter(
        "bias", fan_in_uniform({out_channels}, fan_in, options.dtype, gen));
  }
}

Tensor Conv2d::forward(const Tensor& x) {
  FNX_CHECK(
      (x.dim() == 4 || x.dim() == 3) && x.size(x.dim() - 3) == in_channels_,
      "nn.Conv2d", "expected (N, ", in_channels_, ", H, W) or (", in_channels_,
      ", H, W) input, got shape ", shape_str(x.shape()));
  return conv2d(x, param("weight"),
                has_param("bias") ? param("bias") : Tensor(), conv_);
}

Conv1d::Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
               Generator& gen, Conv1dOptions options)
    : Module("Conv1d"), in_channels_(in_channels) {
  FNX_CHECK(options.groups >= 1 && in_channels % options.groups == 0 &&
                out_channels % options.groups == 0,
            "nn.Conv1d", "groups (", options.groups,
            ") must divide in_channels (", in_channels, ") and out_channels (",
            out_channels, ")");
  conv_ = ConvOptions{
      {options.stride}, {options.padding}, {options.dilation}, options.groups};
  const int64_t per_group = in_channels / options.groups;
  const int64_t fan_in = per_group * kernel_size;
  register_parameter(
      "weight", fan_in_uniform({out_channels, per_group, kernel_size}, fan_in,
                               options.dtype, gen));
  if (options.bias) {
    register_parameter(
        "bias", fan_in_uniform({out_channels}, fan_in, options.dtype, gen));
  }
}

Tensor Conv1d::forward(const Tensor& x) {
  FNX_CHECK(
      (x.dim() == 3 || x.dim() == 2) && x.size(x.dim() - 2) == in_channels_,
      "nn.Conv1d", "expected (N, ", in_channels_, ", L) or (", in_channels_,
      ", L) input, got shape ", shape_str(x.shape()));
  return conv1d(x, param("weight"),
                has_param("bias") ? param("bias") : Tensor(), conv_);
}

Tensor Flatten::forward(const Tensor& x) { return flatten(x, start_, end_); }

Pool::Pool(std::string type_name, int64_t rank, bool max, Shape kernel_size,
           Shape stride, Shape padding)
    : Module(std::move(type_name)), rank_(rank), max_(max) {
  const std::string op = "nn." + this->type_name();
  FNX_CHECK(static_cast<int64_t>(kernel_size.size()) == rank_, op,
            "kernel_size must have ", rank_, " entries, got ",
            shape_str(kernel_size));
  options_.kernel = std::move(kernel_size);
  options_.stride = std::move(stride);
  options_.padding = std::move(padding);
}

Tensor Pool::forward(const Tensor& x) {
  FNX_CHECK(x.dim() == rank_ + 2 || x.dim() == rank_ + 1, "nn." + type_name(),
            "expected (N, C, *spatial) or (C, *spatial)", " input with ", rank_,
            " spatial dims, got shape ", shape_str(x.shape()));
  switch (rank_) {
    case 1:
      return max_ ? max_pool1d(x, options_) : avg_pool1d(x, options_);
    case 2:
      return max_ ? max_pool2d(x, options_) : avg_pool2d(x, options_);
    default:
      return max_ ? max_pool3d(x, options_) : avg_pool3d(x, options_);
  }
}

Dropout::Dropout(double p, Generator& gen)
    : Module("Dropout"), p_(p), gen_(&gen) {
  FNX_CHECK(p >= 0 && p <= 1, "nn.Dropout", "p must be in [0, 1], got ", p);
}

Tensor Dropout::forward(const Tensor& x) {
  return dropout(x, p_, is_training(), gen_);
}

LayerNorm::LayerNorm(Shape normalized_shape, LayerNormOptions options)
    : Module("LayerNorm"),
      normalized_shape_(std::move(normalized_shape)),
      eps_(options.eps) {
  if (options.elementwise_affine) {
    register_parameter("weight", ones(normalized_shape_, options.dtype));
    register_parameter("bias", zeros(normalized_shape_, options.dtype));
  }
}

Tensor LayerNorm::forward(const Tensor& x) {
  const int64_t n = static_cast<int64_t>(normalized_shape_.size());
  bool ok = x.dim() >= n;
  for (int64_t i = 0; ok && i < n; ++i) {
    ok = x.size(x.dim() - n + i) == normalized_shape_[i];
  }
  FNX_CHECK(ok, "nn.LayerNorm", "expected input ending in ",
            shape_str(normalized_shape_), ", got shape ", shape_str(x.shape()));
  const bool affine = has_param("weight");
  return layer_norm(x, normalized_shape_, affine ? param("weight") : Tensor(),
                    affine ? param("bias") : Tensor(), eps_);
}

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim,
                     Generator& gen, DType dtype)
    : Module("Embedding"), num_embeddings_(num_embeddings) {
  register_parameter(
      "weight", normal({num_embeddings, embedding_dim}, 0.0, 1.0, dtype, &gen));
}

Tensor Embedding::forward(const Tensor& indices) {
  FNX_CHECK(!is_floating(indices.dtype()), "nn.Embedding",
            "indices must be integers, got ", dtype_name(indices.dtype()));
  return embedding(param("weight"), indices);
}

Sequential::Sequential(std::vector<std::shared_ptr<Module>> modules)
    : Module("Sequential") {
  for (auto& m : modules) push_back(std::move(m));
}

void Sequential::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(size()), std::move(module));
}

Module& Sequential::operator[](std::size_t i) const {
  FNX_CHECK(i < size(), "nn.Sequential", "index ", i, " out of range for ",
            size(), " modules");
  return *named_children()[i].second;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& [name, m] : named_children()) y = m->forward(y);
  return y;
}

}  // namespace fnx::nn
