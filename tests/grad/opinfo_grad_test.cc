// The op database under grad: for every differentiable entry (primitive or
// composite) and every float64 sample, the VJP against central finite
// differences, and the second order (the gradient of <w, VJP>) against
// finite differences of the first. Samples tagged nondiff-point or ties
// are skipped (the derivative there is a convention).
#include <cmath>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/opinfo/differentiation.h"
#include "tests/opinfo/opinfo.h"
#include "transforms/grad/grad.h"

namespace fnx::opinfo {
namespace {

constexpr double kEps = 1e-6;
// Checked element by element up to this many differentiated elements,
// along random directions beyond.
constexpr int64_t kMaxElementwise1 = 96;
constexpr int64_t kMaxElementwise2 = 32;

// Unit directions (one per element) when there are few elements, else
// `random` random ones.
std::vector<std::vector<Tensor>> directions(const std::vector<Tensor>& x,
                                            int64_t max_elementwise, int random,
                                            Generator& gen) {
  int64_t total = 0;
  for (const Tensor& t : x) total += t.numel();
  std::vector<std::vector<Tensor>> dirs;
  if (total <= max_elementwise) {
    for (std::size_t k = 0; k < x.size(); ++k) {
      for (int64_t j = 0; j < x[k].numel(); ++j) {
        std::vector<Tensor> u;
        for (std::size_t m = 0; m < x.size(); ++m) {
          std::vector<double> e(static_cast<std::size_t>(x[m].numel()), 0.0);
          if (m == k) e[static_cast<std::size_t>(j)] = 1.0;
          u.push_back(from_vector(e, x[m].shape(), DType::Float64));
        }
        dirs.push_back(std::move(u));
      }
    }
    return dirs;
  }
  for (int r = 0; r < random; ++r) {
    std::vector<Tensor> u;
    for (const Tensor& t : x)
      u.push_back(randn(t.shape(), DType::Float64, &gen));
    dirs.push_back(std::move(u));
  }
  return dirs;
}

// Central differences of phi along each direction vs <analytic, u>.
// A float32 result (cast to float32) is differenced with a larger step and
// compared more loosely.
template <typename Phi>
::testing::AssertionResult matches_fd(
    const Phi& phi, const std::vector<Tensor>& x,
    const std::vector<Tensor>& analytic,
    const std::vector<std::vector<Tensor>>& dirs, double tol,
    bool float32_result = false) {
  const double eps = float32_result ? 1e-3 : kEps;
  if (float32_result) tol = 1e-2;
  for (std::size_t d = 0; d < dirs.size(); ++d) {
    const double fd =
        (phi(moved(x, dirs[d], eps)) - phi(moved(x, dirs[d], -eps))) /
        (2 * eps);
    const double an = dot_all(analytic, dirs[d]);
    if (!(std::abs(fd - an) <= tol * (1 + std::abs(fd)))) {
      return ::testing::AssertionFailure()
             << "direction " << d << ": finite differences " << fd
             << ", analytic " << an;
    }
  }
  return ::testing::AssertionSuccess();
}

class OpGrad : public ::testing::TestWithParam<std::string> {};

TEST_P(OpGrad, FirstOrderMatchesFiniteDifferences) {
  const OpInfo& info = entry(GetParam());
  int checked = 0;
  for_each_sample(info, [&](DType dtype, size_t i, const SampleInput& s) {
    if (dtype != DType::Float64) return;
    const Problem p{&info, &s, diff_inputs(info, s, /*smooth_only=*/true)};
    if (p.args.empty()) return;
    SCOPED_TRACE(sample_id(info, dtype, i) + " " + s.desc);
    const std::vector<Tensor> x = p.primals();
    auto [y, vjp_fn] = vjp(p, x);
    if (!is_floating(y.dtype())) return;
    Generator gen(1000 + i);
    const Tensor v = randn(y.shape(), DType::Float64, &gen);
    auto [g] = vjp_fn(v);
    ASSERT_EQ(g.size(), x.size());
    for (std::size_t k = 0; k < x.size(); ++k) {
      ASSERT_EQ(g[k].shape(), x[k].shape());
      ASSERT_EQ(g[k].dtype(), x[k].dtype());
    }
    auto phi = [&](const std::vector<Tensor>& xs) {
      return host_dot(v, p(xs));
    };
    EXPECT_TRUE(matches_fd(phi, x, g, directions(x, kMaxElementwise1, 6, gen),
                           1e-6, y.dtype() == DType::Float32))
        << describe(s);
    ++checked;
  });
  EXPECT_GT(checked, 0) << "no float64 sample of " << info.name
                        << " was checked";
}

TEST_P(OpGrad, SecondOrderMatchesFiniteDifferencesOfTheFirst) {
  const OpInfo& info = entry(GetParam());
  for_each_sample(info, [&](DType dtype, size_t i, const SampleInput& s) {
    if (dtype != DType::Float64) return;
    const Problem p{&info, &s, diff_inputs(info, s, /*smooth_only=*/true)};
    if (p.args.empty()) return;
    SCOPED_TRACE(sample_id(info, dtype, i) + " " + s.desc);
    const std::vector<Tensor> x = p.primals();
    const Tensor y = p(x);
    if (!is_floating(y.dtype()) || y.numel() == 0) return;
    Generator gen(2000 + i);
    const Tensor v = randn(y.shape(), DType::Float64, &gen);
    std::vector<Tensor> w;
    for (const Tensor& t : x)
      w.push_back(randn(t.shape(), DType::Float64, &gen));
    // h(x) = <w, J(x)^T v>: its gradient is the second derivative.
    auto h = [&](const std::vector<Tensor>& xs) {
      auto [out, fn] = vjp(p, xs);
      auto [g] = fn(v);
      Tensor acc = zeros({}, DType::Float64);
      for (std::size_t k = 0; k < g.size(); ++k)
        acc = acc + (g[k] * w[k]).sum();
      return acc;
    };
    const std::vector<Tensor> hx = grad(h)(x);
    auto phi = [&](const std::vector<Tensor>& xs) {
      return h(xs).item<double>();
    };
    EXPECT_TRUE(matches_fd(phi, x, hx, directions(x, kMaxElementwise2, 4, gen),
                           1e-5, y.dtype() == DType::Float32))
        << describe(s);
  });
}

INSTANTIATE_TEST_SUITE_P(Database, OpGrad,
                         ::testing::ValuesIn(differentiable_entries()),
                         test_name);

}  // namespace
}  // namespace fnx::opinfo
