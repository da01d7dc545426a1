// Graph files and devices, in a program with the CPU backend only: a graph
// recorded on cuda:0 loads with an error naming the device (no CUDA
// backend here), and runs on the CPU through load_graph(path, device);
// unknown devices are refused; a graph spanning devices cannot be placed
// as a whole. (Loading onto a CUDA device: tests/cuda/export_cuda_test.cc.)
#include <cstdlib>
#include <string>

#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "transforms/compile/compile.h"
#include "transforms/compile/export.h"
#include "transforms/compile/graph.pb.h"
#include "transforms/grad/grad.h"

namespace fnx {
namespace {

std::string temp_file(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

// exp(x) * 2 + x, as traced on the CPU (unfused: a fused group's
// registers would be written with the CPU as their device), then every
// device set to `device`.
Graph graph_on(Device device) {
  auto f = [](const Tensor& x) { return exp(x) * 2.0 + x; };
  Graph g = *make_graph(f, {.fuse = false})(randn({3, 4}));
  for (Graph::Value& v : g.values) v.device = device;
  return g;
}

TEST(ExportDevice, AGraphOnCudaNamesTheDeviceWhereItCannotRun) {
  const std::string path = temp_file("on_cuda.fnxgraph");
  ASSERT_TRUE(save_graph(graph_on(Device::cuda()), path).ok());
  absl::StatusOr<LoadedGraph> loaded = load_graph(path);
  ASSERT_FALSE(loaded.ok());
  const std::string message(loaded.status().message());
  EXPECT_NE(message.find("[compile.load] the graph runs on cuda:0, which "
                         "cannot be used here"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("load_graph(path, Device::cpu())"), std::string::npos)
      << message;
  // Placed on the CPU it runs, constants included, and transforms.
  absl::StatusOr<LoadedGraph> cpu = load_graph(path, Device::cpu());
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  const Tensor x = randn({3, 4});
  const Tensor y = (*cpu)({x})[0];
  EXPECT_TRUE(allclose(y, exp(x) * 2.0 + x));
  EXPECT_EQ(y.device(), Device::cpu());
  const Tensor g =
      grad([&](const Tensor& t) { return (*cpu)({t})[0].sum(); })(x);
  EXPECT_TRUE(allclose(g, exp(x) * 2.0 + 1.0));
}

TEST(ExportDevice, UnknownDevicesAndSpanningGraphsAreRefused) {
  absl::StatusOr<std::string> bytes = serialize_graph(graph_on(Device::cpu()));
  ASSERT_TRUE(bytes.ok());
  graph_file::proto::Graph proto;
  ASSERT_TRUE(proto.ParseFromString(*bytes));
  proto.mutable_values(0)->set_device("tpu:0");
  absl::StatusOr<std::shared_ptr<const Graph>> parsed =
      parse_graph(proto.SerializeAsString());
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(
      parsed.status().message().find("value 0 is on unknown device \"tpu:0\""),
      std::string::npos)
      << parsed.status();
  Graph spanning = graph_on(Device::cpu());
  spanning.values.back().device = Device::cuda(1);
  absl::StatusOr<std::shared_ptr<const Graph>> placed =
      place_graph(spanning, Device::cpu());
  ASSERT_FALSE(placed.ok());
  EXPECT_NE(
      placed.status().message().find("the graph spans devices cpu and cuda:1"),
      std::string::npos)
      << placed.status();
}

}  // namespace
}  // namespace fnx
