// Matmul against a naive float64 triple loop, over every operand layout
// the kernel distinguishes (row-major, transposed, needs-a-copy, broadcast
// batches, folded batches, many small batches) and zero sizes.
#include <algorithm>
#include <tuple>

#include "tests/backends_cpu/test_util.h"

namespace fnx::cpu_test {
namespace {

// Naive broadcasting matmul of two tensors of rank >= 2.
std::vector<double> naive_matmul(const Tensor& a, const Tensor& b,
                                 const Shape& out) {
  const auto av = values(a);
  const auto bv = values(b);
  const int64_t r = static_cast<int64_t>(out.size());
  const int64_t m = out[r - 2], n = out[r - 1], k = a.shape()[a.dim() - 1];
  const Shape batch(out.begin(), out.end() - 2);
  const int64_t nb = numel(batch);
  // Row-major batch offset of operand t for the out batch index i.
  auto batch_index = [&](const Tensor& t, int64_t i) {
    const int64_t tb = t.dim() - 2;
    int64_t idx = 0, mul = 1;
    for (int64_t d = static_cast<int64_t>(batch.size()) - 1, td = tb - 1;
         d >= 0; --d, --td) {
      const int64_t coord = i % batch[d];
      i /= batch[d];
      if (td < 0) continue;
      idx += (t.shape()[td] == 1 ? 0 : coord) * mul;
      mul *= t.shape()[td];
    }
    return idx;
  };
  std::vector<double> c(nb * m * n, 0);
  for (int64_t bi = 0; bi < nb; ++bi) {
    const int64_t ia = batch_index(a, bi) * m * k;
    const int64_t ib = batch_index(b, bi) * k * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p)
          s += av[ia + i * k + p] * bv[ib + p * n + j];
        c[(bi * m + i) * n + j] = s;
      }
    }
  }
  return c;
}

void check(const Tensor& a, const Tensor& b, const Shape& out, DType dtype,
           double tol, const std::string& what) {
  const Tensor c = run(Prim::Matmul, NoAttrs{}, {a, b}, out, dtype);
  ASSERT_EQ(c.shape(), out) << what;
  expect_near_all(values(c), naive_matmul(a, b, out), tol, what);
}

TEST(Matmul, RowMajorAndTransposedOperands) {
  for (auto [m, k, n] : {std::tuple{5, 7, 3},
                         {1, 4, 6},
                         {6, 1, 2},
                         {3, 5, 1},
                         {1, 1, 1},
                         {33, 17, 65}}) {
    const Tensor a = random_t({m, k}, kF64, 1);
    const Tensor b = random_t({k, n}, kF64, 2);
    const Tensor at = make_transposed(values(a), {m, k}, kF64);
    const Tensor bt = make_transposed(values(b), {k, n}, kF64);
    const std::string what =
        std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n);
    check(a, b, {m, n}, kF64, 1e-12, what + " NN");
    check(at, b, {m, n}, kF64, 1e-12, what + " TN");
    check(a, bt, {m, n}, kF64, 1e-12, what + " NT");
    check(at, bt, {m, n}, kF64, 1e-12, what + " TT");
  }
}

TEST(Matmul, LayoutsBlasCannotTakeAreCopied) {
  // Every other column: strides (2k, 2) are neither row- nor column-major.
  const Tensor store = random_t({4, 10}, kF64, 3);
  const Tensor a = view(store, {4, 5}, {10, 2});
  const Tensor b = random_t({5, 3}, kF64, 4);
  check(a, b, {4, 3}, kF64, 1e-12, "step-2 a");
  // An expanded matrix (stride 0 inside the matrix).
  const Tensor e = view(random_t({1, 3}, kF64, 5), {5, 3}, {0, 1});
  check(b, transposed(e), {5, 5}, kF64, 1e-12, "expanded b");
}

TEST(Matmul, BroadcastBatches) {
  const Tensor a = random_t({2, 1, 3, 4}, kF64, 6);
  const Tensor b = random_t({3, 4, 5}, kF64, 7);
  check(a, b, {2, 3, 3, 5}, kF64, 1e-12, "broadcast");
  // (B, M, K) @ (K, N): folded into one GEMM.
  const Tensor x = random_t({4, 3, 6}, kF64, 8);
  const Tensor w = random_t({6, 2}, kF64, 9);
  check(x, w, {4, 3, 2}, kF64, 1e-12, "folded");
  check(x, make_transposed(values(w), {6, 2}, kF64), {4, 3, 2}, kF64, 1e-12,
        "folded, transposed b");
  // A batch-transposed a cannot fold.
  const Tensor xp = view(x, {3, 4, 6}, {6, 18, 1});  // batch dims swapped
  check(xp, w, {3, 4, 2}, kF64, 1e-12, "non-foldable batch");
  // Expanded batch of a (stride 0).
  const Tensor ae = view(random_t({3, 4}, kF64, 10), {5, 3, 4}, {0, 4, 1});
  check(ae, random_t({5, 4, 2}, kF64, 11), {5, 3, 2}, kF64, 1e-12,
        "expanded batch");
}

TEST(Matmul, ManySmallBatchesInParallel) {
  const Tensor a = random_t({300, 4, 5}, kF32, 12);
  const Tensor b =
      make_transposed(values(random_t({300, 5, 3}, kF32, 13)), {300, 5, 3});
  check(a, b, {300, 4, 3}, kF32, 1e-5, "small batches");
}

TEST(Matmul, ZeroSizesAndIntegers) {
  const Tensor z =
      run(Prim::Matmul, NoAttrs{},
          {random_t({3, 0}, kF32, 1), random_t({0, 2}, kF32, 2)}, {3, 2}, kF32);
  EXPECT_EQ(values(z), std::vector<double>(6, 0));
  EXPECT_EQ(
      run(Prim::Matmul, NoAttrs{}, {empty({0, 3}), empty({3, 2})}, {0, 2}, kF32)
          .numel(),
      0);
  EXPECT_EQ(run(Prim::Matmul, NoAttrs{}, {empty({2, 0, 3}), empty({3, 2})},
                {2, 0, 2}, kF32)
                .numel(),
            0);
  const Tensor ai = arange_t({2, 3}, kI64);
  const Tensor bi = transposed(arange_t({2, 3}, kI64, 1));
  check(ai, bi, {2, 2}, kI64, 0, "int64");
  check(arange_t({2, 2, 3}, kI32), arange_t({3, 4}, kI32), {2, 2, 4}, kI32, 0,
        "int32");
  // Float32 at a size where OpenBLAS uses its threads.
  check(random_t({130, 70}, kF32, 14), random_t({70, 90}, kF32, 15), {130, 90},
        kF32, 1e-5, "float32");
}

// Tall products with few columns go to BLAS in blocks of rows (and in parts
// over the pool): each row of the result must be what a product of just a
// few rows gives, bit for bit, as vmap's chunk_size relies on (a chunk's
// GEMM has fewer rows than the whole batch's). 4096 x 256 x 8 in one call
// (OpenBLAS's packed kernel) differed from its 64-row products (its
// small-matrix kernel) before such products went in blocks.
TEST(Matmul, RowsDoNotDependOnHowManyAreMultiplied) {
  for (auto [m, k, n, dtype] : {std::tuple{2112, 33, 31, kF32},
                                {4096, 256, 8, kF32},
                                {1500, 40, 30, kF64}}) {
    const std::string what =
        std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n);
    const Tensor a = random_t({m, k}, dtype, 16);
    const Tensor at = make_transposed(values(a), {m, k}, dtype);
    const Tensor b = random_t({k, n}, dtype, 17);
    for (const Tensor& lhs : {a, at}) {
      const Tensor c = run(Prim::Matmul, NoAttrs{}, {lhs, b}, {m, n}, dtype);
      const std::vector<double> all = values(c);
      constexpr int64_t kRows = 64;
      for (int64_t r0 = 0; r0 < m; r0 += kRows) {
        const int64_t rows = std::min<int64_t>(kRows, m - r0);
        const Tensor part =
            view(lhs, {rows, k}, lhs.strides(), r0 * lhs.strides()[0]);
        const std::vector<double> got =
            values(run(Prim::Matmul, NoAttrs{}, {part, b}, {rows, n}, dtype));
        const std::vector<double> want(all.begin() + r0 * n,
                                       all.begin() + (r0 + rows) * n);
        ASSERT_EQ(got, want) << what << " rows " << r0;
      }
      if (dtype == kF64) {
        expect_near_all(all, naive_matmul(a, b, {m, n}), 1e-12, what);
      }
    }
  }
}

}  // namespace
}  // namespace fnx::cpu_test
