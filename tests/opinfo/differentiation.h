// What the differentiation suites (grad, jvp, compose) share over the op
// database: which inputs of a sample are differentiated, the op as a
// function of those inputs only, random directions and host-side arithmetic
// for finite differences.
#pragma once

#include <string>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "gtest/gtest.h"
#include "tests/opinfo/opinfo.h"

namespace fnx::opinfo {

// The differentiated inputs of a sample: its listed floating diff_args, or
// empty when the suites skip it (not differentiable, an integer operand
// listed, or with `smooth_only` a sample at a non-differentiable point:
// tagged nondiff-point or ties, or one of the untagged cases checked here).
std::vector<int> diff_inputs(const OpInfo& info, const SampleInput& s,
                             bool smooth_only);

// The op as a function of the differentiated inputs only.
struct Problem {
  const OpInfo* info;
  const SampleInput* sample;
  std::vector<int> args;

  Tensor operator()(const std::vector<Tensor>& x) const;
  std::vector<Tensor> primals() const;
};

// Random tangents shaped like x, each in its leaf's dtype.
std::vector<Tensor> random_like(const std::vector<Tensor>& x, Generator& gen);
// x + t * u, as fresh contiguous float64 tensors.
std::vector<Tensor> moved(const std::vector<Tensor>& x,
                          const std::vector<Tensor>& u, double t);
// Central differences of p along u, as a float64 tensor of the output's
// shape.
Tensor central_difference(const Problem& p, const std::vector<Tensor>& x,
                          const std::vector<Tensor>& u, double eps);
double host_dot(const Tensor& a, const Tensor& b);
double dot_all(const std::vector<Tensor>& a, const std::vector<Tensor>& b);
// Every value within tol * (1 + |expected|) (NaN must meet NaN).
::testing::AssertionResult all_close(const Tensor& got, const Tensor& expected,
                                     double tol);

// Names of the database entries the gradient suites check, and a gtest
// parameter name for each.
std::vector<std::string> differentiable_entries();
std::string test_name(const ::testing::TestParamInfo<std::string>& p);
const OpInfo& entry(const std::string& name);
std::string describe(const SampleInput& s);

}  // namespace fnx::opinfo
