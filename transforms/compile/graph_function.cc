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
#include "core/generator.h"
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

  // Reverse mode, partitioned as AOTAutograd does: the forward graph
  // returns the outputs and the residuals (the values the backward reads),
  // so the forward runs once per grad call. Residuals handed to grad: the
  // inputs (they decide which are differentiated), then those values.
  std::pair<TensorList, TensorList> forward(std::span<const Tensor> inputs) {
    const std::vector<char> in_mask = input_mask(inputs);
    const VjpPartition& part = partition(in_mask, inputs);
    TensorList both = (*part.forward)(inputs);
    const std::size_t n_out = exe_->graph->outputs.size();
    TensorList out(both.begin(), both.begin() + n_out);
    TensorList residuals(inputs.begin(), inputs.end());
    residuals.insert(residuals.end(), both.begin() + n_out, both.end());
    return {std::move(out), std::move(residuals)};
  }

  TensorList bwd(std::span<const Tensor> residuals,
                 std::span<const Tensor> cotangents) {
    const Graph& g = *exe_->graph;
    const std::size_t n_in = g.inputs.size();
    const std::span<const Tensor> inputs = residuals.subspan(0, n_in);
    const std::vector<char> in_mask = input_mask(inputs);
    const VjpPartition& part = partition(in_mask, inputs);
    TensorList leaves(residuals.begin() + n_in, residuals.end());
    for (std::size_t k = 0; k < cotangents.size(); ++k) {
      if (!part.out_mask[k]) continue;
      const Graph::Value& v = g.values[g.outputs[k]];
      leaves.push_back(cotangents[k].defined()
                           ? cotangents[k]
                           : zeros(v.shape, v.dtype, v.device));
    }
    const TensorList grads = (*part.backward)(leaves);
    TensorList all(n_in);
    std::size_t k = 0;
    for (std::size_t i = 0; i < n_in; ++i) {
      if (in_mask[i]) all[i] = grads[k++];
    }
    return all;
  }

 private:
  using RuleMap = std::map<std::string, std::unique_ptr<FlatCompiled>>;

  // The vjp rule's two compiled graphs for one set of differentiated
  // inputs: forward (inputs -> outputs, residuals) and backward
  // (residuals, cotangents of the float outputs -> cotangents of the
  // differentiated inputs).
  struct VjpPartition {
    std::vector<char> out_mask;
    std::unique_ptr<FlatCompiled> forward, backward;
  };

  static std::vector<char> input_mask(std::span<const Tensor> inputs) {
    std::vector<char> mask;
    for (const Tensor& t : inputs) mask.push_back(differentiable(t));
    return mask;
  }

  const VjpPartition& partition(const std::vector<char>& in_mask,
                                std::span<const Tensor> inputs) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = partitions_[mask_key(in_mask)];
    if (slot == nullptr) slot = make_partition(in_mask, inputs);
    return *slot;
  }

  // Traces the joint function (inputs, cotangents) -> (outputs, input
  // cotangents) once, on the call's inputs (zeros of the graph's types for
  // those a transform wraps: the graph is the same, and plain values keep
  // checks such as a Cholesky's on meaningful data) and zero cotangents
  // (the backward is linear in them), and splits it where
  // the cotangents enter: nodes reading nothing derived from a cotangent
  // form the forward graph; forward values the other nodes read (and
  // cotangents that need no cotangent, such as zeros) are the residuals.
  std::unique_ptr<VjpPartition> make_partition(const std::vector<char>& in_mask,
                                               std::span<const Tensor> inputs) {
    const Graph& g = *exe_->graph;
    auto part = std::make_unique<VjpPartition>();
    TensorList example;
    for (std::size_t i = 0; i < g.inputs.size(); ++i) {
      const int32_t v = g.inputs[i];
      if (v < 0) {
        example.emplace_back();
      } else if (inputs[i].defined() && !inputs[i].is_wrapper()) {
        example.push_back(inputs[i]);
      } else {
        example.push_back(
            zeros(g.values[v].shape, g.values[v].dtype, g.values[v].device));
      }
    }
    for (int32_t v : g.outputs) {
      const bool d = v >= 0 && is_floating(g.values[v].dtype);
      part->out_mask.push_back(d);
      if (d) {
        example.push_back(
            zeros(g.values[v].shape, g.values[v].dtype, g.values[v].device));
      }
    }
    const std::size_t n_in = g.inputs.size();
    const std::size_t n_out = g.outputs.size();
    const std::vector<char> out_mask = part->out_mask;
    const FlatFn joint = [exe = exe_, in_mask,
                          out_mask](std::span<const Tensor> x) {
      return joint_graph(*exe, x, in_mask, out_mask);
    };
    // Tracing runs the joint function once: its random nodes take keys
    // from a log rather than the default generator, so that making the
    // rule draws nothing (the forward graph draws when it runs, as eager).
    RandomKeyLog keys;
    keys.replaying = true;
    for (const Graph::Node& node : g.nodes) {
      if (prim_info(node.prim).family == PrimFamily::Random) {
        const auto n = static_cast<uint64_t>(
            numel(std::get<RandomAttrs>(node.attrs).shape));
        keys.entries.push_back({Generator::Key{0, 0}, n});
      }
    }
    Traced traced = [&] {
      RandomKeyScope scope(keys);
      return trace(joint, example, name_ + " (joint vjp)");
    }();
    Graph& j = *traced.graph;
    optimize(j);
    // Values derived from a cotangent.
    std::vector<char> from_ct(j.values.size(), 0);
    for (std::size_t k = n_in; k < j.inputs.size(); ++k) {
      if (j.inputs[k] >= 0) from_ct[j.inputs[k]] = 1;
    }
    std::vector<char> is_constant(j.values.size(), 0);
    for (const Graph::Constant& c : j.constants) is_constant[c.value] = 1;
    Graph fwd = j, bwd = j;
    fwd.nodes.clear();
    bwd.nodes.clear();
    std::vector<int32_t> residuals;
    std::vector<char> is_residual(j.values.size(), 0);
    const auto keep = [&](int32_t v) {
      if (v < 0 || from_ct[v] || is_constant[v] || is_residual[v]) return;
      is_residual[v] = 1;
      residuals.push_back(v);
    };
    for (const Graph::Node& node : j.nodes) {
      bool backward = false;
      for (int32_t v : node.inputs)
        backward = backward || (v >= 0 && from_ct[v]);
      if (!backward) {
        fwd.nodes.push_back(node);
        continue;
      }
      for (int32_t v : node.outputs) {
        if (v >= 0) from_ct[v] = 1;
      }
      for (int32_t v : node.inputs) keep(v);
      bwd.nodes.push_back(node);
    }
    for (std::size_t k = n_out; k < j.outputs.size(); ++k) keep(j.outputs[k]);
    fwd.inputs.assign(j.inputs.begin(), j.inputs.begin() + n_in);
    fwd.outputs.assign(j.outputs.begin(), j.outputs.begin() + n_out);
    fwd.outputs.insert(fwd.outputs.end(), residuals.begin(), residuals.end());
    bwd.inputs = residuals;
    bwd.inputs.insert(bwd.inputs.end(), j.inputs.begin() + n_in,
                      j.inputs.end());
    bwd.outputs.assign(j.outputs.begin() + n_out, j.outputs.end());
    part->forward = compiled_graph(std::move(fwd), "vjp forward");
    part->backward = compiled_graph(std::move(bwd), "vjp backward");
    return part;
  }

  // A graph as a compiled function (traced again when called, so it is
  // optimized and fused, and gets its own rules: grad of grad).
  std::unique_ptr<FlatCompiled> compiled_graph(Graph graph, const char* what) {
    eliminate_dead_code(graph);
    renumber(graph);
    auto exe = make_executable(std::make_shared<Graph>(std::move(graph)));
    return std::make_unique<FlatCompiled>(
        FlatFn([exe](std::span<const Tensor> x) { return run_graph(*exe, x); }),
        str_cat(what, "(", name_, ")"));
  }

  // x: every input, then the cotangents of the float outputs; returns every
  // output, then the cotangents of the masked inputs. The forward runs
  // once, inside the vjp (the int and bool outputs as its aux).
  static TensorList joint_graph(const Executable& exe,
                                std::span<const Tensor> x,
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
      std::vector<Tensor> kept, other;
      for (std::size_t j = 0; j < outs.size(); ++j) {
        (out_mask[j] ? kept : other).push_back(outs[j]);
      }
      return std::pair{kept, other};
    };
    auto [kept, pullback, other] =
        fnx::vjp(f, VjpOptions{.has_aux = true}, primals);
    std::vector<Tensor> cts(x.begin() + n, x.end());
    auto [grads] = pullback(cts);
    TensorList result;
    std::size_t a = 0, b = 0;
    for (char m : out_mask) result.push_back(m ? kept[a++] : other[b++]);
    for (std::size_t k = 0; k < grads.size(); ++k) {
      result.push_back(grads[k].defined() ? grads[k] : zeros_like(primals[k]));
    }
    return result;
  }

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

  std::shared_ptr<const Executable> exe_;
  std::string name_;
  std::mutex mutex_;
  RuleMap vmap_rules_, jvp_rules_;
  std::map<std::string, std::unique_ptr<VjpPartition>> partitions_;
};

}  // namespace

std::shared_ptr<const CustomFunction> graph_function(
    std::shared_ptr<const Executable> exe, const std::string& name) {
  auto fn = std::make_shared<CustomFunction>();
  fn->name = name;
  fn->fwd = [exe](std::span<const Tensor> inputs) {
    return run_graph(*exe, inputs);
  };
  auto rules = std::make_shared<GraphRules>(exe, name);
  // A graph with random nodes draws new numbers on every run. The jvp rule
  // runs it once per call (tangents alongside), and the vjp rule's forward
  // graph runs it once and saves what the backward needs (the dropout
  // mask), so both draw as eager does: fresh numbers per call, eager's for
  // the same seed. A vmap rule would have to know the caller's randomness
  // option, which custom_call does not pass: vmap goes through fwd, mapped
  // under that option.
  if (!has_random_nodes(*exe->graph)) {
    fn->vmap = [rules](int64_t size, std::span<const int64_t> in_dims,
                       std::span<const Tensor> inputs) {
      return rules->vmap(size, in_dims, inputs);
    };
  }
  fn->jvp = [rules](std::span<const Tensor> p, std::span<const Tensor> t) {
    return rules->jvp(p, t);
  };
  fn->fwd_with_residuals = [rules](std::span<const Tensor> inputs) {
    return rules->forward(inputs);
  };
  fn->bwd = [rules](std::span<const Tensor> res, std::span<const Tensor> ct) {
    return rules->bwd(res, ct);
  };
  return fn;
}

}  // namespace fnx::compile_internal
