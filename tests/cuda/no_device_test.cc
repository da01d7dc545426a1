// Where there is no GPU (or no CUDA backend), asking for a CUDA tensor is a
// clear fnx::Error, never a crash; and mixing devices in one op is refused
// by the shape rules before any kernel runs. Runs in every build.
#include <memory>
#include <string>

#include "core/error.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"

#if defined(FNX_HAVE_CUDA)
#include "backends/cuda/cuda.h"
#endif

namespace fnx {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool gpu_present() {
#if defined(FNX_HAVE_CUDA)
  return fnx::cuda::is_available();
#else
  return false;
#endif
}

TEST(NoCudaDevice, CreatingACudaTensorIsAClearError) {
  if (gpu_present()) GTEST_SKIP() << "a CUDA device is present";
  for (const auto& make : std::vector<std::function<void()>>{
           [] {
             (void)zeros({2, 2}, DType::Float32, Device::cuda());
           },
           [] { (void)ones({3}).to(Device::cuda()); },
           [] { (void)randn({4}, DType::Float32, nullptr, Device::cuda()); },
       }) {
    const std::string msg = error_of(make);
    ASSERT_FALSE(msg.empty()) << "no fnx::Error";
#if defined(FNX_HAVE_CUDA)
    EXPECT_NE(msg.find("no CUDA device is available for cuda:0"),
              std::string::npos)
        << msg;
#else
    EXPECT_NE(msg.find("cuda:0"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--config=cuda"), std::string::npos) << msg;
#endif
  }
}

// A tensor that claims to live on cuda:0 (its storage is host memory: no
// kernel ever reads it) meets a CPU tensor: the op's shape rule refuses.
TEST(NoCudaDevice, MixingDevicesIsRefusedBeforeAnyKernel) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = {3};
  impl->strides = {1};
  impl->dtype = DType::Float32;
  impl->device = Device::cuda();
  impl->storage = Storage::allocate(3 * sizeof(float), Device::cpu());
  const Tensor on_cuda(std::move(impl));
  const Tensor on_cpu = ones({3});
  EXPECT_EQ(error_of([&] { (void)(on_cpu + on_cuda); }),
            "[add] inputs are on different devices (cpu and cuda:0); move them "
            "with to(device)");
  EXPECT_NE(error_of([&] {
              (void)where(on_cpu > 0.0, on_cpu, on_cuda);
            }).find("different devices"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              (void)cat({on_cuda, on_cpu});
            }).find("different devices"),
            std::string::npos);
}

}  // namespace
}  // namespace fnx
