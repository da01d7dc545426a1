// A plugin replaces the CPU backend's Neg kernel: once loaded, neg runs the
// plugin's kernel (its call counter moves, results stay right, under
// transforms too) and the registry reports the replacement.
#include <dlfcn.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/ops/ops.h"
#include "core/plugin.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "transforms/grad/grad.h"

namespace fnx {
namespace {

const char* kPlugin = "tests/plugin/libswap_kernel_plugin.so";

TEST(SwapKernel, PluginReplacesOneCpuKernel) {
  const Tensor x = from_vector({1.0, -2.0, 3.0}, {3}, DType::Float64);
  EXPECT_EQ(neg(x).to_vector(), (std::vector<double>{-1, 2, -3}));
  ASSERT_TRUE(load_plugin(kPlugin).ok());
  void* handle = dlopen(kPlugin, RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(handle, nullptr);
  auto calls =
      reinterpret_cast<int64_t (*)()>(dlsym(handle, "swap_kernel_calls"));
  ASSERT_NE(calls, nullptr);
  const int64_t before = calls();
  EXPECT_EQ(neg(x).to_vector(), (std::vector<double>{-1, 2, -3}));
  EXPECT_EQ(calls(), before + 1);
  // Under grad the swapped kernel runs for the forward value too.
  const Tensor g = grad([](const Tensor& v) { return neg(v * v).sum(); })(x);
  EXPECT_EQ(g.to_vector(), (std::vector<double>{-2, 4, -6}));
  EXPECT_GT(calls(), before + 1);
  bool reported = false;
  for (const KernelReplacement& r : Registry::get().kernel_replacements()) {
    reported |= r.prim == Prim::Neg && r.owner == "swap_neg" &&
                r.replaced == "cpu" && r.device == DeviceType::CPU;
  }
  EXPECT_TRUE(reported);
  dlclose(handle);
}

}  // namespace
}  // namespace fnx
