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

#include "core/generator.h"
#include "core/ops/ops.h"
#include "tools/demos/digits.h"
#include "tools/demos/dp_sgd.h"
#include "transforms/distributed/demo/dp_sgd_ranks.h"
#include "transforms/distributed/dist.h"
#include "transforms/distributed/failure.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace {

using namespace fnx;

constexpr int64_t kBatch = 64, kHidden = 32;
constexpr double kClip = 1.0, kNoise = 1.0, kLr = 0.5;

Tensor logits(const ParamDict& p, const Tensor& x) {
  const Tensor h = tanh(matmul(x, p.at("w1")) + p.at("b1"));
  return matmul(h, p.at("w2")) + p.at("b2");
}

Tensor example_loss(const ParamDict& p, const Tensor& x, const Tensor& y) {
  return cross_entropy(logits(p, x.unsqueeze(0)), y.unsqueeze(0));
}

// The privatized gradient of a whole batch from this rank's share of it.
ParamDict private_gradient(const ParamDict& p, const Tensor& xs,
                           const Tensor& ys, int64_t batch, Generator& gen) {
  const ParamDict per_sample =
      vmap(grad(example_loss), {none, 0, 0})(p, xs, ys);
  return dist::privatize_across_ranks(per_sample, xs.shape()[0], batch, kClip,
                                      kNoise, gen);
}

int train(const std::string& argv0, int epochs) {
  absl::StatusOr<demos::Digits> digits =
      demos::load_digits(demos::find_data_file(argv0, "digits.csv.gz"));
  if (!digits.ok()) fail("dpsgd_ranks", digits.status().ToString());
  const demos::DigitsSplit data = demos::split_digits(*digits, 0.2);
  const Tensor images = data.train.images.to(DType::Float64);
  const Tensor& labels = data.train.labels;
  Generator init(0);
  ParamDict p{{"w1", randn({64, kHidden}, DType::Float64, &init) * 0.1},
              {"b1", zeros({kHidden}, DType::Float64)},
              {"w2", randn({kHidden, 10}, DType::Float64, &init) * 0.1},
              {"b2", zeros({10}, DType::Float64)}};
  Generator noise(1);
  const int64_t n = dist::size(), share = kBatch / n;
  const int64_t batches = images.shape()[0] / kBatch;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    for (int64_t b = 0; b < batches; ++b) {
      const int64_t start = b * kBatch + dist::rank() * share;
      const ParamDict g =
          private_gradient(p, narrow(images, 0, start, share),
                           narrow(labels, 0, start, share), kBatch, noise);
      for (auto& [name, value] : p) value = value - g.at(name) * kLr;
    }
    const double loss = cross_entropy(logits(p, images), labels).item<double>();
    if (dist::rank() == 0) std::printf("epoch %d loss %.12f\n", epoch, loss);
  }
  double checksum = 0;
  for (const auto& [name, value] : p)
    checksum += value.abs().sum().item<double>();
  const Tensor test_logits = logits(p, data.test.images.to(DType::Float64));
  const double accuracy = eq(argmax(test_logits, 1), data.test.labels)
                              .to(DType::Float64)
                              .mean()
                              .item<double>();
  if (dist::rank() == 0) {
    std::printf("ranks %d batch %lld (%lld per rank)\n", dist::size(),
                static_cast<long long>(kBatch), static_cast<long long>(share));
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
