// DP-SGD across ranks on the UCI digits (issue 18's demo): every rank
// takes its share of each batch, clips and sums its per-sample gradients,
// the sums are all-reduced, and every rank adds the same noise (one
// generator seed) before the update. The printed losses and parameter
// checksum are those of the one-process run on whole batches (up to
// rounding: run_dpsgd_ranks.sh compares them).
//
//   bazel build //transforms/distributed/demo:dpsgd_ranks
//   transforms/distributed/demo/run_dpsgd_ranks.sh 2
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "core/generator.h"
#include "core/ops/ops.h"
#include "tools/demos/digits.h"
#include "transforms/distributed/demo/dp_sgd_digits.h"
#include "transforms/distributed/dist.h"
#include "transforms/distributed/failure.h"

namespace {

using namespace fnx;

int train(const std::string& argv0, int epochs) {
  absl::StatusOr<demos::Digits> digits =
      demos::load_digits(demos::find_data_file(argv0, "digits.csv.gz"));
  if (!digits.ok()) fail("dpsgd_ranks", digits.status().ToString());
  const demos::DigitsSplit data = demos::split_digits(*digits, 0.2);
  const Tensor images = data.train.images.to(DType::Float64);
  const Tensor& labels = data.train.labels;
  const dist::DpSgdDigitsConfig config;
  ParamDict p = dist::digits_mlp(config);
  Generator noise(1);
  for (int epoch = 0; epoch < epochs; ++epoch) {
    dist::dp_sgd_digits_epoch(p, images, labels, config, noise);
    const double loss =
        cross_entropy(dist::digits_logits(p, images), labels).item<double>();
    if (dist::rank() == 0) std::printf("epoch %d loss %.12f\n", epoch, loss);
  }
  double checksum = 0;
  for (const auto& [name, value] : p)
    checksum += value.abs().sum().item<double>();
  const Tensor test_logits =
      dist::digits_logits(p, data.test.images.to(DType::Float64));
  const double accuracy = eq(argmax(test_logits, 1), data.test.labels)
                              .to(DType::Float64)
                              .mean()
                              .item<double>();
  if (dist::rank() == 0) {
    std::printf("ranks %d batch %lld (%lld per rank)\n", dist::size(),
                static_cast<long long>(config.batch),
                static_cast<long long>(config.batch / dist::size()));
    std::printf("checksum %.12f\n", checksum);
    std::printf("test accuracy %.4f\n", accuracy);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  dist::init();
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 2;
  return dist::run([&] { return train(argv[0], epochs); });
}
