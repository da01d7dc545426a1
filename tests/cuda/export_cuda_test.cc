// Graph files on a CUDA device (transforms/compile/export.h): a graph
// traced on the CPU loads onto the device (load_graph(path, device)), one
// traced on the device with a captured device constant loads back where it
// was (the recorded device), or onto the CPU; results equal the function's
// on each device, and the loaded graphs stay differentiable.
#include <cstdlib>
#include <string>

#include "core/ops/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "transforms/compile/compile.h"
#include "transforms/compile/export.h"
#include "transforms/grad/grad.h"

namespace fnx {
namespace {

using cuda_test::close;
using cuda_test::device;

std::string temp_file(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TEST(CudaExport, ACpuGraphLoadsOntoTheDevice) {
  FNX_SKIP_WITHOUT_CUDA();
  const Tensor w = randn({4, 5});
  auto f = [&](const Tensor& x) { return tanh(matmul(x, w)) * 0.5 + 1.0; };
  const Tensor x = randn({3, 4});
  const std::string path = temp_file("cpu_graph.fnxgraph");
  ASSERT_TRUE(save_graph(*make_graph(f)(x), path).ok());
  absl::StatusOr<LoadedGraph> g = load_graph(path, device());
  ASSERT_TRUE(g.ok()) << g.status();
  for (const Graph::Value& v : g->graph().values) EXPECT_EQ(v.device, device());
  const Tensor xd = x.to(device());
  const Tensor y = (*g)({xd})[0];
  EXPECT_EQ(y.device(), device());
  EXPECT_TRUE(close(y, f(x), 1e-5, 1e-5));
  const Tensor gx =
      grad([&](const Tensor& t) { return (*g)({t})[0].sum(); })(xd);
  const Tensor want = grad([&](const Tensor& t) { return f(t).sum(); })(x);
  EXPECT_EQ(gx.device(), device());
  EXPECT_TRUE(close(gx, want, 1e-5, 1e-5));
}

TEST(CudaExport, ADeviceGraphLoadsWhereItWasOrOntoTheCpu) {
  FNX_SKIP_WITHOUT_CUDA();
  const Tensor w = randn({5});
  const Tensor wd = w.to(device());
  auto f = [](const Tensor& x, const Tensor& c) {
    return where(x > 0.0, exp(x) * c, x * c);
  };
  const Tensor x = randn({2, 5});
  const Tensor xd = x.to(device());
  // Traced on the device, the captured wd is a device constant.
  auto graph = make_graph([&](const Tensor& t) { return f(t, wd); })(xd);
  const std::string path = temp_file("device_graph.fnxgraph");
  ASSERT_TRUE(save_graph(*graph, path).ok());
  absl::StatusOr<LoadedGraph> on_device = load_graph(path);
  ASSERT_TRUE(on_device.ok()) << on_device.status();
  for (const Graph::Constant& c : on_device->graph().constants) {
    EXPECT_EQ(c.tensor.device(), device());
  }
  const Tensor y = (*on_device)({xd})[0];
  EXPECT_EQ(y.device(), device());
  EXPECT_TRUE(close(y, f(x, w), 1e-6, 1e-6));
  absl::StatusOr<LoadedGraph> on_cpu = load_graph(path, Device::cpu());
  ASSERT_TRUE(on_cpu.ok()) << on_cpu.status();
  const Tensor yc = (*on_cpu)({x})[0];
  EXPECT_EQ(yc.device(), Device::cpu());
  EXPECT_TRUE(close(yc, f(x, w), 1e-6, 1e-6));
}

}  // namespace
}  // namespace fnx
