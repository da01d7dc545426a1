#include "tools/demos/maml_demo.h"

#include <cmath>
#include <cstdint>
#include <memory>

#include "core/generator.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "core/tensor.h"
#include "nn/functional_call.h"
#include "nn/layers.h"
#include "nn/losses.h"
#include "nn/optim.h"
#include "tools/demos/demo_util.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx::demos {
namespace {

struct Tasks {
  Tensor xs, ys, xq, yq;  // (tasks, points, 1): support and query sets
};

// Sine waves with random amplitude in [0.1, 5] and phase in [0, pi], as
// functorch's example; 10 support and 10 query points in [-5, 5].
Tasks sample_tasks(int64_t n, Generator& gen) {
  const Tensor amp = uniform({n, 1, 1}, 0.1, 5.0, DType::Float64, &gen);
  const Tensor phase = uniform({n, 1, 1}, 0.0, M_PI, DType::Float64, &gen);
  const Tensor xs = uniform({n, 10, 1}, -5.0, 5.0, DType::Float64, &gen);
  const Tensor xq = uniform({n, 10, 1}, -5.0, 5.0, DType::Float64, &gen);
  return {xs, amp * sin(xs + phase), xq, amp * sin(xq + phase)};
}

}  // namespace

MamlResult run_maml_demo(const MamlConfig& config, std::ostream& out) {
  out << "# maml: MAML on sine-wave regression\n"
      << "MLP 1 -> 40 -> 40 -> 1 (ReLU); per task one SGD step (lr "
      << config.inner_lr
      << ") on 10 support points, loss on 10 query points; grad "
         "differentiates through the inner step, vmap batches "
      << config.tasks_per_step << " tasks per meta-step; Adam (lr "
      << config.meta_lr << ").\n\n";
  Stopwatch total;
  Generator gen(1);
  const nn::LinearOptions f64{.dtype = DType::Float64};
  nn::Sequential net({std::make_shared<nn::Linear>(1, 40, gen, f64),
                      std::make_shared<nn::ReLU>(),
                      std::make_shared<nn::Linear>(40, 40, gen, f64),
                      std::make_shared<nn::ReLU>(),
                      std::make_shared<nn::Linear>(40, 1, gen, f64)});
  const double inner_lr = config.inner_lr;
  auto loss = [&](const ParamDict& p, const Tensor& x, const Tensor& y) {
    return nn::mse_loss(nn::functional_call(net, p, x), y);
  };
  auto adapted_loss = [&](const ParamDict& p, const Tensor& xs,
                          const Tensor& ys, const Tensor& xq,
                          const Tensor& yq) {
    const ParamDict g = grad(loss)(p, xs, ys);
    ParamDict fast;
    for (const auto& [k, t] : p) {
      fast.insert_or_assign(k, t - g.at(k) * inner_lr);
    }
    return loss(fast, xq, yq);
  };
  auto meta_loss = [&](const ParamDict& p, const Tasks& t) {
    return vmap(adapted_loss, {none, 0, 0, 0, 0})(p, t.xs, t.ys, t.xq, t.yq)
        .mean();
  };

  ParamDict params = net.named_parameters();
  MamlResult result;
  {
    const Tasks t = sample_tasks(3, gen);
    const ParamDict batched = grad(meta_loss)(params, t);
    for (const auto& [k, g] : batched) {
      Tensor looped = zeros_like(g);
      for (int64_t i = 0; i < 3; ++i) {
        looped = looped +
                 grad(adapted_loss)(params, t.xs[i], t.ys[i], t.xq[i], t.yq[i])
                         .at(k) /
                     3.0;
      }
      const double d = max_abs_diff(g, looped);
      result.vmap_vs_loop = d > result.vmap_vs_loop ? d : result.vmap_vs_loop;
    }
    out << "meta-gradient over 3 tasks, vmap vs a loop over tasks: max "
           "difference "
        << result.vmap_vs_loop << "\n";
  }

  Generator eval_gen(99);
  const Tasks eval = sample_tasks(32, eval_gen);
  result.before = meta_loss(params, eval).item<double>();
  out << "held-out tasks, query loss after one adaptation step: "
      << fixed(result.before, 4) << " before meta-training\n";
  nn::Adam opt({.lr = config.meta_lr});
  Stopwatch watch;
  for (int step = 1; step <= config.meta_steps; ++step) {
    const Tasks t = sample_tasks(config.tasks_per_step, gen);
    params = opt.step(params, grad(meta_loss)(params, t));
    if (step % config.log_every == 0 || step == config.meta_steps) {
      out << "meta-step " << step << "/" << config.meta_steps
          << "  held-out loss "
          << fixed(meta_loss(params, eval).item<double>(), 4) << "  ("
          << format_seconds(watch.seconds()) << ")\n";
      watch.reset();
    }
  }
  result.after = meta_loss(params, eval).item<double>();
  out << "\nheld-out query loss after one adaptation step: "
      << fixed(result.before, 4) << " -> " << fixed(result.after, 4)
      << "\nmaml demo done in " << format_seconds(total.seconds()) << "\n";
  return result;
}

}  // namespace fnx::demos
