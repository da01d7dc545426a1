// Benchmark (issue 18): one DP-SGD epoch on the UCI digits (the demo's
// model, transforms/distributed/demo/dp_sgd_digits.h: batches of 64, an
// MLP 64 -> 32 -> 10, per-sample clipping, noise, float64) as one process
// and as N ranks, each rank taking 64 / N examples of every batch and the
// clipped sums all-reduced. Google Benchmark with a fixed iteration count
// (1 epoch per iteration, repetitions), so every rank runs the same epochs
// in step; only rank 0 reports. Build with --config=opt and run
//   tests/distributed/dpsgd_epoch_benchmark.sh   (1 process, then 2 ranks)
#include <benchmark/benchmark.h>

#include <string>

#include "core/error.h"
#include "core/generator.h"
#include "core/ops/ops.h"
#include "tools/demos/digits.h"
#include "transforms/distributed/demo/dp_sgd_digits.h"
#include "transforms/distributed/dist.h"

namespace {

using namespace fnx;

// Ranks other than 0 run the same benchmarks silently.
class SilentReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

int main(int argc, char** argv) {
  dist::init();
  absl::StatusOr<demos::Digits> digits =
      demos::load_digits(demos::find_data_file(argv[0], "digits.csv.gz"));
  if (!digits.ok()) fail("dpsgd_epoch_benchmark", digits.status().ToString());
  const demos::DigitsSplit data = demos::split_digits(*digits, 0.2);
  const Tensor images = data.train.images.to(DType::Float64);
  const Tensor labels = data.train.labels;
  const dist::DpSgdDigitsConfig config;

  benchmark::Initialize(&argc, argv);
  const std::string name =
      "dp_sgd_digits_epoch/ranks:" + std::to_string(dist::size());
  benchmark::RegisterBenchmark(
      name.c_str(),
      [&](benchmark::State& state) {
        ParamDict p = dist::digits_mlp(config);
        Generator noise(1);
        for (auto _ : state) {
          dist::dp_sgd_digits_epoch(p, images, labels, config, noise);
        }
        state.counters["examples"] = static_cast<double>(images.shape()[0]);
      })
      ->Iterations(1)
      ->Repetitions(5)
      ->ReportAggregatesOnly(false)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  if (dist::rank() == 0) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    SilentReporter silent;
    benchmark::RunSpecifiedBenchmarks(&silent);
  }
  benchmark::Shutdown();
  return 0;
}
