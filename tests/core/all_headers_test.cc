// Every public header can be included together: the plugins' internal
// namespaces (fnx::grad_internal, fnx::jvp_internal, ...) never collide with
// the functions the API headers declare (fnx::grad, fnx::jvp).
#include "fnx.h"
#include "gtest/gtest.h"
#include "transforms/grad/grad_interpreter.h"
#include "transforms/grad/vjp_rule.h"
#include "transforms/jvp/jvp_interpreter.h"
#include "transforms/jvp/jvp_rule.h"

namespace fnx {
namespace {

TEST(AllHeaders, GradAndJvpNameTheFunctions) {
  const Tensor x = scalar_tensor(2.0, DType::Float64);
  EXPECT_EQ(grad([](const Tensor& v) { return v * v; })(x).item<double>(), 4.0);
  auto [y, t] = jvp([](const Tensor& v) { return v * v; }, x, x);
  EXPECT_EQ(t.item<double>(), 8.0);
}

}  // namespace
}  // namespace fnx
