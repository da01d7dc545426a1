// A plugin that tries to register a CPU kernel the CPU backend already
// has: loading it must fail and register nothing (not even its other entry).
#include "core/plugin.h"
#include "core/registry.h"
#include "core/tensor.h"

namespace {

fnx::Tensor fake_add(const fnx::OpCall& call, const fnx::OutMeta&) {
  return call.inputs[0];
}
int marker = 0;

}  // namespace

FNX_PLUGIN_ENTRY("duplicate_plugin")

FNX_REGISTER_PLUGIN("duplicate_plugin") {
  r.rule("duplicate_table", fnx::Prim::Mul, &marker);
  r.kernel(fnx::DeviceType::CPU, fnx::Prim::Add, &fake_add);
}
