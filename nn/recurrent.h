// Recurrent layers as torch's: RNNCell, LSTMCell, GRUCell and the
// multi-layer RNN, LSTM, GRU (num_layers, bias, batch_first, dropout
// between layers, bidirectional). Same parameter names, shapes and gate
// order (LSTM: i, f, g, o; GRU: r, z, n with
// n = tanh(W_in x + b_in + r * (W_hn h + b_hn))), so torch weights load.
// Every weight starts U(-1/sqrt(hidden), 1/sqrt(hidden)).
//
// Time is unrolled in C++, a loop of public ops (the input projection of
// all steps is one matmul). Each direction of a layer's loop is one custom
// function with its own reverse rule (nn/recurrent_sequence.h: backprop
// through time, the hidden-to-hidden weight gradient one GEMM over every
// step); vmap, jvp and the rest derive theirs from it and the loop.
#pragma once

#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "core/generator.h"
#include "core/tensor.h"
#include "nn/module.h"

namespace fnx::nn {

enum class Nonlinearity { tanh, relu };

namespace recurrent_internal {
enum class CellKind { rnn_tanh, rnn_relu, lstm, gru };
}  // namespace recurrent_internal

struct RNNCellOptions {
  bool bias = true;
  Nonlinearity nonlinearity = Nonlinearity::tanh;  // RNNCell only
  DType dtype = DType::Float32;
};

// h and, for an LSTM, c.
struct LSTMState {
  Tensor h, c;
};

// The shared part of the cells: weight_ih (gates * H, I), weight_hh
// (gates * H, H), bias_ih, bias_hh (gates * H).
class RecurrentCell : public Module {
 public:
  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }

 protected:
  RecurrentCell(std::string type_name, recurrent_internal::CellKind kind,
                int64_t input_size, int64_t hidden_size, Generator& gen,
                RNNCellOptions options);
  // One step on x (N, I) or (I) from state (N, H) or (H); undefined state
  // tensors are zeros.
  LSTMState step(const Tensor& x, const LSTMState& state);

 private:
  recurrent_internal::CellKind kind_;
  int64_t input_size_, hidden_size_;
};

// h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu).
class RNNCell : public RecurrentCell {
 public:
  RNNCell(int64_t input_size, int64_t hidden_size, Generator& gen,
          RNNCellOptions options = {});
  RNNCell(int64_t input_size, int64_t hidden_size, RNNCellOptions options = {})
      : RNNCell(input_size, hidden_size, default_generator(), options) {}
  Tensor forward(const Tensor& x, const Tensor& hx) { return step(x, {hx}).h; }
  Tensor forward(const Tensor& x) override { return forward(x, {}); }
};

class GRUCell : public RecurrentCell {
 public:
  GRUCell(int64_t input_size, int64_t hidden_size, Generator& gen,
          RNNCellOptions options = {});
  GRUCell(int64_t input_size, int64_t hidden_size, RNNCellOptions options = {})
      : GRUCell(input_size, hidden_size, default_generator(), options) {}
  Tensor forward(const Tensor& x, const Tensor& hx) { return step(x, {hx}).h; }
  Tensor forward(const Tensor& x) override { return forward(x, {}); }
};

class LSTMCell : public RecurrentCell {
 public:
  LSTMCell(int64_t input_size, int64_t hidden_size, Generator& gen,
           RNNCellOptions options = {});
  LSTMCell(int64_t input_size, int64_t hidden_size, RNNCellOptions options = {})
      : LSTMCell(input_size, hidden_size, default_generator(), options) {}
  // (h', c') as torch's (h_1, c_1).
  LSTMState forward(const Tensor& x, const Tensor& h, const Tensor& c) {
    return step(x, {h, c});
  }
  // h' from a zero state.
  Tensor forward(const Tensor& x) override { return forward(x, {}, {}).h; }
};

struct RecurrentOptions {
  int64_t num_layers = 1;
  bool bias = true;
  bool batch_first = false;
  double dropout = 0;  // on each layer's output but the last, in training
  bool bidirectional = false;
  Nonlinearity nonlinearity = Nonlinearity::tanh;  // RNN only
  DType dtype = DType::Float32;
};

// output (L, N, D * H) ((N, L, D * H) with batch_first, (L, D * H)
// unbatched); h_n and c_n (D * num_layers, N, H) ((D * num_layers, H)
// unbatched), indexed layer * D + direction; c_n only for an LSTM.
struct RecurrentResult {
  Tensor output, h_n, c_n;
};

// The multi-layer driver. Parameters per layer k and direction:
// weight_ih_l{k}[_reverse] (gates * H, I or D * H), weight_hh_l{k},
// bias_ih_l{k}, bias_hh_l{k}.
class Recurrent : public Module {
 public:
  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }

 protected:
  Recurrent(std::string type_name, recurrent_internal::CellKind kind,
            int64_t input_size, int64_t hidden_size, Generator& gen,
            RecurrentOptions options);
  // Undefined initial states are zeros.
  RecurrentResult run(const Tensor& x, const Tensor& h0, const Tensor& c0);

 private:
  recurrent_internal::CellKind kind_;
  int64_t input_size_, hidden_size_;
  RecurrentOptions options_;
  Generator* gen_;
};

class RNN : public Recurrent {
 public:
  RNN(int64_t input_size, int64_t hidden_size, Generator& gen,
      RecurrentOptions options = {});
  RNN(int64_t input_size, int64_t hidden_size, RecurrentOptions options = {})
      : RNN(input_size, hidden_size, default_generator(), options) {}
  RecurrentResult forward(const Tensor& x, const Tensor& h0) {
    return run(x, h0, {});
  }
  Tensor forward(const Tensor& x) override { return run(x, {}, {}).output; }
};

class GRU : public Recurrent {
 public:
  GRU(int64_t input_size, int64_t hidden_size, Generator& gen,
      RecurrentOptions options = {});
  GRU(int64_t input_size, int64_t hidden_size, RecurrentOptions options = {})
      : GRU(input_size, hidden_size, default_generator(), options) {}
  RecurrentResult forward(const Tensor& x, const Tensor& h0) {
    return run(x, h0, {});
  }
  Tensor forward(const Tensor& x) override { return run(x, {}, {}).output; }
};

class LSTM : public Recurrent {
 public:
  LSTM(int64_t input_size, int64_t hidden_size, Generator& gen,
       RecurrentOptions options = {});
  LSTM(int64_t input_size, int64_t hidden_size, RecurrentOptions options = {})
      : LSTM(input_size, hidden_size, default_generator(), options) {}
  RecurrentResult forward(const Tensor& x, const Tensor& h0, const Tensor& c0) {
    return run(x, h0, c0);
  }
  Tensor forward(const Tensor& x) override { return run(x, {}, {}).output; }
};

}  // namespace fnx::nn
