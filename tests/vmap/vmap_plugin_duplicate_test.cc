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
  // The first duplicate found is named (which one depends on the order the
  // plugin's files register in).
  const std::string message(status.message());
  EXPECT_NE(message.find("would register something twice"), std::string::npos)
      << message;
  EXPECT_NE(message.find("already registered by plugin 'vmap'"),
            std::string::npos)
      << message;
  EXPECT_EQ(Registry::get().transform("vmap"), before);
  const Tensor x = rand({3, 4});
  EXPECT_TRUE(
      allclose(vmap([](const Tensor& v) { return v * 2.0; })(x), x * 2.0));
}

}  // namespace
}  // namespace fnx
