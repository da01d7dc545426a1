// The CUDA matmul's mapping onto one cuBLAS call (backends/cuda/gemm_plan.h)
// checked on the host: each plan runs through a model of cuBLAS's column-
// major strided-batched GEMM over the operands' memory as the CUDA kernel
// would pass it, and must equal the CPU backend's matmul. Needs no GPU and
// no CUDA: runs in every build.
#include "backends/cuda/gemm_plan.h"

#include <algorithm>
#include <vector>

#include "core/ops/ops.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

using cuda::GemmPlan;
using cuda::OperandLayout;

Strides broadcast_strides(const Tensor& t, const Shape& shape) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  Strides out(rank, 0);
  for (int64_t i = 0; i < t.dim() && i < rank; ++i) {
    const int64_t d = rank - 1 - i, td = t.dim() - 1 - i;
    if (t.shape()[td] == shape[d]) out[d] = t.strides()[td];
  }
  return out;
}

struct Prepared {
  Tensor view;
  OperandLayout layout;
  bool copied = false;
};

// What matmul.cc's prepare() does: the broadcast view, or a copy of it.
Prepared prepare(const Tensor& x, const Shape& batch) {
  Shape shape = batch;
  shape.push_back(x.shape()[x.dim() - 2]);
  shape.push_back(x.shape()[x.dim() - 1]);
  Prepared p;
  p.view = make_view(x, shape, broadcast_strides(x, shape), x.offset());
  p.layout = cuda::operand_layout(p.view.shape(), p.view.strides());
  if (!p.layout.ok) {
    p.view = clone(p.view);
    p.layout = cuda::operand_layout(p.view.shape(), p.view.strides());
    p.copied = true;
  }
  return p;
}

const double* base(const Tensor& t) {
  return static_cast<const double*>(t.impl()->storage->data()) + t.offset();
}

// cuBLAS's C = op(A) op(B), column-major, batches strided. Leading
// dimensions below cuBLAS's minimum (the stored matrix's row count) are
// CUBLAS_STATUS_INVALID_VALUE on the device.
std::vector<double> cublas_model(const GemmPlan& p, const double* a,
                                 const double* b) {
  EXPECT_GE(p.lda, std::max<int64_t>(1, p.trans_a ? p.k : p.m)) << "lda";
  EXPECT_GE(p.ldb, std::max<int64_t>(1, p.trans_b ? p.n : p.k)) << "ldb";
  EXPECT_GE(p.ldc, std::max<int64_t>(1, p.m)) << "ldc";
  std::vector<double> c(
      static_cast<std::size_t>(p.batch * p.stride_c + p.m * p.n));
  for (int64_t bi = 0; bi < p.batch; ++bi) {
    const double* ab = a + bi * p.stride_a;
    const double* bb = b + bi * p.stride_b;
    for (int64_t i = 0; i < p.m; ++i) {
      for (int64_t j = 0; j < p.n; ++j) {
        double acc = 0;
        for (int64_t l = 0; l < p.k; ++l) {
          const double x = p.trans_a ? ab[l + i * p.lda] : ab[i + l * p.lda];
          const double y = p.trans_b ? bb[j + l * p.ldb] : bb[l + j * p.ldb];
          acc += x * y;
        }
        c[bi * p.stride_c + i + j * p.ldc] = acc;
      }
    }
  }
  return c;
}

struct Outcome {
  bool folded, copied_a, copied_b;
};

// The Matmul primitive's operands (the op API makes 1-d operands 2-d).
Outcome check(const Tensor& a1, const Tensor& b1) {
  const Tensor a0 = a1.dim() == 1 ? unsqueeze(a1, 0) : a1;
  const Tensor b0 = b1.dim() == 1 ? unsqueeze(b1, 1) : b1;
  SCOPED_TRACE(shape_str(a0.shape()) + " strides " +
               shape_str(Shape(a0.strides())) + " x " + shape_str(b0.shape()) +
               " strides " + shape_str(Shape(b0.strides())));
  const Tensor want = matmul(a0, b0);
  const int64_t rank = want.dim();
  const int64_t m = want.shape()[rank - 2], n = want.shape()[rank - 1];
  const int64_t k = a0.shape()[a0.dim() - 1];
  const Shape batch(want.shape().begin(), want.shape().end() - 2);
  const Prepared a = prepare(a0, batch), b = prepare(b0, batch);
  const GemmPlan p = cuda::plan_gemm(a.layout, b.layout, m, n, k, numel(batch));
  // cuBLAS's A is our b, its B our a; C is the contiguous result.
  const std::vector<double> c = cublas_model(p, base(b.view), base(a.view));
  const std::vector<double> got(c.begin(), c.begin() + want.numel());
  const std::vector<double> expected = want.to_vector();
  EXPECT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size() && i < expected.size(); ++i) {
    EXPECT_NEAR(got[i], expected[i], 1e-9) << "at " << i;
  }
  return {p.folded, a.copied, b.copied};
}

Tensor r(const Shape& s, Generator& gen) {
  return randn(s, DType::Float64, &gen);
}

TEST(CudaGemmPlan, LayoutsMatchTheCpuMatmul) {
  Generator gen(0);
  // Plain, and each operand transposed in memory: read in place.
  EXPECT_FALSE(check(r({5, 3}, gen), r({3, 4}, gen)).copied_a);
  Outcome o = check(r({3, 5}, gen).t(), r({4, 3}, gen).t());
  EXPECT_FALSE(o.copied_a || o.copied_b);
  // Batched, strided batched with a shared b: folded into one GEMM.
  EXPECT_TRUE(check(r({8, 16, 32}, gen), r({32, 4}, gen)).folded);
  // Both batched: one strided-batched call.
  o = check(r({6, 9, 7}, gen), r({6, 7, 5}, gen));
  EXPECT_FALSE(o.folded || o.copied_a || o.copied_b);
  // Transposed matrices inside a batch.
  check(r({6, 9, 7}, gen).transpose(1, 2), r({6, 9, 5}, gen));
  // Batch dims broadcast on both sides: copies where no single stride.
  check(r({5, 1, 4, 3}, gen), r({7, 3, 2}, gen));
  // Batch stride that is not m * k (a permuted batch): still in place.
  o = check(r({4, 6, 8}, gen).permute({1, 0, 2}), r({6, 8, 3}, gen));
  EXPECT_FALSE(o.copied_a);
  // Vectors and thin matrices (m, n or k of 1), 1-d operands.
  check(r({1, 7}, gen), r({7, 1}, gen));
  check(r({7, 1}, gen), r({1, 6}, gen));
  check(r({7}, gen), r({7, 3}, gen));
  check(r({2, 4, 7}, gen), r({7}, gen));
  // Expanded (zero-stride) matrices are copied.
  check(r({1, 6}, gen).expand({5, 6}), r({6, 2}, gen));
  // Step-sliced rows and columns.
  check(r({10, 9}, gen).slice(0, 0, 10, 2).slice(1, 0, 9, 3), r({3, 4}, gen));
  // A batch of one and several batch dims.
  check(r({1, 3, 4}, gen), r({1, 4, 2}, gen));
  check(r({2, 3, 4, 5}, gen), r({2, 3, 5, 6}, gen));
}

}  // namespace
}  // namespace fnx
