// The CUDA linear-algebra kernels against the CPU kernels on the same
// inputs, single matrices (a call per matrix, also above the batched
// order) and batches of small ones (the batched routines), wherever the
// contract makes the result unique: Cholesky, TriangularSolve, Lu with
// well-separated pivots, eigen- and singular values; Q, R, eigenvectors
// and singular vectors up to the signs of columns (rows of R and Vh),
// which LAPACK and cuSOLVER's Jacobi routines choose differently. Spectra
// are built well separated so that the vectors are well determined.
#include <algorithm>
#include <string>
#include <vector>

#include "core/ops/linalg.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "tests/cuda/cuda_test_util.h"

namespace fnx::cuda_test {
namespace {

#define SKIP_WITHOUT_KERNEL(prim)                                     \
  do {                                                                \
    FNX_SKIP_WITHOUT_CUDA();                                          \
    if (Registry::get().kernel(DeviceType::CUDA, prim) == nullptr) {  \
      GTEST_SKIP() << "no kernel for " #prim " on this device build"; \
    }                                                                 \
  } while (0)

Tensor dev(const Tensor& t) { return mirror(t, device()); }
Tensor host(const Tensor& t) { return t.to(Device::cpu()); }
Tensor mT(const Tensor& t) { return transpose(t, -1, -2); }

double tol_of(DType dtype, int64_t n) {
  return (dtype == DType::Float32 ? 3e-5 : 1e-11) * static_cast<double>(n + 4);
}

Shape shape_of(Shape batch, int64_t m, int64_t n) {
  batch.insert(batch.end(), {m, n});
  return batch;
}

// got with each column's sign flipped to agree with want's column.
Tensor signs_like(const Tensor& got, const Tensor& want) {
  return got * sign(sum(got * want, {-2}, true));
}

// Orthogonal (..., n, n): Q of a random matrix (the CPU kernel).
Tensor orthogonal(const Shape& batch, int64_t n, DType dtype, Generator* gen) {
  return linalg::qr(randn(shape_of(batch, n, n), dtype, gen)).Q;
}

// k, k - 1, ..., 1: gaps of one.
Tensor spectrum(int64_t k, DType dtype) {
  std::vector<double> v;
  for (int64_t i = k; i > 0; --i) v.push_back(static_cast<double>(i));
  return from_vector(v, {k}, dtype);
}

struct Case {
  Shape batch;
  int64_t m, n;
};
const std::vector<Case> kSquare = {
    {{}, 5, 5}, {{3}, 6, 6}, {{2}, 32, 32}, {{2}, 36, 36}};
const std::vector<Case> kRect = {
    {{}, 6, 4}, {{3}, 5, 7}, {{2}, 8, 3}, {{2}, 9, 32}, {{2}, 34, 30}};
const DType kTypes[] = {DType::Float32, DType::Float64};

std::string name_of(const Case& c, DType dtype) {
  return shape_str(c.batch) + " " + std::to_string(c.m) + "x" +
         std::to_string(c.n) + " " + std::string(dtype_name(dtype));
}

TEST(CudaLinalgVsCpu, CholeskyAndTriangularSolve) {
  SKIP_WITHOUT_KERNEL(Prim::Cholesky);
  SKIP_WITHOUT_KERNEL(Prim::TriangularSolve);
  Generator gen(21);
  for (DType dtype : kTypes) {
    for (const Case& c : kSquare) {
      SCOPED_TRACE(name_of(c, dtype));
      const Tensor x = randn(shape_of(c.batch, c.n, c.n), dtype, &gen);
      const Tensor a = matmul(x, mT(x)) * (1.0 / c.n) + eye(c.n, dtype);
      const double tol = tol_of(dtype, c.n);
      for (bool upper : {false, true}) {
        EXPECT_TRUE(close(host(linalg::cholesky(dev(a), upper)),
                          linalg::cholesky(a, upper), tol, tol));
      }
      const Tensor t = x * (0.3 / c.n) + eye(c.n, dtype) * 2.0;
      const Tensor b = randn(shape_of(c.batch, c.n, 3), dtype, &gen);
      for (int bits = 0; bits < 16; ++bits) {
        linalg::TriangularSolveOptions o;
        o.upper = bits & 1;
        o.left = bits & 2;
        o.transpose = bits & 4;
        o.unit_diagonal = bits & 8;
        const Tensor rhs = o.left ? b : mT(b);
        EXPECT_TRUE(close(host(linalg::solve_triangular(dev(t), dev(rhs), o)),
                          linalg::solve_triangular(t, rhs, o), tol, tol))
            << "options " << bits;
      }
    }
  }
}

// Rows of a dominant diagonal, reversed: each step's pivot is far larger
// than the rest of its column, so both backends pick the same rows.
TEST(CudaLinalgVsCpu, LuWithWellSeparatedPivots) {
  SKIP_WITHOUT_KERNEL(Prim::Lu);
  Generator gen(23);
  for (DType dtype : kTypes) {
    for (const Case& c : kSquare) {
      SCOPED_TRACE(name_of(c, dtype));
      const Shape s = shape_of(c.batch, c.n, c.n);
      const Tensor d = randn(s, dtype, &gen) * 0.1 + eye(c.n, dtype) * 10.0;
      std::vector<int64_t> reversed;
      for (int64_t i = c.n - 1; i >= 0; --i) reversed.push_back(i);
      const Tensor a = index_select(d, -2, from_vector(reversed, {c.n}));
      const auto want = linalg::lu_factor(a);
      const auto got = linalg::lu_factor(dev(a));
      const double tol = tol_of(dtype, c.n);
      EXPECT_TRUE(close(host(got.LU), want.LU, tol, tol));
      EXPECT_TRUE(close(host(got.pivots), want.pivots, 0, 0));
      EXPECT_TRUE(close(host(got.permutation), want.permutation, 0, 0));
    }
  }
}

// Full rank: Q's columns and R's rows unique up to a shared sign.
TEST(CudaLinalgVsCpu, QrUpToSigns) {
  SKIP_WITHOUT_KERNEL(Prim::Qr);
  Generator gen(25);
  for (DType dtype : kTypes) {
    for (const Case& c : kRect) {
      SCOPED_TRACE(name_of(c, dtype));
      const Tensor a = randn(shape_of(c.batch, c.m, c.n), dtype, &gen);
      const auto want = linalg::qr(a);
      const auto got = linalg::qr(dev(a));
      const double tol = 10 * tol_of(dtype, std::max(c.m, c.n));
      EXPECT_TRUE(close(signs_like(host(got.Q), want.Q), want.Q, tol, tol));
      EXPECT_TRUE(
          close(mT(signs_like(mT(host(got.R)), mT(want.R))), want.R, tol, tol));
    }
  }
}

// A = V diag(1..n) V^T: eigenvalues one apart.
TEST(CudaLinalgVsCpu, EighUpToSigns) {
  SKIP_WITHOUT_KERNEL(Prim::Eigh);
  Generator gen(27);
  for (DType dtype : kTypes) {
    for (const Case& c : kSquare) {
      SCOPED_TRACE(name_of(c, dtype));
      const Tensor v = orthogonal(c.batch, c.n, dtype, &gen);
      const Tensor a = matmul(v * spectrum(c.n, dtype), mT(v));
      for (bool upper : {false, true}) {
        linalg::EighOptions o;
        o.upper = upper;
        const auto want = linalg::eigh(a, o);
        const auto got = linalg::eigh(dev(a), o);
        const double tol = 10 * tol_of(dtype, c.n);
        EXPECT_TRUE(close(host(got.eigenvalues), want.eigenvalues, tol, tol));
        EXPECT_TRUE(close(signs_like(host(got.eigenvectors), want.eigenvectors),
                          want.eigenvectors, tol, tol));
      }
    }
  }
}

// A = U diag(k..1) Vh: singular values one apart; the reduced vectors.
TEST(CudaLinalgVsCpu, SvdUpToSigns) {
  SKIP_WITHOUT_KERNEL(Prim::Svd);
  Generator gen(29);
  for (DType dtype : kTypes) {
    for (const Case& c : kRect) {
      SCOPED_TRACE(name_of(c, dtype));
      const int64_t k = std::min(c.m, c.n);
      const Tensor u = slice(orthogonal(c.batch, c.m, dtype, &gen), -1, 0, k);
      const Tensor vh = slice(orthogonal(c.batch, c.n, dtype, &gen), -2, 0, k);
      const Tensor a = matmul(u * spectrum(k, dtype), vh);
      for (bool full : {false, true}) {
        linalg::SvdOptions o;
        o.full_matrices = full;
        const auto want = linalg::svd(a, o);
        const auto got = linalg::svd(dev(a), o);
        const double tol = 10 * tol_of(dtype, std::max(c.m, c.n));
        EXPECT_TRUE(close(host(got.S), want.S, tol, tol));
        const Tensor gu = slice(host(got.U), -1, 0, k);
        const Tensor wu = slice(want.U, -1, 0, k);
        EXPECT_TRUE(close(signs_like(gu, wu), wu, tol, tol));
        const Tensor gv = mT(slice(host(got.Vh), -2, 0, k));
        const Tensor wv = mT(slice(want.Vh, -2, 0, k));
        EXPECT_TRUE(close(signs_like(gv, wv), wv, tol, tol));
      }
    }
  }
}

}  // namespace
}  // namespace fnx::cuda_test
