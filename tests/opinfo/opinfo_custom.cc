// Custom functions (transforms/custom/custom.h) and checkpointed functions
// (checkpoint.h): user ops with their own rules, run through every suite
// that iterates the database. Their functions live in custom_functions.cc.
// The clipping limit is out of reach of the suites' cotangents, so the
// custom vjp agrees with finite differences here; the clipping itself is
// tested in tests/custom.
#include <cmath>
#include <utility>

#include "tests/opinfo/custom_functions.h"
#include "tests/opinfo/opinfo_util.h"
#include "transforms/custom/checkpoint.h"

namespace fnx::opinfo {
namespace {

using Samples = std::vector<SampleInput>;

Samples unary_samples(DType d, Generator& g) {
  return {
      sample({make({3, 4}, d, g)}, {"basic"}),
      sample({make_noncontig({4, 3}, d, g)}, {"noncontig"}),
      sample({make_expanded({3, 2}, d, g)}, {"expanded"}),
      sample({make({0, 3}, d, g)}, {"zero-size"}),
      sample({make({}, d, g)}, {"scalar"}),
  };
}

OpInfo unary_entry(std::string name, std::function<Tensor(const Tensor&)> op,
                   std::function<double(double)> ref) {
  OpInfo info =
      entry1(std::move(name), "custom", Impl::kComposite, std::move(op),
             [ref](const Nd& x) { return map(x, ref, x.dtype); });
  info.samples = unary_samples;
  info.dtypes = floating_dtypes();
  info.diff_args = {0};
  return info;
}

OpInfo binary_entry(std::string name,
                    std::function<Tensor(const Tensor&, const Tensor&)> op,
                    RefFn ref,
                    std::function<Samples(DType, Generator&)> samples) {
  OpInfo info;
  info.name = std::move(name);
  info.family = "custom";
  info.op = [op](const TensorList& in) { return op(in.at(0), in.at(1)); };
  info.reference = std::move(ref);
  info.samples = std::move(samples);
  info.dtypes = floating_dtypes();
  info.diff_args = {0, 1};
  info.impl = Impl::kComposite;
  return info;
}

Nd rowdot_ref(const TensorList& in) {
  const Nd x = read(in.at(0)), y = read(in.at(1));
  Shape out_shape = x.shape;
  const int64_t k = out_shape.back();
  out_shape.pop_back();
  Nd out = full_nd(out_shape, 0.0, x.dtype);
  for (int64_t r = 0; r < out.numel(); ++r) {
    double acc = 0;
    for (int64_t j = 0; j < k; ++j)
      acc += x.data[r * k + j] * y.data[r * k + j];
    out.data[r] = round_to(acc, x.dtype);
  }
  return out;
}

Samples rowdot_samples(DType d, Generator& g) {
  return {
      sample({make({3, 4}, d, g), make({3, 4}, d, g)}, {"basic"}),
      sample({make({2, 3, 2}, d, g), make({2, 3, 2}, d, g)}, {"basic"}),
      sample({make_noncontig({3, 4}, d, g), make({3, 4}, d, g)}, {"noncontig"}),
      sample({make({4}, d, g), make({4}, d, g)}, {"scalar"}),
      sample({make({0, 4}, d, g), make({0, 4}, d, g)}, {"zero-size"}),
  };
}

Samples matmul_samples(DType d, Generator& g) {
  return {
      sample({make({3, 4}, d, g), make({4, 2}, d, g)}, {"basic"}),
      sample({make_noncontig({3, 4}, d, g), make({4, 2}, d, g)}, {"noncontig"}),
      sample({make({0, 4}, d, g), make({4, 2}, d, g)}, {"zero-size"}),
  };
}

// tanh(x w) * x, the function the checkpoint entries checkpoint; `named`
// marks x w with checkpoint_name.
Tensor block(const Tensor& x, const Tensor& w, bool named) {
  Tensor h = matmul(x, w);
  if (named) h = checkpoint_name(h, "pre");
  return tanh(h) * x;
}

Nd block_ref(const TensorList& in) {
  const Nd x = read(in.at(0));
  const Nd h = matmul_nd(x, read(in.at(1)));
  return zip(
      map(
          h, [](double v) { return std::tanh(v); }, h.dtype),
      x, [](double a, double b) { return a * b; }, x.dtype);
}

Samples block_samples(DType d, Generator& g) {
  return {
      sample({make({3, 4}, d, g), make({4, 4}, d, g)}, {"basic"}),
      sample({make_noncontig({3, 4}, d, g), make({4, 4}, d, g)}, {"noncontig"}),
      sample({make({0, 4}, d, g), make({4, 4}, d, g)}, {"zero-size"}),
  };
}

OpInfo checkpoint_entry(std::string name, CheckpointPolicy policy) {
  const bool named = policy.save == CheckpointPolicy::Save::names;
  const auto fn = checkpoint(
      [named](const Tensor& x, const Tensor& w) { return block(x, w, named); },
      std::move(policy));
  OpInfo info = binary_entry(
      std::move(name),
      [fn](const Tensor& x, const Tensor& w) { return fn(x, w); }, block_ref,
      block_samples);
  info.needs_scalar = false;
  return info;
}

}  // namespace

void add_custom_ops(std::vector<OpInfo>& db) {
  db.push_back(unary_entry("custom.softplus_jvp", custom::stable_softplus,
                           [](double x) { return std::log1p(std::exp(x)); }));
  db.push_back(unary_entry(
      "custom.clip_grad_vjp",
      [](const Tensor& x) { return custom::scale_clip_grad(x, 1e6); },
      [](double x) { return 2 * x; }));
  db.push_back(binary_entry("custom.foreign_rowdot", custom::foreign_rowdot,
                            rowdot_ref, rowdot_samples));
  // Several outputs, entered as one tensor (reversed, flattened).
  db.push_back(unary_entry(
      "custom.multi_output",
      [](const Tensor& x) {
        auto [s, c] = custom::sin_and_twice_cos(x);
        return cat({reshape(c, {-1}), reshape(s, {-1})}, 0);
      },
      nullptr));
  db.back().reference = [](const TensorList& in) {
    const Nd x = read(in.at(0));
    Nd out = full_nd({2 * x.numel()}, 0.0, x.dtype);
    for (int64_t i = 0; i < x.numel(); ++i) {
      out.data[i] = round_to(2 * std::cos(x.data[i]), x.dtype);
      out.data[x.numel() + i] = round_to(std::sin(x.data[i]), x.dtype);
    }
    return out;
  };
  // An int and a double bound, and a tensor that is not differentiated.
  OpInfo power;
  power.name = "custom.static_args";
  power.family = "custom";
  power.op = [](const TensorList& in) {
    return custom::scaled_power(in.at(0), 3, 0.5, in.at(1));
  };
  power.reference = [](const TensorList& in) {
    return zip(
        read(in.at(0)), read(in.at(1)),
        [](double x, double s) { return 0.5 * x * x * x + s; },
        in.at(0).dtype());
  };
  power.samples = [](DType d, Generator& g) {
    return Samples{
        sample({make({3, 4}, d, g), make({3, 4}, d, g)}, {"basic"}),
        sample({make_noncontig({4, 3}, d, g), make({4, 3}, d, g)},
               {"noncontig"}),
        sample({make({0, 3}, d, g), make({0, 3}, d, g)}, {"zero-size"}),
        sample({make({}, d, g), make({}, d, g)}, {"scalar"}),
    };
  };
  power.dtypes = floating_dtypes();
  power.diff_args = {0};
  power.impl = Impl::kComposite;
  db.push_back(std::move(power));
  db.push_back(binary_entry(
      "custom.vmap_rule_batched_call", custom::batched_matmul,
      [](const TensorList& in) {
        return matmul_nd(read(in.at(0)), read(in.at(1)));
      },
      matmul_samples));
  db.back().needs_scalar = false;
  db.push_back(unary_entry("custom.nested", custom::x_softplus, [](double x) {
    return x * std::log1p(std::exp(x));
  }));
  db.push_back(
      unary_entry("custom.fwd_calls_grad", custom::grad_inside,
                  [](double x) { return std::sin(x) + x * std::cos(x); }));
  db.push_back(checkpoint_entry("custom.checkpoint", {}));
  db.push_back(checkpoint_entry("custom.checkpoint_dots",
                                CheckpointPolicy::dots_saveable()));
  db.push_back(
      checkpoint_entry("custom.checkpoint_names",
                       CheckpointPolicy::save_only_these_names({"pre"})));
}

}  // namespace fnx::opinfo
