// A program that links the core and the CPU backend only (exporting the
// core, -rdynamic) gets the CUDA backend by itself: the first use of a CUDA
// device loads libfnx_cuda.so (here from the test's runfiles,
// backends/cuda/libfnx_cuda.so) into the program's one registry.
#include <string>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

TEST(CudaPluginLoading, FirstUseLoadsTheBackend) {
  ASSERT_EQ(Registry::get().kernel(DeviceType::CUDA, Prim::Add), nullptr)
      << "this test must not link the CUDA backend";
  std::string error;
  Tensor x;
  try {
    x = full({4}, 2.0, DType::Float32, Device::cuda());
  } catch (const Error& e) {
    error = e.what();
  }
#if defined(FNX_HAVE_CUDA)
  bool found = false;
  for (const PluginRecord& p : Registry::get().plugins()) {
    if (p.name == "cuda") {
      found = true;
      EXPECT_NE(p.path.find("libfnx_cuda.so"), std::string::npos) << p.path;
      EXPECT_GT(p.entries, 62);
    }
  }
  EXPECT_TRUE(found) << "libfnx_cuda.so was not loaded";
  for (int i = 0; i < kNumPrims; ++i) {
    if (is_higher_order(prim_at(i))) continue;  // runs its body, no kernel
    EXPECT_NE(Registry::get().kernel(DeviceType::CUDA, prim_at(i)), nullptr)
        << prim_name(prim_at(i));
  }
  if (error.empty()) {  // a GPU: the loaded backend works
    EXPECT_FLOAT_EQ((x * 3.0).sum().item<float>(), 24.0f);
  } else {
    EXPECT_NE(error.find("no CUDA device is available"), std::string::npos)
        << error;
  }
#else
  // Without --config=cuda the library is an empty stand-in, not a plugin:
  // the error says how to get the backend.
  EXPECT_NE(error.find("no kernel for device cuda:0"), std::string::npos)
      << error;
#endif
}

}  // namespace
}  // namespace fnx
