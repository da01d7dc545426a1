// Iteration helpers shared by every CPU kernel: a strided N-d loop over
// several operands (dims coalesced, broadcasting through stride 0, the
// innermost dim handed to a kernel-supplied loop so contiguous data becomes
// a flat loop the compiler vectorizes) and parallel_for, which uses the
// thread pool (backends/cpu/thread_pool.h) only when the work is large
// enough to pay for it.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "core/shape.h"

namespace fnx::cpu {

// Below this many elements of work an op runs on the calling thread.
inline constexpr int64_t kGrainSize = 32768;

// Iterations per chunk so that each chunk does about kGrainSize elements of
// work when one iteration does `work_per_iteration`.
inline int64_t grain_for(int64_t work_per_iteration) {
  return std::max<int64_t>(
      1, kGrainSize / std::max<int64_t>(1, work_per_iteration));
}

// Threads a parallel region would use here (1 inside a parallel region).
int max_threads();

namespace internal {
using RangeFn = void (*)(const void* ctx, int64_t begin, int64_t end);
// Splits [begin, end) into at most max_threads() chunks of at least `grain`
// iterations and runs them on the thread pool. The first exception thrown by any
// chunk is rethrown on the calling thread.
void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, RangeFn fn,
                       const void* ctx);
}  // namespace internal

// Calls fn(b, e) over disjoint subranges covering [begin, end). Runs inline
// (no thread handoff) when the range holds at most `grain` iterations.
template <typename F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& fn) {
  if (begin >= end) return;
  if (end - begin <= grain) {
    fn(begin, end);
    return;
  }
  internal::parallel_for_impl(
      begin, end, grain,
      [](const void* ctx, int64_t b, int64_t e) {
        (*static_cast<const F*>(ctx))(b, e);
      },
      &fn);
}

// Element offset of the row-major index `linear` over the first `ndim` dims
// of (sizes, strides).
inline int64_t offset_of(int64_t linear, const Shape& sizes,
                         const Strides& strides, int64_t ndim) {
  int64_t off = 0;
  for (int64_t d = ndim - 1; d >= 0; --d) {
    off += (linear % sizes[d]) * strides[d];
    linear /= sizes[d];
  }
  return off;
}

// The geometry of a loop over N operands: dims of size 1 dropped, adjacent
// dims merged when every operand steps through them as one, strides in
// BYTES. Always at least one dim (a 0-d loop is one dim of size 1).
template <std::size_t N>
struct LoopPlan {
  Shape sizes;                     // outermost first
  std::array<Strides, N> strides;  // bytes, per operand, aligned with sizes
  int64_t numel = 1;

  int ndim() const { return static_cast<int>(sizes.size()); }
};

// `strides[k]` (in elements, same rank as `shape`) and `itemsizes[k]` describe
// operand k. The dim order is kept as given.
template <std::size_t N>
LoopPlan<N> make_plan(const Shape& shape,
                      const std::array<const Strides*, N>& strides,
                      const std::array<int64_t, N>& itemsizes) {
  LoopPlan<N> plan;
  plan.numel = numel(shape);
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    const bool can_merge = [&] {
      if (plan.sizes.empty()) return false;
      for (std::size_t k = 0; k < N; ++k) {
        if (plan.strides[k].back() !=
            (*strides[k])[d] * itemsizes[k] * shape[d])
          return false;
      }
      return true;
    }();
    if (can_merge) {
      plan.sizes.back() *= shape[d];
      for (std::size_t k = 0; k < N; ++k) {
        plan.strides[k].back() = (*strides[k])[d] * itemsizes[k];
      }
    } else {
      plan.sizes.push_back(shape[d]);
      for (std::size_t k = 0; k < N; ++k) {
        plan.strides[k].push_back((*strides[k])[d] * itemsizes[k]);
      }
    }
  }
  if (plan.sizes.empty()) {
    plan.sizes.push_back(1);
    for (std::size_t k = 0; k < N; ++k) plan.strides[k].push_back(0);
  }
  return plan;
}

// Runs the linear (row-major) index range [begin, end) of `plan`, calling
// inner(ptrs, inner_strides, n) once per run of the innermost dim, where
// ptrs[k] points at operand k's first element of the run and
// inner_strides[k] is its byte stride along the run.
//
// Between runs the pointers step by the outer strides (odometer style), read
// through raw pointers taken once: recomputing every offset from the index
// through the plan's small vectors cost more than the work when runs are
// short (a (33, 33) basis times (64, 1, 33) under vmap(jacrev): 2112 runs of
// 33 elements took 4x as long as the same op on contiguous operands).
template <std::size_t N, typename Inner>
void run_plan_range(const LoopPlan<N>& plan, const std::array<char*, N>& base,
                    int64_t begin, int64_t end, const Inner& inner) {
  const int nd = plan.ndim();
  const int64_t* sizes = plan.sizes.data();
  std::array<const int64_t*, N> strides;
  for (std::size_t k = 0; k < N; ++k) strides[k] = plan.strides[k].data();
  const int64_t inner_size = sizes[nd - 1];
  std::array<int64_t, N> inner_strides;
  for (std::size_t k = 0; k < N; ++k) inner_strides[k] = strides[k][nd - 1];
  if (nd == 1) {
    std::array<char*, N> ptrs;
    for (std::size_t k = 0; k < N; ++k)
      ptrs[k] = base[k] + begin * inner_strides[k];
    inner(ptrs, inner_strides, end - begin);
    return;
  }
  Shape counter(nd - 1);
  int64_t* count = counter.data();
  int64_t rest = begin / inner_size;
  int64_t i0 = begin % inner_size;
  for (int d = nd - 2; d >= 0; --d) {
    count[d] = rest % sizes[d];
    rest /= sizes[d];
  }
  // Operand pointers at the start of the current run (element i0 of it).
  std::array<char*, N> ptrs;
  for (std::size_t k = 0; k < N; ++k) {
    int64_t off = i0 * inner_strides[k];
    for (int d = 0; d < nd - 1; ++d) off += count[d] * strides[k][d];
    ptrs[k] = base[k] + off;
  }
  int64_t linear = begin;
  while (true) {
    const int64_t n = std::min(inner_size - i0, end - linear);
    inner(ptrs, inner_strides, n);
    linear += n;
    if (linear >= end) return;
    // Back to the start of this run, then one step of the odometer.
    for (std::size_t k = 0; k < N; ++k) ptrs[k] -= i0 * inner_strides[k];
    i0 = 0;
    for (int d = nd - 2; d >= 0; --d) {
      if (++count[d] < sizes[d]) {
        for (std::size_t k = 0; k < N; ++k) ptrs[k] += strides[k][d];
        break;
      }
      count[d] = 0;
      for (std::size_t k = 0; k < N; ++k)
        ptrs[k] -= (sizes[d] - 1) * strides[k][d];
    }
  }
}

// Runs the whole plan, in parallel chunks of at least `grain` elements when
// it is large.
template <std::size_t N, typename Inner>
void run_plan(const LoopPlan<N>& plan, const std::array<char*, N>& base,
              const Inner& inner, int64_t grain = kGrainSize) {
  if (plan.numel == 0) return;
  parallel_for(0, plan.numel, grain, [&](int64_t b, int64_t e) {
    run_plan_range(plan, base, b, e, inner);
  });
}

}  // namespace fnx::cpu
