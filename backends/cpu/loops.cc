#include "backends/cpu/loops.h"

#include <algorithm>

#include "backends/cpu/thread_pool.h"

namespace fnx::cpu {

int max_threads() { return in_pool_task() ? 1 : pool_threads(); }

namespace internal {

void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, RangeFn fn,
                       const void* ctx) {
  const int64_t total = end - begin;
  grain = std::max<int64_t>(grain, 1);
  const int64_t max_chunks = (total + grain - 1) / grain;
  const int64_t chunks = std::min<int64_t>(max_threads(), max_chunks);
  if (chunks <= 1) {
    fn(ctx, begin, end);
    return;
  }
  const int64_t chunk = (total + chunks - 1) / chunks;
  pool_run(chunks, [&](int64_t i) {
    const int64_t b = begin + i * chunk;
    const int64_t e = std::min(end, b + chunk);
    if (b < e) fn(ctx, b, e);
  });
}

}  // namespace internal
}  // namespace fnx::cpu
