// The elementwise loop every map-like kernel runs on (elementwise, index,
// copy): a functor called with the N operands' element pointers, over a
// flat range when the Loop is contiguous and over strided offsets
// otherwise. Each thread handles kUnroll elements spaced a block apart, so
// a warp's accesses stay coalesced.
#pragma once

#include <cstdint>

#include "backends/cuda/kernels.h"
#include "backends/cuda/launch.h"

namespace fnx::cuda {

inline constexpr int kThreads = 256;
inline constexpr int kUnroll = 4;

// Byte steps of a contiguous loop: each operand's item size, or 0.
template <int N>
struct FlatSteps {
  char* ptrs[N];
  int64_t steps[N];
};

template <int N, typename F>
__global__ void flat_kernel(int64_t n, FlatSteps<N> s, F f) {
  const int64_t base =
      static_cast<int64_t>(blockIdx.x) * kThreads * kUnroll + threadIdx.x;
#pragma unroll
  for (int j = 0; j < kUnroll; ++j) {
    const int64_t i = base + j * kThreads;
    if (i < n) {
      char* p[N];
#pragma unroll
      for (int k = 0; k < N; ++k) p[k] = s.ptrs[k] + i * s.steps[k];
      f(p);
    }
  }
}

template <int N, typename F>
__global__ void strided_kernel(Loop<N> loop, F f) {
  const int64_t base =
      static_cast<int64_t>(blockIdx.x) * kThreads * kUnroll + threadIdx.x;
#pragma unroll
  for (int j = 0; j < kUnroll; ++j) {
    int64_t i = base + j * kThreads;
    if (i < loop.numel) {
      char* p[N];
#pragma unroll
      for (int k = 0; k < N; ++k) p[k] = loop.ptrs[k];
      for (int d = loop.ndim - 1; d >= 0; --d) {
        const int64_t size = loop.sizes[d];
        const int64_t idx = i % size;
        i /= size;
#pragma unroll
        for (int k = 0; k < N; ++k) p[k] += idx * loop.strides[k][d];
      }
      f(p);
    }
  }
}

inline unsigned blocks_for(int64_t n) {
  return static_cast<unsigned>((n + kThreads * kUnroll - 1) /
                               (kThreads * kUnroll));
}

// Runs f over the loop; returns the launch status.
template <int N, typename F>
cudaError_t run_loop(const Loop<N>& loop, F f, cudaStream_t stream) {
  if (loop.numel <= 0) return cudaSuccess;
  if (loop.contiguous) {
    FlatSteps<N> s;
    for (int k = 0; k < N; ++k) {
      s.ptrs[k] = loop.ptrs[k];
      s.steps[k] = loop.ndim == 0 ? 0 : loop.strides[k][0];
    }
    launch(flat_kernel<N, F>, blocks_for(loop.numel), kThreads, stream,
           loop.numel, s, f);
  } else {
    launch(strided_kernel<N, F>, blocks_for(loop.numel), kThreads, stream, loop,
           f);
  }
  return cudaGetLastError();
}

// Calls body.template operator()<T>() with T the C++ type of `s`.
template <typename Body>
cudaError_t dispatch_all(Scalar s, Body&& body) {
  switch (s) {
    case Scalar::Bool:
      return body.template operator()<bool>();
    case Scalar::Int32:
      return body.template operator()<int32_t>();
    case Scalar::Int64:
      return body.template operator()<int64_t>();
    case Scalar::Float32:
      return body.template operator()<float>();
    case Scalar::Float64:
      return body.template operator()<double>();
  }
  return cudaErrorInvalidValue;
}

template <typename Body>
cudaError_t dispatch_floating(Scalar s, Body&& body) {
  switch (s) {
    case Scalar::Float32:
      return body.template operator()<float>();
    case Scalar::Float64:
      return body.template operator()<double>();
    default:
      return cudaErrorInvalidValue;
  }
}

}  // namespace fnx::cuda
