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

bool has_vector_math() {
  static const bool available = [] {
    const char* off = std::getenv("FNX_SCALAR_MATH");
    if (off != nullptr && std::strcmp(off, "1") == 0) return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return available;
}

void vector_math(VectorFn fn, const float* in, int64_t in_stride, float* out,
                 int64_t out_stride, int64_t n) {
  avx2::vector_math(fn, in, in_stride, out, out_stride, n);
}

void vector_math(VectorFn fn, const double* in, int64_t in_stride, double* out,
                 int64_t out_stride, int64_t n) {
  avx2::vector_math(fn, in, in_stride, out, out_stride, n);
}

}  // namespace fnx::cpu
