// The thread's forward-grad mode: whether jvp levels carry tangents. A
// NoFwdGradGuard (jvp.h; torch's fwd-grad disable) turns it off; jvp and
// linearize turn it on for their f, and the levels below a jvp level run
// under the mode the jvp was called in (the same nesting rule as grad's
// NoGradGuard).
#pragma once

namespace fnx::jvp_internal {

bool fwd_grad_enabled();
void set_fwd_grad_enabled(bool enabled);

// Sets the mode for a scope and restores the previous one.
class FwdGradModeScope {
 public:
  explicit FwdGradModeScope(bool enabled) : prev_(fwd_grad_enabled()) {
    set_fwd_grad_enabled(enabled);
  }
  ~FwdGradModeScope() { set_fwd_grad_enabled(prev_); }
  FwdGradModeScope(const FwdGradModeScope&) = delete;
  FwdGradModeScope& operator=(const FwdGradModeScope&) = delete;

 private:
  bool prev_;
};

}  // namespace fnx::jvp_internal
