// Values and error messages of einsum, tensordot, kron, cross, flip, roll,
// repeat, repeat_interleave, meshgrid, where with scalars and
// masked_select (core/ops/einsum.cc, product_composites.cc,
// tensor_composites.cc), on small hand-computed inputs. The op database
// checks them against references under every transform.
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/tensor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

using ::testing::HasSubstr;

Tensor T(const std::vector<double>& values, const Shape& shape,
         DType dtype = DType::Float32) {
  return from_vector(values, shape, dtype);
}

Tensor I(const std::vector<int64_t>& values, const Shape& shape) {
  return from_vector(values, shape, DType::Int64);
}

void ExpectValues(const Tensor& t, const Shape& shape,
                  const std::vector<double>& expected, double tol = 1e-5) {
  ASSERT_TRUE(t.defined());
  EXPECT_EQ(shape_str(t.shape()), shape_str(shape));
  const std::vector<double> got = t.to_vector();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], expected[i], tol) << "element " << i;
  }
}

// Runs fn, expecting an fnx::Error whose message contains every fragment.
void ExpectError(const std::function<void()>& fn,
                 const std::vector<std::string>& fragments) {
  try {
    fn();
    ADD_FAILURE() << "expected an fnx::Error containing " << fragments[0];
  } catch (const Error& e) {
    for (const std::string& f : fragments) {
      EXPECT_THAT(e.what(), HasSubstr(f));
    }
  }
}

const Tensor kA = T({1, 2, 3, 4, 5, 6}, {2, 3});

TEST(Einsum, MatmulTraceDiagonalOuter) {
  const Tensor b = T({1, 0, 0, 1, 1, 1}, {3, 2});
  ExpectValues(einsum("ij,jk->ik", {kA, b}), {2, 2}, {4, 5, 10, 11});
  ExpectValues(einsum("ij,jk", {kA, b}), {2, 2}, {4, 5, 10, 11});  // implicit
  const Tensor sq = T({1, 2, 3, 4}, {2, 2});
  ExpectValues(einsum("ii", {sq}), {}, {5});
  ExpectValues(einsum("ii->i", {sq}), {2}, {1, 4});
  ExpectValues(einsum("ij->ji", {kA}), {3, 2}, {1, 4, 2, 5, 3, 6});
  ExpectValues(einsum("ij->", {kA}), {}, {21});
  ExpectValues(einsum("i,j->ij", {T({1, 2}, {2}), T({3, 4, 5}, {3})}), {2, 3},
               {3, 4, 5, 6, 8, 10});
  ExpectValues(einsum("ba", {kA}), {3, 2}, {1, 4, 2, 5, 3, 6});  // "ab" order
}

TEST(Einsum, EllipsisBroadcastAndThreeOperands) {
  const Tensor x = T({1, 2, 3, 4}, {2, 1, 2});
  const Tensor y = T({1, 1, 2, 2, 3, 3}, {3, 2});  // ... broadcasts 1 -> 3
  ExpectValues(einsum("...i,...i->...", {x, y}), {2, 3}, {3, 6, 9, 7, 14, 21});
  const Tensor v = T({1, 1}, {2});
  // (v^T A) w with A 2x3: the greedy order contracts the vectors first.
  ExpectValues(einsum("i,ij,j->", {v, kA, T({1, 0, 1}, {3})}), {},
               {1 + 3 + 4 + 6});
  ExpectValues(einsum("bii->b", {T({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2})}), {2},
               {5, 13});
}

TEST(Einsum, Errors) {
  ExpectError([] { einsum("ij,jk->ik", {kA}); },
              {"[einsum]", "2 operand terms", "1 operands"});
  ExpectError([] { einsum("i1->i", {kA}); }, {"[einsum]", "unknown character"});
  ExpectError(
      [] {
        einsum("ij,jk->ik", {kA, kA});
      },
      {"[einsum]", "label j", "size 3", "size 2"});
  ExpectError([] { einsum("ij->k", {kA}); },
              {"[einsum]", "output label k", "does not appear"});
  ExpectError([] { einsum("ij->ii", {kA}); },
              {"[einsum]", "output label i", "more than once"});
  ExpectError([] { einsum("ii->i", {kA}); }, {"[einsum]", "repeated"});
  ExpectError([] { einsum("ijk->i", {kA}); }, {"[einsum]", "has 2 dims"});
  ExpectError([] { einsum("i..j", {kA}); }, {"[einsum]", "ellipsis"});
  ExpectError([] { einsum("ij", {}); }, {"[einsum]", "at least one operand"});
}

TEST(Tensordot, IntAndLists) {
  const Tensor b = T({1, 0, 0, 1, 1, 1}, {3, 2});
  ExpectValues(tensordot(kA, b, 1), {2, 2}, {4, 5, 10, 11});
  ExpectValues(tensordot(kA, kA, 2), {}, {91});
  ExpectValues(tensordot(kA, kA, {0}, {0}), {3, 3},
               {17, 22, 27, 22, 29, 36, 27, 36, 45});
  ExpectValues(tensordot(T({1, 2}, {2}), T({3, 4}, {2}), 0), {2, 2},
               {3, 4, 6, 8});
  ExpectError([] { tensordot(kA, kA, 1); },
              {"[tensordot]", "size 3", "size 2"});
  ExpectError([] { tensordot(kA, kA, 3); }, {"[tensordot]", "dims 3"});
  ExpectError(
      [] {
        tensordot(kA, kA, {0, 1}, {0});
      },
      {"[tensordot]", "same length"});
  ExpectError(
      [] {
        tensordot(kA, kA, {0, 0}, {0, 1});
      },
      {"[tensordot]", "contracted twice"});
}

TEST(Kron, MatricesAndMixedRanks) {
  ExpectValues(kron(T({1, 2}, {2}), T({1, 10}, {2})), {4}, {1, 10, 2, 20});
  ExpectValues(kron(T({1, 2, 3, 4}, {2, 2}), T({1, 1}, {1, 2})), {2, 4},
               {1, 1, 2, 2, 3, 3, 4, 4});
  ExpectValues(kron(T({2}, {1}), T({1, 2, 3, 4}, {2, 2})), {2, 2},
               {2, 4, 6, 8});
}

TEST(Cross, ValuesAndErrors) {
  const Tensor x = T({1, 0, 0, 0, 1, 0}, {2, 3});
  const Tensor y = T({0, 1, 0}, {3});
  ExpectValues(cross(x, y), {2, 3}, {0, 0, 1, 0, 0, 0});
  ExpectValues(cross(transpose(x, 0, 1), reshape(y, {3, 1}), 0), {3, 2},
               {0, 0, 0, 0, 1, 0});
  ExpectError([] { cross(kA, kA, 0); }, {"[cross]", "must have size 3, got 2"});
}

TEST(FlipRoll, Values) {
  ExpectValues(flip(kA, {0}), {2, 3}, {4, 5, 6, 1, 2, 3});
  ExpectValues(flip(kA, {-1, 0}), {2, 3}, {6, 5, 4, 3, 2, 1});
  Tensor same = flip(kA, {});
  EXPECT_FALSE(same.impl()->storage == kA.impl()->storage);
  ExpectError([] { flip(kA, {1, -1}); }, {"[flip]"});
  ExpectValues(roll(kA, {1}, {1}), {2, 3}, {3, 1, 2, 6, 4, 5});
  ExpectValues(roll(kA, {-1, 4}, {1, 0}), {2, 3}, {2, 3, 1, 5, 6, 4});
  ExpectValues(roll(kA, {2}), {2, 3}, {5, 6, 1, 2, 3, 4});
  ExpectError([] { roll(kA, {1, 2}, {0}); }, {"[roll]", "2 shifts for 1 dims"});
  ExpectError([] { roll(kA, {1, 2}); }, {"[roll]", "one shift"});
}

TEST(Repeat, TileAndInterleave) {
  ExpectValues(repeat(T({1, 2}, {2}), {2, 2}), {2, 4},
               {1, 2, 1, 2, 1, 2, 1, 2});
  ExpectValues(repeat(kA, {1, 0}), {2, 0}, {});
  ExpectError([] { repeat(kA, {2}); }, {"[repeat]", "at least one per dim"});
  ExpectValues(repeat_interleave(T({1, 2}, {2}), 2), {4}, {1, 1, 2, 2});
  ExpectValues(repeat_interleave(kA, 2, 0), {4, 3},
               {1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6});
  ExpectValues(repeat_interleave(kA, I({0, 2, 1}, {3}), 1, 3), {2, 3},
               {2, 2, 3, 5, 5, 6});
  ExpectValues(repeat_interleave(kA, I({2}, {1}), std::nullopt, 12), {12},
               {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6});
  ExpectError(
      [] {
        repeat_interleave(kA, I({1, 1, 1}, {3}), 1, 4);
      },
      {"[repeat_interleave]", "output_size 4"});
  ExpectError(
      [] {
        repeat_interleave(kA, I({1, 2}, {2}), 1, 3);
      },
      {"[repeat_interleave]", "one entry per element"});
  ExpectError(
      [] {
        repeat_interleave(kA, T({1, 1, 1}, {3}), 1, 3);
      },
      {"[repeat_interleave]", "int32 or int64"});
  ExpectError([] { repeat_interleave(kA, -1, 0); },
              {"[repeat_interleave]", ">= 0"});
}

TEST(Meshgrid, IjAndXy) {
  const Tensor a = T({1, 2}, {2}), b = T({3, 4, 5}, {3});
  std::vector<Tensor> ij = meshgrid({a, b});
  ASSERT_EQ(ij.size(), 2u);
  ExpectValues(ij[0], {2, 3}, {1, 1, 1, 2, 2, 2});
  ExpectValues(ij[1], {2, 3}, {3, 4, 5, 3, 4, 5});
  std::vector<Tensor> xy = meshgrid({a, b}, "xy");
  ExpectValues(xy[0], {3, 2}, {1, 2, 1, 2, 1, 2});
  ExpectValues(xy[1], {3, 2}, {3, 3, 4, 4, 5, 5});
  ExpectError([&] { meshgrid({a, b}, "ji"); }, {"[meshgrid]", "\"ji\""});
  ExpectError([&] { meshgrid({kA}); }, {"[meshgrid]", "0-d or 1-d"});
}

TEST(WhereScalars, WeakScalarsAndDtype) {
  const Tensor c = from_vector({1, 0, 1}, {3}, DType::Bool);
  const Tensor x = T({1, 2, 3}, {3}, DType::Float64);
  Tensor a = where(c, x, 0.5);
  EXPECT_EQ(a.dtype(), DType::Float64);
  ExpectValues(a, {3}, {1, 0.5, 3});
  ExpectValues(where(c, -1.0, x), {3}, {-1, 2, -1});
  Tensor both = where(c, 1.0, 0.0);
  EXPECT_EQ(both.dtype(), DType::Float32);
  ExpectValues(both, {3}, {1, 0, 1});
  EXPECT_EQ(where(c, 2.0, 3.0, DType::Int64).dtype(), DType::Int64);
}

TEST(MaskedSelect, PadsAndTruncates) {
  const Tensor m = from_vector({1, 0, 1, 0, 1, 1}, {2, 3}, DType::Bool);
  ExpectValues(masked_select(kA, m, 4), {4}, {1, 3, 5, 6});
  ExpectValues(masked_select(kA, m, 6, -1.0), {6}, {1, 3, 5, 6, -1, -1});
  ExpectValues(masked_select(kA, m, 2), {2}, {1, 3});
  // The mask broadcasts over rows.
  const Tensor row = from_vector({0, 1, 1}, {3}, DType::Bool);
  ExpectValues(masked_select(kA, row, 4), {4}, {2, 3, 5, 6});
  ExpectError([&] { masked_select(kA, kA, 2); }, {"[masked_select]", "bool"});
  ExpectError([&] { masked_select(kA, m, -1); }, {"[masked_select]", ">= 0"});
}

}  // namespace
}  // namespace fnx
