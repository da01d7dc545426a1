// The demo list of `fnx demo`: the six demos, in order, each runnable.
#include "tools/demos/demos.h"

#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace fnx::demos {
namespace {

TEST(Demos, SixInOrder) {
  std::vector<std::string> names;
  for (const Demo& d : all_demos()) {
    names.emplace_back(d.name);
    EXPECT_FALSE(d.summary.empty()) << d.name;
    EXPECT_NE(d.run, nullptr) << d.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"seed", "dpsgd", "ensemble",
                                             "maml", "charlm", "charlm-lstm"}));
  // The minute-long training demos run only when named.
  for (const Demo& d : all_demos()) {
    EXPECT_EQ(d.in_all, d.name.rfind("charlm", 0) != 0) << d.name;
  }
}

TEST(Demos, SeedRunsThroughTheList) {
  std::ostringstream out;
  EXPECT_EQ(all_demos()[0].run("", out), 0);
  EXPECT_NE(out.str().find("[dot] expected two 1-D tensors"),
            std::string::npos);
}

}  // namespace
}  // namespace fnx::demos
