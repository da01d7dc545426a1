// The simulator itself: kernels with barriers and shuffles, launch checks,
// deferred stream work, and the misuse it must catch.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace {

constexpr int kThreads = 256;

void block_sum(const float* x, float* out, int n) {
  __shared__ float partial[kThreads];
  float acc = 0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) acc += x[i];
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (int s = kThreads / 2; s > 0; s >>= 1) {
    if (static_cast<int>(threadIdx.x) < s) {
      partial[threadIdx.x] += partial[threadIdx.x + s];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = partial[0];
}

void warp_sum(const int* x, int* out) {
  int v = x[blockIdx.x * blockDim.x + threadIdx.x];
  for (int d = 16; d > 0; d /= 2) v += __shfl_down_sync(0xffffffffu, v, d);
  if (threadIdx.x % 32 == 0) {
    out[(blockIdx.x * blockDim.x + threadIdx.x) / 32] = v;
  }
}

void shuffle_after_return(int* out) {
  if (threadIdx.x == 3) return;
  out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1, 1);
}

void write_index(int* out) {
  out[blockIdx.x * blockDim.x + threadIdx.x] =
      static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
}

void sync_if(int* out, int sync) {
  if (sync != 0) __syncthreads();
  out[threadIdx.x] = 1;
}

template <typename T>
T* device_alloc(std::size_t n) {
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, n * sizeof(T)), cudaSuccess);
  return static_cast<T*>(p);
}

TEST(CudaSim, BlockBarrierReduction) {
  std::vector<float> x(1000);
  std::iota(x.begin(), x.end(), 1.0f);
  float* dx = device_alloc<float>(x.size());
  float* dout = device_alloc<float>(2);
  ASSERT_EQ(cudaMemcpy(dx, x.data(), x.size() * 4, cudaMemcpyHostToDevice),
            cudaSuccess);
  cuda_sim::launch(block_sum, dim3(2), dim3(kThreads), nullptr, dx, dout, 1000);
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  float out[2];
  ASSERT_EQ(cudaMemcpy(out, dout, 8, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(out[0], 500500.0f);
  EXPECT_EQ(out[1], 500500.0f);
}

TEST(CudaSim, WarpShuffleReduction) {
  std::vector<int> x(128);
  std::iota(x.begin(), x.end(), 0);
  int* dx = device_alloc<int>(128);
  int* dout = device_alloc<int>(4);
  ASSERT_EQ(cudaMemcpy(dx, x.data(), 512, cudaMemcpyHostToDevice), cudaSuccess);
  cuda_sim::launch(warp_sum, dim3(2), dim3(64), nullptr, dx, dout);
  int out[4];
  ASSERT_EQ(cudaMemcpy(out, dout, 16, cudaMemcpyDeviceToHost), cudaSuccess);
  for (int w = 0; w < 4; ++w) {
    EXPECT_EQ(out[w], 32 * 32 * w + 31 * 32 / 2) << w;
  }
}

TEST(CudaSim, LaunchLimitsAreChecked) {
  int* d = device_alloc<int>(1);
  cuda_sim::launch(write_index, dim3(1), dim3(2048), nullptr, d);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  cuda_sim::launch(write_index, dim3(1, 70000), dim3(1), nullptr, d);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  cuda_sim::launch(write_index, dim3(0), dim3(32), nullptr, d);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);  // read once
}

TEST(CudaSim, KernelArgumentsMustBeDeviceMemory) {
  int host[32];
  cuda_sim::launch(write_index, dim3(1), dim3(32), nullptr, host);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidValue);
}

TEST(CudaSim, ShuffleAfterSomeLanesReturnedFails) {
  int* d = device_alloc<int>(32);
  cuda_sim::launch(shuffle_after_return, dim3(1), dim3(32), nullptr, d);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);  // fails when it runs
  EXPECT_EQ(cudaDeviceSynchronize(), cudaErrorLaunchFailure);
}

TEST(CudaSim, BarrierOnlyInALaterLaunchFails) {
  int* d = device_alloc<int>(32);
  cuda_sim::launch(sync_if, dim3(1), dim3(32), nullptr, d, 0);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  cuda_sim::launch(sync_if, dim3(1), dim3(32), nullptr, d, 1);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaErrorLaunchFailure);
}

TEST(CudaSim, StreamWorkRunsWhenWaitedFor) {
  cudaStream_t s;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  int* pinned = nullptr;
  ASSERT_EQ(cudaHostAlloc(reinterpret_cast<void**>(&pinned), 64 * 4,
                          cudaHostAllocPortable),
            cudaSuccess);
  int* d = device_alloc<int>(64);
  cuda_sim::launch(write_index, dim3(2), dim3(32), s, d);
  for (int i = 0; i < 64; ++i) pinned[i] = -7;
  ASSERT_EQ(cudaMemcpyAsync(pinned, d, 256, cudaMemcpyDeviceToHost, s),
            cudaSuccess);
  // To pinned memory the copy is asynchronous: nothing arrived yet.
  EXPECT_EQ(pinned[5], -7);
  cudaEvent_t e;
  ASSERT_EQ(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(e, s), cudaSuccess);
  ASSERT_EQ(cudaEventSynchronize(e), cudaSuccess);
  EXPECT_EQ(pinned[5], 5);
  EXPECT_EQ(pinned[63], 63);
  // From pinned memory too: the source is read when the copy runs.
  pinned[0] = 100;
  ASSERT_EQ(cudaMemcpyAsync(d, pinned, 4, cudaMemcpyHostToDevice, s),
            cudaSuccess);
  pinned[0] = 200;
  int back = 0;
  ASSERT_EQ(cudaMemcpyAsync(&back, d, 4, cudaMemcpyDeviceToHost, s),
            cudaSuccess);  // pageable: returns when done
  EXPECT_EQ(back, 200);
  EXPECT_EQ(cudaFreeHost(pinned), cudaSuccess);
  EXPECT_EQ(cudaStreamDestroy(s), cudaSuccess);
  EXPECT_EQ(cudaEventDestroy(e), cudaSuccess);
}

TEST(CudaSim, NewMemoryIsNotZero) {
  float* d = device_alloc<float>(4);
  float h[4];
  ASSERT_EQ(cudaMemcpy(h, d, 16, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_TRUE(h[0] != h[0]);  // 0xffffffff is a NaN
}

TEST(CudaSim, CopyKindMustMatchPointers) {
  int* d = device_alloc<int>(4);
  int h[4] = {};
  EXPECT_EQ(cudaMemcpy(d, h, 16, cudaMemcpyDeviceToHost),
            cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(h, d, 32, cudaMemcpyDeviceToHost),  // past the end
            cudaErrorInvalidValue);
  cudaGetLastError();
}

TEST(CudaSim, MemoryLimitAndFree) {
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, std::size_t{1} << 50), cudaErrorMemoryAllocation);
  EXPECT_EQ(cudaGetLastError(), cudaErrorMemoryAllocation);
  ASSERT_EQ(cudaMalloc(&p, 100), cudaSuccess);
  EXPECT_EQ(cudaFree(p), cudaSuccess);
  EXPECT_EQ(cudaFree(p), cudaErrorInvalidDevicePointer);
  cudaGetLastError();
}

TEST(CudaSimDeathTest, HostCodeCannotReadDeviceMemory) {
  int* d = device_alloc<int>(4);
  EXPECT_DEATH(
      {
        volatile int v = d[0];
        (void)v;
      },
      "host code dereferenced device memory");
}

TEST(CudaSim, AllocationsAreAlignedAsCudaMallocs) {
  for (std::size_t bytes : {1, 100, 256, 4000, 4096, 5000}) {
    void* p = nullptr;
    ASSERT_EQ(cudaMalloc(&p, bytes), cudaSuccess);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 256, 0u) << bytes;
    EXPECT_EQ(cudaFree(p), cudaSuccess);
  }
}

// An allocation ends at its guard page (to cudaMalloc's 256-byte alignment),
// so a kernel one element past the end faults, as memcheck would report.
TEST(CudaSimDeathTest, KernelPastTheEndOfAnAllocationFaults) {
  int* d = device_alloc<int>(64);  // 256 bytes
  cuda_sim::launch(write_index, dim3(1), dim3(64), nullptr, d);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);  // in bounds
  EXPECT_DEATH(
      {
        cuda_sim::launch(write_index, dim3(1), dim3(65), nullptr, d);
        (void)cudaDeviceSynchronize();
      },
      "device work touched memory outside every device allocation");
}

}  // namespace
