// scan, fori_loop and map (transforms/control/control.h) under every
// transform, compared with plain C++ loops: an RNN written with scan vs
// unrolled, carry checkpointing, reverse scans, errors.
#include <tuple>
#include <utility>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "tests/control/control_test_util.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::f64;
using testing::per_example;
using testing::scalar;
using testing::throws_with;

struct Rnn {
  Tensor w, u;  // hidden->hidden, input->hidden
};
FNX_TREE_STRUCT(Rnn, w, u);

Rnn rnn_weights() {
  Generator gen(7);
  return {randn({4, 4}, DType::Float64, &gen) * 0.4,
          randn({3, 4}, DType::Float64, &gen) * 0.4};
}

Tensor cell(const Rnn& p, const Tensor& h, const Tensor& x) {
  return tanh(matmul(h, p.w) + matmul(x, p.u));
}

// The RNN over a sequence xs (T, 3) from h0 (4): sum of squares of every
// hidden state, by scan (capturing the weights) and unrolled.
Tensor rnn_scan(const Rnn& p, const Tensor& h0, const Tensor& xs,
                ScanOptions options = {}) {
  auto [h, hs] = scan(
      [&](const Tensor& h, const Tensor& x) {
        Tensor n = cell(p, h, x);
        return std::pair{n, n};
      },
      h0, xs, options);
  return (hs * hs).sum() + h.sum();
}
Tensor rnn_unrolled(const Rnn& p, const Tensor& h0, const Tensor& xs) {
  Tensor h = h0, total = scalar(0.0);
  for (int64_t t = 0; t < xs.shape()[0]; ++t) {
    h = cell(p, h, xs.select(0, t));
    total = total + (h * h).sum();
  }
  return total + h.sum();
}
// The same with the weights in the carry (what checkpointing needs).
Tensor rnn_scan_carry(const Rnn& p, const Tensor& h0, const Tensor& xs,
                      ScanOptions options) {
  using Carry = std::pair<Tensor, Rnn>;
  auto [c, hs] = scan(
      [](const Carry& c, const Tensor& x) {
        Tensor n = cell(c.second, c.first, x);
        return std::pair{Carry{n, c.second}, n};
      },
      Carry{h0, p}, xs, options);
  return (hs * hs).sum() + c.first.sum();
}

Tensor sequence(int64_t t) {
  Generator gen(3);
  return randn({t, 3}, DType::Float64, &gen);
}

TEST(Scan, CarryAndStackedOutputsForwardAndReverse) {
  const Tensor xs = f64({1.0, 2.0, 3.0, 4.0});
  auto cumsum = [](const Tensor& acc, const Tensor& x) {
    return std::pair{acc + x, acc + x};
  };
  auto [total, sums] = scan(cumsum, scalar(0.0), xs);
  EXPECT_TRUE(close(total, scalar(10.0)));
  EXPECT_TRUE(close(sums, f64({1.0, 3.0, 6.0, 10.0})));
  // reverse: from the last element, ys aligned with xs.
  auto [rtotal, rsums] = scan(cumsum, scalar(0.0), xs, {.reverse = true});
  EXPECT_TRUE(close(rtotal, scalar(10.0)));
  EXPECT_TRUE(close(rsums, f64({10.0, 9.0, 7.0, 4.0})));
  // Trees: a tuple carry, xs of two leaves, a tuple of ys; no xs + length.
  using C = std::tuple<Tensor, Tensor>;
  auto [c, ys] = scan(
      [](const C& c, const std::vector<Tensor>& x) {
        return std::pair{C{std::get<0>(c) + x[0], std::get<1>(c) * x[1]},
                         std::tuple{x[0] * x[1]}};
      },
      C{scalar(0.0), scalar(1.0)}, std::vector<Tensor>{xs, xs + 1.0});
  EXPECT_TRUE(close(std::get<1>(c), scalar(120.0)));
  EXPECT_TRUE(close(std::get<0>(ys), f64({2.0, 6.0, 12.0, 20.0})));
  auto [k, ks] = scan(
      [](const Tensor& c, const std::tuple<>&) {
        return std::pair{c * 2.0, c};
      },
      scalar(1.0), std::tuple<>{}, {.length = 3});
  EXPECT_TRUE(close(k, scalar(8.0)));
  EXPECT_TRUE(close(ks, f64({1.0, 2.0, 4.0})));
}

TEST(Scan, RnnMatchesUnrolledUnderEveryTransform) {
  const Rnn p = rnn_weights();
  const Tensor h0 = f64({0.1, -0.2, 0.3, 0.0});
  const Tensor xs = sequence(6);
  EXPECT_TRUE(close(rnn_scan(p, h0, xs), rnn_unrolled(p, h0, xs)));
  // grad w.r.t. the captured weights and h0.
  auto gs = grad<0, 1>(rnn_scan)(p, h0, xs, ScanOptions{});
  auto gu = grad<0, 1>(rnn_unrolled)(p, h0, xs);
  EXPECT_TRUE(close(std::get<0>(gs).w, std::get<0>(gu).w));
  EXPECT_TRUE(close(std::get<0>(gs).u, std::get<0>(gu).u));
  EXPECT_TRUE(close(std::get<1>(gs), std::get<1>(gu)));
  // Per-sequence gradients: vmap(grad) over a batch of sequences.
  Generator gen(11);
  const Tensor batch = randn({5, 6, 3}, DType::Float64, &gen);
  auto dh0 = [&](const Tensor& x) {
    return grad([&](const Tensor& h) { return rnn_scan(p, h, x); })(h0);
  };
  auto dh0_plain = [&](const Tensor& x) {
    return grad([&](const Tensor& h) { return rnn_unrolled(p, h, x); })(h0);
  };
  EXPECT_TRUE(close(vmap(dh0)(batch), per_example(dh0_plain, batch)));
  // jvp in h0, grad(grad) via the Hessian of h0, jacfwd(jacrev).
  auto of_h = [&](const Tensor& h) { return rnn_scan(p, h, xs); };
  auto of_h_plain = [&](const Tensor& h) { return rnn_unrolled(p, h, xs); };
  const Tensor t = f64({1.0, 0.5, -1.0, 2.0});
  EXPECT_TRUE(close(std::get<1>(jvp(of_h, h0, t)),
                    std::get<1>(jvp(of_h_plain, h0, t))));
  EXPECT_TRUE(close(jacfwd(jacrev(of_h))(h0), jacfwd(jacrev(of_h_plain))(h0)));
  auto dd = [&](const Tensor& h) { return grad(of_h)(h).sum(); };
  auto dd_plain = [&](const Tensor& h) { return grad(of_h_plain)(h).sum(); };
  EXPECT_TRUE(close(grad(dd)(h0), grad(dd_plain)(h0)));
  EXPECT_TRUE(close(functionalize(of_h)(h0), of_h_plain(h0)));
  // The sequence batched inside the step (vmap over examples of one
  // sequence batch: h (B, 4)).
  auto batched_h = [&](const Tensor& h) { return rnn_scan(p, h, xs); };
  const Tensor hs0 = randn({3, 4}, DType::Float64, &gen);
  EXPECT_TRUE(close(vmap(batched_h)(hs0), per_example(of_h_plain, hs0)));
}

TEST(Scan, CheckpointedCarriesGiveTheSameGradients) {
  const Rnn p = rnn_weights();
  const Tensor h0 = f64({0.1, -0.2, 0.3, 0.0});
  const Tensor xs = sequence(10);
  auto want = grad<0, 1>(rnn_unrolled)(p, h0, xs);
  for (int64_t every : {1, 3, 4, 10, 20}) {
    for (bool reverse : {false, true}) {
      const ScanOptions o{.reverse = reverse, .checkpoint_every = every};
      if (!reverse) {
        auto got = grad<0, 1>(rnn_scan_carry)(p, h0, xs, o);
        EXPECT_TRUE(close(std::get<0>(got).w, std::get<0>(want).w)) << every;
        EXPECT_TRUE(close(std::get<1>(got), std::get<1>(want))) << every;
      }
      // Reverse and checkpointed equals reverse without checkpoints.
      auto plain = grad<0, 1>(rnn_scan_carry)(p, h0, xs,
                                              ScanOptions{.reverse = reverse});
      auto ckpt = grad<0, 1>(rnn_scan_carry)(p, h0, xs, o);
      EXPECT_TRUE(close(std::get<0>(ckpt).u, std::get<0>(plain).u)) << every;
    }
  }
  // Under vmap(grad) too.
  Generator gen(5);
  const Tensor batch = randn({3, 10, 3}, DType::Float64, &gen);
  auto g = [&](const Tensor& x, ScanOptions o) {
    return grad([&](const Rnn& q) { return rnn_scan_carry(q, h0, x, o); })(p).w;
  };
  EXPECT_TRUE(close(vmap([&](const Tensor& x) {
                      return g(x, {.checkpoint_every = 4});
                    })(batch),
                    vmap([&](const Tensor& x) { return g(x, {}); })(batch)));
  // A step that captures a differentiated tensor cannot be checkpointed.
  EXPECT_TRUE(throws_with(
      [&] {
        grad([&](const Rnn& q) {
          return rnn_scan(q, h0, xs, {.checkpoint_every = 2});
        })(p);
      },
      {"captured", "argument"}));
}

TEST(Scan, ErrorsSayWhatIsWrong) {
  const Tensor xs = f64({1.0, 2.0, 3.0});
  EXPECT_TRUE(throws_with(
      [&] {
        scan(
            [](const Tensor& c, const Tensor& x) {
              return std::pair{cat({c, x.reshape({1})}, 0), x};
            },
            f64({0.0}), xs);
      },
      {"[scan] f's carry leaf 0 is [2] float64", "[1] float64"}));
  EXPECT_TRUE(throws_with(
      [&] {
        scan(
            [](const Tensor& c, const std::vector<Tensor>& x) {
              return std::pair{c, x[0]};
            },
            scalar(0.0), std::vector<Tensor>{xs, f64({1.0, 2.0})});
      },
      {"[scan] xs leaf 1 has leading size 2", "leaf 0 has 3"}));
  auto id = [](const Tensor& c, const std::tuple<>&) {
    return std::pair{c, c};
  };
  EXPECT_TRUE(throws_with([&] { scan(id, scalar(0.0), std::tuple<>{}); },
                          {"[scan]", "{.length = N}"}));
  EXPECT_TRUE(
      throws_with([&] { scan(id, scalar(0.0), std::tuple<>{}, {.length = 0}); },
                  {"[scan] the length is 0"}));
  auto sum_step = [](const Tensor& c, const Tensor& x) {
    return std::pair{c + x, c};
  };
  EXPECT_TRUE(
      throws_with([&] { scan(sum_step, scalar(0.0), xs, {.length = 4}); },
                  {"[scan] length is 4 but xs has leading size 3"}));
  EXPECT_TRUE(throws_with(
      [&] { scan(sum_step, scalar(0.0), xs, {.unroll = 0}); }, "unroll is 0"));
  EXPECT_TRUE(throws_with([&] { scan(sum_step, scalar(0.0), scalar(1.0)); },
                          "xs leaf 0 is 0-d"));
  EXPECT_TRUE(throws_with(
      [&] {
        scan(
            [](const Tensor& c, const Tensor& x) {
              return std::pair{c, x.item<double>() > 1.5
                                      ? cat({x.reshape({1}), x.reshape({1})}, 0)
                                      : x.reshape({1})};
            },
            scalar(0.0), xs);
      },
      {"[scan] output leaf 0 is [2] float64 at step 1",
       "[1] float64 at step 0"}));
}

TEST(ForiLoop, RunsTheBodyWithEachIndex) {
  const Tensor x = scalar(1.5);
  auto pow_loop = [](const Tensor& v) {
    return fori_loop(
        2, 5,
        [&](int64_t i, const Tensor& c) {
          return c + v * static_cast<double>(i);
        },
        scalar(0.0));
  };
  EXPECT_TRUE(close(pow_loop(x), scalar(1.5 * 9.0)));
  EXPECT_TRUE(close(grad(pow_loop)(x), scalar(9.0)));
  EXPECT_TRUE(close(vmap(pow_loop)(f64({1.0, 2.0})), f64({9.0, 18.0})));
  EXPECT_TRUE(
      close(fori_loop(
                3, 3, [](int64_t, const Tensor& c) { return c + 1.0; }, x),
            x));
  EXPECT_TRUE(throws_with(
      [&] {
        fori_loop(
            3, 1, [](int64_t, const Tensor& c) { return c; }, x);
      },
      "[fori_loop] upper 1 is below lower 3"));
}

TEST(Map, SequentialAndChunkedEqualVmap) {
  Generator gen(2);
  const Tensor xs = randn({7, 3}, DType::Float64, &gen);
  const Tensor w = randn({3, 2}, DType::Float64, &gen);
  int calls = 0;
  auto f = [&](const Tensor& x) {
    ++calls;
    return tanh(matmul(x, w));
  };
  const Tensor want = vmap(f)(xs);
  calls = 0;
  EXPECT_TRUE(close(map(f, xs), want));
  EXPECT_EQ(calls, 7);
  calls = 0;
  EXPECT_TRUE(close(map(f, xs, {.batch_size = 3}), want));
  EXPECT_EQ(calls, 3);  // chunks of 3, 3, 1
  // grad through map w.r.t. the captured weight, and vmap of map.
  auto loss = [&](const Tensor& v) {
    return map([&](const Tensor& x) { return tanh(matmul(x, v)); }, xs,
               {.batch_size = 2})
        .sum();
  };
  auto loss_vmap = [&](const Tensor& v) {
    return vmap([&](const Tensor& x) { return tanh(matmul(x, v)); })(xs).sum();
  };
  EXPECT_TRUE(close(grad(loss)(w), grad(loss_vmap)(w)));
  const Tensor xss = stack({xs, xs * 2.0}, 0);
  EXPECT_TRUE(close(vmap([&](const Tensor& x) { return map(f, x); })(xss),
                    stack({want, vmap(f)(xs * 2.0)}, 0)));
  EXPECT_TRUE(throws_with([&] { map(f, xs, {.batch_size = -1}); },
                          "[map] batch_size is -1"));
}

}  // namespace
}  // namespace fnx
