// Neural-network composites: convolution front ends, pooling, losses,
// dropout, normalization and embedding, written only in public ops so
// every transform supports them.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {

namespace {

// A per-spatial-dim parameter: empty = `fallback` everywhere, one value =
// that value everywhere, else exactly `n` values.
Shape per_spatial(const Shape& values, int64_t n, int64_t fallback,
                  std::string_view op, std::string_view name) {
  if (values.empty()) return Shape(static_cast<size_t>(n), fallback);
  if (values.size() == 1) return Shape(static_cast<size_t>(n), values[0]);
  FNX_CHECK(static_cast<int64_t>(values.size()) == n, op, std::string(name),
            " must have 1 or ", n, " values, got ", shape_str(values));
  return values;
}

void check_at_least(const Shape& values, int64_t min, std::string_view op,
                    std::string_view name) {
  for (int64_t v : values) {
    FNX_CHECK(v >= min, op, std::string(name), " must be >= ", min,
              " in every dim, got ", shape_str(values));
  }
}

Tensor conv_nd(std::string_view op, const Tensor& x, const Tensor& weight,
               const Tensor& bias, const ConvOptions& options, int64_t n) {
  FNX_CHECK(x.dim() == n + 1 || x.dim() == n + 2, op, "expected a ", n + 1,
            "-D (unbatched) or ", n + 2, "-D (batched) input, got shape ",
            shape_str(x.shape()));
  FNX_CHECK(weight.dim() == n + 2, op, "expected a ", n + 2,
            "-D weight (C_out, C_in / groups, *kernel), got shape ",
            shape_str(weight.shape()));
  FNX_CHECK(options.groups >= 1, op, "groups must be positive, got ",
            options.groups);
  const bool batched = x.dim() == n + 2;
  Tensor xb = batched ? x : unsqueeze(x, 0);
  const int64_t c_in = xb.shape()[1];
  const int64_t c_out = weight.shape()[0];
  FNX_CHECK(c_in == weight.shape()[1] * options.groups, op, "input of shape ",
            shape_str(x.shape()), " has ", c_in,
            " channels but weight of "
            "shape ",
            shape_str(weight.shape()), " with groups = ", options.groups,
            " expects ", weight.shape()[1] * options.groups);
  FNX_CHECK(c_out % options.groups == 0, op, "weight of shape ",
            shape_str(weight.shape()), " has ", c_out,
            " output channels, "
            "not divisible by groups = ",
            options.groups);
  ConvOptions o;
  o.stride = per_spatial(options.stride, n, 1, op, "stride");
  o.padding = per_spatial(options.padding, n, 0, op, "padding");
  o.dilation = per_spatial(options.dilation, n, 1, op, "dilation");
  o.groups = options.groups;
  check_at_least(o.stride, 1, op, "stride");
  check_at_least(o.padding, 0, op, "padding");
  check_at_least(o.dilation, 1, op, "dilation");
  Tensor y = conv(xb, weight, o);
  if (bias.defined()) {
    FNX_CHECK(bias.dim() == 1 && bias.shape()[0] == c_out, op,
              "bias must have shape [", c_out,
              "] (one per output channel), "
              "got ",
              shape_str(bias.shape()));
    Shape bias_shape(static_cast<size_t>(n + 2), 1);
    bias_shape[1] = c_out;
    y = y + reshape(bias, bias_shape);
  }
  return batched ? y : squeeze(y, 0);
}

// The pooling input with `n` spatial dims, and fully spelled-out options.
PoolOptions pool_options(std::string_view op, const Tensor& x,
                         const PoolOptions& options, std::size_t n) {
  FNX_CHECK(x.dim() == static_cast<int64_t>(n) + 1 ||
                x.dim() == static_cast<int64_t>(n) + 2,
            op, "expected a ", n + 1, "-D (C, *spatial) or ", n + 2,
            "-D (N, C, *spatial) input, got shape ", shape_str(x.shape()));
  FNX_CHECK(!options.kernel.empty(), op, "kernel size must be given");
  PoolOptions o;
  o.kernel = per_spatial(options.kernel, n, 1, op, "kernel");
  o.stride = options.stride.empty()
                 ? o.kernel
                 : per_spatial(options.stride, n, 1, op, "stride");
  o.padding = per_spatial(options.padding, n, 0, op, "padding");
  o.dilation = per_spatial(options.dilation, n, 1, op, "dilation");
  check_at_least(o.kernel, 1, op, "kernel");
  check_at_least(o.stride, 1, op, "stride");
  check_at_least(o.padding, 0, op, "padding");
  check_at_least(o.dilation, 1, op, "dilation");
  for (std::size_t i = 0; i < n; ++i) {
    FNX_CHECK(o.padding[i] <= o.kernel[i] / 2, op, "padding ",
              shape_str(o.padding), " must be at most half of the kernel ",
              shape_str(o.kernel));
    const int64_t window = o.dilation[i] * (o.kernel[i] - 1) + 1;
    const int64_t padded = x.shape()[x.dim() - n + i] + 2 * o.padding[i];
    FNX_CHECK(window <= padded, op, "the pooling window (", window,
              " with dilation) is larger than the padded input (", padded,
              ") in spatial dim ", i, " of input ", shape_str(x.shape()));
  }
  return o;
}

// Max or average pooling with `n` spatial dims, batched or not.
Tensor pool_nd(std::string_view op, const Tensor& x, const PoolOptions& options,
               std::size_t n, bool max) {
  const PoolOptions o = pool_options(op, x, options, n);
  const bool batched = x.dim() == static_cast<int64_t>(n) + 2;
  Tensor xb = batched ? x : unsqueeze(x, 0);
  Tensor y = max ? max_pool_select(xb, xb, o) : mean(unfold(xb, o, 0), {2});
  return batched ? y : squeeze(y, 0);
}

void check_index_dtype(std::string_view op, const Tensor& t,
                       std::string_view what) {
  FNX_CHECK(t.dtype() == DType::Int64 || t.dtype() == DType::Int32, op,
            std::string(what), " must be an integer (int64) tensor, got ",
            std::string(dtype_name(t.dtype())), " of shape ",
            shape_str(t.shape()));
}

// Range check of class ids / rows when they are concrete CPU values (a
// cheap host read). Elsewhere the gather / index_select kernels check them.
void check_ids(std::string_view op, const Tensor& ids, int64_t bound,
               std::string_view what) {
  if (ids.is_wrapper() || ids.device().type != DeviceType::CPU) return;
  for (double v : ids.to_vector()) {
    FNX_CHECK(v >= 0 && v < static_cast<double>(bound), op, std::string(what),
              " ", static_cast<int64_t>(v),
              " is out of range (expected a "
              "value in [0, ",
              bound, "))");
  }
}

Tensor as_int64(const Tensor& t) {
  return t.dtype() == DType::Int64 ? t : cast(t, DType::Int64);
}

}  // namespace

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias,
              const ConvOptions& options) {
  return conv_nd("conv1d", x, weight, bias, options, 1);
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
              const ConvOptions& options) {
  return conv_nd("conv2d", x, weight, bias, options, 2);
}

Tensor max_pool1d(const Tensor& x, const PoolOptions& options) {
  return pool_nd("max_pool1d", x, options, 1, true);
}
Tensor max_pool2d(const Tensor& x, const PoolOptions& options) {
  return pool_nd("max_pool2d", x, options, 2, true);
}
Tensor max_pool3d(const Tensor& x, const PoolOptions& options) {
  return pool_nd("max_pool3d", x, options, 3, true);
}
Tensor avg_pool1d(const Tensor& x, const PoolOptions& options) {
  return pool_nd("avg_pool1d", x, options, 1, false);
}
Tensor avg_pool2d(const Tensor& x, const PoolOptions& options) {
  return pool_nd("avg_pool2d", x, options, 2, false);
}
Tensor avg_pool3d(const Tensor& x, const PoolOptions& options) {
  return pool_nd("avg_pool3d", x, options, 3, false);
}

// torch broadcasts different shapes with a warning (almost always a bug);
// fnx refuses them.
Tensor cosine_similarity(const Tensor& a, const Tensor& b, int64_t dim,
                         double eps) {
  FNX_CHECK(a.dim() > 0 || b.dim() > 0, "cosine_similarity",
            "needs a dim to reduce; got two 0-d tensors");
  const Tensor dot_ab = sum(a * b, {dim});
  const Tensor norms = sum(a * a, {dim}) * sum(b * b, {dim});
  // The clamp keeps zero vectors at similarity 0 (not NaN), as torch.
  return dot_ab / sqrt(clamp(norms, eps * eps, std::nullopt));
}

Tensor mse_loss(const Tensor& input, const Tensor& target) {
  FNX_CHECK(input.shape() == target.shape(), "mse_loss", "input shape ",
            shape_str(input.shape()), " and target shape ",
            shape_str(target.shape()),
            " differ; reshape one of them (for "
            "example squeeze a trailing size-1 dim)");
  return mean(square(input - target));
}

// log_probs (N, C, *d) with target (N, *d), or log_probs (C) with a 0-d
// target; mean of -log_probs[target].
namespace {

// Checks class-id targets against (C) or (N, C, ...) scores; `op` is the
// user-facing op (nll_loss or cross_entropy).
void check_class_target(std::string_view op, const Tensor& scores,
                        const Tensor& target) {
  check_index_dtype(op, target, "target");
  FNX_CHECK(scores.dim() >= 1, op,
            "scores must be (C) or (N, C, ...), got shape ",
            shape_str(scores.shape()));
  const int64_t class_dim = scores.dim() == 1 ? 0 : 1;
  Shape expected = scores.shape();
  expected.erase(expected.begin() + class_dim);
  FNX_CHECK(target.shape() == expected, op, "target shape ",
            shape_str(target.shape()), " does not match input shape ",
            shape_str(scores.shape()), " (expected target shape ",
            shape_str(expected), ")");
  check_ids(op, target, scores.shape()[class_dim], "target");
}

}  // namespace

Tensor nll_loss(const Tensor& log_probs, const Tensor& target) {
  check_class_target("nll_loss", log_probs, target);
  const int64_t class_dim = log_probs.dim() == 1 ? 0 : 1;
  Tensor index = unsqueeze(as_int64(target), class_dim);
  return neg(mean(gather(log_probs, class_dim, index)));
}

// Integer target: class ids (log_softmax + nll_loss). Floating target of
// the logits' shape: class probabilities, -sum(p * log_softmax) averaged
// over the batch, as torch.
Tensor cross_entropy(const Tensor& logits, const Tensor& target) {
  FNX_CHECK(logits.dim() >= 1, "cross_entropy",
            "logits must be (C) or "
            "(N, C, ...), got shape ",
            shape_str(logits.shape()));
  const int64_t class_dim = logits.dim() == 1 ? 0 : 1;
  if (!is_floating(target.dtype())) {
    check_class_target("cross_entropy", logits, target);
    return nll_loss(log_softmax(logits, class_dim), target);
  }
  Tensor log_probs = log_softmax(logits, class_dim);
  FNX_CHECK(target.shape() == logits.shape(), "cross_entropy",
            "probability target shape ", shape_str(target.shape()),
            " must equal logits shape ", shape_str(logits.shape()),
            " (or pass integer class ids)");
  return mean(neg(sum(target * log_probs, {class_dim})));
}

// p = 1 zeroes everything (as torch: x * 0).
Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
  FNX_CHECK(p >= 0 && p <= 1, "dropout",
            "probability p must be in [0, 1], "
            "got ",
            p);
  if (!training || p == 0) return x;
  FNX_CHECK(is_floating(x.dtype()), "dropout",
            "expected a floating input, "
            "got ",
            std::string(dtype_name(x.dtype())));
  if (p == 1) return x * 0.0;
  Tensor keep = bernoulli(x.shape(), 1 - p, x.dtype(), gen, x.device());
  return x * (keep * (1 / (1 - p)));
}

// Functional form: the running statistics are only read (when !training),
// never updated; nn::BatchNorm updates its buffers itself.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean,
                  const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double eps) {
  FNX_CHECK(x.dim() >= 2, "batch_norm",
            "expected an input of at least 2 "
            "dims (N, C, ...), got shape ",
            shape_str(x.shape()));
  const int64_t channels = x.shape()[1];
  for (const auto& [t, name] :
       {std::pair<const Tensor&, const char*>{running_mean, "running_mean"},
        {running_var, "running_var"},
        {weight, "weight"},
        {bias, "bias"}}) {
    FNX_CHECK(!t.defined() || (t.dim() == 1 && t.shape()[0] == channels),
              "batch_norm", name, " has shape ", shape_str(t.shape()),
              " but input ", shape_str(x.shape()), " has ", channels,
              " channels (expected shape [", channels, "])");
  }
  Dims dims;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d != 1) dims.push_back(d);
  }
  Shape stat_shape(static_cast<size_t>(x.dim()), 1);
  stat_shape[1] = channels;
  Tensor mu, sigma2;
  if (training) {
    FNX_CHECK(x.numel() == 0 || x.numel() / channels > 1, "batch_norm",
              "expected more than 1 value per channel when training, got "
              "input shape ",
              shape_str(x.shape()));
    mu = mean(x, dims, /*keepdim=*/true);
    sigma2 = var(x, dims, /*correction=*/0, /*keepdim=*/true);
  } else {
    FNX_CHECK(running_mean.defined() && running_var.defined(), "batch_norm",
              "running_mean and running_var are required when training is "
              "false; pass training = true to use batch statistics");
    mu = reshape(running_mean, stat_shape);
    sigma2 = reshape(running_var, stat_shape);
  }
  Tensor y = (x - mu) * rsqrt(sigma2 + eps);
  if (weight.defined()) y = y * reshape(weight, stat_shape);
  if (bias.defined()) y = y + reshape(bias, stat_shape);
  return y;
}

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape,
                  const Tensor& weight, const Tensor& bias, double eps) {
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  FNX_CHECK(k >= 1, "layer_norm",
            "normalized_shape must have at least 1 "
            "dim (input shape ",
            shape_str(x.shape()), ")");
  const int64_t lead = x.dim() - k;
  bool matches = lead >= 0;
  for (int64_t i = 0; matches && i < k; ++i) {
    matches = x.shape()[lead + i] == normalized_shape[i];
  }
  FNX_CHECK(matches, "layer_norm", "input shape ", shape_str(x.shape()),
            " does not end with normalized_shape ",
            shape_str(normalized_shape));
  for (const auto& [t, name] :
       {std::pair<const Tensor&, const char*>{weight, "weight"},
        {bias, "bias"}}) {
    FNX_CHECK(!t.defined() || t.shape() == normalized_shape, "layer_norm", name,
              " has shape ", shape_str(t.shape()), " but normalized_shape is ",
              shape_str(normalized_shape));
  }
  Dims dims;
  for (int64_t d = lead; d < x.dim(); ++d) dims.push_back(d);
  Tensor mu = mean(x, dims, /*keepdim=*/true);
  Tensor sigma2 = var(x, dims, /*correction=*/0, /*keepdim=*/true);
  Tensor y = (x - mu) * rsqrt(sigma2 + eps);
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

// weight (num_embeddings, dim), indices of any shape -> indices.shape + [dim].
Tensor embedding(const Tensor& weight, const Tensor& indices) {
  FNX_CHECK(weight.dim() == 2, "embedding",
            "weight must be 2-D "
            "(num_embeddings, embedding_dim), got shape ",
            shape_str(weight.shape()));
  check_index_dtype("embedding", indices, "indices");
  check_ids("embedding", indices, weight.shape()[0], "index");
  Tensor rows = index_select(weight, 0, reshape(as_int64(indices), {-1}));
  Shape out_shape = indices.shape();
  out_shape.push_back(weight.shape()[1]);
  return reshape(rows, out_shape);
}

}  // namespace fnx
