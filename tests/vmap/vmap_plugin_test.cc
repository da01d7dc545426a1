// vmap as a shared object: this binary links the core and the CPU backend
// (exported with -rdynamic) but not //transforms/vmap. Calling vmap before
// libfnx_vmap.so is loaded is a clear error (the collectives are the
// identity then); after loading, vmap and its collectives work and its
// rules live in the program's one registry.
#include <string>

#include "core/ops/ops.h"
#include "core/plugin.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "transforms/vmap/vmap.h"
#include "transforms/vmap/vmap_collectives.h"

namespace fnx {
namespace {

const std::string kPlugin = "transforms/vmap/libfnx_vmap.so";

// Runs in definition order: first without the plugin, then with it.
TEST(VmapPlugin, CallingVmapWithoutThePluginIsAClearError) {
  const Tensor x = rand({10, 100}), y = rand({10, 100});
  try {
    vmap(dot)(x, y);
    FAIL() << "expected fnx::Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "[vmap] the vmap plugin is not linked or loaded; depend on "
                 "//transforms/vmap or load libfnx_vmap.so");
  }
  EXPECT_EQ(Registry::get().transform("vmap"), nullptr);
  // Nothing can be batched without the plugin: the collectives are the
  // identity.
  EXPECT_TRUE(equal(vmap_mean(x), x));
  EXPECT_EQ(Registry::get().transform("vmap_collectives"), nullptr);
}

TEST(VmapPlugin, LoadedPluginRegistersIntoTheProgramsRegistry) {
  const absl::Status status = load_plugin(kPlugin);
  ASSERT_TRUE(status.ok()) << status.message();
  bool recorded = false;
  for (const PluginRecord& p : Registry::get().plugins()) {
    if (p.name == "vmap") {
      recorded = true;
      EXPECT_NE(p.path, "");
      EXPECT_GE(p.entries, kNumPrims + 2);  // a rule per primitive + entries
    }
  }
  EXPECT_TRUE(recorded);
  const int table = Registry::get().table_id("batching");
  for (int i = 0; i < kNumPrims; ++i) {
    EXPECT_NE(Registry::get().rule(table, prim_at(i)), nullptr)
        << prim_name(prim_at(i));
  }
  EXPECT_TRUE(load_plugin(kPlugin).ok());  // loading again is a no-op
}

TEST(VmapPlugin, VmapWorksOnceLoaded) {
  const Tensor x = randn({10, 100}, DType::Float64);
  const Tensor y = randn({10, 100}, DType::Float64);
  const Tensor d = vmap(dot)(x, y);
  EXPECT_TRUE(allclose(d, (x * y).sum({1}), 1e-12, 1e-12));
  const Tensor n = vmap(vmap([](const Tensor& v) { return v * v; }))(x);
  EXPECT_TRUE(allclose(n, x * x));
  EXPECT_TRUE(vmap_fallback_primitives().empty());
  const Tensor r =
      vmap([](const Tensor& v) { return v + randn({100}); }, 0, 0,
           {.randomness = Randomness::different})(zeros({10, 100}));
  EXPECT_FALSE(allclose(r[0], r[1]));
  // The collectives' entry point comes with the plugin.
  EXPECT_NE(Registry::get().transform("vmap_collectives"), nullptr);
  const Tensor m =
      vmap([](const Tensor& v) { return vmap_mean(v); }, 0, none)(x);
  EXPECT_TRUE(allclose(m, x.mean({0}), 1e-12, 1e-12));
}

}  // namespace
}  // namespace fnx
