// The thread's grad mode: whether grad levels record operations. A
// NoGradGuard (grad.h) turns it off; grad and vjp turn it on while they run
// f, so a no_grad scope around the transform does not leak into it.
#pragma once

namespace fnx::grad_internal {

bool grad_enabled();
void set_grad_enabled(bool enabled);

// Sets the mode for a scope and restores the previous one.
class GradModeScope {
 public:
  explicit GradModeScope(bool enabled) : prev_(grad_enabled()) {
    set_grad_enabled(enabled);
  }
  ~GradModeScope() { set_grad_enabled(prev_); }
  GradModeScope(const GradModeScope&) = delete;
  GradModeScope& operator=(const GradModeScope&) = delete;

 private:
  bool prev_;
};

}  // namespace fnx::grad_internal
