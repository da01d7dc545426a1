#include "transforms/jvp/fwd_grad_mode.h"

namespace fnx::jvp_internal {
namespace {
thread_local bool t_fwd_grad_enabled = true;
}  // namespace

bool fwd_grad_enabled() { return t_fwd_grad_enabled; }
void set_fwd_grad_enabled(bool enabled) { t_fwd_grad_enabled = enabled; }

}  // namespace fnx::jvp_internal
