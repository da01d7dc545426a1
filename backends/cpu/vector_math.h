// Vectorized transcendental functions for the CPU unary kernels: glibc's
// libmvec, its AVX-512 variants (16 floats or 8 doubles per call) when the
// CPU has AVX-512F, else its AVX2 ones (8 or 4) when it has AVX2 and FMA,
// chosen once at run time (a few functions whose AVX-512 variant measured
// slower keep to AVX2: vector_math.cc; float erf with AVX-512 is fnx's
// own, vector_erf_avx512.h). libm's scalar tanhf / expf... were a
// fifth of tanh-heavy workloads. Every element goes through the same vector
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

// Which variants vector_math runs, chosen at the first call: the widest
// the CPU has. For comparisons, FNX_SCALAR_MATH=1 in the environment turns
// vector_math off (kNone) and FNX_VECTOR_ISA=avx2 keeps to AVX2. Each
// variant is within a few ulp of libm; results differ between variants in
// the last bits, never between calls of one process (eager kernels and
// compile's fused runner share them, so they agree bit for bit).
enum class VectorIsa : uint8_t { kNone, kAvx2, kAvx512 };
VectorIsa vector_math_isa();

// Whether vector_math runs (vector_math_isa() is not kNone).
bool has_vector_math();

// out[i * out_stride] = fn(in[i * in_stride]) for i < n (strides in
// elements; in_stride 0 broadcasts one value). Only call when
// has_vector_math().
void vector_math(VectorFn fn, const float* in, int64_t in_stride, float* out,
                 int64_t out_stride, int64_t n);
void vector_math(VectorFn fn, const double* in, int64_t in_stride, double* out,
                 int64_t out_stride, int64_t n);

}  // namespace fnx::cpu
