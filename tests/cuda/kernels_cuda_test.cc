// Paths of the CUDA kernels that the op database's small samples do not
// reach, each against the CPU: long reductions (blocks per result and a
// second pass over chunks), reductions to many results along either
// memory order (a warp per result along a contiguous run: sums, max/min,
// argmax/argmin with ties and NaNs, softmax and cross-entropy; 32 adjacent
// results a block over rows, with split ranges), softmax's kernels, the
// vectorized elementwise path with and without alignment, batched and
// broadcast matmuls (strided-batched and folded GEMMs, copies of layouts
// cuBLAS cannot read), grouped / strided / dilated convolutions in 1-3
// dims and their gradients, atomics with many duplicate indices, random
// numbers at large offsets, and argsort's merge passes (long fibers, ties,
// NaN, signed zeros, a dim that is not the last, first-k selections).
#include <limits>
#include <string>
#include <vector>

#include "core/ops/ops.h"
#include "core/ops/sort.h"
#include "gtest/gtest.h"
#include "tests/cuda/cuda_test_util.h"

namespace fnx::cuda_test {
namespace {

Tensor dev(const Tensor& t) { return mirror(t, device()); }

// softmax.cu's kernels, for softmax and log_softmax: a warp per row of up
// to 1024 (each elements-per-lane variant), a block per longer row, a
// thread per column; infinite and NaN rows as on the CPU.
TEST(CudaKernels, Softmax) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(21);
  // Both ops along `dim`, on the device and on the CPU.
  auto expect_both = [](const Tensor& x, int64_t dim, double atol,
                        double rtol) {
    EXPECT_TRUE(
        close(log_softmax(dev(x), dim), log_softmax(x, dim), atol, rtol));
    EXPECT_TRUE(close(softmax(dev(x), dim), softmax(x, dim), atol, rtol));
  };
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const Tol tol = tolerance_for(dtype);
    for (int64_t n : {1, 10, 33, 100, 200, 500, 1000, 1024, 1025, 5000}) {
      SCOPED_TRACE("row of " + std::to_string(n));
      expect_both(mul(randn({37, n}, dtype, &gen), 4.0), 1, tol.atol, tol.rtol);
    }
    const Tensor x = randn({300, 70}, dtype, &gen);
    expect_both(x, 0, tol.atol, tol.rtol);
    expect_both(randn({5, 40, 3}, dtype, &gen), 1, tol.atol, tol.rtol);
    // A transposed view: made contiguous first.
    EXPECT_TRUE(close(log_softmax(dev(x).t(), 1), log_softmax(x.t(), 1),
                      tol.atol, tol.rtol));
  }
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor special =
      from_vector(std::vector<double>{-inf, 0, 0, -inf, inf, 1, 2, 3, nan, 1, 2,
                                      3, -inf, -inf, -inf, -inf},
                  {4, 4}, DType::Float32);
  expect_both(special, 1, 1e-6, 1e-6);
  expect_both(special, 0, 1e-6, 1e-6);
}

TEST(CudaKernels, LongReductions) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(1);
  const Tensor x = randn({3, 400000}, DType::Float32, &gen);
  const Tensor xd = dev(x);
  EXPECT_TRUE(close(xd.sum(), x.sum(), 1e-3, 1e-5));
  EXPECT_TRUE(close(sum(xd, {1}), sum(x, {1}), 1e-3, 1e-5));
  EXPECT_TRUE(close(amax(xd, {1}), amax(x, {1}), 0, 0));
  EXPECT_TRUE(close(amin(xd), amin(x), 0, 0));
  EXPECT_TRUE(close(argmax(xd, 1), argmax(x, 1), 0, 0));
  // The reduced dim strided (a transposed view).
  const Tensor xt = x.t();
  EXPECT_TRUE(close(sum(dev(x).t(), {0}), sum(xt, {0}), 1e-3, 1e-5));
  const Tensor ints = randint(-50, 50, {1 << 20}, DType::Int64, &gen);
  EXPECT_TRUE(close(dev(ints).sum(), ints.sum(), 0, 0));
  const Tensor flags = ints > 0.0;
  EXPECT_TRUE(close(dev(flags).sum(), flags.sum(), 0, 0));
  EXPECT_TRUE(close(mean(xd), mean(x), 1e-6, 1e-4));
}

// More than 65535 chunks of 2^16 at the default chunk length: longer chunks
// keep gridDim.y within its limit (4 GiB of bool, device memory only).
TEST(CudaKernels, ReductionOfMoreThanTwoToThe32Elements) {
  FNX_SKIP_WITHOUT_CUDA();
  if (emulated() || simulated()) GTEST_SKIP() << "4 GiB: GPU only";
  const int64_t n = (int64_t{1} << 32) + (int64_t{1} << 20);
  const Tensor flags = ones({n}, DType::Bool, device());
  EXPECT_EQ(flags.sum().item<int64_t>(), n);
}

TEST(CudaKernels, ManyResultReductions) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(2);
  const Tensor x = randn({4096, 33}, DType::Float32, &gen);
  const Tensor xd = dev(x);
  for (int64_t d : {0, 1}) {
    EXPECT_TRUE(close(sum(xd, {d}), sum(x, {d}), 1e-4, 1e-5)) << d;
    EXPECT_TRUE(close(amax(xd, {d}, true), amax(x, {d}, true), 0, 0)) << d;
    EXPECT_TRUE(close(argmin(xd, d), argmin(x, d), 0, 0)) << d;
  }
  const Tensor y = randn({64, 8, 16, 5}, DType::Float64, &gen);
  EXPECT_TRUE(close(sum(dev(y), {0, 2}), sum(y, {0, 2}), 1e-12, 1e-10));
  EXPECT_TRUE(close(sum(dev(y).permute({3, 1, 0, 2}), {1, 3}),
                    sum(y.permute({3, 1, 0, 2}), {1, 3}), 1e-12, 1e-10));
}

// Results adjacent in memory (over rows): 32 results a block, the rows
// split over gridDim.y and a second pass over the splits when the range is
// long (backends/cuda/reduce_geometry.h: column_splits).
TEST(CudaKernels, ColumnReductions) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(5);
  const Tensor x = randn({3000, 70}, DType::Float32, &gen);  // 11 splits
  const Tensor xd = dev(x);
  EXPECT_TRUE(close(sum(xd, {0}), sum(x, {0}), 1e-4, 1e-5));
  EXPECT_TRUE(close(amax(xd, {0}), amax(x, {0}), 0, 0));
  EXPECT_TRUE(close(amin(xd, {0}, true), amin(x, {0}, true), 0, 0));
  EXPECT_TRUE(close(mean(xd, {0}), mean(x, {0}), 1e-6, 1e-4));
  const Tensor few = randn({300, 40}, DType::Float64, &gen);  // one split
  EXPECT_TRUE(close(sum(dev(few), {0}), sum(few, {0}), 1e-12, 1e-10));
  const Tensor ints = randint(-50, 50, {2000, 33}, DType::Int64, &gen);
  EXPECT_TRUE(close(sum(dev(ints), {0}), sum(ints, {0}), 0, 0));
  EXPECT_TRUE(close(amax(dev(ints), {0}), amax(ints, {0}), 0, 0));
  const Tensor flags = ints > 0.0;
  EXPECT_TRUE(close(sum(dev(flags), {0}), sum(flags, {0}), 0, 0));
  // Two kept dims (a stepped view), two reduced dims, and a NaN.
  Tensor y = randn({600, 3, 40}, DType::Float32, &gen);
  EXPECT_TRUE(close(sum(dev(y).slice(2, 0, 32), {0}),
                    sum(y.slice(2, 0, 32), {0}), 1e-4, 1e-5));
  const Tensor z = randn({64, 8, 5, 6}, DType::Float32, &gen);
  EXPECT_TRUE(close(sum(dev(z), {0, 2}), sum(z, {0, 2}), 1e-4, 1e-5));
  std::vector<double> v = x.to_vector();
  v[1234 * 70 + 5] = std::numeric_limits<double>::quiet_NaN();
  const Tensor with_nan = from_vector(v, {3000, 70}, DType::Float32);
  EXPECT_TRUE(close(amax(dev(with_nan), {0}), amax(with_nan, {0}), 0, 0));
  EXPECT_TRUE(close(sum(dev(with_nan), {0}), sum(with_nan, {0}), 1e-4, 1e-5));
}

// rows x cols from a few levels (many ties); with `nans`, every third row
// gets a NaN and every sixth a second one in its last column (the first
// must win).
Tensor ties(int64_t rows, int64_t cols, DType dtype, Generator* gen,
            bool nans) {
  std::vector<double> v =
      randint(-2, 3, {rows, cols}, DType::Int64, gen).to_vector();
  for (int64_t i = 0; nans && i < rows; i += 3) {
    v[i * cols + (7 * i) % cols] = std::numeric_limits<double>::quiet_NaN();
    if (i % 6 == 0) v[i * cols + cols - 1] = v[i * cols + (7 * i) % cols];
  }
  return from_vector(v, {rows, cols}, dtype);
}

// Many results reduced along a contiguous run: a warp per result
// (backends/cuda/reduce_geometry.h).
TEST(CudaKernels, WarpPerResultReductions) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(7);
  const Tensor x = randn({4096, 1000}, DType::Float32, &gen);
  const Tensor xd = dev(x);
  const Tensor target = randint(0, 1000, {4096}, DType::Int64, &gen);
  EXPECT_TRUE(close(sum(xd, {1}), sum(x, {1}), 1e-4, 1e-5));
  EXPECT_TRUE(close(amax(xd, {1}), amax(x, {1}), 0, 0));
  EXPECT_TRUE(close(amin(xd, {1}, true), amin(x, {1}, true), 0, 0));
  EXPECT_TRUE(close(argmax(xd, 1), argmax(x, 1), 0, 0));
  EXPECT_TRUE(close(argmin(xd, -1), argmin(x, -1), 0, 0));
  EXPECT_TRUE(close(mean(xd, {1}), mean(x, {1}), 1e-6, 1e-5));
  EXPECT_TRUE(close(cross_entropy(xd, dev(target)), cross_entropy(x, target),
                    1e-5, 1e-5));
  // Softmax's amax and sum (smaller: the CPU side is slow in debug builds).
  const Tensor l = randn({2048, 300}, DType::Float32, &gen);
  EXPECT_TRUE(close(softmax(dev(l), 1), softmax(l, 1), 1e-6, 1e-5));
  EXPECT_TRUE(close(log_softmax(dev(l), -1), log_softmax(l, -1), 1e-5, 1e-5));
  // The contiguous dim reached through a transposed view.
  EXPECT_TRUE(close(sum(xd.t(), {0}), sum(x.t(), {0}), 1e-4, 1e-5));
  EXPECT_TRUE(close(argmax(xd.t(), 0), argmax(x.t(), 0), 0, 0));
  // Runs at the threshold, under a warp, not a multiple of one; every type.
  for (int64_t n : {16, 31, 33, 100}) {
    const Tensor d = randn({3000, n}, DType::Float64, &gen);
    EXPECT_TRUE(close(sum(dev(d), {1}), sum(d, {1}), 1e-12, 1e-10)) << n;
    EXPECT_TRUE(close(amin(dev(d), {1}), amin(d, {1}), 0, 0)) << n;
    const Tensor i = randint(-1000, 1000, {3000, n}, DType::Int64, &gen);
    EXPECT_TRUE(close(sum(dev(i), {1}), sum(i, {1}), 0, 0)) << n;
    const Tensor i32 = cast(i, DType::Int32);
    EXPECT_TRUE(close(amax(dev(i32), {1}), amax(i32, {1}), 0, 0)) << n;
    const Tensor b = i > 500.0;
    EXPECT_TRUE(close(sum(dev(b), {1}), sum(b, {1}), 0, 0)) << n;
    EXPECT_TRUE(close(amax(dev(b), {1}), amax(b, {1}), 0, 0)) << n;
    EXPECT_TRUE(close(argmax(dev(b), 1), argmax(b, 1), 0, 0)) << n;
  }
  // Ties and NaNs: the first index of the extreme, the first NaN. Few rows
  // too: argmax takes a warp per result whatever the count.
  for (const Shape& s : {Shape{4096, 77}, Shape{4096, 20}, Shape{7, 5000}}) {
    SCOPED_TRACE(shape_str(s));
    for (bool nans : {false, true}) {
      for (DType dt : {DType::Float32, DType::Float64}) {
        const Tensor t = ties(s[0], s[1], dt, &gen, nans);
        EXPECT_TRUE(close(argmax(dev(t), 1), argmax(t, 1), 0, 0));
        EXPECT_TRUE(close(argmin(dev(t), 1), argmin(t, 1), 0, 0));
        EXPECT_TRUE(close(amax(dev(t), {1}), amax(t, {1}), 0, 0));
        EXPECT_TRUE(close(sum(dev(t), {1}), sum(t, {1}), 0, 0));
      }
    }
    const Tensor it = randint(-2, 3, s, DType::Int64, &gen);
    EXPECT_TRUE(close(argmax(dev(it), 1), argmax(it, 1), 0, 0));
    EXPECT_TRUE(close(argmin(dev(it), 1), argmin(it, 1), 0, 0));
  }
  // Several reduced dims whose innermost is the run.
  const Tensor y = randn({3, 2048, 20}, DType::Float32, &gen);
  EXPECT_TRUE(close(sum(dev(y), {0, 2}), sum(y, {0, 2}), 1e-4, 1e-5));
  EXPECT_TRUE(close(amax(dev(y), {0, 2}), amax(y, {0, 2}), 0, 0));
  const Tensor z = randn({64, 128, 4, 10}, DType::Float32, &gen);
  EXPECT_TRUE(close(sum(dev(z), {2, 3}), sum(z, {2, 3}), 1e-4, 1e-5));
}

// Argmax/argmin over rows take the columns path too: candidates merged
// across rows, splits and the second pass; ties and NaNs as on the CPU.
TEST(CudaKernels, ColumnArgReductions) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(6);
  for (const DType dtype : {DType::Float32, DType::Float64}) {
    const Tensor t = ties(3000, 70, dtype, &gen, true);  // 11 splits
    EXPECT_TRUE(close(argmax(dev(t), 0), argmax(t, 0), 0, 0));
    EXPECT_TRUE(close(argmin(dev(t), 0), argmin(t, 0), 0, 0));
  }
  const Tensor one_split = ties(100, 40, DType::Float32, &gen, true);
  EXPECT_TRUE(close(argmax(dev(one_split), 0), argmax(one_split, 0), 0, 0));
  const Tensor ints = randint(-2, 3, {2000, 33}, DType::Int32, &gen);
  EXPECT_TRUE(close(argmin(dev(ints), 0), argmin(ints, 0), 0, 0));
  const Tensor flags = ints > 0.0;
  EXPECT_TRUE(close(argmax(dev(flags), 0), argmax(flags, 0), 0, 0));
}

TEST(CudaKernels, VectorizedAndUnalignedElementwise) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(3);
  for (int64_t n : {1, 3, 4, 17, 1000003}) {
    const Tensor a = randn({n}, DType::Float32, &gen);
    const Tensor b = randn({n}, DType::Float32, &gen);
    EXPECT_TRUE(close(dev(a) + dev(b), a + b, 0, 0)) << n;
    EXPECT_TRUE(close(exp(dev(a)), exp(a), 1e-6, 1e-6)) << n;
    if (n > 1) {  // offset by one element: not 16-byte aligned
      EXPECT_TRUE(close(dev(a).slice(0, 1, n) * dev(b).slice(0, 1, n),
                        a.slice(0, 1, n) * b.slice(0, 1, n), 0, 0))
          << n;
    }
  }
  const Tensor i = randint(-1000, 1000, {1001}, DType::Int32, &gen);
  EXPECT_TRUE(close(dev(i) * dev(i), i * i, 0, 0));
  const Tensor d = randn({999}, DType::Float64, &gen);
  EXPECT_TRUE(close(dev(d) * dev(d).abs(), d * d.abs(), 0, 0));
}

TEST(CudaKernels, BatchedAndBroadcastMatmul) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(4);
  auto check = [&](const Tensor& a, const Tensor& b) {
    EXPECT_TRUE(close(matmul(dev(a), dev(b)), matmul(a, b), 1e-4, 1e-4))
        << shape_str(a.shape()) << " x " << shape_str(b.shape());
  };
  check(randn({8, 16, 32}, DType::Float32, &gen),
        randn({32, 4}, DType::Float32, &gen));  // folded into one GEMM
  check(randn({5, 1, 4, 3}, DType::Float32, &gen),
        randn({7, 3, 2}, DType::Float32, &gen));  // broadcast batches
  check(randn({6, 9, 7}, DType::Float32, &gen).transpose(1, 2),
        randn({6, 9, 5}, DType::Float32, &gen));  // transposed operand
  check(randn({4, 6, 8}, DType::Float32, &gen).permute({1, 0, 2}),
        randn({6, 8, 3}, DType::Float32, &gen));  // batch stride != m*k
  check(randn({3, 5, 0}, DType::Float32, &gen),
        randn({3, 0, 4}, DType::Float32, &gen));  // k == 0
  check(randn({300, 200}, DType::Float64, &gen),
        randn({200, 100}, DType::Float64, &gen));
  const Tensor ia = randint(-5, 5, {3, 4, 6}, DType::Int64, &gen);
  const Tensor ib = randint(-5, 5, {6, 2}, DType::Int64, &gen);
  EXPECT_TRUE(close(matmul(dev(ia), dev(ib)), matmul(ia, ib), 0, 0));
}

TEST(CudaKernels, ConvolutionsAndGradients) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(5);
  struct Case {
    Shape x, w;
    ConvOptions o;
  };
  const std::vector<Case> cases = {
      {{2, 4, 17}, {6, 2, 3}, {.stride = {2}, .padding = {1}, .groups = 2}},
      {{3, 6, 12, 10},
       {9, 2, 3, 2},
       {.stride = {1, 2}, .padding = {2, 0}, .dilation = {2, 1}, .groups = 3}},
      {{2, 2, 6, 7, 5}, {4, 2, 2, 3, 2}, {.padding = {1}}},
      {{1, 64, 12, 12}, {64, 1, 3, 3}, {.padding = {1}, .groups = 64}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(shape_str(c.x) + " * " + shape_str(c.w));
    for (DType dt : {DType::Float32, DType::Float64}) {
      const Tensor x = randn(c.x, dt, &gen);
      const Tensor w = randn(c.w, dt, &gen);
      const Tensor y = conv(x, w, c.o);
      const double tol = dt == DType::Float32 ? 1e-4 : 1e-10;
      EXPECT_TRUE(close(conv(dev(x), dev(w), c.o), y, tol, tol));
      const Tensor gy = randn(y.shape(), dt, &gen);
      EXPECT_TRUE(close(conv_input_grad(dev(gy), dev(w), x.shape(), c.o),
                        conv_input_grad(gy, w, x.shape(), c.o), tol, tol));
      EXPECT_TRUE(close(conv_weight_grad(dev(x), dev(gy), w.shape(), c.o),
                        conv_weight_grad(x, gy, w.shape(), c.o), tol * 10,
                        tol));
    }
  }
}

TEST(CudaKernels, ScatterAddWithManyDuplicates) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(6);
  const Tensor x = zeros({7, 3});
  const Tensor idx = randint(0, 7, {5000, 3}, DType::Int64, &gen);
  const Tensor src = randn({5000, 3}, DType::Float32, &gen);
  EXPECT_TRUE(close(scatter_add(dev(x), 0, dev(idx), dev(src)),
                    scatter_add(x, 0, idx, src), 1e-4, 1e-5));
  const Tensor xi = zeros({7}, DType::Int64);
  const Tensor ii = randint(0, 7, {5000}, DType::Int64, &gen);
  const Tensor si = randint(-9, 9, {5000}, DType::Int64, &gen);
  EXPECT_TRUE(close(index_add(dev(xi), 0, dev(ii), dev(si)),
                    index_add(xi, 0, ii, si), 0, 0));
}

TEST(CudaKernels, RandomAtLargeOffsets) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator g1(77), g2(77);
  g1.reserve(uint64_t{1} << 40);
  g2.reserve(uint64_t{1} << 40);
  EXPECT_TRUE(close(rand({4097}, DType::Float32, &g2, device()),
                    rand({4097}, DType::Float32, &g1), 0, 0));
  EXPECT_TRUE(close(normal({4097}, 3.0, 0.5, DType::Float32, &g2, device()),
                    normal({4097}, 3.0, 0.5, DType::Float32, &g1), 1e-6, 0));
}

// argsort.cu: positions equal to the CPU's stable order, exactly, for
// fibers of every length around the merge widths, with heavy ties.
TEST(CudaKernels, ArgsortMergePasses) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(31);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int32,
                      DType::Int64}) {
    for (int64_t n : {1, 2, 3, 7, 8, 9, 64, 100, 1000, 3000}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " fibers of " +
                   std::to_string(n));
      // Few distinct values: many ties, which stability must order.
      Tensor x = cast(floor(mul(randn({3, n}, DType::Float64, &gen), 2.0)),
                      dtype);
      for (bool descending : {false, true}) {
        EXPECT_TRUE(equal(argsort(dev(x), 1, descending).to(Device::cpu()),
                          argsort(x, 1, descending)));
      }
      EXPECT_TRUE(equal(topk(dev(x), n / 2, 1).indices.to(Device::cpu()),
                        topk(x, n / 2, 1).indices));
    }
  }
  // NaN above +inf, -0 equal to +0 (kept in place), along dim 0 of (n, 5).
  const Tensor special = from_vector(
      std::vector<double>{0.0, -0.0, nan, 1, -1, nan, -0.0, 0.0, 3, -3},
      {2, 5}, DType::Float32);
  const Tensor tall = cat({special, flip(special, {0}), special}, 0);
  for (bool descending : {false, true}) {
    EXPECT_TRUE(equal(argsort(dev(tall), 0, descending).to(Device::cpu()),
                      argsort(tall, 0, descending)));
  }
}

}  // namespace
}  // namespace fnx::cuda_test
