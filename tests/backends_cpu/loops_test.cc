// run_plan_range, the strided loop under every elementwise kernel: any
// sub-range [begin, end) of a plan visits exactly the elements of those
// row-major indices, in order, at the right offset of every operand. Its
// pointers step between runs instead of being recomputed, so ranges that
// start or end inside a run, or wrap several dims at once, are the cases.
#include "backends/cpu/loops.h"

#include <array>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace fnx::cpu {
namespace {

struct Visit {
  std::array<int64_t, 3> offsets;  // bytes from each operand's base
  bool operator==(const Visit&) const = default;
};

// The offsets run_plan_range visits for [begin, end).
std::vector<Visit> visited(const LoopPlan<3>& plan, int64_t begin,
                           int64_t end) {
  static char buffer[1];  // only addresses are compared
  const std::array<char*, 3> base{buffer, buffer, buffer};
  std::vector<Visit> out;
  run_plan_range(plan, base, begin, end,
                 [&](const std::array<char*, 3>& p,
                     const std::array<int64_t, 3>& s, int64_t n) {
                   for (int64_t i = 0; i < n; ++i) {
                     Visit v;
                     for (int k = 0; k < 3; ++k) {
                       v.offsets[k] = (p[k] - buffer) + i * s[k];
                     }
                     out.push_back(v);
                   }
                 });
  return out;
}

// What a row-major walk over `shape` visits, from the element strides.
std::vector<Visit> expected(const Shape& shape,
                            const std::array<Strides, 3>& strides,
                            const std::array<int64_t, 3>& itemsizes,
                            int64_t begin, int64_t end) {
  std::vector<Visit> out;
  const int64_t nd = static_cast<int64_t>(shape.size());
  for (int64_t i = begin; i < end; ++i) {
    Visit v;
    for (int k = 0; k < 3; ++k) {
      v.offsets[k] = offset_of(i, shape, strides[k], nd) * itemsizes[k];
    }
    out.push_back(v);
  }
  return out;
}

TEST(RunPlanRange, EverySubRangeVisitsItsElementsInOrder) {
  // A (3, 33) basis times (4, 1, 33) rows, as vmap(jacrev) broadcasts,
  // and a transposed operand with a broadcast middle dim.
  struct Case {
    Shape shape;
    std::array<Strides, 3> strides;  // elements: out, a, b
  };
  const std::vector<Case> cases = {
      {{4, 3, 5}, {Strides{15, 5, 1}, Strides{0, 5, 1}, Strides{5, 0, 1}}},
      {{2, 3, 4, 2},
       {Strides{24, 8, 2, 1}, Strides{1, 0, 6, 2}, Strides{0, 8, 2, 1}}},
      {{6}, {Strides{1}, Strides{0}, Strides{2}}},
  };
  const std::array<int64_t, 3> itemsizes{4, 4, 8};
  for (const Case& c : cases) {
    const LoopPlan<3> plan = make_plan<3>(
        c.shape, {&c.strides[0], &c.strides[1], &c.strides[2]}, itemsizes);
    const int64_t n = numel(c.shape);
    for (int64_t begin = 0; begin <= n; ++begin) {
      for (int64_t end = begin + 1; end <= n; ++end) {
        ASSERT_EQ(visited(plan, begin, end),
                  expected(c.shape, c.strides, itemsizes, begin, end))
            << shape_str(c.shape) << " [" << begin << ", " << end << ")";
      }
    }
  }
}

}  // namespace
}  // namespace fnx::cpu
