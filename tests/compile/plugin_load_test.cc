// A program that does not link the compile plugin loads libfnx_compile.so
// at run time, compiles a function and takes its gradient per example.
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/plugin.h"
#include "gtest/gtest.h"
#include "transforms/compile/compile.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

const std::string kPlugin = "transforms/compile/libfnx_compile.so";

Tensor cube(const Tensor& x) { return (x * x * x).sum(); }

TEST(CompilePlugin, LoadsAtRunTime) {
  try {
    compile(cube);
    FAIL() << "compile without the plugin should throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("libfnx_compile.so"),
              std::string::npos)
        << e.what();
  }
  const absl::Status s = load_plugin(kPlugin);
  ASSERT_TRUE(s.ok()) << s;
  auto f = compile(cube);
  const Tensor xs =
      from_vector(std::vector<double>{1.0, -2.0, 3.0}, Shape{3, 1});
  for (int call = 0; call < 3; ++call) {
    EXPECT_EQ(vmap(grad(f))(xs).to_vector(),
              (std::vector<double>{3.0, 12.0, 27.0}));
  }
  EXPECT_EQ(f.trace_count(), 1);
  EXPECT_NE(make_graph(cube)(xs)->to_string().find("sum"), std::string::npos);
}

}  // namespace
}  // namespace fnx
