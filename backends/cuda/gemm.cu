// Matmul for integer and bool tensors (cuBLAS has no such GEMM): one thread
// per result element, wrapping arithmetic as the CPU backend.
#include "backends/common/scalar_ops.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/launch.h"
#include "backends/cuda/loop.cuh"

namespace fnx::cuda {
namespace {

template <typename T>
__global__ void plain_matmul_kernel(int64_t batch, int64_t m, int64_t n,
                                    int64_t k, const T* a, const T* b, T* c) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= batch * m * n) return;
  const int64_t col = i % n;
  const int64_t row = (i / n) % m;
  const int64_t bi = i / (m * n);
  const T* pa = a + bi * m * k + row * k;
  const T* pb = b + bi * k * n + col;
  T acc = T(0);
  for (int64_t j = 0; j < k; ++j)
    acc = scalar::AddOp{}(acc, scalar::MulOp{}(pa[j], pb[j * n]));
  c[i] = acc;
}

}  // namespace

cudaError_t launch_plain_matmul(Scalar t, int64_t batch, int64_t m, int64_t n,
                                int64_t k, const void* a, const void* b,
                                void* c, cudaStream_t stream) {
  const int64_t total = batch * m * n;
  if (total <= 0) return cudaSuccess;
  const unsigned blocks =
      static_cast<unsigned>((total + kThreads - 1) / kThreads);
  return dispatch_all(t, [&]<typename T>() {
    launch(plain_matmul_kernel<T>, blocks, kThreads, stream, batch, m, n, k,
           static_cast<const T*>(a), static_cast<const T*>(b),
           static_cast<T*>(c));
    return cudaGetLastError();
  });
}

}  // namespace fnx::cuda
