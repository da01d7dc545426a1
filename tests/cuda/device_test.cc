// Moving tensors to and from the device, host reads, creation on the
// device, the same random numbers on both devices, moves inside transforms,
// clear errors for mixed devices and bad indices, and (with the real backend)
// the caching allocator and the TF32 switch.
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/cuda/cuda_test_util.h"
#include "transforms/functionalize/functionalize.h"
#include "transforms/grad/grad.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap.h"

#if defined(FNX_HAVE_CUDA)
#include "backends/cuda/cuda.h"
#endif

namespace fnx::cuda_test {
namespace {

::testing::AssertionResult throws_containing(const std::function<void()>& f,
                                             const std::string& text) {
  try {
    f();
  } catch (const Error& e) {
    if (std::string(e.what()).find(text) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "message: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

TEST(CudaDevice, RoundTripsKeepValues) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(1);
  for (DType dt : {DType::Float32, DType::Float64}) {
    const Tensor x = randn({37, 53}, dt, &gen);
    const Tensor d = x.to(device());
    EXPECT_EQ(d.device(), device());
    EXPECT_TRUE(close(d.to(Device::cpu()), x, 0, 0));
    // A transposed (strided) source is copied in logical order.
    EXPECT_TRUE(close(x.t().to(device()), x.t(), 0, 0));
    EXPECT_TRUE(close(d.t().contiguous(), x.t(), 0, 0));
  }
  const Tensor ints = arange(1000, DType::Int64);
  EXPECT_TRUE(close(ints.to(device()).to(Device::cpu()), ints, 0, 0));
  const Tensor flags = ints > 500.0;
  EXPECT_TRUE(close(flags.to(device()), flags, 0, 0));
  // Large copies go through pinned staging buffers, in several chunks.
  const Tensor big = randn({5, 1 << 20}, DType::Float32, &gen);
  EXPECT_TRUE(equal(big.to(device()).to(Device::cpu()), big));
  // Empty tensors move too.
  EXPECT_EQ(zeros({0, 3}).to(device()).shape(), (Shape{0, 3}));
}

TEST(CudaDevice, HostReadsWaitForTheDevice) {
  FNX_SKIP_WITHOUT_CUDA();
  const Tensor x = arange(0.0, 10.0, 1.0, DType::Float32, device());
  const Tensor s = (x * 2.0).sum();
  EXPECT_EQ(s.device(), device());
  EXPECT_FLOAT_EQ(s.item<float>(), 90.0f);
  EXPECT_DOUBLE_EQ(x.at<double>({3}), 3.0);
  EXPECT_EQ(x.to_vector().size(), 10u);
  const std::string text = full({2}, 1.5, DType::Float32, device()).str();
  EXPECT_NE(text.find("1.5000"), std::string::npos) << text;
  EXPECT_NE(text.find("device='cuda:0'"), std::string::npos) << text;
  EXPECT_TRUE(
      throws_containing([&] { (void)x.data<float>(); }, "is not host memory"));
}

TEST(CudaDevice, FactoriesOnTheDevice) {
  FNX_SKIP_WITHOUT_CUDA();
  const Device d = device();
  EXPECT_TRUE(close(zeros({2, 3}, DType::Float32, d), zeros({2, 3}), 0, 0));
  EXPECT_TRUE(close(ones({4}, DType::Int32, d), ones({4}, DType::Int32), 0, 0));
  EXPECT_TRUE(close(full({3}, 2.5, DType::Float64, d),
                    full({3}, 2.5, DType::Float64), 0, 0));
  EXPECT_TRUE(close(arange(7, DType::Int64, d), arange(7), 0, 0));
  EXPECT_TRUE(close(eye(3, DType::Float32, d), eye(3), 0, 0));
  EXPECT_TRUE(
      close(linspace(0, 1, 5, DType::Float32, d), linspace(0, 1, 5), 1e-7, 0));
  const std::vector<double> values = {1, 2, 3};
  EXPECT_TRUE(close(from_vector(values, {3}, DType::Float32, d),
                    from_vector(values, {3}), 0, 0));
  EXPECT_EQ(zeros({2}, DType::Float32, d).device(), d);
}

// The counter-based generator gives the same numbers on both devices.
TEST(CudaDevice, SameSeedSameNumbers) {
  FNX_SKIP_WITHOUT_CUDA();
  for (DType dt : {DType::Float32, DType::Float64}) {
    Generator g1(42), g2(42);
    const Tensor u_cpu = rand({1001}, dt, &g1);
    const Tensor u_dev = rand({1001}, dt, &g2, device());
    EXPECT_TRUE(close(u_dev, u_cpu, 0, 0)) << dtype_name(dt);  // bit for bit
    const Tensor n_cpu = randn({999}, dt, &g1);
    const Tensor n_dev = randn({999}, dt, &g2, device());
    EXPECT_TRUE(close(n_dev, n_cpu, dt == DType::Float32 ? 1e-6 : 1e-12, 0))
        << dtype_name(dt);
  }
  Generator g1(5), g2(5);
  EXPECT_TRUE(close(randint(0, 10, {100}, DType::Int64, &g2, device()),
                    randint(0, 10, {100}, DType::Int64, &g1), 0, 0));
  EXPECT_TRUE(
      close(dropout(ones({64}, DType::Float32, device()), 0.5, true, &g2),
            dropout(ones({64}), 0.5, true, &g1), 0, 0));
}

// vmap's randomness modes replay the same Philox keys on every backend.
TEST(CudaDevice, RandomnessUnderVmapMatchesCpu) {
  FNX_SKIP_WITHOUT_CUDA();
  auto f = [](const Tensor& x) {
    return dropout(x, 0.5, true) +
           uniform(x.shape(), -1, 1, x.dtype(), nullptr, x.device());
  };
  for (Randomness mode : {Randomness::different, Randomness::same}) {
    const VmapOptions options{.randomness = mode};
    manual_seed(3);
    const Tensor want = vmap(f, 0, 0, options)(ones({5, 4}));
    manual_seed(3);
    const Tensor got =
        vmap(f, 0, 0, options)(ones({5, 4}, DType::Float32, device()));
    EXPECT_EQ(got.device(), device());
    EXPECT_TRUE(close(got, want, 0, 0));
  }
}

TEST(CudaDevice, MixingDevicesIsAClearError) {
  FNX_SKIP_WITHOUT_CUDA();
  const Tensor a = ones({3});
  const Tensor b = ones({3}, DType::Float32, device());
  EXPECT_TRUE(throws_containing([&] { (void)(a + b); },
                                "inputs are on different devices (cpu and "
                                "cuda:0); move them with to(device)"));
  EXPECT_TRUE(
      throws_containing([&] { (void)matmul(b.unsqueeze(0), a.unsqueeze(1)); },
                        "different devices"));
}

// to(Device) is a primitive: every transform follows the move (the
// cotangent and the tangent move back; vmap moves the whole batch).
TEST(CudaDevice, MovingInsideATransform) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(5);
  const Tensor x = randn({3}, DType::Float32, &gen);
  const Tensor xd = x.to(device());
  // Computed on the host from a device input, and the other way round.
  auto on_host = [](const Tensor& t) {
    return (square(t.to(Device::cpu())) * 3.0).sum();
  };
  auto on_device = [](const Tensor& t) {
    return (square(t.to(cuda_test::device())) * 3.0).sum().to(Device::cpu());
  };
  const Tensor want = x * 6.0;
  const Tensor g_dev = grad(on_host)(xd);
  EXPECT_EQ(g_dev.device(), device());
  EXPECT_TRUE(close(g_dev, want, 1e-6, 1e-6));
  const Tensor g_host = grad(on_device)(x);
  EXPECT_EQ(g_host.device(), Device::cpu());
  EXPECT_TRUE(close(g_host, want, 1e-6, 1e-6));
  // vmap: each example moved; the result batched on the host.
  const Tensor rows = randn({4, 3}, DType::Float32, &gen);
  const Tensor per_row = vmap(on_host)(rows.to(device()));
  EXPECT_EQ(per_row.device(), Device::cpu());
  EXPECT_TRUE(close(per_row, (square(rows) * 3.0).sum({1}), 1e-5, 1e-6));
  // jvp: the tangent follows the primal across.
  const Tensor u = randn({3}, DType::Float32, &gen);
  auto [y, t] = jvp(on_device, x, u);
  EXPECT_EQ(t.device(), Device::cpu());
  EXPECT_TRUE(close(t, (x * u * 6.0).sum(), 1e-5, 1e-6));
  // vmap(grad): per-example gradients of a function that moves its input.
  const Tensor pg = vmap(grad(on_host))(rows.to(device()));
  EXPECT_EQ(pg.device(), device());
  EXPECT_TRUE(close(pg, rows * 6.0, 1e-6, 1e-6));
  // functionalize: a buffer made on the host, written from device values;
  // vmap of it, which plain vmap refuses (a per-example write).
  auto fill = [](const Tensor& t) {
    Tensor buf = zeros({2});
    buf.select(0, 0).copy_(t.sum().to(Device::cpu()));
    buf.select(0, 1).copy_(t.max().to(Device::cpu()));
    return buf;
  };
  const Tensor filled = vmap(functionalize(fill))(rows.to(device()));
  EXPECT_EQ(filled.device(), Device::cpu());
  EXPECT_TRUE(
      close(filled, stack({rows.sum({1}), amax(rows, {1})}, 1), 1e-5, 1e-6));
}

TEST(CudaDevice, BadIndexIsAClearError) {
  FNX_SKIP_WITHOUT_CUDA();
  const Tensor x = ones({4, 3}, DType::Float32, device());
  const Tensor idx =
      from_vector(std::vector<int64_t>{0, 7}, {2}, DType::Int64, device());
  // On a GPU the error is raised where the host next reads the device (the
  // kernel runs asynchronously); on the CPU at the op itself.
  EXPECT_TRUE(throws_containing(
      [&] { (void)index_select(x, 0, idx).sum().item<float>(); },
      "[index_select] index 7 is out of range for dim 0 of size 4"));
  // Reported once, and the device stays usable after the error.
  EXPECT_FLOAT_EQ(x.sum().item<float>(), 12.0f);
  const Tensor rows =
      from_vector(std::vector<int64_t>{3, 0}, {2}, DType::Int64, device());
  EXPECT_FLOAT_EQ(index_select(x, 0, rows).sum().item<float>(), 6.0f);
}

// More index checks between two host reads than the device keeps slots for
// (kernel_errors.h): an error before the slots run out is raised when they
// do, one after it at the read.
TEST(CudaDevice, BadIndexAmongManyChecksIsFound) {
  FNX_SKIP_WITHOUT_CUDA();
  const Tensor x = ones({4, 3}, DType::Float32, device());
  const Tensor good =
      from_vector(std::vector<int64_t>{0, 3}, {2}, DType::Int64, device());
  const Tensor bad =
      from_vector(std::vector<int64_t>{1, -2}, {2}, DType::Int64, device());
  for (int bad_at : {500, 1100}) {
    EXPECT_TRUE(throws_containing(
        [&] {
          Tensor last;
          for (int i = 0; i < 1500; ++i) {
            last = index_select(x, 0, i == bad_at ? bad : good);
          }
          (void)last.sum().item<float>();
        },
        "[index_select] index -2 is out of range for dim 0 of size 4"))
        << bad_at;
  }
  EXPECT_FLOAT_EQ(x.sum().item<float>(), 12.0f);
}

// Host threads share a device: its stream, caching allocator, library
// handles, convolution plans and index checks serve both at once, and each
// thread's transforms stay its own.
TEST(CudaDevice, TwoHostThreadsShareTheDevice) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(12);
  const Tensor x = randn({4, 3, 8, 8}, DType::Float32, &gen);
  const Tensor w = randn({5, 3, 3, 3}, DType::Float32, &gen);
  const Tensor m = randn({6, 7}, DType::Float32, &gen);
  const Tensor rows =
      from_vector(std::vector<int64_t>{3, 0, 2}, {3}, DType::Int64);
  auto f = [](const Tensor& xs, const Tensor& ws, const Tensor& ms,
              const Tensor& is) {
    const Tensor y = matmul(relu(conv2d(xs, ws)), ms);  // (4, 5, 6, 7)
    return index_select(y, 0, is).sum();
  };
  auto loss = [&](const Tensor& xs) {
    return f(xs, w.to(xs.device()), m.to(xs.device()), rows.to(xs.device()));
  };
  const Tensor want_value = loss(x);
  const Tensor want_grad = grad(loss)(x);
  std::vector<int> good(2, 0);
  auto worker = [&](int t) {
    for (int i = 0; i < 10; ++i) {
      const Tensor xd = x.to(device());
      const bool ok = close(loss(xd), want_value, 1e-3, 1e-4) &&
                      close(grad(loss)(xd), want_grad, 1e-4, 1e-4);
      good[static_cast<std::size_t>(t)] += ok ? 1 : 0;
    }
  };
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  EXPECT_EQ(good[0], 10);
  EXPECT_EQ(good[1], 10);
}

#if defined(FNX_HAVE_CUDA)
bool caching_off() {
  const char* env = std::getenv("FNX_CUDA_NO_CACHING");
  return env != nullptr && std::string(env) == "1";
}

#define FNX_SKIP_WITHOUT_CACHING()                                     \
  do {                                                                 \
    if (caching_off()) GTEST_SKIP() << "FNX_CUDA_NO_CACHING=1 is set"; \
  } while (0)

TEST(CudaDevice, CachingAllocatorReusesBlocks) {
  FNX_SKIP_WITHOUT_CUDA();
  FNX_SKIP_WITHOUT_CACHING();
  const Tensor x = ones({1 << 20}, DType::Float32, device());
  for (int i = 0; i < 3; ++i) (void)(x + x).sum().item<float>();  // warm up
  const int64_t mallocs = fnx::cuda::device_malloc_calls();
  for (int i = 0; i < 100; ++i) (void)(x + x).sum();
  fnx::cuda::synchronize();
  EXPECT_EQ(fnx::cuda::device_malloc_calls(), mallocs)
      << "steady-state ops must not call cudaMalloc";
  EXPECT_GT(fnx::cuda::cached_bytes(), 0);
}

// A cached block up to 25% larger than asked for is handed out whole: the
// statistics count the whole block in and out again.
TEST(CudaDevice, AllocatorStatisticsBalanceWhenALargerBlockIsReused) {
  FNX_SKIP_WITHOUT_CUDA();
  FNX_SKIP_WITHOUT_CACHING();
  fnx::cuda::empty_cache();
  const int64_t before = fnx::cuda::allocated_bytes();
  (void)empty({26 << 18}, DType::Float32, device());  // a 26 MiB block, freed
  EXPECT_EQ(fnx::cuda::allocated_bytes(), before);
  const int64_t mallocs = fnx::cuda::device_malloc_calls();
  {
    const Tensor t = empty({22 << 18}, DType::Float32, device());  // 22 MiB
    EXPECT_EQ(fnx::cuda::device_malloc_calls(), mallocs) << "block reused";
    EXPECT_EQ(fnx::cuda::allocated_bytes(), before + (26 << 20));
  }
  EXPECT_EQ(fnx::cuda::allocated_bytes(), before);
  EXPECT_GE(fnx::cuda::cached_bytes(), int64_t{26} << 20);
}

// FNX_CUDA_NO_CACHING=1 (cuda.h; the target device_no_caching_test_simulated
// sets it): every tensor is a cudaMalloc of its exact size, freed with it.
TEST(CudaDevice, WithoutCachingEachTensorIsItsOwnAllocation) {
  FNX_SKIP_WITHOUT_CUDA();
  if (!caching_off()) GTEST_SKIP() << "needs FNX_CUDA_NO_CACHING=1";
  const int64_t before = fnx::cuda::allocated_bytes();
  const int64_t mallocs = fnx::cuda::device_malloc_calls();
  {
    const Tensor t = full({3, 5}, 2.0, DType::Float32, device());
    EXPECT_EQ(fnx::cuda::device_malloc_calls(), mallocs + 1);
    EXPECT_EQ(fnx::cuda::allocated_bytes(), before + 60) << "exact size";
    EXPECT_FLOAT_EQ((t * t).sum().item<float>(), 60.0f);
  }
  EXPECT_EQ(fnx::cuda::allocated_bytes(), before);
  EXPECT_EQ(fnx::cuda::cached_bytes(), 0);
  const int64_t after = fnx::cuda::device_malloc_calls();
  (void)empty({7}, DType::Float32, device());
  EXPECT_EQ(fnx::cuda::device_malloc_calls(), after + 1) << "nothing reused";
}

TEST(CudaDevice, Tf32IsOffByDefaultAndSwitchable) {
  FNX_SKIP_WITHOUT_CUDA();
  EXPECT_FALSE(fnx::cuda::allow_tf32());
  Generator gen(9);
  const Tensor a = randn({256, 256}, DType::Float32, &gen);
  const Tensor b = randn({256, 256}, DType::Float32, &gen);
  const Tensor want = matmul(a.to(DType::Float64), b.to(DType::Float64));
  // Full float32 precision without TF32.
  EXPECT_TRUE(close(matmul(a.to(device()), b.to(device())).to(DType::Float64),
                    want, 1e-3, 1e-4));
  fnx::cuda::set_allow_tf32(true);
  EXPECT_TRUE(fnx::cuda::allow_tf32());
  EXPECT_TRUE(close(matmul(a.to(device()), b.to(device())).to(DType::Float64),
                    want, 0.5, 1e-2));
  fnx::cuda::set_allow_tf32(false);
}

// Two devices (the simulated machine has two): each has its own stream,
// allocator and library handles; tensors move between them by peer copy.
TEST(CudaDevice, SecondDeviceComputesAndExchanges) {
  FNX_SKIP_WITHOUT_CUDA();
  if (fnx::cuda::device_count() < 2) GTEST_SKIP() << "one CUDA device";
  const Device d1 = Device::cuda(1);
  Generator gen(4);
  const Tensor a = randn({8, 5, 6, 6}, DType::Float32, &gen);
  const Tensor w = randn({4, 5, 3, 3}, DType::Float32, &gen);
  const Tensor m = randn({6, 7}, DType::Float32, &gen);
  const int64_t before = fnx::cuda::allocated_bytes(1);
  const Tensor a1 = a.to(device()).to(d1);  // host -> cuda:0 -> cuda:1
  EXPECT_EQ(a1.device(), d1);
  EXPECT_GT(fnx::cuda::allocated_bytes(1), before);
  ConvOptions same;
  same.padding = {1, 1};
  const Tensor want = relu(conv2d(a, w, {}, same));
  const Tensor y = relu(conv2d(a1, w.to(d1), {}, same));
  EXPECT_EQ(y.device(), d1);
  EXPECT_TRUE(close(y, want, 1e-4, 1e-4));
  EXPECT_TRUE(close(matmul(a1, m.to(d1)), matmul(a, m), 1e-4, 1e-4));
  EXPECT_TRUE(close(y.to(device()).sum({0}), want.sum({0}), 1e-3, 1e-4));
  // Gradients flow back across the move.
  auto f = [&](const Tensor& x) { return (x.to(d1) * x.to(d1)).sum(); };
  const Tensor g = grad(f)(a.to(device()));
  EXPECT_EQ(g.device(), device());
  EXPECT_TRUE(close(g, a * 2.0, 1e-5, 1e-6));
  // One op on both devices is refused; a bad index on cuda:1 is raised when
  // cuda:1 is read.
  EXPECT_TRUE(
      throws_containing([&] { (void)(a1 + a.to(device())); }, "cuda:1"));
  const Tensor bad =
      from_vector(std::vector<int64_t>{9}, {1}, DType::Int64, d1);
  EXPECT_TRUE(throws_containing(
      [&] { (void)index_select(a1, 0, bad).sum().item<float>(); },
      "[index_select] index 9 is out of range"));
  fnx::cuda::synchronize(d1);
}

TEST(CudaDevice, MissingDeviceIndexIsAClearError) {
  FNX_SKIP_WITHOUT_CUDA();
  EXPECT_TRUE(throws_containing(
      [&] { (void)zeros({2}, DType::Float32, Device::cuda(99)); },
      "cuda:99 does not exist"));
}
#endif

}  // namespace
}  // namespace fnx::cuda_test
