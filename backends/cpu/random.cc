// Uniform and Normal: element i is a pure function of (seed, offset, i)
// through the Philox helpers of core/generator.h, so the values do not
// depend on the thread count (or the backend).
#include <cmath>
#include <type_traits>

#include "backends/cpu/common.h"
#include "backends/cpu/loops.h"
#include "core/generator.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

// Integer dtypes take the floor of the value.
template <typename T>
T from_double(double v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    return scalar::convert<T>(std::floor(v));
  }
}

template <bool kNormal>
Tensor random_kernel(const OpCall& call, const OutMeta& out) {
  const auto& a = call.attr<RandomAttrs>();
  Tensor result = make_result(out);
  const bool is_double = out.dtype == DType::Float64;
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    using T = scalar_t;
    T* p = data_ptr<T>(result);
    parallel_for(
        0, numel(out.shape), kGrainSize / 16, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) {
            if constexpr (kNormal) {
              p[i] = from_double<T>(
                  a.low + a.high * philox_normal_at(a.seed, a.offset, i));
            } else {
              p[i] = from_double<T>(
                  a.low + (a.high - a.low) * philox_uniform_at(a.seed, a.offset,
                                                               i, is_double));
            }
          }
        });
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  constexpr DeviceType kCpu = DeviceType::CPU;
  r.kernel(kCpu, Prim::Uniform, &random_kernel<false>);
  r.kernel(kCpu, Prim::Normal, &random_kernel<true>);
}

}  // namespace fnx::cpu
