// The AVX2 half of vector_math.h, compiled with -mavx2 -mfma (only called
// after vector_math.cc checked the CPU): glibc libmvec's ymm variants
// (_ZGVdN8v_ for float, _ZGVdN4v_ for double; the vector function ABI).
// Nothing here may be an inline function with external linkage (std::min,
// ...): the linker could keep this file's AVX2 copy for the whole program
// (vector_math_blocks.h says how its shared loop avoids that).
#include <immintrin.h>

#include <cstdint>

#include "backends/cpu/vector_math.h"
#include "backends/cpu/vector_math_blocks.h"

extern "C" {
__m256 _ZGVdN8v_expf(__m256);
__m256 _ZGVdN8v_logf(__m256);
__m256 _ZGVdN8v_log1pf(__m256);
__m256 _ZGVdN8v_expm1f(__m256);
__m256 _ZGVdN8v_sinf(__m256);
__m256 _ZGVdN8v_cosf(__m256);
__m256 _ZGVdN8v_tanhf(__m256);
__m256 _ZGVdN8v_erff(__m256);
__m256d _ZGVdN4v_exp(__m256d);
__m256d _ZGVdN4v_log(__m256d);
__m256d _ZGVdN4v_log1p(__m256d);
__m256d _ZGVdN4v_expm1(__m256d);
__m256d _ZGVdN4v_sin(__m256d);
__m256d _ZGVdN4v_cos(__m256d);
__m256d _ZGVdN4v_tanh(__m256d);
__m256d _ZGVdN4v_erf(__m256d);
__m256 _ZGVdN8v_tanf(__m256);
__m256d _ZGVdN4v_tan(__m256d);
__m256 _ZGVdN8v_asinf(__m256);
__m256d _ZGVdN4v_asin(__m256d);
__m256 _ZGVdN8v_acosf(__m256);
__m256d _ZGVdN4v_acos(__m256d);
__m256 _ZGVdN8v_atanf(__m256);
__m256d _ZGVdN4v_atan(__m256d);
__m256 _ZGVdN8v_sinhf(__m256);
__m256d _ZGVdN4v_sinh(__m256d);
__m256 _ZGVdN8v_coshf(__m256);
__m256d _ZGVdN4v_cosh(__m256d);
__m256 _ZGVdN8v_asinhf(__m256);
__m256d _ZGVdN4v_asinh(__m256d);
__m256 _ZGVdN8v_acoshf(__m256);
__m256d _ZGVdN4v_acosh(__m256d);
__m256 _ZGVdN8v_atanhf(__m256);
__m256d _ZGVdN4v_atanh(__m256d);
__m256 _ZGVdN8v_exp2f(__m256);
__m256d _ZGVdN4v_exp2(__m256d);
__m256 _ZGVdN8v_log2f(__m256);
__m256d _ZGVdN4v_log2(__m256d);
__m256 _ZGVdN8v_log10f(__m256);
__m256d _ZGVdN4v_log10(__m256d);
}

namespace fnx::cpu::avx2 {
namespace {

using FloatFn = __m256 (*)(__m256);
using DoubleFn = __m256d (*)(__m256d);

FloatFn float_fn(VectorFn fn) {
  switch (fn) {
    case VectorFn::kExp:
      return &_ZGVdN8v_expf;
    case VectorFn::kLog:
      return &_ZGVdN8v_logf;
    case VectorFn::kLog1p:
      return &_ZGVdN8v_log1pf;
    case VectorFn::kExpm1:
      return &_ZGVdN8v_expm1f;
    case VectorFn::kSin:
      return &_ZGVdN8v_sinf;
    case VectorFn::kCos:
      return &_ZGVdN8v_cosf;
    case VectorFn::kTanh:
      return &_ZGVdN8v_tanhf;
    case VectorFn::kErf:
      return &_ZGVdN8v_erff;
    case VectorFn::kTan:
      return &_ZGVdN8v_tanf;
    case VectorFn::kAsin:
      return &_ZGVdN8v_asinf;
    case VectorFn::kAcos:
      return &_ZGVdN8v_acosf;
    case VectorFn::kAtan:
      return &_ZGVdN8v_atanf;
    case VectorFn::kSinh:
      return &_ZGVdN8v_sinhf;
    case VectorFn::kCosh:
      return &_ZGVdN8v_coshf;
    case VectorFn::kAsinh:
      return &_ZGVdN8v_asinhf;
    case VectorFn::kAcosh:
      return &_ZGVdN8v_acoshf;
    case VectorFn::kAtanh:
      return &_ZGVdN8v_atanhf;
    case VectorFn::kExp2:
      return &_ZGVdN8v_exp2f;
    case VectorFn::kLog2:
      return &_ZGVdN8v_log2f;
    case VectorFn::kLog10:
      return &_ZGVdN8v_log10f;
  }
  return nullptr;
}

DoubleFn double_fn(VectorFn fn) {
  switch (fn) {
    case VectorFn::kExp:
      return &_ZGVdN4v_exp;
    case VectorFn::kLog:
      return &_ZGVdN4v_log;
    case VectorFn::kLog1p:
      return &_ZGVdN4v_log1p;
    case VectorFn::kExpm1:
      return &_ZGVdN4v_expm1;
    case VectorFn::kSin:
      return &_ZGVdN4v_sin;
    case VectorFn::kCos:
      return &_ZGVdN4v_cos;
    case VectorFn::kTanh:
      return &_ZGVdN4v_tanh;
    case VectorFn::kErf:
      return &_ZGVdN4v_erf;
    case VectorFn::kTan:
      return &_ZGVdN4v_tan;
    case VectorFn::kAsin:
      return &_ZGVdN4v_asin;
    case VectorFn::kAcos:
      return &_ZGVdN4v_acos;
    case VectorFn::kAtan:
      return &_ZGVdN4v_atan;
    case VectorFn::kSinh:
      return &_ZGVdN4v_sinh;
    case VectorFn::kCosh:
      return &_ZGVdN4v_cosh;
    case VectorFn::kAsinh:
      return &_ZGVdN4v_asinh;
    case VectorFn::kAcosh:
      return &_ZGVdN4v_acosh;
    case VectorFn::kAtanh:
      return &_ZGVdN4v_atanh;
    case VectorFn::kExp2:
      return &_ZGVdN4v_exp2;
    case VectorFn::kLog2:
      return &_ZGVdN4v_log2;
    case VectorFn::kLog10:
      return &_ZGVdN4v_log10;
  }
  return nullptr;
}

}  // namespace

void vector_math(VectorFn fn, const float* in, int64_t in_stride, float* out,
                 int64_t out_stride, int64_t n) {
  // Lanes below len: maskload reads them and zeroes the rest.
  auto mask = [](int64_t len) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(len)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  };
  vector_math_blocks::apply<float, 8>(
      float_fn(fn), [](const float* p) { return _mm256_loadu_ps(p); },
      [](float* p, __m256 v) { _mm256_storeu_ps(p, v); },
      [&](const float* p, int64_t len) {
        return _mm256_maskload_ps(p, mask(len));
      },
      [&](float* p, __m256 v, int64_t len) {
        _mm256_maskstore_ps(p, mask(len), v);
      },
      in, in_stride, out, out_stride, n);
}

void vector_math(VectorFn fn, const double* in, int64_t in_stride, double* out,
                 int64_t out_stride, int64_t n) {
  auto mask = [](int64_t len) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(len),
                              _mm256_setr_epi64x(0, 1, 2, 3));
  };
  vector_math_blocks::apply<double, 4>(
      double_fn(fn), [](const double* p) { return _mm256_loadu_pd(p); },
      [](double* p, __m256d v) { _mm256_storeu_pd(p, v); },
      [&](const double* p, int64_t len) {
        return _mm256_maskload_pd(p, mask(len));
      },
      [&](double* p, __m256d v, int64_t len) {
        _mm256_maskstore_pd(p, mask(len), v);
      },
      in, in_stride, out, out_stride, n);
}

}  // namespace fnx::cpu::avx2
