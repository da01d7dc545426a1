// The matrices the decomposition entries build, their float64 twins, and
// the sample and entry builders (see opinfo_decomp.h).
#include <algorithm>
#include <utility>

#include "tests/opinfo/opinfo_decomp.h"

namespace fnx::opinfo {

namespace {

int64_t rows_of(const Tensor& a) { return a.shape()[a.dim() - 2]; }
int64_t cols_of(const Tensor& a) { return a.shape().back(); }

// The constant added by separated_rect and separated_sym, as values.
std::vector<double> separating_diagonal(int64_t m, int64_t n, bool rect) {
  std::vector<double> d(m * n, 0.0);
  const int64_t k = std::min(m, n);
  for (int64_t i = 0; i < k; ++i) {
    d[i * n + i] =
        rect ? 3.0 * static_cast<double>(k - i) : 3.0 * static_cast<double>(i);
  }
  return d;
}

std::vector<double> dominant_offsets(int64_t n, Perm perm) {
  const std::vector<int64_t> p = perm_of(perm, n);
  std::vector<double> d(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) d[i * n + p[i]] = 2.0 * n + 2;
  return d;
}

Tensor constant_like(const std::vector<double>& values, int64_t m, int64_t n,
                     const Tensor& like) {
  return from_vector(values, {m, n}, like.dtype(), like.device());
}

Mat plus(Mat a, const std::vector<double>& offsets) {
  for (size_t i = 0; i < a.v.size(); ++i) a.v[i] += offsets[i];
  return a;
}

}  // namespace

Tensor spd(const Tensor& a) {
  const int64_t n = cols_of(a);
  return matmul(a, mT(a)) +
         eye(n, a.dtype(), a.device()) * static_cast<double>(n);
}

Mat spd_mat(const Mat& a) {
  Mat s = mul_mat(a, transpose_mat(a));
  for (int64_t i = 0; i < a.rows; ++i) s(i, i) += static_cast<double>(a.cols);
  return s;
}

std::vector<int64_t> perm_of(Perm perm, int64_t n) {
  std::vector<int64_t> p(n);
  for (int64_t i = 0; i < n; ++i) {
    p[i] = perm == Perm::kIdentity ? i
           : perm == Perm::kShift  ? (i + 1) % n
                                   : n - 1 - i;
  }
  return p;
}

Tensor dominant(const Tensor& a, Perm perm) {
  const int64_t n = cols_of(a);
  return a + constant_like(dominant_offsets(n, perm), n, n, a);
}

Mat dominant_mat(const Mat& a, Perm perm) {
  return plus(a, dominant_offsets(a.cols, perm));
}

Tensor separated_sym(const Tensor& a) {
  const int64_t n = cols_of(a);
  return (a + mT(a)) * 0.125 +
         constant_like(separating_diagonal(n, n, false), n, n, a);
}

Mat separated_sym_mat(const Mat& a) {
  Mat s = transpose_mat(a);
  for (size_t i = 0; i < s.v.size(); ++i) s.v[i] = (s.v[i] + a.v[i]) * 0.125;
  return plus(s, separating_diagonal(a.rows, a.cols, false));
}

Tensor separated_rect(const Tensor& a) {
  const int64_t m = rows_of(a), n = cols_of(a);
  return a * 0.25 + constant_like(separating_diagonal(m, n, true), m, n, a);
}

Mat separated_rect_mat(const Mat& a) {
  Mat s = a;
  for (double& x : s.v) x *= 0.25;
  return plus(s, separating_diagonal(a.rows, a.cols, true));
}

Tensor triangular_base(const Tensor& a) {
  const int64_t n = cols_of(a);
  return a * 0.5 + eye(n, a.dtype(), a.device()) * static_cast<double>(n + 1);
}

Mat triangular_base_mat(const Mat& a) {
  Mat t = a;
  for (double& x : t.v) x *= 0.5;
  for (int64_t i = 0; i < a.rows; ++i)
    t(i, i) += static_cast<double>(a.rows + 1);
  return t;
}

Tensor mT(const Tensor& x) { return transpose(x, -1, -2); }

Tensor col_major(const Tensor& x) { return mT(contiguous(mT(x))); }

Tensor flat2(const Tensor& x) {
  Shape shape(x.shape().begin(), x.shape().end() - 2);
  shape.push_back(rows_of(x) * cols_of(x));
  return reshape(x, shape);
}

Tensor scale_cols(const Tensor& x, const Tensor& s) {
  return x * unsqueeze(s, -2);
}

Tensor scale_rows(const Tensor& x, const Tensor& s) {
  return x * unsqueeze(s, -1);
}

Mat concat_mats(const std::vector<Mat>& parts) {
  Mat out(1, 0);
  for (const Mat& p : parts) out.v.insert(out.v.end(), p.v.begin(), p.v.end());
  out.cols = static_cast<int64_t>(out.v.size());
  return out;
}

Mat row_of(const std::vector<double>& values) {
  Mat out(1, static_cast<int64_t>(values.size()));
  out.v = values;
  return out;
}

RefFn matrix_reference(const MatRef& f, const TrailingFn& trailing) {
  return [f, trailing](const TensorList& in) {
    const Nd x = read(in.at(0));
    return map_matrices_to(
        x, trailing(x.shape[x.rank() - 2], x.shape[x.rank() - 1]), f);
  };
}

SquareSpec built_spec(std::string desc,
                      std::function<Tensor(const Tensor&)> build,
                      std::function<Mat(const Mat&)> build_mat,
                      std::function<Tensor(const Tensor&)> f, MatRef ref,
                      TrailingFn trailing) {
  SquareSpec spec;
  spec.desc = std::move(desc);
  spec.op = [build, f](const Tensor& a, bool strided) {
    const Tensor x = build(a);
    return f(strided ? col_major(x) : x);
  };
  spec.reference = matrix_reference(
      [build_mat, ref](const Mat& a) { return ref(build_mat(a)); },
      std::move(trailing));
  return spec;
}

Samples shaped_samples(const SquareSpec& spec, DType d, Generator& g,
                       const std::vector<Shape>& basic,
                       const std::vector<Shape>& noncontig,
                       const std::vector<Shape>& zero_size) {
  auto one = [&](Tensor x, std::vector<std::string> tags, bool strided) {
    if (spec.scalar && x.dim() == 2) tags.push_back("scalar");
    const std::string desc =
        spec.desc + " " + shape_str(x.shape()) +
        (strided ? ", transposed, handed over column-major" : "");
    StridedFn op = spec.op;
    return sample_with(
        {std::move(x)}, std::move(tags), desc,
        [op, strided](const TensorList& in) { return op(in.at(0), strided); },
        spec.reference);
  };
  Samples out;
  for (const Shape& s : basic)
    out.push_back(one(make(s, d, g), {"basic"}, false));
  for (const Shape& s : noncontig) {
    out.push_back(one(make_noncontig(s, d, g), {"noncontig"}, true));
  }
  for (const Shape& s : zero_size) {
    out.push_back(one(make(s, d, g), {"zero-size"}, false));
  }
  return out;
}

Samples square_samples(const SquareSpec& spec, DType d, Generator& g) {
  if (spec.brief)
    return shaped_samples(spec, d, g, {{3, 3}, {2, 3, 3}}, {{3, 3}}, {});
  return shaped_samples(spec, d, g,
                        {{3, 3}, {4, 4}, {1, 1}, {2, 3, 3}, {2, 1, 2, 2}},
                        {{3, 3}, {2, 4, 4}}, {{0, 3, 3}});
}

Samples permuted_samples(const std::function<SquareSpec(Perm)>& spec_of,
                         DType d, Generator& g) {
  Samples s = square_samples(spec_of(Perm::kIdentity), d, g);
  SquareSpec reversed = spec_of(Perm::kReverse);
  reversed.brief = true;
  for (SampleInput& x : square_samples(reversed, d, g)) s.push_back(x);
  for (SampleInput& x : shaped_samples(spec_of(Perm::kShift), d, g,
                                       {{4, 4}, {2, 4, 4}}, {{4, 4}}, {})) {
    s.push_back(x);
  }
  return s;
}

OpInfo pair_entry(std::string name, Impl impl, OpFn op, RefFn reference,
                  std::function<Samples(DType, Generator&)> samples) {
  OpInfo info;
  info.name = std::move(name);
  info.family = "linalg";
  info.op = std::move(op);
  info.reference = std::move(reference);
  info.samples = std::move(samples);
  info.dtypes = floating_dtypes();
  info.diff_args = {0, 1};
  info.impl = impl;
  info.tol32 = {1e-4, 1e-4};
  info.tol64 = {1e-9, 1e-9};
  info.needs_scalar = false;
  return info;
}

OpInfo decomp_entry(std::string name, Impl impl, const SquareSpec& spec) {
  OpInfo info;
  info.name = std::move(name);
  info.family = "linalg";
  StridedFn op = spec.op;
  info.op = [op](const TensorList& in) { return op(in.at(0), false); };
  info.reference = spec.reference;
  info.samples = [spec](DType d, Generator& g) {
    return square_samples(spec, d, g);
  };
  info.dtypes = floating_dtypes();
  info.diff_args = {0};
  info.impl = impl;
  // float32 factorizations of these small, well-conditioned matrices agree
  // with float64 to about 1e-6; float64 ones (LAPACK vs Jacobi) to 1e-13.
  info.tol32 = {1e-4, 1e-4};
  info.tol64 = {1e-9, 1e-9};
  info.needs_scalar = spec.scalar;
  return info;
}

}  // namespace fnx::opinfo
