// The interpreter stack and dispatcher, proven with test-only interpreters:
// the fast path, routing by level, two nested levels, escaped wrappers,
// random ops, and two threads with their own stacks.
#include <cmath>
#include <thread>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/interpreter.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/interpreter/tracing_interpreter.h"

namespace fnx::testing {
namespace {

using Log = std::vector<std::string>;

TEST(Dispatch, FastPathRunsKernelsDirectly) {
  ASSERT_EQ(interpreter_depth(), 0);
  const int64_t before = kernel_calls();
  Tensor y = from_vector({1.0, 2.0}) + from_vector({3.0, 4.0});
  EXPECT_EQ(kernel_calls() - before, 1);  // from_vector fills host memory
  EXPECT_EQ(y.to_vector(), (std::vector<double>{4.0, 6.0}));
}

TEST(Interpreter, ProcessesOpsOnItsWrappers) {
  TracingInterpreter trace("A");
  Tensor y;
  {
    InterpreterScope scope(trace);
    Tensor x = trace.wrap(from_vector({1.0, 2.0}));
    y = sin(x) * x;
    EXPECT_EQ(live_level(y), trace.level());
    EXPECT_EQ(y.shape(), (Shape{2}));
  }
  EXPECT_EQ(trace.log, (Log{"A:sin", "A:mul"}));
  // The wrapper escaped: its level is dead, so it acts as its value.
  EXPECT_EQ(live_level(y), -1);
  EXPECT_NEAR(y.at<double>({1}), std::sin(2.0) * 2.0, 1e-6);
  Tensor z = y + 1.0;
  EXPECT_FALSE(z.is_wrapper());
  EXPECT_NEAR(z.at<double>({0}), std::sin(1.0) + 1.0, 1e-6);
}

TEST(Interpreter, UnownedInputsSkipTheLevel) {
  TracingInterpreter trace("A");
  InterpreterScope scope(trace);
  Tensor plain = from_vector({1.0, 2.0});
  Tensor y = exp(plain);  // no input of level A: A never sees it
  EXPECT_TRUE(trace.log.empty());
  EXPECT_FALSE(y.is_wrapper());
}

TEST(Interpreter, TwoNestedLevelsRouteTopDown) {
  TracingInterpreter outer("outer"), inner("inner");
  InterpreterScope outer_scope(outer);
  Tensor x = outer.wrap(from_vector({0.5, 1.5}));
  Tensor c = outer.wrap(from_vector({2.0, 2.0}));
  InterpreterScope inner_scope(inner);
  Tensor xi = inner.wrap(x);  // nested: inner(outer(dense))
  Tensor y = mul(xi, c);      // c belongs to the outer level only
  EXPECT_EQ(inner.log, (Log{"inner:mul"}));
  EXPECT_EQ(outer.log, (Log{"outer:mul"}));
  EXPECT_EQ(live_level(y), inner.level());
  EXPECT_EQ(live_level(y.impl()->wrapper->inner), outer.level());
  // An op on outer-only values does not visit the inner level.
  Tensor z = add(x, c);
  EXPECT_EQ(inner.log.size(), 1u);
  EXPECT_EQ(outer.log.back(), "outer:add");
  EXPECT_EQ(live_level(z), outer.level());
}

TEST(Interpreter, RuleOpsSeeOnlyLowerLevels) {
  // While the shift level processes, its rule's own ops (the +/- shift)
  // must not come back to it: that would recurse forever.
  ShiftInterpreter shift(10.0);
  InterpreterScope scope(shift);
  Tensor x = shift.wrap(from_vector({1.0, 2.0}, DType::Float64));
  Tensor y = x * x;
  EXPECT_EQ(live_level(y), shift.level());
  EXPECT_EQ(y.impl()->wrapper->inner.to_vector(), (std::vector<double>{11.0, 14.0}));
  // concrete() asks the interpreter: the user-visible values.
  EXPECT_EQ(y.to_vector(), (std::vector<double>{1.0, 4.0}));
  EXPECT_DOUBLE_EQ(y.sum().item<double>(), 5.0);
}

TEST(Interpreter, LiveWrapperRefusesConcreteByDefault) {
  TracingInterpreter trace("A");
  InterpreterScope scope(trace);
  Tensor x = trace.wrap(from_vector({1.0}));
  try {
    (void)x.item<double>();
    FAIL() << "expected fnx::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[item]"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("trace:A"), std::string::npos);
  }
}

TEST(Interpreter, RandomOpsReachTopWhenAsked) {
  TracingInterpreter quiet("quiet"), loud("loud", /*see_random=*/true);
  {
    InterpreterScope scope(quiet);
    (void)randn({3});
    EXPECT_TRUE(quiet.log.empty());
  }
  {
    InterpreterScope scope(loud);
    Tensor r = randn({3});
    EXPECT_EQ(loud.log, (Log{"loud:normal"}));
    EXPECT_EQ(live_level(r), loud.level());
  }
}

TEST(Interpreter, RandomOpsFindTheAskingLevelBelowOthers) {
  // vmap(grad(f)) with a random op in f: the op must still meet vmap.
  TracingInterpreter loud("loud", /*see_random=*/true), quiet("quiet");
  InterpreterScope outer(loud);
  InterpreterScope inner(quiet);
  Tensor r = rand({2});
  EXPECT_EQ(loud.log, (Log{"loud:uniform"}));
  EXPECT_TRUE(quiet.log.empty());
  EXPECT_EQ(live_level(r), loud.level());
}

TEST(Interpreter, EscapedWrapperShowsTheShapeItHolds) {
  TracingInterpreter trace("A");
  Tensor escaped;
  {
    InterpreterScope scope(trace);
    // A wrapper whose logical shape differs from what it holds (as a
    // batched value's does).
    escaped = trace.make_wrapper(zeros({3, 2}), {2}, DType::Float32, nullptr);
    EXPECT_EQ(escaped.shape(), (Shape{2}));
  }
  EXPECT_EQ(escaped.shape(), (Shape{3, 2}));
  EXPECT_EQ(escaped.dim(), 2);
  EXPECT_TRUE(escaped.is_contiguous());
  EXPECT_EQ(escaped.reshape({-1}).shape(), (Shape{6}));
}

TEST(Interpreter, ScopesRestoreTheStack) {
  EXPECT_EQ(interpreter_depth(), 0);
  {
    TracingInterpreter a("a");
    InterpreterScope sa(a);
    EXPECT_EQ(interpreter_depth(), 1);
    EXPECT_EQ(top_interpreter(), &a);
    {
      TracingInterpreter b("b");
      InterpreterScope sb(b);
      EXPECT_EQ(interpreter_depth(), 2);
      EXPECT_GT(b.level(), a.level());
    }
    EXPECT_EQ(top_interpreter(), &a);
  }
  EXPECT_EQ(interpreter_depth(), 0);
  EXPECT_EQ(top_interpreter(), nullptr);
}

TEST(Interpreter, ThreadsHaveTheirOwnStacks) {
  auto work = [](const std::string& tag, double value, Log* log, double* out) {
    TracingInterpreter trace(tag);
    InterpreterScope scope(trace);
    Tensor x = trace.wrap(full({4}, value, DType::Float64));
    Tensor y = x;
    for (int i = 0; i < 200; ++i) y = y + x;
    *out = sum(y.impl()->wrapper->inner).item<double>();
    *log = trace.log;
  };
  Log log1, log2;
  double out1 = 0, out2 = 0;
  std::thread t1(work, "t1", 1.0, &log1, &out1);
  std::thread t2(work, "t2", 2.0, &log2, &out2);
  t1.join();
  t2.join();
  EXPECT_EQ(log1.size(), 200u);
  EXPECT_EQ(log2.size(), 200u);
  for (const auto& entry : log1) EXPECT_EQ(entry, "t1:add");
  for (const auto& entry : log2) EXPECT_EQ(entry, "t2:add");
  EXPECT_DOUBLE_EQ(out1, 4 * 201 * 1.0);
  EXPECT_DOUBLE_EQ(out2, 4 * 201 * 2.0);
  EXPECT_EQ(interpreter_depth(), 0);  // this thread never had one
}

TEST(Interpreter, LiveWrapperFromAnotherThreadIsAClearError) {
  TracingInterpreter trace("main");
  InterpreterScope scope(trace);
  Tensor x = trace.wrap(from_vector({1.0}));
  std::string message;
  std::thread other([&] {
    try {
      (void)exp(x);
    } catch (const Error& e) {
      message = e.what();
    }
  });
  other.join();
  EXPECT_NE(message.find("[exp]"), std::string::npos) << message;
  EXPECT_NE(message.find("not active on this thread"), std::string::npos);
}

TEST(Interpreter, UndefinedInputIsAnError) {
  EXPECT_THROW((void)add(Tensor(), from_vector({1.0})), Error);
}

}  // namespace
}  // namespace fnx::testing
