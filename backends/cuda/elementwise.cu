// Elementwise kernels: unary, binary (broadcast through zero strides),
// where, copy-with-cast, fill and iota. One functor per family over the
// shared loop (loop.cuh), one per-element function per primitive
// (scalar_ops.cuh).
#include "backends/cuda/kernels.h"
#include "backends/cuda/loop.cuh"
#include "backends/cuda/scalar_ops.cuh"

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
        convert<To>(*reinterpret_cast<const From*>(p[1]));
  }
};

template <typename Op>
cudaError_t unary_any(Scalar in, const Loop<2>& loop, cudaStream_t stream) {
  return dispatch_all(in, [&]<typename T>() {
    return run_loop(loop, UnaryFn<Op, T, T>{}, stream);
  });
}

template <typename Op>
cudaError_t unary_float(Scalar in, const Loop<2>& loop, cudaStream_t stream) {
  return dispatch_floating(in, [&]<typename T>() {
    return run_loop(loop, UnaryFn<Op, T, T>{}, stream);
  });
}

template <typename Op>
cudaError_t binary_same(Scalar in, const Loop<3>& loop, cudaStream_t stream) {
  return dispatch_all(in, [&]<typename T>() {
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
  if (i < n) dst[i] = convert<T>(i);
}

unsigned simple_blocks(int64_t n) {
  return static_cast<unsigned>((n + kThreads - 1) / kThreads);
}

}  // namespace

cudaError_t launch_unary(UnaryOp op, Scalar in, const Loop<2>& loop,
                         cudaStream_t stream) {
  switch (op) {
    case UnaryOp::Neg: return unary_any<NegOp>(in, loop, stream);
    case UnaryOp::Abs: return unary_any<AbsOp>(in, loop, stream);
    case UnaryOp::Sign: return unary_any<SignOp>(in, loop, stream);
    case UnaryOp::Exp: return unary_float<ExpOp>(in, loop, stream);
    case UnaryOp::Log: return unary_float<LogOp>(in, loop, stream);
    case UnaryOp::Log1p: return unary_float<Log1pOp>(in, loop, stream);
    case UnaryOp::Expm1: return unary_float<Expm1Op>(in, loop, stream);
    case UnaryOp::Sqrt: return unary_float<SqrtOp>(in, loop, stream);
    case UnaryOp::Rsqrt: return unary_float<RsqrtOp>(in, loop, stream);
    case UnaryOp::Sin: return unary_float<SinOp>(in, loop, stream);
    case UnaryOp::Cos: return unary_float<CosOp>(in, loop, stream);
    case UnaryOp::Tanh: return unary_float<TanhOp>(in, loop, stream);
    case UnaryOp::Logistic: return unary_float<LogisticOp>(in, loop, stream);
    case UnaryOp::Erf: return unary_float<ErfOp>(in, loop, stream);
    case UnaryOp::Floor: return unary_float<FloorOp>(in, loop, stream);
    case UnaryOp::Ceil: return unary_float<CeilOp>(in, loop, stream);
    case UnaryOp::LogicalNot:
      return dispatch_all(in, [&]<typename T>() {
        return run_loop(loop, UnaryFn<LogicalNotOp, T, bool>{}, stream);
      });
  }
  return cudaErrorInvalidValue;
}

cudaError_t launch_binary(BinaryOp op, Scalar in, const Loop<3>& loop,
                          cudaStream_t stream) {
  switch (op) {
    case BinaryOp::Add: return binary_same<AddOp>(in, loop, stream);
    case BinaryOp::Sub: return binary_same<SubOp>(in, loop, stream);
    case BinaryOp::Mul: return binary_same<MulOp>(in, loop, stream);
    case BinaryOp::Div: return binary_same<DivOp>(in, loop, stream);
    case BinaryOp::Pow: return binary_same<PowOp>(in, loop, stream);
    case BinaryOp::Maximum: return binary_same<MaximumOp>(in, loop, stream);
    case BinaryOp::Minimum: return binary_same<MinimumOp>(in, loop, stream);
    case BinaryOp::Eq: return binary_bool<EqOp>(in, loop, stream);
    case BinaryOp::Ne: return binary_bool<NeOp>(in, loop, stream);
    case BinaryOp::Lt: return binary_bool<LtOp>(in, loop, stream);
    case BinaryOp::Le: return binary_bool<LeOp>(in, loop, stream);
    case BinaryOp::Gt: return binary_bool<GtOp>(in, loop, stream);
    case BinaryOp::Ge: return binary_bool<GeOp>(in, loop, stream);
    case BinaryOp::LogicalAnd: return binary_bool<LogicalAndOp>(in, loop, stream);
    case BinaryOp::LogicalOr: return binary_bool<LogicalOrOp>(in, loop, stream);
  }
  return cudaErrorInvalidValue;
}

cudaError_t launch_where(Scalar t, const Loop<4>& loop, cudaStream_t stream) {
  return dispatch_all(t, [&]<typename T>() {
    return run_loop(loop, WhereFn<T>{}, stream);
  });
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
    fill_kernel<T><<<simple_blocks(n), kThreads, 0, stream>>>(
        static_cast<T*>(dst), n, convert<T>(value));
    return cudaGetLastError();
  });
}

cudaError_t launch_iota(Scalar t, void* dst, int64_t n, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  return dispatch_all(t, [&]<typename T>() {
    iota_kernel<T><<<simple_blocks(n), kThreads, 0, stream>>>(
        static_cast<T*>(dst), n);
    return cudaGetLastError();
  });
}

}  // namespace fnx::cuda
