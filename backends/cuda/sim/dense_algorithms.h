// cuda_sim's reference dense linear algebra for the simulated cuSOLVER and
// cuBLAS solvers: textbook algorithms in double on column-major matrices
// (LAPACK's conventions for what they leave where), not cuSOLVER's
// numerics. Small and slow on purpose: they exist to check the backend's
// calls and layouts.
#pragma once

#include <cstdint>
#include <vector>

namespace cuda_sim {

// A column-major rows x cols matrix.
struct Dense {
  int64_t rows = 0, cols = 0;
  std::vector<double> v;
  Dense(int64_t r, int64_t c) : rows(r), cols(c), v(r * c, 0.0) {}
  double& operator()(int64_t i, int64_t j) { return v[i + j * rows]; }
  double operator()(int64_t i, int64_t j) const { return v[i + j * rows]; }
};

// A = L L^T from the lower triangle; L written there. Returns 0, or the
// (1-based) order of the first leading minor that is not positive
// definite, where it stops.
int cholesky_lower(Dense& a);
// Partial pivoting as dgetrf: unit L below, U on and above the diagonal,
// ipiv 1-based; returns 0 or the first zero pivot (1-based), and goes on.
int lu_factor(Dense& a, std::vector<int>& ipiv);
// Householder QR as dgeqrf: R on and above the diagonal, the reflectors'
// vectors below it (unit leading entry implied), tau min(rows, cols).
void qr_factor(Dense& a, std::vector<double>& tau);
// dorgqr: the first a.cols columns of H(0) ... H(k-1) from qr_factor's
// output, written over a (a.rows >= a.cols >= k).
void qr_form_q(Dense& a, int64_t k, const std::vector<double>& tau);
// Symmetric a (both triangles) = V diag(w) V^T by cyclic Jacobi; w
// ascending, V's columns the eigenvectors.
void symmetric_eigen(const Dense& a, std::vector<double>& w, Dense& v);
// a (rows >= cols) = U diag(s) Vt by one-sided Jacobi; s descending, U
// rows x u.cols (cols or rows columns: completed to an orthonormal set),
// Vt cols x cols.
void svd_tall(const Dense& a, Dense& u, std::vector<double>& s, Dense& vt);

}  // namespace cuda_sim
