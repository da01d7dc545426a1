// The per-example loop fallback: every primitive has a batching rule (so
// nothing reaches the loop; the op-database suites also assert that), and
// the loop itself works, warns once per primitive, can be an error, and is
// recorded.
#include <algorithm>
#include <string>
#include <vector>

#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "tests/vmap/test_util.h"
#include "transforms/vmap/fallback.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

using testing::same_values;
using testing::throws_error;
using vmap_internal::force_fallback_for_testing;

// Sends `prim` through the loop while alive.
class ForceFallback {
 public:
  explicit ForceFallback(Prim prim) : prim_(prim) {
    force_fallback_for_testing(prim_, true);
  }
  ~ForceFallback() { force_fallback_for_testing(prim_, false); }

 private:
  Prim prim_;
};

TEST(VmapRules, EveryPrimitiveHasABatchingRule) {
  const int table = Registry::get().table_id("batching");
  std::string missing;
  for (int i = 0; i < kNumPrims; ++i) {
    if (Registry::get().rule(table, prim_at(i)) == nullptr) {
      missing += std::string(prim_name(prim_at(i))) + " ";
    }
  }
  EXPECT_EQ(missing, "") << "primitives without a batching rule";
  EXPECT_TRUE(vmap_fallback_primitives().empty());
}

TEST(VmapFallback, LoopGivesTheRulesResultsWithOneKernelPerExample) {
  const Tensor a = randn({6, 3, 4}, DType::Float64);
  const Tensor b = randn({6, 4, 2}, DType::Float64);
  auto f = [](const Tensor& x, const Tensor& y) {
    return matmul(x, y).sum({0}) + 1.0;
  };
  const int64_t before_rule = kernel_calls();
  const Tensor by_rule = vmap(f)(a, b);
  const int64_t rule_kernels = kernel_calls() - before_rule;
  ::testing::internal::CaptureStderr();
  Tensor by_loop;
  int64_t loop_kernels = 0;
  {
    ForceFallback mm(Prim::Matmul), sum(Prim::Sum), add(Prim::Add);
    const int64_t before_loop = kernel_calls();
    by_loop = vmap(f)(a, b);
    loop_kernels = kernel_calls() - before_loop;
  }
  const std::string warnings = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(same_values(by_loop, by_rule, 1e-12));
  EXPECT_GE(loop_kernels, rule_kernels + 3 * 6 - 3);
  for (const char* name : {"matmul", "sum", "add"}) {
    EXPECT_NE(warnings.find(std::string("[vmap] warning: ") + name +
                            " has no batching rule"),
              std::string::npos)
        << warnings;
  }
}

TEST(VmapFallback, WarnsOncePerPrimitive) {
  const Tensor x = randn({3, 2});
  ForceFallback force(Prim::Exp);
  ::testing::internal::CaptureStderr();
  vmap([](const Tensor& t) { return exp(t); })(x);
  vmap([](const Tensor& t) { return exp(exp(t)); })(x);
  const std::string warnings = ::testing::internal::GetCapturedStderr();
  const std::string line = "[vmap] warning: exp has no batching rule";
  const auto first = warnings.find(line);
  ASSERT_NE(first, std::string::npos) << warnings;
  EXPECT_EQ(warnings.find(line, first + 1), std::string::npos) << warnings;
}

TEST(VmapFallback, CanBeAnError) {
  const Tensor x = randn({3, 2});
  ForceFallback force(Prim::Neg);
  set_vmap_fallback_error(true);
  EXPECT_TRUE(throws_error(
      [&] { vmap([](const Tensor& t) { return -t; })(x); },
      {"[vmap]", "neg has no batching rule", "set_vmap_fallback_error"}));
  set_vmap_fallback_error(false);
  ::testing::internal::CaptureStderr();
  EXPECT_TRUE(same_values(vmap([](const Tensor& t) { return -t; })(x), -x));
  ::testing::internal::GetCapturedStderr();
}

TEST(VmapFallback, HandlesInPlaceZeroBatchAndUnbatchedInputs) {
  ForceFallback copy(Prim::CopyInto), cat_prim(Prim::Cat);
  ::testing::internal::CaptureStderr();
  const Tensor x = randn({4, 3}), c = randn({3});
  const Tensor got = vmap([&](const Tensor& t) {
    Tensor z = t.clone();
    z.copy_(c);
    return cat({z, t, c});
  })(x);
  EXPECT_TRUE(
      same_values(got, cat({expand(c, {4, 3}), x, expand(c, {4, 3})}, 1)));
  const Tensor empty = vmap([&](const Tensor& t) {
    return cat({t, c});
  })(zeros({0, 3}));
  EXPECT_EQ(empty.shape(), Shape({0, 6}));
  ::testing::internal::GetCapturedStderr();
}

TEST(VmapFallback, RecordsThePrimitivesThatReachedIt) {
  const std::vector<std::string> used = vmap_fallback_primitives();
  for (const char* name :
       {"add", "cat", "copy_into", "exp", "matmul", "neg", "sum"}) {
    EXPECT_NE(std::find(used.begin(), used.end(), name), used.end()) << name;
  }
  EXPECT_TRUE(std::is_sorted(used.begin(), used.end()));
}

}  // namespace
}  // namespace fnx
