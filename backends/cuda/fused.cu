// The interpreter of fused elementwise programs: one kernel for every
// program. Each thread takes elements (a grid-stride loop), reads each
// input at its broadcast offset, runs the instruction list with its
// registers in a local array, and writes the outputs. The per-element
// functions are scalar_ops.h's, as in elementwise.cu, so results are the
// unfused kernels'. It is what cuda_sim runs, and the GPU's path where
// NVRTC is absent (the specialised kernels: fused_source.cc).
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "backends/common/scalar_ops.h"
#include "backends/cuda/fused_args.h"
#include "backends/cuda/fused_ops.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/launch.h"

namespace fnx::cuda {
namespace {

// A register: any element type, 8 bytes.
union Reg {
  bool b;
  int32_t i;
  int64_t l;
  float f;
  double d;
};

template <typename T>
inline constexpr bool kElement =
    std::is_same_v<T, bool> || std::is_same_v<T, int32_t> ||
    std::is_same_v<T, int64_t> || std::is_same_v<T, float> ||
    std::is_same_v<T, double>;

template <typename T>
__device__ T& slot(Reg& r) {
  if constexpr (std::is_same_v<T, bool>) {
    return r.b;
  } else if constexpr (std::is_same_v<T, int32_t>) {
    return r.i;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return r.l;
  } else if constexpr (std::is_same_v<T, float>) {
    return r.f;
  } else {
    return r.d;
  }
}

template <typename T>
__device__ T get(const Reg& r) {
  return slot<T>(const_cast<Reg&>(r));
}

// Calls body.template operator()<T>() with T the type of Scalar code s.
template <typename Body>
__device__ void by_scalar(uint8_t s, Body&& body) {
  switch (static_cast<Scalar>(s)) {
    case Scalar::Bool:
      body.template operator()<bool>();
      return;
    case Scalar::Int32:
      body.template operator()<int32_t>();
      return;
    case Scalar::Int64:
      body.template operator()<int64_t>();
      return;
    case Scalar::Float32:
      body.template operator()<float>();
      return;
    case Scalar::Float64:
      body.template operator()<double>();
      return;
  }
}

// The host (fused.cc) admits only instructions whose functor returns an
// element type: the others compile to nothing.
template <typename Op, typename T>
__device__ void unary_on(const Reg& x, Reg& out) {
  using Out = decltype(Op{}(T{}));
  if constexpr (kElement<Out>) slot<Out>(out) = Op{}(get<T>(x));
}

template <typename Op, typename T>
__device__ void binary_on(const Reg& x, const Reg& y, Reg& out) {
  using Out = decltype(Op{}(T{}, T{}));
  if constexpr (kElement<Out>) slot<Out>(out) = Op{}(get<T>(x), get<T>(y));
}

__device__ void run_unary(uint8_t op, uint8_t from, const Reg& x, Reg& out) {
  by_scalar(from, [&]<typename T>() {
    switch (static_cast<UnaryOp>(op)) {
#define FNX_FUSED_CASE(name)               \
  case UnaryOp::name:                      \
    unary_on<scalar::name##Op, T>(x, out); \
    return;
      FNX_CUDA_FUSED_UNARY_OPS(FNX_FUSED_CASE)
#undef FNX_FUSED_CASE
    }
  });
}

__device__ void run_binary(uint8_t op, uint8_t from, const Reg& x, const Reg& y,
                           Reg& out) {
  by_scalar(from, [&]<typename T>() {
    switch (static_cast<BinaryOp>(op)) {
#define FNX_FUSED_CASE(name)                   \
  case BinaryOp::name:                         \
    binary_on<scalar::name##Op, T>(x, y, out); \
    return;
      FNX_CUDA_FUSED_BINARY_OPS(FNX_FUSED_CASE)
#undef FNX_FUSED_CASE
    }
  });
}

__global__ void fused_interpreter_kernel(FusedArgs args) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < args.numel; i += step) {
    int64_t idx[kFusedMaxDims];
    int64_t rest = i;
    for (int d = args.ndim - 1; d >= 0; --d) {
      idx[d] = rest % args.sizes[d];
      rest /= args.sizes[d];
    }
    Reg regs[kFusedMaxInstrs];
    for (int r = 0; r < args.n_instrs; ++r) {
      const FusedOp& op = args.ops[r];
      Reg& dst = regs[r];
      switch (op.kind) {
        case FusedKind::Input: {
          const char* p = args.in_ptrs[op.a];
          for (int d = 0; d < args.ndim; ++d) {
            p += idx[d] * args.in_strides[op.a][d];
          }
          by_scalar(op.type, [&]<typename T>() {
            slot<T>(dst) = *reinterpret_cast<const T*>(p);
          });
          break;
        }
        case FusedKind::Unary:
          run_unary(op.op, op.from, regs[op.a], dst);
          break;
        case FusedKind::Binary:
          run_binary(op.op, op.from, regs[op.a], regs[op.b], dst);
          break;
        case FusedKind::Where:
          dst = get<bool>(regs[op.a]) ? regs[op.b] : regs[op.c];
          break;
        case FusedKind::Cast:
          by_scalar(op.type, [&]<typename To>() {
            by_scalar(op.from, [&]<typename From>() {
              slot<To>(dst) = scalar::convert<To>(get<From>(regs[op.a]));
            });
          });
          break;
      }
    }
    for (int k = 0; k < args.n_outputs; ++k) {
      const int r = args.out_regs[k];
      by_scalar(args.ops[r].type, [&]<typename T>() {
        reinterpret_cast<T*>(args.out_ptrs[k])[i] = get<T>(regs[r]);
      });
    }
  }
}

}  // namespace

unsigned fused_blocks(int64_t n) {
  constexpr int64_t kMaxBlocks = int64_t{1} << 16;
  return static_cast<unsigned>(std::clamp<int64_t>(
      (n + kFusedThreads - 1) / kFusedThreads, 1, kMaxBlocks));
}

cudaError_t launch_fused_interpreter(const FusedArgs& args,
                                     cudaStream_t stream) {
  if (args.numel <= 0) return cudaSuccess;
  launch(fused_interpreter_kernel, fused_blocks(args.numel), kFusedThreads,
         stream, args);
  return cudaGetLastError();
}

}  // namespace fnx::cuda
