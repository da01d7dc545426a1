// The tape of one grad level: a node per recorded primitive call, linked to
// the nodes of its inputs. A tracked value is a wrapper whose payload is
// its node, so the tape lives exactly as long as something (a value, a
// pullback) can still reach it.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/container/inlined_vector.h"
#include "core/primitive.h"
#include "core/tensor.h"

namespace fnx::grad_internal {

struct VjpRule;

// What backward needs to know about a value it does not keep.
struct TensorMeta {
  Shape shape;
  DType dtype = DType::Float32;
  Device device;
  bool defined = false;

  static TensorMeta of(const Tensor& t) {
    if (!t.defined()) return {};
    return {t.shape(), t.dtype(), t.device(), true};
  }
};

// A saved tensor and the version of its memory when it was saved, so that
// an in-place write after the fact is caught instead of giving a wrong
// gradient.
struct SavedTensor {
  Tensor value;
  const Storage* storage = nullptr;
  uint64_t version = 0;

  static SavedTensor save(const Tensor& t);
  // Throws an fnx::Error naming `prim` when the memory was written since.
  void check(Prim prim) const;
};

// A chain of view primitives (reshape, permute, slice, expand) from a base
// value to a view of its memory, in the order they were applied.
struct ViewStep {
  Prim prim;
  Attrs attrs;
  TensorMeta in, out;
};
using ViewChain = absl::InlinedVector<ViewStep, 2>;

// The backward of a primitive with several outputs (custom_call): the
// call's node holds it, and each output's node is a projection of the call
// (Node::output_index), so the cotangents of all outputs meet before it
// runs once.
class MultiOutputBackward {
 public:
  virtual ~MultiOutputBackward() = default;
  // One cotangent per output (undefined = zero) -> one per input of the
  // call (undefined = zero), written in public ops so it is differentiable.
  virtual std::vector<Tensor> apply(
      std::span<const Tensor> cotangents) const = 0;
  std::size_t num_outputs = 0;
};

class Node final : public WrapperPayload {
 public:
  Node() = default;
  ~Node() override;  // releases long chains without deep recursion
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  bool is_leaf() const { return rule == nullptr; }

  int64_t seq = 0;                // creation order within the level
  const VjpRule* rule = nullptr;  // null for a leaf (a differentiated input)
  int leaf_index = -1;            // position among the primals, for leaves
  Prim prim = Prim::Neg;
  Attrs attrs;
  // Per input: its node (null when the input is a constant to this level)
  // and metadata; saved values where the rule asked for them.
  absl::InlinedVector<std::shared_ptr<Node>, 2> parents;
  absl::InlinedVector<TensorMeta, 2> inputs;
  absl::InlinedVector<SavedTensor, 2> saved_inputs;  // undefined if unsaved
  SavedTensor saved_output;
  TensorMeta output;
  // For in-place writes through views (copy_ into a view of a tracked
  // value): the views from the written base to the destination.
  std::shared_ptr<const ViewChain> views;
  // The memory the value lives in and its version when this node became
  // the value's history: a later write that did not go through this level
  // makes the value stale (using it is an error, not a wrong gradient).
  const Storage* storage = nullptr;
  uint64_t version = 0;
  // Several outputs: set on the call's node; output_index is set on each
  // output's node, whose only parent is the call's node.
  std::shared_ptr<const MultiOutputBackward> multi;
  int output_index = -1;
  // The wrapper carrying this node, so that an in-place write through a
  // view can give the base value its new history.
  std::weak_ptr<TensorImpl> carrier;
};

}  // namespace fnx::grad_internal
