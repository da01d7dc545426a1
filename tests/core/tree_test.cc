#include "core/tree.h"

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// Opted-in user structs live in their own namespace: FNX_TREE_STRUCT is
// found by argument-dependent lookup.
namespace user {

enum class Mode { kTrain, kEval };

struct Linear {
  fnx::Tensor weight;
  fnx::Tensor bias;
  std::string name;  // static data
  int fan_in = 0;    // static data
};
FNX_TREE_STRUCT(Linear, weight, bias, name, fan_in);

struct Model {
  std::vector<Linear> layers;
  fnx::ParamDict buffers;
  std::optional<fnx::Tensor> scale;
  Mode mode = Mode::kTrain;
};
FNX_TREE_STRUCT(Model, layers, buffers, scale, mode);

struct Empty {
  int ignored = 3;
};
FNX_TREE_STRUCT(Empty);

struct NotOptedIn {
  fnx::Tensor hidden;
};

}  // namespace user

// A struct in the global namespace opts in the same way.
struct GlobalState {
  std::pair<fnx::Tensor, fnx::Tensor> momentum;
  double lr = 0.1;
};
FNX_TREE_STRUCT(GlobalState, momentum, lr);

namespace fnx {
namespace {

using ::testing::HasSubstr;

// ---- compile-time traits ----
static_assert(is_tree_v<Tensor>);
static_assert(is_tree_v<const Tensor&>);
static_assert(is_tree_v<std::vector<Tensor>>);
static_assert(is_tree_v<std::array<Tensor, 2>>);
static_assert(is_tree_v<std::tuple<Tensor, int>>);
static_assert(is_tree_v<std::pair<Tensor, Tensor>>);
static_assert(is_tree_v<std::optional<Tensor>>);
static_assert(is_tree_v<ParamDict>);
static_assert(is_tree_v<user::Linear>);
static_assert(is_tree_v<user::Model>);
static_assert(is_tree_v<user::Empty>);
static_assert(is_tree_v<GlobalState>);
static_assert(!is_tree_v<int>);
static_assert(!is_tree_v<double>);
static_assert(!is_tree_v<std::string>);
static_assert(!is_tree_v<user::Mode>);
static_assert(!is_tree_v<user::NotOptedIn>);

std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no fnx::Error thrown)";
}

// Distinct scalar tensors 0, 1, 2, ... so leaf order is visible.
std::vector<Tensor> numbered(int n, double first = 0) {
  std::vector<Tensor> out;
  for (int i = 0; i < n; ++i) out.emplace_back(first + i);
  return out;
}

std::vector<double> values(const std::vector<Tensor>& leaves) {
  std::vector<double> out;
  for (const Tensor& t : leaves) out.push_back(t.item<double>());
  return out;
}

void expect_same_leaves(const std::vector<Tensor>& a,
                        const std::vector<Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(a[i].is_same(b[i])) << "leaf " << i;
  }
}

TEST(TreeTest, TensorIsOneLeaf) {
  Tensor x(1.0);
  std::vector<Tensor> leaves = tree_flatten(x);
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_TRUE(leaves[0].is_same(x));
  EXPECT_EQ(tree_num_leaves(x), 1u);
  EXPECT_EQ(tree_structure(x), "Tensor");
  Tensor y(2.0);
  EXPECT_TRUE(tree_unflatten(x, std::vector<Tensor>{y}).is_same(y));
}

TEST(TreeTest, UndefinedTensorIsStillALeaf) {
  Tensor undefined;
  EXPECT_EQ(tree_num_leaves(undefined), 1u);
  std::vector<Tensor> leaves = tree_flatten(undefined);
  ASSERT_EQ(leaves.size(), 1u);
  EXPECT_FALSE(leaves[0].defined());
}

TEST(TreeTest, Vector) {
  std::vector<Tensor> v = numbered(3);
  expect_same_leaves(tree_flatten(v), v);
  EXPECT_EQ(tree_structure(v), "vector[3](Tensor)");
  std::vector<Tensor> fresh = numbered(3, 10);
  std::vector<Tensor> rebuilt = tree_unflatten(v, fresh);
  expect_same_leaves(rebuilt, fresh);

  std::vector<Tensor> empty;
  EXPECT_EQ(tree_num_leaves(empty), 0u);
  EXPECT_EQ(tree_structure(empty), "vector[0]");
  EXPECT_TRUE(tree_unflatten(empty, {}).empty());
}

TEST(TreeTest, Array) {
  std::array<Tensor, 2> a{Tensor(1.0), Tensor(2.0)};
  EXPECT_EQ(tree_structure(a), "array[2](Tensor)");
  EXPECT_EQ(values(tree_flatten(a)), (std::vector<double>{1, 2}));
  std::array<Tensor, 2> b = tree_unflatten(a, numbered(2, 5));
  EXPECT_DOUBLE_EQ(b[0].item<double>(), 5);
  EXPECT_DOUBLE_EQ(b[1].item<double>(), 6);
}

TEST(TreeTest, TupleWithStaticData) {
  std::tuple<Tensor, int, std::string, Tensor> t{Tensor(1.0), 7, "keep",
                                                 Tensor(2.0)};
  EXPECT_EQ(tree_num_leaves(t), 2u);
  EXPECT_EQ(tree_structure(t), "tuple(Tensor, static, static, Tensor)");
  auto rebuilt = tree_unflatten(t, numbered(2, 10));
  EXPECT_DOUBLE_EQ(std::get<0>(rebuilt).item<double>(), 10);
  EXPECT_EQ(std::get<1>(rebuilt), 7);
  EXPECT_EQ(std::get<2>(rebuilt), "keep");
  EXPECT_DOUBLE_EQ(std::get<3>(rebuilt).item<double>(), 11);

  std::tuple<> nothing;
  EXPECT_EQ(tree_num_leaves(nothing), 0u);
  EXPECT_EQ(tree_structure(nothing), "tuple()");
}

TEST(TreeTest, TupleOfReferencesFlattens) {
  Tensor a(1.0), b(2.0);
  std::vector<Tensor> v{Tensor(3.0)};
  auto refs = std::tie(a, v, b);
  std::vector<Tensor> leaves = tree_flatten(refs);
  expect_same_leaves(leaves, {a, v[0], b});
  EXPECT_EQ(tree_structure(refs), "tuple(Tensor, vector[1](Tensor), Tensor)");
}

TEST(TreeTest, Pair) {
  std::pair<Tensor, double> p{Tensor(1.0), 0.5};
  EXPECT_EQ(tree_structure(p), "pair(Tensor, static)");
  auto q = tree_unflatten(p, numbered(1, 4));
  EXPECT_DOUBLE_EQ(q.first.item<double>(), 4);
  EXPECT_DOUBLE_EQ(q.second, 0.5);
}

TEST(TreeTest, Optional) {
  std::optional<Tensor> some = Tensor(1.0);
  std::optional<Tensor> none;
  EXPECT_EQ(tree_num_leaves(some), 1u);
  EXPECT_EQ(tree_num_leaves(none), 0u);
  EXPECT_EQ(tree_structure(some), "optional(Tensor)");
  EXPECT_EQ(tree_structure(none), "nullopt");
  EXPECT_FALSE(tree_unflatten(none, {}).has_value());
  std::optional<Tensor> rebuilt = tree_unflatten(some, numbered(1, 9));
  ASSERT_TRUE(rebuilt.has_value());
  EXPECT_DOUBLE_EQ(rebuilt->item<double>(), 9);
}

TEST(TreeTest, ParamDictLeavesFollowInsertionOrder) {
  ParamDict d;
  d["w"] = Tensor(1.0);
  d["b"] = Tensor(2.0);
  d["a"] = Tensor(3.0);
  EXPECT_EQ(values(tree_flatten(d)), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(tree_structure(d), "ParamDict{w, b, a}");
  ParamDict rebuilt = tree_unflatten(d, numbered(3, 10));
  EXPECT_TRUE(rebuilt.same_keys(d));
  EXPECT_DOUBLE_EQ(rebuilt.at("w").item<double>(), 10);
  EXPECT_DOUBLE_EQ(rebuilt.at("a").item<double>(), 12);
  EXPECT_DOUBLE_EQ(d.at("w").item<double>(), 1);  // `like` is untouched
}

TEST(TreeTest, NestedStructureString) {
  ParamDict d{{"w", Tensor(1.0)}, {"b", Tensor(2.0)}};
  std::tuple<Tensor, std::vector<Tensor>, ParamDict> t{Tensor(0.0), numbered(3),
                                                       d};
  EXPECT_EQ(tree_structure(t),
            "tuple(Tensor, vector[3](Tensor), ParamDict{w, b})");
  EXPECT_EQ(tree_num_leaves(t), 6u);

  // Elements of different structure are listed one by one.
  std::vector<ParamDict> dicts{ParamDict{{"a", Tensor(1.0)}},
                               ParamDict{{"b", Tensor(1.0)}}};
  EXPECT_EQ(tree_structure(dicts), "vector[2](ParamDict{a}, ParamDict{b})");
  std::vector<std::vector<Tensor>> ragged{numbered(1), numbered(2)};
  EXPECT_EQ(tree_structure(ragged),
            "vector[2](vector[1](Tensor), vector[2](Tensor))");
}

TEST(TreeTest, DeepNestingRoundTrip) {
  using Nested =
      std::tuple<std::vector<std::pair<Tensor, std::optional<Tensor>>>,
                 std::array<ParamDict, 2>, Tensor>;
  Nested n{{{Tensor(0.0), Tensor(1.0)}, {Tensor(2.0), std::nullopt}},
           {ParamDict{{"x", Tensor(3.0)}},
            ParamDict{{"y", Tensor(4.0)}, {"z", Tensor(5.0)}}},
           Tensor(6.0)};
  std::vector<Tensor> leaves = tree_flatten(n);
  EXPECT_EQ(values(leaves), (std::vector<double>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(tree_num_leaves(n), leaves.size());

  Nested same = tree_unflatten(n, leaves);
  expect_same_leaves(tree_flatten(same), leaves);
  EXPECT_TRUE(tree_same_structure(n, same));
  EXPECT_EQ(tree_structure(same), tree_structure(n));
  EXPECT_FALSE(std::get<0>(same)[1].second.has_value());

  Nested shifted = tree_unflatten(n, numbered(7, 100));
  EXPECT_EQ(values(tree_flatten(shifted)),
            (std::vector<double>{100, 101, 102, 103, 104, 105, 106}));
  EXPECT_DOUBLE_EQ(std::get<1>(shifted)[1].at("z").item<double>(), 105);
}

TEST(TreeTest, OptInStruct) {
  user::Linear lin{Tensor(1.0), Tensor(2.0), "fc1", 4};
  EXPECT_EQ(tree_num_leaves(lin), 2u);
  expect_same_leaves(tree_flatten(lin), {lin.weight, lin.bias});
  EXPECT_EQ(tree_structure(lin),
            "Linear{weight: Tensor, bias: Tensor, name: static, fan_in: "
            "static}");
  user::Linear rebuilt = tree_unflatten(lin, numbered(2, 7));
  EXPECT_DOUBLE_EQ(rebuilt.weight.item<double>(), 7);
  EXPECT_DOUBLE_EQ(rebuilt.bias.item<double>(), 8);
  EXPECT_EQ(rebuilt.name, "fc1");
  EXPECT_EQ(rebuilt.fan_in, 4);

  GlobalState g{{Tensor(1.0), Tensor(2.0)}, 0.5};
  EXPECT_EQ(tree_structure(g),
            "GlobalState{momentum: pair(Tensor, Tensor), lr: static}");
  GlobalState g2 = tree_map(g, [](const Tensor& t) { return t + 1.0; });
  EXPECT_DOUBLE_EQ(g2.momentum.second.item<double>(), 3.0);
  EXPECT_DOUBLE_EQ(g2.lr, 0.5);

  user::Empty e;
  EXPECT_EQ(tree_num_leaves(e), 0u);
  EXPECT_EQ(tree_structure(e), "Empty{}");
  EXPECT_EQ(tree_unflatten(e, {}).ignored, 3);
}

TEST(TreeTest, NestedOptInStructs) {
  user::Model m;
  m.layers.push_back({Tensor(0.0), Tensor(1.0), "a", 1});
  m.layers.push_back({Tensor(2.0), Tensor(3.0), "b", 2});
  m.buffers["running_mean"] = Tensor(4.0);
  m.scale = Tensor(5.0);
  m.mode = user::Mode::kEval;
  EXPECT_EQ(values(tree_flatten(m)), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(tree_structure(m),
            "Model{layers: vector[2](Linear{weight: Tensor, bias: Tensor, "
            "name: static, fan_in: static}), buffers: "
            "ParamDict{running_mean}, scale: optional(Tensor), mode: "
            "static}");
  user::Model doubled = tree_map(m, [](const Tensor& t) { return t * 2.0; });
  EXPECT_EQ(values(tree_flatten(doubled)),
            (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(doubled.layers[1].name, "b");
  EXPECT_EQ(doubled.mode, user::Mode::kEval);
  EXPECT_EQ(values(tree_flatten(m)), (std::vector<double>{0, 1, 2, 3, 4, 5}));
}

TEST(TreeTest, NonTensorsPassThrough) {
  EXPECT_EQ(tree_num_leaves(42), 0u);
  EXPECT_TRUE(tree_flatten(std::string("hi")).empty());
  EXPECT_EQ(tree_unflatten(3.5, {}), 3.5);
  EXPECT_EQ(tree_unflatten(std::string("hi"), {}), "hi");
  EXPECT_EQ(tree_unflatten(user::Mode::kEval, {}), user::Mode::kEval);
  EXPECT_EQ(tree_structure(7), "static");
  // A struct that did not opt in is static too: its tensor is not a leaf.
  user::NotOptedIn hidden{Tensor(1.0)};
  EXPECT_EQ(tree_num_leaves(hidden), 0u);
  std::vector<int> ints{1, 2, 3};
  EXPECT_EQ(tree_num_leaves(ints), 0u);
  EXPECT_EQ(tree_unflatten(ints, {}), ints);
  EXPECT_EQ(tree_structure(ints), "vector[3](static)");
  // tree_map never calls f on static data.
  int calls = 0;
  auto same =
      tree_map(std::make_pair(1, std::string("s")), [&](const Tensor& t) {
        ++calls;
        return t;
      });
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(same.first, 1);
  EXPECT_EQ(same.second, "s");
}

TEST(TreeTest, TreeMapAppliesToEveryLeafInOrder) {
  std::tuple<Tensor, std::vector<Tensor>> t{Tensor(1.0), numbered(2, 2)};
  std::vector<double> seen;
  auto out = tree_map(t, [&](const Tensor& x) {
    seen.push_back(x.item<double>());
    return x + 1.0;
  });
  EXPECT_EQ(seen, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(values(tree_flatten(out)), (std::vector<double>{2, 3, 4}));
}

TEST(TreeTest, TreeMap2) {
  ParamDict params{{"w", Tensor(1.0)}, {"b", Tensor(2.0)}};
  ParamDict grads{{"w", Tensor(10.0)}, {"b", Tensor(20.0)}};
  ParamDict updated =
      tree_map2(params, grads,
                [](const Tensor& p, const Tensor& g) { return p - g * 0.1; });
  EXPECT_TRUE(updated.same_keys(params));
  EXPECT_NEAR(updated.at("w").item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(updated.at("b").item<double>(), 0.0, 1e-6);

  // Static data comes from the first tree.
  std::pair<Tensor, int> a{Tensor(1.0), 1}, b{Tensor(2.0), 2};
  auto sum =
      tree_map2(a, b, [](const Tensor& x, const Tensor& y) { return x + y; });
  EXPECT_DOUBLE_EQ(sum.first.item<double>(), 3.0);
  EXPECT_EQ(sum.second, 1);
}

TEST(TreeTest, TreeMap2StructureMismatchNamesBoth) {
  auto keep = [](const Tensor& x, const Tensor&) { return x; };

  std::string message =
      error_of([&] { tree_map2(numbered(2), numbered(3), keep); });
  EXPECT_THAT(message, HasSubstr("[tree_map2]"));
  EXPECT_THAT(message, HasSubstr("vector[2](Tensor)"));
  EXPECT_THAT(message, HasSubstr("vector[3](Tensor)"));

  ParamDict wb{{"w", Tensor(1.0)}, {"b", Tensor(1.0)}};
  ParamDict wx{{"w", Tensor(1.0)}, {"x", Tensor(1.0)}};
  ParamDict bw{{"b", Tensor(1.0)}, {"w", Tensor(1.0)}};
  message = error_of([&] { tree_map2(wb, wx, keep); });
  EXPECT_THAT(message, HasSubstr("ParamDict{w, b}"));
  EXPECT_THAT(message, HasSubstr("ParamDict{w, x}"));
  EXPECT_THROW(tree_map2(wb, bw, keep), Error);  // order matters

  std::optional<Tensor> some = Tensor(1.0), none;
  message = error_of([&] { tree_map2(some, none, keep); });
  EXPECT_THAT(message, HasSubstr("optional(Tensor)"));
  EXPECT_THAT(message, HasSubstr("nullopt"));

  user::Model m1, m2;
  m1.layers.resize(1);
  message = error_of([&] { tree_map2(m1, m2, keep); });
  EXPECT_THAT(message, HasSubstr("layers: vector[1]"));
  EXPECT_THAT(message, HasSubstr("layers: vector[0]"));

  EXPECT_FALSE(tree_same_structure(wb, wx));
  EXPECT_TRUE(tree_same_structure(wb, ParamDict(wb)));
}

TEST(TreeTest, UnflattenWrongLeafCount) {
  std::tuple<Tensor, std::vector<Tensor>> t{Tensor(1.0), numbered(2)};
  std::string message = error_of([&] { tree_unflatten(t, numbered(2)); });
  EXPECT_THAT(message, HasSubstr("[tree_unflatten]"));
  EXPECT_THAT(message, HasSubstr("tuple(Tensor, vector[2](Tensor))"));
  EXPECT_THAT(message, HasSubstr("3 tensor leaves"));
  EXPECT_THAT(message, HasSubstr("2 were given"));
  EXPECT_THROW(tree_unflatten(t, numbered(4)), Error);
  EXPECT_THROW(tree_unflatten(ParamDict{{"w", Tensor(1.0)}}, {}), Error);
  EXPECT_THROW(tree_unflatten(7, numbered(1)), Error);
}

TEST(TreeTest, UnflattenFromSharedList) {
  // Several arguments flattened into one list and rebuilt in turn, as a
  // transform does with its inputs.
  Tensor x(1.0);
  ParamDict d{{"w", Tensor(2.0)}, {"b", Tensor(3.0)}};
  std::vector<Tensor> all;
  tree_flatten_into(x, all);
  tree_flatten_into(d, all);
  ASSERT_EQ(all.size(), 3u);
  std::size_t pos = 0;
  Tensor x2 = tree_unflatten_from(x, all, pos);
  ParamDict d2 = tree_unflatten_from(d, all, pos);
  EXPECT_EQ(pos, 3u);
  EXPECT_TRUE(x2.is_same(x));
  EXPECT_TRUE(d2.at("b").is_same(d.at("b")));
  // Asking for more leaves than remain is an error, not a crash.
  std::string message = error_of([&] { tree_unflatten_from(d, all, pos); });
  EXPECT_THAT(message, HasSubstr("ran out of leaves"));
  pos = 3;
  EXPECT_THROW(tree_unflatten_from(x, all, pos), Error);
}

}  // namespace
}  // namespace fnx
