// Every primitive has a CPU kernel (higher-order ones run their body
// instead), and the backend names itself.
#include "core/primitive.h"
#include "core/registry.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

TEST(CpuCoverage, EveryPrimitiveHasAKernel) {
  for (int i = 0; i < kNumPrims; ++i) {
    if (is_higher_order(prim_at(i))) continue;  // runs its body, no kernel
    EXPECT_NE(Registry::get().kernel(DeviceType::CPU, prim_at(i)), nullptr)
        << "no CPU kernel for " << prim_name(prim_at(i));
  }
}

TEST(CpuCoverage, BackendIsRegistered) {
  bool found = false;
  for (const auto& [device, description] : Registry::get().backends()) {
    if (device == DeviceType::CPU) {
      found = true;
      EXPECT_NE(description.find("cpu"), std::string::npos);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace fnx
