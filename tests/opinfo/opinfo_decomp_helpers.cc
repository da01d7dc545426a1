// The matrix helpers of core/ops/linalg.h, composites of public ops:
// diagonal (offsets 0, +-1, 2 and past the matrix), diag_embed, trace, tril
// and triu (diagonals 0, +-1, -2), and the finiteness tests isfinite, isnan
// and isinf (bool results, not differentiable).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "tests/opinfo/opinfo_decomp.h"

namespace fnx::opinfo {

namespace {

int64_t diagonal_length(int64_t m, int64_t n, int64_t offset) {
  const int64_t row0 = offset < 0 ? -offset : 0, col0 = offset > 0 ? offset : 0;
  return std::max<int64_t>(0, std::min(m - row0, n - col0));
}

SampleInput diagonal_sample(Tensor x, std::vector<std::string> tags,
                            int64_t offset) {
  return sample1(
      std::move(x), std::move(tags), "offset " + std::to_string(offset),
      [offset](const Tensor& t) { return diagonal(t, offset); },
      [offset](const Nd& x) {
        const int64_t m = x.shape[x.rank() - 2], n = x.shape[x.rank() - 1];
        return map_matrices_to(
            x, {diagonal_length(m, n, offset)},
            [offset](const Mat& a) { return diagonal_mat(a, offset); });
      });
}

OpInfo diagonal_entry() {
  OpInfo info = entry1(
      "diagonal", "linalg", Impl::kComposite,
      [](const Tensor& t) { return diagonal(t); },
      [](const Nd& x) {
        const int64_t m = x.shape[x.rank() - 2], n = x.shape[x.rank() - 1];
        return map_matrices_to(x, {std::min(m, n)},
                               [](const Mat& a) { return diagonal_mat(a, 0); });
      });
  info.samples = [](DType d, Generator& g) {
    auto m = [&](const Shape& s) { return make(s, d, g); };
    return Samples{
        diagonal_sample(m({3, 4}), {"basic"}, 0),
        diagonal_sample(m({4, 3}), {"basic"}, 1),
        diagonal_sample(m({3, 4}), {"basic"}, -1),
        diagonal_sample(m({2, 3, 3}), {"basic"}, 0),
        diagonal_sample(m({2, 1, 3, 4}), {"basic"}, 2),
        diagonal_sample(make_noncontig({3, 4}, d, g), {"noncontig"}, 1),
        diagonal_sample(make_noncontig({2, 4, 3}, d, g), {"noncontig"}, -1),
        diagonal_sample(make_expanded({2, 3, 3}, d, g), {"expanded"}, 0),
        diagonal_sample(m({0, 3, 3}), {"zero-size"}, 0),
        diagonal_sample(m({3, 3}), {"zero-size"}, 4),
    };
  };
  info.dtypes = floating_dtypes();
  info.needs_scalar = false;
  return info;
}

Nd diag_embed_ref(const Nd& x) {
  const int64_t n = x.shape.back();
  Shape shape = x.shape;
  shape.push_back(n);
  Nd out = full_nd(shape, 0.0, x.dtype);
  for (int64_t i = 0; i < x.numel(); ++i) {
    out.data[(i / n) * n * n + (i % n) * (n + 1)] = x.data[i];
  }
  return out;
}

OpInfo diag_embed_entry() {
  OpInfo info = entry1(
      "diag_embed", "linalg", Impl::kComposite,
      [](const Tensor& t) { return diag_embed(t); }, diag_embed_ref);
  info.samples = [](DType d, Generator& g) {
    return Samples{
        sample({make({3}, d, g)}, {"basic"}),
        sample({make({2, 4}, d, g)}, {"basic"}, "batched"),
        sample({make_noncontig({4}, d, g)}, {"noncontig"}, "step-sliced"),
        sample({make_noncontig({2, 3}, d, g)}, {"noncontig"}, "transposed"),
        sample({make({0}, d, g)}, {"zero-size"}),
        sample({make({0, 3}, d, g)}, {"zero-size"}, "no vectors"),
    };
  };
  info.dtypes = floating_dtypes();
  info.needs_scalar = false;
  return info;
}

OpInfo trace_entry() {
  OpInfo info = entry1(
      "trace", "linalg", Impl::kComposite,
      [](const Tensor& t) { return trace(t); },
      [](const Nd& x) {
        return map_matrices_to(x, {}, [](const Mat& a) {
          double s = 0;
          for (double v : diagonal_mat(a, 0).v) s += v;
          return row_of({s});
        });
      });
  info.samples = [](DType d, Generator& g) {
    return Samples{
        sample({make({3, 3}, d, g)}, {"basic", "scalar"}),
        sample({make({3, 4}, d, g)}, {"basic", "scalar"}, "rectangular"),
        sample({make({2, 3, 3}, d, g)}, {"basic"}, "batched"),
        sample({make_noncontig({3, 3}, d, g)}, {"noncontig", "scalar"}),
        sample({make_noncontig({2, 4, 3}, d, g)}, {"noncontig"}),
        sample({make({0, 3, 3}, d, g)}, {"zero-size"}, "no matrices"),
        sample({make({0, 0}, d, g)}, {"zero-size", "scalar"}, "empty matrix"),
    };
  };
  info.dtypes = floating_dtypes();
  return info;
}

SampleInput triangle_sample(bool lower, Tensor x, std::vector<std::string> tags,
                            int64_t k) {
  return sample1(
      std::move(x), std::move(tags), "diagonal " + std::to_string(k),
      [lower, k](const Tensor& t) { return lower ? tril(t, k) : triu(t, k); },
      [lower, k](const Nd& x) {
        const int64_t m = x.shape[x.rank() - 2], n = x.shape[x.rank() - 1];
        return map_matrices(x, m, n, [lower, k](const Mat& a) {
          return lower ? tril_mat(a, k) : triu_mat(a, k);
        });
      });
}

OpInfo triangle_entry(bool lower) {
  OpInfo info = entry1(
      lower ? "tril" : "triu", "linalg", Impl::kComposite,
      [lower](const Tensor& t) { return lower ? tril(t) : triu(t); },
      [lower](const Nd& x) {
        const int64_t m = x.shape[x.rank() - 2], n = x.shape[x.rank() - 1];
        return map_matrices(x, m, n, [lower](const Mat& a) {
          return lower ? tril_mat(a, 0) : triu_mat(a, 0);
        });
      });
  info.samples = [lower](DType d, Generator& g) {
    auto m = [&](const Shape& s) { return make(s, d, g); };
    return Samples{
        triangle_sample(lower, m({3, 4}), {"basic"}, 0),
        triangle_sample(lower, m({4, 3}), {"basic"}, 1),
        triangle_sample(lower, m({3, 4}), {"basic"}, -1),
        triangle_sample(lower, m({2, 3, 3}), {"basic"}, 0),
        triangle_sample(lower, make_noncontig({3, 4}, d, g), {"noncontig"}, 0),
        triangle_sample(lower, make_noncontig({2, 4, 3}, d, g), {"noncontig"},
                        -2),
        triangle_sample(lower, make_expanded({2, 3, 3}, d, g), {"expanded"}, 1),
        triangle_sample(lower, m({0, 3, 3}), {"zero-size"}, 0),
        triangle_sample(lower, m({3, 0}), {"zero-size"}, 0),
    };
  };
  info.dtypes = floating_dtypes();
  info.needs_scalar = false;
  return info;
}

// isfinite, isnan, isinf: floats with infinities; integers (always finite)
// from the usual domain. No NaN: the database's suites compare inputs with
// == (unchanged, reproducible), which NaN never passes; tests/linalg checks
// NaN inputs.
OpInfo finite_entry(std::string name, Tensor (*op)(const Tensor&),
                    bool (*test)(double)) {
  OpInfo info = entry1(
      std::move(name), "unary", Impl::kComposite, op, [test](const Nd& x) {
        return map(
            x, [test](double v) { return test(v) ? 1.0 : 0.0; }, DType::Bool);
      });
  info.samples = [](DType d, Generator& g) {
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<double> special = {0, inf, -inf, 1e300, 1.5, -2};
    const bool floating = is_floating(d);
    return Samples{
        sample({floating ? constant(special, {2, 3}, d) : make({2, 3}, d, g)},
               {"basic"}),
        sample({floating ? constant(special, {3, 2}, d).transpose(0, 1)
                         : make_noncontig({2, 3}, d, g)},
               {"noncontig"}),
        sample({make({0, 3}, d, g)}, {"zero-size"}),
        sample({make({}, d, g)}, {"scalar"}),
    };
  };
  info.dtypes = numeric_dtypes();
  info.differentiable = false;
  info.diff_args = {};
  return info;
}

}  // namespace

void add_matrix_helper_ops(std::vector<OpInfo>& db) {
  db.push_back(diagonal_entry());
  db.push_back(diag_embed_entry());
  db.push_back(trace_entry());
  db.push_back(triangle_entry(true));
  db.push_back(triangle_entry(false));
  // fnx's, not <cmath>'s.
  db.push_back(finite_entry("isfinite", fnx::isfinite,
                            [](double v) { return std::isfinite(v); }));
  db.push_back(finite_entry("isnan", fnx::isnan,
                            [](double v) { return std::isnan(v); }));
  db.push_back(finite_entry("isinf", fnx::isinf,
                            [](double v) { return std::isinf(v); }));
}

}  // namespace fnx::opinfo
