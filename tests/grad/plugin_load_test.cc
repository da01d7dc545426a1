// The grad plugin as a shared object: this program links the core and the
// CPU backend but not the grad plugin. Before loading, grad is a clear
// error naming the plugin; after fnx::load_plugin("libfnx_grad.so") it
// works, with the rules in the program's one registry.
#include <cmath>
#include <string>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/plugin.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "transforms/grad/grad.h"

namespace fnx {
namespace {

const std::string kPlugin = "transforms/grad/libfnx_grad.so";

Tensor sum_sin(const Tensor& x) { return sin(x).sum(); }

TEST(GradPlugin, MissingThenLoaded) {
  const Tensor x = from_vector({0.1, 0.2}, DType::Float64);
  try {
    grad(sum_sin)(x);
    FAIL() << "grad without the plugin should throw";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "[grad] the grad plugin is not linked or loaded; depend on "
              "//transforms/grad or load libfnx_grad.so");
  }
  EXPECT_THROW(vjp(sum_sin, x), Error);
  // Without the plugin nothing is recorded: the guards do nothing.
  {
    NoGradGuard no_grad;
    EXPECT_TRUE(is_grad_enabled());
  }
  const int table = Registry::get().table_id("vjp");
  EXPECT_EQ(Registry::get().rule(table, Prim::Sin), nullptr);

  ASSERT_TRUE(load_plugin(kPlugin).ok()) << load_plugin(kPlugin).message();
  for (int p = 0; p < kNumPrims; ++p) {
    EXPECT_NE(Registry::get().rule(table, prim_at(p)), nullptr)
        << "no vjp rule for " << prim_name(prim_at(p));
  }
  bool recorded = false;
  for (const PluginRecord& r : Registry::get().plugins()) {
    if (r.name == "grad") {
      recorded = true;
      EXPECT_EQ(r.path, kPlugin);
      // The rules and the entry points "grad" and "grad_leaf_hook".
      EXPECT_EQ(r.entries, kNumPrims + 2);
    }
  }
  EXPECT_TRUE(recorded);

  Tensor g = grad(sum_sin)(x);
  EXPECT_NEAR(g.at<double>({0}), std::cos(0.1), 1e-12);
  EXPECT_NEAR(g.at<double>({1}), std::cos(0.2), 1e-12);
  auto second = grad([](const Tensor& t) { return grad(sum_sin)(t).sum(); });
  EXPECT_NEAR(second(x).at<double>({1}), -std::sin(0.2), 1e-12);
  {
    NoGradGuard no_grad;
    EXPECT_FALSE(is_grad_enabled());
  }
  EXPECT_TRUE(is_grad_enabled());
  // Loading it again is a no-op.
  EXPECT_TRUE(load_plugin(kPlugin).ok());
}

}  // namespace
}  // namespace fnx
