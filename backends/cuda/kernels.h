// The interface between the backend's host code (.cc, g++) and its device
// kernels (.cu, nvcc): plain structs and launch functions, no fnx types, so
// the .cu files need no abseil or core headers. Each launch function
// enqueues on `stream` and reports launch failures through the returned
// cudaError_t (the host side turns it into an fnx::Error).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "backends/cuda/fused_args.h"
#include "backends/cuda/reduce_geometry.h"
#include "backends/cuda/window.h"

namespace fnx::cuda {

// Element types, numbered as fnx::DType.
enum class Scalar : uint8_t { Bool, Int32, Int64, Float32, Float64 };

// kMaxDims (dims of an iteration space after merging) and ReduceGeometry:
// backends/cuda/reduce_geometry.h.

// N operands over one iteration space, row-major: operand k's element at
// multi-index i is ptr[k] + sum_d i[d] * strides[k][d] (bytes; 0 broadcasts).
// `contiguous`: one dim (or none) and every operand steps by its item size
// or by 0, which the kernels run as a flat loop.
template <int N>
struct Loop {
  int ndim = 0;
  int64_t numel = 0;
  bool contiguous = false;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[N][kMaxDims] = {};
  char* ptrs[N] = {};
};

// ---- elementwise (elementwise.cu) ----

enum class UnaryOp : uint8_t {
  Neg,
  Abs,
  Sign,
  Exp,
  Log,
  Log1p,
  Expm1,
  Sqrt,
  Rsqrt,
  Sin,
  Cos,
  Tanh,
  Logistic,
  Erf,
  Tan,
  Asin,
  Acos,
  Atan,
  Sinh,
  Cosh,
  Asinh,
  Acosh,
  Atanh,
  Log2,
  Log10,
  Exp2,
  Lgamma,
  Digamma,
  Erfinv,
  Floor,
  Ceil,
  Round,
  Trunc,
  LogicalNot
};
enum class BinaryOp : uint8_t {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Maximum,
  Minimum,
  Atan2,
  Hypot,
  Fmod,
  Remainder,
  Polygamma,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  LogicalAnd,
  LogicalOr
};

// Operands: (out, in). Computes in `in`; LogicalNot writes bool, the others
// write `in`'s type (out must be that type).
cudaError_t launch_unary(UnaryOp op, Scalar in, const Loop<2>& loop,
                         cudaStream_t stream);
// Operands: (out, a, b), a and b of type `in`; comparisons write bool, the
// others `in`.
cudaError_t launch_binary(BinaryOp op, Scalar in, const Loop<3>& loop,
                          cudaStream_t stream);
// Operands: (out, cond (bool), a, b), out/a/b of type t.
cudaError_t launch_where(Scalar t, const Loop<4>& loop, cudaStream_t stream);
// Operands: (dst, src): dst = scalar::convert<dst type>(src), the total
// conversion every backend uses (NaN to integer is 0, saturation, != 0 to
// bool).
cudaError_t launch_copy(Scalar dst, Scalar src, const Loop<2>& loop,
                        cudaStream_t stream);
// n contiguous elements of type t at dst set to `value` (converted).
cudaError_t launch_fill(Scalar t, void* dst, int64_t n, double value,
                        cudaStream_t stream);
// dst[i] = i for i < n.
cudaError_t launch_iota(Scalar t, void* dst, int64_t n, cudaStream_t stream);

// ---- reductions (reduce.cu) ----

enum class ReduceOp : uint8_t { Sum, Max, Min };

// Reduces x (type `in`) into n_out contiguous results of type `out`: result
// o reduces the elements at kept offset(o) + red offset(r), r < n_red.
// Offsets are in elements. Float sums accumulate in double, integer sums in
// int64; Max/Min propagate NaN. `workspace` holds at least
// reduce_workspace_bytes(...) bytes (or is null when that is 0).
int64_t reduce_workspace_bytes(const ReduceGeometry& g);
cudaError_t launch_reduce(ReduceOp op, Scalar in, Scalar out,
                          const ReduceGeometry& g, const void* x, void* result,
                          void* workspace, cudaStream_t stream);
// Argmax/argmin along one dim of size n (stride in elements) for each of
// n_out results (kept dims as in ReduceGeometry); first occurrence wins,
// NaN counts as the extreme. `workspace` holds at least
// arg_reduce_workspace_bytes(g) bytes (or is null when that is 0).
int64_t arg_reduce_workspace_bytes(const ReduceGeometry& g);
cudaError_t launch_arg_reduce(bool is_max, Scalar in, const ReduceGeometry& g,
                              int64_t n, int64_t stride, const void* x,
                              int64_t* result, void* workspace,
                              cudaStream_t stream);

// ---- indexing (index.cu) ----

// Out-of-range indices are recorded in *bad (the first offending value)
// and *flag set to 1; the host checks after the kernel.
struct IndexError {
  int* flag;
  int64_t* bad;
};
// Operands (out, index (int64), x): out = x[.. + index * along_stride]
// (x's strides are zero along the indexed dim; along_stride in bytes).
cudaError_t launch_gather(Scalar t, const Loop<3>& loop, int64_t along_size,
                          int64_t along_stride, IndexError err,
                          cudaStream_t stream);
// Operands (out, index (int64), src): out[.. + index * along_stride] += src
// (atomic; bool is or).
cudaError_t launch_scatter_add(Scalar t, const Loop<3>& loop,
                               int64_t along_size, int64_t along_stride,
                               IndexError err, cudaStream_t stream);

// ---- random (random.cu) ----

// Element i of n: Uniform in [a, b) or Normal(a, b), from Philox4x32-10 at
// (seed, offset) with core/generator.h's element-to-counter mapping, the
// same numbers as the CPU backend.
cudaError_t launch_random(bool normal, Scalar t, void* dst, int64_t n,
                          uint64_t seed, uint64_t offset, double a, double b,
                          cudaStream_t stream);

// ---- softmax, log_softmax (softmax.cu) ----

// y = softmax(x), or log_softmax(x) when `log`, along the middle dim of
// contiguous (outer, n, inner) float or double tensors.
cudaError_t launch_softmax(bool log, Scalar t, int64_t outer, int64_t n,
                           int64_t inner, const void* x, void* y,
                           cudaStream_t stream);

// ---- cumsum, argsort (sort.cu) ----

// Along the middle dim of contiguous (outer, n, inner) tensors: y = the
// running sum of x (from the end when `reverse`), and y (int64) = the
// stable order that sorts each fiber, NaN above all values.
cudaError_t launch_cumsum(Scalar t, int64_t outer, int64_t n, int64_t inner,
                          bool reverse, const void* x, void* y,
                          cudaStream_t stream);
// argsort.cu: a merge sort of (key, position) pairs; scratch holds two
// buffers of outer * n * inner keys (8 bytes each) and positions.
struct ArgsortScratch {
  void* keys[2];
  int64_t* positions[2];
};
cudaError_t launch_argsort(Scalar t, int64_t outer, int64_t n, int64_t inner,
                           bool descending, const void* x, int64_t* y,
                           const ArgsortScratch& scratch, cudaStream_t stream);

// ---- cumprod, logcumsumexp, cummax / cummin positions (scan.cu) ----

// Along the middle dim of contiguous (outer, n, inner) tensors, from the
// end when `reverse`: the running product, the running log-sum-exp
// (floating t only), or the int64 position of the running max / min (the
// last of equal values; NaN sticks). y has x's type t, or int64 for the
// positions.
enum class ScanOp : uint8_t { Cumprod, Logcumsumexp, CummaxIndex, CumminIndex };
cudaError_t launch_scan(ScanOp op, Scalar t, int64_t outer, int64_t n,
                        int64_t inner, bool reverse, const void* x, void* y,
                        cudaStream_t stream);

// ---- unfold / fold (unfold.cu) ----

// WindowGeometry: backends/cuda/window.h.
// images (images, *in) contiguous -> patches (images, kernel_numel,
// out_numel) contiguous; padding reads pad_value.
cudaError_t launch_unfold(Scalar t, const WindowGeometry& g, const void* x,
                          void* patches, double pad_value, cudaStream_t stream);
// The transpose: each image element sums the patch entries that read it.
cudaError_t launch_fold(Scalar t, const WindowGeometry& g, const void* patches,
                        void* images, cudaStream_t stream);

// ---- max pooling (pool.cu) ----

// images (images, *in) contiguous. Select: out (images, out_numel) =
// values at each window's argmax of x (window_argmax). Scatter: dx (x's
// layout) = grad (images, out_numel) summed at those places; `places` is
// scratch for images * out_numel int32 (in-image positions), unused (may be
// null) where windows_disjoint(g).
cudaError_t launch_max_pool_select(Scalar t, const WindowGeometry& g,
                                   const void* x, const void* values, void* out,
                                   cudaStream_t stream);
cudaError_t launch_max_pool_scatter(Scalar t, const WindowGeometry& g,
                                    const void* x, const void* grad, void* dx,
                                    int32_t* places, cudaStream_t stream);

// ---- integer / bool matmul (gemm.cu; floats go to cuBLAS) ----

// c[b] = a[b] (m x k) * b[b] (k x n), all contiguous row-major, batches
// strided by m*k, k*n and m*n; wrapping arithmetic, bool is or-of-ands.
cudaError_t launch_plain_matmul(Scalar t, int64_t batch, int64_t m, int64_t n,
                                int64_t k, const void* a, const void* b,
                                void* c, cudaStream_t stream);

// ---- linear algebra layout helpers (linalg.cu; the solvers are cuSOLVER)

// out[i] = base + i * stride_bytes for i < count: the pointer arrays of
// cuBLAS's and cuSOLVER's batched routines.
cudaError_t launch_pointer_array(void** out, char* base, int64_t stride_bytes,
                                 int64_t count, cudaStream_t stream);
// Row-major (batch, n, n) float/double factors of potrf: zeros outside the
// factor's triangle (lower or upper) and NaN in it from the first failing
// column of L (row of U) on, where info[b] > 0 names that column (1-based).
cudaError_t launch_cholesky_finish(Scalar t, int64_t batch, int64_t n, void* a,
                                   const int* info, bool lower,
                                   cudaStream_t stream);
// LAPACK ipiv (batch, n) int32 to the packed Lu parts: at out + b * stride,
// pivots (n floats) then perm (n floats, row i of P A is row perm[i] of A).
cudaError_t launch_lu_pivots(Scalar t, int64_t batch, int64_t n,
                             const int* ipiv, void* out, int64_t stride,
                             cudaStream_t stream);
// Zeros the strictly lower triangle of row-major (rows, cols) matrices at
// a + b * stride (elements).
cudaError_t launch_zero_below_diagonal(Scalar t, int64_t batch, int64_t rows,
                                       int64_t cols, void* a, int64_t stride,
                                       cudaStream_t stream);
// Q of batched geqrf (there is no orgqrBatched): q (batch, qc, m) holds
// column-major m x qc matrices, written as the first qc columns of
// H(0) ... H(k-1), whose reflectors are below the diagonal of the
// column-major m x n factors at a (stride m * n) with tau (batch, k).
cudaError_t launch_householder_q(Scalar t, int64_t batch, int64_t m, int64_t n,
                                 int64_t k, int64_t qc, const void* a,
                                 const void* tau, void* q, cudaStream_t stream);
// NaN over `count` elements at out + b * stride (elements) for each b with
// info[b] != 0: the solvers' failure (no convergence) as the CPU writes it.
cudaError_t launch_nan_where_failed(Scalar t, int64_t batch, int64_t count,
                                    void* out, int64_t stride, const int* info,
                                    cudaStream_t stream);
// Row-major n x n identities at out + b * stride (elements).
cudaError_t launch_identity(Scalar t, int64_t batch, int64_t n, void* out,
                            int64_t stride, cudaStream_t stream);

// ---- fused elementwise programs (fused.cu) ----

// One thread per element runs args.ops (a compiled graph's fused group) as
// an interpreter, registers in a local array, and writes the outputs: the
// path cuda_sim runs, and the GPU's when NVRTC is absent (fused.cc).
cudaError_t launch_fused_interpreter(const FusedArgs& args,
                                     cudaStream_t stream);
// Blocks for n elements at kFusedThreads a block, capped (grid-stride
// loops cover the rest); also the NVRTC kernels' grid.
unsigned fused_blocks(int64_t n);

}  // namespace fnx::cuda
