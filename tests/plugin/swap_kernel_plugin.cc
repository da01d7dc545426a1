// A backend plugin that swaps one primitive's CPU kernel: Neg, computed as
// x * -1 by the CPU backend's Mul kernel, counting its calls (read through
// swap_kernel_calls). tests/plugin:swap_kernel_test loads it, and
// tools:fnx_smoke_test checks that `fnx info` reports the replacement.
#include <atomic>
#include <cstdint>

#include "core/ops/ops.h"
#include "core/plugin.h"
#include "core/registry.h"

namespace {

std::atomic<int64_t> g_calls{0};

fnx::Tensor counting_neg(const fnx::OpCall& call, const fnx::OutMeta&) {
  g_calls.fetch_add(1);
  const fnx::Tensor& x = call.inputs[0];
  return fnx::mul(x, fnx::scalar_like(-1.0, x));
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int64_t swap_kernel_calls() {
  return g_calls.load();
}

FNX_REGISTER_PLUGIN("swap_neg") {
  r.replace_kernel(fnx::DeviceType::CPU, fnx::Prim::Neg, &counting_neg);
}

FNX_PLUGIN_ENTRY("swap_neg")
