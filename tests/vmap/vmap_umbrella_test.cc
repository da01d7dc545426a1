// The design's examples, written as a user would: one include, `using
// namespace fnx`, and the //:fnx target.
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"

using namespace fnx;  // NOLINT(build/namespaces): as the users' example

namespace {

Tensor per_example_loss(const Tensor& w, const Tensor& ex, const Tensor& t) {
  Tensor y = relu(dot(ex, w));
  return mean(square(y - t));
}

TEST(VmapUmbrella, DesignExamplesCompileAndRun) {
  Tensor x = randn({10, 100}), y = randn({10, 100});
  Tensor d = vmap(dot)(x, y);  // batched dot, shape {10}
  EXPECT_EQ(d.shape(), Shape({10}));
  EXPECT_TRUE(allclose(d, (x * y).sum({1}), 1e-4, 1e-4));

  Tensor w = randn({100}), targets = randn({10});
  Tensor losses = vmap(per_example_loss, {none, 0, 0})(w, x, targets);
  EXPECT_EQ(losses.shape(), Shape({10}));
  EXPECT_FLOAT_EQ(losses[3].item<float>(),
                  per_example_loss(w, x[3], targets[3]).item<float>());
}

TEST(VmapUmbrella, OptionsWithDesignatedInitializers) {
  Tensor x = randn({8, 4});
  auto f = vmap([](const Tensor& v) { return v + rand({4}); }, 0, 0,
                VmapOptions{.randomness = Randomness::different,
                            .chunk_size = 3,
                            .axis_size = std::nullopt});
  EXPECT_EQ(f(x).shape(), Shape({8, 4}));
}

}  // namespace
