// vmap's rule for custom_call (core/custom_function.h). The call becomes a
// custom_call one level down of a batched custom function: its fwd is the
// user's vmap rule (called once for the whole batch) or vmap of fwd, and
// the user's derivative rules are kept, batched: bwd runs under vmap and
// the cotangents of inputs that are not batched are summed over the batch
// (JAX's process_custom_vjp_call, torch's "reductify"); jvp runs under vmap.
// Every output of the batched function carries the batch at dim 0.
#include <memory>
#include <utility>
#include <vector>

#include "core/custom_function.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "transforms/vmap/batching_rule.h"
#include "transforms/vmap/vmap_entry.h"
#include "transforms/vmap/vmap_interpreter.h"

namespace fnx::vmap_internal {
namespace {

using vmap_detail::kNoDim;

struct Batch {
  int64_t size = 0;
  std::vector<int64_t> in_dims;  // per input; -1: not batched
  Randomness randomness = Randomness::error;
};

using FlatBody = std::function<TensorList(std::span<const Tensor>)>;

// vmap of a flat function: inputs batched at `dims` (-1: not), outputs
// batched at `out_dims` (undefined outputs pass through).
TensorList map_flat(const FlatBody& body, std::span<const Tensor> inputs,
                    std::span<const int64_t> dims,
                    const std::function<int64_t(std::size_t)>& out_dim,
                    const Batch& batch) {
  vmap_detail::Inputs in;
  in.leaves.assign(inputs.begin(), inputs.end());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    in.dims.push_back(dims[i] < 0 ? kNoDim : dims[i]);
    in.arg_of_leaf.push_back(static_cast<int>(i));
  }
  VmapOptions options;
  options.randomness = batch.randomness;
  options.axis_size = batch.size;
  auto run = [&](std::span<const Tensor> leaves, vmap_detail::Outputs& out) {
    out.leaves = body(leaves);
    out.dims.clear();
    for (std::size_t k = 0; k < out.leaves.size(); ++k) {
      out.dims.push_back(out_dim(k));
    }
  };
  return vmap_detail::entry().run(in, options, vmap_detail::BodyRef::of(run));
}

int64_t at_zero(std::size_t) { return 0; }

// The user's vmap rule, its outputs moved to batch dim 0 (unbatched ones
// expanded to the batch).
TensorList user_vmap(const CustomFunction& fn, int64_t size,
                     std::span<const int64_t> in_dims,
                     std::span<const Tensor> inputs) {
  CustomCallScope scope(fn, "vmap rule");
  auto [outs, out_dims] = fn.vmap(size, in_dims, inputs);
  check_custom_count(fn, "vmap rule", "out_dims", out_dims.size(), outs.size());
  for (std::size_t j = 0; j < outs.size(); ++j) {
    Tensor& o = outs[j];
    if (!o.defined()) continue;
    const int64_t d = out_dims[j];
    if (d < 0) {
      Shape shape = o.shape();
      shape.insert(shape.begin(), size);
      o = expand(unsqueeze(o, 0), shape);
      continue;
    }
    FNX_CHECK(d < o.dim() && o.shape()[d] == size, "custom_function",
              "the vmap rule of '", fn.name, "' returned output ", j,
              " of shape ", shape_str(o.shape()), " with out_dim ", d,
              ", which is not a dim of the batch size ", size,
              "; return each output with its batch dim (or -1 when it is the "
              "same for every example)");
    if (d != 0) o = movedim(o, d, 0);
  }
  return outs;
}

// An input of a nested batch: its outer batch dim `outer` and inner batch
// dim `inner` (in the tensor without the outer dim; -1: not batched) merged
// into one leading dim of outer_size * inner_size.
Tensor merge_batches(const Tensor& x, int64_t outer, int64_t inner,
                     int64_t outer_size, int64_t inner_size) {
  Tensor y = x;
  if (outer >= 0) {
    y = movedim(y, outer, 0);
  } else {
    Shape s = y.shape();
    s.insert(s.begin(), outer_size);
    y = expand(unsqueeze(y, 0), s);
  }
  if (inner >= 0) {
    y = movedim(y, inner + 1, 1);
  } else {
    Shape s = y.shape();
    s.insert(s.begin() + 1, inner_size);
    y = expand(unsqueeze(y, 1), s);
  }
  Shape merged(y.shape().begin() + 1, y.shape().end());
  merged[0] = outer_size * inner_size;
  return reshape(y, merged);
}

std::shared_ptr<const CustomFunction> batched(
    std::shared_ptr<const CustomFunction> fn, const Batch& batch);

// The batched function's own vmap rule, for vmap of vmap: the two batches
// merge into one, so the user's rule still runs once.
TensorList nested_user_vmap(const CustomFunction& fn, const Batch& inner,
                            int64_t outer_size,
                            std::span<const int64_t> outer_dims,
                            std::span<const Tensor> inputs,
                            std::vector<int64_t>& out_dims) {
  const int64_t total = outer_size * inner.size;
  std::vector<Tensor> merged(inputs.size());
  std::vector<int64_t> dims(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (outer_dims[i] < 0 && inner.in_dims[i] < 0) {
      merged[i] = inputs[i];
      dims[i] = -1;
      continue;
    }
    merged[i] = merge_batches(inputs[i], outer_dims[i], inner.in_dims[i],
                              outer_size, inner.size);
    dims[i] = 0;
  }
  TensorList outs = user_vmap(fn, total, dims, merged);
  out_dims.assign(outs.size(), 0);
  for (Tensor& o : outs) {
    if (!o.defined()) continue;
    Shape s(o.shape().begin() + 1, o.shape().end());
    s.insert(s.begin(), {outer_size, inner.size});
    o = reshape(o, s);
  }
  return outs;
}

std::shared_ptr<const CustomFunction> batched(
    std::shared_ptr<const CustomFunction> fn, const Batch& batch) {
  auto b = std::make_shared<CustomFunction>();
  b->name = fn->name;
  b->differentiable = fn->differentiable;
  b->compile_inline = fn->compile_inline;
  b->fwd = [fn, batch](std::span<const Tensor> inputs) {
    if (fn->has_vmap())
      return user_vmap(*fn, batch.size, batch.in_dims, inputs);
    const FlatBody body = [fn](std::span<const Tensor> leaves) {
      CustomCallScope scope(*fn, "fwd");
      return fn->fwd(leaves);
    };
    return map_flat(body, inputs, batch.in_dims, at_zero, batch);
  };
  if (fn->has_vmap()) {
    b->vmap = [fn, batch](int64_t size, std::span<const int64_t> dims,
                          std::span<const Tensor> inputs) {
      std::vector<int64_t> out_dims;
      TensorList outs =
          nested_user_vmap(*fn, batch, size, dims, inputs, out_dims);
      return std::make_pair(std::move(outs), std::move(out_dims));
    };
  }
  if (fn->has_vjp()) {
    const bool own_residuals = static_cast<bool>(fn->fwd_with_residuals);
    if (own_residuals) {
      b->fwd_with_residuals = [fn, batch](std::span<const Tensor> inputs) {
        auto num_outputs = std::make_shared<std::size_t>(0);
        const FlatBody body = [fn, num_outputs](std::span<const Tensor> x) {
          CustomCallScope scope(*fn, "fwd_with_residuals");
          auto [outs, res] = fn->fwd_with_residuals(x);
          *num_outputs = outs.size();
          outs.insert(outs.end(), res.begin(), res.end());
          return outs;
        };
        TensorList all = map_flat(body, inputs, batch.in_dims, at_zero, batch);
        TensorList res(all.begin() + static_cast<int64_t>(*num_outputs),
                       all.end());
        all.resize(*num_outputs);
        return std::make_pair(std::move(all), std::move(res));
      };
    }
    b->bwd = [fn, batch, own_residuals](std::span<const Tensor> residuals,
                                        std::span<const Tensor> cts) {
      const std::size_t n_in = batch.in_dims.size();
      std::vector<Tensor> leaves(residuals.begin(), residuals.end());
      leaves.insert(leaves.end(), cts.begin(), cts.end());
      // Residuals: all batched at 0 (the user's), or the inputs at their
      // dims and the outputs at 0 (the default residuals); cotangents at 0.
      std::vector<int64_t> dims(leaves.size(), 0);
      if (!own_residuals) {
        for (std::size_t i = 0; i < n_in; ++i) dims[i] = batch.in_dims[i];
      }
      const std::size_t n_res = residuals.size();
      const FlatBody body = [fn, n_res](std::span<const Tensor> x) {
        CustomCallScope scope(*fn, "bwd");
        TensorList g = fn->bwd(x.subspan(0, n_res), x.subspan(n_res));
        return g;
      };
      const std::vector<int64_t> in_dims = batch.in_dims;
      auto out_dim = [&in_dims](std::size_t i) {
        return i < in_dims.size() && in_dims[i] >= 0 ? in_dims[i] : 0;
      };
      TensorList g = map_flat(body, leaves, dims, out_dim, batch);
      check_custom_count(*fn, "bwd", "cotangents", g.size(), n_in);
      for (std::size_t i = 0; i < n_in; ++i) {
        // An input the same for every example gets the sum of the
        // examples' cotangents.
        if (g[i].defined() && batch.in_dims[i] < 0) g[i] = sum(g[i], {0});
      }
      return g;
    };
  }
  if (fn->has_jvp()) {
    b->jvp = [fn, batch](std::span<const Tensor> primals,
                         std::span<const Tensor> tangents) {
      std::vector<Tensor> leaves(primals.begin(), primals.end());
      leaves.insert(leaves.end(), tangents.begin(), tangents.end());
      std::vector<int64_t> dims = batch.in_dims;
      dims.insert(dims.end(), batch.in_dims.begin(), batch.in_dims.end());
      const std::size_t n = primals.size();
      auto num_outputs = std::make_shared<std::size_t>(0);
      const FlatBody body = [fn, n, num_outputs](std::span<const Tensor> x) {
        CustomCallScope scope(*fn, "jvp");
        auto [outs, touts] = fn->jvp(x.subspan(0, n), x.subspan(n));
        check_custom_count(*fn, "jvp", "output tangents", touts.size(),
                           outs.size());
        *num_outputs = outs.size();
        outs.insert(outs.end(), touts.begin(), touts.end());
        return outs;
      };
      TensorList all = map_flat(body, leaves, dims, at_zero, batch);
      TensorList touts(all.begin() + static_cast<int64_t>(*num_outputs),
                       all.end());
      all.resize(*num_outputs);
      return std::make_pair(std::move(all), std::move(touts));
    };
  }
  return b;
}

std::vector<BatchedValue> custom_call_rule(const BatchContext& ctx,
                                           const OpCall& call,
                                           std::span<const BatchedValue> args) {
  Batch batch;
  batch.size = ctx.batch_size;
  batch.randomness = ctx.randomness;
  std::vector<Tensor> physical;
  physical.reserve(args.size());
  for (const BatchedValue& a : args) {
    physical.push_back(a.value);
    batch.in_dims.push_back(a.batched() ? a.bdim : -1);
  }
  const TensorList outs =
      custom_call(batched(call.attr<CustomAttrs>().fn, batch), physical);
  std::vector<BatchedValue> result;
  result.reserve(outs.size());
  for (const Tensor& o : outs) result.push_back({o, o.defined() ? 0 : -1});
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("vmap") {
  add_higher_order_rule(r, Prim::CustomCall, &custom_call_rule);
}

}  // namespace fnx::vmap_internal
