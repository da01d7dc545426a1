// The elementwise primitives and their derivative formulas
// (elementwise_derivatives.h), listed once: grad registers a VJP rule and
// jvp a JVP rule for every entry, so adding an elementwise primitive here
// gives it both. What each formula reads is what grad saves for the
// backward pass.
#pragma once

#include <cstdint>

#include "core/primitive.h"
#include "transforms/common/elementwise_derivatives.h"

namespace fnx::derivatives {

using UnaryD = Tensor (*)(const Tensor& s, const Tensor& x, const Tensor& y);
using BinaryD = Tensor (*)(const Tensor& s, const Tensor& a, const Tensor& b,
                           const Tensor& y);

// What a derivative reads besides the seed.
enum Reads : uint8_t {
  kReadsNothing = 0,
  kReadsInputs = 1,  // x, or a and b
  kReadsOutput = 2,  // y
};

struct UnaryEntry {
  Prim prim;
  UnaryD d;
  uint8_t reads;
};

inline constexpr UnaryEntry kUnary[] = {
    {Prim::Neg, &d_neg, kReadsNothing},
    {Prim::Abs, &d_abs, kReadsInputs},
    {Prim::Exp, &d_exp, kReadsOutput},
    {Prim::Log, &d_log, kReadsInputs},
    {Prim::Log1p, &d_log1p, kReadsInputs},
    {Prim::Expm1, &d_expm1, kReadsOutput},
    {Prim::Sqrt, &d_sqrt, kReadsOutput},
    {Prim::Rsqrt, &d_rsqrt, kReadsOutput},
    {Prim::Sin, &d_sin, kReadsInputs},
    {Prim::Cos, &d_cos, kReadsInputs},
    {Prim::Tanh, &d_tanh, kReadsOutput},
    {Prim::Logistic, &d_logistic, kReadsOutput},
    {Prim::Erf, &d_erf, kReadsInputs},
    {Prim::Tan, &d_tan, kReadsOutput},
    {Prim::Asin, &d_asin, kReadsInputs},
    {Prim::Acos, &d_acos, kReadsInputs},
    {Prim::Atan, &d_atan, kReadsInputs},
    {Prim::Sinh, &d_sinh, kReadsInputs},
    {Prim::Cosh, &d_cosh, kReadsInputs},
    {Prim::Asinh, &d_asinh, kReadsInputs},
    {Prim::Acosh, &d_acosh, kReadsInputs},
    {Prim::Atanh, &d_atanh, kReadsInputs},
    {Prim::Log2, &d_log2, kReadsInputs},
    {Prim::Log10, &d_log10, kReadsInputs},
    {Prim::Exp2, &d_exp2, kReadsOutput},
    {Prim::Lgamma, &d_lgamma, kReadsInputs},
    {Prim::Digamma, &d_digamma, kReadsInputs},
    {Prim::Erfinv, &d_erfinv, kReadsOutput},
};

// Broadcasting binary: da / db are operand a's / b's terms.
struct BinaryEntry {
  Prim prim;
  BinaryD da;
  BinaryD db;
  uint8_t reads;
};

inline constexpr BinaryEntry kBinary[] = {
    {Prim::Add, &d_pass, &d_pass, kReadsNothing},
    {Prim::Sub, &d_pass, &d_negate, kReadsNothing},
    {Prim::Mul, &d_mul_a, &d_mul_b, kReadsInputs},
    {Prim::Div, &d_div_a, &d_div_b, kReadsInputs},
    {Prim::Pow, &d_pow_a, &d_pow_b, kReadsInputs | kReadsOutput},
    {Prim::Maximum, &d_max_a, &d_max_b, kReadsInputs},
    // minimum(a, b): a wins where a < b, which is maximum's term for b.
    {Prim::Minimum, &d_max_b, &d_max_a, kReadsInputs},
    {Prim::Atan2, &d_atan2_a, &d_atan2_b, kReadsInputs},
    {Prim::Hypot, &d_hypot_a, &d_hypot_b, kReadsInputs | kReadsOutput},
    {Prim::Fmod, &d_pass, &d_fmod_b, kReadsInputs},
    {Prim::Remainder, &d_pass, &d_remainder_b, kReadsInputs},
    {Prim::Polygamma, &d_polygamma_n, &d_polygamma_x, kReadsInputs},
};

// Piecewise constant or boolean results: zero derivative, so both
// transforms treat their results as constants.
inline constexpr Prim kConstant[] = {
    Prim::Sign,       Prim::Floor,      Prim::Ceil, Prim::Round,
    Prim::Trunc,      Prim::LogicalNot, Prim::Eq,   Prim::Ne,
    Prim::Lt,         Prim::Le,         Prim::Gt,   Prim::Ge,
    Prim::LogicalAnd, Prim::LogicalOr,
};

}  // namespace fnx::derivatives
