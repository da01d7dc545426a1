// The functionalization interpreter. Each value it sees is a functional
// wrapper: a box whose inner tensor (a value of the level below) is
// replaced, never written, when the program writes in place. Tensors that
// alias one memory (a base and its views) share a Memory holding the
// base's current value and a generation bumped by every write; a wrapper
// records its chain of views from the base and the generation its inner
// value reflects, and is recomputed from the base when it is stale.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "core/interpreter.h"
#include "transforms/functionalize/functionalize_entry.h"
#include "transforms/functionalize/view_replay.h"

namespace fnx::functionalize_internal {

inline constexpr const char* kFunctionalizeTable = "functionalize";

// How the interpreter treats a primitive (the "functionalize" rule table
// holds one of these per primitive).
enum class RuleKind : uint8_t {
  pure,    // runs below as is; the result is a new memory
  view,    // runs below; the result aliases its input's memory
  write,   // copy_: replaced by an out-of-place update of the memory
  source,  // creation/random: runs below; the result is wrapped
  higher_order,  // custom_call: process_higher_order (custom_call.cc)
};
struct FunctionalizeRule {
  RuleKind kind;
};

// One aliasing group: the current value of its base. `identity` is an
// empty Storage every wrapper of the group carries (core's memory_of), so
// transforms above see which values alias and, by its version, bumped
// with each write, whether a value they saved was written since.
struct Memory {
  Tensor value;
  uint64_t generation = 0;  // number of writes so far
  std::shared_ptr<Storage> identity;
};

struct FunctionalPayload : WrapperPayload {
  std::shared_ptr<Memory> memory;
  ViewChain views;  // from memory's base to this tensor
  uint64_t generation = 0;
};

class FunctionalInterpreter : public Interpreter {
 public:
  explicit FunctionalInterpreter(Remove remove);

  Tensor process(const OpCall& call) override;
  std::vector<Tensor> process_higher_order(const OpCall& call) override;
  Tensor concrete(const Tensor& wrapper, std::string_view what) override;
  // Tensors created inside the function are functional too, so writes
  // into them are removed.
  bool wants_random_ops() const override { return true; }

  // A wrapper with a memory of its own.
  Tensor wrap_fresh(Tensor value) const;
  // The current value of one of this level's wrappers (recomputed from its
  // base if a write made it stale). Runs ops of the level below.
  const Tensor& current(const Tensor& wrapper) const;
  // Whether anything wrote into the memory of this wrapper.
  bool written(const Tensor& wrapper) const;

 private:
  FunctionalPayload& payload(const Tensor& wrapper) const;
  Tensor view(const OpCall& call, const Tensor& input, Tensor out) const;
  Tensor wrap(Tensor value, std::shared_ptr<FunctionalPayload> p) const;
  Tensor write(const OpCall& call) const;
  ViewMode mode() const;

  Remove remove_;
  int table_;
};

}  // namespace fnx::functionalize_internal
