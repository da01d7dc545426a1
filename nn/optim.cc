#include "nn/optim.h"

#include <cmath>
#include <string>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/shape.h"
#include "core/str_cat.h"

namespace fnx::nn {
namespace {

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

// Writes `updated` into the module's parameters in place (keeping ties).
void write_back(Module& module, const ParamDict& updated) {
  for (const auto& [k, t] : updated) module.find_tensor(k)->copy_(t);
}

}  // namespace

SGD::SGD(SGDOptions options) : options_(options) {
  FNX_CHECK(options.lr >= 0, "nn.SGD", "lr must be non-negative, got ",
            options.lr);
  FNX_CHECK(options.momentum >= 0, "nn.SGD",
            "momentum must be non-negative, got ", options.momentum);
  FNX_CHECK(!options.nesterov ||
                (options.momentum > 0 && options.dampening == 0),
            "nn.SGD", "nesterov needs momentum > 0 and zero dampening");
}

ParamDict SGD::step(const ParamDict& params, const ParamDict& grads) {
  check_grads("nn.SGD", params, grads);
  ParamDict out;
  for (const auto& [k, p0] : params) {
    const Tensor p = detach(p0);
    if (!grads.contains(k)) {
      out.insert_or_assign(k, p);
      continue;
    }
    Tensor d = detach(grads.at(k));
    if (options_.weight_decay != 0) d = d + p * options_.weight_decay;
    if (options_.momentum != 0) {
      Tensor buf;
      if (!momentum_.contains(k)) {
        buf = clone(d);
      } else {
        buf = momentum_.at(k) * options_.momentum +
              d * (1 - options_.dampening);
      }
      momentum_.insert_or_assign(k, buf);
      d = options_.nesterov ? d + buf * options_.momentum : buf;
    }
    out.insert_or_assign(k, p - d * options_.lr);
  }
  return out;
}

void SGD::step(Module& module, const ParamDict& grads) {
  write_back(module, step(module.named_parameters(), grads));
}

Adam::Adam(AdamOptions options) : options_(options) {
  FNX_CHECK(options.lr >= 0, "nn.Adam", "lr must be non-negative, got ",
            options.lr);
  FNX_CHECK(options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 &&
                options.beta2 < 1,
            "nn.Adam", "betas must be in [0, 1), got ", options.beta1, " and ",
            options.beta2);
}

ParamDict Adam::step(const ParamDict& params, const ParamDict& grads) {
  check_grads("nn.Adam", params, grads);
  ++t_;
  const double b1 = options_.beta1, b2 = options_.beta2;
  const double c1 = 1 - std::pow(b1, double(t_));
  const double c2 = 1 - std::pow(b2, double(t_));
  ParamDict out;
  for (const auto& [k, p0] : params) {
    Tensor p = detach(p0);
    if (!grads.contains(k)) {
      out.insert_or_assign(k, p);
      continue;
    }
    Tensor g = detach(grads.at(k));
    if (options_.weight_decay != 0) {
      if (options_.decoupled_weight_decay) {
        p = p * (1 - options_.lr * options_.weight_decay);
      } else {
        g = g + p * options_.weight_decay;
      }
    }
    const Tensor m = m_.contains(k) ? m_.at(k) * b1 + g * (1 - b1)
                                    : g * (1 - b1);
    const Tensor v = v_.contains(k) ? v_.at(k) * b2 + square(g) * (1 - b2)
                                    : square(g) * (1 - b2);
    m_.insert_or_assign(k, m);
    v_.insert_or_assign(k, v);
    const Tensor step = (m / c1) / (sqrt(v / c2) + options_.eps);
    out.insert_or_assign(k, p - step * options_.lr);
  }
  return out;
}

void Adam::step(Module& module, const ParamDict& grads) {
  write_back(module, step(module.named_parameters(), grads));
}

}  // namespace fnx::nn
