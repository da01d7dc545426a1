// Cumsum along one dim (Argsort is in argsort.cc). The input is made
// contiguous and viewed as (outer, n, inner) with n the dim. Cumsum walks
// each outer block row by row with one accumulator per inner column (reads
// in memory order); floats accumulate in double, integers wrap on overflow
// (as torch).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <type_traits>
#include <vector>

#include "backends/common/host_device.h"
#include "backends/cpu/common.h"
#include "backends/cpu/loops.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

template <typename T>
using Acc = ScanAccumulator<T>;

template <typename T>
void cumsum_block(const T* x, T* y, int64_t n, int64_t inner, bool reverse,
                  std::vector<Acc<T>>& acc) {
  if constexpr (std::is_same_v<T, bool>) {
    return;  // the shape rule refuses bool
  } else if (inner == 1) {
    // One contiguous fiber: the running sum stays in a register (through
    // acc[i] it would be stored and reloaded at every step).
    Acc<T> sum = Acc<T>(0);
    if (reverse) {
      for (int64_t k = n - 1; k >= 0; --k) {
        sum += static_cast<Acc<T>>(x[k]);
        y[k] = static_cast<T>(sum);
      }
    } else {
      for (int64_t k = 0; k < n; ++k) {
        sum += static_cast<Acc<T>>(x[k]);
        y[k] = static_cast<T>(sum);
      }
    }
  } else {
    std::fill(acc.begin(), acc.end(), Acc<T>(0));
    for (int64_t step = 0; step < n; ++step) {
      const int64_t k = reverse ? n - 1 - step : step;
      const T* row = x + k * inner;
      T* out = y + k * inner;
      for (int64_t i = 0; i < inner; ++i) {
        acc[i] += static_cast<Acc<T>>(row[i]);
        out[i] = static_cast<T>(acc[i]);
      }
    }
  }
}

Tensor cumsum_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor x = contiguous(call.inputs[0]);
  Tensor result = make_result(out);
  if (x.numel() == 0) return result;
  const auto& a = call.attr<ScanAttrs>();
  const DimSplit split = split_at_dim(x.shape(), a.dim);
  const int64_t n = split.n, inner = split.inner;
  const bool reverse = a.reverse;
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    using T = scalar_t;
    const T* xp = data_ptr<T>(x);
    T* yp = data_ptr<T>(result);
    parallel_for(0, split.outer, grain_for(n * inner),
                 [&](int64_t b, int64_t e) {
                   std::vector<Acc<T>> acc(inner);
                   for (int64_t o = b; o < e; ++o) {
                     cumsum_block(xp + o * n * inner, yp + o * n * inner, n,
                                  inner, reverse, acc);
                   }
                 });
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  r.kernel(DeviceType::CPU, Prim::Cumsum, &cumsum_kernel);
}

}  // namespace fnx::cpu
