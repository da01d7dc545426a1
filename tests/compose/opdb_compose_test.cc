// Runs every composition of opdb_compose.h on every float64 sample of every
// differentiable op database entry: one test per (composition, op), e.g.
// Database/Compose.Check/vmap_jvp__softmax.
#include "tests/compose/opdb_compose.h"

#include <string>
#include <tuple>
#include <vector>

#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/opinfo/differentiation.h"
#include "tests/opinfo/opinfo.h"

namespace fnx::compose {
namespace {

using Param = std::tuple<std::string, std::string>;  // composition, op

const Composition& composition(const std::string& name) {
  for (const Composition& c : compositions()) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no composition " + name);
}

std::vector<std::string> composition_names() {
  std::vector<std::string> names;
  for (const Composition& c : compositions()) names.push_back(c.name);
  return names;
}

class Compose : public ::testing::TestWithParam<Param> {};

TEST_P(Compose, Check) {
  const Composition& comp = composition(std::get<0>(GetParam()));
  const opinfo::OpInfo& info = opinfo::entry(std::get<1>(GetParam()));
  int applied = 0, samples = 0;
  opinfo::for_each_sample(
      info, [&](DType dtype, size_t i, const opinfo::SampleInput& s) {
        if (dtype != DType::Float64) return;
        const std::vector<int> args = opinfo::diff_inputs(info, s, false);
        if (args.empty()) return;
        Case c{&info,
               &s,
               opinfo::Problem{&info, &s, args},
               {},
               !opinfo::diff_inputs(info, s, true).empty(),
               6000 + i,
               Tensor()};
        c.x = c.p.primals();
        const Tensor y = c.p(c.x);
        if (!is_floating(y.dtype())) return;
        Generator gen(c.seed + 1);
        c.w = randn(y.shape(), y.dtype(), &gen);
        ++samples;
        SCOPED_TRACE(opinfo::sample_id(info, dtype, i) + " " + s.desc + "\n" +
                     opinfo::describe(s));
        if (comp.check(c)) ++applied;
      });
  if (samples > 0) {
    EXPECT_GT(applied, 0) << comp.name << " (" << comp.what
                          << ") applied to no sample of " << info.name;
  }
}

std::string param_name(const ::testing::TestParamInfo<Param>& p) {
  std::string s = std::get<0>(p.param) + "__" + std::get<1>(p.param);
  for (char& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Database, Compose,
    ::testing::Combine(::testing::ValuesIn(composition_names()),
                       ::testing::ValuesIn(opinfo::differentiable_entries())),
    param_name);

}  // namespace
}  // namespace fnx::compose
