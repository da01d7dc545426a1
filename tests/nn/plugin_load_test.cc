// libfnx_nn.so is an fnx plugin: fnx::load_plugin loads it into a program
// that links the core only (its nn code resolves the core from the
// program), and it is listed among the registry's plugins.
#include <dlfcn.h>

#include <string>

#include "core/plugin.h"
#include "core/registry.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

const std::string kPath = "nn/libfnx_nn.so";

TEST(NnPlugin, LoadsAndIsListed) {
  const absl::Status status = load_plugin(kPath);
  ASSERT_TRUE(status.ok()) << status.ToString();
  bool listed = false;
  for (const PluginRecord& p : Registry::get().plugins()) {
    if (p.name != "nn") continue;
    listed = true;
    EXPECT_EQ(p.path, kPath);
    EXPECT_EQ(p.entries, 0) << "nn registers no kernels, rules or transforms";
  }
  EXPECT_TRUE(listed);

  void* handle = dlopen(kPath.c_str(), RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(handle, nullptr);
  using NameFn = const char* (*)();
  auto name = reinterpret_cast<NameFn>(dlsym(handle, "fnx_plugin_name"));
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(std::string(name()), "nn");
  dlclose(handle);

  // Loading it again is a no-op.
  EXPECT_TRUE(load_plugin(kPath).ok());
  int count = 0;
  for (const PluginRecord& p : Registry::get().plugins()) {
    count += p.name == "nn" ? 1 : 0;
  }
  EXPECT_EQ(count, 1);
}

}  // namespace
}  // namespace fnx
