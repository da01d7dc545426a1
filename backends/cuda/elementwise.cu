// Elementwise kernels: unary, binary (broadcast through zero strides),
// where, copy-with-cast, fill and iota. One functor per family over the
// shared loop (loop.cuh), one per-element function per primitive
// (scalar_ops.h).
#include <algorithm>
#include <cstdint>

#include "backends/common/scalar_ops.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/launch.h"
#include "backends/cuda/loop.cuh"

namespace fnx::cuda {
namespace {

template <typename Op, typename In, typename Out>
struct UnaryFn {
  __device__ void operator()(char* const* p) const {
    *reinterpret_cast<Out*>(p[0]) = Op{}(*reinterpret_cast<const In*>(p[1]));
  }
};

template <typename Op, typename T, typename Out>
struct BinaryFn {
  __device__ void operator()(char* const* p) const {
    *reinterpret_cast<Out*>(p[0]) = Op{}(*reinterpret_cast<const T*>(p[1]),
                                         *reinterpret_cast<const T*>(p[2]));
  }
};

template <typename T>
struct WhereFn {
  __device__ void operator()(char* const* p) const {
    *reinterpret_cast<T*>(p[0]) = *reinterpret_cast<const bool*>(p[1])
                                      ? *reinterpret_cast<const T*>(p[2])
                                      : *reinterpret_cast<const T*>(p[3]);
  }
};

template <typename To, typename From>
struct CopyFn {
  __device__ void operator()(char* const* p) const {
    *reinterpret_cast<To*>(p[0]) =
        scalar::convert<To>(*reinterpret_cast<const From*>(p[1]));
  }
};

// ---- the vectorized path: every operand contiguous (no broadcast), of
// one element type and 16-byte aligned. Each thread moves 16 bytes per
// operand with one load or store (as PyTorch's vectorized loops do), which
// is what a bandwidth-bound op like add needs to approach peak bandwidth.

template <typename T>
inline constexpr int kVec = 16 / sizeof(T);

template <typename T>
struct alignas(16) Pack {
  T v[kVec<T>];
};

template <int N>
bool vectorizable(const Loop<N>& loop, int64_t item) {
  if (!loop.contiguous || loop.ndim != 1) return false;
  for (int k = 0; k < N; ++k) {
    if (loop.strides[k][0] != item ||
        reinterpret_cast<uintptr_t>(loop.ptrs[k]) % 16 != 0) {
      return false;
    }
  }
  return true;
}

unsigned vec_blocks(int64_t packs) {
  return static_cast<unsigned>(
      std::max<int64_t>(1, (packs + kThreads - 1) / kThreads));
}

template <typename Op, typename T>
__global__ void unary_vec_kernel(int64_t n, T* __restrict__ out,
                                 const T* __restrict__ x) {
  constexpr int V = kVec<T>;
  const int64_t id =
      static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t packs = n / V;
  if (id < packs) {
    const Pack<T> a = reinterpret_cast<const Pack<T>*>(x)[id];
    Pack<T> r;
#pragma unroll
    for (int j = 0; j < V; ++j) r.v[j] = Op{}(a.v[j]);
    reinterpret_cast<Pack<T>*>(out)[id] = r;
  }
  const int64_t tail = packs * V + id;
  if (id < V && tail < n) out[tail] = Op{}(x[tail]);
}

template <typename Op, typename T>
__global__ void binary_vec_kernel(int64_t n, T* __restrict__ out,
                                  const T* __restrict__ a,
                                  const T* __restrict__ b) {
  constexpr int V = kVec<T>;
  const int64_t id =
      static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t packs = n / V;
  if (id < packs) {
    const Pack<T> x = reinterpret_cast<const Pack<T>*>(a)[id];
    const Pack<T> y = reinterpret_cast<const Pack<T>*>(b)[id];
    Pack<T> r;
#pragma unroll
    for (int j = 0; j < V; ++j) r.v[j] = Op{}(x.v[j], y.v[j]);
    reinterpret_cast<Pack<T>*>(out)[id] = r;
  }
  const int64_t tail = packs * V + id;
  if (id < V && tail < n) out[tail] = Op{}(a[tail], b[tail]);
}

template <typename Op, typename T>
cudaError_t unary_same(const Loop<2>& loop, cudaStream_t stream) {
  if (loop.numel > 0 && vectorizable(loop, sizeof(T))) {
    launch(unary_vec_kernel<Op, T>, vec_blocks(loop.numel / kVec<T> + 1),
           kThreads, stream, loop.numel, reinterpret_cast<T*>(loop.ptrs[0]),
           reinterpret_cast<const T*>(loop.ptrs[1]));
    return cudaGetLastError();
  }
  return run_loop(loop, UnaryFn<Op, T, T>{}, stream);
}

template <typename Op>
cudaError_t unary_any(Scalar in, const Loop<2>& loop, cudaStream_t stream) {
  return dispatch_all(
      in, [&]<typename T>() { return unary_same<Op, T>(loop, stream); });
}

template <typename Op>
cudaError_t unary_float(Scalar in, const Loop<2>& loop, cudaStream_t stream) {
  return dispatch_floating(
      in, [&]<typename T>() { return unary_same<Op, T>(loop, stream); });
}

template <typename Op>
cudaError_t binary_same(Scalar in, const Loop<3>& loop, cudaStream_t stream) {
  return dispatch_all(in, [&]<typename T>() {
    if (loop.numel > 0 && vectorizable(loop, sizeof(T))) {
      launch(binary_vec_kernel<Op, T>, vec_blocks(loop.numel / kVec<T> + 1),
             kThreads, stream, loop.numel, reinterpret_cast<T*>(loop.ptrs[0]),
             reinterpret_cast<const T*>(loop.ptrs[1]),
             reinterpret_cast<const T*>(loop.ptrs[2]));
      return cudaGetLastError();
    }
    return run_loop(loop, BinaryFn<Op, T, T>{}, stream);
  });
}

template <typename Op>
cudaError_t binary_bool(Scalar in, const Loop<3>& loop, cudaStream_t stream) {
  return dispatch_all(in, [&]<typename T>() {
    return run_loop(loop, BinaryFn<Op, T, bool>{}, stream);
  });
}

template <typename T>
__global__ void fill_kernel(T* dst, int64_t n, T value) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) dst[i] = value;
}

template <typename T>
__global__ void iota_kernel(T* dst, int64_t n) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) dst[i] = scalar::convert<T>(i);
}

unsigned simple_blocks(int64_t n) {
  return static_cast<unsigned>((n + kThreads - 1) / kThreads);
}

}  // namespace

cudaError_t launch_unary(UnaryOp op, Scalar in, const Loop<2>& loop,
                         cudaStream_t stream) {
  switch (op) {
    case UnaryOp::Neg:
      return unary_any<scalar::NegOp>(in, loop, stream);
    case UnaryOp::Abs:
      return unary_any<scalar::AbsOp>(in, loop, stream);
    case UnaryOp::Sign:
      return unary_any<scalar::SignOp>(in, loop, stream);
    case UnaryOp::Exp:
      return unary_float<scalar::ExpOp>(in, loop, stream);
    case UnaryOp::Log:
      return unary_float<scalar::LogOp>(in, loop, stream);
    case UnaryOp::Log1p:
      return unary_float<scalar::Log1pOp>(in, loop, stream);
    case UnaryOp::Expm1:
      return unary_float<scalar::Expm1Op>(in, loop, stream);
    case UnaryOp::Sqrt:
      return unary_float<scalar::SqrtOp>(in, loop, stream);
    case UnaryOp::Rsqrt:
      return unary_float<scalar::RsqrtOp>(in, loop, stream);
    case UnaryOp::Sin:
      return unary_float<scalar::SinOp>(in, loop, stream);
    case UnaryOp::Cos:
      return unary_float<scalar::CosOp>(in, loop, stream);
    case UnaryOp::Tanh:
      return unary_float<scalar::TanhOp>(in, loop, stream);
    case UnaryOp::Logistic:
      return unary_float<scalar::LogisticOp>(in, loop, stream);
    case UnaryOp::Erf:
      return unary_float<scalar::ErfOp>(in, loop, stream);
    case UnaryOp::Tan:
      return unary_float<scalar::TanOp>(in, loop, stream);
    case UnaryOp::Asin:
      return unary_float<scalar::AsinOp>(in, loop, stream);
    case UnaryOp::Acos:
      return unary_float<scalar::AcosOp>(in, loop, stream);
    case UnaryOp::Atan:
      return unary_float<scalar::AtanOp>(in, loop, stream);
    case UnaryOp::Sinh:
      return unary_float<scalar::SinhOp>(in, loop, stream);
    case UnaryOp::Cosh:
      return unary_float<scalar::CoshOp>(in, loop, stream);
    case UnaryOp::Asinh:
      return unary_float<scalar::AsinhOp>(in, loop, stream);
    case UnaryOp::Acosh:
      return unary_float<scalar::AcoshOp>(in, loop, stream);
    case UnaryOp::Atanh:
      return unary_float<scalar::AtanhOp>(in, loop, stream);
    case UnaryOp::Log2:
      return unary_float<scalar::Log2Op>(in, loop, stream);
    case UnaryOp::Log10:
      return unary_float<scalar::Log10Op>(in, loop, stream);
    case UnaryOp::Exp2:
      return unary_float<scalar::Exp2Op>(in, loop, stream);
    case UnaryOp::Lgamma:
      return unary_float<scalar::LgammaOp>(in, loop, stream);
    case UnaryOp::Digamma:
      return unary_float<scalar::DigammaOp>(in, loop, stream);
    case UnaryOp::Erfinv:
      return unary_float<scalar::ErfinvOp>(in, loop, stream);
    case UnaryOp::Floor:
      return unary_float<scalar::FloorOp>(in, loop, stream);
    case UnaryOp::Ceil:
      return unary_float<scalar::CeilOp>(in, loop, stream);
    case UnaryOp::Round:
      return unary_float<scalar::RoundOp>(in, loop, stream);
    case UnaryOp::Trunc:
      return unary_float<scalar::TruncOp>(in, loop, stream);
    case UnaryOp::LogicalNot:
      return dispatch_all(in, [&]<typename T>() {
        return run_loop(loop, UnaryFn<scalar::LogicalNotOp, T, bool>{}, stream);
      });
  }
  return cudaErrorInvalidValue;
}

cudaError_t launch_binary(BinaryOp op, Scalar in, const Loop<3>& loop,
                          cudaStream_t stream) {
  switch (op) {
    case BinaryOp::Add:
      return binary_same<scalar::AddOp>(in, loop, stream);
    case BinaryOp::Sub:
      return binary_same<scalar::SubOp>(in, loop, stream);
    case BinaryOp::Mul:
      return binary_same<scalar::MulOp>(in, loop, stream);
    case BinaryOp::Div:
      return binary_same<scalar::DivOp>(in, loop, stream);
    case BinaryOp::Pow:
      return binary_same<scalar::PowOp>(in, loop, stream);
    case BinaryOp::Maximum:
      return binary_same<scalar::MaximumOp>(in, loop, stream);
    case BinaryOp::Minimum:
      return binary_same<scalar::MinimumOp>(in, loop, stream);
    case BinaryOp::Atan2:
      return binary_same<scalar::Atan2Op>(in, loop, stream);
    case BinaryOp::Hypot:
      return binary_same<scalar::HypotOp>(in, loop, stream);
    case BinaryOp::Fmod:
      return binary_same<scalar::FmodOp>(in, loop, stream);
    case BinaryOp::Remainder:
      return binary_same<scalar::RemainderOp>(in, loop, stream);
    case BinaryOp::Polygamma:
      return binary_same<scalar::PolygammaOp>(in, loop, stream);
    case BinaryOp::Eq:
      return binary_bool<scalar::EqOp>(in, loop, stream);
    case BinaryOp::Ne:
      return binary_bool<scalar::NeOp>(in, loop, stream);
    case BinaryOp::Lt:
      return binary_bool<scalar::LtOp>(in, loop, stream);
    case BinaryOp::Le:
      return binary_bool<scalar::LeOp>(in, loop, stream);
    case BinaryOp::Gt:
      return binary_bool<scalar::GtOp>(in, loop, stream);
    case BinaryOp::Ge:
      return binary_bool<scalar::GeOp>(in, loop, stream);
    case BinaryOp::LogicalAnd:
      return binary_bool<scalar::LogicalAndOp>(in, loop, stream);
    case BinaryOp::LogicalOr:
      return binary_bool<scalar::LogicalOrOp>(in, loop, stream);
  }
  return cudaErrorInvalidValue;
}

cudaError_t launch_where(Scalar t, const Loop<4>& loop, cudaStream_t stream) {
  return dispatch_all(
      t, [&]<typename T>() { return run_loop(loop, WhereFn<T>{}, stream); });
}

cudaError_t launch_copy(Scalar dst, Scalar src, const Loop<2>& loop,
                        cudaStream_t stream) {
  return dispatch_all(dst, [&]<typename To>() {
    return dispatch_all(src, [&]<typename From>() {
      return run_loop(loop, CopyFn<To, From>{}, stream);
    });
  });
}

cudaError_t launch_fill(Scalar t, void* dst, int64_t n, double value,
                        cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  return dispatch_all(t, [&]<typename T>() {
    launch(fill_kernel<T>, simple_blocks(n), kThreads, stream,
           static_cast<T*>(dst), n, scalar::convert<T>(value));
    return cudaGetLastError();
  });
}

cudaError_t launch_iota(Scalar t, void* dst, int64_t n, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  return dispatch_all(t, [&]<typename T>() {
    launch(iota_kernel<T>, simple_blocks(n), kThreads, stream,
           static_cast<T*>(dst), n);
    return cudaGetLastError();
  });
}

}  // namespace fnx::cuda
