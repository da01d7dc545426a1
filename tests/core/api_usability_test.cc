// The API fixes found by writing the torch.func tutorials' examples as a
// new user would (each of these failed to compile or gave the wrong kind of
// value before).
#include <cmath>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

TEST(ApiUsability, FromVectorWithABracedListIsUnambiguous) {
  const Tensor a = from_vector({1.0, 3.0}, {2}, DType::Float64);
  EXPECT_EQ(a.dtype(), DType::Float64);
  EXPECT_EQ(a.to_vector(), (std::vector<double>{1.0, 3.0}));
  const Tensor b = from_vector({1.5, 2.5, 3.5, 4.5}, {2, 2});
  EXPECT_EQ(b.dtype(), DType::Float32);
  EXPECT_EQ(b.shape(), Shape({2, 2}));
  const Tensor c = from_vector({1, 2, 3}, {3});
  EXPECT_EQ(c.dtype(), DType::Int64);
  EXPECT_EQ(from_vector({1, 2}, {2}, DType::Float64).dtype(), DType::Float64);
}

TEST(ApiUsability, ArangeOfADoubleIsFloating) {
  const Tensor a = arange(6.0);
  EXPECT_TRUE(is_floating(a.dtype()));
  EXPECT_EQ(a.to_vector(), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(arange(6).dtype(), DType::Int64);
  EXPECT_EQ(arange(int64_t{3}).dtype(), DType::Int64);
  EXPECT_EQ(arange(2.0, DType::Float64).dtype(), DType::Float64);
}

TEST(ApiUsability, GradOfAnOverloadedNameWithCmath) {
  using namespace fnx;
  // <cmath> puts ::sin(double) in scope too; grad picks fnx::sin.
  const Tensor g = grad(sin)(scalar_tensor(0.5, DType::Float64));
  EXPECT_NEAR(g.item<double>(), std::cos(0.5), 1e-12);
  EXPECT_NEAR(grad<0>(tanh)(scalar_tensor(0.5, DType::Float64)).item<double>(),
              1.0 - std::tanh(0.5) * std::tanh(0.5), 1e-12);
}

TEST(ApiUsability, ValueAndGradInJaxOrder) {
  auto f = [](const Tensor& x) { return (x * x).sum(); };
  const Tensor x = from_vector({1.0, 2.0}, {2}, DType::Float64);
  auto [value, g] = value_and_grad(f)(x);
  EXPECT_EQ(value.item<double>(), 5.0);
  EXPECT_EQ(g.to_vector(), (std::vector<double>{2.0, 4.0}));
  auto [g2, value2] = grad_and_value(f)(x);
  EXPECT_EQ(value2.item<double>(), 5.0);
  EXPECT_EQ(g2.to_vector(), g.to_vector());
  // Several argnums and aux, and under vmap.
  auto h = [](const Tensor& a, const Tensor& b) {
    return std::pair{(a * b).sum(), a + b};
  };
  auto [va, gab] = value_and_grad<0, 1>(h, {.has_aux = true})(x, x);
  EXPECT_EQ(va.first.item<double>(), 5.0);
  EXPECT_EQ(std::get<1>(gab).to_vector(), (std::vector<double>{1.0, 2.0}));
  const Tensor xs = from_vector({1.0, 2.0, 3.0, 4.0}, {2, 2}, DType::Float64);
  const Tensor gs =
      vmap([&](const Tensor& v) { return value_and_grad(f)(v).second; })(xs);
  EXPECT_EQ(gs.to_vector(), (std::vector<double>{2, 4, 6, 8}));
}

TEST(ApiUsability, VmapOptionsWithoutSpellingTheDims) {
  auto noisy = [](const Tensor& x) { return x + randn(x.shape()); };
  const Tensor xs = zeros({3, 2});
  const Tensor y = vmap(noisy, {.randomness = Randomness::different})(xs);
  EXPECT_EQ(y.shape(), Shape({3, 2}));
  // Different per example.
  EXPECT_NE(y.select(0, 0).to_vector(), y.select(0, 1).to_vector());
  // GCC reads a lone {.chunk_size = n} as dims too: spell the type there.
  const Tensor z = vmap([](const Tensor& x) { return x * 2.0; },
                        VmapOptions{.chunk_size = 1})(ones({3, 2}));
  EXPECT_EQ(z.sum().item<double>(), 12.0);
}

TEST(ApiUsability, EvalShapeGivesMetadataWithoutComputing) {
  auto f = [](const Tensor& w, const Tensor& x) {
    return std::tuple{matmul(x, w), relu(x).sum({1})};
  };
  const Tensor w = zeros({3, 5}, DType::Float64);
  const Tensor x = zeros({4, 3}, DType::Float64);
  const std::vector<OutMeta> out = eval_shape(f, w, x);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape, Shape({4, 5}));
  EXPECT_EQ(out[0].dtype, DType::Float64);
  EXPECT_EQ(out[1].shape, Shape({4}));
  EXPECT_THROW(
      eval_shape([](const Tensor& t) { return t * t.sum().item<double>(); }, x),
      Error);
}

}  // namespace
}  // namespace fnx

namespace fnx {
namespace {

// In-place errors name the op the user called, not the copy_ it ends in.
TEST(ApiUsability, InPlaceErrorsNameTheUsersOp) {
  const Tensor xs = ones({3, 2});
  auto accumulate = [](const Tensor& x) {
    Tensor buf = zeros({2});
    buf.add_(x);
    return buf;
  };
  try {
    vmap(accumulate)(xs);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("add_: cannot write a batched value"), std::string::npos)
        << m;
  }
  Tensor captured = zeros({2}, DType::Float64);
  try {
    grad([&](const Tensor& x) {
      captured.mul_(x);
      return captured.sum();
    })(ones({2}, DType::Float64));
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("[grad] mul_: writing a value tracked by grad"),
              std::string::npos)
        << m;
  }
  // A plain copy_ is still called copy_.
  try {
    vmap([](const Tensor& x) {
      Tensor buf = zeros({2});
      buf.copy_(x);
      return buf;
    })(xs);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("copy_: cannot write"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace fnx

namespace fnx {
namespace {

// hessian<0, 1> gives a tuple of tuples, as its header promises; jacrev and
// jacfwd of a function returning a tuple or vector return that structure.
TEST(ApiUsability, JacobiansKeepTheOutputStructure) {
  auto f = [](const Tensor& w, const Tensor& b) {
    return (w * w * b).sum() + (b * b * b).sum();
  };
  const Tensor w = from_vector({1.0, 2.0}, {2}, DType::Float64);
  const Tensor b = from_vector({3.0, 4.0}, {2}, DType::Float64);
  auto [Hw, Hb] = hessian<0, 1>(f)(w, b);
  auto [Hww, Hwb] = Hw;
  auto [Hbw, Hbb] = Hb;
  // d2/dw2 = diag(2b), d2/dwdb = diag(2w), d2/db2 = diag(6b).
  EXPECT_EQ(Hww.to_vector(), (std::vector<double>{6, 0, 0, 8}));
  EXPECT_EQ(Hwb.to_vector(), (std::vector<double>{2, 0, 0, 4}));
  EXPECT_EQ(Hbw.to_vector(), (std::vector<double>{2, 0, 0, 4}));
  EXPECT_EQ(Hbb.to_vector(), (std::vector<double>{18, 0, 0, 24}));

  auto g = [](const Tensor& x) { return std::tuple{x * 2.0, x.sum()}; };
  auto [Ja, Jb] = jacrev(g)(w);
  EXPECT_EQ(Ja.shape(), Shape({2, 2}));
  EXPECT_EQ(Jb.to_vector(), (std::vector<double>{1, 1}));
  auto [Fa, Fb] = jacfwd(g)(w);
  EXPECT_EQ(Fa.to_vector(), Ja.to_vector());
  EXPECT_EQ(Fb.to_vector(), Jb.to_vector());
  auto v = [](const Tensor& x) { return std::vector<Tensor>{x, x * x}; };
  const std::vector<Tensor> jv = jacrev(v)(w);
  ASSERT_EQ(jv.size(), 2u);
  EXPECT_EQ(jv[1].to_vector(), (std::vector<double>{2, 0, 0, 4}));
}

}  // namespace
}  // namespace fnx
