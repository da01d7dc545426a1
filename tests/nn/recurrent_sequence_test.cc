// The recurrent time loop's own reverse rule (backprop through time, the
// W_hh gradient as one GEMM) against reverse mode through the plain
// unrolled loop of the same cell steps: every cell kind, both directions,
// with and without bias, cotangents on some or all outputs, under vmap,
// at second order, and forward mode.
#include "nn/recurrent_sequence.h"

#include <tuple>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using nn::LSTMState;
using nn::recurrent_internal::cell_step;
using nn::recurrent_internal::CellKind;
using nn::recurrent_internal::run_sequence;
using testing::close;

constexpr int64_t kT = 5, kN = 3, kH = 4;

int64_t gate_count(CellKind k) {
  return k == CellKind::lstm ? 4 : k == CellKind::gru ? 3 : 1;
}

// outputs, h_n, c_n by the plain loop (no custom rule).
std::tuple<Tensor, Tensor, Tensor> unrolled(CellKind kind, const Tensor& xw,
                                            const LSTMState& s0,
                                            const Tensor& w_hh,
                                            const Tensor& b_hh, bool reverse) {
  std::vector<Tensor> outs(kT);
  LSTMState s = s0;
  for (int64_t i = 0; i < kT; ++i) {
    const int64_t t = reverse ? kT - 1 - i : i;
    s = cell_step(kind, select(xw, 0, t), s, w_hh, b_hh);
    outs[t] = s.h;
  }
  return {stack(outs, 0), s.h, s.c};
}

struct Case {
  CellKind kind;
  bool reverse, bias;
};

std::vector<Case> cases() {
  std::vector<Case> all;
  for (CellKind k : {CellKind::rnn_tanh, CellKind::rnn_relu, CellKind::lstm,
                     CellKind::gru}) {
    for (bool reverse : {false, true}) {
      for (bool bias : {true, false}) all.push_back({k, reverse, bias});
    }
  }
  return all;
}

// A loss over the outputs with different weights per element, so every
// cotangent differs; `which` picks the outputs that enter it.
Tensor loss_of(const Tensor& out, const Tensor& h, const Tensor& c, int which) {
  const Tensor w = arange(static_cast<double>(out.numel()), DType::Float64)
                       .reshape(out.shape()) *
                   0.01;
  Tensor total = (sin(out) * w).sum();
  if (which >= 1) total = total + (h * h).sum();
  if (which >= 2 && c.defined()) total = total + (c * 0.5).sum();
  return total;
}

struct Args {
  Tensor xw, h0, c0, w_hh, b_hh;
};

Args make_args(const Case& c, Generator& gen) {
  const int64_t g = gate_count(c.kind);
  return {randn({kT, kN, g * kH}, DType::Float64, &gen),
          randn({kN, kH}, DType::Float64, &gen),
          randn({kN, kH}, DType::Float64, &gen),
          randn({g * kH, kH}, DType::Float64, &gen) * 0.5,
          c.bias ? randn({g * kH}, DType::Float64, &gen) : Tensor()};
}

// The differentiated arguments as one vector: xw, h0, c0, w_hh, b_hh.
std::vector<Tensor> leaves(const Args& a) {
  std::vector<Tensor> v{a.xw, a.h0, a.c0, a.w_hh};
  if (a.b_hh.defined()) v.push_back(a.b_hh);
  return v;
}

TEST(RecurrentSequence, ReverseRuleEqualsTheUnrolledLoop) {
  Generator gen(0);
  for (const Case& c : cases()) {
    const Args a = make_args(c, gen);
    const bool lstm = c.kind == CellKind::lstm;
    for (int which : {0, 1, 2}) {
      auto custom = [&](const std::vector<Tensor>& v) {
        const Tensor b = c.bias ? v[4] : Tensor();
        const auto r = run_sequence(
            c.kind, v[0], {v[1], lstm ? v[2] : Tensor()}, v[3], b, c.reverse);
        return loss_of(r.outputs, r.last.h, r.last.c, which);
      };
      auto plain = [&](const std::vector<Tensor>& v) {
        const Tensor b = c.bias ? v[4] : Tensor();
        const auto [out, h, cn] = unrolled(
            c.kind, v[0], {v[1], lstm ? v[2] : Tensor()}, v[3], b, c.reverse);
        return loss_of(out, h, cn, which);
      };
      EXPECT_TRUE(close(custom(leaves(a)), plain(leaves(a)), 1e-12));
      const std::vector<Tensor> got = grad(custom)(leaves(a));
      const std::vector<Tensor> want = grad(plain)(leaves(a));
      for (std::size_t i = 0; i < want.size(); ++i) {
        if (!lstm && i == 2) continue;  // c0 is not an input
        EXPECT_TRUE(close(got[i], want[i], 1e-10))
            << static_cast<int>(c.kind) << " reverse " << c.reverse << " bias "
            << c.bias << " loss " << which << " leaf " << i;
      }
    }
  }
}

TEST(RecurrentSequence, PerExampleGradientsUnderVmap) {
  Generator gen(1);
  for (CellKind k : {CellKind::lstm, CellKind::gru}) {
    const Case c{k, false, true};
    const Args a = make_args(c, gen);
    const bool lstm = k == CellKind::lstm;
    // Per example: xw (T, 1, G*H) of a batch of kN examples.
    auto custom = [&](const Tensor& w, const Tensor& xw) {
      const auto r = run_sequence(
          k, unsqueeze(xw, 1),
          {narrow(a.h0, 0, 0, 1), lstm ? narrow(a.c0, 0, 0, 1) : Tensor()}, w,
          a.b_hh, false);
      return loss_of(r.outputs, r.last.h, r.last.c, 2);
    };
    auto plain = [&](const Tensor& w, const Tensor& xw) {
      const auto [out, h, cn] = unrolled(
          k, unsqueeze(xw, 1),
          {narrow(a.h0, 0, 0, 1), lstm ? narrow(a.c0, 0, 0, 1) : Tensor()}, w,
          a.b_hh, false);
      return loss_of(out, h, cn, 2);
    };
    const Tensor got = vmap(grad(custom), {none, 1})(a.w_hh, a.xw);
    const Tensor want = vmap(grad(plain), {none, 1})(a.w_hh, a.xw);
    EXPECT_TRUE(close(got, want, 1e-10)) << static_cast<int>(k);
  }
}

TEST(RecurrentSequence, SecondOrderAndForwardMode) {
  Generator gen(2);
  const Case c{CellKind::lstm, true, true};
  const Args a = make_args(c, gen);
  auto run = [&](bool use_custom) {
    return [&, use_custom](const Tensor& w) {
      if (use_custom) {
        const auto r =
            run_sequence(c.kind, a.xw, {a.h0, a.c0}, w, a.b_hh, c.reverse);
        return loss_of(r.outputs, r.last.h, r.last.c, 2);
      }
      const auto [out, h, cn] =
          unrolled(c.kind, a.xw, {a.h0, a.c0}, w, a.b_hh, c.reverse);
      return loss_of(out, h, cn, 2);
    };
  };
  const Tensor v = randn(a.w_hh.shape(), DType::Float64, &gen);
  // Hessian-vector products: grad of <grad f, v>.
  auto hvp = [&](bool use_custom) {
    auto f = run(use_custom);
    return grad([&](const Tensor& w) { return (grad(f)(w) * v).sum(); })(
        a.w_hh);
  };
  EXPECT_TRUE(close(hvp(true), hvp(false), 1e-9));
  // Forward mode (derived from the reverse rule).
  const auto [y1, t1] = jvp(run(true), a.w_hh, v);
  const auto [y2, t2] = jvp(run(false), a.w_hh, v);
  EXPECT_TRUE(close(t1, t2, 1e-10));
}

}  // namespace
}  // namespace fnx
