#include "backends/cpu/loops.h"

#include <omp.h>

#include <exception>
#include <mutex>

namespace fnx::cpu {

int max_threads() { return omp_in_parallel() ? 1 : omp_get_max_threads(); }

namespace internal {

void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, RangeFn fn,
                       const void* ctx) {
  const int64_t total = end - begin;
  grain = std::max<int64_t>(grain, 1);
  const int64_t max_chunks = (total + grain - 1) / grain;
  const int threads =
      static_cast<int>(std::min<int64_t>(max_threads(), max_chunks));
  if (threads <= 1) {
    fn(ctx, begin, end);
    return;
  }
  std::exception_ptr error;
  std::mutex error_mutex;
#pragma omp parallel num_threads(threads)
  {
    const int64_t nt = omp_get_num_threads();
    const int64_t tid = omp_get_thread_num();
    const int64_t chunk = (total + nt - 1) / nt;
    const int64_t b = begin + tid * chunk;
    const int64_t e = std::min(end, b + chunk);
    if (b < e) {
      try {
        fn(ctx, b, e);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace internal
}  // namespace fnx::cpu
