// Benchmark (issue 18): all_reduce of 64 MB of float32 through fnx
// (dist::all_reduce: the primitive, its kernel, the MPI group) against a
// plain MPI_Allreduce of preallocated buffers, on the ranks mpirun starts.
// Rank 0 prints both bandwidths and fnx's as a fraction of MPI's (the
// issue's goal: >= 0.95). Build with --config=opt and run
//   tests/distributed/mpirun_test.sh 2 300
//   <bazel-bin>/tests/distributed/all_reduce_bandwidth
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "core/ops/ops.h"
#include "tests/distributed/rank_timing.h"
#include "transforms/distributed/dist.h"

namespace {

constexpr int64_t kElements = (64 << 20) / sizeof(float);

using fnx::dist_bench::median;
using fnx::dist_bench::seconds_of;

}  // namespace

int main(int argc, char** argv) {
  using namespace fnx;
  const int reps = argc > 1 ? std::atoi(argv[1]) : 10;
  dist::init();
  const Tensor x = ones({kElements}, DType::Float32);
  std::vector<float> in(kElements, 1.0f), out(kElements);
  auto plain = [&] {
    MPI_Allreduce(in.data(), out.data(), static_cast<int>(kElements), MPI_FLOAT,
                  MPI_SUM, MPI_COMM_WORLD);
  };
  Tensor y;
  auto through = [&] { y = dist::all_reduce(x); };
  plain();  // warm-up: connections, pages, cached blocks
  through();
  // Alternating, so that load on the machine hits both alike.
  std::vector<double> plain_times, fnx_times;
  for (int i = 0; i < reps; ++i) {
    plain_times.push_back(seconds_of(plain));
    fnx_times.push_back(seconds_of(through));
  }
  const double mpi = median(plain_times);
  const double through_fnx = median(fnx_times);
  if (dist::rank() == 0) {
    const double mb = kElements * sizeof(float) / 1e6;
    std::printf(
        "all_reduce of %.0f MB float32 on %d ranks (median of %d)\n"
        "  MPI_Allreduce   %8.2f ms  %8.1f MB/s\n"
        "  dist::all_reduce %7.2f ms  %8.1f MB/s\n"
        "  fnx / MPI bandwidth: %.3f\n",
        mb, dist::size(), reps, mpi * 1e3, mb / mpi, through_fnx * 1e3,
        mb / through_fnx, mpi / through_fnx);
  }
  return select(y, 0, 0).item<float>() == static_cast<float>(dist::size()) ? 0
                                                                           : 1;
}
