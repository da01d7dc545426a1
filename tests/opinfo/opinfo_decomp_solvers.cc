// The composites on the decompositions (core/ops/linalg_solvers.cc): solve,
// solve_ex, lu_solve, inv, inv_ex, det, slogdet, logdet, cholesky_solve,
// lstsq, pinv, matrix_norm (fro, nuc, 2, -2) and matrix_power (2, 3, -1).
// Each builds its well-conditioned matrix as opinfo_decomp.h explains; the
// *_ex variants are entered by their result (info is checked exactly in
// tests/linalg).
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "tests/opinfo/opinfo_decomp.h"

namespace fnx::opinfo {

namespace {

Shape square_shape(int64_t, int64_t n) { return {n, n}; }
Shape no_shape(int64_t, int64_t) { return {}; }
Mat identity_of(const Mat& a) { return a; }
Tensor identity_tensor(const Tensor& a) { return a; }

std::string perm_str(Perm perm) {
  return perm == Perm::kIdentity ? "rows in place"
         : perm == Perm::kShift  ? "rows shifted"
                                 : "rows reversed";
}

std::function<Tensor(const Tensor&)> dominant_of(Perm perm) {
  return [perm](const Tensor& a) { return dominant(a, perm); };
}
std::function<Mat(const Mat&)> dominant_mat_of(Perm perm) {
  return [perm](const Mat& a) { return dominant_mat(a, perm); };
}

// ---- solve, solve_ex, lu_solve: (A, B) ----

enum class SolveKind { kSolve, kSolveEx, kLuSolve };

Index without_last(const Shape& s) { return Index(s.begin(), s.end() - 1); }

// solve's rule (torch.linalg.solve's): b is a vector when it is 1-d or has
// a's shape without the last dim.
bool vector_rhs(const Nd& a, const Nd& b) {
  return b.rank() == 1 ||
         (b.rank() == a.rank() - 1 &&
          std::equal(b.shape.begin(), b.shape.end(), a.shape.begin()));
}

// X = solve(A, B) per matrix, B a matrix or (when `vector`) a vector; X
// has A's column count of rows (B's row count for a square A).
Nd solve_ref_nd(const Nd& a, Nd b, bool vector,
                const std::function<Mat(const Mat&, const Mat&)>& solve) {
  Index as_column(b.shape.begin(), b.shape.end());
  if (vector) {
    as_column.push_back(1);
    b = reshape_nd(b, as_column);
  }
  Nd x = map_matrix_pairs(a, b, a.shape[a.rank() - 1], b.shape[b.rank() - 1],
                          solve);
  return vector ? reshape_nd(x, without_last(x.shape)) : x;
}

OpFn solve_op(SolveKind kind, Perm perm, bool strided) {
  return [kind, perm, strided](const TensorList& in) {
    const Tensor built = dominant(in.at(0), perm);
    const Tensor a = strided ? col_major(built) : built;
    switch (kind) {
      case SolveKind::kSolve:
        return linalg::solve(a, in.at(1));
      case SolveKind::kSolveEx:
        return linalg::solve_ex(a, in.at(1)).result;
      case SolveKind::kLuSolve:
        return linalg::lu_solve(linalg::lu_factor(a), in.at(1));
    }
    return Tensor();
  };
}

RefFn solve_ref(Perm perm) {
  return [perm](const TensorList& in) {
    const Nd a = read(in.at(0)), b = read(in.at(1));
    return solve_ref_nd(a, b, vector_rhs(a, b),
                        [perm](const Mat& m, const Mat& rhs) {
                          return solve_mat(dominant_mat(m, perm), rhs);
                        });
  };
}

OpInfo solve_entry(SolveKind kind) {
  const char* names[] = {"linalg.solve", "linalg.solve_ex", "linalg.lu_solve"};
  auto samples = [kind](DType d, Generator& g) {
    auto m = [&](const Shape& s) { return make(s, d, g); };
    auto nc = [&](const Shape& s) { return make_noncontig(s, d, g); };
    Samples out;
    auto add = [&](TensorList in, std::vector<std::string> tags, Perm perm,
                   bool strided, const std::string& what) {
      out.push_back(
          sample_with(std::move(in), std::move(tags), perm_str(perm) + what,
                      solve_op(kind, perm, strided), solve_ref(perm)));
    };
    const bool vectors = kind != SolveKind::kLuSolve;
    add({m({3, 3}), m({3, 2})}, {"basic"}, Perm::kIdentity, false, "");
    add({m({4, 4}), m({4, 1})}, {"basic"}, Perm::kShift, false, "");
    add({m({2, 3, 3}), m({2, 3, 2})}, {"basic"}, Perm::kReverse, false,
        ", batched");
    if (vectors) {
      add({m({3, 3}), m({3})}, {"basic"}, Perm::kReverse, false, ", a vector");
      add({m({2, 3, 3}), m({2, 3})}, {"basic"}, Perm::kIdentity, false,
          ", a batch of vectors");
    }
    add({m({3, 3}), m({2, 3, 2})}, {"broadcast"}, Perm::kIdentity, false,
        ", one matrix for a batch of right-hand sides");
    add({nc({3, 3}), nc({3, 2})}, {"noncontig"}, Perm::kReverse, true,
        ", transposed operands");
    add({nc({2, 4, 4}), nc({2, 4, 3})}, {"noncontig"}, Perm::kShift, true,
        ", transposed operands, batched");
    add({m({3, 3}), m({3, 0})}, {"zero-size"}, Perm::kIdentity, false,
        ", no columns");
    add({m({0, 3, 3}), m({0, 3, 2})}, {"zero-size"}, Perm::kIdentity, false,
        ", no matrices");
    return out;
  };
  return pair_entry(names[static_cast<int>(kind)], Impl::kComposite,
                    solve_op(kind, Perm::kIdentity, false),
                    solve_ref(Perm::kIdentity), samples);
}

// ---- inv, inv_ex, det, slogdet, logdet: functions of one square matrix ----

enum class SquareKind { kInv, kInvEx, kDet, kSlogdet, kLogdet };

SquareSpec square_spec(SquareKind kind, Perm perm) {
  std::function<Tensor(const Tensor&)> f;
  MatRef ref;
  TrailingFn trailing = no_shape;
  switch (kind) {
    case SquareKind::kInv:
    case SquareKind::kInvEx:
      f = [kind](const Tensor& a) {
        return kind == SquareKind::kInv ? linalg::inv(a)
                                        : linalg::inv_ex(a).result;
      };
      ref = inv_mat;
      trailing = square_shape;
      break;
    case SquareKind::kDet:
      // Scaled to about 1: the dominant matrices' determinants are ~10^n,
      // and finite differences of so large a value lose the digits the
      // gradient suite compares.
      f = [](const Tensor& a) {
        return linalg::det(a) * std::pow(0.1, a.shape().back());
      };
      ref = [](const Mat& a) {
        return row_of({det_mat(a) * std::pow(0.1, a.rows)});
      };
      break;
    case SquareKind::kSlogdet:
      // Outputs (sign, logabsdet), stacked in reversed order.
      f = [](const Tensor& a) {
        const linalg::SlogdetResult r = linalg::slogdet(a);
        return stack({r.logabsdet, r.sign}, -1);
      };
      ref = [](const Mat& a) {
        const double d = det_mat(a);
        return row_of({std::log(std::abs(d)), d < 0 ? -1.0 : 1.0});
      };
      trailing = [](int64_t, int64_t) { return Shape{2}; };
      break;
    case SquareKind::kLogdet:
      // Of a positive definite matrix: a negative determinant is NaN.
      f = [](const Tensor& a) { return linalg::logdet(a); };
      ref = [](const Mat& a) { return row_of({std::log(det_mat(a))}); };
      break;
  }
  SquareSpec spec =
      kind == SquareKind::kLogdet
          ? built_spec("positive definite", spd, spd_mat, f, ref, trailing)
          : built_spec(perm_str(perm), dominant_of(perm), dominant_mat_of(perm),
                       f, ref, trailing);
  spec.scalar = kind == SquareKind::kDet || kind == SquareKind::kLogdet;
  return spec;
}

OpInfo square_entry(SquareKind kind) {
  const char* names[] = {"linalg.inv", "linalg.inv_ex", "linalg.det",
                         "linalg.slogdet", "linalg.logdet"};
  OpInfo info = decomp_entry(names[static_cast<int>(kind)], Impl::kComposite,
                             square_spec(kind, Perm::kIdentity));
  info.samples = [kind](DType d, Generator& g) {
    if (kind == SquareKind::kLogdet) {
      return square_samples(square_spec(kind, Perm::kIdentity), d, g);
    }
    return permuted_samples([kind](Perm p) { return square_spec(kind, p); }, d,
                            g);
  };
  return info;
}

// ---- cholesky_solve: (B, A), the factor of spd(A) ----

OpFn cholesky_solve_op(bool upper, bool strided) {
  return [upper, strided](const TensorList& in) {
    const Tensor factor = linalg::cholesky(spd(in.at(1)), upper);
    return linalg::cholesky_solve(in.at(0),
                                  strided ? col_major(factor) : factor, upper);
  };
}

RefFn cholesky_solve_ref() {
  return [](const TensorList& in) {
    const Nd b = read(in.at(0));
    return map_matrix_pairs(read(in.at(1)), b, b.shape[b.rank() - 2],
                            b.shape[b.rank() - 1],
                            [](const Mat& a, const Mat& rhs) {
                              return solve_mat(spd_mat(a), rhs);
                            });
  };
}

OpInfo cholesky_solve_entry() {
  auto samples = [](DType d, Generator& g) {
    auto m = [&](const Shape& s) { return make(s, d, g); };
    Samples out;
    auto add = [&](TensorList in, std::vector<std::string> tags, bool upper,
                   bool strided, const std::string& what) {
      out.push_back(sample_with(
          std::move(in), std::move(tags), (upper ? "upper" : "lower") + what,
          cholesky_solve_op(upper, strided), cholesky_solve_ref()));
    };
    add({m({3, 2}), m({3, 3})}, {"basic"}, false, false, "");
    add({m({3, 2}), m({3, 3})}, {"basic"}, true, false, "");
    add({m({2, 4, 1}), m({2, 4, 4})}, {"basic"}, false, false, ", batched");
    add({m({2, 3, 2}), m({3, 3})}, {"broadcast"}, true, false,
        ", one factor for a batch of right-hand sides");
    add({make_noncontig({3, 2}, d, g), make_noncontig({3, 3}, d, g)},
        {"noncontig"}, false, true, ", transposed, factor column-major");
    add({make_noncontig({2, 3, 4}, d, g), m({2, 3, 3})}, {"noncontig"}, true,
        true, ", transposed, factor column-major, batched");
    add({m({3, 0}), m({3, 3})}, {"zero-size"}, false, false, ", no columns");
    add({m({0, 3, 2}), m({0, 3, 3})}, {"zero-size"}, true, false,
        ", no matrices");
    return out;
  };
  return pair_entry("linalg.cholesky_solve", Impl::kComposite,
                    cholesky_solve_op(false, false), cholesky_solve_ref(),
                    samples);
}

// ---- lstsq: (A, B), A (m, n) of full rank ----

OpFn lstsq_op(bool strided) {
  return [strided](const TensorList& in) {
    const Tensor a = separated_rect(in.at(0));
    return linalg::lstsq(strided ? col_major(a) : a, in.at(1));
  };
}

// pinv(A) B: the least-squares solution (m >= n) or the minimum-norm one.
Nd lstsq_ref(const TensorList& in) {
  const Nd a = read(in.at(0)), b = read(in.at(1));
  return solve_ref_nd(a, b, b.rank() == a.rank() - 1,
                      [](const Mat& m, const Mat& rhs) {
                        return mul_mat(pinv_mat(separated_rect_mat(m), 0), rhs);
                      });
}

OpInfo lstsq_entry() {
  auto samples = [](DType d, Generator& g) {
    auto m = [&](const Shape& s) { return make(s, d, g); };
    auto plain = [&](TensorList in, std::vector<std::string> tags,
                     std::string what) {
      return sample(std::move(in), std::move(tags), std::move(what));
    };
    return Samples{
        plain({m({5, 3}), m({5, 2})}, {"basic"}, "tall"),
        plain({m({5, 3}), m({5})}, {"basic"}, "tall, a vector"),
        plain({m({3, 3}), m({3, 1})}, {"basic"}, "square"),
        plain({m({3, 5}), m({3, 2})}, {"basic"}, "wide: minimum norm"),
        plain({m({2, 5, 3}), m({2, 5, 2})}, {"basic"}, "batched"),
        sample_with(
            {make_noncontig({5, 3}, d, g), make_noncontig({5, 2}, d, g)},
            {"noncontig"}, "transposed, handed over column-major",
            lstsq_op(true), lstsq_ref),
        plain({m({5, 3}), m({5, 0})}, {"zero-size"}, "no columns"),
        plain({m({0, 5, 3}), m({0, 5, 2})}, {"zero-size"}, "no matrices"),
    };
  };
  return pair_entry("linalg.lstsq", Impl::kComposite, lstsq_op(false),
                    lstsq_ref, samples);
}

// ---- pinv, matrix_norm, matrix_power ----

OpInfo pinv_entry() {
  const SquareSpec spec = built_spec(
      "full rank", separated_rect, separated_rect_mat,
      [](const Tensor& a) { return linalg::pinv(a); },
      [](const Mat& a) { return pinv_mat(a, 0); },
      [](int64_t m, int64_t n) {
        return Shape{n, m};
      });
  OpInfo info = decomp_entry("linalg.pinv", Impl::kComposite, spec);
  info.samples = [spec](DType d, Generator& g) {
    return shaped_samples(spec, d, g, {{5, 3}, {3, 5}, {4, 4}, {2, 5, 3}},
                          {{5, 3}}, {{0, 5, 3}});
  };
  return info;
}

// "fro" of the raw input (smooth away from 0); the others of
// separated_rect(A), whose singular values are simple and positive.
SquareSpec norm_spec(const std::string& ord) {
  const bool fro = ord == "fro";
  SquareSpec spec = built_spec(
      "ord " + ord, fro ? identity_tensor : separated_rect,
      fro ? identity_of : separated_rect_mat,
      [ord](const Tensor& a) { return linalg::matrix_norm(a, ord); },
      [ord](const Mat& a) { return row_of({matrix_norm_mat(a, ord)}); },
      no_shape);
  spec.scalar = true;
  return spec;
}

OpInfo matrix_norm_entry() {
  OpInfo info =
      decomp_entry("linalg.matrix_norm", Impl::kComposite, norm_spec("fro"));
  info.samples = [](DType d, Generator& g) {
    Samples s = shaped_samples(norm_spec("fro"), d, g, {{3, 4}, {2, 3, 3}},
                               {{3, 4}}, {{0, 3, 3}});
    auto more = [&](const std::string& ord, const std::vector<Shape>& basic,
                    const std::vector<Shape>& noncontig) {
      for (SampleInput& x :
           shaped_samples(norm_spec(ord), d, g, basic, noncontig, {})) {
        s.push_back(x);
      }
    };
    more("nuc", {{4, 3}, {2, 3, 4}}, {{3, 5}});
    more("2", {{3, 5}, {2, 4, 4}}, {});
    more("-2", {{4, 4}, {5, 3}}, {{2, 3, 4}});
    return s;
  };
  return info;
}

// n = 2, 3 of the raw input (products); n = -1 of a dominant() matrix.
SquareSpec power_spec(int64_t n) {
  return built_spec(
      "n = " + std::to_string(n),
      n < 0 ? dominant_of(Perm::kIdentity) : identity_tensor,
      n < 0 ? dominant_mat_of(Perm::kIdentity) : identity_of,
      [n](const Tensor& a) { return linalg::matrix_power(a, n); },
      [n](const Mat& a) { return matrix_power_mat(a, n); }, square_shape);
}

OpInfo matrix_power_entry() {
  OpInfo info =
      decomp_entry("linalg.matrix_power", Impl::kComposite, power_spec(2));
  info.samples = [](DType d, Generator& g) {
    Samples s = shaped_samples(power_spec(2), d, g, {{3, 3}, {2, 3, 3}},
                               {{3, 3}}, {{0, 3, 3}});
    for (SampleInput& x : shaped_samples(power_spec(3), d, g, {{4, 4}, {1, 1}},
                                         {{2, 4, 4}}, {})) {
      s.push_back(x);
    }
    for (SampleInput& x : shaped_samples(power_spec(-1), d, g,
                                         {{3, 3}, {2, 3, 3}}, {{3, 3}}, {})) {
      s.push_back(x);
    }
    return s;
  };
  return info;
}

}  // namespace

void add_decomp_solver_ops(std::vector<OpInfo>& db) {
  db.push_back(solve_entry(SolveKind::kSolve));
  db.push_back(solve_entry(SolveKind::kSolveEx));
  db.push_back(solve_entry(SolveKind::kLuSolve));
  for (SquareKind kind :
       {SquareKind::kInv, SquareKind::kInvEx, SquareKind::kDet,
        SquareKind::kSlogdet, SquareKind::kLogdet}) {
    db.push_back(square_entry(kind));
  }
  db.push_back(cholesky_solve_entry());
  db.push_back(lstsq_entry());
  db.push_back(pinv_entry());
  db.push_back(matrix_norm_entry());
  db.push_back(matrix_power_entry());
}

}  // namespace fnx::opinfo
