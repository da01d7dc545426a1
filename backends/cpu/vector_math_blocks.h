// The block loop shared by the AVX2 and AVX-512 halves of vector_math.h.
// Each ISA file instantiates it with its own load/store lambdas, whose
// closure types are local to that file's (non-inline) function, so every
// instantiation is that file's alone: the linker can never hand the AVX2
// caller an AVX-512 copy (a plain inline helper could be merged across the
// two files). Nothing here may call an inline function with external
// linkage (std::min, ...) for the same reason.
#pragma once

#include <cstdint>

namespace fnx::cpu::vector_math_blocks {

// Blocks of kLanes: contiguous ones straight from memory, a contiguous
// tail through masked loads and stores (lanes past it read as zero), and
// the rest (a strided or broadcast input, a strided output) through a
// block padded with zeros: every element sees the same vector function and
// the same lanes around it, so no result depends on layout. The masked
// tail matters for tiny tensors: the padded copy was a third of a chain of
// transcendental ops on 8 elements.
template <typename T, int kLanes, typename Fn, typename Load, typename Store,
          typename LoadTail, typename StoreTail>
void apply(Fn f, Load load, Store store, LoadTail load_tail,
           StoreTail store_tail, const T* in, int64_t in_stride, T* out,
           int64_t out_stride, int64_t n) {
  int64_t i = 0;
  if (in_stride == 1 && out_stride == 1) {
    for (; i + kLanes <= n; i += kLanes) store(out + i, f(load(in + i)));
    if (i < n) store_tail(out + i, f(load_tail(in + i, n - i)), n - i);
    return;
  }
  alignas(64) T block[kLanes];
  for (; i < n; i += kLanes) {
    const int64_t len = n - i < kLanes ? n - i : kLanes;
    for (int64_t l = 0; l < kLanes; ++l) {
      block[l] = l < len ? in[(i + l) * in_stride] : T(0);
    }
    store(block, f(load(block)));
    for (int64_t l = 0; l < len; ++l) out[(i + l) * out_stride] = block[l];
  }
}

}  // namespace fnx::cpu::vector_math_blocks
