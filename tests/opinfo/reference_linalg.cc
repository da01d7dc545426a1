// Batching helpers, matrix helpers, and the direct factorizations and
// solvers (Cholesky, triangular solves, LU and what is built on it).
#include "tests/opinfo/reference_linalg.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

namespace fnx::opinfo {

namespace {

[[noreturn]] void oracle_error(const std::string& what) {
  throw std::logic_error("opinfo linalg reference: " + what);
}

// Solves M X = B for a triangular M (lower or upper, diagonal as stored).
Mat substitute(const Mat& m, bool lower, const Mat& b) {
  const int64_t n = m.rows;
  Mat x = b;
  for (int64_t c = 0; c < b.cols; ++c) {
    for (int64_t step = 0; step < n; ++step) {
      const int64_t i = lower ? step : n - 1 - step;
      double v = x(i, c);
      for (int64_t j = 0; j < n; ++j) {
        const bool solved = lower ? j < i : j > i;
        if (solved) v -= m(i, j) * x(j, c);
      }
      x(i, c) = v / m(i, i);
    }
  }
  return x;
}

}  // namespace

Mat identity_mat(int64_t n) {
  Mat m(n, n);
  for (int64_t i = 0; i < n; ++i) m(i, i) = 1;
  return m;
}

Mat transpose_mat(const Mat& a) {
  Mat t(a.cols, a.rows);
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t j = 0; j < a.cols; ++j) t(j, i) = a(i, j);
  }
  return t;
}

Mat mul_mat(const Mat& a, const Mat& b) {
  if (a.cols != b.rows) oracle_error("mul_mat: inner sizes differ");
  Mat c(a.rows, b.cols);
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t k = 0; k < a.cols; ++k) {
      for (int64_t j = 0; j < b.cols; ++j) c(i, j) += a(i, k) * b(k, j);
    }
  }
  return c;
}

Mat left_cols(const Mat& a, int64_t cols) {
  Mat out(a.rows, cols);
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) out(i, j) = a(i, j);
  }
  return out;
}

// ---- batching ----

Shape batch_dims(const Nd& x, int64_t core_rank) {
  if (x.rank() < core_rank) oracle_error("rank below the core rank");
  return Shape(x.shape.begin(), x.shape.end() - core_rank);
}

std::vector<Mat> matrices_of(const Nd& x) {
  if (x.rank() < 2) oracle_error("expected a batch of matrices");
  const int64_t m = x.shape[x.rank() - 2], n = x.shape[x.rank() - 1];
  const int64_t matrices = count(batch_dims(x, 2));
  std::vector<Mat> out(matrices, Mat(m, n));
  for (int64_t b = 0; b < matrices; ++b) {
    std::copy(x.data.begin() + b * m * n, x.data.begin() + (b + 1) * m * n,
              out[b].v.begin());
  }
  return out;
}

Nd from_matrices(const Shape& batch, const std::vector<Mat>& ms, int64_t rows,
                 int64_t cols, DType dtype) {
  Shape shape = batch;
  shape.push_back(rows);
  shape.push_back(cols);
  Nd out{shape, {}, dtype};
  for (const Mat& m : ms) {
    if (m.rows * m.cols != rows * cols) oracle_error("result size differs");
    out.data.insert(out.data.end(), m.v.begin(), m.v.end());
  }
  if (out.numel() != count(shape)) oracle_error("matrix count differs");
  return out;
}

Nd map_matrices_to(const Nd& x, const Shape& trailing,
                   const std::function<Mat(const Mat&)>& f) {
  Shape shape = batch_dims(x, 2);
  shape.insert(shape.end(), trailing.begin(), trailing.end());
  Nd out{shape, {}, x.dtype};
  for (const Mat& m : matrices_of(x)) {
    const Mat r = f(m);
    if (static_cast<int64_t>(r.v.size()) != count(trailing)) {
      oracle_error("result size differs from the trailing shape");
    }
    out.data.insert(out.data.end(), r.v.begin(), r.v.end());
  }
  return out;
}

Nd map_matrices(const Nd& x, int64_t rows, int64_t cols,
                const std::function<Mat(const Mat&)>& f) {
  return map_matrices_to(x, {rows, cols}, f);
}

Nd map_matrix_pairs(const Nd& a, const Nd& b, int64_t rows, int64_t cols,
                    const std::function<Mat(const Mat&, const Mat&)>& f) {
  const Shape batch = broadcast_shape(batch_dims(a, 2), batch_dims(b, 2));
  auto full = [&](const Nd& x) {
    Shape s = batch;
    s.push_back(x.shape[x.rank() - 2]);
    s.push_back(x.shape[x.rank() - 1]);
    return broadcast_nd(x, s);
  };
  const std::vector<Mat> as = matrices_of(full(a)), bs = matrices_of(full(b));
  std::vector<Mat> out;
  for (size_t i = 0; i < as.size(); ++i) out.push_back(f(as[i], bs[i]));
  return from_matrices(batch, out, rows, cols, promote(a.dtype, b.dtype));
}

// ---- matrix helpers ----

Mat diagonal_mat(const Mat& a, int64_t offset) {
  const int64_t row0 = offset < 0 ? -offset : 0, col0 = offset > 0 ? offset : 0;
  const int64_t k =
      std::max<int64_t>(0, std::min(a.rows - row0, a.cols - col0));
  Mat d(1, k);
  for (int64_t i = 0; i < k; ++i) d(0, i) = a(row0 + i, col0 + i);
  return d;
}

Mat tril_mat(const Mat& a, int64_t diagonal) {
  Mat t = a;
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t j = 0; j < a.cols; ++j) {
      if (j - i > diagonal) t(i, j) = 0;
    }
  }
  return t;
}

Mat triu_mat(const Mat& a, int64_t diagonal) {
  Mat t = a;
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t j = 0; j < a.cols; ++j) {
      if (j - i < diagonal) t(i, j) = 0;
    }
  }
  return t;
}

// ---- Cholesky and triangular solves ----

Mat cholesky_mat(const Mat& a, bool upper) {
  const int64_t n = a.rows;
  // The symmetric matrix of the triangle that is read.
  auto s = [&](int64_t i, int64_t j) {
    const int64_t hi = std::max(i, j), lo = std::min(i, j);
    return upper ? a(lo, hi) : a(hi, lo);
  };
  Mat l(n, n);
  for (int64_t j = 0; j < n; ++j) {
    double d = s(j, j);
    for (int64_t k = 0; k < j; ++k) d -= l(j, k) * l(j, k);
    if (!(d > 0)) {
      // The failing column and everything after it.
      for (int64_t c = j; c < n; ++c) {
        for (int64_t i = c; i < n; ++i) {
          l(i, c) = std::numeric_limits<double>::quiet_NaN();
        }
      }
      break;
    }
    l(j, j) = std::sqrt(d);
    for (int64_t i = j + 1; i < n; ++i) {
      double v = s(i, j);
      for (int64_t k = 0; k < j; ++k) v -= l(i, k) * l(j, k);
      l(i, j) = v / l(j, j);
    }
  }
  return upper ? transpose_mat(l) : l;
}

Mat solve_triangular_mat(const Mat& a, const Mat& b,
                         const linalg::TriangularSolveOptions& options) {
  const int64_t n = a.rows;
  // M = op(T) as a dense triangular matrix.
  Mat t = options.upper ? triu_mat(a, 0) : tril_mat(a, 0);
  if (options.unit_diagonal) {
    for (int64_t i = 0; i < n; ++i) t(i, i) = 1;
  }
  const Mat m = options.transpose ? transpose_mat(t) : t;
  const bool m_lower = options.upper == options.transpose;
  if (options.left) return substitute(m, m_lower, b);
  // X M = B  <=>  M^T X^T = B^T, and M^T is lower exactly when M is upper.
  return transpose_mat(
      substitute(transpose_mat(m), !m_lower, transpose_mat(b)));
}

// ---- LU and what is built on it ----

LuMat lu_mat(const Mat& a) {
  if (a.rows != a.cols) oracle_error("lu_mat: not square");
  const int64_t n = a.rows;
  LuMat f{a, std::vector<int64_t>(n), std::vector<int64_t>(n)};
  Mat& lu = f.lu;
  for (int64_t i = 0; i < n; ++i) f.perm[i] = i;
  for (int64_t k = 0; k < n; ++k) {
    // LAPACK's idamax: the first index of the largest |value| (strict >).
    int64_t p = k;
    for (int64_t i = k + 1; i < n; ++i) {
      if (std::abs(lu(i, k)) > std::abs(lu(p, k))) p = i;
    }
    f.pivots[k] = p + 1;
    if (p != k) {
      for (int64_t j = 0; j < n; ++j) std::swap(lu(k, j), lu(p, j));
      std::swap(f.perm[k], f.perm[p]);
    }
    // A zero pivot leaves its column unscaled (dgetf2 records it in info).
    if (lu(k, k) == 0) continue;
    for (int64_t i = k + 1; i < n; ++i) {
      lu(i, k) /= lu(k, k);
      for (int64_t j = k + 1; j < n; ++j) lu(i, j) -= lu(i, k) * lu(k, j);
    }
  }
  return f;
}

double det_mat(const Mat& a) {
  const LuMat f = lu_mat(a);
  double d = 1;
  for (int64_t k = 0; k < a.rows; ++k) {
    d *= f.lu(k, k);
    if (f.pivots[k] != k + 1) d = -d;
  }
  return d;
}

Mat solve_mat(const Mat& a, const Mat& b) {
  const LuMat f = lu_mat(a);
  const int64_t n = a.rows;
  if (b.rows != n) oracle_error("solve_mat: right-hand side rows differ");
  Mat pb(n, b.cols);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < b.cols; ++j) pb(i, j) = b(f.perm[i], j);
  }
  Mat unit_l = tril_mat(f.lu, -1);
  for (int64_t i = 0; i < n; ++i) unit_l(i, i) = 1;
  return substitute(triu_mat(f.lu, 0), false, substitute(unit_l, true, pb));
}

Mat inv_mat(const Mat& a) { return solve_mat(a, identity_mat(a.rows)); }

Mat matrix_power_mat(const Mat& a, int64_t n) {
  const Mat base = n < 0 ? inv_mat(a) : a;
  Mat result = identity_mat(a.rows);
  for (int64_t i = 0; i < (n < 0 ? -n : n); ++i) result = mul_mat(result, base);
  return result;
}

}  // namespace fnx::opinfo
