// The op database under forward mode: for every differentiable entry
// (primitive or composite) and every float64 sample,
//  - the JVP against central finite differences along random tangents
//    (samples at non-differentiable points or ties skipped);
//  - linearize's replay against jvp (every sample);
//  - JVP/VJP agreement <u, J v> == <J^T u, v> (every sample, ties and kinks
//    included: both transforms follow the same conventions there).
#include <cmath>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/opinfo/differentiation.h"
#include "tests/opinfo/opinfo.h"
#include "transforms/grad/grad.h"
#include "transforms/jvp/jvp.h"

namespace fnx::opinfo {
namespace {

constexpr double kEps = 1e-6;

class OpJvp : public ::testing::TestWithParam<std::string> {};

TEST_P(OpJvp, MatchesFiniteDifferences) {
  const OpInfo& info = entry(GetParam());
  int checked = 0;
  for_each_sample(info, [&](DType dtype, size_t i, const SampleInput& s) {
    if (dtype != DType::Float64) return;
    const Problem p{&info, &s, diff_inputs(info, s, /*smooth_only=*/true)};
    if (p.args.empty()) return;
    SCOPED_TRACE(sample_id(info, dtype, i) + " " + s.desc);
    const std::vector<Tensor> x = p.primals();
    Generator gen(3000 + i);
    for (int d = 0; d < 3; ++d) {
      const std::vector<Tensor> u = random_like(x, gen);
      auto [y, t] = jvp(p, x, u);
      if (!is_floating(y.dtype())) return;
      ASSERT_EQ(t.shape(), y.shape());
      ASSERT_EQ(t.dtype(), y.dtype());
      // A float32 result loses the step to rounding: a larger step and a
      // looser comparison.
      const bool f32 = y.dtype() == DType::Float32;
      const Tensor fd = central_difference(p, x, u, f32 ? 1e-3 : kEps);
      EXPECT_TRUE(all_close(t, fd, f32 ? 1e-2 : 1e-6))
          << "direction " << d << "\n"
          << describe(s);
    }
    ++checked;
  });
  EXPECT_GT(checked, 0) << "no float64 sample of " << info.name
                        << " was checked";
}

TEST_P(OpJvp, LinearizeReplayMatchesJvp) {
  const OpInfo& info = entry(GetParam());
  for_each_sample(info, [&](DType dtype, size_t i, const SampleInput& s) {
    if (dtype != DType::Float64) return;
    const Problem p{&info, &s, diff_inputs(info, s, /*smooth_only=*/false)};
    if (p.args.empty()) return;
    SCOPED_TRACE(sample_id(info, dtype, i) + " " + s.desc);
    const std::vector<Tensor> x = p.primals();
    auto [y, jvp_fn] = linearize(p, x);
    EXPECT_TRUE(all_close(y, p(x), 0));
    Generator gen(4000 + i);
    for (int d = 0; d < 2; ++d) {
      const std::vector<Tensor> u = random_like(x, gen);
      auto [y2, t] = jvp(p, x, u);
      EXPECT_TRUE(all_close(jvp_fn(u), t, 1e-14)) << "direction " << d;
    }
  });
}

TEST_P(OpJvp, AgreesWithVjp) {
  const OpInfo& info = entry(GetParam());
  for_each_sample(info, [&](DType dtype, size_t i, const SampleInput& s) {
    if (dtype != DType::Float64) return;
    const Problem p{&info, &s, diff_inputs(info, s, /*smooth_only=*/false)};
    if (p.args.empty()) return;
    SCOPED_TRACE(sample_id(info, dtype, i) + " " + s.desc);
    const std::vector<Tensor> x = p.primals();
    Generator gen(5000 + i);
    const std::vector<Tensor> v = random_like(x, gen);
    auto [y, jv] = jvp(p, x, v);
    if (!is_floating(y.dtype())) return;
    const Tensor u = randn(y.shape(), y.dtype(), &gen);
    auto [y2, vjp_fn] = vjp(p, x);
    auto [jtu] = vjp_fn(u);
    const double lhs = host_dot(u, jv), rhs = dot_all(jtu, v);
    if (!std::isfinite(lhs) || !std::isfinite(rhs)) {
      // Only at a point where the derivative itself is infinite.
      EXPECT_TRUE(diff_inputs(info, s, /*smooth_only=*/true).empty())
          << lhs << " vs " << rhs;
      return;
    }
    bool f32 = y.dtype() == DType::Float32;
    for (const Tensor& t : x) f32 |= t.dtype() == DType::Float32;
    const double tol = f32 ? 1e-5 : 1e-10;
    EXPECT_NEAR(lhs, rhs, tol * (1 + std::abs(lhs)))
        << "<u, J v> vs <J^T u, v>\n"
        << describe(s);
  });
}

INSTANTIATE_TEST_SUITE_P(Database, OpJvp,
                         ::testing::ValuesIn(differentiable_entries()),
                         test_name);

}  // namespace
}  // namespace fnx::opinfo
