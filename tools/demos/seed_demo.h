// Demo 1: the seed talk's examples in order (vmap(dot), the 2-D dot error,
// grad of sin and grad(grad), per-sample gradients, functional_call,
// stack_module_state ensembles, the no_grad gotcha).
#pragma once

#include <ostream>
#include <string>

namespace fnx::demos {

struct SeedResult {
  double vmap_dot_vs_loop = 0;     // max |vmap(dot) - loop|
  std::string dot_error;           // what dot says about 2-D inputs
  double grad_sin_error = 0;       // max |grad(sin)(x) - cos(x)|
  double grad_grad_sin_error = 0;  // max |grad(grad(sin))(x) + sin(x)|
  double per_sample_vs_loop = 0;   // vmap(grad) against grad in a loop
  double functional_call_vs_forward = 0;
  double ensemble_vs_loop = 0;  // stacked vmap against each model
  double no_grad_gradient = 0;  // d/dx (x - no_grad(x*x)) at x = 3
};

SeedResult run_seed_demo(std::ostream& out);

}  // namespace fnx::demos
