// The AVX-512 half of vector_math.h, compiled with -mavx512f (only called
// after vector_math.cc found AVX-512F on the CPU): glibc libmvec's zmm
// variants (_ZGVeN16v_ for float, _ZGVeN8v_ for double; the vector function
// ABI), twice the lanes of the AVX2 ones per call. erf, the cost of exact
// gelu, was the bound of a fused gelu pass with the ymm variants.
// Nothing here may be an inline function with external linkage (std::min,
// ...): the linker could keep this file's AVX-512 copy for the whole
// program (vector_math_blocks.h says how its shared loop avoids that).
#include <immintrin.h>

#include <cstdint>

#include "backends/cpu/vector_math.h"
#include "backends/cpu/vector_erf_avx512.h"
#include "backends/cpu/vector_math_blocks.h"

extern "C" {
__m512 _ZGVeN16v_expf(__m512);
__m512 _ZGVeN16v_logf(__m512);
__m512 _ZGVeN16v_log1pf(__m512);
__m512 _ZGVeN16v_expm1f(__m512);
__m512 _ZGVeN16v_sinf(__m512);
__m512 _ZGVeN16v_cosf(__m512);
__m512 _ZGVeN16v_tanhf(__m512);
__m512d _ZGVeN8v_exp(__m512d);
__m512d _ZGVeN8v_log(__m512d);
__m512d _ZGVeN8v_log1p(__m512d);
__m512d _ZGVeN8v_expm1(__m512d);
__m512d _ZGVeN8v_sin(__m512d);
__m512d _ZGVeN8v_cos(__m512d);
__m512d _ZGVeN8v_tanh(__m512d);
__m512d _ZGVeN8v_erf(__m512d);
__m512 _ZGVeN16v_tanf(__m512);
__m512d _ZGVeN8v_tan(__m512d);
__m512 _ZGVeN16v_asinf(__m512);
__m512d _ZGVeN8v_asin(__m512d);
__m512 _ZGVeN16v_acosf(__m512);
__m512d _ZGVeN8v_acos(__m512d);
__m512 _ZGVeN16v_atanf(__m512);
__m512d _ZGVeN8v_atan(__m512d);
__m512 _ZGVeN16v_sinhf(__m512);
__m512d _ZGVeN8v_sinh(__m512d);
__m512 _ZGVeN16v_coshf(__m512);
__m512d _ZGVeN8v_cosh(__m512d);
__m512 _ZGVeN16v_asinhf(__m512);
__m512d _ZGVeN8v_asinh(__m512d);
__m512 _ZGVeN16v_acoshf(__m512);
__m512d _ZGVeN8v_acosh(__m512d);
__m512 _ZGVeN16v_atanhf(__m512);
__m512d _ZGVeN8v_atanh(__m512d);
__m512 _ZGVeN16v_exp2f(__m512);
__m512d _ZGVeN8v_exp2(__m512d);
__m512 _ZGVeN16v_log2f(__m512);
__m512d _ZGVeN8v_log2(__m512d);
__m512 _ZGVeN16v_log10f(__m512);
__m512d _ZGVeN8v_log10(__m512d);
}

namespace fnx::cpu::avx512 {
namespace {

using FloatFn = __m512 (*)(__m512);
using DoubleFn = __m512d (*)(__m512d);

FloatFn float_fn(VectorFn fn) {
  switch (fn) {
    case VectorFn::kExp:
      return &_ZGVeN16v_expf;
    case VectorFn::kLog:
      return &_ZGVeN16v_logf;
    case VectorFn::kLog1p:
      return &_ZGVeN16v_log1pf;
    case VectorFn::kExpm1:
      return &_ZGVeN16v_expm1f;
    case VectorFn::kSin:
      return &_ZGVeN16v_sinf;
    case VectorFn::kCos:
      return &_ZGVeN16v_cosf;
    case VectorFn::kTanh:
      return &_ZGVeN16v_tanhf;
    case VectorFn::kErf:
      return nullptr;  // erf_f32x16 (vector_math below)
    case VectorFn::kTan:
      return &_ZGVeN16v_tanf;
    case VectorFn::kAsin:
      return &_ZGVeN16v_asinf;
    case VectorFn::kAcos:
      return &_ZGVeN16v_acosf;
    case VectorFn::kAtan:
      return &_ZGVeN16v_atanf;
    case VectorFn::kSinh:
      return &_ZGVeN16v_sinhf;
    case VectorFn::kCosh:
      return &_ZGVeN16v_coshf;
    case VectorFn::kAsinh:
      return &_ZGVeN16v_asinhf;
    case VectorFn::kAcosh:
      return &_ZGVeN16v_acoshf;
    case VectorFn::kAtanh:
      return &_ZGVeN16v_atanhf;
    case VectorFn::kExp2:
      return &_ZGVeN16v_exp2f;
    case VectorFn::kLog2:
      return &_ZGVeN16v_log2f;
    case VectorFn::kLog10:
      return &_ZGVeN16v_log10f;
  }
  return nullptr;
}

DoubleFn double_fn(VectorFn fn) {
  switch (fn) {
    case VectorFn::kExp:
      return &_ZGVeN8v_exp;
    case VectorFn::kLog:
      return &_ZGVeN8v_log;
    case VectorFn::kLog1p:
      return &_ZGVeN8v_log1p;
    case VectorFn::kExpm1:
      return &_ZGVeN8v_expm1;
    case VectorFn::kSin:
      return &_ZGVeN8v_sin;
    case VectorFn::kCos:
      return &_ZGVeN8v_cos;
    case VectorFn::kTanh:
      return &_ZGVeN8v_tanh;
    case VectorFn::kErf:
      return &_ZGVeN8v_erf;
    case VectorFn::kTan:
      return &_ZGVeN8v_tan;
    case VectorFn::kAsin:
      return &_ZGVeN8v_asin;
    case VectorFn::kAcos:
      return &_ZGVeN8v_acos;
    case VectorFn::kAtan:
      return &_ZGVeN8v_atan;
    case VectorFn::kSinh:
      return &_ZGVeN8v_sinh;
    case VectorFn::kCosh:
      return &_ZGVeN8v_cosh;
    case VectorFn::kAsinh:
      return &_ZGVeN8v_asinh;
    case VectorFn::kAcosh:
      return &_ZGVeN8v_acosh;
    case VectorFn::kAtanh:
      return &_ZGVeN8v_atanh;
    case VectorFn::kExp2:
      return &_ZGVeN8v_exp2;
    case VectorFn::kLog2:
      return &_ZGVeN8v_log2;
    case VectorFn::kLog10:
      return &_ZGVeN8v_log10;
  }
  return nullptr;
}

}  // namespace

void vector_math(VectorFn fn, const float* in, int64_t in_stride, float* out,
                 int64_t out_stride, int64_t n) {
  auto load = [](const float* p) { return _mm512_loadu_ps(p); };
  auto store = [](float* p, __m512 v) { _mm512_storeu_ps(p, v); };
  auto load_tail = [](const float* p, int64_t len) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << len) - 1), p);
  };
  auto store_tail = [](float* p, __m512 v, int64_t len) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << len) - 1), v);
  };
  if (fn == VectorFn::kErf) {  // our own, inlined: its tables in registers
    vector_math_blocks::apply<float, 16>(
        [](__m512 x) { return erf_f32x16(x); }, load, store, load_tail,
        store_tail, in, in_stride, out, out_stride, n);
    return;
  }
  vector_math_blocks::apply<float, 16>(float_fn(fn), load, store, load_tail,
                                       store_tail, in, in_stride, out,
                                       out_stride, n);
}

void vector_math(VectorFn fn, const double* in, int64_t in_stride, double* out,
                 int64_t out_stride, int64_t n) {
  vector_math_blocks::apply<double, 8>(
      double_fn(fn), [](const double* p) { return _mm512_loadu_pd(p); },
      [](double* p, __m512d v) { _mm512_storeu_pd(p, v); },
      [](const double* p, int64_t len) {
        return _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << len) - 1), p);
      },
      [](double* p, __m512d v, int64_t len) {
        _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << len) - 1), v);
      },
      in, in_stride, out, out_stride, n);
}

}  // namespace fnx::cpu::avx512
