// The jvp plugin as a shared object: before loading, calling jvp is a clear
// error naming the plugin; after fnx::load_plugin, the program's registry
// (the only one) has a JVP rule for every primitive and the transform entry
// point, and jvp and linearize work. This binary links the core, the CPU
// backend and the API headers only.
#include <cmath>
#include <string>
#include <tuple>

#include "core/ops/ops.h"
#include "core/plugin.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "transforms/jvp/jvp.h"

namespace fnx {
namespace {

const std::string kPath = "transforms/jvp/libfnx_jvp.so";

TEST(JvpPlugin, MissingThenLoadedFromTheSharedObject) {
  auto f = [](const Tensor& x) { return sin(x) * x; };
  const Tensor x = from_vector({0.5, 1.0}, DType::Float64);
  const Tensor t = ones({2}, DType::Float64);
  try {
    (void)jvp(f, x, t);
    FAIL() << "jvp worked without the plugin";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "[jvp] the jvp plugin is not linked or loaded; depend on "
              "//transforms/jvp or load libfnx_jvp.so");
  }

  const absl::Status status = load_plugin(kPath);
  ASSERT_TRUE(status.ok()) << status.message();
  bool recorded = false;
  for (const PluginRecord& p : Registry::get().plugins()) {
    if (p.name == "jvp") {
      recorded = true;
      EXPECT_NE(p.path.find("libfnx_jvp.so"), std::string::npos);
      EXPECT_EQ(p.entries, kNumPrims + 1);  // a rule per primitive + jvp
    }
  }
  EXPECT_TRUE(recorded);
  const int table = Registry::get().table_id("jvp");
  for (int i = 0; i < kNumPrims; ++i) {
    EXPECT_NE(Registry::get().rule(table, prim_at(i)), nullptr)
        << prim_name(prim_at(i));
  }

  auto [y, ty] = jvp(f, x, t);
  EXPECT_NEAR(ty.at<double>({1}), std::sin(1.0) + std::cos(1.0), 1e-14);
  auto [y2, jvp_fn] = linearize(f, x);
  EXPECT_NEAR(jvp_fn(t).at<double>({0}), std::sin(0.5) + 0.5 * std::cos(0.5),
              1e-14);
  // Loading the same path again is a no-op.
  EXPECT_TRUE(load_plugin(kPath).ok());
}

}  // namespace
}  // namespace fnx
