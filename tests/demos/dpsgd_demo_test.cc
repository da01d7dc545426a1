// DP-SGD on the digits, short: the data loads, both runs learn, private
// training is above a useful accuracy and not above the non-private one by
// much.
#include "tools/demos/dpsgd_demo.h"

#include <sstream>

#include "gtest/gtest.h"
#include "tools/demos/digits.h"

namespace fnx::demos {
namespace {

DigitsSplit load_split() {
  const absl::StatusOr<Digits> digits =
      load_digits(find_data_file("", "digits.csv.gz"));
  EXPECT_TRUE(digits.ok()) << digits.status().ToString();
  return split_digits(*digits, 0.2);
}

TEST(Digits, LoadsAllImagesWithLabels) {
  const absl::StatusOr<Digits> digits =
      load_digits(find_data_file("", "digits.csv.gz"));
  ASSERT_TRUE(digits.ok()) << digits.status().ToString();
  EXPECT_EQ(digits->images.shape(), (Shape{1797, 64}));
  EXPECT_EQ(digits->labels.shape(), (Shape{1797}));
  const DigitsSplit split = split_digits(*digits, 0.2);
  EXPECT_EQ(split.test.labels.size(0), 359);
  EXPECT_EQ(split.train.labels.size(0), 1797 - 359);
  // The split is the same every time.
  const DigitsSplit again = split_digits(*digits, 0.2);
  EXPECT_EQ(again.test.labels.to_vector(), split.test.labels.to_vector());
}

TEST(Digits, MissingFileIsAStatus) {
  const absl::StatusOr<Digits> digits = load_digits("no/such/digits.csv.gz");
  EXPECT_EQ(digits.status().code(), absl::StatusCode::kNotFound);
}

TEST(DpsgdDemo, PrivateTrainingLearnsTheDigits) {
  const DigitsSplit data = load_split();
  DpsgdConfig config;
  config.epochs = 4;
  std::ostringstream out;
  const DpsgdResult r = run_dpsgd_demo(config, data, out);
  ASSERT_EQ(r.private_run.epoch_losses.size(), 4u);
  EXPECT_LT(r.private_run.epoch_losses.back(),
            r.private_run.epoch_losses.front());
  EXPECT_LT(r.non_private_run.epoch_losses.back(),
            r.non_private_run.epoch_losses.front());
  EXPECT_GT(r.private_run.test_accuracy, 0.7);
  EXPECT_GT(r.non_private_run.test_accuracy, 0.85);
  EXPECT_GT(r.epsilon, 0.1);
  EXPECT_LT(r.epsilon, 10.0);
  EXPECT_NE(out.str().find("test accuracy: private"), std::string::npos);
}

TEST(DpsgdDemo, TheMlpVariantLearnsToo) {
  const DigitsSplit data = load_split();
  DpsgdConfig config;
  config.cnn = false;
  config.epochs = 3;
  std::ostringstream out;
  const DpsgdResult r = run_dpsgd_demo(config, data, out);
  EXPECT_GT(r.private_run.test_accuracy, 0.6);
  EXPECT_GT(r.non_private_run.test_accuracy, 0.85);
  EXPECT_NE(out.str().find("MLP 64 -> 32 -> 10"), std::string::npos);
}

}  // namespace
}  // namespace fnx::demos
