// A program that links //transforms/vmap statically cannot load
// libfnx_vmap.so as well: the load is refused and registers nothing.
#include <string>

#include "core/ops/ops.h"
#include "core/plugin.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

TEST(VmapPlugin, LoadingTheSharedObjectNextToTheStaticPluginIsRefused) {
  const void* before = Registry::get().transform("vmap");
  ASSERT_NE(before, nullptr);
  const absl::Status status = load_plugin("transforms/vmap/libfnx_vmap.so");
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(std::string(status.message()).find("batching rule for"),
            std::string::npos)
      << status.message();
  EXPECT_EQ(Registry::get().transform("vmap"), before);
  const Tensor x = rand({3, 4});
  EXPECT_TRUE(
      allclose(vmap([](const Tensor& v) { return v * 2.0; })(x), x * 2.0));
}

}  // namespace
}  // namespace fnx
