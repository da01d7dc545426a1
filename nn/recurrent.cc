#include "nn/recurrent.h"

#include <cmath>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/str_cat.h"
#include "nn/recurrent_sequence.h"

namespace fnx::nn {
namespace {

using recurrent_internal::CellKind;
using recurrent_internal::cell_step;

int64_t gates(CellKind kind) {
  switch (kind) {
    case CellKind::lstm:
      return 4;
    case CellKind::gru:
      return 3;
    default:
      return 1;
  }
}

CellKind rnn_kind(Nonlinearity n) {
  return n == Nonlinearity::relu ? CellKind::rnn_relu : CellKind::rnn_tanh;
}

// torch's reset_parameters for every recurrent weight and bias.
Tensor hidden_uniform(const Shape& shape, int64_t hidden, DType dtype,
                      Generator& gen) {
  const double k = hidden > 0 ? 1.0 / std::sqrt(double(hidden)) : 0.0;
  return uniform(shape, -k, k, dtype, &gen);
}

Tensor optional_param(const Module& m, const std::string& name) {
  return m.has_param(name) ? m.param(name) : Tensor();
}

}  // namespace

RecurrentCell::RecurrentCell(std::string type_name, CellKind kind,
                             int64_t input_size, int64_t hidden_size,
                             Generator& gen, RNNCellOptions options)
    : Module(std::move(type_name)),
      kind_(kind),
      input_size_(input_size),
      hidden_size_(hidden_size) {
  FNX_CHECK(input_size > 0 && hidden_size > 0, "nn." + this->type_name(),
            "input_size and hidden_size must be positive, got ", input_size,
            " and ", hidden_size);
  const int64_t gh = gates(kind) * hidden_size;
  const DType dt = options.dtype;
  register_parameter("weight_ih",
                     hidden_uniform({gh, input_size}, hidden_size, dt, gen));
  register_parameter("weight_hh",
                     hidden_uniform({gh, hidden_size}, hidden_size, dt, gen));
  if (options.bias) {
    register_parameter("bias_ih", hidden_uniform({gh}, hidden_size, dt, gen));
    register_parameter("bias_hh", hidden_uniform({gh}, hidden_size, dt, gen));
  }
}

LSTMState RecurrentCell::step(const Tensor& x, const LSTMState& state) {
  const std::string op = "nn." + type_name();
  FNX_CHECK((x.dim() == 1 || x.dim() == 2) && x.size(-1) == input_size_, op,
            "expected input (N, ", input_size_, ") or (", input_size_,
            "), got shape ", shape_str(x.shape()));
  const bool batched = x.dim() == 2;
  const Tensor xb = batched ? x : unsqueeze(x, 0);
  const Shape hshape = {xb.size(0), hidden_size_};
  auto prepare = [&](const Tensor& t, const char* name) {
    if (!t.defined()) return zeros(hshape, x.dtype(), x.device());
    FNX_CHECK(t.shape() == (batched ? hshape : Shape{hidden_size_}), op,
              "expected ", name, " of shape ",
              shape_str(batched ? hshape : Shape{hidden_size_}), ", got ",
              shape_str(t.shape()));
    return batched ? t : unsqueeze(t, 0);
  };
  LSTMState s{prepare(state.h, "hx")};
  if (kind_ == CellKind::lstm) s.c = prepare(state.c, "cx");
  const Tensor xw =
      linear(xb, param("weight_ih"), optional_param(*this, "bias_ih"));
  LSTMState out = cell_step(kind_, xw, s, param("weight_hh"),
                            optional_param(*this, "bias_hh"));
  if (!batched) {
    out.h = squeeze(out.h, 0);
    if (out.c.defined()) out.c = squeeze(out.c, 0);
  }
  return out;
}

RNNCell::RNNCell(int64_t input_size, int64_t hidden_size, Generator& gen,
                 RNNCellOptions options)
    : RecurrentCell("RNNCell", rnn_kind(options.nonlinearity), input_size,
                    hidden_size, gen, options) {}

GRUCell::GRUCell(int64_t input_size, int64_t hidden_size, Generator& gen,
                 RNNCellOptions options)
    : RecurrentCell("GRUCell", CellKind::gru, input_size, hidden_size, gen,
                    options) {}

LSTMCell::LSTMCell(int64_t input_size, int64_t hidden_size, Generator& gen,
                   RNNCellOptions options)
    : RecurrentCell("LSTMCell", CellKind::lstm, input_size, hidden_size, gen,
                    options) {}

Recurrent::Recurrent(std::string type_name, CellKind kind, int64_t input_size,
                     int64_t hidden_size, Generator& gen,
                     RecurrentOptions options)
    : Module(std::move(type_name)),
      kind_(kind),
      input_size_(input_size),
      hidden_size_(hidden_size),
      options_(options),
      gen_(&gen) {
  const std::string op = "nn." + this->type_name();
  FNX_CHECK(input_size > 0 && hidden_size > 0, op,
            "input_size and hidden_size must be positive, got ", input_size,
            " and ", hidden_size);
  FNX_CHECK(options.num_layers >= 1, op, "num_layers must be at least 1, got ",
            options.num_layers);
  FNX_CHECK(options.dropout >= 0 && options.dropout < 1, op,
            "dropout must be in [0, 1), got ", options.dropout);
  const int64_t gh = gates(kind) * hidden_size;
  const int64_t dirs = options.bidirectional ? 2 : 1;
  const DType dt = options.dtype;
  for (int64_t layer = 0; layer < options.num_layers; ++layer) {
    const int64_t in = layer == 0 ? input_size : dirs * hidden_size;
    for (int64_t dir = 0; dir < dirs; ++dir) {
      const std::string sfx = str_cat("_l", layer, dir == 1 ? "_reverse" : "");
      register_parameter("weight_ih" + sfx,
                         hidden_uniform({gh, in}, hidden_size, dt, gen));
      register_parameter(
          "weight_hh" + sfx,
          hidden_uniform({gh, hidden_size}, hidden_size, dt, gen));
      if (options.bias) {
        register_parameter("bias_ih" + sfx,
                           hidden_uniform({gh}, hidden_size, dt, gen));
        register_parameter("bias_hh" + sfx,
                           hidden_uniform({gh}, hidden_size, dt, gen));
      }
    }
  }
}

RecurrentResult Recurrent::run(const Tensor& x, const Tensor& h0,
                               const Tensor& c0) {
  const std::string op = "nn." + type_name();
  FNX_CHECK((x.dim() == 2 || x.dim() == 3) && x.size(-1) == input_size_, op,
            "expected input ", options_.batch_first ? "(N, L, " : "(L, N, ",
            input_size_, ") or (L, ", input_size_, "), got shape ",
            shape_str(x.shape()));
  const bool batched = x.dim() == 3;
  // (L, N, I) below.
  const Tensor xs = !batched               ? unsqueeze(x, 1)
                    : options_.batch_first ? transpose(x, 0, 1)
                                           : x;
  const int64_t len = xs.size(0), n = xs.size(1);
  FNX_CHECK(len >= 1, op, "the input has no time steps: shape ",
            shape_str(x.shape()));
  const int64_t dirs = options_.bidirectional ? 2 : 1;
  const int64_t states = dirs * options_.num_layers;
  const Shape state_shape =
      batched ? Shape{states, n, hidden_size_} : Shape{states, hidden_size_};
  auto prepare = [&](const Tensor& t, const char* name) {
    if (!t.defined()) {
      return zeros({states, n, hidden_size_}, x.dtype(), x.device());
    }
    FNX_CHECK(t.shape() == state_shape, op, "expected ", name, " of shape ",
              shape_str(state_shape), ", got ", shape_str(t.shape()));
    return batched ? t : unsqueeze(t, 1);
  };
  const bool lstm = kind_ == CellKind::lstm;
  const Tensor h_init = prepare(h0, "h0");
  const Tensor c_init = lstm ? prepare(c0, "c0") : Tensor();

  Tensor layer_in = xs;
  std::vector<Tensor> h_n, c_n;
  for (int64_t layer = 0; layer < options_.num_layers; ++layer) {
    std::vector<Tensor> dir_out;
    for (int64_t dir = 0; dir < dirs; ++dir) {
      const std::string sfx = str_cat("_l", layer, dir == 1 ? "_reverse" : "");
      const int64_t idx = layer * dirs + dir;
      // The input projection of every step at once: one matmul.
      const Tensor xw = linear(layer_in, param("weight_ih" + sfx),
                               optional_param(*this, "bias_ih" + sfx));
      const Tensor& w_hh = param("weight_hh" + sfx);
      const Tensor b_hh = optional_param(*this, "bias_hh" + sfx);
      const LSTMState s{select(h_init, 0, idx),
                        lstm ? select(c_init, 0, idx) : Tensor()};
      // The reverse direction reads time backwards and writes each output
      // at its own time step.
      const recurrent_internal::SequenceResult r =
          recurrent_internal::run_sequence(kind_, xw, s, w_hh, b_hh,
                                           /*reverse=*/dir == 1);
      dir_out.push_back(r.outputs);
      h_n.push_back(r.last.h);
      if (lstm) c_n.push_back(r.last.c);
    }
    layer_in = dirs == 2 ? cat(dir_out, 2) : dir_out[0];
    if (layer + 1 < options_.num_layers && options_.dropout > 0 &&
        is_training()) {
      layer_in = dropout(layer_in, options_.dropout, true, gen_);
    }
  }
  RecurrentResult r;
  r.output = !batched               ? squeeze(layer_in, 1)
             : options_.batch_first ? transpose(layer_in, 0, 1)
                                    : layer_in;
  r.h_n = stack(h_n, 0);
  if (lstm) r.c_n = stack(c_n, 0);
  if (!batched) {
    r.h_n = squeeze(r.h_n, 1);
    if (lstm) r.c_n = squeeze(r.c_n, 1);
  }
  return r;
}

RNN::RNN(int64_t input_size, int64_t hidden_size, Generator& gen,
         RecurrentOptions options)
    : Recurrent("RNN", rnn_kind(options.nonlinearity), input_size, hidden_size,
                gen, options) {}

GRU::GRU(int64_t input_size, int64_t hidden_size, Generator& gen,
         RecurrentOptions options)
    : Recurrent("GRU", CellKind::gru, input_size, hidden_size, gen, options) {}

LSTM::LSTM(int64_t input_size, int64_t hidden_size, Generator& gen,
           RecurrentOptions options)
    : Recurrent("LSTM", CellKind::lstm, input_size, hidden_size, gen, options) {
}

}  // namespace fnx::nn
