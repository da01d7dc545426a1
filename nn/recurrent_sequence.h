// The time loop of one direction of one recurrent layer, as one custom
// function (core/custom_function.h) with its own reverse rule: backprop
// through time as RNN libraries write it. Under grad the per-step
// cotangents go back through the loop once and the hidden-to-hidden
// weight gradient is one GEMM over every step, (G*H, T*N) @ (T*N, H),
// where differentiating the unrolled loop would add T per-step weight
// gradients (T * N * G*H * H work each under vmap) one by one. Forward
// mode and vmap derive their rules from it (the custom plugin's defaults:
// vmap of the body, the transpose of the reverse rule), so every transform
// still applies.
#pragma once

#include "core/tensor.h"
#include "nn/recurrent.h"

namespace fnx::nn::recurrent_internal {

// One step from the input projection of this step, xw = W_ih x + b_ih,
// and the state; c only for an LSTM. b_hh may be undefined (no bias).
LSTMState cell_step(CellKind kind, const Tensor& xw, const LSTMState& s,
                    const Tensor& w_hh, const Tensor& b_hh);

struct SequenceResult {
  Tensor outputs;  // (T, N, H): h at every step, in time order
  LSTMState last;  // the state after the last step processed
};

// Runs the cell over xw (T, N, G*H) from state s (N, H) each, forwards in
// time or (reverse) backwards; outputs[t] is the state after time t either
// way.
SequenceResult run_sequence(CellKind kind, const Tensor& xw, const LSTMState& s,
                            const Tensor& w_hh, const Tensor& b_hh,
                            bool reverse);

}  // namespace fnx::nn::recurrent_internal
