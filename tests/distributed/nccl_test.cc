// NCCL groups: collectives on CUDA tensors equal the same collectives on
// the CPU over the bootstrap group. Built with --config=cuda; skips
// without a GPU per rank (and in builds without CUDA). Runs as one
// process (one GPU) and as two ranks (nccl_2ranks_test, two GPUs).
#include "transforms/distributed/nccl.h"

#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/distributed/dist.h"
#include "transforms/grad/grad.h"
#ifdef FNX_HAVE_CUDA
#include "backends/cuda/cuda.h"
#endif

namespace fnx {
namespace {

using testing::close;

TEST(Nccl, CollectivesOnTheGpuMatchTheCpu) {
#ifndef FNX_HAVE_CUDA
  EXPECT_TRUE(testing::throws_with(
      [] { dist::nccl_group(dist::world(), Device::cuda(0)); },
      "built without CUDA"));
  GTEST_SKIP() << "built without --config=cuda";
#else
  if (!cuda::is_available() || cuda::device_count() < dist::size()) {
    GTEST_SKIP() << "needs one GPU per rank";
  }
  const Device gpu = Device::cuda(dist::rank());
  const dist::Group cpu_group = dist::world();
  const dist::Group gpu_group = dist::nccl_group(cpu_group, gpu);
  EXPECT_EQ(gpu_group->rank(), dist::rank());
  EXPECT_EQ(gpu_group->size(), dist::size());
  Generator gen(1 + dist::rank());
  const Tensor x = randn({4, 6}, DType::Float64, &gen);
  const Tensor xg = x.to(gpu);
  auto on_cpu = [](const Tensor& t) { return t.to(Device::cpu()); };
  EXPECT_TRUE(close(on_cpu(dist::all_reduce(xg, gpu_group)),
                    dist::all_reduce(x, cpu_group), 1e-12, 1e-12));
  EXPECT_TRUE(close(on_cpu(dist::all_reduce(xg, gpu_group, ReduceOp::Max)),
                    dist::all_reduce(x, cpu_group, ReduceOp::Max), 0, 0));
  EXPECT_TRUE(close(on_cpu(dist::all_gather(xg, gpu_group, 1)),
                    dist::all_gather(x, cpu_group, 1), 0, 0));
  EXPECT_TRUE(close(on_cpu(dist::reduce_scatter(xg, gpu_group, 0)),
                    dist::reduce_scatter(x, cpu_group, 0), 1e-12, 1e-12));
  EXPECT_TRUE(close(on_cpu(dist::broadcast(xg, gpu_group, 0)),
                    dist::broadcast(x, cpu_group, 0), 0, 0));
  EXPECT_TRUE(close(on_cpu(dist::shift(xg, gpu_group, 1)),
                    dist::shift(x, cpu_group, 1), 0, 0));
  // A gradient through the GPU collective.
  const Tensor g = grad([&](const Tensor& t) {
    return sin(dist::all_reduce(t, gpu_group)).sum();
  })(xg);
  const Tensor expected = grad([&](const Tensor& t) {
    return sin(dist::all_reduce(t, cpu_group)).sum();
  })(x);
  EXPECT_TRUE(close(on_cpu(g), expected, 1e-12, 1e-12));
#endif
}

}  // namespace
}  // namespace fnx
