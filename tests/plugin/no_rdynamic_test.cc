// A program linked without -rdynamic cannot lend its core to a plugin: the
// loader says to link with -rdynamic instead of only quoting dlerror().
#include <string>

#include "core/plugin.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

TEST(NoRdynamic, LoadingAPluginSaysToLinkWithRdynamic) {
  const absl::Status s = load_plugin("transforms/vmap/libfnx_vmap.so");
  ASSERT_FALSE(s.ok());
  const std::string m(s.message());
  EXPECT_NE(m.find("undefined symbol"), std::string::npos) << m;
  EXPECT_NE(m.find("link it with -rdynamic"), std::string::npos) << m;
}

}  // namespace
}  // namespace fnx
