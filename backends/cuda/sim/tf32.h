// TF32 rounding as tensor cores apply it to float inputs, shared by the
// simulated cuBLAS and cuDNN: a test can see the math mode switch change
// results the way it does on an Ampere or later GPU.
#pragma once

#include <bit>
#include <cstdint>
#include <type_traits>

namespace cuda_sim {

// x with its mantissa rounded to TF32's 10 bits (round to nearest, ties to
// even, on the bit pattern); infinities and NaNs pass unchanged.
inline float round_tf32(float x) {
  uint32_t bits = std::bit_cast<uint32_t>(x);
  if ((bits & 0x7f800000u) == 0x7f800000u) return x;
  constexpr int kDropped = 23 - 10;  // mantissa bits TF32 drops
  bits += ((1u << (kDropped - 1)) - 1) + ((bits >> kDropped) & 1u);
  bits &= ~((1u << kDropped) - 1);
  return std::bit_cast<float>(bits);
}

// The value a multiplier sees: TF32-rounded when `tf32` and T is float.
template <typename T>
T tensor_op_input(T x, bool tf32) {
  if constexpr (std::is_same_v<T, float>) {
    return tf32 ? round_tf32(x) : x;
  } else {
    return x;
  }
}

}  // namespace cuda_sim
