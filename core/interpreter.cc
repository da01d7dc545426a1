#include "core/interpreter.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "core/custom_function.h"
#include "core/error.h"

namespace fnx {
namespace {

// Levels are unique across threads, so a wrapper from another thread's
// transform is never mistaken for one of ours.
std::atomic<int64_t> g_next_level{1};

}  // namespace

namespace internal {

// The per-thread stack. `items[0, depth)` are visible to ops; a rule being
// processed hides its own interpreter and everything above it.
struct InterpreterStack {
  std::vector<Interpreter*> items;
  int depth = 0;
};

InterpreterStack& interpreter_stack() {
  thread_local InterpreterStack stack;
  return stack;
}

}  // namespace internal

using internal::interpreter_stack;

Interpreter::Interpreter(std::string name)
    : name_(std::move(name)),
      handle_(std::make_shared<LevelHandle>(g_next_level.fetch_add(1), this)),
      first_serial_(Storage::next_serial()) {}

Interpreter::~Interpreter() { handle_->kill(); }

std::vector<Tensor> Interpreter::process_higher_order(const OpCall& call) {
  // No rule of its own: the body runs with this level visible again, so its
  // ops meet this transform one at a time (the levels above stay hidden).
  const std::vector<Interpreter*>& items = interpreter_stack().items;
  int index = -1;
  for (int i = 0; i < static_cast<int>(items.size()); ++i) {
    if (items[i] == this) index = i;
  }
  FNX_CHECK(index >= 0, call.name(), "internal error: the ", name_,
            " interpreter is not on this thread's stack; please report it");
  StackDepthGuard show(index + 1);
  return run_higher_order_body(call);
}

Tensor Interpreter::concrete(const Tensor&, std::string_view what) {
  fail(what, "cannot read the values of a tensor while it is transformed by ",
       name_, " (level ", level(),
       "): its value is not a single concrete tensor here. Return it from "
       "the transformed function instead.");
}

Tensor Interpreter::make_wrapper(
    Tensor inner, Shape logical_shape, DType dtype,
    std::shared_ptr<WrapperPayload> payload) const {
  auto impl = std::make_shared<TensorImpl>();
  // A wrapper of the same shape describes the layout it wraps (strides(),
  // is_contiguous() and view() see the real memory, as in torch.func);
  // a transform that changes the shape (vmap) sets its own.
  impl->strides = inner.defined() && inner.shape() == logical_shape
                      ? inner.strides()
                      : contiguous_strides(logical_shape);
  impl->shape = std::move(logical_shape);
  impl->dtype = dtype;
  impl->device = inner.device();
  impl->wrapper = std::make_unique<WrapperState>(
      WrapperState{std::move(inner), handle_, std::move(payload)});
  return Tensor(std::move(impl));
}

InterpreterScope::InterpreterScope(Interpreter& interpreter)
    : interpreter_(interpreter) {
  auto& stack = interpreter_stack();
  // Interpreters hidden by a rule in progress stay hidden under the new one.
  hidden_.assign(stack.items.begin() + stack.depth, stack.items.end());
  stack.items.resize(stack.depth);
  stack.items.push_back(&interpreter);
  stack.depth = static_cast<int>(stack.items.size());
}

InterpreterScope::~InterpreterScope() {
  auto& stack = interpreter_stack();
  interpreter_.handle()->kill();
  stack.items.pop_back();
  stack.depth = static_cast<int>(stack.items.size());
  stack.items.insert(stack.items.end(), hidden_.begin(), hidden_.end());
}

int interpreter_depth() { return interpreter_stack().depth; }

Interpreter* interpreter_at(int index) {
  auto& stack = interpreter_stack();
  return index >= 0 && index < stack.depth ? stack.items[index] : nullptr;
}

Interpreter* top_interpreter() {
  return interpreter_at(interpreter_stack().depth - 1);
}

StackDepthGuard::StackDepthGuard(int depth)
    : saved_(interpreter_stack().depth) {
  interpreter_stack().depth = depth;
}

StackDepthGuard::~StackDepthGuard() { interpreter_stack().depth = saved_; }

const Tensor& peel_dead(const Tensor& t, Tensor& storage) {
  if (!t.is_wrapper() || t.impl()->wrapper->owner->alive()) return t;
  storage = t.impl()->wrapper->inner;
  while (storage.is_wrapper() && !storage.impl()->wrapper->owner->alive()) {
    Tensor inner = storage.impl()->wrapper->inner;
    storage = std::move(inner);
  }
  return storage;
}

int64_t live_level(const Tensor& t) {
  if (!t.is_wrapper()) return -1;
  const LevelHandle& owner = *t.impl()->wrapper->owner;
  return owner.alive() ? owner.level() : -1;
}

namespace {
PassiveArguments::Taken& pending_passive() {
  thread_local PassiveArguments::Taken pending;
  return pending;
}
}  // namespace

PassiveArguments::PassiveArguments(const std::vector<Tensor>& tensors)
    : saved_(pending_passive()) {
  PassiveArguments::Taken& pending = pending_passive();
  for (const Tensor& t : tensors) {
    if (!t.defined()) continue;
    pending.tensors.push_back(t.impl());
    if (const Storage* m = memory_of(t).get()) pending.memory.push_back(m);
  }
}

PassiveArguments::~PassiveArguments() { pending_passive() = std::move(saved_); }

PassiveArguments::Claim::Claim() : taken_(std::move(pending_passive())) {
  pending_passive() = Taken{};
}

PassiveArguments::Claim::~Claim() { pending_passive() = std::move(taken_); }

bool PassiveArguments::Taken::holds(const Tensor& t) const {
  return t.defined() &&
         std::find(tensors.begin(), tensors.end(), t.impl()) != tensors.end();
}

bool PassiveArguments::Taken::holds_memory(const Storage* m) const {
  return m != nullptr &&
         std::find(memory.begin(), memory.end(), m) != memory.end();
}

}  // namespace fnx
