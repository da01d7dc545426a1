#include "nn/recurrent_sequence.h"

#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "core/custom_function.h"
#include "core/ops/ops.h"

namespace fnx::nn::recurrent_internal {

LSTMState cell_step(CellKind kind, const Tensor& xw, const LSTMState& s,
                    const Tensor& w_hh, const Tensor& b_hh) {
  const Tensor hw = linear(s.h, w_hh, b_hh);
  const int64_t last = xw.dim() - 1;
  switch (kind) {
    case CellKind::rnn_tanh:
      return {tanh(xw + hw), {}};
    case CellKind::rnn_relu:
      return {relu(xw + hw), {}};
    case CellKind::lstm: {
      const std::vector<Tensor> g = chunk(xw + hw, 4, last);
      const Tensor c = sigmoid(g[1]) * s.c + sigmoid(g[0]) * tanh(g[2]);
      return {sigmoid(g[3]) * tanh(c), c};
    }
    case CellKind::gru: {
      const std::vector<Tensor> xg = chunk(xw, 3, last);
      const std::vector<Tensor> hg = chunk(hw, 3, last);
      const Tensor r = sigmoid(xg[0] + hg[0]);
      const Tensor z = sigmoid(xg[1] + hg[1]);
      const Tensor n = tanh(xg[2] + r * hg[2]);
      return {(1.0 - z) * n + z * s.h, {}};
    }
  }
  return {};
}

namespace {

// The custom function's inputs: xw, h0, [c0], w_hh, [b_hh]; outputs:
// outputs, h_n, [c_n]; residuals: the inputs, then outputs and [c at every
// step].
struct Layout {
  CellKind kind;
  bool reverse, bias;
  bool lstm() const { return kind == CellKind::lstm; }
};

struct Inputs {
  Tensor xw, h0, c0, w_hh, b_hh;
};

Inputs unpack(const Layout& l, std::span<const Tensor> in) {
  Inputs r;
  std::size_t i = 0;
  r.xw = in[i++];
  r.h0 = in[i++];
  if (l.lstm()) r.c0 = in[i++];
  r.w_hh = in[i++];
  if (l.bias) r.b_hh = in[i++];
  return r;
}

// Runs the loop; `cells` (LSTM) receives c after each time, in time order.
SequenceResult loop(const Layout& l, const Inputs& in,
                    std::vector<Tensor>* cells) {
  const int64_t len = in.xw.size(0);
  std::vector<Tensor> outs(len);
  if (cells != nullptr) cells->assign(len, Tensor());
  LSTMState s{in.h0, in.c0};
  for (int64_t i = 0; i < len; ++i) {
    const int64_t t = l.reverse ? len - 1 - i : i;
    s = cell_step(l.kind, select(in.xw, 0, t), s, in.w_hh, in.b_hh);
    outs[t] = s.h;
    if (cells != nullptr) (*cells)[t] = s.c;
  }
  return {stack(outs, 0), s};
}

TensorList outputs_of(const Layout& l, const SequenceResult& r) {
  TensorList out{r.outputs, r.last.h};
  if (l.lstm()) out.push_back(r.last.c);
  return out;
}

// The state each time step starts from: `first` then the states after the
// earlier steps (in processing order).
Tensor previous_states(const Tensor& all, const Tensor& first, bool reverse) {
  const int64_t len = all.size(0);
  const Tensor head = unsqueeze(first, 0);
  if (len == 1) return head;
  return reverse ? cat({narrow(all, 0, 1, len - 1), head}, 0)
                 : cat({head, narrow(all, 0, 0, len - 1)}, 0);
}

// Per-time factors of the backward step, computed for every step at once
// from the residuals (one GEMM recomputes every step's W_hh h): with dh and
// dc the cotangents of a step's h and c, the step's gate cotangents are
// products of them with these.
struct Factors {
  Tensor h_prev;    // (T, N, H)
  Tensor k_x, k_h;  // (T, N, G, H) per-gate multipliers of dh (or dc)
  Tensor k_o, k_c;  // LSTM: o's multiplier of dh, dh's share of dc
  Tensor carry;     // LSTM: f (dc to the previous c); GRU: z (dh to h)
};

Factors factors(const Layout& l, const Inputs& in, const Tensor& outputs,
                const Tensor& cells) {
  Factors f;
  f.h_prev = previous_states(outputs, in.h0, l.reverse);
  const Tensor hw = linear(f.h_prev, in.w_hh, in.b_hh);
  const int64_t last = hw.dim() - 1;
  switch (l.kind) {
    case CellKind::rnn_tanh:
      f.k_x = unsqueeze(1.0 - outputs * outputs, 2);
      break;
    case CellKind::rnn_relu:
      f.k_x = unsqueeze(cast(outputs > 0.0, outputs.dtype()), 2);
      break;
    case CellKind::lstm: {
      const std::vector<Tensor> g = chunk(in.xw + hw, 4, last);
      const Tensor i = sigmoid(g[0]), fg = sigmoid(g[1]), c_in = tanh(g[2]),
                   o = sigmoid(g[3]);
      const Tensor c_prev = previous_states(cells, in.c0, l.reverse);
      const Tensor tc = tanh(cells);
      f.k_o = tc * o * (1.0 - o);
      f.k_c = o * (1.0 - tc * tc);
      f.k_x = stack({c_in * i * (1.0 - i), c_prev * fg * (1.0 - fg),
                     i * (1.0 - c_in * c_in)},
                    2);
      f.carry = fg;
      break;
    }
    case CellKind::gru: {
      const std::vector<Tensor> xg = chunk(in.xw, 3, last);
      const std::vector<Tensor> hg = chunk(hw, 3, last);
      const Tensor r = sigmoid(xg[0] + hg[0]);
      const Tensor z = sigmoid(xg[1] + hg[1]);
      const Tensor n = tanh(xg[2] + r * hg[2]);
      const Tensor k_n = (1.0 - z) * (1.0 - n * n);
      const Tensor k_z = (f.h_prev - n) * z * (1.0 - z);
      const Tensor k_r = k_n * hg[2] * r * (1.0 - r);
      f.k_x = stack({k_r, k_z, k_n}, 2);
      f.k_h = stack({k_r, k_z, k_n * r}, 2);
      f.carry = z;
      break;
    }
  }
  return f;
}

// (N, H) times (N, G, H) per gate, as (N, G * H).
Tensor per_gate(const Tensor& d, const Tensor& k) {
  const Tensor p = unsqueeze(d, -2) * k;
  return flatten(p, -2, -1);
}

Tensor add_defined(const Tensor& a, const Tensor& b) {
  if (!a.defined()) return b;
  if (!b.defined()) return a;
  return a + b;
}

TensorList backward(const Layout& l, std::span<const Tensor> residuals,
                    std::span<const Tensor> cts) {
  const std::size_t num_in = residuals.size() - (l.lstm() ? 2 : 1);
  const Inputs in = unpack(l, residuals.first(num_in));
  const Tensor& outputs = residuals[num_in];
  const Tensor cells = l.lstm() ? residuals[num_in + 1] : Tensor();
  const Factors f = factors(l, in, outputs, cells);
  const int64_t len = in.xw.size(0);
  const Tensor d_out = cts[0].defined() ? cts[0] : zeros_like(outputs);
  Tensor dh_carry = cts[1];
  Tensor dc_carry = l.lstm() ? cts[2] : Tensor();
  std::vector<Tensor> d_x(len), d_h(len);
  for (int64_t i = 0; i < len; ++i) {
    const int64_t t = l.reverse ? i : len - 1 - i;  // processing order, undone
    const Tensor dh = add_defined(select(d_out, 0, t), dh_carry);
    if (l.lstm()) {
      const Tensor dc = add_defined(dc_carry, dh * select(f.k_c, 0, t));
      d_x[t] = cat(
          {per_gate(dc, select(f.k_x, 0, t)), dh * select(f.k_o, 0, t)}, -1);
      d_h[t] = d_x[t];
      dc_carry = dc * select(f.carry, 0, t);
      dh_carry = matmul(d_x[t], in.w_hh);
    } else if (l.kind == CellKind::gru) {
      d_x[t] = per_gate(dh, select(f.k_x, 0, t));
      d_h[t] = per_gate(dh, select(f.k_h, 0, t));
      dh_carry = dh * select(f.carry, 0, t) + matmul(d_h[t], in.w_hh);
    } else {
      d_x[t] = dh * squeeze(select(f.k_x, 0, t), -2);
      d_h[t] = d_x[t];
      dh_carry = matmul(d_x[t], in.w_hh);
    }
  }
  const Tensor dxw = stack(d_x, 0);
  const Tensor dhw = l.kind == CellKind::gru ? stack(d_h, 0) : dxw;
  const int64_t gh = dhw.size(-1), h = in.h0.size(-1);
  TensorList grads{dxw, dh_carry};
  if (l.lstm()) grads.push_back(dc_carry);
  // Every step's W_hh gradient in one GEMM over the T * N rows.
  grads.push_back(matmul(transpose(reshape(dhw, {-1, gh}), 0, 1),
                         reshape(f.h_prev, {-1, h})));
  if (l.bias) grads.push_back(dhw.sum({0, 1}));
  return grads;
}

}  // namespace

SequenceResult run_sequence(CellKind kind, const Tensor& xw, const LSTMState& s,
                            const Tensor& w_hh, const Tensor& b_hh,
                            bool reverse) {
  const Layout l{kind, reverse, b_hh.defined()};
  TensorList inputs{xw, s.h};
  if (l.lstm()) inputs.push_back(s.c);
  inputs.push_back(w_hh);
  if (l.bias) inputs.push_back(b_hh);
  auto fn = std::make_shared<CustomFunction>();
  fn->name = "nn.recurrent_sequence";
  fn->fwd = [l](std::span<const Tensor> in) {
    return outputs_of(l, loop(l, unpack(l, in), nullptr));
  };
  fn->fwd_with_residuals = [l](std::span<const Tensor> in) {
    std::vector<Tensor> cells;
    const SequenceResult r =
        loop(l, unpack(l, in), l.lstm() ? &cells : nullptr);
    TensorList residuals(in.begin(), in.end());
    residuals.push_back(r.outputs);
    if (l.lstm()) residuals.push_back(stack(cells, 0));
    return std::make_pair(outputs_of(l, r), residuals);
  };
  fn->bwd = [l](std::span<const Tensor> residuals,
                std::span<const Tensor> cts) {
    return backward(l, residuals, cts);
  };
  const TensorList out = custom_call(fn, inputs);
  return {out[0], {out[1], l.lstm() ? out[2] : Tensor()}};
}

}  // namespace fnx::nn::recurrent_internal
