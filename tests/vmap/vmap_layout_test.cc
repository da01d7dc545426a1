// What a mapped function sees of each example's layout in memory, as
// torch.func: strides() and is_contiguous() describe the example's real
// layout (the physical strides without the batch dim), and view() refuses
// exactly where a view of that memory would need a copy (test_view,
// test_view_as, test_is_contiguous, test_stride of torch's test_vmap.py).
#include <vector>

#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/vmap/test_util.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

using testing::same_values;

Shape shape_of(const Strides& s) { return Shape(s.begin(), s.end()); }

TEST(VmapLayout, StridesAreEachExamplesPhysicalStrides) {
  // test_stride: movedim(randn(2, 3, 5, 7), 1, 0) mapped over dim 0.
  const Tensor x = movedim(randn({2, 3, 5, 7}, DType::Float64), 1, 0);
  Strides seen;
  vmap([&](const Tensor& t) {
    seen = t.strides();
    return t;
  })(x);
  EXPECT_EQ(shape_of(seen), Shape({105, 7, 1}));
  // Mapped over a middle dim: the remaining strides.
  const Tensor y = randn({2, 3, 5, 7}, DType::Float64);
  vmap(
      [&](const Tensor& t) {
        seen = t.strides();
        return t;
      },
      2)(y);
  EXPECT_EQ(shape_of(seen), Shape({105, 35, 1}));
}

TEST(VmapLayout, IsContiguousDescribesTheExample) {
  // test_is_contiguous.
  bool contiguous = false;
  auto probe = [&](const Tensor& t) {
    contiguous = t.is_contiguous();
    return t;
  };
  vmap(probe)(randn({3, 4, 5}));
  EXPECT_TRUE(contiguous);
  vmap(probe, 1)(randn({4, 3, 5}));  // each example (4, 5) of rows 15 apart
  EXPECT_FALSE(contiguous);
  vmap(probe, 2)(randn({4, 5, 3}));
  EXPECT_FALSE(contiguous);
  vmap(probe)(randn({3, 4, 5}).transpose(1, 2));
  EXPECT_FALSE(contiguous);
  // A contiguous() copy inside is contiguous.
  vmap([&](const Tensor& t) { return probe(t.contiguous()); }, 1)(
      randn({4, 3, 5}));
  EXPECT_TRUE(contiguous);
}

TEST(VmapLayout, ViewRefusesWhereTheExampleNeedsACopy) {
  // test_view: each example is a non-contiguous (2, 5) slice.
  const Tensor x = randn({2, 7, 5});
  EXPECT_THROW(vmap([](const Tensor& t) { return t.view({10}); }, 1)(x), Error);
  // Contiguous examples view fine, and the view shares memory.
  const Tensor y = randn({7, 2, 5});
  const Tensor v = vmap([](const Tensor& t) { return t.view({10}); })(y);
  EXPECT_TRUE(same_values(v, y.reshape({7, 10})));
  // Viewing that keeps each chunk whole works even when not contiguous.
  const Tensor z = randn({2, 7, 5});
  const Tensor w =
      vmap([](const Tensor& t) { return t.view({2, 5, 1}); }, 1)(z);
  EXPECT_EQ(w.shape(), Shape({7, 2, 5, 1}));
  // test_view_as.
  const Tensor like = randn({10});
  EXPECT_THROW(
      vmap([&](const Tensor& t) { return t.view_as(like); }, 1)(x), Error);
  EXPECT_EQ(vmap([&](const Tensor& t) { return t.view_as(like); })(y).shape(),
            Shape({7, 10}));
  // Under grad too: a transposed input cannot be viewed flat.
  const Tensor m = randn({3, 4}, DType::Float64).t();
  EXPECT_THROW(grad([](const Tensor& t) { return t.view({12}).sum(); })(m),
               Error);
  EXPECT_TRUE(same_values(
      grad([](const Tensor& t) { return t.view({12}).sum(); })(m.contiguous()),
      ones({4, 3}, DType::Float64)));
}

}  // namespace
}  // namespace fnx
