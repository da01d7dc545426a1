#include "backends/cuda/sim/dense_algorithms.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

namespace cuda_sim {
namespace {

constexpr int kMaxSweeps = 100;
constexpr double kEps = 1e-15;

// Orthonormal columns for the entries of `u` not `filled`: unit vectors
// made orthogonal to every filled column (Gram-Schmidt, twice).
void complete_basis(Dense& u, std::vector<bool>& filled) {
  int64_t next_unit = 0;
  for (int64_t c = 0; c < u.cols; ++c) {
    if (filled[c]) continue;
    while (next_unit < u.rows) {
      std::vector<double> x(u.rows, 0.0);
      x[next_unit++] = 1;
      for (int pass = 0; pass < 2; ++pass) {
        for (int64_t f = 0; f < u.cols; ++f) {
          if (!filled[f]) continue;
          double d = 0;
          for (int64_t i = 0; i < u.rows; ++i) d += u(i, f) * x[i];
          for (int64_t i = 0; i < u.rows; ++i) x[i] -= d * u(i, f);
        }
      }
      double norm = 0;
      for (double e : x) norm += e * e;
      norm = std::sqrt(norm);
      if (norm < 1e-6) continue;
      for (int64_t i = 0; i < u.rows; ++i) u(i, c) = x[i] / norm;
      filled[c] = true;
      break;
    }
  }
}

}  // namespace

int cholesky_lower(Dense& a) {
  const int64_t n = a.rows;
  for (int64_t j = 0; j < n; ++j) {
    double d = a(j, j);
    for (int64_t k = 0; k < j; ++k) d -= a(j, k) * a(j, k);
    if (!(d > 0)) return static_cast<int>(j + 1);  // NaN fails too
    const double l = std::sqrt(d);
    a(j, j) = l;
    for (int64_t i = j + 1; i < n; ++i) {
      double s = a(i, j);
      for (int64_t k = 0; k < j; ++k) s -= a(i, k) * a(j, k);
      a(i, j) = s / l;
    }
  }
  return 0;
}

int lu_factor(Dense& a, std::vector<int>& ipiv) {
  const int64_t m = a.rows, n = a.cols, k = std::min(m, n);
  ipiv.assign(k, 0);
  int info = 0;
  for (int64_t j = 0; j < k; ++j) {
    int64_t p = j;
    for (int64_t i = j + 1; i < m; ++i) {
      if (std::abs(a(i, j)) > std::abs(a(p, j))) p = i;
    }
    ipiv[j] = static_cast<int>(p + 1);
    if (a(p, j) != 0) {
      if (p != j) {
        for (int64_t c = 0; c < n; ++c) std::swap(a(j, c), a(p, c));
      }
      for (int64_t i = j + 1; i < m; ++i) a(i, j) /= a(j, j);
    } else if (info == 0) {
      info = static_cast<int>(j + 1);
    }
    for (int64_t c = j + 1; c < n; ++c) {
      for (int64_t i = j + 1; i < m; ++i) a(i, c) -= a(i, j) * a(j, c);
    }
  }
  return info;
}

void qr_factor(Dense& a, std::vector<double>& tau) {
  const int64_t m = a.rows, n = a.cols, k = std::min(m, n);
  tau.assign(k, 0.0);
  for (int64_t j = 0; j < k; ++j) {
    const double alpha = a(j, j);
    double xnorm = 0;
    for (int64_t i = j + 1; i < m; ++i) xnorm += a(i, j) * a(i, j);
    xnorm = std::sqrt(xnorm);
    if (xnorm == 0) continue;  // H = I, tau = 0
    const double beta = -std::copysign(std::hypot(alpha, xnorm), alpha);
    tau[j] = (beta - alpha) / beta;
    for (int64_t i = j + 1; i < m; ++i) a(i, j) /= alpha - beta;
    a(j, j) = beta;
    for (int64_t c = j + 1; c < n; ++c) {
      double w = a(j, c);
      for (int64_t i = j + 1; i < m; ++i) w += a(i, j) * a(i, c);
      a(j, c) -= tau[j] * w;
      for (int64_t i = j + 1; i < m; ++i) a(i, c) -= tau[j] * w * a(i, j);
    }
  }
}

void qr_form_q(Dense& a, int64_t k, const std::vector<double>& tau) {
  const Dense v = a;  // the reflectors, before Q overwrites them
  const int64_t m = a.rows, n = a.cols;
  std::fill(a.v.begin(), a.v.end(), 0.0);
  for (int64_t i = 0; i < n; ++i) a(i, i) = 1;
  for (int64_t j = k - 1; j >= 0; --j) {
    for (int64_t c = 0; c < n; ++c) {
      double w = a(j, c);
      for (int64_t i = j + 1; i < m; ++i) w += v(i, j) * a(i, c);
      a(j, c) -= tau[j] * w;
      for (int64_t i = j + 1; i < m; ++i) a(i, c) -= tau[j] * w * v(i, j);
    }
  }
}

void symmetric_eigen(const Dense& input, std::vector<double>& w, Dense& v) {
  const int64_t n = input.rows;
  Dense a = input;
  v = Dense(n, n);
  for (int64_t i = 0; i < n; ++i) v(i, i) = 1;
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    double off = 0, total = 0;
    for (int64_t q = 0; q < n; ++q) {
      for (int64_t p = 0; p < n; ++p) {
        total += a(p, q) * a(p, q);
        if (p != q) off += a(p, q) * a(p, q);
      }
    }
    if (off <= kEps * kEps * total) break;
    for (int64_t p = 0; p < n; ++p) {
      for (int64_t q = p + 1; q < n; ++q) {
        if (a(p, q) == 0) continue;
        const double theta = (a(q, q) - a(p, p)) / (2 * a(p, q));
        const double t = std::copysign(1.0, theta) /
                         (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int64_t i = 0; i < n; ++i) {  // A J
          const double ap = a(i, p), aq = a(i, q);
          a(i, p) = c * ap - s * aq;
          a(i, q) = s * ap + c * aq;
        }
        for (int64_t i = 0; i < n; ++i) {  // J^T (A J)
          const double ap = a(p, i), aq = a(q, i);
          a(p, i) = c * ap - s * aq;
          a(q, i) = s * ap + c * aq;
        }
        for (int64_t i = 0; i < n; ++i) {
          const double vp = v(i, p), vq = v(i, q);
          v(i, p) = c * vp - s * vq;
          v(i, q) = s * vp + c * vq;
        }
      }
    }
  }
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t x, int64_t y) { return a(x, x) < a(y, y); });
  const Dense unsorted = v;
  w.assign(n, 0.0);
  for (int64_t j = 0; j < n; ++j) {
    w[j] = a(order[j], order[j]);
    for (int64_t i = 0; i < n; ++i) v(i, j) = unsorted(i, order[j]);
  }
}

void svd_tall(const Dense& a, Dense& u, std::vector<double>& s, Dense& vt) {
  const int64_t m = a.rows, n = a.cols;
  Dense w = a, v(n, n);
  for (int64_t i = 0; i < n; ++i) v(i, i) = 1;
  auto rotate = [](Dense& x, int64_t p, int64_t q, double c, double sn) {
    for (int64_t i = 0; i < x.rows; ++i) {
      const double xp = x(i, p), xq = x(i, q);
      x(i, p) = c * xp - sn * xq;
      x(i, q) = sn * xp + c * xq;
    }
  };
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    bool rotated = false;
    for (int64_t p = 0; p < n; ++p) {
      for (int64_t q = p + 1; q < n; ++q) {
        double alpha = 0, beta = 0, gamma = 0;
        for (int64_t i = 0; i < m; ++i) {
          alpha += w(i, p) * w(i, p);
          beta += w(i, q) * w(i, q);
          gamma += w(i, p) * w(i, q);
        }
        if (std::abs(gamma) <= kEps * std::sqrt(alpha * beta)) continue;
        rotated = true;
        const double zeta = (beta - alpha) / (2 * gamma);
        const double t = std::copysign(1.0, zeta) /
                         (std::abs(zeta) + std::sqrt(1 + zeta * zeta));
        const double c = 1 / std::sqrt(1 + t * t);
        rotate(w, p, q, c, c * t);
        rotate(v, p, q, c, c * t);
      }
    }
    if (!rotated) break;
  }
  std::vector<double> norms(n);
  double largest = 0;
  for (int64_t j = 0; j < n; ++j) {
    double x = 0;
    for (int64_t i = 0; i < m; ++i) x += w(i, j) * w(i, j);
    norms[j] = std::sqrt(x);
    largest = std::max(largest, norms[j]);
  }
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t x, int64_t y) { return norms[x] > norms[y]; });
  s.assign(n, 0.0);
  std::vector<bool> filled(u.cols, false);
  for (int64_t j = 0; j < n; ++j) {
    const int64_t src = order[j];
    s[j] = norms[src];
    for (int64_t i = 0; i < n; ++i) vt(j, i) = v(i, src);
    if (s[j] > 1e-300 && s[j] > kEps * largest) {
      for (int64_t i = 0; i < m; ++i) u(i, j) = w(i, src) / s[j];
      filled[j] = true;
    }
  }
  complete_basis(u, filled);
}

}  // namespace cuda_sim
