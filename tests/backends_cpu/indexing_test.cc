// Gather, ScatterAdd, IndexSelect, IndexAdd against naive loops, and their
// out-of-range errors.
#include "tests/backends_cpu/test_util.h"

namespace fnx::cpu_test {
namespace {

TEST(Gather, MatchesTorchSemanticsOnBothDims) {
  const Tensor x = arange_t({3, 4}, kF32);  // x[i][j] = 4i + j
  const Tensor idx = make({2, 0, 1, 1, 0, 2}, {2, 3}, kI64);
  // dim 0: out[i][j] = x[idx[i][j]][j]
  EXPECT_EQ(values(run(Prim::Gather, DimAttrs{0}, {x, idx}, {2, 3}, kF32)),
            (std::vector<double>{8, 1, 6, 4, 1, 10}));
  // dim 1: out[i][j] = x[i][idx[i][j]]
  EXPECT_EQ(values(run(Prim::Gather, DimAttrs{1}, {x, idx}, {2, 3}, kF32)),
            (std::vector<double>{2, 0, 1, 5, 4, 6}));
  // Transposed input and index.
  const Tensor xt = transposed(x);  // (4, 3), xt[i][j] = 4j + i
  const Tensor it =
      transposed(make({0, 1, 2, 2, 0, 1}, {2, 3}, kI64));  // (3, 2)
  // out[i][j] = xt[i][it[i][j]] = 4 * it[i][j] + i
  EXPECT_EQ(values(run(Prim::Gather, DimAttrs{1}, {xt, it}, {3, 2}, kF32)),
            (std::vector<double>{0, 8, 5, 1, 10, 6}));
  EXPECT_EQ(
      run(Prim::Gather, DimAttrs{0}, {x, empty({0, 4}, kI64)}, {0, 4}, kF32)
          .numel(),
      0);
}

TEST(Gather, OutOfRangeIndicesAreErrors) {
  const Tensor x = arange_t({3, 4}, kF32);
  const std::string msg = error_of([&] {
    run(Prim::Gather, DimAttrs{0}, {x, make({0, 3}, {1, 2}, kI64)}, {1, 2},
        kF32);
  });
  EXPECT_EQ(msg, "[gather] index 3 is out of range for dim 0 of size 3");
  const std::string neg = error_of([&] {
    run(Prim::Gather, DimAttrs{1}, {x, make({-1}, {1, 1}, kI64)}, {1, 1}, kF32);
  });
  EXPECT_EQ(neg, "[gather] index -1 is out of range for dim 1 of size 4");
  // Also from inside a parallel loop.
  std::vector<double> big(100000, 0);
  big[77777] = 5;
  const std::string par = error_of([&] {
    run(Prim::Gather, DimAttrs{0},
        {arange_t({5, 100000}), make(big, {1, 100000}, kI64)}, {1, 100000},
        kF32);
  });
  EXPECT_EQ(par, "[gather] index 5 is out of range for dim 0 of size 5");
}

TEST(ScatterAdd, AccumulatesDuplicates) {
  const Tensor x = make(std::vector<double>(6, 1), {2, 3}, kF64);
  const Tensor idx = make({0, 1, 0, 0, 0, 1}, {2, 3}, kI64);
  const Tensor src = arange_t({2, 3}, kF64, 1);  // [[1,2,3],[4,5,6]]
  // dim 0: out[idx[i][j]][j] += src[i][j]
  EXPECT_EQ(
      values(run(Prim::ScatterAdd, DimAttrs{0}, {x, idx, src}, {2, 3}, kF64)),
      (std::vector<double>{6, 6, 4, 1, 3, 7}));
  // dim 1 with a smaller index than src: out[i][idx[i][j]] += src[i][j]
  const Tensor idx2 = make({2, 2, 0, 1}, {2, 2}, kI64);
  EXPECT_EQ(
      values(run(Prim::ScatterAdd, DimAttrs{1}, {x, idx2, src}, {2, 3}, kF64)),
      (std::vector<double>{1, 1, 4, 5, 6, 1}));
  // x is not modified.
  EXPECT_EQ(values(x), std::vector<double>(6, 1));
  const std::string msg = error_of([&] {
    run(Prim::ScatterAdd, DimAttrs{1}, {x, make({3}, {1, 1}, kI64), src},
        {2, 3}, kF64);
  });
  EXPECT_EQ(msg, "[scatter_add] index 3 is out of range for dim 1 of size 3");
}

TEST(IndexSelect, SelectsRowsAndColumns) {
  const Tensor x = arange_t({3, 4}, kI32);
  const Tensor idx = make({2, 0, 2}, {3}, kI64);
  EXPECT_EQ(values(run(Prim::IndexSelect, DimAttrs{0}, {x, idx}, {3, 4}, kI32)),
            (std::vector<double>{8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11}));
  EXPECT_EQ(values(run(Prim::IndexSelect, DimAttrs{1}, {x, idx}, {3, 3}, kI32)),
            (std::vector<double>{2, 0, 2, 6, 4, 6, 10, 8, 10}));
  // Strided index and transposed input.
  const Tensor sidx = view(make({1, 9, 3, 9}, {4}, kI64), {2}, {2});  // [1, 3]
  EXPECT_EQ(values(run(Prim::IndexSelect, DimAttrs{0}, {transposed(x), sidx},
                       {2, 3}, kI32)),
            (std::vector<double>{1, 5, 9, 3, 7, 11}));
  EXPECT_EQ(
      run(Prim::IndexSelect, DimAttrs{0}, {x, empty({0}, kI64)}, {0, 4}, kI32)
          .numel(),
      0);
  EXPECT_EQ(error_of([&] {
              run(Prim::IndexSelect, DimAttrs{1}, {x, make({4}, {1}, kI64)},
                  {3, 1}, kI32);
            }),
            "[index_select] index 4 is out of range for dim 1 of size 4");
}

TEST(IndexAdd, AddsRowsWithDuplicates) {
  const Tensor x = make(std::vector<double>(6, 0), {3, 2}, kF32);
  const Tensor idx = make({2, 0, 2}, {3}, kI64);
  const Tensor src = arange_t({3, 2}, kF32, 1);  // [[1,2],[3,4],[5,6]]
  EXPECT_EQ(
      values(run(Prim::IndexAdd, DimAttrs{0}, {x, idx, src}, {3, 2}, kF32)),
      (std::vector<double>{3, 4, 0, 0, 6, 8}));
  const Tensor idx1 = make({1, 1}, {2}, kI64);
  const Tensor src1 = arange_t({3, 2}, kF32, 1);
  EXPECT_EQ(
      values(run(Prim::IndexAdd, DimAttrs{1}, {x, idx1, src1}, {3, 2}, kF32)),
      (std::vector<double>{0, 3, 0, 7, 0, 11}));
  EXPECT_EQ(error_of([&] {
              run(Prim::IndexAdd, DimAttrs{0},
                  {x, make({-2}, {1}, kI64), arange_t({1, 2})}, {3, 2}, kF32);
            }),
            "[index_add] index -2 is out of range for dim 0 of size 3");
}

}  // namespace
}  // namespace fnx::cpu_test
