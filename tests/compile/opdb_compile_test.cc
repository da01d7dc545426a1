// compile over the op database: on every float64 sample of every
// differentiable entry, compile(f) equals f, and vmap(compile(f)),
// grad(compile(phi)), jvp(compile(f)) and compile(vmap(grad(phi))) equal
// the uncompiled compositions. Each is called twice: the first call traces
// under the transform's levels, the second runs the compiled call and its
// compiled rule.
#include <string>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/opinfo/differentiation.h"
#include "tests/opinfo/opinfo.h"
#include "transforms/compile/compile.h"
#include "transforms/grad/grad.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

using Leaves = std::vector<Tensor>;

void expect_all_close(const Leaves& got, const Leaves& want, double tol,
                      const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (!want[i].defined()) continue;
    EXPECT_TRUE(opinfo::all_close(got[i], want[i], tol))
        << what << " leaf " << i;
  }
}

// Entries whose samples branch or stop on a value they read with item()
// (an unbatched predicate): tracing them is the documented error.
bool reads_values(const std::string& name) {
  return name == "control.cond" || name == "control.while_loop";
}

class OpdbCompile : public ::testing::TestWithParam<std::string> {};

TEST_P(OpdbCompile, EqualsUncompiled) {
  const opinfo::OpInfo& info = opinfo::entry(GetParam());
  opinfo::for_each_sample(info, [&](DType dtype, size_t i,
                                    const opinfo::SampleInput& s) {
    if (dtype != DType::Float64) return;
    const std::vector<int> args = opinfo::diff_inputs(info, s, false);
    if (args.empty()) return;
    const opinfo::Problem p{&info, &s, args};
    const Leaves x = p.primals();
    const Tensor y = p(x);
    if (!is_floating(y.dtype())) return;
    SCOPED_TRACE(opinfo::sample_id(info, dtype, i) + " " + s.desc);
    Generator gen(7000 + i);
    const Tensor w = randn(y.shape(), y.dtype(), &gen);
    auto f = [&p](const Leaves& v) { return p(v); };
    auto phi = [&p, &w](const Leaves& v) { return (p(v) * w).sum(); };
    constexpr double kTol = 1e-10;
    auto cf = compile(f);
    auto cphi = compile(phi);
    if (reads_values(info.name)) {
      try {
        cf(x);
        ADD_FAILURE() << "tracing " << info.name << " did not refuse";
      } catch (const Error& e) {
        EXPECT_NE(
            std::string(e.what()).find("cannot read a value while tracing"),
            std::string::npos)
            << e.what();
      }
      return;
    }
    for (int call = 0; call < 2; ++call) {
      EXPECT_TRUE(opinfo::all_close(cf(x), y, kTol)) << "compile(f)";
      expect_all_close(grad(cphi)(x), grad(phi)(x), kTol, "grad(compile(phi))");
      Leaves t;
      for (const Tensor& leaf : x)
        t.push_back(randn(leaf.shape(), leaf.dtype(), &gen));
      auto [cy, cty] = jvp(cf, x, t);
      auto [ey, ety] = jvp(f, x, t);
      EXPECT_TRUE(opinfo::all_close(cy, ey, kTol)) << "jvp(compile(f)) out";
      EXPECT_TRUE(opinfo::all_close(cty, ety, kTol)) << "jvp(compile(f))";
      Leaves xs;
      for (const Tensor& leaf : x) {
        xs.push_back(stack(
            {leaf, leaf + 0.01 * randn(leaf.shape(), leaf.dtype(), &gen)}, 0));
      }
      EXPECT_TRUE(opinfo::all_close(vmap(cf)(xs), vmap(f)(xs), kTol))
          << "vmap(compile(f))";
      auto per_example = [&phi](const Leaves& v) { return vmap(grad(phi))(v); };
      expect_all_close(compile(per_example)(xs), per_example(xs), kTol,
                       "compile(vmap(grad(phi)))");
    }
  });
}

std::string param_name(const ::testing::TestParamInfo<std::string>& p) {
  std::string s = p.param;
  for (char& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(Database, OpdbCompile,
                         ::testing::ValuesIn(opinfo::differentiable_entries()),
                         param_name);

}  // namespace
}  // namespace fnx
