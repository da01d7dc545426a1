// Built-in layers, initialised as torch's defaults from an explicit
// Generator (Linear/Conv2d: kaiming-uniform weights with a = sqrt(5), i.e.
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for the bias;
// LayerNorm: ones and zeros; Embedding: N(0, 1)).
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/dtype.h"
#include "core/generator.h"
#include "core/ops/ops.h"
#include "core/shape.h"
#include "nn/module.h"

namespace fnx::nn {

struct LinearOptions {
  bool bias = true;
  DType dtype = DType::Float32;
};

// y = x W^T + b; weight (out, in), bias (out).
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, Generator& gen,
         LinearOptions options = {});
  // Initialized from the default generator (fnx::manual_seed seeds it).
  Linear(int64_t in_features, int64_t out_features, LinearOptions options = {})
      : Linear(in_features, out_features, default_generator(), options) {}
  Tensor forward(const Tensor& x) override;

 private:
  int64_t in_features_;
};

struct Conv2dOptions {
  Shape stride = {1, 1};
  Shape padding = {0, 0};
  Shape dilation = {1, 1};
  int64_t groups = 1;
  bool bias = true;
  DType dtype = DType::Float32;
};

// weight (out, in / groups, kh, kw), bias (out); input (N, C, H, W) or
// (C, H, W).
class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, Shape kernel_size,
         Generator& gen, Conv2dOptions options = {});
  Conv2d(int64_t in_channels, int64_t out_channels, Shape kernel_size,
         Conv2dOptions options = {})
      : Conv2d(in_channels, out_channels, std::move(kernel_size),
               default_generator(), std::move(options)) {}
  Tensor forward(const Tensor& x) override;

 private:
  int64_t in_channels_;
  ConvOptions conv_;
};

struct Conv1dOptions {
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t dilation = 1;
  int64_t groups = 1;
  bool bias = true;
  DType dtype = DType::Float32;
};

// weight (out, in / groups, k), bias (out); input (N, C, L) or (C, L).
class Conv1d : public Module {
 public:
  Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
         Generator& gen, Conv1dOptions options = {});
  Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
         Conv1dOptions options = {})
      : Conv1d(in_channels, out_channels, kernel_size, default_generator(),
               options) {}
  Tensor forward(const Tensor& x) override;

 private:
  int64_t in_channels_;
  ConvOptions conv_;
};

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& x) override { return relu(x); }
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& x) override { return tanh(x); }
};

class GELU : public Module {
 public:
  GELU() : Module("GELU") {}
  Tensor forward(const Tensor& x) override { return gelu(x); }
};

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& x) override { return sigmoid(x); }
};

// Flattens dims start..end (torch's default: all but the batch dim).
class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1)
      : Module("Flatten"), start_(start_dim), end_(end_dim) {}
  Tensor forward(const Tensor& x) override;

 private:
  int64_t start_, end_;
};

// Max or average pooling (average counts padding, torch's default) over 1,
// 2 or 3 spatial dims: input (N, C, *spatial) or (C, *spatial); stride
// empty = kernel. The classes below fix the kind and the rank.
class Pool : public Module {
 public:
  Tensor forward(const Tensor& x) override;

 protected:
  Pool(std::string type_name, int64_t rank, bool max, Shape kernel_size,
       Shape stride, Shape padding);

 private:
  int64_t rank_;
  bool max_;
  PoolOptions options_;
};

class MaxPool1d : public Pool {
 public:
  explicit MaxPool1d(Shape kernel_size, Shape stride = {}, Shape padding = {})
      : Pool("MaxPool1d", 1, true, kernel_size, stride, padding) {}
};
class MaxPool2d : public Pool {
 public:
  explicit MaxPool2d(Shape kernel_size, Shape stride = {}, Shape padding = {})
      : Pool("MaxPool2d", 2, true, kernel_size, stride, padding) {}
};
class MaxPool3d : public Pool {
 public:
  explicit MaxPool3d(Shape kernel_size, Shape stride = {}, Shape padding = {})
      : Pool("MaxPool3d", 3, true, kernel_size, stride, padding) {}
};
class AvgPool1d : public Pool {
 public:
  explicit AvgPool1d(Shape kernel_size, Shape stride = {}, Shape padding = {})
      : Pool("AvgPool1d", 1, false, kernel_size, stride, padding) {}
};
class AvgPool2d : public Pool {
 public:
  explicit AvgPool2d(Shape kernel_size, Shape stride = {}, Shape padding = {})
      : Pool("AvgPool2d", 2, false, kernel_size, stride, padding) {}
};
class AvgPool3d : public Pool {
 public:
  explicit AvgPool3d(Shape kernel_size, Shape stride = {}, Shape padding = {})
      : Pool("AvgPool3d", 3, false, kernel_size, stride, padding) {}
};

// Zeroes with probability p (scaling the rest by 1/(1-p)) in training mode;
// the identity in eval mode. Draws from `gen`, which must outlive it.
class Dropout : public Module {
 public:
  Dropout(double p, Generator& gen);
  // Draws from the default generator.
  explicit Dropout(double p) : Dropout(p, default_generator()) {}
  Tensor forward(const Tensor& x) override;

 private:
  double p_;
  Generator* gen_;
};

struct LayerNormOptions {
  double eps = 1e-5;
  bool elementwise_affine = true;
  DType dtype = DType::Float32;
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, LayerNormOptions options = {});
  Tensor forward(const Tensor& x) override;

 private:
  Shape normalized_shape_;
  double eps_;
};

// weight (num_embeddings, embedding_dim); input: integer indices.
class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim, Generator& gen,
            DType dtype = DType::Float32);
  Embedding(int64_t num_embeddings, int64_t embedding_dim,
            DType dtype = DType::Float32)
      : Embedding(num_embeddings, embedding_dim, default_generator(), dtype) {}
  Tensor forward(const Tensor& indices) override;

 private:
  int64_t num_embeddings_;
};

// Chains its submodules, named "0", "1", ...
class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  explicit Sequential(std::vector<std::shared_ptr<Module>> modules);
  void push_back(std::shared_ptr<Module> module);
  // A module by value (push_back(nn::Linear(4, 8))), moved in.
  template <typename M>
  requires std::derived_from<std::remove_cvref_t<M>, Module> &&
      (!std::is_lvalue_reference_v<M>)void push_back(M&& module) {
    push_back(std::static_pointer_cast<Module>(
        std::make_shared<std::remove_cvref_t<M>>(std::move(module))));
  }
  std::size_t size() const { return named_children().size(); }
  Module& operator[](std::size_t i) const;
  Tensor forward(const Tensor& x) override;
};

}  // namespace fnx::nn
