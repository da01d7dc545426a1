// Softmax and LogSoftmax along one dim. With m the dim's maximum
// (NaN-propagating), or 0 when the maximum is infinite so that x - m never
// forms inf - inf (as torch and fnx's logsumexp), and s = sum(exp(x - m)):
// softmax is exp(x - m) / s, log_softmax (x - m) - log(s)
// (scalar::SoftmaxFinish, shared with the CUDA backend). Sums accumulate in
// double, as the reductions' do.
//
// Contiguous rows take exp from libmvec when the CPU has it (as the unary
// kernels do). The input is viewed as (outer, n, inner) with n the softmax dim. Each
// task takes one outer index and up to kChunk adjacent inner columns: for
// inner == 1 that is one contiguous row; otherwise the chunk's columns are
// walked row by row, so every pass reads memory in order.
#include <algorithm>
#include <cmath>

#include "backends/common/scalar_ops.h"
#include "backends/cpu/common.h"
#include "backends/cpu/loops.h"
#include "backends/cpu/vector_math.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

constexpr int64_t kChunk = 256;

// One contiguous row with libmvec's exp (vector_math.h): exp(x - shift) is
// computed once per element, in vectors, into y (softmax) or a block of
// scratch (log_softmax), where the scalar path below calls libm's exp once
// for the sum and again for each output.
template <bool kLog, typename T>
void softmax_row_vector(const T* x, T* y, int64_t n, T shift) {
  constexpr int64_t kBlock = 256;
  T scratch[kBlock];
  double s = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t w = std::min(kBlock, n - b);
    T* e = kLog ? scratch : y + b;
    for (int64_t k = 0; k < w; ++k) e[k] = x[b + k] - shift;
    vector_math(VectorFn::kExp, e, 1, e, 1, w);
    for (int64_t k = 0; k < w; ++k) s += e[k];
  }
  using Finish = scalar::SoftmaxFinish<kLog>;
  const T norm = Finish::norm(static_cast<T>(s));
  for (int64_t k = 0; k < n; ++k) {
    y[k] = kLog ? Finish::apply(x[k], shift, norm) : y[k] / norm;
  }
}

// One contiguous row of n elements.
template <bool kLog, typename T>
void softmax_row(const T* x, T* y, int64_t n) {
  T m = x[0];
  for (int64_t k = 1; k < n; ++k) m = scalar::MaximumOp{}(m, x[k]);
  const T shift = scalar::softmax_shift(m);
  if (has_vector_math()) return softmax_row_vector<kLog>(x, y, n, shift);
  double s = 0;
  for (int64_t k = 0; k < n; ++k) s += std::exp(x[k] - shift);
  using Finish = scalar::SoftmaxFinish<kLog>;
  const T norm = Finish::norm(static_cast<T>(s));
  for (int64_t k = 0; k < n; ++k) y[k] = Finish::apply(x[k], shift, norm);
}

// Columns [0, w) of (n, inner) at x, w <= kChunk.
template <bool kLog, typename T>
void softmax_columns(const T* x, T* y, int64_t n, int64_t inner, int64_t w) {
  T shift[kChunk];
  double s[kChunk];
  std::copy(x, x + w, shift);
  for (int64_t k = 1; k < n; ++k) {
    const T* row = x + k * inner;
    for (int64_t i = 0; i < w; ++i) {
      shift[i] = scalar::MaximumOp{}(shift[i], row[i]);
    }
  }
  for (int64_t i = 0; i < w; ++i) {
    shift[i] = scalar::softmax_shift(shift[i]);
    s[i] = 0;
  }
  for (int64_t k = 0; k < n; ++k) {
    const T* row = x + k * inner;
    for (int64_t i = 0; i < w; ++i) s[i] += std::exp(row[i] - shift[i]);
  }
  using Finish = scalar::SoftmaxFinish<kLog>;
  T norm[kChunk];
  for (int64_t i = 0; i < w; ++i) norm[i] = Finish::norm(static_cast<T>(s[i]));
  for (int64_t k = 0; k < n; ++k) {
    const T* row = x + k * inner;
    T* out = y + k * inner;
    for (int64_t i = 0; i < w; ++i) {
      out[i] = Finish::apply(row[i], shift[i], norm[i]);
    }
  }
}

template <bool kLog>
Tensor softmax_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor x = contiguous(call.inputs[0]);
  Tensor result = make_result(out);
  if (x.numel() == 0) return result;
  // Plain variables, not a structured binding: the lambdas below capture
  // them (clang before 16 cannot capture bindings).
  const DimSplit split = split_at_dim(x.shape(), call.attr<DimAttrs>().dim);
  const int64_t outer = split.outer, n = split.n, inner = split.inner;
  const int64_t chunks = (inner + kChunk - 1) / kChunk;
  FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
    using T = scalar_t;
    const T* xp = data_ptr<T>(x);
    T* yp = data_ptr<T>(result);
    const int64_t work = n * std::min(inner, kChunk);
    parallel_for(0, outer * chunks, grain_for(work), [&](int64_t b, int64_t e) {
      for (int64_t task = b; task < e; ++task) {
        const int64_t o = task / chunks;
        const int64_t i0 = (task % chunks) * kChunk;
        const int64_t at = o * n * inner + i0;
        if (inner == 1) {
          softmax_row<kLog>(xp + at, yp + at, n);
        } else {
          softmax_columns<kLog>(xp + at, yp + at, n, inner,
                                std::min(kChunk, inner - i0));
        }
      }
    });
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  r.kernel(DeviceType::CPU, Prim::Softmax, &softmax_kernel<false>);
  r.kernel(DeviceType::CPU, Prim::LogSoftmax, &softmax_kernel<true>);
}

}  // namespace fnx::cpu
