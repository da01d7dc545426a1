// The ensemble demo, short: the stacked forward matches each model, and
// every model's loss falls.
#include "tools/demos/ensemble_demo.h"

#include <sstream>

#include "gtest/gtest.h"

namespace fnx::demos {
namespace {

TEST(EnsembleDemo, EveryModelLearns) {
  EnsembleConfig config;
  config.models = 4;
  config.steps = 100;
  std::ostringstream out;
  const EnsembleResult r = run_ensemble_demo(config, out);
  EXPECT_LT(r.stacked_vs_loop, 1e-5);
  ASSERT_EQ(r.first_losses.size(), 4u);
  ASSERT_EQ(r.last_losses.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_LT(r.last_losses[i], 0.2 * r.first_losses[i]) << "model " << i;
  }
  EXPECT_LT(r.ensemble_mean_loss, 0.1);
}

}  // namespace
}  // namespace fnx::demos
