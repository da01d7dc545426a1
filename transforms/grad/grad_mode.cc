#include "transforms/grad/grad_mode.h"

namespace fnx::grad_internal {
namespace {

thread_local bool t_grad_enabled = true;

}  // namespace

bool grad_enabled() { return t_grad_enabled; }
void set_grad_enabled(bool enabled) { t_grad_enabled = enabled; }

}  // namespace fnx::grad_internal
