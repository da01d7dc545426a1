// functionalize's semantics: in-place ops and writes through views give
// the eager results while only pure ops run; inputs are written back once;
// views follow their base; compositions with vmap, grad and jvp; errors.
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "tests/functionalize/op_recorder.h"
#include "tests/testing/transform_test_util.h"

namespace fnx::testing {
namespace {

constexpr DType kF64 = DType::Float64;

Tensor arange_f64(const Shape& shape) {
  return reshape(arange(numel(shape), kF64), shape);
}

// The example: a write through a view of a clone, and an input
// mutated in place.
Tensor example(Tensor x) {
  Tensor y = x.clone();
  y.slice(0, 1, 3).mul_(2.0);
  x.add_(1.0);
  return y;
}

TEST(Functionalize, SameResultAndInputMutationAsEager) {
  Tensor eager_x = arange_f64({4, 2});
  const Tensor eager_y = example(eager_x);
  for (Remove remove : {Remove::mutations, Remove::mutations_and_views}) {
    Tensor x = arange_f64({4, 2});
    const Tensor y = functionalize(example, {.remove = remove})(x);
    EXPECT_TRUE(close(y, eager_y));
    EXPECT_TRUE(close(x, eager_x));  // mutated, like eager
  }
}

TEST(Functionalize, OnlyPureOpsRunAndEachMutatedInputIsWrittenOnce) {
  Tensor x = arange_f64({4, 2});
  OpRecorder recorder;
  Tensor y;
  {
    InterpreterScope scope(recorder);
    Tensor wrapped = recorder.wrap(x);
    y = functionalize([](Tensor a) {
      a.add_(1.0);
      a.mul_(3.0);
      a.slice(0, 0, 2).zero_();
      return a * 1.0;
    })(wrapped);
  }
  ASSERT_FALSE(recorder.ops.empty());
  EXPECT_EQ(recorder.count(Prim::CopyInto), 1);
  EXPECT_EQ(recorder.ops.back(), Prim::CopyInto);  // the write-back, last
  Tensor want = (arange_f64({4, 2}) + 1.0) * 3.0;
  want.slice(0, 0, 2).zero_();
  EXPECT_TRUE(close(x, want));
  EXPECT_TRUE(close(y, want));
}

TEST(Functionalize, NoWriteBackWhenInputsAreOnlyRead) {
  Tensor x = arange_f64({3});
  OpRecorder recorder;
  {
    InterpreterScope scope(recorder);
    functionalize([](Tensor a) {
      Tensor b = a.clone();
      b.mul_(2.0);
      return b;
    })(recorder.wrap(x));
  }
  EXPECT_EQ(recorder.count(Prim::CopyInto), 0);
}

// Every view of a base sees a write made through any other view of it,
// also views taken before the write, through chains of views.
TEST(Functionalize, ViewsFollowWritesThroughOtherViews) {
  auto f = [](Tensor x) {
    Tensor base = x.clone();
    Tensor t = base.reshape({6, 4}).transpose(0, 1);  // a chain, before
    Tensor row = base.select(0, 1);
    t.slice(1, 1, 5, 2).fill_(-1.0);  // written through a longer chain
    row.add_(100.0);
    return std::vector<Tensor>{base, t, row};
  };
  const Tensor x = arange_f64({4, 6});
  const std::vector<Tensor> eager = f(x.clone());
  for (Remove remove : {Remove::mutations, Remove::mutations_and_views}) {
    const std::vector<Tensor> got = functionalize(f, {.remove = remove})(x);
    ASSERT_EQ(got.size(), eager.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_TRUE(close(got[i], eager[i])) << "output " << i;
    }
  }
}

// reshape of a layout strides cannot express copies, in eager mode and
// under functionalize alike: writing the copy leaves the base alone.
TEST(Functionalize, ACopyingReshapeIsNotAView) {
  auto f = [](Tensor x) {
    Tensor base = x.clone();
    Tensor flat = base.t().reshape({-1});
    flat.fill_(7.0);
    return std::vector<Tensor>{base, flat};
  };
  const Tensor x = arange_f64({2, 3});
  const std::vector<Tensor> eager = f(x);
  const std::vector<Tensor> got = functionalize(f)(x);
  EXPECT_TRUE(close(got[0], x));
  EXPECT_TRUE(close(got[0], eager[0]));
  EXPECT_TRUE(close(got[1], eager[1]));
}

TEST(Functionalize, MutationsAndViewsReturnsNoAliases) {
  auto f = [](Tensor x) {
    return std::vector<Tensor>{x.slice(0, 0, 2), x.t()};
  };
  const Tensor x = arange_f64({3, 2});
  const std::vector<Tensor> views = functionalize(f)(x);
  EXPECT_EQ(views[0].impl()->storage, x.impl()->storage);  // still a view
  const std::vector<Tensor> copies =
      functionalize(f, {.remove = Remove::mutations_and_views})(x);
  for (const Tensor& c : copies) {
    EXPECT_NE(c.impl()->storage, x.impl()->storage);
  }
  EXPECT_NE(copies[0].impl()->storage, copies[1].impl()->storage);
  EXPECT_TRUE(close(copies[0], views[0]));
  EXPECT_TRUE(close(copies[1], views[1]));
}

// x.copy_(y) then y.add_(1): x must keep y's old value, though the
// write-backs share values.
TEST(Functionalize, WriteBacksDoNotSeeEachOther) {
  auto f = [](Tensor x, Tensor y) {
    x.copy_(y);
    y.add_(1.0);
    return x;
  };
  Tensor x1 = zeros({3}, kF64), y1 = arange_f64({3});
  const Tensor eager = f(x1, y1);
  Tensor x2 = zeros({3}, kF64), y2 = arange_f64({3});
  const Tensor got = functionalize(f)(x2, y2);
  EXPECT_TRUE(close(got, arange_f64({3})));
  EXPECT_TRUE(close(x2, x1));
  EXPECT_TRUE(close(y2, y1));
  EXPECT_TRUE(close(got, eager));
}

// fill_ writes a broadcast scalar: the result is a real tensor, which the
// caller can write in place afterwards, as after eager fill_.
TEST(Functionalize, BroadcastWritesGiveDenseResults) {
  Tensor y = functionalize([](Tensor x) {
    Tensor c = x.clone();
    c.fill_(2.0);
    return c;
  })(arange_f64({2, 3}));
  y.slice(1, 0, 1).add_(1.0);
  EXPECT_TRUE(close(y, f64({3, 2, 2, 3, 2, 2}, {2, 3})));
}

// The same tensor passed twice is one tensor; a view of an input passed
// beside it, written, is an error rather than a different result.
TEST(Functionalize, AliasedInputs) {
  auto f = [](Tensor a, Tensor b) {
    a.mul_(2.0);
    return b + 0.0;
  };
  Tensor x = arange_f64({3});
  Tensor eager_x = arange_f64({3});
  const Tensor eager = f(eager_x, eager_x);
  OpRecorder recorder;
  Tensor got;
  {
    InterpreterScope scope(recorder);
    const Tensor wrapped = recorder.wrap(x);
    got = functionalize(f)(wrapped, wrapped);
  }
  EXPECT_TRUE(close(got, eager));
  EXPECT_TRUE(close(x, eager_x));
  EXPECT_EQ(recorder.count(Prim::CopyInto), 1);
  Tensor base = arange_f64({4});
  EXPECT_TRUE(throws_with(
      [&] { functionalize(f)(base, base.slice(0, 0, 2)); },
      std::vector<std::string>{"[functionalize]", "shares memory"}));
}

TEST(Functionalize, WritingAnExpandedViewIsAnError) {
  auto f = [](Tensor x) {
    Tensor e = x.clone().expand({3, 2});
    e.fill_(1.0);
    return e;
  };
  const Tensor x = arange_f64({1, 2});
  EXPECT_TRUE(throws_with([&] { f(x); }, "copy_"));
  EXPECT_TRUE(
      throws_with([&] { functionalize(f)(x); },
                  std::vector<std::string>{"[copy_]", "expanded", "clone"}));
}

// Tensors captured from outside are not functionalize's: writing one is a
// side effect that happens, as in torch.
TEST(Functionalize, WritesIntoCapturedTensorsHappen) {
  Tensor captured = zeros({2}, kF64);
  functionalize([&](Tensor x) {
    captured.copy_(x * 2.0);
    return x;
  })(arange_f64({2}));
  EXPECT_TRUE(close(captured, f64({0, 2})));
}

TEST(Functionalize, ReadsAndPrintsValuesInside) {
  double seen = 0;
  std::string printed;
  functionalize([&](Tensor x) {
    Tensor v = x.slice(0, 1, 2);
    x.mul_(10.0);
    seen = v.item<double>();
    printed = x.str();
    return x;
  })(arange_f64({3}));
  EXPECT_EQ(seen, 10.0);
  EXPECT_NE(printed.find("20."), std::string::npos) << printed;
}

TEST(Functionalize, Nests) {
  Tensor x = arange_f64({4});
  const Tensor y = functionalize(functionalize(example))(x);
  Tensor x2 = arange_f64({4});
  EXPECT_TRUE(close(y, example(x2)));
  EXPECT_TRUE(close(x, x2));
}

TEST(Functionalize, RandomOpsDrawTheSameNumbers) {
  auto f = [](Tensor x) {
    Generator g(7);
    Tensor noise = randn({3}, kF64, &g);
    noise.add_(x);
    return noise;
  };
  const Tensor x = arange_f64({3});
  EXPECT_TRUE(close(functionalize(f)(x), f(x), 0, 0));
}

// pytorch/functorch#1025: a buffer made inside the mapped function and
// written with per-example values. Plain vmap refuses (one memory, a value
// per example); functionalized, the buffer just becomes batched.
TEST(FunctionalizeComposition, VmapOverAPreallocatedBuffer) {
  auto f = [](const Tensor& x) {
    Tensor buf = zeros({3}, kF64);
    buf.select(0, 0).copy_(x.sum());
    buf.slice(0, 1, 3).copy_(x.slice(0, 0, 2));
    return buf;
  };
  const Tensor xs = arange_f64({5, 4});
  EXPECT_TRUE(throws_with([&] { vmap(f)(xs); }, "batched"));
  const Tensor got = vmap(functionalize(f))(xs);
  std::vector<Tensor> loop;
  for (int64_t b = 0; b < 5; ++b) loop.push_back(f(xs[b]));
  EXPECT_TRUE(close(got, stack(loop)));
}

TEST(FunctionalizeComposition, FunctionalizeOfVmapMutatingInputs) {
  auto f = [](Tensor x) {
    x.slice(0, 0, 2).mul_(2.0);
    return x.sum();
  };
  Tensor xs = arange_f64({3, 4});
  Tensor eager_xs = arange_f64({3, 4});
  const Tensor want = vmap(f)(eager_xs);
  const Tensor got = functionalize(vmap(f))(xs);
  EXPECT_TRUE(close(got, want));
  EXPECT_TRUE(close(xs, eager_xs));
}

// An in-place activation inside a differentiated function, then a write
// over a value that op's backward pass needs (torch refuses this one:
// "modified by an inplace operation"; grad keeps the in-place op's original
// input). Functionalized inside or outside grad: the same gradient.
TEST(FunctionalizeComposition, GradOfInPlaceActivation) {
  auto f = [](const Tensor& w, const Tensor& x) {
    Tensor h = matmul(x, w);
    h.relu_();
    h.mul_(h);
    return h.sum();
  };
  const Tensor w = f64({0.5, -1.0, 2.0, 0.25}, {2, 2});
  const Tensor x = f64({1.0, -2.0, 0.5, 3.0}, {2, 2});
  // d/dw sum(relu(xw)^2) = x^T (2 relu(xw))
  const Tensor want = matmul(x.t(), 2.0 * relu(matmul(x, w)));
  EXPECT_TRUE(close(grad(f)(w, x), want));
  EXPECT_TRUE(close(grad(functionalize(f))(w, x), want));
  EXPECT_TRUE(close(functionalize(grad(f))(w, x), want));
}

// Writing tracked values into a buffer the function creates: grad alone
// refuses (it cannot follow memory it did not see being made);
// functionalized inside grad the writes are pure ops and it works.
TEST(FunctionalizeComposition, GradOfWritesThroughViews) {
  auto f = [](const Tensor& x) {
    Tensor y = zeros({2, 3}, kF64);
    y.select(0, 1).copy_(x);
    y.t().slice(0, 0, 2).mul_(3.0);
    return (y * y).sum();
  };
  const Tensor x = f64({1.0, -2.0, 0.5});
  // y[1] = x with its first two entries tripled: sum = 9x0^2 + 9x1^2 + x2^2
  const Tensor want = f64({18.0, -36.0, 1.0});
  EXPECT_TRUE(close(grad(functionalize(f))(x), want));
  EXPECT_TRUE(close(functionalize(grad(functionalize(f)))(x), want));
  EXPECT_TRUE(throws_with([&] { grad(f)(x); }, "functionalize"));
}

TEST(FunctionalizeComposition, JvpThroughWritesIntoViews) {
  auto f = [](const Tensor& x) {
    Tensor y = x.clone();
    y.slice(0, 1, 3).mul_(y.slice(0, 0, 2));
    return y;
  };
  const Tensor x = f64({1, 2, 3, 4});
  const Tensor t = f64({1, 0, -1, 2});
  const auto [out, tangent] = jvp(f, x, t);
  const auto [fout, ftangent] = jvp(functionalize(f), x, t);
  EXPECT_TRUE(close(fout, out));
  EXPECT_TRUE(close(ftangent, tangent));
}

// f = (x0 x1)^2 + x1^2 + x2^2 written with an in-place mul_ through views
// of one base: second order, with and without functionalization.
TEST(FunctionalizeComposition, HessianOfAFunctionWithWrites) {
  auto f = [](const Tensor& x) {
    Tensor y = x.clone();
    y.select(0, 0).mul_(y.select(0, 1));
    return (y * y).sum();
  };
  const Tensor x = f64({1.5, -0.5, 2.0});
  const Tensor want = f64(
      {2 * 0.25, 4 * 1.5 * -0.5, 0, 4 * 1.5 * -0.5, 2 * 2.25 + 2, 0, 0, 0, 2},
      {3, 3});
  EXPECT_TRUE(close(hessian(functionalize(f))(x), want));
  EXPECT_TRUE(close(hessian(f)(x), want));
}

// Forward over forward through a write into a view of a clone: the outer
// jvp sees the inner tangent buffer as a constant it cannot follow through
// a view, and says so; functionalized, the write is pure and it works.
TEST(FunctionalizeComposition, ForwardOverForwardThroughAViewWrite) {
  auto f = [](const Tensor& x) {
    Tensor y = x.clone();
    y.slice(0, 0, 2).mul_(y.slice(0, 1, 3));
    return (y * y).sum();
  };
  const Tensor x = f64({0.5, -1.5, 2.0});
  EXPECT_TRUE(throws_with([&] { jacfwd(jacfwd(f))(x); }, "functionalize"));
  EXPECT_TRUE(close(jacfwd(jacfwd(functionalize(f)))(x), hessian(f)(x)));
}

}  // namespace
}  // namespace fnx::testing
