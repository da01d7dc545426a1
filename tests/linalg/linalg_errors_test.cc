// The error paths of the linear-algebra API (core/ops/linalg.h): every
// mistake is an fnx::Error naming the op the user called and what is wrong;
// a matrix that is singular or not positive definite names the batch index
// (the example, under vmap); the *_ex variants report it in `info` instead
// of throwing.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

using testing::f64;
using testing::throws_with;

Tensor eye3() { return eye(3, DType::Float64); }
Tensor rhs() { return f64({1, 2, 3, 4, 5, 6}, {3, 2}); }

// Three 2x2 matrices, the one at `bad` replaced by m.
Tensor batch_with(const std::vector<double>& m, int bad) {
  std::vector<double> v;
  for (int i = 0; i < 3; ++i) {
    const std::vector<double> one =
        i == bad ? m : std::vector<double>{2, 1, 1, 2};
    v.insert(v.end(), one.begin(), one.end());
  }
  return f64(v, {3, 2, 2});
}

const std::vector<double> kIndefinite = {1, 2, 2, 1};  // fails at order 2
const std::vector<double> kNegative = {-1, 0, 0, 1};   // fails at order 1
const std::vector<double> kSingular = {1, 2, 2, 4};    // U[1][1] == 0

std::vector<int64_t> ints(const Tensor& t) {
  std::vector<int64_t> out;
  for (double v : t.to_vector()) out.push_back(static_cast<int64_t>(v));
  return out;
}

TEST(LinalgErrors, IntegerInput) {
  const Tensor a = eye(3, DType::Int64);
  for (auto [name, call] :
       std::vector<std::pair<std::string, void (*)(const Tensor&)>>{
           {"cholesky", [](const Tensor& x) { linalg::cholesky(x); }},
           {"lu_factor", [](const Tensor& x) { linalg::lu_factor(x); }},
           {"qr", [](const Tensor& x) { linalg::qr(x); }},
           {"eigh", [](const Tensor& x) { linalg::eigh(x); }},
           {"svd", [](const Tensor& x) { linalg::svd(x); }},
           {"solve", [](const Tensor& x) { linalg::solve(x, x); }},
           {"inv", [](const Tensor& x) { linalg::inv(x); }},
           {"det", [](const Tensor& x) { linalg::det(x); }},
           {"pinv", [](const Tensor& x) { linalg::pinv(x); }},
           {"matrix_norm", [](const Tensor& x) { linalg::matrix_norm(x); }},
       }) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(
        throws_with([&] { call(a); }, {"[" + name + "]", "float", "int64"}));
  }
}

TEST(LinalgErrors, VectorInput) {
  const Tensor v = f64({1, 2, 3});
  for (auto [name, call] :
       std::vector<std::pair<std::string, void (*)(const Tensor&)>>{
           {"cholesky", [](const Tensor& x) { linalg::cholesky(x); }},
           {"qr", [](const Tensor& x) { linalg::qr(x); }},
           {"eigh", [](const Tensor& x) { linalg::eigh(x); }},
           {"svd", [](const Tensor& x) { linalg::svd(x); }},
           {"solve", [](const Tensor& x) { linalg::solve(x, x); }},
           {"inv", [](const Tensor& x) { linalg::inv(x); }},
           {"det", [](const Tensor& x) { linalg::det(x); }},
       }) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(throws_with([&] { call(v); },
                            {"[" + name + "]", "rank >= 2", "[3]", "(n, 1)"}));
  }
}

TEST(LinalgErrors, NonSquare) {
  const Tensor a = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  for (auto [name, call] :
       std::vector<std::pair<std::string, void (*)(const Tensor&)>>{
           {"cholesky", [](const Tensor& x) { linalg::cholesky(x); }},
           {"eigh", [](const Tensor& x) { linalg::eigh(x); }},
           {"lu_factor", [](const Tensor& x) { linalg::lu_factor(x); }},
           {"det", [](const Tensor& x) { linalg::det(x); }},
           {"slogdet", [](const Tensor& x) { linalg::slogdet(x); }},
           {"matrix_power",
            [](const Tensor& x) { linalg::matrix_power(x, 2); }},
       }) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(throws_with([&] { call(a); },
                            {"[" + name + "]", "square", "[2, 3]", "2x3"}));
  }
  // solve and inv point to what handles rectangular matrices.
  EXPECT_TRUE(throws_with(
      [&] {
        linalg::solve(a, f64({1, 2}, {2, 1}));
      },
      {"[solve]", "square", "[2, 3]", "lstsq"}));
  EXPECT_TRUE(throws_with([&] { linalg::inv(a); },
                          {"[inv]", "square", "[2, 3]", "pinv"}));
}

// A 3x3 system with a right-hand side of 4 rows. solve and solve_triangular
// are expected to name themselves, not the op or primitive they delegate to.
TEST(LinalgErrors, RightHandSideRows) {
  const Tensor b = f64({1, 2, 3, 4, 5, 6, 7, 8}, {4, 2});
  EXPECT_TRUE(throws_with([&] { linalg::solve(eye3(), b); },
                          {"[solve]", "right-hand side", "[4, 2]"}));
  EXPECT_TRUE(
      throws_with([&] { linalg::lu_solve(linalg::lu_factor(eye3()), b); },
                  {"[lu_solve]", "right-hand side", "[4, 2]", "4 rows"}));
  EXPECT_TRUE(throws_with(
      [&] { linalg::solve_triangular(eye3(), b, {}); },
      {"[solve_triangular]", "right-hand side", "[4, 2]", "rows 4 != 3"}));
  linalg::TriangularSolveOptions right;
  right.left = false;
  EXPECT_TRUE(throws_with(
      [&] { linalg::solve_triangular(eye3(), rhs(), right); },
      {"[solve_triangular]", "right-solve", "[3, 2]", "columns 2 != 3"}));
  EXPECT_TRUE(throws_with([&] { linalg::lstsq(eye3(), b); },
                          {"[lstsq]", "3 rows", "[4, 2]"}));
}

TEST(LinalgErrors, BatchDimsDoNotBroadcast) {
  const Tensor a = broadcast_to(eye3(), {2, 3, 3});
  const Tensor b = zeros({3, 3, 2}, DType::Float64);
  const std::vector<std::string> shapes = {"do not broadcast", "[2, 3, 3]",
                                           "[3, 3, 2]"};
  auto with = [&](const std::string& op) {
    std::vector<std::string> parts = shapes;
    parts.push_back("[" + op + "]");
    return parts;
  };
  EXPECT_TRUE(throws_with([&] { linalg::solve_triangular(a, b, {}); },
                          with("solve_triangular")));
  EXPECT_TRUE(throws_with([&] { linalg::lu_solve(linalg::lu_factor(a), b); },
                          with("lu_solve")));
  EXPECT_TRUE(throws_with([&] { linalg::solve(a, b); }, with("solve")));
}

TEST(LinalgErrors, NotPositiveDefiniteNamesTheBatchIndex) {
  const Tensor a = batch_with(kIndefinite, 1);
  EXPECT_TRUE(throws_with([&] { linalg::cholesky(a); },
                          {"[cholesky]", "not positive definite",
                           "batch index [1]", "cholesky_ex"}));
  EXPECT_TRUE(throws_with([&] { linalg::cholesky(a, /*upper=*/true); },
                          {"[cholesky]", "batch index [1]"}));
  // Two batch dims: both indices of the first bad matrix.
  const Tensor grid =
      reshape(cat({batch_with({2, 1, 1, 2}, -1), batch_with(kNegative, 2)}, 0),
              {2, 3, 2, 2});
  EXPECT_TRUE(throws_with([&] { linalg::cholesky(grid); },
                          {"[cholesky]", "batch index [1, 2]"}));
  // A single bad matrix: nothing to index, still an error.
  EXPECT_TRUE(throws_with(
      [&] {
        linalg::cholesky(f64(kIndefinite, {2, 2}));
      },
      {"[cholesky]", "not positive definite"}));
}

TEST(LinalgErrors, SingularNamesTheBatchIndex) {
  const Tensor a = batch_with(kSingular, 1);
  const Tensor b = zeros({3, 2, 1}, DType::Float64);
  EXPECT_TRUE(throws_with([&] { linalg::solve(a, b); },
                          {"[solve]", "singular", "batch index [1]"}));
  EXPECT_TRUE(throws_with([&] { linalg::inv(a); },
                          {"[inv]", "singular", "batch index [1]"}));
  EXPECT_TRUE(throws_with(
      [&] {
        linalg::inv(zeros({2, 2}, DType::Float64));
      },
      {"[inv]", "singular"}));
}

TEST(LinalgErrors, UnderVmapTheExampleIsNamed) {
  const Tensor singular = batch_with(kSingular, 2);
  const Tensor b = zeros({3, 2}, DType::Float64);
  auto solve = [](const Tensor& x, const Tensor& y) {
    return linalg::solve(x, y);
  };
  EXPECT_TRUE(throws_with([&] { vmap(solve)(singular, b); },
                          {"[solve]", "singular", "batch index [2]"}));
  EXPECT_TRUE(throws_with(
      [&] { vmap([](const Tensor& x) { return linalg::inv(x); })(singular); },
      {"[inv]", "singular", "batch index [2]"}));
  EXPECT_TRUE(throws_with(
      [&] {
        vmap([](const Tensor& x) { return linalg::cholesky(x); })(
            batch_with(kIndefinite, 2));
      },
      {"[cholesky]", "not positive definite", "batch index [2]"}));
  // Examples that are batches themselves: the example first, then the
  // index inside it.
  const Tensor nested = reshape(
      cat({batch_with({2, 1, 1, 2}, -1), batch_with(kIndefinite, 1)}, 0),
      {2, 3, 2, 2});
  EXPECT_TRUE(throws_with(
      [&] {
        vmap([](const Tensor& x) { return linalg::cholesky(x); })(nested);
      },
      {"[cholesky]", "batch index [1, 1]"}));
}

TEST(LinalgInfo, CholeskyExReportsTheFailingMinor) {
  std::vector<double> v = kIndefinite;
  v.insert(v.end(), kNegative.begin(), kNegative.end());
  v.insert(v.end(), {4, 2, 2, 5});
  const Tensor a = f64(v, {3, 2, 2});
  for (bool upper : {false, true}) {
    SCOPED_TRACE(upper ? "upper" : "lower");
    linalg::CholeskyExResult r;
    ASSERT_NO_THROW(r = linalg::cholesky_ex(a, upper));
    EXPECT_EQ(r.info.dtype(), DType::Int32);
    EXPECT_EQ(r.info.shape(), (Shape{3}));
    EXPECT_EQ(ints(r.info), (std::vector<int64_t>{2, 1, 0}));
    // The good matrix is factored: [[4, 2], [2, 5]] = L L^T, L = [[2, 0],
    // [1, 2]].
    const Tensor good = select(r.L, 0, 2);
    EXPECT_TRUE(testing::close(
        good, upper ? f64({2, 1, 0, 2}, {2, 2}) : f64({2, 0, 1, 2}, {2, 2}),
        1e-12, 1e-12));
  }
  // Order 3 of a 3x3 matrix; a single matrix gives a 0-d info.
  const Tensor third = f64({1, 0, 0, 0, 1, 0, 0, 0, -1}, {3, 3});
  const Tensor info = linalg::cholesky_ex(third).info;
  EXPECT_EQ(info.dim(), 0);
  EXPECT_EQ(ints(info), (std::vector<int64_t>{3}));
}

TEST(LinalgInfo, SolveExAndInvExReportSingularity) {
  const Tensor a = batch_with(kSingular, 1);
  const Tensor b = f64({1, 1, 1, 1, 1, 1}, {3, 2, 1});
  linalg::SolveExResult s, i;
  ASSERT_NO_THROW(s = linalg::solve_ex(a, b));
  ASSERT_NO_THROW(i = linalg::inv_ex(a));
  // info is i where U[i-1][i-1] == 0: the second pivot of the singular one.
  for (const linalg::SolveExResult* r : {&s, &i}) {
    EXPECT_EQ(r->info.dtype(), DType::Int32);
    EXPECT_EQ(ints(r->info), (std::vector<int64_t>{0, 2, 0}));
  }
  // The nonsingular ones are solved: [[2, 1], [1, 2]] x = [1, 1] -> 1/3.
  EXPECT_TRUE(testing::close(select(s.result, 0, 0),
                             f64({1.0 / 3, 1.0 / 3}, {2, 1}), 1e-12, 1e-12));
  EXPECT_TRUE(testing::close(
      select(i.result, 0, 2),
      f64({2.0 / 3, -1.0 / 3, -1.0 / 3, 2.0 / 3}, {2, 2}), 1e-12, 1e-12));
  EXPECT_EQ(ints(linalg::inv_ex(eye3()).info), (std::vector<int64_t>{0}));
}

TEST(LinalgInfo, ExVariantsUnderVmap) {
  auto solve_ex = [](const Tensor& x, const Tensor& y) {
    const linalg::SolveExResult r = linalg::solve_ex(x, y);
    return std::vector<Tensor>{r.result, r.info};
  };
  const Tensor b = ones({3, 2}, DType::Float64);
  std::vector<Tensor> out;
  ASSERT_NO_THROW(out = vmap(solve_ex)(batch_with(kSingular, 2), b));
  EXPECT_EQ(ints(out.at(1)), (std::vector<int64_t>{0, 0, 2}));
  ASSERT_NO_THROW(out = vmap([](const Tensor& x) {
                    return std::vector<Tensor>{linalg::inv_ex(x).info};
                  })(batch_with(kSingular, 2)));
  EXPECT_EQ(ints(out.at(0)), (std::vector<int64_t>{0, 0, 2}));
  ASSERT_NO_THROW(out = vmap([](const Tensor& x) {
                    return std::vector<Tensor>{linalg::cholesky_ex(x).info};
                  })(batch_with(kIndefinite, 2)));
  EXPECT_EQ(ints(out.at(0)), (std::vector<int64_t>{0, 0, 2}));
}

TEST(LinalgErrors, MatrixNormOrd) {
  EXPECT_TRUE(throws_with(
      [&] { linalg::matrix_norm(eye3(), "inf"); },
      {"[matrix_norm]", "unknown ord", "\"inf\"", "\"fro\"", "\"nuc\""}));
  EXPECT_TRUE(throws_with(
      [&] {
        linalg::matrix_norm(zeros({0, 3}, DType::Float64), "2");
      },
      {"[matrix_norm]", "empty", "[0, 3]"}));
}

// The op database cannot hold NaN inputs (its suites compare inputs with
// ==), so the finiteness tests meet NaN here.
TEST(LinalgHelpers, FinitenessTestsOnNaN) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = f64({0, inf, -inf, nan, 1.5});
  EXPECT_EQ(ints(isfinite(x)), (std::vector<int64_t>{1, 0, 0, 0, 1}));
  EXPECT_EQ(ints(isnan(x)), (std::vector<int64_t>{0, 0, 0, 1, 0}));
  EXPECT_EQ(ints(isinf(x)), (std::vector<int64_t>{0, 1, 1, 0, 0}));
  EXPECT_EQ(isnan(x).dtype(), DType::Bool);
}

}  // namespace
}  // namespace fnx
