#include "transforms/grad/grad_interpreter.h"

#include <algorithm>
#include <string>

#include "absl/container/inlined_vector.h"
#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "transforms/grad/grad_mode.h"

namespace fnx::grad_internal {

const Storage* storage_of(const Tensor& t) { return memory_of(t).get(); }

GradInterpreter::GradInterpreter(std::string_view caller, bool outer_mode)
    : Interpreter("grad"),
      caller_(caller),
      outer_mode_(outer_mode),
      table_(Registry::get().table_id(kVjpTable)) {}

std::shared_ptr<Node> GradInterpreter::new_node(const VjpRule* rule, Prim prim,
                                                const Attrs& attrs) {
  auto node = std::make_shared<Node>();
  node->seq = next_seq_++;
  node->rule = rule;
  node->prim = prim;
  node->attrs = attrs;
  return node;
}

void GradInterpreter::attach(const std::shared_ptr<Node>& node,
                             const Tensor& carrier) const {
  const Tensor& inner = carrier.impl()->wrapper->inner;
  node->output = TensorMeta::of(inner);
  node->storage = storage_of(inner);
  node->version = node->storage ? node->storage->version() : 0;
  node->carrier = carrier.impl_ptr();
  carrier.impl()->wrapper->payload = node;
}

Tensor GradInterpreter::track_leaf(const Tensor& primal, int index) {
  auto node = new_node(nullptr, Prim::Neg, NoAttrs{});
  node->leaf_index = index;
  if (const Storage* s = storage_of(primal)) leaf_storage_.push_back(s);
  Tensor wrapper = make_wrapper(primal, primal.shape(), primal.dtype(), node);
  attach(node, wrapper);
  return wrapper;
}

std::shared_ptr<Node> GradInterpreter::node_of(const Tensor& t) const {
  if (!owns(t)) return nullptr;
  return std::static_pointer_cast<Node>(t.impl()->wrapper->payload);
}

Tensor GradInterpreter::concrete(const Tensor& wrapper, std::string_view what) {
  return unwrap(wrapper).concrete(what);
}

bool is_view_prim(Prim p) { return prim_info(p).family == PrimFamily::View; }

namespace {

// The views from the base over `memory` down to the value of `node`, and
// the base's node: view primitives, and the views a write-through node
// (kViewOfRule) records.
struct ViewPath {
  ViewChain chain;
  std::shared_ptr<Node> base;
};

ViewPath view_path(const std::shared_ptr<Node>& node, const Storage* memory) {
  ViewPath path{{}, node};
  for (;;) {
    const Node* n = path.base.get();
    if (n == nullptr || n->is_leaf() || !n->parents[0] ||
        n->parents[0]->storage != memory) {
      break;
    }
    if (n->rule == &kViewOfRule && n->views != nullptr) {
      path.chain.insert(path.chain.begin(), n->views->begin(), n->views->end());
    } else if (is_view_prim(n->prim)) {
      path.chain.insert(path.chain.begin(),
                        ViewStep{n->prim, n->attrs, n->inputs[0], n->output});
    } else {
      break;
    }
    path.base = n->parents[0];
  }
  return path;
}

}  // namespace

std::shared_ptr<Node> GradInterpreter::current_node(const Tensor& t) {
  std::shared_ptr<Node> node = node_of(t);
  if (node == nullptr || node->storage == nullptr ||
      node->storage->version() == node->version) {
    return node;
  }
  return rebase_view(t, node);
}

// A view taken before its base was written (y0 = y[0]; y.copy_(...)): its
// value already shows the write (it is a view of the same memory), and its
// history becomes the base's current history seen through the same views,
// as the write-through path does for the view it writes.
std::shared_ptr<Node> GradInterpreter::rebase_view(
    const Tensor& t, const std::shared_ptr<Node>& stale) {
  const Storage* memory = stale->storage;
  ViewPath path = view_path(stale, memory);
  if (path.chain.empty()) fail_stale(t);
  // The base's current history: the last whole-base history a write made
  // (its handle may be gone), else what its handle carries now.
  std::shared_ptr<Node> now;
  if (auto it = written_bases_.find(memory); it != written_bases_.end()) {
    now = it->second;
  } else if (auto carrier = path.base->carrier.lock()) {
    now = node_of(Tensor(carrier));
  }
  if (now == nullptr || now->storage != memory ||
      now->version != memory->version() ||
      now->output.shape != path.base->output.shape) {
    fail_stale(t);
  }
  auto view = new_node(&kViewOfRule, Prim::CopyInto, stale->attrs);
  view->parents = {now};
  view->inputs = {now->output};
  view->saved_inputs.resize(1);
  view->views = std::make_shared<const ViewChain>(std::move(path.chain));
  attach(view, t);
  return view;
}

// A tracked value whose memory was written by something this level did not
// see (a captured alias of an input, a view whose base is gone) would
// differentiate as its old value: refuse to use it.
void GradInterpreter::fail_stale(const Tensor& input) const {
  fail(caller_, "a tracked tensor of shape ", shape_str(input.shape()),
       " was modified in place after it was computed, by a write that ",
       caller_,
       " could not follow (through another view of the same memory, or "
       "through a captured tensor that aliases an input). Take views again "
       "after writing, and do not write into captured tensors inside the "
       "function");
}

Tensor GradInterpreter::process(const OpCall& call) {
  const auto* rule =
      static_cast<const VjpRule*>(Registry::get().rule(table_, call.prim));
  if (rule == nullptr) {
    fail(caller_, "no VJP rule for the primitive ", call.name(),
         "; the grad plugin registers one for every primitive, so this "
         "plugin build is older than the core (rebuild //transforms/grad)");
  }
  // Whether f records here; the levels below run under the mode the
  // transform was called in.
  const bool recording = grad_enabled();
  GradModeScope below(outer_mode_);
  const std::size_t n = call.inputs.size();
  absl::InlinedVector<Tensor, 4> inner(n);
  absl::InlinedVector<std::shared_ptr<Node>, 4> parents(n);
  for (std::size_t i = 0; i < n; ++i) {
    parents[i] = current_node(call.inputs[i]);
    if (parents[i]) {
      inner[i] = unwrap(call.inputs[i]);
    } else {
      inner[i] = call.inputs[i];
    }
  }
  if (call.prim == Prim::CopyInto) {
    return copy_into(call, recording, inner, parents[0], parents[1]);
  }
  Tensor out = dispatch(call.prim, call.attrs, std::span<const Tensor>(inner));
  if (!recording || !rule->differentiable) return out;
  return record(call, *rule, inner, parents, std::move(out));
}

Tensor GradInterpreter::record(const OpCall& call, const VjpRule& rule,
                               std::span<const Tensor> inner,
                               std::span<std::shared_ptr<Node>> parents,
                               Tensor out) {
  if (!is_floating(out.dtype())) return out;
  bool tracked = false;
  for (std::size_t i = 0; i < parents.size(); ++i) {
    // Integer and bool inputs (indices, masks) never get a cotangent.
    if (parents[i] && !is_floating(inner[i].dtype())) parents[i] = nullptr;
    tracked |= parents[i] != nullptr;
  }
  if (!tracked) return out;
  auto node = new_node(&rule, call.prim, call.attrs);
  node->parents.assign(parents.begin(), parents.end());
  node->inputs.reserve(inner.size());
  node->saved_inputs.resize(inner.size());
  for (std::size_t i = 0; i < inner.size(); ++i) {
    node->inputs.push_back(TensorMeta::of(inner[i]));
    if (i < 32 && ((rule.save_inputs >> i) & 1)) {
      node->saved_inputs[i] = SavedTensor::save(inner[i]);
    }
  }
  if (rule.save_output) node->saved_output = SavedTensor::save(out);
  Shape shape = out.shape();
  const DType dtype = out.dtype();
  Tensor wrapper = make_wrapper(std::move(out), std::move(shape), dtype, node);
  attach(node, wrapper);
  return wrapper;
}

namespace {}  // namespace

// copy_(dst, src) is the one in-place primitive.
//  - Writing a tracked value into memory this level does not track (a
//    captured tensor) would mutate the caller's data and drop the
//    gradient: an error, as in torch.func.
//  - Writing into an input being differentiated (or a view of it) is an
//    error, as torch refuses for leaves that require grad.
//  - Writing into a tracked value gives it a new history in place (every
//    handle to it sees it). When dst is a view of a tracked base, the base
//    gets a new history too (its old value where the view does not reach,
//    src where it does), as torch's view rebasing; other views of the base
//    become stale, and tensors saved for backward that share the memory
//    are caught by their version counters.
//  - Under no_grad the write is invisible to the tape, as in torch.
Tensor GradInterpreter::copy_into(const OpCall& call, bool recording,
                                  std::span<const Tensor> inner,
                                  const std::shared_ptr<Node>& dst,
                                  const std::shared_ptr<Node>& src) {
  const Storage* memory = storage_of(inner[0]);
  if (recording && src != nullptr) keep_original_values(*src, memory);
  if (recording && dst == nullptr && src != nullptr) {
    return write_untracked(call, inner, src);
  }
  // The chain of views from the written base to dst, over the same memory.
  ViewPath path = view_path(dst, memory);
  std::shared_ptr<Node> base = std::move(path.base);
  ViewChain chain = std::move(path.chain);
  if (recording && dst != nullptr &&
      std::find(leaf_storage_.begin(), leaf_storage_.end(), memory) !=
          leaf_storage_.end()) {
    fail(caller_, inplace_op_name(),
         ": cannot write in place into an input being differentiated "
         "(or a view of it), as torch refuses for leaves that require grad; "
         "write into a clone instead (x.clone().copy_(...))");
  }
  Tensor out = dispatch(call.prim, call.attrs, inner);
  if (dst == nullptr) return out;
  const Tensor& dst_wrapper = call.inputs[0];
  dst_wrapper.impl()->wrapper->inner = out;  // a lower level may rebind it
  if (!recording) {
    // Invisible to the tape: the histories stay, now at the new version.
    for (Node* n = dst.get(); n != nullptr;
         n = n == base.get() ? nullptr : n->parents[0].get()) {
      n->version = memory ? memory->version() : 0;
    }
    return dst_wrapper;
  }
  const TensorMeta src_meta = TensorMeta::of(inner[1]);
  auto write = [&](const VjpRule* rule, std::shared_ptr<Node> old_value) {
    auto node = new_node(rule, Prim::CopyInto, call.attrs);
    const bool src_tracked = src && is_floating(inner[1].dtype());
    node->parents = {std::move(old_value), src_tracked ? src : nullptr};
    return node;
  };
  if (chain.empty()) {
    auto node = write(rule_for(Prim::CopyInto), nullptr);
    node->inputs = {TensorMeta::of(inner[0]), src_meta};
    node->saved_inputs.resize(2);
    attach(node, dst_wrapper);
    if (memory != nullptr) written_bases_[memory] = node;
    return dst_wrapper;
  }
  auto views = std::make_shared<const ViewChain>(std::move(chain));
  auto new_base = write(&kWriteThroughViewRule, base);
  new_base->inputs = {base->output, src_meta};
  new_base->saved_inputs.resize(2);
  new_base->views = views;
  if (auto carrier = base->carrier.lock()) {
    attach(new_base, Tensor(carrier));
  } else {  // nothing can see the base any more; only dst needs it
    new_base->output = base->output;
    new_base->storage = memory;
    new_base->version = memory ? memory->version() : 0;
  }
  if (memory != nullptr) written_bases_[memory] = new_base;
  auto view = new_node(&kViewOfRule, Prim::CopyInto, call.attrs);
  view->parents = {new_base};
  view->inputs = {new_base->output};
  view->saved_inputs.resize(1);
  view->views = views;
  attach(view, dst_wrapper);
  return dst_wrapper;
}

// A tracked value written into a tensor this level does not track. When
// the function made that tensor (a clone of a constant, a zeros buffer) and
// nothing else views its memory, the tensor simply becomes tracked, with
// the written value as its history; the caller's handle is rebound to the
// new wrapper (copy_ follows it). Otherwise the write would mutate memory
// the tape cannot follow (a captured tensor, or a buffer another view
// reaches) and lose the gradient: an error.
Tensor GradInterpreter::write_untracked(const OpCall& call,
                                        std::span<const Tensor> inner,
                                        const std::shared_ptr<Node>& src) {
  const std::shared_ptr<Storage>& memory = memory_of(inner[0]);
  // A non-differentiated argument of this call, written whole, becomes
  // tracked (torch.func wraps every argument; its memory is the caller's).
  const bool argument = passive_.get().holds(call.inputs[0]);
  if (!argument && passive_.get().holds_memory(memory.get())) {
    fail(caller_, inplace_op_name(), ": writing a value tracked by ", caller_,
         " into a view (shape ", shape_str(call.inputs[0].shape()),
         ") of an argument that is not differentiated would leave the "
         "argument's other views without the gradient. Write into the whole "
         "argument (y.copy_(...)), build the result out of place (where, cat, "
         "pad, index_put), or wrap the function in functionalize(), which "
         "makes the write pure and writes the whole argument back at the end: ",
         caller_, "(functionalize(f))");
  }
  if (!argument && !made_inside(memory.get())) {
    fail(caller_, inplace_op_name(), ": writing a value tracked by ", caller_,
         " into a tensor it does not track (one captured from outside the "
         "function, or an outer transform's value) would mutate that tensor "
         "and lose the gradient. Mutating a captured tensor inside ",
         caller_,
         " is an error: pass the tensor in as an argument, or build the "
         "result out of place (where, cat, pad, index_add)");
  }
  if (!argument && memory.use_count() > 1) {
    fail(caller_, inplace_op_name(), ": writing a value tracked by ", caller_,
         " into a view of a buffer the function made from constants (shape ",
         shape_str(call.inputs[0].shape()),
         "): the buffer's other views would not see the gradient. Make the "
         "buffer from the inputs, build it out of place, or wrap the "
         "function in functionalize(), which turns such writes into pure "
         "ops: ",
         caller_, "(functionalize(f))");
  }
  Tensor out = dispatch(call.prim, call.attrs, inner);
  auto node = new_node(rule_for(Prim::CopyInto), Prim::CopyInto, call.attrs);
  node->parents = {nullptr, is_floating(inner[1].dtype()) ? src : nullptr};
  node->inputs = {TensorMeta::of(inner[0]), TensorMeta::of(inner[1])};
  node->saved_inputs.resize(2);
  Shape shape = out.shape();
  const DType dtype = out.dtype();
  Tensor wrapper = make_wrapper(std::move(out), std::move(shape), dtype, node);
  attach(node, wrapper);
  return wrapper;
}

// An in-place op is its out-of-place op followed by copy_ (mul_ is
// copy_(x, mul(x, y))). What that op saved from the memory being written is
// the in-place op's original input (torch's "original self"): keep a copy,
// so the write does not invalidate the backward pass of the op itself.
// Values saved by earlier ops stay checked by their versions.
void GradInterpreter::keep_original_values(Node& producer,
                                           const Storage* memory) const {
  if (memory == nullptr) return;
  auto keep = [memory](SavedTensor& s) {
    if (s.value.defined() && s.storage == memory &&
        memory->version() == s.version) {
      s = SavedTensor::save(fnx::clone(s.value));
    }
  };
  for (SavedTensor& s : producer.saved_inputs) keep(s);
  keep(producer.saved_output);
}

const VjpRule* rule_for(Prim prim) {
  static const int table = Registry::get().table_id(kVjpTable);
  return static_cast<const VjpRule*>(Registry::get().rule(table, prim));
}

}  // namespace fnx::grad_internal
