// The MAML demo, short: the vmapped meta-gradient equals the loop over
// tasks, and meta-training lowers the held-out loss after adaptation.
#include "tools/demos/maml_demo.h"

#include <sstream>

#include "gtest/gtest.h"

namespace fnx::demos {
namespace {

TEST(MamlDemo, MetaTrainingHelps) {
  MamlConfig config;
  config.meta_steps = 60;
  config.log_every = 20;
  std::ostringstream out;
  const MamlResult r = run_maml_demo(config, out);
  EXPECT_LT(r.vmap_vs_loop, 1e-10);
  EXPECT_LT(r.after, 0.8 * r.before)
      << "before " << r.before << " after " << r.after;
}

}  // namespace
}  // namespace fnx::demos
