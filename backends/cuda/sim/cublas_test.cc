// The simulated cuBLAS against an independent reference: every transpose,
// padded leading dimensions, strided batches (a shared B included), beta ==
// 0 over NaN, the math mode, the stream, and the statuses misuse gets.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "backends/cuda/sim/sim_libs_test_util.h"

namespace cuda_sim_test {
namespace {

// Element (i, j) of op(M), M column-major with leading dimension ld.
template <typename T>
double op_at(const T* m, bool trans, int ld, int i, int j) {
  return trans ? m[j + i * ld] : m[i + j * ld];
}

// Column-major C = alpha op(A) op(B) + beta C in double, batch by batch.
template <typename T>
std::vector<double> gemm_reference(bool ta, bool tb, int m, int n, int k,
                                   double alpha, const std::vector<T>& a,
                                   int lda, long long sa,
                                   const std::vector<T>& b, int ldb,
                                   long long sb, double beta,
                                   const std::vector<T>& c, int ldc,
                                   long long sc, int batch) {
  std::vector<double> out(c.begin(), c.end());
  for (int g = 0; g < batch; ++g) {
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) {
        double acc = 0;
        for (int p = 0; p < k; ++p) {
          acc += op_at(&a[g * sa], ta, lda, i, p) *
                 op_at(&b[g * sb], tb, ldb, p, j);
        }
        double& o = out[g * sc + i + j * ldc];
        o = alpha * acc + (beta == 0 ? 0 : beta * o);
      }
    }
  }
  return out;
}

template <typename T>
cublasStatus_t gemm_batched(cublasHandle_t h, cublasOperation_t ta,
                            cublasOperation_t tb, int m, int n, int k,
                            const T* alpha, const T* a, int lda, long long sa,
                            const T* b, int ldb, long long sb, const T* beta,
                            T* c, int ldc, long long sc, int batch) {
  if constexpr (std::is_same_v<T, float>) {
    return cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, a, lda, sa, b,
                                     ldb, sb, beta, c, ldc, sc, batch);
  } else {
    return cublasDgemmStridedBatched(h, ta, tb, m, n, k, alpha, a, lda, sa, b,
                                     ldb, sb, beta, c, ldc, sc, batch);
  }
}

template <typename T>
cublasStatus_t gemm(cublasHandle_t h, cublasOperation_t ta,
                    cublasOperation_t tb, int m, int n, int k, const T* alpha,
                    const T* a, int lda, const T* b, int ldb, const T* beta,
                    T* c, int ldc) {
  if constexpr (std::is_same_v<T, float>) {
    return cublasSgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else {
    return cublasDgemm(h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

class Cublas : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(cublasCreate(&h_), CUBLAS_STATUS_SUCCESS); }
  void TearDown() override {
    EXPECT_EQ(cublasDestroy(h_), CUBLAS_STATUS_SUCCESS);
  }

  // One strided batched GEMM with padded leading dimensions and strides,
  // against the reference; c_init NaN checks that beta == 0 ignores C.
  template <typename T>
  void check(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
             int batch, double alpha, double beta, bool nan_c,
             bool shared_b = false) {
    SCOPED_TRACE(testing::Message() << "ta " << ta << " tb " << tb << " m " << m
                                    << " n " << n << " k " << k);
    const bool at = ta != CUBLAS_OP_N, bt = tb != CUBLAS_OP_N;
    const int lda = (at ? k : m) + 2, ldb = (bt ? n : k) + 1, ldc = m + 3;
    const long long sa = 1LL * lda * (at ? m : k) + 5;
    const long long sb = shared_b ? 0 : 1LL * ldb * (bt ? k : n) + 2;
    const long long sc = 1LL * ldc * n + 4;
    const auto a = random_vector<T>(sa * batch, 1);
    const auto b =
        random_vector<T>(shared_b ? ldb * (bt ? k : n) : sb * batch, 2);
    auto c = random_vector<T>(sc * batch, 3);
    if (nan_c) std::fill(c.begin(), c.end(), static_cast<T>(kNaN));
    DeviceArray<T> da(a), db(b), dc(c);
    const T alpha_t = static_cast<T>(alpha), beta_t = static_cast<T>(beta);
    ASSERT_EQ(
        gemm_batched<T>(h_, ta, tb, m, n, k, &alpha_t, da.get(), lda, sa,
                        db.get(), ldb, sb, &beta_t, dc.get(), ldc, sc, batch),
        CUBLAS_STATUS_SUCCESS);
    const auto expected = gemm_reference(at, bt, m, n, k, alpha, a, lda, sa, b,
                                         ldb, sb, beta, c, ldc, sc, batch);
    const auto got = dc.read();
    for (int g = 0; g < batch; ++g) {
      for (int j = 0; j < n; ++j) {
        for (int i = 0; i < m; ++i) {
          const long long o = g * sc + i + j * ldc;
          ASSERT_NEAR(got[o], expected[o], tolerance<T>() * (1 + k))
              << "batch " << g << " (" << i << ", " << j << ")";
        }
        // Between columns (rows m..ldc) C is untouched.
        for (int i = m; i < ldc && j + 1 < n; ++i) {
          const long long o = g * sc + i + j * ldc;
          ASSERT_TRUE(nan_c ? std::isnan(got[o]) : got[o] == c[o]);
        }
      }
    }
  }

  cublasHandle_t h_ = nullptr;
};

TEST_F(Cublas, EveryTransposeMatchesTheReference) {
  for (cublasOperation_t ta : {CUBLAS_OP_N, CUBLAS_OP_T, CUBLAS_OP_C}) {
    for (cublasOperation_t tb : {CUBLAS_OP_N, CUBLAS_OP_T, CUBLAS_OP_C}) {
      check<float>(ta, tb, 5, 7, 3, 1, 1.5, 0.5, false);
      check<double>(ta, tb, 4, 3, 6, 1, -0.5, 2.0, false);
    }
  }
}

TEST_F(Cublas, StridedBatched) {
  check<float>(CUBLAS_OP_T, CUBLAS_OP_N, 6, 5, 4, 3, 1.0, 0.25, false);
  check<double>(CUBLAS_OP_N, CUBLAS_OP_T, 3, 8, 5, 4, 2.0, 1.0, false);
  // Every batch multiplies the same B (stride 0), as matmul broadcasts.
  check<double>(CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 4, 3, 1.0, 0.0, false, true);
}

TEST_F(Cublas, BetaZeroDoesNotReadC) {
  check<float>(CUBLAS_OP_N, CUBLAS_OP_N, 5, 6, 7, 2, 1.0, 0.0, true);
  check<double>(CUBLAS_OP_T, CUBLAS_OP_T, 3, 2, 4, 1, 3.0, 0.0, true);
}

TEST_F(Cublas, KZeroScalesC) {
  check<double>(CUBLAS_OP_N, CUBLAS_OP_N, 3, 4, 0, 2, 1.0, 0.5, false);
}

TEST_F(Cublas, LargeGemm) {
  check<float>(CUBLAS_OP_T, CUBLAS_OP_N, 256, 256, 256, 1, 1.0, 0.0, true);
}

TEST_F(Cublas, SingleGemmsAndTheirStream) {
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  ASSERT_EQ(cublasSetStream(h_, stream), CUBLAS_STATUS_SUCCESS);
  cudaStream_t got_stream = nullptr;
  ASSERT_EQ(cublasGetStream(h_, &got_stream), CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(got_stream, stream);
  const int m = 3, n = 2, k = 4;
  const auto a = random_vector<double>(m * k, 4),
             b = random_vector<double>(k * n, 5);
  DeviceArray<double> da(a), db(b), dc(m * n);
  double alpha = 2, beta = 0;
  ASSERT_EQ(gemm<double>(h_, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha,
                         da.get(), m, db.get(), k, &beta, dc.get(), m),
            CUBLAS_STATUS_SUCCESS);
  alpha = 100;  // read at call time: the enqueued GEMM keeps 2
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  const auto expected =
      gemm_reference(false, false, m, n, k, 2.0, a, m, 0, b, k, 0, 0.0,
                     std::vector<double>(m * n), m, 0, 1);
  const auto got = dc.read();
  for (int i = 0; i < m * n; ++i) EXPECT_NEAR(got[i], expected[i], 1e-12);
  ASSERT_EQ(cublasSetStream(h_, nullptr), CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(cudaStreamDestroy(stream), cudaSuccess);
}

// TF32 keeps 10 mantissa bits, rounding to nearest even: 1 + 2^-11 is a tie
// that rounds down to 1, 1 + 3 * 2^-11 one that rounds up to 1 + 2^-9.
TEST_F(Cublas, Tf32MathModeRoundsFloatInputs) {
  const std::vector<float> a = {1 + std::ldexp(1.0f, -11),
                                1 + 3 * std::ldexp(1.0f, -11)};
  DeviceArray<float> da(a), db(std::vector<float>{1}), dc(2);
  const float one = 1, zero = 0;
  auto run = [&] {
    EXPECT_EQ(cublasSgemm(h_, CUBLAS_OP_N, CUBLAS_OP_N, 2, 1, 1, &one, da.get(),
                          2, db.get(), 1, &zero, dc.get(), 2),
              CUBLAS_STATUS_SUCCESS);
    return dc.read();
  };
  EXPECT_EQ(run(), a);
  ASSERT_EQ(cublasSetMathMode(h_, CUBLAS_TF32_TENSOR_OP_MATH),
            CUBLAS_STATUS_SUCCESS);
  cublasMath_t mode = CUBLAS_DEFAULT_MATH;
  ASSERT_EQ(cublasGetMathMode(h_, &mode), CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(mode, CUBLAS_TF32_TENSOR_OP_MATH);
  EXPECT_EQ(run(), (std::vector<float>{1, 1 + std::ldexp(1.0f, -9)}));
}

TEST_F(Cublas, InvalidArguments) {
  DeviceArray<float> a(64), b(64), c(64);
  const float one = 1;
  auto call = [&](cublasHandle_t h, cublasOperation_t ta, int m, int n, int k,
                  const float* pa, int lda, int ldb, int ldc) {
    return cublasSgemm(h, ta, CUBLAS_OP_N, m, n, k, &one, pa, lda, b.get(), ldb,
                       &one, c.get(), ldc);
  };
  EXPECT_EQ(call(nullptr, CUBLAS_OP_N, 2, 2, 2, a.get(), 2, 2, 2),
            CUBLAS_STATUS_NOT_INITIALIZED);
  EXPECT_EQ(call(h_, CUBLAS_OP_N, -1, 2, 2, a.get(), 2, 2, 2),
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(call(h_, CUBLAS_OP_N, 2, 2, -1, a.get(), 2, 2, 2),
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(
      call(h_, static_cast<cublasOperation_t>(7), 2, 2, 2, a.get(), 2, 2, 2),
      CUBLAS_STATUS_INVALID_VALUE);
  // lda against A's stored rows: m for OP_N, k for OP_T.
  EXPECT_EQ(call(h_, CUBLAS_OP_N, 3, 2, 2, a.get(), 2, 2, 3),
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(call(h_, CUBLAS_OP_T, 3, 2, 2, a.get(), 2, 2, 3),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(call(h_, CUBLAS_OP_T, 3, 2, 4, a.get(), 3, 4, 3),
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(call(h_, CUBLAS_OP_N, 2, 2, 3, a.get(), 2, 2, 2),  // ldb < k
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(call(h_, CUBLAS_OP_N, 2, 2, 2, a.get(), 2, 2, 1),  // ldc < m
            CUBLAS_STATUS_INVALID_VALUE);
  // lda >= 1 even for an empty matrix; then nothing is done (or touched).
  EXPECT_EQ(call(h_, CUBLAS_OP_N, 0, 2, 2, a.get(), 0, 2, 1),
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cublasSgemm(h_, CUBLAS_OP_N, CUBLAS_OP_N, 0, 2, 2, &one, nullptr, 1,
                        nullptr, 2, &one, nullptr, 1),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(cublasSgemmStridedBatched(h_, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2,
                                      &one, a.get(), 2, 4, b.get(), 2, 4, &one,
                                      c.get(), 2, 4, -1),
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cublasSetMathMode(h_, static_cast<cublasMath_t>(42)),
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cublasDestroy(nullptr), CUBLAS_STATUS_NOT_INITIALIZED);
  EXPECT_STREQ(cublasGetStatusName(CUBLAS_STATUS_INVALID_VALUE),
               "CUBLAS_STATUS_INVALID_VALUE");
}

TEST_F(Cublas, OperandsMustBeDeviceMemoryOfTheirExtent) {
  DeviceArray<float> a(16), b(16), c(16);
  std::vector<float> host(16);
  const float one = 1;
  EXPECT_EQ(cublasSgemm(h_, CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 4, &one,
                        host.data(), 4, b.get(), 4, &one, c.get(), 4),
            CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cublasSgemm(h_, CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 4, &one, a.get(), 4,
                        b.get(), 4, &one, host.data(), 4),
            CUBLAS_STATUS_INVALID_VALUE);
  // (4 - 1) * 5 + 4 = 19 elements of B: past its 16.
  EXPECT_EQ(cublasSgemm(h_, CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 4, &one, a.get(), 4,
                        b.get(), 5, &one, c.get(), 4),
            CUBLAS_STATUS_INVALID_VALUE);
  // The second batch of A lies past the allocation.
  EXPECT_EQ(cublasSgemmStridedBatched(h_, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2,
                                      &one, a.get(), 2, 16, b.get(), 2, 4, &one,
                                      c.get(), 2, 4, 2),
            CUBLAS_STATUS_INVALID_VALUE);
  // Overlapping results race on a GPU.
  EXPECT_EQ(cublasSgemmStridedBatched(h_, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2,
                                      &one, a.get(), 2, 4, b.get(), 2, 4, &one,
                                      c.get(), 2, 2, 2),
            CUBLAS_STATUS_INVALID_VALUE);
}

}  // namespace
}  // namespace cuda_sim_test
