// torch.func's test_inplace_on_view_base and its relatives: a view read
// after its base was written carries the write's derivative (the base's new
// history seen through the view), under grad, jvp and their compositions.
#include <cmath>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::f64;

// The program of the issue: y0 is taken before y is written.
Tensor foo(const Tensor& t) {
  Tensor y = t.clone();
  Tensor y0 = y[0];
  y.copy_(sin(y));
  return y0;
}

TEST(ViewOfWrittenBase, GradFollowsTheWrite) {
  const Tensor x = f64({0.3, -0.7, 1.1});
  EXPECT_TRUE(close(grad(foo)(x), f64({std::cos(0.3), 0.0, 0.0})));
}

TEST(ViewOfWrittenBase, JvpFollowsTheWrite) {
  const Tensor x = f64({0.3, -0.7, 1.1});
  auto [y, t] = jvp(foo, x, f64({1.0, 1.0, 1.0}));
  EXPECT_NEAR(y.item<double>(), std::sin(0.3), 1e-12);
  EXPECT_NEAR(t.item<double>(), std::cos(0.3), 1e-12);
  EXPECT_TRUE(close(jacfwd(foo)(x), f64({std::cos(0.3), 0.0, 0.0})));
}

TEST(ViewOfWrittenBase, UsedInAnOpAndWrittenTwice) {
  // The stale view is an op's input; the base is written twice, once
  // through another view.
  auto f = [](const Tensor& t) {
    Tensor y = t * 2.0;
    Tensor head = y.slice(0, 0, 2);
    Tensor tail = y.slice(0, 1, 3);
    y.mul_(y);                    // y = 4 t^2
    tail.add_(t.slice(0, 1, 3));  // y[1:] += t[1:]
    return (head * head).sum();   // (4 t0^2)^2 + (4 t1^2 + t1)^2
  };
  const Tensor x = f64({0.5, -0.4, 0.9});
  const double t0 = 0.5, t1 = -0.4;
  const double d0 = 2 * (4 * t0 * t0) * 8 * t0;
  const double d1 = 2 * (4 * t1 * t1 + t1) * (8 * t1 + 1);
  EXPECT_TRUE(close(grad(f)(x), f64({d0, d1, 0.0})));
  auto [v, tv] = jvp(f, x, f64({1.0, 1.0, 1.0}));
  EXPECT_NEAR(tv.item<double>(), d0 + d1, 1e-9);
  // Compositions: per-example gradients and the Hessian.
  const Tensor xs = stack({x, x * 0.5}, 0);
  EXPECT_TRUE(close(vmap(grad(f))(xs).select(0, 0), grad(f)(x)));
  EXPECT_TRUE(close(jacfwd(jacrev(foo))(x),
                    f64({-std::sin(0.5), 0, 0, 0, 0, 0, 0, 0, 0}, {3, 3})));
  // Second order: foo(t * t) = sin(t0^2).
  auto h = [](const Tensor& t) { return foo(t * t); };
  const double a = 0.4;
  const double d2 = 2 * std::cos(a * a) - 4 * a * a * std::sin(a * a);
  EXPECT_NEAR(jacfwd(jacrev(h))(f64({a, 0.1, 0.2}))
                  .select(0, 0)
                  .select(0, 0)
                  .item<double>(),
              d2, 1e-9);
  EXPECT_NEAR(
      hessian(h)(f64({a, 0.1, 0.2})).select(0, 0).select(0, 0).item<double>(),
      d2, 1e-9);
}

}  // namespace
}  // namespace fnx

namespace fnx {
namespace {

using testing::close;
using testing::f64;
using testing::throws_with;

// torch.func's TestJac.test_inplace: the differentiated input written into
// an argument that is not differentiated.
TEST(WriteIntoUndifferentiatedArgument, JacrevAndJacfwd) {
  auto f = [](const Tensor& x, Tensor y) {
    y.copy_(x);
    return y;
  };
  const Tensor eye = f64({1, 0, 0, 1}, {2, 2});
  EXPECT_TRUE(close(jacrev<0>(f)(f64({0.3, -0.2}), f64({5.0, 6.0})), eye));
  EXPECT_TRUE(close(jacfwd<0>(f)(f64({0.3, -0.2}), f64({5.0, 6.0})), eye));
  // Functionalized, as the old error advised: the write-back at the end is
  // a write into the argument too.
  EXPECT_TRUE(close(
      jacrev<0>(functionalize(f))(f64({0.3, -0.2}), f64({5.0, 6.0})), eye));
  EXPECT_TRUE(close(
      jacfwd<0>(functionalize(f))(f64({0.3, -0.2}), f64({5.0, 6.0})), eye));
  // Chunked jacfwd makes one jvp level per chunk: each may write.
  EXPECT_TRUE(close(
      jacfwd<0>(f, {.chunk_size = 1})(f64({0.3, -0.2}), f64({5.0, 6.0})), eye));
  // grad and vjp too; the caller's y is written, as in torch.
  Tensor y = f64({5.0, 6.0});
  const Tensor g = grad<0>([](const Tensor& x, Tensor y) {
    y.copy_(x * x);
    return y.sum();
  })(f64({0.3, -0.2}), y);
  EXPECT_TRUE(close(g, f64({0.6, -0.4})));
  EXPECT_TRUE(close(y, f64({0.09, 0.04})));
  // jvp through a jacrev-style closure over the argument.
  EXPECT_TRUE(close(hessian<0>([](const Tensor& x, Tensor y) {
                      y.copy_(x * x);
                      return y.sum();
                    })(f64({0.3, -0.2}), f64({5.0, 6.0})),
                    f64({2, 0, 0, 2}, {2, 2})));
}

TEST(WriteIntoUndifferentiatedArgument, ViewsAndCapturesStayErrors) {
  // Writing into a view of the argument would leave its other views
  // without the gradient: refused, with advice that works.
  auto g = [](const Tensor& x, Tensor y) {
    y.slice(0, 0, 1).copy_(x.slice(0, 0, 1));
    return (y * y).sum();
  };
  EXPECT_TRUE(throws_with(
      [&] {
        grad<0>(g)(f64({0.3, -0.2}), f64({5.0, 6.0}));
      },
      {"[grad] copy_", "view", "argument that is not differentiated",
       "Write into the whole argument", "functionalize"}));
  // ...and the advice works: torch's original example (x[:2] = y with x
  // not differentiated), functionalized.
  auto h = [](Tensor x, const Tensor& y, const Tensor& z) {
    x.slice(0, 0, 2).copy_(y);
    return stack({(x * x).sum(), (z * z * z).sum()}, 0);
  };
  const Tensor x = f64({1.0, 2.0, 3.0, 4.0});
  const Tensor y = f64({0.5, -0.5}), z = f64({0.1, 0.2});
  auto [jy, jz] = jacrev<1, 2>(functionalize(h))(x, y, z);
  EXPECT_TRUE(close(jy, f64({1.0, -1.0, 0.0, 0.0}, {2, 2})));
  EXPECT_TRUE(close(jz, f64({0.0, 0.0, 0.03, 0.12}, {2, 2})));
  auto [fy, fz] = jacfwd<1, 2>(functionalize(h))(x, y, z);
  EXPECT_TRUE(close(fy, jy));
  EXPECT_TRUE(close(fz, jz));
  // A captured tensor is not an argument: torch.func refuses it too.
  Tensor captured = f64({5.0, 6.0});
  EXPECT_TRUE(throws_with(
      [&] {
        grad([&](const Tensor& x) {
          captured.copy_(x);
          return captured.sum();
        })(f64({0.3, -0.2}));
      },
      "captured"));
}

}  // namespace
}  // namespace fnx
