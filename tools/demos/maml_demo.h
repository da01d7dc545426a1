// Demo 4: MAML on sine-wave regression (functorch's maml_regression): one
// differentiable SGD step on each task's support set (grad through the
// inner loop), tasks batched with vmap.
#pragma once

#include <ostream>

namespace fnx::demos {

struct MamlConfig {
  int meta_steps = 1000;
  int tasks_per_step = 8;
  int log_every = 100;
  double inner_lr = 0.05;
  double meta_lr = 1e-2;  // Adam
};

struct MamlResult {
  double vmap_vs_loop = 0;  // meta-gradient: vmap over tasks vs a loop
  double before = 0;        // held-out tasks' loss after one adaptation
  double after = 0;         // the same after meta-training
};

MamlResult run_maml_demo(const MamlConfig& config, std::ostream& out);

}  // namespace fnx::demos
