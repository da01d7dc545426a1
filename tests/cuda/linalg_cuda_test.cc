// The linear-algebra kernels on CUDA (backends/cuda/linalg*.cc: cuSOLVER,
// cuBLAS trsm and linalg.cu), single matrices (a call per matrix) and
// batches of small ones (the batched routines), float32 and float64,
// checked by reconstruction on the host (L L^T = A, P A = L U, Q R = A,
// A V = V diag(w), U diag(S) Vh = A, op(T) X = B) and by the packed
// layout's fixed parts (triangles, orderings, NaN after a failed
// Cholesky), Svd of empty matrices, and Assert's error message
// (linalg_cuda_cpu_test compares with the CPU kernels).
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops/linalg.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "tests/cuda/cuda_test_util.h"

namespace fnx::cuda_test {
namespace {

// The emulated build runs the CPU kernels as "cuda": skip where the CPU
// backend has no kernel for the primitive yet.
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

// Reconstruction tolerance: the solvers' error grows with the order.
double tol_of(DType dtype, int64_t n) {
  return (dtype == DType::Float32 ? 3e-5 : 1e-11) * static_cast<double>(n + 4);
}

Tensor spd(const Shape& batch, int64_t n, DType dtype, Generator* gen) {
  Shape s = batch;
  s.push_back(n);
  s.push_back(n);
  const Tensor x = randn(s, dtype, gen);
  return matmul(x, mT(x)) * (1.0 / n) + eye(n, dtype);
}

struct Case {
  Shape batch;
  int64_t m, n;
};

// Single matrices (a call per matrix, also above the batched order) and
// batches of small ones (the batched routines: potrfBatched, trsmBatched,
// getrfBatched, syevjBatched; 32 is the largest order they take).
const std::vector<Case> kSquare = {{{}, 1, 1},    {{}, 5, 5},     {{}, 40, 40},
                                   {{4}, 6, 6},   {{2, 3}, 3, 3}, {{3}, 36, 36},
                                   {{2}, 32, 32}, {{2}, 1, 1}};

TEST(CudaLinalg, Cholesky) {
  SKIP_WITHOUT_KERNEL(Prim::Cholesky);
  Generator gen(3);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Case& c : kSquare) {
      SCOPED_TRACE(shape_str(c.batch) + " n=" + std::to_string(c.n));
      const Tensor a = spd(c.batch, c.n, dtype, &gen);
      const double tol = tol_of(dtype, c.n);
      const Tensor l = host(linalg::cholesky(dev(a)));
      EXPECT_TRUE(close(matmul(l, mT(l)), a, tol, tol));
      EXPECT_TRUE(close(triu(l, 1), zeros(a.shape(), dtype), 0, 0));
      const Tensor u = host(linalg::cholesky(dev(a), true));
      EXPECT_TRUE(close(matmul(mT(u), u), a, tol, tol));
      EXPECT_TRUE(close(tril(u, -1), zeros(a.shape(), dtype), 0, 0));
      // Only the named triangle is read; a strided (transposed) input.
      const Tensor lower_only = tril(a) + triu(full(a.shape(), 7.0, dtype), 1);
      EXPECT_TRUE(close(host(linalg::cholesky(dev(lower_only))), l, tol, tol));
      EXPECT_TRUE(close(host(linalg::cholesky(mT(dev(lower_only)), true)), u,
                        tol, tol));
    }
  }
}

TEST(CudaLinalg, CholeskyFailureGivesNaNFromTheFailingColumn) {
  SKIP_WITHOUT_KERNEL(Prim::Cholesky);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor a = from_vector(std::vector<double>{4, 0, 0, 0, -1, 0, 0, 0, 9},
                               {3, 3}, DType::Float64);
  const Tensor good = eye(3, DType::Float64);
  // Batched (two matrices, the second fails) and single.
  const auto ex = linalg::cholesky_ex(dev(stack({good, a}, 0)));
  EXPECT_TRUE(close(host(ex.info),
                    from_vector(std::vector<double>{0, 2}, {2}, DType::Int32),
                    0, 0));
  const Tensor want =
      from_vector(std::vector<double>{2, 0, 0, 0, nan, 0, 0, nan, nan}, {3, 3},
                  DType::Float64);
  EXPECT_TRUE(close(host(ex.L), stack({good, want}, 0), 1e-12, 0));
  EXPECT_TRUE(close(host(linalg::cholesky_ex(dev(a)).L), want, 1e-12, 0));
  try {
    linalg::cholesky(dev(stack({good, a}, 0)));
    ADD_FAILURE() << "cholesky of a matrix that is not positive definite";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(batch index [1])"),
              std::string::npos)
        << e.what();
  }
}

TEST(CudaLinalg, TriangularSolve) {
  SKIP_WITHOUT_KERNEL(Prim::TriangularSolve);
  Generator gen(5);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Case& c : kSquare) {
      Shape ts = c.batch, bs = c.batch;
      ts.insert(ts.end(), {c.n, c.n});
      bs.insert(bs.end(), {c.n, 3});
      // Well conditioned: a dominant diagonal.
      const Tensor t =
          randn(ts, dtype, &gen) * (0.3 / c.n) + eye(c.n, dtype) * 2.0;
      const Tensor b = randn(bs, dtype, &gen);
      const double tol = tol_of(dtype, c.n);
      for (int bits = 0; bits < 16; ++bits) {
        linalg::TriangularSolveOptions o;
        o.upper = bits & 1;
        o.left = bits & 2;
        o.transpose = bits & 4;
        o.unit_diagonal = bits & 8;
        SCOPED_TRACE(shape_str(c.batch) + " n=" + std::to_string(c.n) +
                     " options " + std::to_string(bits));
        Tensor tri = o.upper ? triu(t, 1) : tril(t, -1);
        tri =
            tri + (o.unit_diagonal ? eye(c.n, dtype) : diag_embed(diagonal(t)));
        const Tensor op = o.transpose ? mT(tri) : tri;
        const Tensor rhs = o.left ? b : mT(b);
        const Tensor x = host(linalg::solve_triangular(dev(t), dev(rhs), o));
        EXPECT_TRUE(
            close(o.left ? matmul(op, x) : matmul(x, op), rhs, tol, tol));
      }
    }
  }
}

TEST(CudaLinalg, Lu) {
  SKIP_WITHOUT_KERNEL(Prim::Lu);
  Generator gen(7);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Case& c : kSquare) {
      SCOPED_TRACE(shape_str(c.batch) + " n=" + std::to_string(c.n));
      Shape s = c.batch;
      s.insert(s.end(), {c.n, c.n});
      const Tensor a = randn(s, dtype, &gen);
      const double tol = tol_of(dtype, c.n);
      const auto f = linalg::lu_factor(dev(a));
      const Tensor lu = host(f.LU), perm = host(f.permutation);
      const Tensor l = tril(lu, -1) + eye(c.n, dtype), u = triu(lu);
      // Row i of P A is row perm[i] of A.
      const Tensor pa =
          gather(a, a.dim() - 2, expand(unsqueeze(perm, -1), a.shape()));
      EXPECT_TRUE(close(matmul(l, u), pa, tol, tol));
      // The pivots: LAPACK's, 1-based, at or below the diagonal.
      const std::vector<double> piv = host(f.pivots).to_vector();
      for (std::size_t i = 0; i < piv.size(); ++i) {
        const auto row = static_cast<double>(i % c.n) + 1;
        EXPECT_TRUE(piv[i] >= row && piv[i] <= c.n) << i << ": " << piv[i];
      }
      const auto plu = linalg::lu(dev(a));
      EXPECT_TRUE(
          close(host(matmul(plu.P, matmul(plu.L, plu.U))), a, tol, tol));
    }
  }
  // A singular matrix is no error: zeros factor as zeros, no swaps.
  const auto z = linalg::lu_factor(dev(zeros({3, 3}, DType::Float64)));
  EXPECT_TRUE(close(host(z.LU), zeros({3, 3}, DType::Float64), 0, 0));
  EXPECT_TRUE(close(
      host(z.permutation),
      from_vector(std::vector<double>{0, 1, 2}, {3}, DType::Int64), 0, 0));
}

// Batched (geqrfBatched, gesvdjBatched): tall, wide, up to 32, and above.
const std::vector<Case> kRect = {{{}, 6, 4},    {{}, 3, 5},   {{}, 4, 4},
                                 {{}, 40, 33},  {{3}, 5, 2},  {{2}, 2, 7},
                                 {{2}, 32, 20}, {{2}, 9, 32}, {{2}, 33, 4}};

TEST(CudaLinalg, Qr) {
  SKIP_WITHOUT_KERNEL(Prim::Qr);
  Generator gen(9);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Case& c : kRect) {
      for (auto mode : {linalg::QrMode::kReduced, linalg::QrMode::kComplete}) {
        SCOPED_TRACE(shape_str(c.batch) + " " + std::to_string(c.m) + "x" +
                     std::to_string(c.n) +
                     (mode == linalg::QrMode::kComplete ? " complete" : ""));
        Shape s = c.batch;
        s.insert(s.end(), {c.m, c.n});
        const Tensor a = randn(s, dtype, &gen);
        const double tol = tol_of(dtype, std::max(c.m, c.n));
        const auto qr = linalg::qr(dev(a), mode);
        const Tensor q = host(qr.Q), r = host(qr.R);
        EXPECT_TRUE(close(matmul(q, r), a, tol, tol));
        const int64_t qc = q.shape().back();
        EXPECT_TRUE(close(matmul(mT(q), q),
                          expand(eye(qc, dtype), mT(matmul(mT(q), q)).shape()),
                          tol, tol));
        EXPECT_TRUE(close(tril(r, -1), zeros(r.shape(), dtype), 0, 0));
      }
    }
  }
}

TEST(CudaLinalg, Eigh) {
  SKIP_WITHOUT_KERNEL(Prim::Eigh);
  Generator gen(11);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Case& c : kSquare) {
      for (bool upper : {false, true}) {
        SCOPED_TRACE(shape_str(c.batch) + " n=" + std::to_string(c.n) +
                     (upper ? " upper" : " lower"));
        Shape s = c.batch;
        s.insert(s.end(), {c.n, c.n});
        // Not symmetric: only the named triangle counts.
        const Tensor m = randn(s, dtype, &gen);
        const Tensor half = upper ? triu(m) : tril(m);
        const Tensor a = half + mT(upper ? triu(m, 1) : tril(m, -1));
        const double tol = tol_of(dtype, c.n);
        linalg::EighOptions o;
        o.upper = upper;
        const auto e = linalg::eigh(dev(m), o);
        const Tensor w = host(e.eigenvalues), v = host(e.eigenvectors);
        EXPECT_TRUE(close(matmul(a, v), v * unsqueeze(w, -2), tol, tol));
        EXPECT_TRUE(close(matmul(mT(v), v), expand(eye(c.n, dtype), a.shape()),
                          tol, tol));
        if (c.n > 1) {
          const Tensor step = slice(w, -1, 1, c.n) - slice(w, -1, 0, c.n - 1);
          EXPECT_GE(amin(step).item<double>(), 0.0);
        }
      }
    }
  }
}

TEST(CudaLinalg, Svd) {
  SKIP_WITHOUT_KERNEL(Prim::Svd);
  Generator gen(13);
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Case& c : kRect) {
      for (bool full : {false, true}) {
        SCOPED_TRACE(shape_str(c.batch) + " " + std::to_string(c.m) + "x" +
                     std::to_string(c.n) + (full ? " full" : ""));
        Shape s = c.batch;
        s.insert(s.end(), {c.m, c.n});
        const Tensor a = randn(s, dtype, &gen);
        const int64_t k = std::min(c.m, c.n);
        const double tol = tol_of(dtype, std::max(c.m, c.n));
        linalg::SvdOptions o;
        o.full_matrices = full;
        const auto r = linalg::svd(dev(a), o);
        const Tensor u = host(r.U), sv = host(r.S), vh = host(r.Vh);
        EXPECT_EQ(u.shape().back(), full ? c.m : k);
        EXPECT_EQ(vh.shape()[vh.dim() - 2], full ? c.n : k);
        const Tensor uk = slice(u, -1, 0, k), vk = slice(vh, -2, 0, k);
        EXPECT_TRUE(close(matmul(uk * unsqueeze(sv, -2), vk), a, tol, tol));
        const int64_t uc = u.shape().back(), vr = vh.shape()[vh.dim() - 2];
        EXPECT_TRUE(close(matmul(mT(u), u),
                          expand(eye(uc, dtype), matmul(mT(u), u).shape()), tol,
                          tol));
        EXPECT_TRUE(close(matmul(vh, mT(vh)),
                          expand(eye(vr, dtype), matmul(vh, mT(vh)).shape()),
                          tol, tol));
        EXPECT_GE(amin(sv).item<double>(), 0.0);
        if (k > 1) {
          const Tensor step = slice(sv, -1, 0, k - 1) - slice(sv, -1, 1, k);
          EXPECT_GE(amin(step).item<double>(), 0.0);
        }
      }
    }
  }
}

// An empty matrix has no singular values; complete U and Vh are
// identities (the CPU kernel's result), batched or not.
TEST(CudaLinalg, SvdOfAnEmptyMatrix) {
  SKIP_WITHOUT_KERNEL(Prim::Svd);
  for (const Case& c : std::vector<Case>{{{}, 3, 0}, {{2}, 0, 4}}) {
    Shape s = c.batch;
    s.insert(s.end(), {c.m, c.n});
    linalg::SvdOptions o;
    o.full_matrices = true;
    const auto r = linalg::svd(dev(zeros(s, DType::Float64)), o);
    Shape us = c.batch, vs = c.batch;
    us.insert(us.end(), {c.m, c.m});
    vs.insert(vs.end(), {c.n, c.n});
    EXPECT_TRUE(close(host(r.U), expand(eye(c.m, DType::Float64), us), 0, 0));
    EXPECT_TRUE(close(host(r.Vh), expand(eye(c.n, DType::Float64), vs), 0, 0));
    EXPECT_EQ(numel(r.S.shape()), 0);
    o.full_matrices = false;
    EXPECT_EQ(numel(linalg::svd(dev(zeros(s, DType::Float64)), o).U.shape()),
              0);
  }
}

TEST(CudaLinalg, AssertNamesTheFirstBatchIndex) {
  SKIP_WITHOUT_KERNEL(Prim::Assert);
  std::vector<double> flags(2 * 3 * 4, 1);
  flags[(1 * 3 + 2) * 4 + 1] = 0;  // [1, 2, 1]
  flags[(1 * 3 + 2) * 4 + 3] = 0;
  const Tensor cond = dev(from_vector(flags, {2, 3, 4}, DType::Bool));
  auto message = [&](int64_t batch_rank) -> std::string {
    try {
      assert_all(cond, "[op] it failed", batch_rank);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(message(2), "[op] it failed (batch index [1, 2])");
  EXPECT_EQ(message(1), "[op] it failed (batch index [1])");
  EXPECT_EQ(message(0), "[op] it failed");
  const Tensor ok = dev(ones({2, 2}, DType::Bool));
  const Tensor same = assert_all(ok, "[op] unused", 1);
  EXPECT_TRUE(close(host(same), ones({2, 2}, DType::Bool), 0, 0));
}

}  // namespace
}  // namespace fnx::cuda_test
