// functionalize as a shared object: this binary links the core and the CPU
// backend (exported with -rdynamic) but not //transforms/functionalize.
// Calling functionalize before libfnx_functionalize.so is loaded is a clear
// error; after loading it works, and its rule table is full.
#include <string>

#include "core/ops/ops.h"
#include "core/plugin.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "transforms/functionalize/functionalize.h"

namespace fnx {
namespace {

const std::string kPlugin = "transforms/functionalize/libfnx_functionalize.so";

Tensor scale_in_place(Tensor x) {
  x.mul_(2.0);
  return x;
}

// Runs in definition order: first without the plugin, then with it.
TEST(FunctionalizePlugin, CallingItWithoutThePluginIsAClearError) {
  const Tensor x = ones({3});
  try {
    functionalize(scale_in_place)(x);
    FAIL() << "expected fnx::Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "[functionalize] the functionalize plugin is not linked or "
                 "loaded; depend on //transforms/functionalize or load "
                 "libfnx_functionalize.so");
  }
}

TEST(FunctionalizePlugin, LoadedPluginFillsItsRuleTable) {
  const absl::Status status = load_plugin(kPlugin);
  ASSERT_TRUE(status.ok()) << status.message();
  const int table = Registry::get().table_id("functionalize");
  for (int i = 0; i < kNumPrims; ++i) {
    EXPECT_NE(Registry::get().rule(table, prim_at(i)), nullptr)
        << prim_name(prim_at(i));
  }
  EXPECT_NE(Registry::get().transform("functionalize"), nullptr);
}

TEST(FunctionalizePlugin, WorksOnceLoaded) {
  Tensor x = from_vector({1.0, 2.0, 3.0}, DType::Float64);
  const Tensor y = functionalize(scale_in_place)(x);
  EXPECT_EQ(y.to_vector(), (std::vector<double>{2, 4, 6}));
  EXPECT_EQ(x.to_vector(), (std::vector<double>{2, 4, 6}));  // written back
}

}  // namespace
}  // namespace fnx
