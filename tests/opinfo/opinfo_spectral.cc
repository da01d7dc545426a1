// The orthogonal decompositions: qr (reduced, complete, r), eigh (lower and
// upper triangle), svd (reduced, full for square matrices), eigvalsh and
// svdvals. Signs are normalized smoothly: Q's column j and R's row j by
// sign(R[j][j]) (nonzero for the full-rank random samples), eigenvector j by
// sign(V[j][j]) and the singular pair j by sign(U[j][j]) (near +-1 for the
// separated matrices of opinfo_decomp.h). Multi-result ops return their
// parts flattened along the last dim, in REVERSED order.
#include <algorithm>

#include "tests/opinfo/opinfo_decomp.h"

namespace fnx::opinfo {

namespace {

Tensor maybe_col_major(const Tensor& x, bool strided) {
  return strided ? col_major(x) : x;
}

// ---- qr ----

std::string mode_str(linalg::QrMode mode) {
  return mode == linalg::QrMode::kReduced    ? "reduced"
         : mode == linalg::QrMode::kComplete ? "complete"
                                             : "r";
}

// QR of the raw input (random full-rank matrices are fine for QR), so a
// noncontig sample's layout reaches the kernel as is.
SquareSpec qr_spec(linalg::QrMode mode) {
  SquareSpec spec;
  spec.desc = mode_str(mode);
  spec.op = [mode](const Tensor& a, bool) {
    const linalg::QrResult f = linalg::qr(a, mode);
    const Tensor s = sign(diagonal(f.R));
    const Tensor r = flat2(scale_rows(f.R, s));
    if (mode == linalg::QrMode::kR) return r;
    return cat({r, flat2(scale_cols(f.Q, s))}, -1);
  };
  const bool complete = mode == linalg::QrMode::kComplete;
  spec.reference = matrix_reference(
      [mode, complete](const Mat& a) {
        const QrMat f = qr_mat(a, complete);
        return mode == linalg::QrMode::kR ? f.r : concat_mats({f.r, f.q});
      },
      [mode, complete](int64_t m, int64_t n) {
        const int64_t k = complete ? m : std::min(m, n);
        return Shape{k * n + (mode == linalg::QrMode::kR ? 0 : m * k)};
      });
  return spec;
}

OpInfo qr_entry() {
  OpInfo info = decomp_entry("linalg.qr", Impl::kPrimitive,
                             qr_spec(linalg::QrMode::kReduced));
  info.samples = [](DType d, Generator& g) {
    Samples s =
        shaped_samples(qr_spec(linalg::QrMode::kReduced), d, g,
                       {{5, 3}, {4, 4}, {3, 5}, {2, 4, 3}, {2, 1, 3, 3}},
                       {{5, 3}, {2, 3, 4}}, {{0, 4, 3}});
    // Complete mode only where Q is unique: m <= n.
    for (SampleInput& x :
         shaped_samples(qr_spec(linalg::QrMode::kComplete), d, g,
                        {{4, 4}, {3, 5}, {2, 3, 3}}, {{4, 4}}, {})) {
      s.push_back(x);
    }
    for (SampleInput& x : shaped_samples(qr_spec(linalg::QrMode::kR), d, g,
                                         {{5, 3}, {3, 5}}, {{4, 3}}, {})) {
      s.push_back(x);
    }
    return s;
  };
  return info;
}

// ---- eigh, eigvalsh ----

SquareSpec eigh_spec(bool upper, bool values_only) {
  SquareSpec spec;
  spec.desc = upper ? "upper" : "lower";
  spec.op = [upper, values_only](const Tensor& a, bool strided) {
    const Tensor s = maybe_col_major(separated_sym(a), strided);
    if (values_only) return linalg::eigvalsh(s, upper);
    linalg::EighOptions options;
    options.upper = upper;
    const linalg::EighResult f = linalg::eigh(s, options);
    const Tensor v = scale_cols(f.eigenvectors, sign(diagonal(f.eigenvectors)));
    return cat({flat2(v), f.eigenvalues}, -1);
  };
  spec.reference = matrix_reference(
      [upper, values_only](const Mat& a) {
        const EighMat f = eigh_mat(separated_sym_mat(a), upper);
        return values_only ? row_of(f.values)
                           : concat_mats({f.vectors, row_of(f.values)});
      },
      [values_only](int64_t, int64_t n) {
        return Shape{values_only ? n : n * n + n};
      });
  return spec;
}

OpInfo eigh_entry(bool values_only) {
  OpInfo info = decomp_entry(values_only ? "linalg.eigvalsh" : "linalg.eigh",
                             values_only ? Impl::kComposite : Impl::kPrimitive,
                             eigh_spec(false, values_only));
  info.samples = [values_only](DType d, Generator& g) {
    Samples s = square_samples(eigh_spec(false, values_only), d, g);
    SquareSpec upper = eigh_spec(true, values_only);
    upper.brief = true;
    for (SampleInput& x : square_samples(upper, d, g)) s.push_back(x);
    return s;
  };
  return info;
}

// ---- svd, svdvals ----

SquareSpec svd_spec(bool full_matrices, bool values_only) {
  SquareSpec spec;
  spec.desc = full_matrices ? "full matrices" : "reduced";
  spec.op = [full_matrices, values_only](const Tensor& a, bool strided) {
    const Tensor x = maybe_col_major(separated_rect(a), strided);
    if (values_only) return linalg::svdvals(x);
    linalg::SvdOptions options;
    options.full_matrices = full_matrices;
    const linalg::SvdResult f = linalg::svd(x, options);
    const Tensor s = sign(diagonal(f.U));
    return cat({flat2(scale_rows(f.Vh, s)), f.S, flat2(scale_cols(f.U, s))},
               -1);
  };
  spec.reference = matrix_reference(
      [values_only](const Mat& a) {
        const SvdMat f = svd_mat(separated_rect_mat(a));
        return values_only ? row_of(f.s)
                           : concat_mats({f.vh, row_of(f.s), f.u});
      },
      [values_only](int64_t m, int64_t n) {
        const int64_t k = std::min(m, n);
        return Shape{values_only ? k : k * n + k + m * k};
      });
  return spec;
}

OpInfo svd_entry(bool values_only) {
  OpInfo info = decomp_entry(values_only ? "linalg.svdvals" : "linalg.svd",
                             values_only ? Impl::kComposite : Impl::kPrimitive,
                             svd_spec(false, values_only));
  info.samples = [values_only](DType d, Generator& g) {
    Samples s = shaped_samples(svd_spec(false, values_only), d, g,
                               {{5, 3}, {3, 5}, {4, 4}, {1, 1}, {2, 4, 3}},
                               {{5, 3}, {2, 3, 4}}, {{0, 4, 3}});
    if (values_only) return s;
    // Full matrices only for square ones, where U and Vh are unique.
    for (SampleInput& x : shaped_samples(svd_spec(true, false), d, g,
                                         {{4, 4}, {2, 3, 3}}, {{3, 3}}, {})) {
      s.push_back(x);
    }
    return s;
  };
  return info;
}

}  // namespace

void add_spectral_ops(std::vector<OpInfo>& db) {
  db.push_back(qr_entry());
  db.push_back(eigh_entry(false));
  db.push_back(eigh_entry(true));
  db.push_back(svd_entry(false));
  db.push_back(svd_entry(true));
}

}  // namespace fnx::opinfo
