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
  vmap([&](const Tensor& t) { return probe(t.contiguous()); },
       1)(randn({4, 3, 5}));
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
  const Tensor w = vmap(
      [](const Tensor& t) {
        return t.view({2, 5, 1});
      },
      1)(z);
  EXPECT_EQ(w.shape(), Shape({7, 2, 5, 1}));
  // test_view_as.
  const Tensor like = randn({10});
  EXPECT_THROW(vmap([&](const Tensor& t) { return t.view_as(like); }, 1)(x),
               Error);
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

namespace fnx {
namespace {

// torch.func's test_new_zeros_materializes_tensor: a tensor made with
// new_zeros from a batched one is batched, so per-example values can be
// written into it.
TEST(VmapNewFactories, NewZerosIsBatchedLikeItsSource) {
  const Tensor x = randn({3, 5}, DType::Float64);
  const Tensor y = randn({3, 5}, DType::Float64);
  auto foo = [](const Tensor& a, const Tensor& b) {
    Tensor result = b.new_zeros({5});
    result.copy_(a);
    return result.sum();
  };
  EXPECT_TRUE(same_values(vmap(foo)(y, x), y.sum({1})));
  // new_full / new_ones / new_empty: dtype and device from the source.
  const Tensor i = from_vector(std::vector<int64_t>{1, 2}, {2});
  const Tensor f = i.new_full({2, 2}, 7.0);
  EXPECT_EQ(f.dtype(), DType::Int64);
  EXPECT_EQ(f.to_vector(), (std::vector<double>{7, 7, 7, 7}));
  EXPECT_EQ(x.new_ones({2}).to_vector(), (std::vector<double>{1, 1}));
  EXPECT_EQ(x.new_empty({2}).to_vector(), (std::vector<double>{0, 0}));
  const Tensor shapes =
      vmap([](const Tensor& a) { return a.new_full({2}, 3.0) + a.sum(); })(x);
  EXPECT_EQ(shapes.shape(), Shape({3, 2}));
  // A source with no elements still works.
  const Tensor empty = randn({4, 0});
  EXPECT_EQ(
      vmap([](const Tensor& a) { return a.new_zeros({3}); })(empty).shape(),
      Shape({4, 3}));
}

}  // namespace
}  // namespace fnx
