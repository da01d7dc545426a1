// The specialised fused kernels' sources (backends/cuda/fused_source.h)
// compile with NVRTC to PTX, for programs covering every unary and binary
// functor on every dtype they take, comparisons, where, casts between all
// dtypes and iteration spaces of 0 to 8 dims. NVRTC needs no GPU, so this
// runs wherever the CUDA toolkit is (skipped, with the reason, elsewhere).
#include "backends/cuda/fused_nvrtc.h"

#include <string>
#include <vector>

#include "backends/cuda/fused_args.h"
#include "backends/cuda/fused_ops.h"
#include "backends/cuda/fused_source.h"
#include "core/error.h"
#include "gtest/gtest.h"

namespace fnx::cuda {
namespace {

using Kind = FusedInstr::Kind;

#define FNX_SKIP_WITHOUT_NVRTC()                     \
  do {                                               \
    std::string why;                                 \
    if (!nvrtc_available(&why)) GTEST_SKIP() << why; \
  } while (0)

constexpr DType kAll[] = {DType::Bool, DType::Int32, DType::Int64,
                          DType::Float32, DType::Float64};

// A program builder: returns register numbers.
struct Builder {
  FusedProgram p;
  int32_t add(Kind kind, Prim prim, DType dtype, int32_t a = -1, int32_t b = -1,
              int32_t c = -1) {
    p.instrs.push_back(FusedInstr{kind, prim, dtype, a, b, c});
    return static_cast<int32_t>(p.instrs.size()) - 1;
  }
  int32_t input(int32_t index, DType dtype) {
    return add(Kind::kInput, Prim::Add, dtype, index);
  }
};

void expect_compiles(const FusedProgram& p, int ndim) {
  const std::string source = fused_kernel_source(p, ndim);
  const std::string ptx = compile_to_ptx(source, 9, 0);
  EXPECT_NE(ptx.find(".entry fnx_fused"), std::string::npos) << source;
}

TEST(FusedNvrtc, EveryUnaryFunctorOnFloats) {
  FNX_SKIP_WITHOUT_NVRTC();
  for (DType d : {DType::Float32, DType::Float64}) {
    Builder b;
    int32_t x = b.input(0, d);
#define FNX_UNARY(name) \
  if (Prim::name != Prim::LogicalNot) x = b.add(Kind::kUnary, Prim::name, d, x);
    FNX_CUDA_FUSED_UNARY_OPS(FNX_UNARY)
#undef FNX_UNARY
    b.p.outputs = {x, b.add(Kind::kUnary, Prim::LogicalNot, DType::Bool, x)};
    expect_compiles(b.p, 1);
  }
}

TEST(FusedNvrtc, BinaryComparesWhereAndCastsOnEveryDtype) {
  FNX_SKIP_WITHOUT_NVRTC();
  for (DType d : kAll) {
    Builder b;
    const int32_t x = b.input(0, d);
    const int32_t y = b.input(1, d);  // broadcast along dim 0 (strides)
    const bool is_float = d == DType::Float32 || d == DType::Float64;
    for (Prim p : {Prim::Add, Prim::Sub, Prim::Mul, Prim::Div, Prim::Maximum,
                   Prim::Minimum, Prim::Fmod, Prim::Remainder, Prim::Pow}) {
      b.p.outputs.push_back(b.add(Kind::kBinary, p, d, x, y));
    }
    if (is_float) {
      for (Prim p : {Prim::Atan2, Prim::Hypot, Prim::Polygamma}) {
        b.p.outputs.push_back(b.add(Kind::kBinary, p, d, x, y));
      }
    }
    int32_t cond = -1;
    for (Prim p : {Prim::Eq, Prim::Ne, Prim::Lt, Prim::Le, Prim::Gt, Prim::Ge,
                   Prim::LogicalAnd, Prim::LogicalOr}) {
      cond = b.add(Kind::kBinary, p, DType::Bool, x, y);
    }
    b.p.outputs.push_back(b.add(Kind::kWhere, Prim::Where, d, cond, x, y));
    for (DType to : kAll) {
      b.p.outputs.push_back(b.add(Kind::kCast, Prim::Cast, to, x));
    }
    b.p.outputs.push_back(b.add(Kind::kUnary, Prim::Neg, d, x));
    b.p.outputs.push_back(b.add(Kind::kUnary, Prim::Abs, d, x));
    expect_compiles(b.p, 2);
  }
}

TEST(FusedNvrtc, GeluOverEveryDimCount) {
  FNX_SKIP_WITHOUT_NVRTC();
  Builder b;
  const DType f = DType::Float32;
  const int32_t x = b.input(0, f);
  const int32_t half = b.input(1, f);
  const int32_t rsqrt2 = b.input(2, f);
  const int32_t one = b.input(3, f);
  const int32_t e = b.add(Kind::kUnary, Prim::Erf, f,
                          b.add(Kind::kBinary, Prim::Mul, f, x, rsqrt2));
  const int32_t y = b.add(Kind::kBinary, Prim::Mul, f,
                          b.add(Kind::kBinary, Prim::Mul, f, x, half),
                          b.add(Kind::kBinary, Prim::Add, f, e, one));
  b.p.outputs = {y, e};
  for (int ndim : {0, 1, 3, kFusedMaxDims}) expect_compiles(b.p, ndim);
}

TEST(FusedNvrtc, SourceIsTheSignature) {
  Builder a;
  a.p.outputs = {a.add(Kind::kUnary, Prim::Exp, DType::Float32,
                       a.input(0, DType::Float32))};
  Builder b = a;
  b.p.instrs[1].prim = Prim::Log;
  EXPECT_EQ(fused_kernel_source(a.p, 1), fused_kernel_source(a.p, 1));
  EXPECT_NE(fused_kernel_source(a.p, 1), fused_kernel_source(b.p, 1));
  EXPECT_NE(fused_kernel_source(a.p, 1), fused_kernel_source(a.p, 2));
}

TEST(FusedNvrtc, Errors) {
  Builder b;
  b.p.outputs = {b.add(Kind::kUnary, Prim::Matmul, DType::Float32,
                       b.input(0, DType::Float32))};
  try {
    fused_kernel_source(b.p, 1);
    FAIL() << "a matmul instruction was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[fused_elementwise] instruction 1 "
                                         "applies matmul"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(fused_kernel_source(b.p, kFusedMaxDims + 1), Error);
  std::string why;
  if (nvrtc_available(&why)) {
    try {
      compile_to_ptx("this is not C++", 9, 0);
      FAIL() << "NVRTC accepted nonsense";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("NVRTC could not compile"),
                std::string::npos)
          << e.what();
    }
  } else {
    EXPECT_THROW(compile_to_ptx("", 9, 0), Error) << why;
  }
}

}  // namespace
}  // namespace fnx::cuda
