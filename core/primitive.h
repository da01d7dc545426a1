// The closed set of primitives. Every op in the public API is one of these
// or a composite written only in them, so every transform that has a rule
// per primitive supports every op. A primitive call is an OpCall: the
// primitive, its typed attributes and its tensor inputs.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/shape.h"

namespace fnx {

class Tensor;

// X(Name, family, arity) -- arity -1 means variadic.
#define FNX_PRIMITIVES(X)                 \
  /* unary elementwise */                 \
  X(Neg, Unary, 1)                        \
  X(Abs, Unary, 1)                        \
  X(Sign, Unary, 1)                       \
  X(Exp, Unary, 1)                        \
  X(Log, Unary, 1)                        \
  X(Log1p, Unary, 1)                      \
  X(Expm1, Unary, 1)                      \
  X(Sqrt, Unary, 1)                       \
  X(Rsqrt, Unary, 1)                      \
  X(Sin, Unary, 1)                        \
  X(Cos, Unary, 1)                        \
  X(Tanh, Unary, 1)                       \
  X(Logistic, Unary, 1)                   \
  X(Erf, Unary, 1)                        \
  X(Tan, Unary, 1)                        \
  X(Asin, Unary, 1)                       \
  X(Acos, Unary, 1)                       \
  X(Atan, Unary, 1)                       \
  X(Sinh, Unary, 1)                       \
  X(Cosh, Unary, 1)                       \
  X(Asinh, Unary, 1)                      \
  X(Acosh, Unary, 1)                      \
  X(Atanh, Unary, 1)                      \
  X(Log2, Unary, 1)                       \
  X(Log10, Unary, 1)                      \
  X(Exp2, Unary, 1)                       \
  X(Lgamma, Unary, 1)                     \
  X(Digamma, Unary, 1)                    \
  X(Erfinv, Unary, 1)                     \
  X(Floor, Unary, 1)                      \
  X(Ceil, Unary, 1)                       \
  X(Round, Unary, 1)                      \
  X(Trunc, Unary, 1)                      \
  X(LogicalNot, Unary, 1)                 \
  /* binary elementwise, broadcasting */  \
  X(Add, Binary, 2)                       \
  X(Sub, Binary, 2)                       \
  X(Mul, Binary, 2)                       \
  X(Div, Binary, 2)                       \
  X(Pow, Binary, 2)                       \
  X(Maximum, Binary, 2)                   \
  X(Minimum, Binary, 2)                   \
  X(Atan2, Binary, 2)                     \
  X(Hypot, Binary, 2)                     \
  X(Fmod, Binary, 2)                      \
  X(Remainder, Binary, 2)                 \
  /* polygamma(n, x): n a whole number */ \
  /* >= 0 as a tensor of x's dtype     */ \
  X(Polygamma, Binary, 2)                 \
  X(Eq, Compare, 2)                       \
  X(Ne, Compare, 2)                       \
  X(Lt, Compare, 2)                       \
  X(Le, Compare, 2)                       \
  X(Gt, Compare, 2)                       \
  X(Ge, Compare, 2)                       \
  X(LogicalAnd, Compare, 2)               \
  X(LogicalOr, Compare, 2)                \
  X(Where, Where, 3)                      \
  X(Cast, Cast, 1)                        \
  /* reductions over dims */              \
  X(Sum, Reduce, 1)                       \
  X(Amax, Reduce, 1)                      \
  X(Amin, Reduce, 1)                      \
  X(Argmax, ArgReduce, 1)                 \
  X(Argmin, ArgReduce, 1)                 \
  /* softmax, log(softmax) along a dim */ \
  X(Softmax, Softmax, 1)                  \
  X(LogSoftmax, Softmax, 1)               \
  /* running sum along a dim */           \
  X(Cumsum, Scan, 1)                      \
  /* running product, log-sum-exp */      \
  X(Cumprod, Scan, 1)                     \
  X(Logcumsumexp, Scan, 1)                \
  /* position of the running max/min */   \
  /* (int64; ties: the last position) */  \
  X(CummaxIndex, Scan, 1)                 \
  X(CumminIndex, Scan, 1)                 \
  /* stable sort order along a dim */     \
  /* (int64 indices)                  */  \
  X(Argsort, Sort, 1)                     \
  /* views: results share storage */      \
  X(Reshape, View, 1)                     \
  X(Permute, View, 1)                     \
  X(Expand, View, 1)                      \
  X(Slice, View, 1)                       \
  /* shape ops that copy */               \
  X(Cat, Cat, -1)                         \
  X(Pad, Pad, 1)                          \
  /* indexing */                          \
  X(Gather, Index, 2)                     \
  X(ScatterAdd, Index, 3)                 \
  X(IndexSelect, Index, 2)                \
  X(IndexAdd, Index, 3)                   \
  /* linear algebra and convolution */    \
  X(Matmul, Matmul, 2)                    \
  X(Conv, Conv, 2)                        \
  X(ConvInputGrad, Conv, 2)               \
  X(ConvWeightGrad, Conv, 2)              \
  X(Unfold, Unfold, 1)                    \
  X(Fold, Unfold, 1)                      \
  /* max pooling: select / scatter at */  \
  /* each window's argmax             */  \
  X(MaxPoolSelect, Pool, 2)               \
  X(MaxPoolScatter, Pool, 2)              \
  /* creation and randomness */           \
  X(Full, Creation, 0)                    \
  X(Iota, Creation, 0)                    \
  X(Uniform, Random, 0)                   \
  X(Normal, Random, 0)                    \
  /* memory */                            \
  X(Copy, Copy, 1)                        \
  X(CopyInto, Copy, 2)                    \
  /* a copy to another device */          \
  X(ToDevice, Transfer, 1)                \
  /* identity that differentiation sees */\
  /* as a constant (detach)            */ \
  X(StopGradient, Identity, 1)          \
  /* matrix decompositions over the    */ \
  /* trailing two dims (core/ops/linalg.h) */ \
  X(Cholesky, Linalg, 1)                  \
  X(TriangularSolve, Linalg, 2)           \
  X(Lu, Linalg, 1)                        \
  X(Qr, Linalg, 1)                        \
  X(Eigh, Linalg, 1)                      \
  X(Svd, Linalg, 1)                       \
  /* collectives over a process group  */ \
  /* (core/collective.h)               */ \
  X(AllReduce, Collective, 1)             \
  X(AllGather, Collective, 1)             \
  X(ReduceScatter, Collective, 1)         \
  X(Broadcast, Collective, 1)             \
  X(Ppermute, Collective, 1)              \
  /* a data-dependent check that throws */ \
  X(Assert, Assert, 1)                    \
  /* higher-order: a user function   */ \
  /* with its own rules (custom.h)   */ \
  X(CustomCall, HigherOrder, -1)

enum class Prim : uint16_t {
#define FNX_PRIM_ENUM(name, family, arity) name,
  FNX_PRIMITIVES(FNX_PRIM_ENUM)
#undef FNX_PRIM_ENUM
};

#define FNX_PRIM_COUNT(name, family, arity) +1
inline constexpr int kNumPrims = 0 FNX_PRIMITIVES(FNX_PRIM_COUNT);
#undef FNX_PRIM_COUNT

// Families group primitives that share a rule helper in every table.
enum class PrimFamily : uint8_t {
  Unary, Binary, Compare, Where, Cast, Reduce, ArgReduce, Softmax, Scan, Sort,
  View, Cat, Pad,
  Index, Matmul, Conv, Unfold, Pool, Creation, Random, Copy, Transfer,
  Identity, Linalg, Collective, Assert, HigherOrder
};

struct PrimInfo {
  std::string_view name;  // snake_case, as in error messages: "index_select"
  PrimFamily family;
  int arity;  // number of tensor inputs, -1 = variadic
};
const PrimInfo& prim_info(Prim prim);
inline std::string_view prim_name(Prim prim) { return prim_info(prim).name; }
inline Prim prim_at(int index) { return static_cast<Prim>(index); }
// Higher-order primitives carry functions in their attributes and may have
// several outputs: they go through dispatch_higher_order, and their
// "kernel" on every device is their body (core/custom_function.h).
inline bool is_higher_order(Prim prim) {
  return prim_info(prim).family == PrimFamily::HigherOrder;
}

// ---- Typed attributes, one struct per family that needs them ----

struct NoAttrs {};
struct CastAttrs {
  DType dtype;
};
// Sum/Amax/Amin: `dims` normalized and sorted (empty = none reduced).
// Argmax/Argmin: exactly one dim.
struct ReduceAttrs {
  Dims dims;
  bool keepdim = false;
};
// Reshape and Expand: the target shape (no -1 left; the op API resolves it).
struct ShapeAttrs {
  Shape shape;
};
struct PermuteAttrs {
  Dims perm;
};
// Slice: start/stop already clamped to [0, size], step >= 1.
struct SliceAttrs {
  int64_t dim = 0, start = 0, stop = 0, step = 1;
};
// Cat, Gather, ScatterAdd, IndexSelect, IndexAdd, Softmax, LogSoftmax.
struct DimAttrs {
  int64_t dim = 0;
};
// Cumsum: out[i] = sum of x[j] along `dim` for j <= i (reverse: j >= i).
// reverse is the transpose, which the VJP needs. Cumprod and Logcumsumexp
// scan the same way; CummaxIndex / CumminIndex give the position of the
// running max / min (the last of equal ones; a NaN sticks, as in torch).
struct ScanAttrs {
  int64_t dim = 0;
  bool reverse = false;
};
// Argsort: the permutation that sorts each fiber along `dim`, ascending or
// descending, always stable (equal values keep their order), NaN ordered
// above +inf (last ascending, first descending), as torch. With k >= 0 only
// its first k positions (the dim has size k in the result): topk, kthvalue
// and median select instead of sorting everything.
struct SortAttrs {
  int64_t dim = 0;
  bool descending = false;
  int64_t k = -1;  // -1: the whole permutation
};
// Pad: per-dim amounts before/after (full rank; may be negative, which crops).
struct PadAttrs {
  Shape lo, hi;
  double value = 0;
};
// Conv over the trailing spatial dims of (N, C, *spatial). For
// ConvInputGrad the inputs are (grad_out, weight) and `input_shape` is the
// forward input's shape; for ConvWeightGrad they are (input, grad_out) and
// `weight_shape` is the forward weight's shape.
struct ConvAttrs {
  Shape stride, padding, dilation;
  int64_t groups = 1;
  Shape input_shape, weight_shape;
};
// Unfold: (N, C, *spatial) -> (N, C, prod(kernel), *out_spatial), padding
// filled with pad_value. Fold is its transpose (sums overlapping patches)
// back to (N, C, *input_spatial). The Pool family uses the window geometry
// only (kernel, stride, padding, dilation; padding is never selected).
struct UnfoldAttrs {
  Shape kernel, stride, padding, dilation;
  double pad_value = 0;
  Shape input_spatial;
};
struct FullAttrs {
  Shape shape;
  DType dtype = DType::Float32;
  Device device;
  double value = 0;
};
// Iota: 0, 1, ..., n-1.
struct IotaAttrs {
  int64_t n = 0;
  DType dtype = DType::Int64;
  Device device;
};
// Uniform in [low, high) or Normal(mean = low, std = high) from a Philox
// stream at (seed, offset): the same numbers on every backend.
struct RandomAttrs {
  Shape shape;
  DType dtype = DType::Float32;
  Device device;
  uint64_t seed = 0, offset = 0;
  double low = 0, high = 1;
};

// ToDevice: where the copy goes (the source is the input's device).
struct DeviceAttrs {
  Device device;
};

// The Linalg family. Every input is (..., m, n) with leading batch dims (the
// inputs of one call have the same ones). Cholesky, Eigh and
// TriangularSolve read one triangle of their matrix argument only.
// Lu, Qr, Eigh and Svd have several results: they return them packed along
// one trailing axis, (..., total), each part flattened in row-major order
// (core/ops/linalg_parts.h unpacks them into views).
//   Cholesky(a): the factor L (A = L L^T, lower) or U (A = U^T U, upper),
//     zeros in the other triangle. A matrix that is not positive definite
//     gives NaN from the first failing column on (the op API checks).
//   TriangularSolve(a, b): X with op(T) X = B (left) or X op(T) = B,
//     T = the lower/upper triangle of a (ones on the diagonal when
//     unit_diagonal), op(T) = T or T^T (transpose).
//   Lu(a), a square: parts LU (n, n) (unit L below the diagonal, U on and
//     above), pivots (n) (LAPACK's 1-based row swaps) and perm (n) (row i
//     of P A = L U is row perm[i] of A), the last two as exact floats.
//   Qr(a): parts Q (m, k), R (k, n), k = min(m, n); with full_matrices Q
//     (m, m) and R (m, n).
//   Eigh(a): parts eigenvalues (n), ascending, and eigenvectors (n, n) as
//     columns.
//   Svd(a): parts U (m, k), S (k), descending, Vh (k, n); with
//     full_matrices U (m, m) and Vh (n, n).
struct LinalgAttrs {
  bool upper = false;          // Cholesky, TriangularSolve, Eigh: triangle
  bool left = true;            // TriangularSolve: op(T) X = B
  bool transpose = false;      // TriangularSolve: op(T) = T^T
  bool unit_diagonal = false;  // TriangularSolve
  bool full_matrices = false;  // Qr (complete), Svd
  // Eigh, Svd: how derivatives treat (nearly) repeated eigen- or singular
  // values. Negative (the default): exactly repeated values are fine for
  // losses of the values alone, and a loss that depends on the choice of
  // basis inside a repeated value's subspace is an fnx::Error. A tolerance
  // >= 0: values closer than it count as repeated and that basis-dependent
  // part of the derivative is dropped (set to zero) instead.
  double degenerate_tolerance = -1;
};

// Assert(cond): throws fnx::Error "<message> (batch index [i, j])" when an
// element of the bool tensor cond is false, naming the first of its leading
// `batch_rank` dims that holds one (the vmap rule adds its batch dim there);
// otherwise returns cond. The op API uses it for errors that depend on
// values (a singular matrix), so that they name the example under vmap.
struct AssertAttrs {
  std::string message;
  int64_t batch_rank = 0;
};

// The Collective family, over the processes of `group` (core/collective.h;
// the dist plugin makes groups). Every rank makes the same call.
//   AllReduce(x): `op` over the ranks' x, elementwise (Mean only for
//     floating point).
//   AllGather(x): the ranks' x concatenated along `dim` in rank order.
//   ReduceScatter(x): x's `dim` is size() blocks; rank r gets `op` (Sum or
//     Mean) over the ranks of block r.
//   Broadcast(x): root's x on every rank.
//   Ppermute(x): for each (source, destination) in `pairs`, destination
//     gets source's x; a rank no pair sends to gets zeros.
enum class ReduceOp : uint8_t { Sum, Mean, Max, Min };
class CommGroup;
struct CollectiveAttrs {
  std::shared_ptr<const CommGroup> group;
  ReduceOp op = ReduceOp::Sum;
  int64_t dim = 0;
  int root = 0;
  std::vector<std::pair<int, int>> pairs;
};

// CustomCall: the user's function and rules (core/custom_function.h).
struct CustomFunction;
struct CustomAttrs {
  std::shared_ptr<const CustomFunction> fn;
};

using Attrs = std::variant<NoAttrs, CastAttrs, ReduceAttrs, ShapeAttrs,
                           PermuteAttrs, SliceAttrs, DimAttrs, PadAttrs,
                           ConvAttrs, UnfoldAttrs, FullAttrs, IotaAttrs,
                           RandomAttrs, DeviceAttrs, LinalgAttrs,
                           AssertAttrs, CustomAttrs, ScanAttrs, SortAttrs,
                           CollectiveAttrs>;

struct OpCall {
  Prim prim;
  const Attrs& attrs;
  std::span<const Tensor> inputs;

  template <typename A>
  const A& attr() const {
    return std::get<A>(attrs);
  }
  std::string_view name() const { return prim_name(prim); }
};

// The result's metadata, computed by the primitive's shape/dtype rule.
struct OutMeta {
  Shape shape;
  DType dtype = DType::Float32;
  Device device;
};

// The shape/dtype rule of every primitive (core/ops/shape_rules.cc). It
// validates the call and throws fnx::Error naming the op, the shapes and
// what to do.
OutMeta infer_meta(const OpCall& call);

}  // namespace fnx
