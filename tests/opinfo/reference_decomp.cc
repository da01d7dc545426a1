// The orthogonal decompositions (Householder QR, cyclic Jacobi eigh,
// one-sided Jacobi SVD) and what is built on the SVD (pinv, matrix norms).
// Jacobi methods are slow but simple and accurate to a few ulps on the small
// matrices of the op database, and share nothing with LAPACK's algorithms.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

#include "tests/opinfo/reference_linalg.h"

namespace fnx::opinfo {

namespace {

constexpr int kMaxSweeps = 100;

// The rotation (c, s) with t = s / c the smaller root of t^2 + 2 zeta t - 1,
// which both Jacobi methods use to zero one off-diagonal quantity.
std::pair<double, double> jacobi_rotation(double zeta) {
  const double t =
      (zeta >= 0 ? 1.0 : -1.0) / (std::abs(zeta) + std::sqrt(1 + zeta * zeta));
  const double c = 1 / std::sqrt(1 + t * t);
  return {c, c * t};
}

// Columns p and q of m replaced by c p - s q and s p + c q.
void rotate_cols(Mat& m, int64_t p, int64_t q, double c, double s) {
  for (int64_t i = 0; i < m.rows; ++i) {
    const double mp = m(i, p), mq = m(i, q);
    m(i, p) = c * mp - s * mq;
    m(i, q) = s * mp + c * mq;
  }
}

// The order that sorts `keys` (ascending, or descending), stable.
std::vector<int64_t> order_of(const std::vector<double>& keys,
                              bool descending) {
  std::vector<int64_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return descending ? keys[a] > keys[b] : keys[a] < keys[b];
  });
  return order;
}

// Reduced SVD of a tall (m >= n) matrix, signs not yet normalized.
SvdMat svd_tall(const Mat& a) {
  const int64_t n = a.cols;
  Mat u = a, v = identity_mat(n);
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    bool rotated = false;
    for (int64_t p = 0; p < n; ++p) {
      for (int64_t q = p + 1; q < n; ++q) {
        double alpha = 0, beta = 0, gamma = 0;
        for (int64_t i = 0; i < u.rows; ++i) {
          alpha += u(i, p) * u(i, p);
          beta += u(i, q) * u(i, q);
          gamma += u(i, p) * u(i, q);
        }
        // Columns orthogonal to working precision: nothing to do.
        if (std::abs(gamma) <= 1e-15 * std::sqrt(alpha * beta)) continue;
        rotated = true;
        const auto [c, s] = jacobi_rotation((beta - alpha) / (2 * gamma));
        rotate_cols(u, p, q, c, s);
        rotate_cols(v, p, q, c, s);
      }
    }
    if (!rotated) break;
  }
  std::vector<double> norms(n);
  for (int64_t j = 0; j < n; ++j) {
    double ss = 0;
    for (int64_t i = 0; i < u.rows; ++i) ss += u(i, j) * u(i, j);
    norms[j] = std::sqrt(ss);
  }
  const std::vector<int64_t> order = order_of(norms, /*descending=*/true);
  SvdMat out{Mat(u.rows, n), std::vector<double>(n), Mat(n, n)};
  for (int64_t j = 0; j < n; ++j) {
    const int64_t src = order[j];
    out.s[j] = norms[src];
    for (int64_t i = 0; i < u.rows; ++i) {
      out.u(i, j) = norms[src] > 0 ? u(i, src) / norms[src] : 0;
    }
    for (int64_t i = 0; i < n; ++i) out.vh(j, i) = v(i, src);
  }
  return out;
}

}  // namespace

QrMat qr_mat(const Mat& a, bool complete) {
  const int64_t m = a.rows, n = a.cols, k = std::min(m, n);
  Mat r = a, q = identity_mat(m);
  // Q = H_0 H_1 ..., each H_j = I - 2 v v^T / |v|^2 zeroing column j of R
  // below the diagonal.
  for (int64_t j = 0; j < std::min(m - 1, n); ++j) {
    std::vector<double> v(m - j);
    double norm2 = 0;
    for (int64_t i = j; i < m; ++i) {
      v[i - j] = r(i, j);
      norm2 += r(i, j) * r(i, j);
    }
    if (norm2 == 0) continue;
    // The sign that avoids cancellation in v[0].
    v[0] += (v[0] >= 0 ? 1 : -1) * std::sqrt(norm2);
    double vv = 0;
    for (double x : v) vv += x * x;
    for (int64_t c = 0; c < n; ++c) {
      double dot = 0;
      for (int64_t i = j; i < m; ++i) dot += v[i - j] * r(i, c);
      for (int64_t i = j; i < m; ++i) r(i, c) -= 2 * dot / vv * v[i - j];
    }
    for (int64_t row = 0; row < m; ++row) {
      double dot = 0;
      for (int64_t i = j; i < m; ++i) dot += q(row, i) * v[i - j];
      for (int64_t i = j; i < m; ++i) q(row, i) -= 2 * dot / vv * v[i - j];
    }
  }
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < std::min(i, n); ++j) r(i, j) = 0;
  }
  // The canonical signs: R's diagonal >= 0.
  for (int64_t j = 0; j < k; ++j) {
    if (r(j, j) >= 0) continue;
    for (int64_t c = 0; c < n; ++c) r(j, c) = -r(j, c);
    for (int64_t i = 0; i < m; ++i) q(i, j) = -q(i, j);
  }
  if (complete) return {q, r};
  Mat r_top(k, n);
  std::copy(r.v.begin(), r.v.begin() + k * n, r_top.v.begin());
  return {left_cols(q, k), r_top};
}

EighMat eigh_mat(const Mat& a, bool upper) {
  const int64_t n = a.rows;
  Mat s(n, n);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      const int64_t hi = std::max(i, j), lo = std::min(i, j);
      s(i, j) = upper ? a(lo, hi) : a(hi, lo);
    }
  }
  Mat v = identity_mat(n);
  double norm2 = 0;
  for (double x : s.v) norm2 += x * x;
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    double off2 = 0;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) off2 += i == j ? 0 : s(i, j) * s(i, j);
    }
    if (off2 <= 1e-30 * norm2) break;
    for (int64_t p = 0; p < n; ++p) {
      for (int64_t q = p + 1; q < n; ++q) {
        if (s(p, q) == 0) continue;
        const auto [c, sn] =
            jacobi_rotation((s(q, q) - s(p, p)) / (2 * s(p, q)));
        // S <- J^T S J with J the (p, q) rotation; V <- V J.
        rotate_cols(s, p, q, c, sn);
        for (int64_t k = 0; k < n; ++k) {
          const double sp = s(p, k), sq = s(q, k);
          s(p, k) = c * sp - sn * sq;
          s(q, k) = sn * sp + c * sq;
        }
        // Exactly zero, as the rotation intends (rounding leaves ulps).
        s(p, q) = s(q, p) = 0;
        rotate_cols(v, p, q, c, sn);
      }
    }
  }
  std::vector<double> diag(n);
  for (int64_t i = 0; i < n; ++i) diag[i] = s(i, i);
  const std::vector<int64_t> order = order_of(diag, /*descending=*/false);
  EighMat out{std::vector<double>(n), Mat(n, n)};
  for (int64_t j = 0; j < n; ++j) {
    out.values[j] = diag[order[j]];
    const double flip = v(j, order[j]) < 0 ? -1 : 1;
    for (int64_t i = 0; i < n; ++i) out.vectors(i, j) = flip * v(i, order[j]);
  }
  return out;
}

SvdMat svd_mat(const Mat& a) {
  SvdMat f;
  if (a.rows >= a.cols) {
    f = svd_tall(a);
  } else {
    // A^T = U' S Vh'  =>  A = Vh'^T S U'^T.
    const SvdMat t = svd_tall(transpose_mat(a));
    f = {transpose_mat(t.vh), t.s, transpose_mat(t.u)};
  }
  // The canonical signs: U[j][j] >= 0, flipping U's column j and Vh's row j
  // together (their product is what A determines).
  for (int64_t j = 0; j < static_cast<int64_t>(f.s.size()); ++j) {
    if (f.u(j, j) >= 0) continue;
    for (int64_t i = 0; i < f.u.rows; ++i) f.u(i, j) = -f.u(i, j);
    for (int64_t c = 0; c < f.vh.cols; ++c) f.vh(j, c) = -f.vh(j, c);
  }
  return f;
}

Mat pinv_mat(const Mat& a, double rtol) {
  const SvdMat f = svd_mat(a);
  const double largest = f.s.empty() ? 0 : f.s.front();
  Mat out(a.cols, a.rows);
  for (size_t j = 0; j < f.s.size(); ++j) {
    if (!(f.s[j] > rtol * largest)) continue;
    for (int64_t r = 0; r < a.cols; ++r) {
      for (int64_t c = 0; c < a.rows; ++c) {
        out(r, c) += f.vh(j, r) * f.u(c, j) / f.s[j];
      }
    }
  }
  return out;
}

double matrix_norm_mat(const Mat& a, std::string_view ord) {
  if (ord == "fro") {
    double ss = 0;
    for (double x : a.v) ss += x * x;
    return std::sqrt(ss);
  }
  const std::vector<double> s = svd_mat(a).s;
  if (ord == "nuc") return std::accumulate(s.begin(), s.end(), 0.0);
  if (s.empty()) throw std::logic_error("matrix_norm_mat: empty matrix");
  if (ord == "2") return s.front();
  if (ord == "-2") return s.back();
  throw std::logic_error("matrix_norm_mat: unknown ord " + std::string(ord));
}

}  // namespace fnx::opinfo
