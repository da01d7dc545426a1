#include "backends/cpu/vector_math.h"

#include <cstdlib>
#include <cstring>

namespace fnx::cpu {
namespace avx2 {  // vector_math_avx2.cc
void vector_math(VectorFn fn, const float* in, int64_t in_stride, float* out,
                 int64_t out_stride, int64_t n);
void vector_math(VectorFn fn, const double* in, int64_t in_stride, double* out,
                 int64_t out_stride, int64_t n);
}  // namespace avx2
namespace avx512 {  // vector_math_avx512.cc
void vector_math(VectorFn fn, const float* in, int64_t in_stride, float* out,
                 int64_t out_stride, int64_t n);
void vector_math(VectorFn fn, const double* in, int64_t in_stride, double* out,
                 int64_t out_stride, int64_t n);
}  // namespace avx512

namespace {

bool env_is(const char* name, const char* value) {
  const char* v = std::getenv(name);
  return v != nullptr && std::strcmp(v, value) == 0;
}

// libmvec's AVX-512 variants run 1.2x to 2.5x faster than its AVX2 ones
// (ns per element on one Zen 4 core, 2048-element blocks: expf 0.37 vs
// 0.42, log1pf 0.41 vs 0.52, tanhf 0.41 vs 0.74, asinh 1.9 vs 4.8), except
// these, which measured slower and keep to AVX2: erf 1.37 vs 1.17, tanh
// 3.3 vs 2.4, sinh 1.35 vs 1.32 (erff, 0.63 vs 0.49, is fnx's own with
// AVX-512: vector_erf_avx512.h). Fixed per function, so a function's
// results never depend on timing.
bool avx512_pays(VectorFn fn, bool is_float) {
  switch (fn) {
    case VectorFn::kErf:
      return is_float;
    case VectorFn::kTanh:
    case VectorFn::kSinh:
      return is_float;
    default:
      return true;
  }
}

}  // namespace

VectorIsa vector_math_isa() {
  static const VectorIsa isa = [] {
    if (env_is("FNX_SCALAR_MATH", "1")) return VectorIsa::kNone;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
      return VectorIsa::kNone;
    }
    if (env_is("FNX_VECTOR_ISA", "avx2") ||
        !__builtin_cpu_supports("avx512f")) {
      return VectorIsa::kAvx2;
    }
    return VectorIsa::kAvx512;
  }();
  return isa;
}

bool has_vector_math() { return vector_math_isa() != VectorIsa::kNone; }

void vector_math(VectorFn fn, const float* in, int64_t in_stride, float* out,
                 int64_t out_stride, int64_t n) {
  if (vector_math_isa() == VectorIsa::kAvx512 && avx512_pays(fn, true)) {
    avx512::vector_math(fn, in, in_stride, out, out_stride, n);
  } else {
    avx2::vector_math(fn, in, in_stride, out, out_stride, n);
  }
}

void vector_math(VectorFn fn, const double* in, int64_t in_stride, double* out,
                 int64_t out_stride, int64_t n) {
  if (vector_math_isa() == VectorIsa::kAvx512 && avx512_pays(fn, false)) {
    avx512::vector_math(fn, in, in_stride, out, out_stride, n);
  } else {
    avx2::vector_math(fn, in, in_stride, out, out_stride, n);
  }
}

}  // namespace fnx::cpu
