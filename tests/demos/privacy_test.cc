// The RDP accountant of the DP-SGD demo: the full-batch case is the plain
// Gaussian mechanism, and epsilon moves the right way with the noise, the
// sampling rate and the number of steps.
#include "tools/demos/privacy.h"

#include "gtest/gtest.h"

namespace fnx::demos {
namespace {

TEST(Privacy, FullBatchIsTheGaussianMechanism) {
  for (int alpha : {2, 5, 32}) {
    for (double sigma : {0.8, 1.0, 2.5}) {
      EXPECT_NEAR(subsampled_gaussian_rdp(1.0, sigma, alpha),
                  alpha / (2 * sigma * sigma), 1e-9)
          << alpha << " " << sigma;
    }
  }
}

TEST(Privacy, NoSamplingSpendsNothing) {
  EXPECT_NEAR(subsampled_gaussian_rdp(0.0, 1.0, 8), 0.0, 1e-12);
}

TEST(Privacy, SubsamplingAmplifiesPrivacy) {
  EXPECT_LT(subsampled_gaussian_rdp(0.01, 1.0, 8),
            0.01 * subsampled_gaussian_rdp(1.0, 1.0, 8));
}

TEST(Privacy, EpsilonMovesTheRightWay) {
  const double base = dp_epsilon(0.05, 1.0, 200, 1e-5);
  EXPECT_GT(base, 0);
  EXPECT_LT(dp_epsilon(0.05, 2.0, 200, 1e-5), base);
  EXPECT_GT(dp_epsilon(0.05, 1.0, 400, 1e-5), base);
  EXPECT_GT(dp_epsilon(0.10, 1.0, 200, 1e-5), base);
  EXPECT_GT(dp_epsilon(0.05, 1.0, 200, 1e-7), base);
}

}  // namespace
}  // namespace fnx::demos
