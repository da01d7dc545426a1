// The seed demo's examples give the results the talk shows.
#include "tools/demos/seed_demo.h"

#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace fnx::demos {
namespace {

TEST(SeedDemo, EveryExampleMatchesItsReference) {
  std::ostringstream out;
  const SeedResult r = run_seed_demo(out);
  EXPECT_LT(r.vmap_dot_vs_loop, 1e-5);
  EXPECT_NE(r.dot_error.find("[dot] expected two 1-D tensors"),
            std::string::npos)
      << r.dot_error;
  EXPECT_LT(r.grad_sin_error, 1e-12);
  EXPECT_LT(r.grad_grad_sin_error, 1e-12);
  EXPECT_LT(r.per_sample_vs_loop, 1e-5);
  EXPECT_LT(r.functional_call_vs_forward, 1e-6);
  EXPECT_LT(r.ensemble_vs_loop, 1e-5);
  EXPECT_DOUBLE_EQ(r.no_grad_gradient, 1.0);
  const std::string text = out.str();
  for (const char* section :
       {"vmap(dot)", "grad(grad(sin))", "per-sample", "functional_call",
        "stack_module_state", "no_grad gotcha"}) {
    EXPECT_NE(text.find(section), std::string::npos) << section;
  }
}

}  // namespace
}  // namespace fnx::demos
