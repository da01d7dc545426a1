// A program that links only the core (and the thin transform headers): no
// op can run until it loads the CPU backend as a plugin, and then the
// transforms as plugins too; vmap(grad) then runs as in a static build.
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/plugin.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

TEST(CoreOnly, LoadsTheCpuBackendAndTheTransforms) {
  // No backend linked: an op has no kernel.
  EXPECT_THROW(ones({2}) + ones({2}), Error);

  for (const std::string path :
       {"backends/cpu/libfnx_cpu.so", "transforms/vmap/libfnx_vmap.so",
        "transforms/grad/libfnx_grad.so"}) {
    const absl::Status s = load_plugin(path);
    ASSERT_TRUE(s.ok()) << path << ": " << s;
  }
  const Tensor x =
      from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2}, DType::Float64);
  EXPECT_EQ((x * 2.0).to_vector(), (std::vector<double>{2, 4, 6, 8}));
  // Per-example gradients of sum(x^3): 3 x^2.
  const Tensor g =
      vmap(grad([](const Tensor& v) { return pow(v, 3.0).sum(); }))(x);
  EXPECT_EQ(g.to_vector(), (std::vector<double>{3, 12, 27, 48}));
  // The registry says who registered the kernels.
  bool cpu_seen = false;
  for (const auto& p : Registry::get().plugins()) {
    if (p.name == "cpu") cpu_seen = p.entries > 0;
  }
  EXPECT_TRUE(cpu_seen);
}

}  // namespace
}  // namespace fnx
