// Levels and modes: nested grads of the same variable (perturbation
// confusion), captured tensors as constants, in-place writes, the seed's
// no_grad gotcha both ways, stop_gradient, escaped values and threads.
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/interpreter.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/grad/grad.h"

namespace fnx {
namespace {

using testing::close;
using testing::throws_with;

Tensor scalar(double v) { return scalar_tensor(v, DType::Float64); }

TEST(Levels, NoPerturbationConfusion) {
  // d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1, at every x. A single shared
  // tape would see d/dy (x + y) depend on x and answer 2.
  auto f = [](const Tensor& x) {
    auto inner = [&](const Tensor& y) { return x + y; };
    return x * grad(inner)(scalar(1.0));
  };
  for (double x0 : {-2.0, 0.5, 3.0}) {
    EXPECT_NEAR(grad(f)(scalar(x0)).item<double>(), 1.0, 1e-12) << x0;
  }
}

TEST(Levels, InnerGradOfTheOuterVariable) {
  // d/dx [d/dx x^3 evaluated through a nested grad that closes over x]:
  // g(x) = x * d/dy (x * y^2)|_{y=x} = x * 2x^2 = 2x^3, g'(x) = 6x^2.
  auto g = [](const Tensor& x) {
    auto inner = [&](const Tensor& y) { return x * y * y; };
    return x * grad(inner)(x);
  };
  EXPECT_NEAR(grad(g)(scalar(1.5)).item<double>(), 6 * 1.5 * 1.5, 1e-12);
}

TEST(Levels, CapturedTensorsAreConstants) {
  Tensor c = randn({3}, DType::Float64);
  Tensor x = randn({3}, DType::Float64);
  // A captured plain tensor.
  EXPECT_TRUE(
      close(grad([&](const Tensor& t) { return (c * t).sum(); })(x), c, 0));
  // An outer level's value captured by an inner grad is a constant to it,
  // but still tracked by the outer level: d/dx sum(d/dy <x, y>) = d/dx
  // sum(x) = 1.
  auto outer = [](const Tensor& x) {
    auto inner = [&](const Tensor& y) { return (x * y).sum(); };
    Tensor gy = grad(inner)(ones_like(x));
    return gy.sum();
  };
  EXPECT_TRUE(close(grad(outer)(x), ones({3}, DType::Float64), 0));
}

TEST(Levels, MutatingACapturedTensorIsAnError) {
  Tensor c = zeros({3}, DType::Float64);
  Tensor x = randn({3}, DType::Float64);
  // Writing a tracked value into it.
  EXPECT_TRUE(throws_with(
      [&] {
        grad([&](const Tensor& t) {
          Tensor dst = c;
          dst.copy_(t * 2.0);
          return dst.sum();
        })(x);
      },
      "Mutating a captured tensor inside grad is an error"));
  // Writing a constant into one the tape saved: caught by its version.
  Tensor w = randn({3}, DType::Float64);
  EXPECT_TRUE(throws_with(
      [&] {
        grad([&](const Tensor& t) {
          Tensor y = (t * w).sum();
          Tensor dst = w;
          dst.copy_(zeros({3}, DType::Float64));
          return y;
        })(x);
      },
      "was modified in place"));
  // An outer level's tracked value written by an inner grad.
  EXPECT_TRUE(throws_with(
      [&] {
        grad([](const Tensor& outer_x) {
          Tensor buf = outer_x * 1.0;
          return grad([&](const Tensor& y) {
                   Tensor dst = buf;
                   dst.copy_(y);
                   return y.sum();
                 })(outer_x)
              .sum();
        })(x);
      },
      "Mutating a captured tensor"));
}

TEST(Levels, InPlaceWritesIntoInputsAreRefused) {
  Tensor x = randn({3}, DType::Float64);
  EXPECT_TRUE(throws_with(
      [&] {
        grad([](const Tensor& t) {
          Tensor dst = t;
          dst.copy_(t * t);
          return dst.sum();
        })(x);
      },
      "input being differentiated"));
  EXPECT_TRUE(throws_with(
      [&] {
        grad([](const Tensor& t) {
          Tensor view = t.slice(0, 0, 2);
          view.copy_(zeros({2}, DType::Float64));
          return t.sum();
        })(x);
      },
      "input being differentiated"));
}

TEST(Levels, InPlaceWriteIntoATrackedValue) {
  Tensor x = randn({3}, DType::Float64);
  // buf owns its memory; after the write it is x^2 and differentiates so.
  Tensor g = grad([](const Tensor& t) {
    Tensor buf = t * 1.0;
    buf.copy_(t * t);
    return buf.sum();
  })(x);
  EXPECT_TRUE(close(g, 2.0 * x, 1e-12));
  // Overwritten by a constant: no gradient left.
  Tensor g0 = grad([](const Tensor& t) {
    Tensor buf = t * 1.0;
    buf.copy_(ones({3}, DType::Float64));
    return buf.sum();
  })(x);
  EXPECT_TRUE(close(g0, zeros({3}, DType::Float64), 0));
  // Through a view: the base's history is rebased, as torch does.
  // buf = [sum(t), t1, t2], so d/dt sum(buf) = [1, 2, 2].
  Tensor gv = grad([](const Tensor& t) {
    Tensor buf = t * 1.0;
    Tensor head = buf.slice(0, 0, 1);
    head.copy_(t.sum().reshape({1}));
    return buf.sum() + 0.0 * head.sum();
  })(x);
  EXPECT_TRUE(close(gv, from_vector({1, 2, 2}, DType::Float64), 1e-12));
  // A strided view of a transposed view, written with a broadcast source.
  Tensor m = randn({2, 3}, DType::Float64);
  auto [ga, gs] = grad<0, 1>([](const Tensor& a, const Tensor& s) {
    Tensor buf = a * 2.0;
    Tensor cols = buf.t().slice(0, 0, 3, 2);  // columns 0 and 2 of buf
    cols.copy_(s);                            // s of shape [2] broadcasts
    return (buf * buf).sum();
  })(m, from_vector({0.5, -1.5}, DType::Float64));
  // buf[:, 0] = buf[:, 2] = s, so d/ds sum(buf^2) = 2 s * 2 columns, and
  // only column 1 of a still counts: 2 * (2a) * 2.
  EXPECT_TRUE(close(gs, from_vector({2.0, -6.0}, DType::Float64), 1e-12));
  Tensor mask = from_vector(std::vector<double>{0, 1, 0, 0, 1, 0}, {2, 3},
                            DType::Float64);
  EXPECT_TRUE(close(ga, m * mask * 8.0, 1e-12));
  // A tensor the function made from constants, written whole with a
  // tracked value, becomes tracked (its memory is new and nothing else
  // views it); d/ds sum(buf) = 1.
  Tensor gb = grad<1>([](const Tensor& a, const Tensor& s) {
    Tensor buf = a * 2.0;
    buf.copy_(s);
    return buf.sum();
  })(m, m);
  EXPECT_TRUE(close(gb, ones({2, 3}, DType::Float64), 1e-12));
  // Written through a view, the buffer's other views would miss the
  // gradient: refused, pointing at functionalize.
  EXPECT_TRUE(throws_with(
      [&] {
        grad<1>([](const Tensor& a, const Tensor& s) {
          Tensor buf = a * 2.0;
          buf.slice(0, 0, 1).copy_(s.slice(0, 0, 1));
          return buf.sum();
        })(m, m);
      },
      "functionalize"));
  // Another view of the written base sees the write, and its gradient
  // follows it (torch's view rebase): buf = [0, 0, t2], b = [0, t2].
  Tensor gb2 = grad([](const Tensor& t) {
    Tensor buf = t * 1.0;
    Tensor a = buf.slice(0, 0, 2);
    Tensor b = buf.slice(0, 1, 3);
    a.copy_(zeros({2}, DType::Float64));
    return b.sum();
  })(x);
  EXPECT_TRUE(close(gb2, from_vector({0, 0, 1}, DType::Float64), 0));
  // A value the tape saved, then overwritten: caught at backward.
  EXPECT_TRUE(throws_with(
      [&] {
        grad([](const Tensor& t) {
          Tensor buf = t * 1.0;
          Tensor y = (buf * buf).sum();
          buf.copy_(t);
          return y;
        })(x);
      },
      "the gradient of mul needs was modified in place"));
}

// The seed's gotcha, exactly as torch.func's documentation shows it.
Tensor x_minus_c(const Tensor& x) {
  Tensor c;
  {
    NoGradGuard no_grad;
    c = pow(x, 2.0);
  }
  return x - c;
}

TEST(GradMode, GradRespectsNoGradInsideF) {
  Tensor x = randn({}, DType::Float64);
  EXPECT_NEAR(grad(x_minus_c)(x).item<double>(), 1.0, 1e-12);
}

TEST(GradMode, GradIgnoresNoGradAroundTheCall) {
  Tensor x = scalar(0.7);
  NoGradGuard no_grad;
  EXPECT_FALSE(is_grad_enabled());
  // The inner no_grad is still respected...
  EXPECT_NEAR(grad(x_minus_c)(x).item<double>(), 1.0, 1e-12);
  // ...and the outer one does not stop grad.
  EXPECT_NEAR(grad([](const Tensor& t) { return t * t; })(x).item<double>(),
              1.4, 1e-12);
  EXPECT_FALSE(is_grad_enabled());  // restored after the call
}

TEST(GradMode, EnableGradInsideNoGrad) {
  Tensor x = scalar(0.5);
  Tensor g = grad([](const Tensor& t) {
    NoGradGuard off;
    EnableGradGuard on;
    return t * t * t;
  })(x);
  EXPECT_NEAR(g.item<double>(), 0.75, 1e-12);
  EXPECT_TRUE(is_grad_enabled());
}

TEST(GradMode, NoGradAppliesToEveryLevel) {
  // no_grad inside the inner f hides the value from the outer level too.
  auto outer = [](const Tensor& x) {
    auto inner = [&](const Tensor& y) {
      Tensor c;
      {
        NoGradGuard no_grad;
        c = x * x;
      }
      return c * y;
    };
    return grad(inner)(scalar(1.0));  // = x^2, but a constant
  };
  EXPECT_NEAR(grad(outer)(scalar(3.0)).item<double>(), 0.0, 0);
}

// torch.func's test_no_grad_nested_simple: a NoGradGuard around an inner
// grad makes its result a constant to the enclosing grad (no_grad turns off
// the levels outside it, not the one being created).
TEST(GradMode, NoGradAroundInnerGradMakesItsResultConstant) {
  auto h = [](const Tensor& t) {
    Tensor s;
    {
      NoGradGuard g;
      s = grad([](const Tensor& u) { return 0.25 * pow(u, 4.0); })(t);
    }
    return pow(t, 3.0) - s;
  };
  EXPECT_NEAR(grad(h)(scalar(1.5)).item<double>(), 3 * 1.5 * 1.5, 1e-12);
}

// test_no_grad_nested_complicated: the inner grad's f still records inside,
// and a no_grad inside that f stops only what it wraps.
TEST(GradMode, NoGradAroundInnerGradWithInnerNoGrad) {
  auto h = [](const Tensor& t) {
    Tensor s;
    {
      NoGradGuard g;
      s = grad([&](const Tensor& u) {
        Tensor c;
        {
          NoGradGuard inner;
          c = u * u;  // a constant to every level
        }
        return pow(u, 3.0) + c * u;
      })(t);
    }
    return pow(t, 3.0) - s;  // s = 3t^2 + t^2 = 4t^2, a constant
  };
  EXPECT_NEAR(grad(h)(scalar(1.5)).item<double>(), 3 * 1.5 * 1.5, 1e-12);
  // Without the guard, grad differentiates through the inner gradient.
  auto h2 = [](const Tensor& t) {
    const Tensor s =
        grad([](const Tensor& u) { return 0.25 * pow(u, 4.0); })(t);
    return pow(t, 3.0) - s;  // t^3 - t^3
  };
  EXPECT_NEAR(grad(h2)(scalar(1.5)).item<double>(), 0.0, 1e-12);
}

// test_no_grad_value: grad_and_value's value under a NoGradGuard is a
// constant to the enclosing grad.
TEST(GradMode, NoGradAroundGradAndValueMakesTheValueConstant) {
  auto h = [](const Tensor& t) {
    Tensor value;
    {
      NoGradGuard g;
      auto [gy, y] = grad_and_value([](const Tensor& u) { return sin(u); })(t);
      value = y;
    }
    return value + t;
  };
  EXPECT_NEAR(grad(h)(scalar(0.3)).item<double>(), 1.0, 1e-12);
  // And outside every transform: grad under no_grad still differentiates.
  NoGradGuard g;
  EXPECT_NEAR(
      grad([](const Tensor& u) { return sin(u); })(scalar(0.3)).item<double>(),
      std::cos(0.3), 1e-12);
}

TEST(StopGradient, DetachIsAConstant) {
  Tensor x = randn({4}, DType::Float64);
  Tensor g = grad([](const Tensor& t) { return (t * detach(t)).sum(); })(x);
  EXPECT_TRUE(close(g, x, 1e-12));
  Tensor g2 = grad([](const Tensor& t) { return (t * t.detach()).sum(); })(x);
  EXPECT_TRUE(close(g2, x, 1e-12));
  // stop_gradient stops every level at once.
  auto f = [](const Tensor& t) {
    return grad([](const Tensor& u) { return (u * stop_gradient(u)).sum(); })(t)
        .sum();
  };
  EXPECT_TRUE(close(grad(f)(x), zeros({4}, DType::Float64), 0));
}

TEST(Levels, EscapedValuesActAsTheirValues) {
  Tensor x = randn({3}, DType::Float64);
  Tensor leaked;
  Tensor g = grad([&](const Tensor& t) {
    leaked = sin(t);
    return leaked.sum();
  })(x);
  EXPECT_TRUE(close(g, cos(x), 1e-12));
  EXPECT_EQ(live_level(leaked), -1);
  EXPECT_TRUE(close(leaked * 2.0, sin(x) * 2.0, 1e-12));
}

TEST(Levels, ThreadsHaveTheirOwnLevels) {
  std::vector<std::thread> threads;
  std::vector<double> results(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([i, &results] {
      Tensor x = scalar(0.1 * (i + 1));
      double acc = 0;
      for (int k = 0; k < 200; ++k) {
        acc = grad(grad([](const Tensor& t) { return t * t * t; }))(x)
                  .item<double>();
      }
      results[i] = acc;
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(results[i], 6 * 0.1 * (i + 1), 1e-12);
}

}  // namespace
}  // namespace fnx
