#include "core/param_dict.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no fnx::Error thrown)";
}

TEST(ParamDictTest, KeepsInsertionOrder) {
  ParamDict d;
  d["zeta"] = Tensor(1.0);
  d["alpha"] = Tensor(2.0);
  d["mid"] = Tensor(3.0);
  EXPECT_THAT(d.keys(), ElementsAre("zeta", "alpha", "mid"));
  std::vector<double> values;
  for (const auto& [name, t] : d) values.push_back(t.item<double>());
  EXPECT_THAT(values, ElementsAre(1.0, 2.0, 3.0));
  EXPECT_EQ(d.size(), 3u);
  EXPECT_FALSE(d.empty());
}

TEST(ParamDictTest, SubscriptInsertsUndefinedAndAssignsInPlace) {
  ParamDict d;
  Tensor& slot = d["w"];
  EXPECT_FALSE(slot.defined());
  EXPECT_TRUE(d.contains("w"));
  d["b"] = Tensor(1.0);
  d["w"] = Tensor(5.0);  // reassigning keeps the position
  EXPECT_THAT(d.keys(), ElementsAre("w", "b"));
  EXPECT_DOUBLE_EQ(d.at("w").item<double>(), 5.0);
}

TEST(ParamDictTest, InsertOrAssign) {
  ParamDict d;
  EXPECT_TRUE(d.insert_or_assign("a", Tensor(1.0)));
  EXPECT_TRUE(d.insert_or_assign("b", Tensor(2.0)));
  EXPECT_FALSE(d.insert_or_assign("a", Tensor(3.0)));
  EXPECT_THAT(d.keys(), ElementsAre("a", "b"));
  EXPECT_DOUBLE_EQ(d.at("a").item<double>(), 3.0);
}

TEST(ParamDictTest, InitializerListAndDuplicates) {
  Tensor w(1.0), b(2.0);
  ParamDict d{{"w", w}, {"b", b}};
  EXPECT_THAT(d.keys(), ElementsAre("w", "b"));
  EXPECT_TRUE(d.at("w").is_same(w));
  EXPECT_TRUE(d.at("b").is_same(b));
  std::string message = error_of([&] { ParamDict bad{{"w", w}, {"w", b}}; });
  EXPECT_THAT(message, HasSubstr("[ParamDict]"));
  EXPECT_THAT(message, HasSubstr("'w'"));
}

TEST(ParamDictTest, AtMissingKeyNamesKeyAndListsKeys) {
  ParamDict d{{"weight", Tensor(1.0)}, {"bias", Tensor(2.0)}};
  std::string message = error_of([&] { d.at("wieght"); });
  EXPECT_THAT(message, HasSubstr("[ParamDict]"));
  EXPECT_THAT(message, HasSubstr("'wieght'"));
  EXPECT_THAT(message, HasSubstr("{weight, bias}"));
  const ParamDict& cd = d;
  EXPECT_THROW(cd.at("nope"), Error);
  EXPECT_FALSE(d.contains("nope"));
  EXPECT_EQ(d.size(), 2u);  // at() never inserts
}

TEST(ParamDictTest, EraseKeepsOrderAndIndex) {
  ParamDict d{{"a", Tensor(1.0)},
              {"b", Tensor(2.0)},
              {"c", Tensor(3.0)},
              {"d", Tensor(4.0)}};
  EXPECT_TRUE(d.erase("b"));
  EXPECT_FALSE(d.erase("b"));
  EXPECT_THAT(d.keys(), ElementsAre("a", "c", "d"));
  // Lookups after the erased position still find the right tensors.
  EXPECT_DOUBLE_EQ(d.at("a").item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(d.at("c").item<double>(), 3.0);
  EXPECT_DOUBLE_EQ(d.at("d").item<double>(), 4.0);
  d["b"] = Tensor(5.0);  // re-added at the end
  EXPECT_THAT(d.keys(), ElementsAre("a", "c", "d", "b"));
  EXPECT_DOUBLE_EQ(d.at("b").item<double>(), 5.0);
  d.clear();
  EXPECT_TRUE(d.empty());
  EXPECT_FALSE(d.contains("a"));
}

TEST(ParamDictTest, SameKeysComparesNamesInOrder) {
  ParamDict a{{"w", Tensor(1.0)}, {"b", Tensor(2.0)}};
  ParamDict b{{"w", Tensor(7.0)}, {"b", Tensor(8.0)}};
  ParamDict reordered{{"b", Tensor(1.0)}, {"w", Tensor(2.0)}};
  ParamDict fewer{{"w", Tensor(1.0)}};
  EXPECT_TRUE(a.same_keys(b));
  EXPECT_FALSE(a.same_keys(reordered));
  EXPECT_FALSE(a.same_keys(fewer));
  EXPECT_TRUE(ParamDict().same_keys(ParamDict()));
}

TEST(ParamDictTest, CopiesAreIndependent) {
  ParamDict a{{"w", Tensor(1.0)}, {"b", Tensor(2.0)}};
  ParamDict copy(a);
  copy["w"] = Tensor(9.0);
  copy.erase("b");
  EXPECT_DOUBLE_EQ(a.at("w").item<double>(), 1.0);
  EXPECT_TRUE(a.contains("b"));

  ParamDict assigned;
  assigned["old"] = Tensor(0.0);
  assigned = a;
  EXPECT_THAT(assigned.keys(), ElementsAre("w", "b"));
  EXPECT_FALSE(assigned.contains("old"));
  const ParamDict& alias = assigned;
  assigned = alias;  // self-assignment is harmless
  EXPECT_THAT(assigned.keys(), ElementsAre("w", "b"));

  ParamDict moved(std::move(assigned));
  EXPECT_THAT(moved.keys(), ElementsAre("w", "b"));
  EXPECT_DOUBLE_EQ(moved.at("b").item<double>(), 2.0);
  // A moved-from dict can be cleared and reused.
  assigned.clear();
  assigned["z"] = Tensor(1.0);
  EXPECT_TRUE(assigned.contains("z"));
  EXPECT_EQ(assigned.size(), 1u);
  ParamDict moved_assigned;
  moved_assigned = std::move(moved);
  EXPECT_THAT(moved_assigned.keys(), ElementsAre("w", "b"));
  EXPECT_TRUE(moved_assigned.contains("b"));
}

TEST(ParamDictTest, ValuesAreMutableThroughIteration) {
  ParamDict d{{"w", Tensor(1.0)}, {"b", Tensor(2.0)}};
  for (auto& [name, t] : d) t = t * 10.0;
  EXPECT_DOUBLE_EQ(d.at("w").item<double>(), 10.0);
  EXPECT_DOUBLE_EQ(d.at("b").item<double>(), 20.0);
}

TEST(ParamDictTest, Strings) {
  ParamDict d;
  d["w"] = zeros({3, 2});
  d["b"];
  EXPECT_EQ(d.keys_str(), "{w, b}");
  EXPECT_EQ(d.str(), "ParamDict{w: [3, 2] float32, b: undefined}");
  EXPECT_EQ(ParamDict().keys_str(), "{}");
}

}  // namespace
}  // namespace fnx
