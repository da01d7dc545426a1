// RNN / LSTM / GRU (cells and multi-layer, bidirectional, batch_first,
// unbatched) against an unrolled reference written with the cell
// equations in plain loops; per-example gradients under vmap(grad); jvp of
// an LSTM against finite differences; errors.
#include "nn/recurrent.h"

#include <cmath>
#include <string>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "nn/functional_call.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::f64;
using testing::throws_with;

enum class Kind { tanh, relu, lstm, gru };

double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct Weights {
  std::vector<double> wih, whh, bih, bhh;
  int64_t in = 0, hid = 0;
};

Weights weights_of(const nn::Module& m, const std::string& sfx, int64_t in,
                   int64_t hid) {
  return {m.param("weight_ih" + sfx).to_vector(),
          m.param("weight_hh" + sfx).to_vector(),
          m.param("bias_ih" + sfx).to_vector(),
          m.param("bias_hh" + sfx).to_vector(),
          in,
          hid};
}

// One step for one example: x (I), h and c (H) updated in place.
void ref_step(Kind kind, const Weights& w, const double* x,
              std::vector<double>& h, std::vector<double>& c) {
  const int64_t H = w.hid;
  const int64_t rows = w.bih.size();
  std::vector<double> gi(rows), gh(rows);
  for (int64_t r = 0; r < rows; ++r) {
    gi[r] = w.bih[r];
    for (int64_t i = 0; i < w.in; ++i) gi[r] += w.wih[r * w.in + i] * x[i];
    gh[r] = w.bhh[r];
    for (int64_t j = 0; j < H; ++j) gh[r] += w.whh[r * H + j] * h[j];
  }
  std::vector<double> nh(H);
  for (int64_t j = 0; j < H; ++j) {
    switch (kind) {
      case Kind::tanh:
        nh[j] = std::tanh(gi[j] + gh[j]);
        break;
      case Kind::relu:
        nh[j] = std::max(0.0, gi[j] + gh[j]);
        break;
      case Kind::lstm: {
        const double i = sig(gi[j] + gh[j]);
        const double f = sig(gi[H + j] + gh[H + j]);
        const double g = std::tanh(gi[2 * H + j] + gh[2 * H + j]);
        const double o = sig(gi[3 * H + j] + gh[3 * H + j]);
        c[j] = f * c[j] + i * g;
        nh[j] = o * std::tanh(c[j]);
        break;
      }
      case Kind::gru: {
        const double r = sig(gi[j] + gh[j]);
        const double z = sig(gi[H + j] + gh[H + j]);
        const double n = std::tanh(gi[2 * H + j] + r * gh[2 * H + j]);
        nh[j] = (1 - z) * n + z * h[j];
        break;
      }
    }
  }
  h = nh;
}

struct RefResult {
  Tensor output, h_n, c_n;
};

// The whole stack, time-major x (L, N, I); h0, c0 (D * layers, N, H).
RefResult reference(Kind kind, const nn::Module& m, const Tensor& x,
                    const Tensor& h0, const Tensor& c0, int64_t layers,
                    bool bidir, int64_t hid) {
  const int64_t L = x.size(0), N = x.size(1), D = bidir ? 2 : 1;
  std::vector<double> in = x.to_vector();
  int64_t in_size = x.size(2);
  const std::vector<double> h0d = h0.to_vector(), c0d = c0.to_vector();
  std::vector<double> hn, cn;
  for (int64_t layer = 0; layer < layers; ++layer) {
    std::vector<double> out(L * N * D * hid);
    for (int64_t d = 0; d < D; ++d) {
      const std::string sfx =
          "_l" + std::to_string(layer) + (d == 1 ? "_reverse" : "");
      const Weights w = weights_of(m, sfx, in_size, hid);
      const int64_t idx = layer * D + d;
      for (int64_t n = 0; n < N; ++n) {
        std::vector<double> h(h0d.begin() + (idx * N + n) * hid,
                              h0d.begin() + (idx * N + n + 1) * hid);
        std::vector<double> c(c0d.begin() + (idx * N + n) * hid,
                              c0d.begin() + (idx * N + n + 1) * hid);
        for (int64_t s = 0; s < L; ++s) {
          const int64_t t = d == 1 ? L - 1 - s : s;
          ref_step(kind, w, &in[(t * N + n) * in_size], h, c);
          for (int64_t j = 0; j < hid; ++j) {
            out[(t * N + n) * D * hid + d * hid + j] = h[j];
          }
        }
        hn.insert(hn.end(), h.begin(), h.end());
        cn.insert(cn.end(), c.begin(), c.end());
      }
    }
    in = out;
    in_size = D * hid;
  }
  return {f64(in, {L, N, D * hid}), f64(hn, {D * layers, N, hid}),
          f64(cn, {D * layers, N, hid})};
}

nn::RecurrentOptions opts(int64_t layers, bool bidir, bool batch_first) {
  return {.num_layers = layers,
          .batch_first = batch_first,
          .bidirectional = bidir,
          .dtype = DType::Float64};
}

TEST(Recurrent, LstmMatchesTheUnrolledReference) {
  Generator gen(0);
  for (bool bidir : {false, true}) {
    nn::LSTM lstm(3, 4, gen, opts(2, bidir, false));
    const int64_t D = bidir ? 2 : 1;
    const Tensor x = randn({5, 2, 3}, DType::Float64, &gen);
    const Tensor h0 = randn({2 * D, 2, 4}, DType::Float64, &gen);
    const Tensor c0 = randn({2 * D, 2, 4}, DType::Float64, &gen);
    const nn::RecurrentResult r = lstm.forward(x, h0, c0);
    const RefResult want = reference(Kind::lstm, lstm, x, h0, c0, 2, bidir, 4);
    EXPECT_EQ(r.output.shape(), (Shape{5, 2, 4 * D}));
    EXPECT_TRUE(close(r.output, want.output, 1e-12)) << bidir;
    EXPECT_TRUE(close(r.h_n, want.h_n, 1e-12)) << bidir;
    EXPECT_TRUE(close(r.c_n, want.c_n, 1e-12)) << bidir;
    // Zero initial states by default.
    const Tensor z = zeros({2 * D, 2, 4}, DType::Float64);
    EXPECT_TRUE(close(lstm(x),
                      reference(Kind::lstm, lstm, x, z, z, 2, bidir, 4).output,
                      1e-12));
  }
}

TEST(Recurrent, GruAndRnnMatchTheUnrolledReference) {
  Generator gen(1);
  const Tensor x = randn({4, 3, 2}, DType::Float64, &gen);
  const Tensor h0 = randn({4, 3, 5}, DType::Float64, &gen);
  nn::GRU gru(2, 5, gen, opts(2, true, false));
  nn::RecurrentResult r = gru.forward(x, h0);
  RefResult want = reference(Kind::gru, gru, x, h0, h0, 2, true, 5);
  EXPECT_TRUE(close(r.output, want.output, 1e-12));
  EXPECT_TRUE(close(r.h_n, want.h_n, 1e-12));
  EXPECT_FALSE(r.c_n.defined());

  nn::RecurrentOptions o = opts(1, false, false);
  o.nonlinearity = nn::Nonlinearity::relu;
  nn::RNN rnn(2, 5, gen, o);
  const Tensor h1 = h0.slice(0, 0, 1);
  r = rnn.forward(x, h1);
  want = reference(Kind::relu, rnn, x, h1, h1, 1, false, 5);
  EXPECT_TRUE(close(r.output, want.output, 1e-12));
  EXPECT_TRUE(close(r.h_n, want.h_n, 1e-12));
  nn::RNN rnn_tanh(2, 5, gen, opts(3, false, false));
  const Tensor z = zeros({3, 3, 5}, DType::Float64);
  EXPECT_TRUE(close(
      rnn_tanh(x), reference(Kind::tanh, rnn_tanh, x, z, z, 3, false, 5).output,
      1e-12));
}

TEST(Recurrent, BatchFirstAndUnbatchedAgreeWithTimeMajor) {
  Generator gen(2);
  nn::LSTM tm(3, 4, gen, opts(2, true, false));
  nn::LSTM bf(3, 4, gen, opts(2, true, true));
  bf.load_state_dict(tm.state_dict());
  const Tensor x = randn({5, 2, 3}, DType::Float64, &gen);
  const nn::RecurrentResult a = tm.forward(x, {}, {});
  const nn::RecurrentResult b = bf.forward(x.transpose(0, 1), {}, {});
  EXPECT_TRUE(close(b.output, a.output.transpose(0, 1), 1e-12));
  EXPECT_TRUE(close(b.h_n, a.h_n, 1e-12));  // states stay (D * layers, N, H)
  const nn::RecurrentResult u = tm.forward(x.select(1, 1), {}, {});
  EXPECT_EQ(u.output.shape(), (Shape{5, 8}));
  EXPECT_EQ(u.h_n.shape(), (Shape{4, 4}));
  EXPECT_TRUE(close(u.output, a.output.select(1, 1), 1e-12));
  EXPECT_TRUE(close(u.c_n, a.c_n.select(1, 1), 1e-12));
  // torch's parameter names and shapes.
  const ParamDict p = tm.named_parameters();
  EXPECT_EQ(p.size(), 16u);
  EXPECT_EQ(p.at("weight_ih_l0").shape(), (Shape{16, 3}));
  EXPECT_EQ(p.at("weight_ih_l1_reverse").shape(), (Shape{16, 8}));
  EXPECT_EQ(p.at("bias_hh_l1").shape(), (Shape{16}));
  // U(-1/sqrt(H), 1/sqrt(H)) = U(-0.5, 0.5).
  for (const auto& [name, t] : p) {
    EXPECT_LE(t.abs().max().item<double>(), 0.5) << name;
  }
}

TEST(Recurrent, CellsMatchOneStepOfTheReference) {
  Generator gen(3);
  const Tensor x = randn({2, 3}, DType::Float64, &gen);
  const Tensor h = randn({2, 4}, DType::Float64, &gen);
  const Tensor c = randn({2, 4}, DType::Float64, &gen);
  auto ref = [&](Kind kind, const nn::Module& m, Tensor* c_out) {
    const Weights w = weights_of(m, "", 3, 4);
    std::vector<double> hs, cs;
    const std::vector<double> xd = x.to_vector(), hd = h.to_vector(),
                              cd = c.to_vector();
    for (int n = 0; n < 2; ++n) {
      std::vector<double> hh(hd.begin() + n * 4, hd.begin() + n * 4 + 4);
      std::vector<double> cc(cd.begin() + n * 4, cd.begin() + n * 4 + 4);
      ref_step(kind, w, &xd[n * 3], hh, cc);
      hs.insert(hs.end(), hh.begin(), hh.end());
      cs.insert(cs.end(), cc.begin(), cc.end());
    }
    if (c_out) *c_out = f64(cs, {2, 4});
    return f64(hs, {2, 4});
  };
  const nn::RNNCellOptions o{.dtype = DType::Float64};
  nn::LSTMCell lstm(3, 4, gen, o);
  Tensor c_want;
  const Tensor h_want = ref(Kind::lstm, lstm, &c_want);
  const nn::LSTMState s = lstm.forward(x, h, c);
  EXPECT_TRUE(close(s.h, h_want, 1e-12));
  EXPECT_TRUE(close(s.c, c_want, 1e-12));
  EXPECT_TRUE(close(lstm.forward(x[1], h[1], c[1]).c, c_want[1], 1e-12));
  nn::GRUCell gru(3, 4, gen, o);
  EXPECT_TRUE(close(gru.forward(x, h), ref(Kind::gru, gru, nullptr), 1e-12));
  nn::RNNCell rnn(3, 4, gen, o);
  EXPECT_TRUE(close(rnn.forward(x, h), ref(Kind::tanh, rnn, nullptr), 1e-12));
  EXPECT_EQ(lstm.named_parameters().at("weight_hh").shape(), (Shape{16, 4}));
}

TEST(Recurrent, PerExampleGradientsEqualALoop) {
  Generator gen(4);
  nn::LSTM lstm(3, 4, gen, opts(2, true, true));
  nn::GRU gru(3, 4, gen, opts(1, false, true));
  const Tensor xs = randn({3, 5, 3}, DType::Float64, &gen);  // (B, L, I)
  for (nn::Module* m : std::vector<nn::Module*>{&lstm, &gru}) {
    const ParamDict params = m->named_parameters();
    auto loss = [&](const ParamDict& p, const Tensor& x) {
      return square(nn::functional_call(*m, p, unsqueeze(x, 0))).sum();
    };
    const ParamDict per_ex = vmap(grad(loss), {none, 0})(params, xs);
    for (int64_t i = 0; i < 3; ++i) {
      const ParamDict one = grad(loss)(params, xs[i]);
      for (const auto& [name, g] : one) {
        EXPECT_TRUE(close(per_ex.at(name)[i], g, 1e-10))
            << m->type_name() << " " << name << " " << i;
      }
    }
  }
}

TEST(Recurrent, LstmJvpMatchesFiniteDifferences) {
  Generator gen(5);
  nn::LSTM lstm(2, 3, gen, opts(2, true, false));
  const Tensor x = randn({4, 2, 2}, DType::Float64, &gen);
  const Tensor dx = randn({4, 2, 2}, DType::Float64, &gen);
  auto f = [&](const Tensor& in) { return lstm.forward(in, {}, {}).h_n; };
  auto [out, tangent] = jvp(f, x, dx);
  const double eps = 1e-6;
  const Tensor fd = (f(x + dx * eps) - f(x - dx * eps)) / (2 * eps);
  EXPECT_TRUE(close(tangent, fd, 1e-7, 1e-5));
}

TEST(Recurrent, Errors) {
  Generator gen(6);
  nn::LSTM lstm(3, 4, gen);
  EXPECT_TRUE(throws_with(
      [&] {
        lstm(randn({5, 2, 2}));
      },
      {"[nn.LSTM]", "expected input (L, N, 3)"}));
  EXPECT_TRUE(throws_with([&] { lstm(randn({3})); }, "[nn.LSTM]"));
  EXPECT_TRUE(throws_with(
      [&] {
        lstm.forward(randn({5, 2, 3}), zeros({2, 2, 4}), {});
      },
      {"[nn.LSTM]", "h0 of shape [1, 2, 4]"}));
  nn::GRUCell cell(3, 4, gen);
  EXPECT_TRUE(throws_with(
      [&] {
        cell.forward(randn({2, 3}), zeros({4}));
      },
      {"[nn.GRUCell]", "hx"}));
  EXPECT_TRUE(throws_with([&] { nn::RNN(3, 4, gen, {.num_layers = 0}); },
                          "num_layers"));
}

}  // namespace
}  // namespace fnx
