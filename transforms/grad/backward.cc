#include "transforms/grad/backward.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "transforms/grad/rule_helpers.h"
#include "transforms/grad/vjp_rule.h"

namespace fnx::grad_internal {
namespace {

void accumulate(Tensor& acc, const Tensor& g) {
  acc = acc.defined() ? add(acc, g) : g;
}

// The cotangent arriving at one node. Cotangents of unit-step slices of it
// (the steps of an unrolled RNN, unbind, chunk, split) are kept apart
// until the node comes up: disjoint slices along one dim are then joined
// by a single cat with zero gaps, one pass over the result, where padding
// each slice to the full shape and adding them would pass over it once per
// slice (quadratic in the number of steps).
class Cotangent {
 public:
  void add(const Tensor& g) { accumulate(dense_, g); }

  void add_slice(const SliceAttrs& a, const Shape& full, const Tensor& g) {
    slices_.push_back({a.dim, a.start, g});
    full_ = full;
  }

  bool defined() const { return dense_.defined() || !slices_.empty(); }

  Tensor take() {
    Tensor out = join_slices();
    if (dense_.defined()) out = out.defined() ? fnx::add(out, dense_) : dense_;
    dense_ = Tensor();
    slices_.clear();
    return out;
  }

 private:
  struct Piece {
    int64_t dim, start;
    Tensor g;
  };

  Tensor join_slices() {
    if (slices_.empty()) return Tensor();
    std::stable_sort(
        slices_.begin(), slices_.end(),
        [](const Piece& x, const Piece& y) { return x.start < y.start; });
    const int64_t dim = slices_[0].dim;
    bool disjoint = true;
    int64_t end = 0;
    for (const Piece& p : slices_) {
      disjoint = disjoint && p.dim == dim && p.start >= end;
      end = p.start + p.g.shape()[dim];
    }
    if (!disjoint) {  // overlapping slices: pad each and add
      Tensor out;
      for (const Piece& p : slices_) {
        const int64_t n = p.g.shape()[p.dim];
        accumulate(out,
                   pad_dim(p.g, p.dim, p.start, full_[p.dim] - p.start - n));
      }
      return out;
    }
    std::vector<Tensor> parts;
    parts.reserve(slices_.size());
    int64_t at = 0;
    for (std::size_t i = 0; i < slices_.size(); ++i) {
      const Piece& p = slices_[i];
      const int64_t n = p.g.shape()[dim];
      const int64_t after =
          i + 1 == slices_.size() ? full_[dim] - p.start - n : 0;
      parts.push_back(pad_dim(p.g, dim, p.start - at, after));
      at = p.start + n;
    }
    return parts.size() == 1 ? parts[0] : cat(parts, dim);
  }

  Tensor dense_;
  std::vector<Piece> slices_;
  Shape full_;
};

// Whether the node is a unit-step slice whose cotangent can be handed to
// its input's Cotangent as a slice.
bool deferrable_slice(const Node& n, const Tensor& g) {
  if (n.prim != Prim::Slice || !n.parents[0]) return false;
  const auto& a = std::get<SliceAttrs>(n.attrs);
  return a.step == 1 && g.shape()[a.dim] > 0;
}

// Every node reachable from the roots, latest first: a node is recorded
// after its inputs, so all of its cotangent has arrived when it comes up.
std::vector<Node*> reverse_topological(
    std::span<const std::shared_ptr<Node>> roots) {
  std::vector<Node*> order;
  std::vector<Node*> stack;
  std::unordered_map<const Node*, bool> seen;
  for (const auto& r : roots) {
    if (r && seen.emplace(r.get(), true).second) stack.push_back(r.get());
  }
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    order.push_back(n);
    for (const auto& p : n->parents) {
      if (p && seen.emplace(p.get(), true).second) stack.push_back(p.get());
    }
  }
  std::sort(order.begin(), order.end(),
            [](const Node* a, const Node* b) { return a->seq > b->seq; });
  return order;
}

// A rule that returns the wrong shape or dtype is a bug in the plugin:
// stop here with the primitive's name rather than fail somewhere later.
void check_cotangent(const Node& n, std::size_t i, const Tensor& g) {
  const TensorMeta& meta = n.inputs[i];
  if (g.shape() == meta.shape && g.dtype() == meta.dtype) return;
  fail("grad", "internal error: the VJP rule of ", prim_name(n.prim),
       " gave input ", i, " a cotangent of shape ", shape_str(g.shape()), " ",
       dtype_name(g.dtype()), " for an input of shape ", shape_str(meta.shape),
       " ", dtype_name(meta.dtype), "; please report this bug");
}

// A multi-output call's backward, once every output's cotangent is in.
void run_multi_output(
    const Node& n,
    std::unordered_map<std::size_t, std::vector<Tensor>>& call_cts,
    std::size_t k, std::vector<Cotangent>& grads,
    const std::unordered_map<const Node*, std::size_t>& slot) {
  const auto it = call_cts.find(k);
  if (it == call_cts.end()) return;  // no output got a cotangent
  std::vector<Tensor> cts = std::move(it->second);
  call_cts.erase(it);
  cts.resize(n.multi->num_outputs);
  const std::vector<Tensor> in_grads = n.multi->apply(cts);
  for (std::size_t i = 0; i < n.parents.size() && i < in_grads.size(); ++i) {
    if (!n.parents[i] || !in_grads[i].defined()) continue;
    check_cotangent(n, i, in_grads[i]);
    grads[slot.at(n.parents[i].get())].add(in_grads[i]);
  }
}

}  // namespace

std::vector<Tensor> backward(std::span<const std::shared_ptr<Node>> roots,
                             std::span<const Tensor> cotangents,
                             std::size_t num_leaves,
                             const LeafFinal* on_final) {
  const std::vector<Node*> order = reverse_topological(roots);
  std::unordered_map<const Node*, std::size_t> slot;
  slot.reserve(order.size());
  for (std::size_t k = 0; k < order.size(); ++k) slot[order[k]] = k;
  // With on_final: the slots of the leaves each node is the last to feed
  // (the leaf's earliest consumer in the forward pass, processed last).
  std::vector<std::vector<std::size_t>> finals;
  if (on_final != nullptr) {
    finals.resize(order.size());
    std::unordered_map<const Node*, std::size_t> last_consumer;
    for (std::size_t k = 0; k < order.size(); ++k) {
      for (const auto& p : order[k]->parents) {
        if (p && p->is_leaf()) last_consumer[p.get()] = k;
      }
    }
    for (const auto& [leaf, k] : last_consumer) {
      finals[k].push_back(slot.at(leaf));
    }
  }

  std::vector<Cotangent> grads(order.size());
  for (std::size_t i = 0; i < roots.size(); ++i) {
    if (roots[i] && cotangents[i].defined()) {
      grads[slot.at(roots[i].get())].add(cotangents[i]);
    }
  }
  std::vector<Tensor> leaf_grads(num_leaves);
  absl::InlinedVector<Tensor, 4> in_grads;
  absl::InlinedVector<char, 4> needs;
  // Cotangents of the outputs of multi-output calls, by the call's slot.
  std::unordered_map<std::size_t, std::vector<Tensor>> call_cts;
  // A leaf whose gradient is final: moved to leaf_grads and reported (its
  // own node then finds nothing left to add).
  auto report_finals = [&](std::size_t k) {
    if (on_final == nullptr) return;
    for (std::size_t leaf_slot : finals[k]) {
      const Node& leaf = *order[leaf_slot];
      const auto index = static_cast<std::size_t>(leaf.leaf_index);
      if (grads[leaf_slot].defined()) {
        accumulate(leaf_grads.at(index), grads[leaf_slot].take());
      }
      (*on_final)(index, leaf_grads.at(index));
    }
  };
  for (std::size_t k = 0; k < order.size(); report_finals(k), ++k) {
    const Node& n = *order[k];
    if (n.multi != nullptr) {
      run_multi_output(n, call_cts, k, grads, slot);
      continue;
    }
    if (!grads[k].defined()) continue;
    const Tensor g = grads[k].take();  // released as soon as it is used
    if (n.output_index >= 0) {         // an output of a multi-output call
      const Node& call = *n.parents[0];
      std::vector<Tensor>& cts = call_cts[slot.at(&call)];
      cts.resize(call.multi->num_outputs);
      accumulate(cts.at(static_cast<std::size_t>(n.output_index)), g);
      continue;
    }
    if (n.is_leaf()) {
      accumulate(leaf_grads.at(static_cast<std::size_t>(n.leaf_index)), g);
      continue;
    }
    if (deferrable_slice(n, g)) {
      grads[slot.at(n.parents[0].get())].add_slice(
          std::get<SliceAttrs>(n.attrs), n.inputs[0].shape, g);
      continue;
    }
    for (const SavedTensor& s : n.saved_inputs) s.check(n.prim);
    n.saved_output.check(n.prim);
    const std::size_t arity = n.parents.size();
    in_grads.assign(arity, Tensor());
    needs.assign(arity, 0);
    for (std::size_t i = 0; i < arity; ++i) needs[i] = n.parents[i] != nullptr;
    const VjpArgs args{n.prim,   n.attrs,  n.saved_inputs, n.saved_output.value,
                       n.inputs, n.output, needs,          n.views.get()};
    n.rule->fn(args, g, std::span<Tensor>(in_grads));
    for (std::size_t i = 0; i < arity; ++i) {
      if (!n.parents[i] || !in_grads[i].defined()) continue;
      check_cotangent(n, i, in_grads[i]);
      grads[slot.at(n.parents[i].get())].add(in_grads[i]);
    }
  }
  return leaf_grads;
}

}  // namespace fnx::grad_internal
