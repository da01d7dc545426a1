// What the control-flow tests share: float64 scalars and the per-example
// loop every vmapped result is compared with.
#pragma once

#include <cstdint>
#include <vector>

#include "core/ops/ops.h"
#include "tests/testing/transform_test_util.h"

namespace fnx::testing {

inline Tensor scalar(double v) { return f64({v}).reshape({}); }

// fn applied to each row of xs in a plain C++ loop, stacked.
template <typename Fn>
Tensor per_example(const Fn& fn, const Tensor& xs) {
  std::vector<Tensor> out;
  for (int64_t i = 0; i < xs.shape()[0]; ++i) {
    out.push_back(fn(xs.select(0, i)));
  }
  return stack(out, 0);
}

}  // namespace fnx::testing
