// The public op API. Primitive ops build an OpCall and go through
// dispatch(); composite ops are written only in other public ops, so every
// transform supports them with no rule of their own.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/generator.h"
#include "core/ops/linalg.h"
#include "core/ops/resample.h"
#include "core/ops/sort.h"
#include "core/tensor.h"

namespace fnx {

// ---------------- factories ----------------
Tensor zeros(const Shape& shape, DType dtype = DType::Float32,
             Device device = {});
Tensor ones(const Shape& shape, DType dtype = DType::Float32,
            Device device = {});
Tensor full(const Shape& shape, double value, DType dtype = DType::Float32,
            Device device = {});
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
Tensor scalar_tensor(double value, DType dtype = DType::Float32,
                     Device device = {});
// [start, stop) with step; dtype Int64 unless given.
Tensor arange(int64_t stop, DType dtype = DType::Int64, Device device = {});
// arange(6.0): a floating stop gives a floating range (Float32 unless
// given), as torch.
template <typename T>
requires std::is_floating_point_v<T> Tensor arange(T stop,
                                                   DType dtype = DType::Float32,
                                                   Device device = {});
Tensor arange(double start, double stop, double step = 1,
              DType dtype = DType::Float32, Device device = {});
Tensor linspace(double start, double stop, int64_t steps,
                DType dtype = DType::Float32, Device device = {});
Tensor eye(int64_t n, DType dtype = DType::Float32, Device device = {});
Tensor eye(int64_t n, int64_t m, DType dtype = DType::Float32,
           Device device = {});
// From host data (copied), with the given shape (default: 1-d).
Tensor from_vector(const std::vector<double>& values, const Shape& shape,
                   DType dtype = DType::Float32, Device device = {});
Tensor from_vector(const std::vector<double>& values,
                   DType dtype = DType::Float32);
Tensor from_vector(const std::vector<int64_t>& values, const Shape& shape,
                   DType dtype = DType::Int64, Device device = {});
// A braced list: from_vector({1.0, 3.0}, {2}, DType::Float64). Floating
// values give Float32 unless told, integers Int64.
template <typename T>
requires std::is_arithmetic_v<T> Tensor from_vector(
    std::initializer_list<T> values, const Shape& shape,
    DType dtype = std::is_floating_point_v<T> ? DType::Float32 : DType::Int64,
    Device device = {});

// ---------------- randomness (Philox; see core/generator.h) ----------------
Tensor rand(const Shape& shape, DType dtype = DType::Float32,
            Generator* gen = nullptr, Device device = {});
Tensor randn(const Shape& shape, DType dtype = DType::Float32,
             Generator* gen = nullptr, Device device = {});
Tensor uniform(const Shape& shape, double low, double high,
               DType dtype = DType::Float32, Generator* gen = nullptr,
               Device device = {});
Tensor normal(const Shape& shape, double mean, double std,
              DType dtype = DType::Float32, Generator* gen = nullptr,
              Device device = {});
// Integers in [low, high).
Tensor randint(int64_t low, int64_t high, const Shape& shape,
               DType dtype = DType::Int64, Generator* gen = nullptr,
               Device device = {});
// 1 with probability p (elementwise), else 0, in p's dtype.
Tensor bernoulli(const Tensor& p, Generator* gen = nullptr);
Tensor bernoulli(const Shape& shape, double p, DType dtype = DType::Float32,
                 Generator* gen = nullptr, Device device = {});

// What clamp's tensor bounds may be given as.
template <typename T>
concept TensorBound = std::same_as<T, Tensor> ||
                      std::same_as<T, std::optional<Tensor>> ||
                      std::same_as<T, std::nullopt_t>;

// ---------------- unary elementwise ----------------
Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);  // the Logistic primitive
Tensor erf(const Tensor& x);
Tensor tan(const Tensor& x);
Tensor asin(const Tensor& x);
Tensor acos(const Tensor& x);
Tensor atan(const Tensor& x);
Tensor sinh(const Tensor& x);
Tensor cosh(const Tensor& x);
Tensor asinh(const Tensor& x);
Tensor acosh(const Tensor& x);
Tensor atanh(const Tensor& x);
Tensor log2(const Tensor& x);
Tensor log10(const Tensor& x);
Tensor exp2(const Tensor& x);
Tensor lgamma(const Tensor& x);   // log |gamma(x)|
Tensor digamma(const Tensor& x);  // d/dx lgamma(x)
Tensor erfinv(const Tensor& x);   // the inverse of erf on (-1, 1)
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
// Halves to even (round(2.5) = 2), as torch and NumPy.
Tensor round(const Tensor& x);
Tensor trunc(const Tensor& x);  // toward zero
Tensor logical_not(const Tensor& x);
// composites
Tensor square(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor gelu(const Tensor& x);  // exact (erf) form
Tensor softplus(const Tensor& x);
Tensor silu(const Tensor& x);
Tensor clamp(const Tensor& x, std::optional<double> min,
             std::optional<double> max);
// clamp with tensor bounds, broadcast against x (std::nullopt = unbounded;
// at least one given). A template so that clamp(x, 0.0, 1.0) still means
// the double overload (a double converts to Tensor implicitly).
template <typename Min, typename Max>
requires TensorBound<Min> && TensorBound<Max>
Tensor clamp(const Tensor& x, const Min& min, const Max& max);
// The same with bounds chosen at run time.
Tensor clamp_tensor(const Tensor& x, const std::optional<Tensor>& min,
                    const std::optional<Tensor>& max);
// NaN, +inf and -inf replaced (defaults: 0 and the dtype's largest and
// lowest finite values); integer and bool tensors are returned as they are.
Tensor nan_to_num(const Tensor& x, double nan = 0,
                  std::optional<double> posinf = std::nullopt,
                  std::optional<double> neginf = std::nullopt);

// ---------------- binary elementwise (broadcasting) ----------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// Float-only binaries (integers promote to float32, as div).
Tensor atan2(const Tensor& a, const Tensor& b);  // the angle of (b, a)
Tensor hypot(const Tensor& a, const Tensor& b);  // sqrt(a^2 + b^2), no overflow
// a - b trunc(a / b): the sign of a (C's fmod).
Tensor fmod(const Tensor& a, const Tensor& b);
// a - b floor(a / b): the sign of b (Python's %, torch.remainder).
Tensor remainder(const Tensor& a, const Tensor& b);
// The n-th derivative of digamma (n >= 0; polygamma(0, x) = digamma(x)).
// The tensor form (n of whole numbers, broadcast) is the primitive's.
Tensor polygamma(int64_t n, const Tensor& x);
Tensor polygamma(const Tensor& n, const Tensor& x);
// log(exp(a) + exp(b)), as max(a, b) + log1p(exp(-|a - b|)): no overflow.
Tensor logaddexp(const Tensor& a, const Tensor& b);
// x * log(y), 0 where x == 0 (unless y is NaN), as torch.xlogy.
Tensor xlogy(const Tensor& x, const Tensor& y);
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// A double branch is a weak scalar (scalar_like the tensor branch); with two
// doubles the result has `dtype` (torch.where(cond, 1.0, 0.0)).
Tensor where(const Tensor& cond, const Tensor& a, double b);
Tensor where(const Tensor& cond, double a, const Tensor& b);
Tensor where(const Tensor& cond, double a, double b,
             DType dtype = DType::Float32);
Tensor cast(const Tensor& x, DType dtype);

// Operators. A double operand is a "weak" scalar: it takes the tensor's
// dtype when that is floating (x * 2.0 stays float32), as in torch.
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor pow(const Tensor& a, double exponent);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, double b);
Tensor operator>(const Tensor& a, double b);
// A scalar operand as a 0-d tensor matching `like` (weak typing).
Tensor scalar_like(double value, const Tensor& like);

// ---------------- reductions ----------------
// Empty dims = reduce all dims.
Tensor sum(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor amax(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim = false);
// composites
Tensor mean(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
// correction: 1 = unbiased (torch's default), 0 = population.
Tensor var(const Tensor& x, const Dims& dims = {}, int64_t correction = 1,
           bool keepdim = false);
Tensor std(const Tensor& x, const Dims& dims = {}, int64_t correction = 1,
           bool keepdim = false);
Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim = false);
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
Tensor norm(const Tensor& x);  // Frobenius / 2-norm of all elements

// ---------------- views (share storage) ----------------
// shape may hold one -1. Copies only when the strides cannot express it.
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor permute(const Tensor& x, const Dims& perm);
Tensor expand(const Tensor& x, const Shape& shape);  // -1 keeps a dim
Tensor broadcast_to(const Tensor& x, const Shape& shape);
// Python-style bounds: negative start/stop count from the end, clamped.
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t stop,
             int64_t step = 1);
// composites of the view primitives (still views)
Tensor transpose(const Tensor& x, int64_t d0, int64_t d1);
Tensor select(const Tensor& x, int64_t dim, int64_t index);
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor flatten(const Tensor& x, int64_t start = 0, int64_t end = -1);
Tensor movedim(const Tensor& x, int64_t from, int64_t to);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
// base with slice(base, dim, start, stop, step) replaced by src (broadcast
// and cast to it), out of place (torch.slice_scatter).
Tensor slice_scatter(const Tensor& base, const Tensor& src, int64_t dim,
                     int64_t start, int64_t stop, int64_t step = 1);

// ---------------- shape ops that copy ----------------
Tensor cat(const std::vector<Tensor>& xs, int64_t dim = 0);
// pads: per dim from the LAST dim backwards, (lo, hi) pairs, as torch's F.pad.
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value = 0);
Tensor stack(const std::vector<Tensor>& xs, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes,
                          int64_t dim = 0);
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);
std::vector<Tensor> unbind(const Tensor& x, int64_t dim = 0);
// Composites over index_select, slice, cat, expand and reshape
// (core/ops/tensor_composites.cc), as torch spells them.
Tensor flip(const Tensor& x, const Dims& dims);
// Rolls dims[i] by shifts[i]; with no dims, the flattened tensor by the one
// shift, reshaped back.
Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts,
            const Dims& dims = {});
// torch.Tensor.repeat: tiles x sizes[i] times along dim i (sizes may have
// more entries than x has dims: x gains leading dims of size 1).
Tensor repeat(const Tensor& x, const Shape& sizes);
// Each element `repeats` times along dim (no dim: over the flattened x).
Tensor repeat_interleave(const Tensor& x, int64_t repeats,
                         std::optional<int64_t> dim = std::nullopt);
// Element i of dim `repeats[i]` times (repeats an int tensor of x's size
// along dim, or of one element). output_size must equal sum(repeats) (it
// is checked): shapes are static, so vmap can batch it.
Tensor repeat_interleave(const Tensor& x, const Tensor& repeats,
                         std::optional<int64_t> dim, int64_t output_size);
// Coordinate grids of 1-d (or 0-d) tensors; indexing "ij" (matrix) or "xy"
// (Cartesian: the first two output dims swapped). The results are views.
std::vector<Tensor> meshgrid(const std::vector<Tensor>& tensors,
                             std::string_view indexing = "ij");

// ---------------- indexing ----------------
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// out = x, then out[index[i][j]][j] += src[i][j] (dim 0), as torch.
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index,
                   const Tensor& src);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index,
                 const Tensor& src);
Tensor one_hot(const Tensor& index, int64_t num_classes,
               DType dtype = DType::Float32);
// The first `size` elements of x where mask (x and mask broadcast) is true,
// in row-major order, padded with `fill` when fewer are selected: a static
// size in place of torch's data-dependent one (under vmap each example
// selects its own).
Tensor masked_select(const Tensor& x, const Tensor& mask, int64_t size,
                     double fill = 0);
// The positions of x's nonzero (true) elements in row-major order, one row
// of x.dim() int64 coordinates each, as torch.nonzero: shape (size, x.dim()),
// the rows past the nonzero count set to `fill` (jnp.nonzero's size and
// fill_value, so that the shape is static and vmap batches it).
Tensor nonzero(const Tensor& x, int64_t size, int64_t fill = 0);

// ---------------- linear algebra ----------------
// torch.matmul semantics: 1-d operands are promoted and the added dim
// removed; batch dims broadcast.
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor dot(const Tensor& a, const Tensor& b);  // 1-d . 1-d
Tensor mv(const Tensor& m, const Tensor& v);
Tensor mm(const Tensor& a, const Tensor& b);   // 2-d only
Tensor bmm(const Tensor& a, const Tensor& b);  // 3-d only, equal batches
Tensor outer(const Tensor& a, const Tensor& b);
// y = x W^T + b, W of shape (out, in); bias may be undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = {});
// torch.einsum's grammar: "ij,jk->ik", implicit output (the labels used
// once, alphabetically), repeated labels in one operand (its diagonal),
// "..." broadcasting (dims under "..." that an explicit output leaves out
// are summed). Contracts pairwise, smallest intermediate first, each
// pair as one batched matmul (core/ops/einsum.cc).
Tensor einsum(std::string_view equation, const std::vector<Tensor>& operands);
// Contracts the last `dims` dims of a with the first `dims` of b, or the
// listed dims pairwise.
Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims = 2);
Tensor tensordot(const Tensor& a, const Tensor& b, const Dims& dims_a,
                 const Dims& dims_b);
// Kronecker product (ranks padded with leading 1s to the larger).
Tensor kron(const Tensor& a, const Tensor& b);
// The 3-vector cross product along dim (a and b broadcast), as
// torch.linalg.cross.
Tensor cross(const Tensor& a, const Tensor& b, int64_t dim = -1);

// ---------------- convolution and pooling ----------------
struct ConvOptions {
  Shape stride = {}, padding = {}, dilation = {};  // empty = 1 / 0 / 1 for all
  int64_t groups = 1;
};
// Input (N, C_in, L) / (N, C_in, H, W), or unbatched without N.
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = {},
              const ConvOptions& options = {});
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {},
              const ConvOptions& options = {});
// The N-d primitive: (N, C, *spatial), weight (C_out, C_in/groups, *kernel).
Tensor conv(const Tensor& x, const Tensor& weight, const ConvOptions& options);
// Its two transposes (what conv's VJP uses).
Tensor conv_input_grad(const Tensor& grad_out, const Tensor& weight,
                       const Shape& input_shape, const ConvOptions& options);
Tensor conv_weight_grad(const Tensor& x, const Tensor& grad_out,
                        const Shape& weight_shape, const ConvOptions& options);
struct PoolOptions {
  Shape kernel;
  Shape stride = {};  // empty = kernel
  Shape padding = {}, dilation = {};
};
// Patches: (N, C, *spatial) -> (N, C, prod(kernel), *out_spatial).
Tensor unfold(const Tensor& x, const PoolOptions& options,
              double pad_value = 0);
Tensor fold(const Tensor& patches, const Shape& input_spatial,
            const PoolOptions& options);
// Pooling over 1, 2 or 3 spatial dims: input (N, C, *spatial) or unbatched
// (C, *spatial). Max pooling never selects padding; its gradient goes to
// the first maximum of each window (as torch). Average pooling counts
// padding in the divisor (count_include_pad = true).
Tensor max_pool1d(const Tensor& x, const PoolOptions& options);
Tensor max_pool2d(const Tensor& x, const PoolOptions& options);
Tensor max_pool3d(const Tensor& x, const PoolOptions& options);
Tensor avg_pool1d(const Tensor& x, const PoolOptions& options);
Tensor avg_pool2d(const Tensor& x, const PoolOptions& options);
Tensor avg_pool3d(const Tensor& x, const PoolOptions& options);
// The max-pooling primitives, N-d over (N, C, *spatial): `values` (x's
// shape) at each window's argmax of x, first maximum on ties, NaN counting
// as the maximum (max pooling is max_pool_select(x, x)); and the transpose,
// grad_out (the pooled shape) added at those places of a zero tensor of
// x's shape.
Tensor max_pool_select(const Tensor& x, const Tensor& values,
                       const PoolOptions& options);
Tensor max_pool_scatter(const Tensor& x, const Tensor& grad_out,
                        const PoolOptions& options);

// ---------------- neural-network functions ----------------
// sum(a * b, dim) / sqrt(max(|a|^2 |b|^2, eps^2)) with a and b broadcast,
// as torch.nn.functional.cosine_similarity.
Tensor cosine_similarity(const Tensor& a, const Tensor& b, int64_t dim = 1,
                         double eps = 1e-8);
Tensor mse_loss(const Tensor& input, const Tensor& target);  // mean reduction
// log_probs (N, C) or (C), target integer class ids (N) or ().
Tensor nll_loss(const Tensor& log_probs, const Tensor& target);
Tensor cross_entropy(const Tensor& logits, const Tensor& target);
// Connectionist temporal classification, as torch.nn.functional.ctc_loss:
// log_probs (T, N, C) (log-softmax over C), targets (N, S) int class ids
// (padded; entries past target_lengths ignored), input_lengths and
// target_lengths (N) ints. -log of the total probability of all alignments,
// by the forward (alpha) recursion in log space over time, written in
// public ops so that every transform differentiates and batches it.
// reduction: "mean" (each loss divided by its target length, then the mean
// over the batch), "sum" or "none". An impossible alignment gives +inf.
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets,
                const Tensor& input_lengths, const Tensor& target_lengths,
                int64_t blank = 0, std::string_view reduction = "mean");
// Zeroes with probability p and scales by 1/(1-p) when training.
Tensor dropout(const Tensor& x, double p, bool training = true,
               Generator* gen = nullptr);
// Normalizes over all dims but 1 using batch statistics (training) or the
// given running statistics; weight/bias/running stats may be undefined.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean,
                  const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double eps = 1e-5);
// Normalizes over the trailing dims given by normalized_shape.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape,
                  const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5);
Tensor embedding(const Tensor& weight, const Tensor& indices);

// ---------------- checks ----------------
// Throws fnx::Error "<message> (batch index [i, ...])" when an element of
// the bool tensor cond is false, naming the first index of its leading
// batch_rank dims that holds one (under vmap, the example); returns cond.
// For errors that depend on values, such as a singular matrix.
Tensor assert_all(const Tensor& cond, std::string message,
                  int64_t batch_rank = 0);

// ---------------- memory ----------------
Tensor contiguous(const Tensor& x);
Tensor clone(const Tensor& x);  // always a fresh contiguous copy
// Writes src (broadcast, cast) into dst in place; dst may be a view.
Tensor& copy_(Tensor& dst, const Tensor& src);

// ---------------- in place ----------------
// Each is its out-of-place op written back with copy_ (so every transform
// that handles copy_ handles them all). The destination may be a view: the
// memory it shares with its base changes (x.slice(0, 1, 3).mul_(2) changes
// x). The other operand broadcasts to the destination, never the reverse;
// a result of a kind the destination cannot hold (float into int) is an
// error. A transform may rebind the handle (see copy_).
Tensor& add_(Tensor& x, const Tensor& y);
Tensor& sub_(Tensor& x, const Tensor& y);
Tensor& mul_(Tensor& x, const Tensor& y);
Tensor& div_(Tensor& x, const Tensor& y);
Tensor& add_(Tensor& x, double y);
Tensor& sub_(Tensor& x, double y);
Tensor& mul_(Tensor& x, double y);
Tensor& div_(Tensor& x, double y);
Tensor& fill_(Tensor& x, double value);
Tensor& fill_(Tensor& x, const Tensor& value);  // a 0-d tensor
Tensor& zero_(Tensor& x);
Tensor& clamp_(Tensor& x, std::optional<double> min, std::optional<double> max);
Tensor& relu_(Tensor& x);
Tensor& masked_fill_(Tensor& x, const Tensor& mask, double value);
// x.index_add_(dim, index, src): x[.., index[i], ..] += src[.., i, ..].
Tensor& index_add_(Tensor& x, int64_t dim, const Tensor& index,
                   const Tensor& src);
// x[.., index[i], ..] = src[.., i, ..] (repeated indices: their sum; torch
// leaves that case unspecified).
Tensor& index_copy_(Tensor& x, int64_t dim, const Tensor& index,
                    const Tensor& src);
// x[index] = values along dim 0 (values broadcast to x[index]'s shape), or
// += with accumulate, as torch's x.index_put_((index,), values, accumulate).
Tensor& index_put_(Tensor& x, const Tensor& index, const Tensor& values,
                   bool accumulate = false);
Tensor& scatter_add_(Tensor& x, int64_t dim, const Tensor& index,
                     const Tensor& src);
Tensor to_device(const Tensor& x, Device device);

// The same values, seen by every differentiation transform as a constant
// (JAX's stop_gradient, torch's detach). Other transforms pass it through.
// The in-place op the user called (add_, mul_, fill_, ...) while its
// write-back (copy_) runs, for the errors transforms raise about the write;
// "copy_" outside every in-place op.
const char* inplace_op_name();
class InPlaceOpScope {
 public:
  explicit InPlaceOpScope(const char* name);
  ~InPlaceOpScope();
  InPlaceOpScope(const InPlaceOpScope&) = delete;
  InPlaceOpScope& operator=(const InPlaceOpScope&) = delete;

 private:
  const char* outer_;
};
Tensor stop_gradient(const Tensor& x);
inline Tensor detach(const Tensor& x) { return stop_gradient(x); }

// ---------------- comparison helpers ----------------
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5,
              double atol = 1e-8, bool equal_nan = false);
bool equal(const Tensor& a, const Tensor& b);  // same shape and values

template <typename Min, typename Max>
requires TensorBound<Min> && TensorBound<Max>
Tensor clamp(const Tensor& x, const Min& min, const Max& max) {
  return clamp_tensor(x, std::optional<Tensor>(min),
                      std::optional<Tensor>(max));
}

template <typename T>
requires std::is_floating_point_v<T> Tensor arange(T stop, DType dtype,
                                                   Device device) {
  return arange(0.0, static_cast<double>(stop), 1.0, dtype, device);
}

template <typename T>
requires std::is_arithmetic_v<T> Tensor
from_vector(std::initializer_list<T> values, const Shape& shape, DType dtype,
            Device device) {
  if constexpr (std::is_floating_point_v<T>) {
    return from_vector(std::vector<double>(values.begin(), values.end()), shape,
                       dtype, device);
  } else {
    return from_vector(std::vector<int64_t>(values.begin(), values.end()),
                       shape, dtype, device);
  }
}

}  // namespace fnx
