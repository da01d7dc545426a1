// The grad level: one Interpreter per grad/vjp call, with its own tape.
// Values it tracks are wrappers whose payload is their tape node. process()
// runs each primitive on the unwrapped values (reaching the levels below)
// and records a node when a floating result depends on a tracked input.
// Inputs that are not its wrappers (captured tensors, values of outer
// levels) are constants to it.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/interpreter.h"
#include "transforms/grad/tape.h"
#include "transforms/grad/vjp_rule.h"

namespace fnx::grad_internal {

class GradInterpreter final : public Interpreter {
 public:
  // `outer_mode`: the grad mode where the transform was called. The levels
  // below see it while this level runs their ops, so a NoGradGuard around
  // an inner grad makes its results constants to the enclosing levels (as
  // torch.func), while f itself records.
  GradInterpreter(std::string_view caller, bool outer_mode);

  // Tracks `primal` as differentiated input number `index` (a leaf).
  Tensor track_leaf(const Tensor& primal, int index);

  Tensor process(const OpCall& call) override;
  // custom_call (custom_call.cc).
  std::vector<Tensor> process_higher_order(const OpCall& call) override;
  // Inside f a tracked value has one concrete value (unlike under vmap):
  // item() and printing read it.
  Tensor concrete(const Tensor& wrapper, std::string_view what) override;

  // The node of one of this level's values, or null.
  std::shared_ptr<Node> node_of(const Tensor& t) const;
  // The same, brought up to date: a view whose base was written since it
  // was taken gets the base's new history seen through its views (torch's
  // view rebase, the direction "base written, view read"). fnx::Error for a
  // value written by something this level could not follow.
  std::shared_ptr<Node> current_node(const Tensor& t);

 private:
  std::shared_ptr<Node> new_node(const VjpRule* rule, Prim prim,
                                 const Attrs& attrs);
  // Makes `node` the history of the wrapper `carrier` (new or existing).
  void attach(const std::shared_ptr<Node>& node, const Tensor& carrier) const;
  Tensor record(const OpCall& call, const VjpRule& rule,
                std::span<const Tensor> inner,
                std::span<std::shared_ptr<Node>> parents, Tensor out);
  [[noreturn]] void fail_stale(const Tensor& input) const;
  std::shared_ptr<Node> rebase_view(const Tensor& t,
                                    const std::shared_ptr<Node>& stale);
  Tensor copy_into(const OpCall& call, bool recording,
                   std::span<const Tensor> inner,
                   const std::shared_ptr<Node>& dst,
                   const std::shared_ptr<Node>& src);
  void keep_original_values(Node& producer, const Storage* memory) const;
  Tensor write_untracked(const OpCall& call, std::span<const Tensor> inner,
                         const std::shared_ptr<Node>& src);

  std::string caller_;
  bool outer_mode_;
  int64_t next_seq_ = 0;
  int table_;
  // Memory of the differentiated inputs: writing into it is an error.
  std::vector<const Storage*> leaf_storage_;
  // The call's non-differentiated arguments: writable with tracked values.
  PassiveArguments::Claim passive_;
  // Per memory, the newest history a write gave its whole base (views
  // taken before the write rebase onto it, even once the base's handle is
  // gone).
  std::unordered_map<const Storage*, std::shared_ptr<Node>> written_bases_;
};

// The memory a value lives in (core's memory_of), or null.
const Storage* storage_of(const Tensor& t);

}  // namespace fnx::grad_internal
