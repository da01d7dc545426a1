// The Linalg primitives through their public front ends: cholesky,
// solve_triangular (every option), lu_factor (LU, and pivots exactly), lu,
// qr (reduced, complete, r), eigh, svd, with cholesky_ex, eigvalsh and
// svdvals. Each op builds its well-conditioned matrix and normalizes signs
// as opinfo_decomp.h explains; multi-result ops return their parts
// flattened and concatenated along the last dim, in REVERSED order.
#include "tests/opinfo/opinfo_decomp.h"

#include <string>
#include <utility>

namespace fnx::opinfo {

namespace {

Tensor maybe_col_major(const Tensor& x, bool strided) {
  return strided ? col_major(x) : x;
}

Shape square_shape(int64_t, int64_t n) { return {n, n}; }

// ---- cholesky ----

SquareSpec cholesky_spec(bool upper, bool ex) {
  SquareSpec spec;
  spec.desc = upper ? "upper" : "lower";
  spec.op = [upper, ex](const Tensor& a, bool strided) {
    const Tensor s = maybe_col_major(spd(a), strided);
    return ex ? linalg::cholesky_ex(s, upper).L : linalg::cholesky(s, upper);
  };
  spec.reference = matrix_reference(
      [upper](const Mat& a) { return cholesky_mat(spd_mat(a), upper); },
      square_shape);
  return spec;
}

OpInfo cholesky_entry(bool ex) {
  OpInfo info = decomp_entry(ex ? "linalg.cholesky_ex" : "linalg.cholesky",
                             ex ? Impl::kComposite : Impl::kPrimitive,
                             cholesky_spec(false, ex));
  info.samples = [ex](DType d, Generator& g) {
    Samples s = square_samples(cholesky_spec(false, ex), d, g);
    SquareSpec upper = cholesky_spec(true, ex);
    upper.brief = !ex;
    for (SampleInput& x : square_samples(upper, d, g)) s.push_back(x);
    return s;
  };
  return info;
}

// ---- solve_triangular ----

std::string options_str(const linalg::TriangularSolveOptions& o) {
  return std::string(o.upper ? "upper" : "lower") +
         (o.left ? " left" : " right") + (o.transpose ? " transpose" : "") +
         (o.unit_diagonal ? " unit" : "");
}

OpFn triangular_op(linalg::TriangularSolveOptions o, bool strided) {
  return [o, strided](const TensorList& in) {
    return linalg::solve_triangular(
        maybe_col_major(triangular_base(in.at(0)), strided), in.at(1), o);
  };
}

RefFn triangular_ref(linalg::TriangularSolveOptions o) {
  return [o](const TensorList& in) {
    const Nd b = read(in.at(1));
    return map_matrix_pairs(
        read(in.at(0)), b, b.shape[b.rank() - 2], b.shape[b.rank() - 1],
        [o](const Mat& a, const Mat& rhs) {
          return solve_triangular_mat(triangular_base_mat(a), rhs, o);
        });
  };
}

OpInfo triangular_entry() {
  OpInfo info;
  info.name = "linalg.solve_triangular";
  info.family = "linalg";
  info.op = triangular_op({}, false);
  info.reference = triangular_ref({});
  info.samples = [](DType d, Generator& g) {
    auto m = [&](const Shape& s) { return make(s, d, g); };
    Samples out;
    auto add = [&](TensorList in, std::vector<std::string> tags,
                   linalg::TriangularSolveOptions o, bool strided,
                   const std::string& what) {
      out.push_back(sample_with(std::move(in), std::move(tags),
                                options_str(o) + what,
                                triangular_op(o, strided), triangular_ref(o)));
    };
    // Every combination of the four options.
    for (int bits = 0; bits < 16; ++bits) {
      linalg::TriangularSolveOptions o;
      o.upper = bits & 1;
      o.left = !(bits & 2);
      o.transpose = bits & 4;
      o.unit_diagonal = bits & 8;
      add({m({3, 3}), o.left ? m({3, 2}) : m({2, 3})}, {"basic"}, o, false, "");
    }
    linalg::TriangularSolveOptions upper_t{true, true, true, false};
    linalg::TriangularSolveOptions lower_right{false, false, false, false};
    add({m({2, 3, 3}), m({2, 3, 2})}, {"basic"}, {}, false, ", batched");
    add({m({2, 1, 3, 3}), m({2, 2, 3, 4})}, {"basic"}, upper_t, false,
        ", batched (2, 2)");
    add({m({3, 3}), m({2, 3, 2})}, {"broadcast"}, upper_t, false,
        ", one matrix for a batch of right-hand sides");
    add({m({2, 4, 4}), m({2, 4})}, {"broadcast"}, lower_right, false,
        ", a batch of matrices for one right-hand side");
    add({make_noncontig({3, 3}, d, g), make_noncontig({3, 2}, d, g)},
        {"noncontig"}, upper_t, true, ", transposed operands");
    add({make_noncontig({2, 4, 4}, d, g), make_noncontig({2, 3, 4}, d, g)},
        {"noncontig"}, lower_right, true, ", transposed operands, batched");
    add({m({3, 3}), m({3, 0})}, {"zero-size"}, {}, false, ", no columns");
    add({m({0, 3, 3}), m({0, 3, 2})}, {"zero-size"}, upper_t, false,
        ", no matrices");
    return out;
  };
  info.dtypes = floating_dtypes();
  info.diff_args = {0, 1};
  info.tol32 = {1e-4, 1e-4};
  info.tol64 = {1e-9, 1e-9};
  info.needs_scalar = false;
  return info;
}

// ---- lu_factor, lu ----

enum class LuPart { kLU, kPivots, kPLU };

SquareSpec lu_spec(LuPart part, Perm perm) {
  SquareSpec spec;
  spec.desc = perm == Perm::kIdentity ? "rows in place"
              : perm == Perm::kShift  ? "rows shifted"
                                      : "rows reversed";
  spec.op = [part, perm](const Tensor& a, bool strided) {
    const Tensor x = maybe_col_major(dominant(a, perm), strided);
    if (part == LuPart::kPLU) {
      const linalg::LuResult r = linalg::lu(x);
      return cat({flat2(r.U), flat2(r.L), flat2(r.P)}, -1);
    }
    const linalg::LuFactorResult f = linalg::lu_factor(x);
    if (part == LuPart::kLU) return f.LU;
    return cat({f.permutation, cast(f.pivots, DType::Int64)}, -1);
  };
  const MatRef ref = [part, perm](const Mat& a) {
    const LuMat f = lu_mat(dominant_mat(a, perm));
    if (part == LuPart::kLU) return f.lu;
    const int64_t n = a.rows;
    if (part == LuPart::kPivots) {
      std::vector<double> v(f.perm.begin(), f.perm.end());
      v.insert(v.end(), f.pivots.begin(), f.pivots.end());
      return row_of(v);
    }
    // A = P L U: P's column i is the unit vector perm[i].
    Mat p(n, n), l = tril_mat(f.lu, -1);
    for (int64_t i = 0; i < n; ++i) {
      p(f.perm[i], i) = 1;
      l(i, i) = 1;
    }
    return concat_mats({triu_mat(f.lu, 0), l, p});
  };
  const RefFn values = matrix_reference(ref, [part](int64_t, int64_t n) {
    return part == LuPart::kLU       ? Shape{n, n}
           : part == LuPart::kPivots ? Shape{2 * n}
                                     : Shape{3 * n * n};
  });
  if (part != LuPart::kPivots) {
    spec.reference = values;
  } else {
    spec.reference = [values](const TensorList& in) {
      Nd out = values(in);
      out.dtype = DType::Int64;
      return out;
    };
  }
  return spec;
}

OpInfo lu_entry(LuPart part) {
  const char* names[] = {"linalg.lu_factor", "linalg.lu_factor.pivots",
                         "linalg.lu"};
  OpInfo info =
      decomp_entry(names[static_cast<int>(part)],
                   part == LuPart::kPLU ? Impl::kComposite : Impl::kPrimitive,
                   lu_spec(part, Perm::kIdentity));
  info.samples = [part](DType d, Generator& g) {
    return permuted_samples([part](Perm p) { return lu_spec(part, p); }, d, g);
  };
  if (part == LuPart::kPivots) {
    // Integer results: compared exactly, never differentiated.
    info.differentiable = false;
    info.diff_args = {};
  }
  return info;
}

}  // namespace

void add_decomp_ops(std::vector<OpInfo>& db) {
  add_matrix_helper_ops(db);
  db.push_back(cholesky_entry(false));
  db.push_back(cholesky_entry(true));
  db.push_back(triangular_entry());
  db.push_back(lu_entry(LuPart::kLU));
  db.push_back(lu_entry(LuPart::kPivots));
  db.push_back(lu_entry(LuPart::kPLU));
  add_spectral_ops(db);
  add_decomp_solver_ops(db);
}

}  // namespace fnx::opinfo
