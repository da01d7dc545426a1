// View kernels (Reshape, Permute, Expand, Slice), memory kernels (Copy,
// CopyInto), creation (Full, Iota) and the copying shape ops (Cat, Pad).
#include "tests/backends_cpu/test_util.h"

namespace fnx::cpu_test {
namespace {

bool shares_storage(const Tensor& a, const Tensor& b) {
  return a.impl()->storage == b.impl()->storage;
}

TEST(Views, ReshapeIsAViewWhenStridesAllow) {
  const Tensor x = arange_t({2, 3, 4}, kF32);
  const Tensor y = run(Prim::Reshape, ShapeAttrs{{6, 4}}, {x}, {6, 4}, kF32);
  EXPECT_TRUE(shares_storage(x, y));
  EXPECT_EQ(y.strides(), (Strides{4, 1}));
  EXPECT_EQ(values(y), values(x));
  // Splitting and adding size-1 dims of a transposed tensor stays a view.
  const Tensor t =
      transposed(arange_t({4, 6}, kF32));  // (6, 4), strides (1, 6)
  const Tensor z =
      run(Prim::Reshape, ShapeAttrs{{2, 3, 1, 4}}, {t}, {2, 3, 1, 4}, kF32);
  EXPECT_TRUE(shares_storage(t, z));
  EXPECT_EQ(values(z), values(t));
  // Flattening a transposed tensor needs a copy.
  const Tensor f = run(Prim::Reshape, ShapeAttrs{{24}}, {t}, {24}, kF32);
  EXPECT_FALSE(shares_storage(t, f));
  EXPECT_EQ(values(f), values(t));
  // Scalars and empties.
  const Tensor s =
      run(Prim::Reshape, ShapeAttrs{{1, 1}}, {make({3}, {})}, {1, 1}, kF32);
  EXPECT_EQ(values(s), std::vector<double>{3});
  const Tensor back = run(Prim::Reshape, ShapeAttrs{{}}, {s}, {}, kF32);
  EXPECT_EQ(back.dim(), 0);
  EXPECT_EQ(
      run(Prim::Reshape, ShapeAttrs{{3, 0}}, {empty({0, 3})}, {3, 0}, kF32)
          .numel(),
      0);
  // A sliced (offset) input keeps its offset.
  const Tensor sl = view(arange_t({10}, kF32), {4}, {1}, 3);
  EXPECT_EQ(values(run(Prim::Reshape, ShapeAttrs{{2, 2}}, {sl}, {2, 2}, kF32)),
            (std::vector<double>{3, 4, 5, 6}));
}

TEST(Views, PermuteExpandSlice) {
  const Tensor x = arange_t({2, 3, 4}, kF32);
  const Tensor p =
      run(Prim::Permute, PermuteAttrs{{2, 0, 1}}, {x}, {4, 2, 3}, kF32);
  EXPECT_TRUE(shares_storage(x, p));
  EXPECT_EQ(p.strides(), (Strides{1, 12, 4}));
  EXPECT_EQ(values(p)[1], 4);   // p[0, 0, 1] = x[0, 1, 0]
  EXPECT_EQ(values(p)[3], 12);  // p[0, 1, 0] = x[1, 0, 0]

  const Tensor e = run(Prim::Expand, ShapeAttrs{{2, 3, 2}},
                       {make({1, 2}, {1, 2})}, {2, 3, 2}, kF32);
  EXPECT_EQ(e.strides(), (Strides{0, 0, 1}));
  EXPECT_EQ(values(e),
            (std::vector<double>{1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2}));

  const Tensor s =
      run(Prim::Slice, SliceAttrs{1, 0, 3, 2}, {x}, {2, 2, 4}, kF32);
  EXPECT_TRUE(shares_storage(x, s));
  EXPECT_EQ(s.shape(), (Shape{2, 2, 4}));
  EXPECT_EQ(values(s)[4], 8);  // x[0, 2, 0]
  const Tensor s2 =
      run(Prim::Slice, SliceAttrs{2, 1, 4, 2}, {s}, {2, 2, 2}, kF32);
  EXPECT_EQ(values(s2), (std::vector<double>{1, 3, 9, 11, 13, 15, 21, 23}));
  const Tensor empty_slice =
      run(Prim::Slice, SliceAttrs{0, 2, 2, 1}, {x}, {0, 3, 4}, kF32);
  EXPECT_EQ(empty_slice.numel(), 0);
  EXPECT_EQ(empty_slice.shape(), (Shape{0, 3, 4}));
}

TEST(Copy, CloneIsContiguous) {
  const Tensor t = transposed(arange_t({3, 4}, kI64));
  const Tensor c = run(Prim::Copy, NoAttrs{}, {t}, {4, 3}, kI64);
  EXPECT_FALSE(shares_storage(t, c));
  EXPECT_EQ(c.strides(), (Strides{3, 1}));
  EXPECT_EQ(values(c), values(t));
}

TEST(Copy, TransposesCopyInTiles) {
  // 2-d and batched transposes, sizes not multiples of the tile, with and
  // without a dtype conversion.
  const Tensor a = arange_t({37, 45}, kF64);
  const auto av = values(transposed(a));
  EXPECT_EQ(values(run(Prim::Copy, NoAttrs{}, {transposed(a)}, {45, 37}, kF64)),
            av);
  EXPECT_EQ(
      values(run(Prim::Cast, CastAttrs{kI32}, {transposed(a)}, {45, 37}, kI32)),
      av);
  const Tensor b = arange_t({3, 40, 50}, kF32);
  const Tensor bp = view(b, {40, 3, 50}, {50, 2000, 1});  // (1, 0, 2)
  EXPECT_EQ(values(run(Prim::Copy, NoAttrs{}, {bp}, {40, 3, 50}, kF32)),
            values(bp));
  const Tensor bt = view(b, {50, 3, 40}, {1, 2000, 50});  // (2, 0, 1)
  EXPECT_EQ(values(run(Prim::Copy, NoAttrs{}, {bt}, {50, 3, 40}, kF32)),
            values(bt));
  // Into a strided destination.
  const Tensor dst = make(std::vector<double>(45 * 74, -1), {45, 74}, kF64);
  run(Prim::CopyInto, NoAttrs{},
      {view(dst, {45, 37}, {74, 2}, 1), transposed(a)}, {45, 37}, kF64);
  const auto dv = values(dst);
  EXPECT_EQ(dv[0], -1);
  EXPECT_EQ(dv[1], av[0]);
  EXPECT_EQ(dv[74 + 3], av[37 + 1]);
  // Large enough to be split between threads.
  const Tensor big = random_t({300, 700}, kF32, 9);
  EXPECT_EQ(
      values(run(Prim::Copy, NoAttrs{}, {transposed(big)}, {700, 300}, kF32)),
      values(transposed(big)));
}

TEST(Copy, CopyIntoBroadcastsCastsAndReturnsDst) {
  const Tensor dst = make(std::vector<double>(6, 0), {2, 3}, kF64);
  const uint64_t v0 = dst.impl()->storage->version();
  const Tensor src = make({1, 2, 3}, {3}, kI32);
  const Tensor r = run(Prim::CopyInto, NoAttrs{}, {dst, src}, {2, 3}, kF64);
  EXPECT_TRUE(r.is_same(dst));
  EXPECT_GT(dst.impl()->storage->version(), v0);
  EXPECT_EQ(values(dst), (std::vector<double>{1, 2, 3, 1, 2, 3}));
  // Into a strided view: only the viewed elements change.
  const Tensor base = make(std::vector<double>(8, 0), {8}, kF32);
  const Tensor every_other = view(base, {4}, {2}, 1);
  run(Prim::CopyInto, NoAttrs{}, {every_other, make({7}, {}, kF32)}, {4}, kF32);
  EXPECT_EQ(values(base), (std::vector<double>{0, 7, 0, 7, 0, 7, 0, 7}));
}

TEST(Copy, CopyIntoRefusesOverlappingDestination) {
  const Tensor dst = view(make({0, 0}, {2}), {3, 2}, {0, 1});
  const std::string msg = error_of([&] {
    run(Prim::CopyInto, NoAttrs{}, {dst, arange_t({3, 2})}, {3, 2}, kF32);
  });
  EXPECT_NE(msg.find("[copy_]"), std::string::npos) << msg;
  EXPECT_NE(
      msg.find("more than one element of the destination refers to the same "
               "memory location"),
      std::string::npos)
      << msg;
  EXPECT_NE(msg.find("clone()"), std::string::npos) << msg;
}

TEST(Copy, CopyIntoHandlesSourceOverlappingDestination) {
  // dst = x[1:], src = x[:-1]: a naive forward copy would smear x[0].
  const Tensor x = arange_t({6}, kF32);
  run(Prim::CopyInto, NoAttrs{}, {view(x, {5}, {1}, 1), view(x, {5}, {1}, 0)},
      {5}, kF32);
  EXPECT_EQ(values(x), (std::vector<double>{0, 0, 1, 2, 3, 4}));
  // In-place transpose of a square matrix through a view of itself.
  const Tensor m = arange_t({3, 3}, kF32);
  run(Prim::CopyInto, NoAttrs{}, {m, transposed(m)}, {3, 3}, kF32);
  EXPECT_EQ(values(m), (std::vector<double>{0, 3, 6, 1, 4, 7, 2, 5, 8}));
  // Empty destination.
  const Tensor e = empty({0, 2});
  EXPECT_TRUE(
      run(Prim::CopyInto, NoAttrs{}, {e, make({1, 2}, {2})}, {0, 2}, kF32)
          .is_same(e));
}

TEST(Creation, FullAndIota) {
  FullAttrs f;
  f.shape = {2, 2};
  f.dtype = kI32;
  f.value = 3.7;
  EXPECT_EQ(values(run(Prim::Full, f, {}, {2, 2}, kI32)),
            std::vector<double>(4, 3));
  f.dtype = kBool;
  f.value = 0.5;
  EXPECT_EQ(values(run(Prim::Full, f, {}, {2, 2}, kBool)),
            std::vector<double>(4, 1));
  f.shape = {0};
  EXPECT_EQ(run(Prim::Full, f, {}, {0}, kBool).numel(), 0);
  IotaAttrs io;
  io.n = 5;
  io.dtype = kF32;
  EXPECT_EQ(values(run(Prim::Iota, io, {}, {5}, kF32)),
            (std::vector<double>{0, 1, 2, 3, 4}));
  io.n = 0;
  io.dtype = kI64;
  EXPECT_EQ(run(Prim::Iota, io, {}, {0}, kI64).numel(), 0);
}

TEST(Cat, ConcatenatesAlongAnyDim) {
  const Tensor a = arange_t({2, 2}, kF32);
  const Tensor b = transposed(arange_t({3, 2}, kF32, 10));  // (2, 3)
  const Tensor e = empty({2, 0}, kF32);
  const Tensor c = run(Prim::Cat, DimAttrs{1}, {a, e, b}, {2, 5}, kF32);
  EXPECT_EQ(values(c),
            (std::vector<double>{0, 1, 10, 12, 14, 2, 3, 11, 13, 15}));
  const Tensor d =
      run(Prim::Cat, DimAttrs{0}, {a, make({9, 9}, {1, 2})}, {3, 2}, kF32);
  EXPECT_EQ(values(d), (std::vector<double>{0, 1, 2, 3, 9, 9}));
  EXPECT_EQ(
      run(Prim::Cat, DimAttrs{0}, {empty({0, 2}), empty({0, 2})}, {0, 2}, kF32)
          .numel(),
      0);
}

TEST(Pad, PadsAndCrops) {
  const Tensor x = arange_t({2, 3}, kF32, 1);  // [[1,2,3],[4,5,6]]
  PadAttrs p;
  p.lo = {1, 0};
  p.hi = {0, 2};
  p.value = -1;
  EXPECT_EQ(values(run(Prim::Pad, p, {x}, {3, 5}, kF32)),
            (std::vector<double>{-1, -1, -1, -1, -1, 1, 2, 3, -1, -1, 4, 5, 6,
                                 -1, -1}));
  // Negative amounts crop.
  p.lo = {0, -1};
  p.hi = {-1, 1};
  EXPECT_EQ(
      values(run(Prim::Pad, p, {transposed(transposed(x))}, {1, 3}, kF32)),
      (std::vector<double>{2, 3, -1}));
  // Everything cropped away from a dim, the rest padded.
  p.lo = {0, -3};
  p.hi = {0, 2};
  EXPECT_EQ(values(run(Prim::Pad, p, {x}, {2, 2}, kF32)),
            std::vector<double>(4, -1));
  // Pad of an empty input.
  p.lo = {1, 1};
  p.hi = {0, 0};
  p.value = 2;
  EXPECT_EQ(values(run(Prim::Pad, p, {empty({0, 1})}, {1, 2}, kF32)),
            std::vector<double>(2, 2));
}

}  // namespace
}  // namespace fnx::cpu_test
