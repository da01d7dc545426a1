// A program that does not link the control plugin loads libfnx_control.so
// at run time and branches per example under vmap.
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/plugin.h"
#include "gtest/gtest.h"
#include "transforms/control/control.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

const std::string kPlugin = "transforms/control/libfnx_control.so";

TEST(ControlPlugin, LoadsAtRunTime) {
  auto branch = [](const Tensor& x) {
    return cond(
        x > 0.0, [](const Tensor& v) { return v * v; },
        [](const Tensor& v) { return -v; }, x);
  };
  try {
    branch(scalar_tensor(1.0));
    FAIL() << "cond without the plugin should throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("libfnx_control.so"),
              std::string::npos)
        << e.what();
  }
  const absl::Status s = load_plugin(kPlugin);
  ASSERT_TRUE(s.ok()) << s;
  const Tensor xs = from_vector(std::vector<double>{2.0, -3.0, 0.5}, Shape{3});
  EXPECT_EQ(vmap(branch)(xs).to_vector(),
            (std::vector<double>{4.0, 3.0, 0.25}));
  EXPECT_EQ(vmap(grad(branch))(xs).to_vector(),
            (std::vector<double>{4.0, -1.0, 1.0}));
}

}  // namespace
}  // namespace fnx
