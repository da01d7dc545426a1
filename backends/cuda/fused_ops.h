// The elementwise primitives a fused CUDA kernel computes, by name: the
// same name is the fnx::Prim, the kernels.h op code and, with "Op"
// appended, the per-element functor of backends/common/scalar_ops.h. The
// runner (fused.cc), the interpreter kernel (fused.cu) and the NVRTC source
// generator (fused_source.cc) all expand these lists, so they cannot
// disagree on which primitive is which function.
#pragma once

#define FNX_CUDA_FUSED_UNARY_OPS(X) \
  X(Neg)                            \
  X(Abs)                            \
  X(Sign)                           \
  X(Exp)                            \
  X(Log)                            \
  X(Log1p)                          \
  X(Expm1)                          \
  X(Sqrt)                           \
  X(Rsqrt)                          \
  X(Sin)                            \
  X(Cos)                            \
  X(Tanh)                           \
  X(Logistic)                       \
  X(Erf)                            \
  X(Tan)                            \
  X(Asin)                           \
  X(Acos)                           \
  X(Atan)                           \
  X(Sinh)                           \
  X(Cosh)                           \
  X(Asinh)                          \
  X(Acosh)                          \
  X(Atanh)                          \
  X(Log2)                           \
  X(Log10)                          \
  X(Exp2)                           \
  X(Lgamma)                         \
  X(Digamma)                        \
  X(Erfinv)                         \
  X(Floor)                          \
  X(Ceil)                           \
  X(Round)                          \
  X(Trunc)                          \
  X(LogicalNot)

// Binary arithmetic and the comparisons (which write bool).
#define FNX_CUDA_FUSED_BINARY_OPS(X) \
  X(Add)                             \
  X(Sub)                             \
  X(Mul)                             \
  X(Div)                             \
  X(Pow)                             \
  X(Maximum)                         \
  X(Minimum)                         \
  X(Atan2)                           \
  X(Hypot)                           \
  X(Fmod)                            \
  X(Remainder)                       \
  X(Polygamma)                       \
  X(Eq)                              \
  X(Ne)                              \
  X(Lt)                              \
  X(Le)                              \
  X(Gt)                              \
  X(Ge)                              \
  X(LogicalAnd)                      \
  X(LogicalOr)
