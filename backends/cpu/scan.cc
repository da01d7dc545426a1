// Cumprod, Logcumsumexp, CummaxIndex and CumminIndex along one dim, laid
// out like cumsum (sort.cc): the input made contiguous and viewed as
// (outer, n, inner), each outer block walked row by row (memory order) with
// one running state per inner column. Cumprod multiplies in the cumsum
// accumulator type (double for floats, wrapping for integers); the
// log-sum-exp and running-extreme steps are backends/common/host_device.h's,
// shared with the CUDA kernels.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "backends/common/host_device.h"
#include "backends/cpu/common.h"
#include "backends/cpu/loops.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

// Running product: state = accumulator, value = cast back to T.
template <typename T>
struct ProductState {
  ScanAccumulator<T> acc = 1;
  void add(T v, int64_t) { acc *= static_cast<ScanAccumulator<T>>(v); }
  T value() const { return static_cast<T>(acc); }
};

template <typename T>
struct LogSumExpState {
  LogSumExpScan scan;
  void add(T v, int64_t) { scan.add(static_cast<double>(v)); }
  T value() const { return static_cast<T>(scan.value()); }
};

// Position k (int64) of the running max / min along the dim.
template <bool kMax, typename T>
struct ExtremeState {
  T best{};
  int64_t at = -1;
  void add(T v, int64_t k) {
    if (at < 0 || takes_extreme<kMax>(v, best)) {
      best = v;
      at = k;
    }
  }
  int64_t value() const { return at; }
};

// y[.., k, ..] = state.value() after adding x[.., j, ..] (at position j)
// for j <= k (j >= k when reverse).
template <typename State, typename T, typename Out>
void scan_kernel(const Tensor& x, Tensor& result, const ScanAttrs& a) {
  const DimSplit split = split_at_dim(x.shape(), a.dim);
  const int64_t n = split.n, inner = split.inner;
  const bool reverse = a.reverse;
  const T* xp = data_ptr<T>(x);
  Out* yp = data_ptr<Out>(result);
  parallel_for(0, split.outer, grain_for(n * inner), [&](int64_t b, int64_t e) {
    std::vector<State> states(inner);
    for (int64_t o = b; o < e; ++o) {
      std::fill(states.begin(), states.end(), State{});
      for (int64_t step = 0; step < n; ++step) {
        const int64_t k = reverse ? n - 1 - step : step;
        const T* row = xp + (o * n + k) * inner;
        Out* out = yp + (o * n + k) * inner;
        for (int64_t i = 0; i < inner; ++i) {
          states[i].add(row[i], k);
          out[i] = states[i].value();
        }
      }
    }
  });
}

Tensor cumprod_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor x = contiguous(call.inputs[0]);
  Tensor result = make_result(out);
  if (x.numel() == 0) return result;
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    using T = scalar_t;
    if constexpr (!std::is_same_v<T, bool>) {  // the shape rule refuses bool
      scan_kernel<ProductState<T>, T, T>(x, result, call.attr<ScanAttrs>());
    }
  });
  return result;
}

Tensor logcumsumexp_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor x = contiguous(call.inputs[0]);
  Tensor result = make_result(out);
  if (x.numel() == 0) return result;
  FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
    using T = scalar_t;
    scan_kernel<LogSumExpState<T>, T, T>(x, result, call.attr<ScanAttrs>());
  });
  return result;
}

template <bool kMax>
Tensor extreme_index_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor x = contiguous(call.inputs[0]);
  Tensor result = make_result(out);
  if (x.numel() == 0) return result;
  FNX_DISPATCH_ALL_TYPES(x.dtype(), [&] {
    using T = scalar_t;
    scan_kernel<ExtremeState<kMax, T>, T, int64_t>(x, result,
                                                   call.attr<ScanAttrs>());
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  r.kernel(DeviceType::CPU, Prim::Cumprod, &cumprod_kernel);
  r.kernel(DeviceType::CPU, Prim::Logcumsumexp, &logcumsumexp_kernel);
  r.kernel(DeviceType::CPU, Prim::CummaxIndex, &extreme_index_kernel<true>);
  r.kernel(DeviceType::CPU, Prim::CumminIndex, &extreme_index_kernel<false>);
}

}  // namespace fnx::cpu
