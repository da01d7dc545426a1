// The MPI transport as a plugin (libfnx_dist.so): this program links the
// dist library without MPI. Under mpirun, dist::init() says the transport
// is missing until the plugin is loaded; then the world is MPI's and the
// collectives work. As one process the world is a single process either
// way. Runs as one process and as two ranks (plugin_load_2ranks_test).
#include <string>

#include "core/ops/ops.h"
#include "core/plugin.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/distributed/dist.h"

namespace fnx {
namespace {

constexpr char kPlugin[] = "transforms/distributed/libfnx_dist.so";

TEST(DistPlugin, LoadedTransportRunsTheWorld) {
  if (dist::launched_by_mpirun()) {
    EXPECT_TRUE(testing::throws_with(
        [] { dist::init(); }, {"[dist::init]", "MPI backend is not linked"}));
  }
  const absl::Status loaded = load_plugin(kPlugin);
  ASSERT_TRUE(loaded.ok()) << loaded.ToString();
  dist::init();
  const int n = dist::launched_by_mpirun() ? 2 : 1;
  EXPECT_EQ(dist::size(), n);
  const Tensor mine =
      full({3}, static_cast<double>(dist::rank() + 1), DType::Float64);
  const Tensor total = dist::all_reduce(mine);
  EXPECT_TRUE(equal(total, full({3}, n * (n + 1) / 2.0, DType::Float64)));
  if (dist::launched_by_mpirun()) {
    EXPECT_NE(dist::world()->describe().find("MPI world"), std::string::npos);
  }
}

}  // namespace
}  // namespace fnx
