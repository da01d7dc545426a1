// The custom plugin as a shared object: this program links the core, the
// CPU backend and the grad and jvp plugins but not the custom plugin.
// custom_function works with the core alone; checkpoint is a clear error
// naming the plugin until libfnx_custom.so is loaded, then it works.
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/plugin.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "transforms/custom/checkpoint.h"
#include "transforms/custom/custom.h"
#include "transforms/grad/grad.h"

namespace fnx {
namespace {

const std::string kPlugin = "transforms/custom/libfnx_custom.so";

TEST(CustomPlugin, CustomFunctionNeedsNoPlugin) {
  auto twice =
      custom_function([](const Tensor& x) { return x * 2.0; },
                      {.vjp = {.bwd = [](const TensorList&, const Tensor& g) {
                         return TensorList{g * 5.0};
                       }}});
  const Tensor x = from_vector({1.0, 2.0}, DType::Float64);
  const Tensor g = grad([&](const Tensor& x) { return twice(x).sum(); })(x);
  EXPECT_EQ(g.to_vector(), (std::vector<double>{5, 5}));
}

TEST(CustomPlugin, CheckpointMissingThenLoaded) {
  auto f = checkpoint([](const Tensor& x) { return sin(x); });
  const Tensor x = from_vector({0.1, 0.2}, DType::Float64);
  try {
    f(x);
    FAIL() << "checkpoint without the plugin should throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("libfnx_custom.so"), std::string::npos)
        << e.what();
  }
  const absl::Status status = load_plugin(kPlugin);
  ASSERT_TRUE(status.ok()) << status.message();
  const Tensor g = grad([&](const Tensor& x) { return f(x).sum(); })(x);
  EXPECT_NEAR(g.to_vector()[1], std::cos(0.2), 1e-15);
  bool found = false;
  for (const PluginRecord& p : Registry::get().plugins()) {
    if (p.name == "custom") {
      found = true;
      EXPECT_NE(p.path.find("libfnx_custom.so"), std::string::npos);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace fnx
