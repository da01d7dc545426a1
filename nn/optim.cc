#include "nn/optim.h"

#include <cmath>
#include <string>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/shape.h"
#include "core/str_cat.h"
#include "nn/optim_internal.h"

namespace fnx::nn {
namespace optim_internal {

void check_grads(const char* op, const ParamDict& params,
                 const ParamDict& grads) {
  for (const auto& [k, g] : grads) {
    FNX_CHECK(params.contains(k), op, "gradient for \"", k,
              "\", which is not a parameter; parameters: ", params.keys_str());
    FNX_CHECK(g.defined() && g.shape() == params.at(k).shape(), op,
              "gradient for \"", k, "\" has shape ",
              g.defined() ? shape_str(g.shape()) : std::string("undefined"),
              ", the parameter ", shape_str(params.at(k).shape()));
  }
}

void check_lr(const char* op, double lr) {
  FNX_CHECK(lr >= 0, op, "lr must be non-negative, got ", lr);
}

ParamDict update_each(const char* op, const ParamDict& params,
                      const ParamDict& grads, const UpdateFn& update) {
  check_grads(op, params, grads);
  ParamDict out;
  for (const auto& [k, p] : params) {
    out.insert_or_assign(k, grads.contains(k)
                                ? update(k, detach(p), detach(grads.at(k)))
                                : detach(p));
  }
  return out;
}

void write_back(Module& module, const ParamDict& updated) {
  for (const auto& [k, t] : updated) module.find_tensor(k)->copy_(t);
}

}  // namespace optim_internal

using namespace optim_internal;

SGD::SGD(SGDOptions options) : options_(options) {
  check_lr("nn.SGD", options.lr);
  FNX_CHECK(options.momentum >= 0, "nn.SGD",
            "momentum must be non-negative, got ", options.momentum);
  FNX_CHECK(
      !options.nesterov || (options.momentum > 0 && options.dampening == 0),
      "nn.SGD", "nesterov needs momentum > 0 and zero dampening");
}

ParamDict SGD::step(const ParamDict& params, const ParamDict& grads) {
  return update_each("nn.SGD", params, grads,
                     [&](const std::string& k, const Tensor& p, Tensor d) {
                       if (options_.weight_decay != 0)
                         d = d + p * options_.weight_decay;
                       if (options_.momentum != 0) {
                         Tensor buf;
                         if (!momentum_.contains(k)) {
                           buf = clone(d);
                         } else {
                           buf = momentum_.at(k) * options_.momentum +
                                 d * (1 - options_.dampening);
                         }
                         momentum_.insert_or_assign(k, buf);
                         d = options_.nesterov ? d + buf * options_.momentum
                                               : buf;
                       }
                       return p - d * options_.lr;
                     });
}

void SGD::step(Module& module, const ParamDict& grads) {
  write_back(module, step(module.named_parameters(), grads));
}

void SGD::set_lr(double lr) {
  check_lr("nn.SGD", lr);
  options_.lr = lr;
}

Adam::Adam(AdamOptions options) : options_(options) {
  check_lr("nn.Adam", options.lr);
  FNX_CHECK(options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 &&
                options.beta2 < 1,
            "nn.Adam", "betas must be in [0, 1), got ", options.beta1, " and ",
            options.beta2);
}

ParamDict Adam::step(const ParamDict& params, const ParamDict& grads) {
  check_grads("nn.Adam", params, grads);  // before the step count moves
  ++t_;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double c1 = 1 - std::pow(b1, double(t_));
  const double c2 = 1 - std::pow(b2, double(t_));
  return update_each(
      "nn.Adam", params, grads, [&](const std::string& k, Tensor p, Tensor g) {
        if (options_.weight_decay != 0) {
          if (options_.decoupled_weight_decay) {
            p = p * (1 - options_.lr * options_.weight_decay);
          } else {
            g = g + p * options_.weight_decay;
          }
        }
        const Tensor m =
            m_.contains(k) ? m_.at(k) * b1 + g * (1 - b1) : g * (1 - b1);
        const Tensor v = v_.contains(k) ? v_.at(k) * b2 + square(g) * (1 - b2)
                                        : square(g) * (1 - b2);
        m_.insert_or_assign(k, m);
        v_.insert_or_assign(k, v);
        const Tensor step = (m / c1) / (sqrt(v / c2) + options_.eps);
        return p - step * options_.lr;
      });
}

void Adam::step(Module& module, const ParamDict& grads) {
  write_back(module, step(module.named_parameters(), grads));
}

void Adam::set_lr(double lr) {
  check_lr("nn.Adam", lr);
  options_.lr = lr;
}

AdamW::AdamW(AdamWOptions o)
    : Adam(AdamOptions{o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, true}) {}

}  // namespace fnx::nn
