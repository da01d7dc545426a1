// The compiled call: a custom_call whose fwd runs the graph and whose
// rules are compiled too. Under vmap, jvp or grad the rule of each
// transform for custom_call asks for the custom function's vmap, jvp or bwd
// rule; each is a flat compiled function (traced once per signature) of the
// transform applied to the graph, so vmap(compile(f)), jvp(compile(f)),
// grad(compile(f)) and their nestings run graphs, not the eager ops.
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "core/dtype.h"
#include "core/ops/ops.h"
#include "core/str_cat.h"
#include "transforms/compile/compile_internal.h"
#include "transforms/grad/grad.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap_entry.h"

namespace fnx::compile_internal {
namespace {

bool differentiable(const Tensor& t) {
  return t.defined() && is_floating(t.dtype());
}

bool has_random_nodes(const Graph& g) {
  for (const Graph::Node& node : g.nodes) {
    if (prim_info(node.prim).family == PrimFamily::Random) return true;
  }
  return false;
}

// The rules of one graph, each a compiled function made on first use.
class GraphRules {
 public:
  GraphRules(std::shared_ptr<const Executable> exe, std::string name)
      : exe_(std::move(exe)), name_(std::move(name)) {}

  // vmap over the graph with the inputs batched at `in_dims` (-1: not),
  // every output batched at 0.
  std::pair<TensorList, std::vector<int64_t>> vmap(
      int64_t size, std::span<const int64_t> in_dims,
      std::span<const Tensor> inputs) {
    std::vector<int64_t> dims(in_dims.begin(), in_dims.end());
    std::string key = str_cat(size, ":");
    for (int64_t d : dims) key += str_cat(d, ",");
    const FlatCompiled& f = rule(
        vmap_rules_, key,
        [&] {
          return FlatFn([exe = exe_, dims, size](std::span<const Tensor> x) {
            return map_graph(*exe, x, dims, size);
          });
        },
        "vmap");
    TensorList out = f(inputs);
    std::vector<int64_t> out_dims(out.size(), 0);
    return {std::move(out), std::move(out_dims)};
  }

  // Forward mode through the graph in the float inputs (the others are
  // constants of the rule); the tangents of the others are ignored.
  std::pair<TensorList, TensorList> jvp(std::span<const Tensor> primals,
                                        std::span<const Tensor> tangents) {
    std::vector<char> mask;
    for (const Tensor& p : primals) mask.push_back(differentiable(p));
    const FlatCompiled& f = rule(
        jvp_rules_, mask_key(mask),
        [&] {
          return FlatFn([exe = exe_, mask](std::span<const Tensor> x) {
            return jvp_graph(*exe, x, mask);
          });
        },
        "jvp");
    TensorList leaves(primals.begin(), primals.end());
    for (std::size_t i = 0; i < tangents.size(); ++i) {
      if (mask[i]) leaves.push_back(tangents[i]);
    }
    TensorList both = f(leaves);
    const std::size_t n = exe_->graph->outputs.size();
    TensorList out(both.begin(), both.begin() + n);
    TensorList tout(both.begin() + n, both.end());
    return {std::move(out), std::move(tout)};
  }

  // Reverse mode: residuals are the inputs followed by the outputs; the
  // forward is recomputed inside the compiled backward.
  TensorList bwd(std::span<const Tensor> residuals,
                 std::span<const Tensor> cotangents) {
    const std::size_t n_in = exe_->graph->inputs.size();
    std::span<const Tensor> inputs = residuals.subspan(0, n_in);
    std::span<const Tensor> outputs = residuals.subspan(n_in);
    std::vector<char> in_mask, out_mask;
    for (const Tensor& t : inputs) in_mask.push_back(differentiable(t));
    for (const Tensor& t : outputs) out_mask.push_back(differentiable(t));
    const FlatCompiled& f = rule(
        bwd_rules_, mask_key(in_mask) + "/" + mask_key(out_mask),
        [&] {
          return FlatFn(
              [exe = exe_, in_mask, out_mask](std::span<const Tensor> x) {
                return vjp_graph(*exe, x, in_mask, out_mask);
              });
        },
        "vjp");
    TensorList leaves(inputs.begin(), inputs.end());
    for (std::size_t k = 0; k < cotangents.size(); ++k) {
      if (!out_mask[k]) continue;
      leaves.push_back(cotangents[k].defined() ? cotangents[k]
                                               : zeros_like(outputs[k]));
    }
    const TensorList grads = f(leaves);
    TensorList all(n_in);
    std::size_t g = 0;
    for (std::size_t i = 0; i < n_in; ++i) {
      if (in_mask[i]) all[i] = grads[g++];
    }
    return all;
  }

 private:
  using RuleMap = std::map<std::string, std::unique_ptr<FlatCompiled>>;

  template <typename Make>
  const FlatCompiled& rule(RuleMap& rules, const std::string& key, Make make,
                           const char* what) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = rules[key];
    if (slot == nullptr) {
      slot = std::make_unique<FlatCompiled>(make(),
                                            str_cat(what, "(", name_, ")"));
    }
    return *slot;
  }

  static std::string mask_key(const std::vector<char>& mask) {
    std::string key;
    for (char m : mask) key += m ? '1' : '0';
    return key;
  }

  static TensorList map_graph(const Executable& exe,
                              std::span<const Tensor> inputs,
                              const std::vector<int64_t>& dims, int64_t size) {
    vmap_detail::Inputs in;
    in.leaves.assign(inputs.begin(), inputs.end());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      in.dims.push_back(dims[i] < 0 ? vmap_detail::kNoDim : dims[i]);
      in.arg_of_leaf.push_back(static_cast<int>(i));
    }
    VmapOptions options;
    options.axis_size = size;
    auto run = [&](std::span<const Tensor> leaves, vmap_detail::Outputs& out) {
      out.leaves = run_graph(exe, leaves);
      out.dims.assign(out.leaves.size(), 0);
    };
    return vmap_detail::entry().run(in, options, vmap_detail::BodyRef::of(run));
  }

  // x: every input, then the tangents of the masked ones.
  static TensorList jvp_graph(const Executable& exe, std::span<const Tensor> x,
                              const std::vector<char>& mask) {
    const std::size_t n = mask.size();
    std::vector<Tensor> primals, tangents;
    std::size_t t = n;
    for (std::size_t i = 0; i < n; ++i) {
      if (mask[i]) {
        primals.push_back(x[i]);
        tangents.push_back(x[t++]);
      }
    }
    auto f = [&](const std::vector<Tensor>& p) {
      std::vector<Tensor> all(x.begin(), x.begin() + n);
      std::size_t k = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if (mask[i]) all[i] = p[k++];
      }
      return run_graph(exe, all);
    };
    auto [out, tout] = fnx::jvp(f, primals, tangents);
    for (std::size_t k = 0; k < out.size(); ++k) {
      if (out[k].defined() && !tout[k].defined()) tout[k] = zeros_like(out[k]);
    }
    out.insert(out.end(), tout.begin(), tout.end());
    return out;
  }

  // x: every input, then the cotangents of the masked outputs; returns the
  // cotangents of the masked inputs.
  static TensorList vjp_graph(const Executable& exe, std::span<const Tensor> x,
                              const std::vector<char>& in_mask,
                              const std::vector<char>& out_mask) {
    const std::size_t n = in_mask.size();
    std::vector<Tensor> primals;
    for (std::size_t i = 0; i < n; ++i) {
      if (in_mask[i]) primals.push_back(x[i]);
    }
    auto f = [&](const std::vector<Tensor>& p) {
      std::vector<Tensor> all(x.begin(), x.begin() + n);
      std::size_t k = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if (in_mask[i]) all[i] = p[k++];
      }
      const TensorList outs = run_graph(exe, all);
      std::vector<Tensor> kept;
      for (std::size_t j = 0; j < outs.size(); ++j) {
        if (out_mask[j]) kept.push_back(outs[j]);
      }
      return kept;
    };
    auto [out, pullback] = fnx::vjp(f, primals);
    std::vector<Tensor> cts(x.begin() + n, x.end());
    auto [grads] = pullback(cts);
    for (std::size_t k = 0; k < grads.size(); ++k) {
      if (!grads[k].defined()) grads[k] = zeros_like(primals[k]);
    }
    return grads;
  }

  std::shared_ptr<const Executable> exe_;
  std::string name_;
  std::mutex mutex_;
  RuleMap vmap_rules_, jvp_rules_, bwd_rules_;
};

}  // namespace

std::shared_ptr<const CustomFunction> graph_function(
    std::shared_ptr<const Executable> exe, const std::string& name) {
  auto fn = std::make_shared<CustomFunction>();
  fn->name = name;
  fn->fwd = [exe](std::span<const Tensor> inputs) {
    return run_graph(*exe, inputs);
  };
  // A graph with random nodes draws new numbers on every run, so no rule
  // may run it a second time (a recomputing backward, a transposed jvp):
  // it gets no rules, and each transform goes through fwd (grad records
  // the one run; vmap maps it under the caller's randomness option).
  if (has_random_nodes(*exe->graph)) return fn;
  auto rules = std::make_shared<GraphRules>(exe, name);
  fn->vmap = [rules](int64_t size, std::span<const int64_t> in_dims,
                     std::span<const Tensor> inputs) {
    return rules->vmap(size, in_dims, inputs);
  };
  fn->jvp = [rules](std::span<const Tensor> p, std::span<const Tensor> t) {
    return rules->jvp(p, t);
  };
  fn->bwd = [rules](std::span<const Tensor> res, std::span<const Tensor> ct) {
    return rules->bwd(res, ct);
  };
  return fn;
}

}  // namespace fnx::compile_internal
