// The interpreter stack: a thread-local stack of active transforms (JAX's
// trace stack, functorch's DynamicLayer stack). Each active transform is an
// Interpreter with a unique level; its wrappers record that level. The
// dispatcher (core/dispatch.h) routes a primitive call to the highest-level
// interpreter that owns one of its inputs; the ops that interpreter's rule
// calls run with it (and everything above it) temporarily popped, so they
// reach the next level down.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/primitive.h"
#include "core/tensor.h"

namespace fnx {

class Interpreter;

// Shared between an interpreter and every wrapper it made: outlives both,
// and records whether the level is still on its stack.
class LevelHandle {
 public:
  LevelHandle(int64_t level, Interpreter* interpreter)
      : level_(level), interpreter_(interpreter) {}
  int64_t level() const { return level_; }
  bool alive() const { return alive_.load(std::memory_order_acquire); }
  // Null once dead.
  Interpreter* interpreter() const { return alive() ? interpreter_ : nullptr; }
  void kill() { alive_.store(false, std::memory_order_release); }

 private:
  int64_t level_;
  Interpreter* interpreter_;
  std::atomic<bool> alive_{true};
};

class Interpreter {
 public:
  // `name` is the transform's name ("vmap", "grad"...), used in messages.
  explicit Interpreter(std::string name);
  virtual ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // Runs one primitive under this transform's meaning. At least one input
  // is a live wrapper of this level, or the primitive is Random/Creation and
  // this interpreter is the top of the stack. Runs with this level popped.
  virtual Tensor process(const OpCall& call) = 0;

  // Runs a higher-order primitive (custom_call) under this transform's
  // meaning; its outputs are several. The default runs the body (custom
  // function's fwd) with this level visible, as if it were inlined; the
  // transform plugins override it with their rule for custom_call.
  virtual std::vector<Tensor> process_higher_order(const OpCall& call);

  // A live wrapper of this level was asked for concrete data (item(),
  // printing, data()). The default refuses with an fnx::Error naming the
  // transform and `what`.
  virtual Tensor concrete(const Tensor& wrapper, std::string_view what);

  // Whether Random/Creation primitives (no wrapped inputs) should come to
  // this interpreter when it is the top of the stack (vmap's randomness
  // modes need this).
  virtual bool wants_random_ops() const { return false; }

  // Whether `memory` was allocated after this interpreter was made, i.e.
  // by the function it transforms rather than captured from outside.
  bool made_inside(const Storage* memory) const {
    return memory != nullptr && memory->serial() >= first_serial_;
  }

  int64_t level() const { return handle_->level(); }
  const std::string& name() const { return name_; }
  const std::shared_ptr<LevelHandle>& handle() const { return handle_; }

  // Wraps `inner` as a value of this level with the given logical metadata.
  Tensor make_wrapper(Tensor inner, Shape logical_shape, DType dtype,
                      std::shared_ptr<WrapperPayload> payload) const;
  // Whether `t` is a wrapper of this level.
  bool owns(const Tensor& t) const {
    return t.is_wrapper() && t.impl()->wrapper->owner == handle_;
  }
  // The payload of a wrapper of this level (null when `t` is not one).
  WrapperPayload* payload_of(const Tensor& t) const {
    return owns(t) ? t.impl()->wrapper->payload.get() : nullptr;
  }
  // The tensor a wrapper of this level wraps (`t` itself when not one).
  const Tensor& unwrap(const Tensor& t) const {
    return owns(t) ? t.impl()->wrapper->inner : t;
  }

 private:
  std::string name_;
  std::shared_ptr<LevelHandle> handle_;
  uint64_t first_serial_;
};

// Pushes an interpreter for the lifetime of the scope; popping kills its
// level, so wrappers that escape act as the tensors they hold.
class InterpreterScope {
 public:
  explicit InterpreterScope(Interpreter& interpreter);
  ~InterpreterScope();
  InterpreterScope(const InterpreterScope&) = delete;
  InterpreterScope& operator=(const InterpreterScope&) = delete;

 private:
  Interpreter& interpreter_;
  std::vector<Interpreter*> hidden_;
};

// Number of interpreters visible to ops on this thread right now.
int interpreter_depth();
// The visible interpreter at `index` (0 = bottom), or the top one.
Interpreter* interpreter_at(int index);
Interpreter* top_interpreter();

// Temporarily hides the interpreters at and above `depth` (what a rule's
// ops must not see) and restores them on destruction.
class StackDepthGuard {
 public:
  explicit StackDepthGuard(int depth);
  ~StackDepthGuard();

 private:
  int saved_;
};

// The arguments of a transform call that it does not transform (the
// non-differentiated arguments of grad, vjp, jacrev, jvp, jacfwd), named by
// the thin headers around the plugin call. The next grad or jvp level made
// on this thread takes them (levels made inside f see none). Writing a
// transformed value into one of them (y.copy_(x)) makes the caller's handle
// a value of that level, as torch.func does by wrapping every argument.
class PassiveArguments {
 public:
  explicit PassiveArguments(const std::vector<Tensor>& tensors);
  ~PassiveArguments();
  PassiveArguments(const PassiveArguments&) = delete;
  PassiveArguments& operator=(const PassiveArguments&) = delete;

  struct Taken {
    std::vector<const TensorImpl*> tensors;  // the argument handles
    std::vector<const Storage*> memory;      // and their memory
    bool holds(const Tensor& t) const;
    bool holds_memory(const Storage* m) const;
  };
  // Held by a grad or jvp level for its lifetime: the pending arguments
  // become its own and are hidden from the levels made inside it; they are
  // pending again once it ends (jacfwd makes one level per chunk).
  class Claim {
   public:
    Claim();
    ~Claim();
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;
    const Taken& get() const { return taken_; }

   private:
    Taken taken_;
  };

 private:
  Taken saved_;
};

// Peels dead wrapper layers; returns `t` itself when nothing is dead.
const Tensor& peel_dead(const Tensor& t, Tensor& storage);
// The level of a live wrapper, or -1 for a dense tensor.
int64_t live_level(const Tensor& t);

}  // namespace fnx
