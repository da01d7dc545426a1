// The CUDA backend's iteration spaces (tensors.h: make_loop), host code
// that needs no GPU: size-1 dims dropped, dims every operand steps through
// as one merged, broadcast (zero) strides kept, byte strides, and the limit
// on dims that cannot be merged.
#include <array>

#include "core/error.h"
#include "gtest/gtest.h"

#if defined(FNX_HAVE_CUDA)
#include "backends/cuda/tensors.h"
#endif

namespace fnx {
namespace {

#if defined(FNX_HAVE_CUDA)
using cuda::Loop;
using cuda::make_loop;

char* const kA = reinterpret_cast<char*>(0x1000);
char* const kB = reinterpret_cast<char*>(0x2000);

TEST(CudaLoop, ContiguousOperandsMergeIntoOneDim) {
  const Shape shape = {4, 1, 5, 6};
  const Strides s = contiguous_strides(shape);
  const Loop<2> loop = make_loop<2>("t", shape, {kA, kB}, {&s, &s}, {4, 8});
  EXPECT_EQ(loop.ndim, 1);
  EXPECT_TRUE(loop.contiguous);
  EXPECT_EQ(loop.numel, 120);
  EXPECT_EQ(loop.sizes[0], 120);
  EXPECT_EQ(loop.strides[0][0], 4);  // bytes
  EXPECT_EQ(loop.strides[1][0], 8);
  EXPECT_EQ(loop.ptrs[1], kB);
}

TEST(CudaLoop, BroadcastAndTransposedOperandsKeepTheirDims) {
  const Shape shape = {3, 4, 5};
  const Strides out = contiguous_strides(shape);
  const Strides row = {0, 0, 1};          // a (5) broadcast
  const Strides transposed = {20, 1, 4};  // dims 1 and 2 swapped
  const Loop<3> loop = make_loop<3>("t", shape, {kA, kB, kB},
                                    {&out, &row, &transposed}, {4, 4, 4});
  EXPECT_FALSE(loop.contiguous);
  ASSERT_EQ(loop.ndim, 3);
  EXPECT_EQ(loop.strides[1][0], 0);
  EXPECT_EQ(loop.strides[1][2], 4);
  EXPECT_EQ(loop.strides[2][1], 4);
  EXPECT_EQ(loop.strides[2][2], 16);
  // Broadcast over the two outer dims only: they merge, the inner stays.
  const Strides col = {0, 0, 1};
  const Shape s2 = {3, 4, 5};
  const Strides o2 = contiguous_strides(s2);
  const Loop<2> l2 = make_loop<2>("t", s2, {kA, kB}, {&o2, &col}, {4, 4});
  ASSERT_EQ(l2.ndim, 2);
  EXPECT_EQ(l2.sizes[0], 12);
  EXPECT_EQ(l2.strides[1][0], 0);
}

TEST(CudaLoop, ScalarsAndEmptyShapes) {
  const Shape scalar = {};
  const Strides none = {};
  const Loop<2> s = make_loop<2>("t", scalar, {kA, kB}, {&none, &none}, {4, 4});
  EXPECT_EQ(s.numel, 1);
  EXPECT_EQ(s.ndim, 0);
  EXPECT_TRUE(s.contiguous);
  const Shape empty = {3, 0};
  const Strides e = contiguous_strides(empty);
  EXPECT_EQ(make_loop<2>("t", empty, {kA, kB}, {&e, &e}, {4, 4}).numel, 0);
}

TEST(CudaLoop, TooManyUnmergeableDimsIsAClearError) {
  const Shape shape(9, 2);
  Strides out = contiguous_strides(shape);
  Strides odd(9);
  for (int d = 0; d < 9; ++d) odd[d] = int64_t{3} << (2 * (8 - d));
  try {
    make_loop<2>("add", shape, {kA, kB}, {&out, &odd}, {4, 4});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[add] the CUDA backend handles at "
                                         "most 8 dims"),
              std::string::npos)
        << e.what();
  }
}
#else
TEST(CudaLoop, ContiguousOperandsMergeIntoOneDim) {
  GTEST_SKIP() << "skipped: built without --config=cuda";
}
#endif

}  // namespace
}  // namespace fnx
