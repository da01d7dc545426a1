// The vmap API: the seed talk's examples, in_dims / out_dims in every
// spelling, trees in and out, static arguments, axis_size and nesting.
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "core/tree.h"
#include "gtest/gtest.h"
#include "tests/vmap/test_util.h"
#include "transforms/vmap/vmap.h"

namespace user {

struct Layer {
  fnx::Tensor w, b;
  std::string name;
};
FNX_TREE_STRUCT(Layer, w, b, name);

}  // namespace user

namespace fnx {
namespace {

using testing::same_values;
using testing::throws_error;

Tensor rand64(const Shape& shape) { return randn(shape, DType::Float64); }

// A loop over examples: stacks f(slices...) along dim 0.
template <typename F>
Tensor loop2(F f, const Tensor& x, const Tensor& y) {
  std::vector<Tensor> out;
  for (int64_t b = 0; b < x.size(0); ++b) out.push_back(f(x[b], y[b]));
  return stack(out);
}

TEST(VmapSeed, BatchedDotEqualsTheLoop) {
  const Tensor x = rand64({10, 100}), y = rand64({10, 100});
  const Tensor d = vmap(dot)(x, y);
  EXPECT_EQ(d.shape(), Shape({10}));
  EXPECT_TRUE(same_values(d, loop2(dot, x, y)));
}

TEST(VmapSeed, TwoDimensionalDotWithoutVmapErrors) {
  const Tensor x = rand64({10, 100}), y = rand64({10, 100});
  EXPECT_TRUE(throws_error([&] { dot(x, y); }, {"[dot]", "1-D", "vmap"}));
}

TEST(VmapSeed, BatchedMatmulIsOneKernel) {
  const Tensor a = rand64({64, 8, 8}), b = rand64({64, 8, 8});
  const int64_t before = kernel_calls();
  const Tensor c = vmap(mm)(a, b);
  const int64_t used = kernel_calls() - before;
  EXPECT_LE(used, 2) << "vmap(mm) should be one batched GEMM, not a loop";
  EXPECT_TRUE(same_values(c, loop2(mm, a, b), 1e-10));
}

// The kernels vmap(dot) runs do not depend on the batch size: dot's two
// unsqueeze views, one batched GEMM and two squeeze views.
TEST(VmapSeed, BatchedDotRunsTheSameKernelsAtAnyBatchSize) {
  int64_t used[2];
  const int64_t sizes[2] = {10, 4096};
  for (int i = 0; i < 2; ++i) {
    const Tensor x = rand64({sizes[i], 100}), y = rand64({sizes[i], 100});
    const int64_t before = kernel_calls();
    const Tensor d = vmap(dot)(x, y);
    used[i] = kernel_calls() - before;
    EXPECT_EQ(d.shape(), Shape({sizes[i]}));
  }
  EXPECT_EQ(used[0], used[1]);
  EXPECT_LE(used[1], 5);
}

// Per-example filters: one grouped convolution whatever the batch size.
TEST(VmapSeed, PerExampleConvWeightsAreOneGroupedConv) {
  int64_t used[2];
  const int64_t sizes[2] = {2, 16};
  for (int i = 0; i < 2; ++i) {
    const Tensor x = rand64({sizes[i], 3, 4, 9, 9});
    const Tensor w = rand64({sizes[i], 5, 4, 3, 3});
    auto f = [](const Tensor& img, const Tensor& k) {
      return conv2d(img, k, Tensor(), {.padding = {1}});
    };
    const int64_t before = kernel_calls();
    const Tensor y = vmap(f)(x, w);
    used[i] = kernel_calls() - before;
    for (int64_t b : {int64_t{0}, sizes[i] - 1}) {
      EXPECT_TRUE(same_values(y[b], f(x[b], w[b]), 1e-10));
    }
  }
  EXPECT_EQ(used[0], used[1]);
}

TEST(VmapSeed, PerExampleLossWithSharedWeights) {
  auto loss = [](const Tensor& w, const Tensor& ex, const Tensor& t) {
    const Tensor y = relu(dot(ex, w));
    return mean(square(y - t));
  };
  const Tensor w = rand64({5}), xs = rand64({7, 5}), ts = rand64({7});
  const Tensor got = vmap(loss, {none, 0, 0})(w, xs, ts);
  std::vector<Tensor> want;
  for (int64_t b = 0; b < 7; ++b) want.push_back(loss(w, xs[b], ts[b]));
  EXPECT_TRUE(same_values(got, stack(want)));
}

TEST(VmapInDims, NegativeAndPerArgument) {
  const Tensor x = rand64({3, 4}), y = rand64({4, 3});
  // x mapped over dim 1 (-1), y over dim 0.
  const Tensor got = vmap(
      [](const Tensor& a, const Tensor& b) { return a * b; }, {-1, 0})(x, y);
  EXPECT_TRUE(same_values(got, x.t() * y));
}

TEST(VmapInDims, NoneArgumentIsSharedByEveryExample) {
  const Tensor x = rand64({6, 3}), bias = rand64({3});
  const Tensor got =
      vmap([](const Tensor& a, const Tensor& b) { return a + b; }, {0, none})(
          x, bias);
  EXPECT_TRUE(same_values(got, x + bias));
}

TEST(VmapInDims, SingleIntAppliesToEveryArgument) {
  const Tensor x = rand64({2, 5}), y = rand64({2, 5});
  const Tensor got =
      vmap([](const Tensor& a, const Tensor& b) { return a - b; }, 1)(x, y);
  EXPECT_TRUE(same_values(got, (x - y).t()));
}

TEST(VmapInDims, StaticArgumentsPassThrough) {
  const Tensor x = rand64({4, 3});
  auto scale = [](const Tensor& a, double s, const std::string& tag) {
    EXPECT_EQ(tag, "scale");
    return a * s;
  };
  EXPECT_TRUE(same_values(vmap(scale)(x, 2.5, std::string("scale")), x * 2.5));
  EXPECT_TRUE(same_values(
      vmap(scale, {0, none, none})(x, 2.5, std::string("scale")), x * 2.5));
}

TEST(VmapInDims, TreeOfDimsMatchesAVectorArgument) {
  const Tensor a = rand64({4, 3}), b = rand64({3, 4}), c = rand64({3});
  auto total = [](const std::vector<Tensor>& xs) {
    return xs[0] + xs[1] + xs[2];
  };
  const std::vector<Tensor> args = {a, b, c};
  const Tensor got = vmap(total, {{0, 1, none}})(args);
  EXPECT_TRUE(same_values(got, a + b.t() + c));
}

TEST(VmapInDims, TupleParamDictAndStructArguments) {
  const Tensor w = rand64({5, 3, 2}), bias = rand64({5, 2});
  const Tensor x = rand64({3});
  ParamDict params{{"w", w}, {"b", bias}};
  auto f = [](const ParamDict& p, const Tensor& in) {
    return matmul(in, p.at("w")) + p.at("b");
  };
  Tensor want = vmap(f, {{0, 0}, none})(params, x);
  EXPECT_TRUE(same_values(vmap(f, {0, none})(params, x), want));
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < 5; ++i) rows.push_back(matmul(x, w[i]) + bias[i]);
  EXPECT_TRUE(same_values(want, stack(rows), 1e-12));

  user::Layer layer{w, bias, "dense"};
  auto g = [](const user::Layer& l, const std::tuple<Tensor, int>& in) {
    EXPECT_EQ(l.name, "dense");
    return matmul(std::get<0>(in), l.w) +
           l.b * static_cast<double>(std::get<1>(in));
  };
  const Tensor got =
      vmap(g, {{0, 0, none}, {none, none}})(layer, std::make_tuple(x, 1));
  EXPECT_TRUE(same_values(got, want));
}

TEST(VmapInDims, OptionalArgument) {
  const Tensor x = rand64({4, 2});
  auto f = [](const Tensor& a, const std::optional<Tensor>& s) {
    return s ? a * *s : a;
  };
  const std::optional<Tensor> scale = rand64({4});
  const Tensor got = vmap(f)(x, scale);
  EXPECT_TRUE(same_values(got, x * scale->unsqueeze(1)));
  EXPECT_TRUE(same_values(vmap(f)(x, std::optional<Tensor>()), x));
}

TEST(VmapOutDims, PerOutputDimsAndTrees) {
  const Tensor x = rand64({4, 3});
  auto f = [](const Tensor& a) { return std::make_tuple(a * 2.0, a.sum()); };
  auto [y, s] = vmap(f, 0, {1, 0})(x);
  EXPECT_TRUE(same_values(y, (x * 2.0).t()));
  EXPECT_TRUE(same_values(s, x.sum({1})));
  const Tensor last =
      vmap([](const Tensor& a) { return outer(a, a); }, 0, -1)(x);
  EXPECT_EQ(last.shape(), Shape({3, 3, 4}));
}

TEST(VmapOutDims, UnbatchedOutputs) {
  const Tensor x = rand64({4, 3});
  const Tensor c = rand64({2});
  auto f = [&](const Tensor& a) { return std::make_pair(a.sum(), c * 3.0); };
  // out_dims none: returned as is; an int: expanded to the batch.
  auto [s, k] = vmap(f, 0, {0, none})(x);
  EXPECT_TRUE(same_values(k, c * 3.0));
  auto [s2, k2] = vmap(f)(x);
  EXPECT_EQ(k2.shape(), Shape({4, 2}));
  EXPECT_TRUE(same_values(k2[3], c * 3.0));
  EXPECT_TRUE(same_values(s, s2));
}

// torch.func's test_out_dims_edge_case: out_dims {1} for a function
// returning one Tensor is 1.
TEST(VmapOutDims, OneEntryListForASingleTensorOutput) {
  const Tensor x = rand64({2, 3});
  auto f = [](const Tensor& a) { return a * 2.0; };
  const Tensor y = vmap(f, 0, {1})(x);
  EXPECT_EQ(y.shape(), Shape({3, 2}));
  EXPECT_TRUE(same_values(y, (x * 2.0).t()));
  // Two entries for one Tensor are still an error.
  EXPECT_THROW(vmap(f, 0, {1, 0})(x), Error);
}

TEST(VmapOutDims, VectorAndParamDictOutputs) {
  const Tensor x = rand64({4, 3});
  auto f = [](const Tensor& a) {
    ParamDict d;
    d.insert_or_assign("sq", a * a);
    d.insert_or_assign("neg", -a);
    return std::vector<ParamDict>{d};
  };
  const std::vector<ParamDict> out = vmap(f)(x);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].keys(), (std::vector<std::string>{"sq", "neg"}));
  EXPECT_TRUE(same_values(out[0].at("neg"), -x));
}

TEST(VmapAxisSize, MapsAFunctionOfNoBatchedInput) {
  const Tensor c = rand64({3});
  const Tensor got = vmap([](const Tensor& a) { return a * 2.0; }, none, 0,
                          {.axis_size = 5})(c);
  EXPECT_EQ(got.shape(), Shape({5, 3}));
  EXPECT_TRUE(same_values(got[4], c * 2.0));
  const Tensor z = vmap([]() { return zeros({2}); }, {}, 0, {.axis_size = 3})();
  EXPECT_EQ(z.shape(), Shape({3, 2}));
}

TEST(VmapNested, TwoLevelsEqualTheDoubleLoop) {
  const Tensor x = rand64({3, 4, 5}), y = rand64({4, 5});
  // Outer over x's dim 0 (y shared), inner over the rows.
  const Tensor got = vmap(vmap(dot), {0, none})(x, y);
  EXPECT_EQ(got.shape(), Shape({3, 4}));
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t j = 0; j < 4; ++j) {
      EXPECT_NEAR(got.at<double>({i, j}), dot(x[i][j], y[j]).item<double>(),
                  1e-12);
    }
  }
}

TEST(VmapNested, FunctionThatCallsVmap) {
  const Tensor x = rand64({2, 3, 4});
  auto row_norms = [](const Tensor& m) {
    return vmap([](const Tensor& r) { return sqrt(dot(r, r)); })(m);
  };
  const Tensor got = vmap(row_norms, 2)(x);  // maps dim 2, rows of (2, 3)
  EXPECT_EQ(got.shape(), Shape({4, 2}));
  EXPECT_TRUE(same_values(got, sqrt((x * x).sum({1})).t(), 1e-12));
}

TEST(VmapNested, ThreeLevels) {
  const Tensor x = rand64({2, 3, 4, 5});
  auto f = [](const Tensor& v) { return softmax(v, 0); };
  const Tensor got = vmap(vmap(vmap(f)))(x);
  EXPECT_TRUE(same_values(got, softmax(x, 3), 1e-12));
}

TEST(VmapFunctionPointer, MutableLambdasKeepTheirState) {
  int calls = 0;
  auto counted = vmap([calls](const Tensor& t) mutable {
    ++calls;
    return t * static_cast<double>(calls);
  });
  const Tensor x = rand64({2, 3});
  EXPECT_TRUE(same_values(counted(x), x));
  EXPECT_TRUE(same_values(counted(x), x * 2.0));
}

// The functorch ensembling pattern: per-model weights, shared data.
TEST(VmapEnsemble, StackedLinearLayersEqualTheLoopOverModels) {
  const Tensor w = rand64({5, 8, 6}), b = rand64({5, 8}), data = rand64({4, 6});
  auto layer = [](const Tensor& x, const Tensor& weight, const Tensor& bias) {
    return relu(linear(x, weight, bias));
  };
  const Tensor got = vmap(layer, {none, 0, 0})(data, w, b);
  std::vector<Tensor> want;
  for (int64_t m = 0; m < 5; ++m) want.push_back(layer(data, w[m], b[m]));
  EXPECT_TRUE(same_values(got, stack(want), 1e-12));
  // Weights mapped over another dim, and a stacked-weights MLP of two layers.
  const Tensor wt = w.permute({1, 0, 2}).contiguous();  // (8, 5, 6)
  EXPECT_TRUE(
      same_values(vmap(layer, {none, 1, 0})(data, wt, b), stack(want), 1e-12));
  const Tensor w2 = rand64({5, 3, 8});
  auto mlp = [&](const Tensor& x, const Tensor& w1, const Tensor& w2_) {
    return linear(layer(x, w1, Tensor()), w2_);
  };
  const Tensor two = vmap(mlp, {none, 0, 0})(data, w, w2);
  for (int64_t m = 0; m < 5; ++m) {
    EXPECT_TRUE(same_values(two[m], mlp(data, w[m], w2[m]), 1e-12));
  }
}

TEST(VmapFunctionPointer, PlainFunctionsAndLambdas) {
  Tensor (*fn)(const Tensor&, const Tensor&) = &outer;
  const Tensor a = rand64({2, 3}), b = rand64({2, 4});
  EXPECT_TRUE(same_values(vmap(fn)(a, b), loop2(outer, a, b)));
  EXPECT_TRUE(same_values(vmap(outer)(a, b), loop2(outer, a, b)));
}

}  // namespace
}  // namespace fnx
