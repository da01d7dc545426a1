// Vectorized transcendental functions for the CPU unary kernels: glibc's
// libmvec (its AVX2 variants, 8 floats or 4 doubles per call), used when
// the CPU has AVX2 and FMA. libm's scalar tanhf / expf... were a fifth of
// tanh-heavy workloads. Every element goes through the same vector
// function wherever it sits (a tail is computed in a padded block), so a
// result does not depend on a tensor's layout or on how a loop was split:
// vmap over examples and a loop over them agree bit for bit.
#pragma once

#include <cstdint>

namespace fnx::cpu {

enum class VectorFn : uint8_t {
  kExp,
  kLog,
  kLog1p,
  kExpm1,
  kSin,
  kCos,
  kTanh,
  kErf,
  kTan,
  kAsin,
  kAcos,
  kAtan,
  kSinh,
  kCosh,
  kAsinh,
  kAcosh,
  kAtanh,
  kExp2,
  kLog2,
  kLog10
};

// Whether vector_math runs (the CPU has AVX2 and FMA; FNX_SCALAR_MATH=1 in
// the environment turns it off, for comparisons).
bool has_vector_math();

// out[i * out_stride] = fn(in[i * in_stride]) for i < n (strides in
// elements; in_stride 0 broadcasts one value). Only call when
// has_vector_math().
void vector_math(VectorFn fn, const float* in, int64_t in_stride, float* out,
                 int64_t out_stride, int64_t n);
void vector_math(VectorFn fn, const double* in, int64_t in_stride, double* out,
                 int64_t out_stride, int64_t n);

}  // namespace fnx::cpu
