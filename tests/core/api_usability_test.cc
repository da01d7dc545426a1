// The API fixes found by writing the torch.func tutorials' examples as a
// new user would (each of these failed to compile or gave the wrong kind of
// value before).
#include <cmath>
#include <functional>
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

namespace fnx {
namespace {

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Argnums chosen at run time: the same gradients as template argnums, as a
// std::vector in the order asked.
TEST(ApiUsability, ArgnumsAtRunTime) {
  auto f = [](const Tensor& x, const Tensor& y, const Tensor& z) {
    return (x * y * z + y * y).sum();
  };
  const Tensor x = from_vector({1.0, 2.0}, {2}, DType::Float64);
  const Tensor y = from_vector({3.0, 4.0}, {2}, DType::Float64);
  const Tensor z = from_vector({5.0, 6.0}, {2}, DType::Float64);
  const std::vector<std::size_t> chosen = {2, 0};  // e.g. read from a config
  const std::vector<Tensor> g = grad(f, Argnums(chosen))(x, y, z);
  ASSERT_EQ(g.size(), 2u);
  auto [gz, gx] = grad<2, 0>(f)(x, y, z);
  EXPECT_EQ(g[0].to_vector(), gz.to_vector());
  EXPECT_EQ(g[1].to_vector(), gx.to_vector());
  EXPECT_EQ(g[1].to_vector(), (std::vector<double>{15, 24}));  // y * z

  auto [value, gs] = value_and_grad(f, Argnums{1})(x, y, z);
  EXPECT_DOUBLE_EQ(value.item<double>(), 1 * 3 * 5 + 2 * 4 * 6 + 9 + 16);
  EXPECT_EQ(gs[0].to_vector(), (std::vector<double>{5 + 6, 12 + 8}));

  // Jacobians and the Hessian take them too.
  auto h = [](const Tensor& a, const Tensor& b) { return (a * a * b).sum(); };
  const std::vector<Tensor> jr = jacrev(h, Argnums{0, 1})(x, y);
  const std::vector<Tensor> jf = jacfwd(h, Argnums{0, 1})(x, y);
  const std::vector<Tensor> ja = jacobian(h, Argnums{1})(x, y);
  ASSERT_EQ(jr.size(), 2u);
  EXPECT_EQ(jr[0].to_vector(), (std::vector<double>{6, 16}));  // 2ab
  EXPECT_EQ(jf[0].to_vector(), jr[0].to_vector());
  EXPECT_EQ(jf[1].to_vector(), jr[1].to_vector());
  EXPECT_EQ(ja[0].to_vector(), (std::vector<double>{1, 4}));  // a^2
  const auto H = hessian(h, Argnums{0, 1})(x, y);
  auto [Hww, Hwb] = hessian<0, 1>(h)(x, y);
  ASSERT_EQ(H.size(), 2u);
  EXPECT_EQ(H[0][0].to_vector(), std::get<0>(Hww).to_vector());
  EXPECT_EQ(H[0][1].to_vector(), std::get<1>(Hww).to_vector());
  EXPECT_EQ(H[1][0].to_vector(), std::get<0>(Hwb).to_vector());

  // A ParamDict beside tensors: name the type to select among.
  ParamDict params;
  params.insert_or_assign("w", x);
  auto loss = [](const ParamDict& p, const Tensor& a, const Tensor& b) {
    return (p.at("w") * a * b).sum();
  };
  const std::vector<Tensor> gab =
      grad(loss, Argnums<Tensor>{2, 1})(params, y, z);
  EXPECT_EQ(gab[0].to_vector(), (x * y).to_vector());
  EXPECT_EQ(gab[1].to_vector(), (x * z).to_vector());
}

TEST(ApiUsability, ArgnumsAtRunTimeErrors) {
  auto f = [](const Tensor& x, const Tensor& y) { return (x * y).sum(); };
  const Tensor x = ones({2}, DType::Float64);
  EXPECT_NE(error_of([&] {
              grad(f, Argnums{2})(x, x);
            }).find("argnum 2 is past the last argument"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              grad(f, Argnums{1, 1})(x, x);
            }).find("argnum 1 is given twice"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              jacrev(f, Argnums(std::vector<std::size_t>{}))(x, x);
            }).find("[jacrev] argnums must not be empty"),
            std::string::npos);
  ParamDict params;
  params.insert_or_assign("w", x);
  auto loss = [](const ParamDict& p, const Tensor& a) {
    return (p.at("w") * a).sum();
  };
  EXPECT_NE(error_of([&] {
              grad(loss, Argnums<Tensor>{0})(params, x);
            }).find("argument 0 does not have the type"),
            std::string::npos);
}

}  // namespace
}  // namespace fnx

namespace fnx {
namespace {

struct Model {
  Tensor w;
  std::vector<Tensor> layers;
};
FNX_TREE_STRUCT(Model, w, layers);

// The differentiating transforms name a leaf by its path in the user's
// tree, as vmap does, instead of counting leaves.
TEST(ApiUsability, TransformErrorsNameLeavesByPath) {
  const Tensor x = ones({2}, DType::Float64);
  const Tensor steps = from_vector(std::vector<int64_t>{1, 2}, {2});
  ParamDict params;
  params.insert_or_assign("fc.weight", x);
  params.insert_or_assign("step", steps);
  auto loss = [](const ParamDict& p) { return p.at("fc.weight").sum(); };
  EXPECT_NE(error_of([&] {
              grad(loss)(params);
            }).find("[grad] argument 0 at [\"step\"] has dtype int64"),
            std::string::npos)
      << error_of([&] { grad(loss)(params); });

  auto g = [](const Tensor& a, const Model& m) {
    return (a * m.w).sum() + m.layers[1].sum();
  };
  Model m{x, {x, steps}};
  EXPECT_NE(error_of([&] {
              grad<1>(g)(x, m);
            }).find("argument 1 at .layers[1] has dtype int64"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              jacfwd<1>(g)(x, m);
            }).find("[jacfwd] argument 1 at .layers[1] has dtype int64"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              jacrev(g, Argnums<Model>{1})(x, m);
            }).find("argument 1 at .layers[1] has dtype int64"),
            std::string::npos);

  // jvp: the tangent that does not fit, by path.
  auto h = [](const Tensor& a, const std::vector<Tensor>& bs) {
    return a * bs[0] * bs[1];
  };
  const std::vector<Tensor> bs = {x, x};
  const std::vector<Tensor> bad = {x, ones({3}, DType::Float64)};
  EXPECT_NE(error_of([&] {
              jvp(h, std::tuple{x, bs}, std::tuple{x, bad});
            }).find("[jvp] the tangent of argument 1 at [1] has shape [3]"),
            std::string::npos);
  // strict: the output leaf that does not depend on the primals.
  auto two = [](const Tensor& a) {
    return std::tuple{a * 2.0, ones({2}, DType::Float64)};
  };
  EXPECT_NE(error_of([&] {
              jvp(two, x, x, {.strict = true});
            }).find("strict: output leaf 1 at [1] does not depend"),
            std::string::npos);
}

// Modules can be moved: returned by value, kept in a std::vector, stacked
// from there, and handed to Sequential or register_module by value.
TEST(ApiUsability, ModulesCanBeMoved) {
  manual_seed(3);
  std::vector<nn::Linear> models;
  for (int i = 0; i < 3; ++i) {
    nn::Linear layer(4, 2, {.dtype = DType::Float64});
    models.push_back(std::move(layer));
  }
  const Tensor x = ones({5, 4}, DType::Float64);
  const Tensor before = models[1](x);
  std::vector<nn::Linear> moved = std::move(models);
  EXPECT_EQ(moved[1](x).to_vector(), before.to_vector());

  auto [params, buffers] = nn::stack_module_state(moved);
  EXPECT_EQ(params.at("weight").shape(), Shape({3, 2, 4}));
  std::vector<std::shared_ptr<nn::Linear>> shared;
  for (nn::Linear& m : moved) {
    shared.push_back(std::make_shared<nn::Linear>(std::move(m)));
  }
  EXPECT_EQ(nn::stack_module_state(shared).first.at("weight").to_vector(),
            params.at("weight").to_vector());

  nn::Sequential seq;
  seq.push_back(nn::Linear(4, 3, {.dtype = DType::Float64}));
  seq.push_back(nn::Linear(3, 1, {.dtype = DType::Float64}));
  EXPECT_EQ(seq(x).shape(), Shape({5, 1}));
  EXPECT_EQ(seq.named_parameters().size(), 4u);

  struct Net : nn::Module {
    Net() : Module("Net") {
      fc = register_module("fc", nn::Linear(4, 1, {.dtype = DType::Float64}));
    }
    Tensor forward(const Tensor& in) override { return (*fc)(in); }
    std::shared_ptr<nn::Linear> fc;
  };
  Net net;
  EXPECT_TRUE(net.named_parameters().contains("fc.weight"));
  EXPECT_EQ(net(x).shape(), Shape({5, 1}));
}

}  // namespace
}  // namespace fnx

namespace fnx {
namespace {

// Every transform takes an fnx op by its overloaded name, with <cmath> in
// scope (jacrev(sin), as the torch.func tutorials write jacrev(torch.sin)).
TEST(ApiUsability, TransformsTakeAnOpByName) {
  const Tensor x = from_vector({0.5, 1.0}, {2}, DType::Float64);
  const Tensor diag_cos = eye(2, DType::Float64) * cos(x);
  EXPECT_EQ(jacrev(sin)(x).to_vector(), diag_cos.to_vector());
  EXPECT_EQ(jacfwd(sin)(x).to_vector(), diag_cos.to_vector());
  EXPECT_EQ(vmap(sin)(x).to_vector(), sin(x).to_vector());
  const Tensor s = from_vector({0.5}, {}, DType::Float64);
  EXPECT_DOUBLE_EQ(hessian(sin)(s).item<double>(), -std::sin(0.5));
  auto [out, vjp_fn] = vjp(sin, x);
  EXPECT_EQ(std::get<0>(vjp_fn(ones_like(x))).to_vector(), cos(x).to_vector());
  auto [value, tangent] = jvp(sin, x, ones_like(x));
  EXPECT_EQ(tangent.to_vector(), cos(x).to_vector());
  EXPECT_EQ(value.to_vector(), out.to_vector());
}

}  // namespace
}  // namespace fnx
