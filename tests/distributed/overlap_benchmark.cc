// Benchmark (issue 18): how much of the gradient all-reduce a data-parallel
// step hides behind its backward pass. An MLP of 4 layers of 1024 x 2048
// float32 weights (32 MB of gradients, two 25 MB-or-less buckets and a
// tail) on a per-rank batch of 64, timed four ways (medians, alternating):
//   compute  grad of the loss alone (no communication)
//   reduce   all_reduce_gradients of those gradients alone
//   serial   grad, then all_reduce_gradients
//   overlap  grad with the leaf-gradient hook feeding GradientBuckets
//            (each bucket's all-reduce starts during the backward), then
//            finish()
// Rank 0 prints them and the hidden fraction of the communication,
// (compute + reduce - overlap) / reduce. Build with --config=opt and run
//   tests/distributed/overlap_benchmark.sh    (both bucket sizes, with and
//                                              without the progress thread)
// or by hand
//   FNX_NUM_THREADS=1 tests/distributed/mpirun_test.sh 2 300
//   <bazel-bin>/tests/distributed/overlap_benchmark [reps] [bucket MB]
// (FNX_NUM_THREADS=1 gives each rank one core of a 2-core machine).
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "transforms/distributed/data_parallel.h"
#include "tests/distributed/rank_timing.h"
#include "transforms/distributed/dist.h"
#include "transforms/grad/grad.h"
#include "transforms/grad/leaf_hook.h"

namespace {

using namespace fnx;

constexpr int64_t kLayers = 4, kIn = 1024, kOut = 2048, kBatch = 64;

using fnx::dist_bench::median;
using fnx::dist_bench::seconds_of;

// Each layer maps 1024 features to 2048 and keeps the first 1024 of them
// for the next layer (so the weights are large and the shapes chain).
Tensor loss(const ParamDict& p, const Tensor& x) {
  Tensor h = x;
  for (int64_t l = 0; l < kLayers; ++l) {
    h = tanh(matmul(h, p.at("w" + std::to_string(l))));
    h = narrow(h, 1, 0, kIn);
  }
  return (h * h).mean();
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 10;
  // Bucket size in MB (default DDP's 25): 8 gives each layer its own
  // bucket, started as soon as that layer's backward is done.
  const int64_t bucket_mb = argc > 2 ? std::atoll(argv[2]) : 25;
  dist::init();
  Generator gen(1);
  ParamDict params;
  for (int64_t l = 0; l < kLayers; ++l) {
    params.insert_or_assign("w" + std::to_string(l),
                            randn({kIn, kOut}, DType::Float32, &gen) * 0.03);
  }
  Generator data(2 + static_cast<uint64_t>(dist::rank()));
  const Tensor x = randn({kBatch, kIn}, DType::Float32, &data);

  ParamDict grads;
  auto compute = [&] { grads = grad(loss)(params, x); };
  auto reduce = [&] { dist::all_reduce_gradients(grads); };
  auto serial = [&] { dist::all_reduce_gradients(grad(loss)(params, x)); };
  auto overlap = [&] {
    dist::GradientBuckets buckets(params, dist::world(), ReduceOp::Mean,
                                  bucket_mb << 20);
    {
      LeafGradientHookScope scope(buckets.hook());
      grad(loss)(params, x);
    }
    buckets.finish();
  };
  compute();  // warm-up
  reduce();
  serial();
  overlap();
  std::vector<double> t_compute, t_reduce, t_serial, t_overlap;
  for (int i = 0; i < reps; ++i) {
    t_compute.push_back(seconds_of(compute));
    t_reduce.push_back(seconds_of(reduce));
    t_serial.push_back(seconds_of(serial));
    t_overlap.push_back(seconds_of(overlap));
  }
  int provided = MPI_THREAD_SINGLE;
  MPI_Query_thread(&provided);
  if (dist::rank() == 0) {
    const double c = median(t_compute), r = median(t_reduce),
                 s = median(t_serial), o = median(t_overlap);
    std::printf(
        "data-parallel step on %d ranks, %lld MB of float32 gradients, "
        "batch %lld per rank, %lld MB buckets, progress thread %s (median "
        "of %d, ms)\n",
        dist::size(),
        static_cast<long long>(kLayers * kIn * kOut * 4 / (1 << 20)),
        static_cast<long long>(kBatch), static_cast<long long>(bucket_mb),
        std::getenv("FNX_DIST_PROGRESS_THREAD") == nullptr ||
                std::string(std::getenv("FNX_DIST_PROGRESS_THREAD")) != "1"
            ? "off"
            : (provided == MPI_THREAD_MULTIPLE ? "on" : "off (no MULTIPLE)"),
        reps);
    std::printf("  compute %.2f  reduce %.2f  serial %.2f  overlap %.2f\n",
                c * 1e3, r * 1e3, s * 1e3, o * 1e3);
    std::printf("  communication hidden: %.2f of the all-reduce time\n",
                r > 0 ? (c + r - o) / r : 0.0);
  }
  return 0;
}
