// A program that fails on purpose, for failure_test.sh:
//   throw     rank 1 throws an fnx::Error while rank 0 waits in all_reduce
//   crash     rank 1 aborts (SIGABRT) while rank 0 waits in all_reduce
//   mismatch  rank 0 calls all_reduce, rank 1 all_gather (run it with
//             FNX_DIST_DEBUG=1: both ranks report the mismatch)
//   shape     both call all_reduce, on 4 and 5 elements (FNX_DIST_DEBUG=1)
//   run       like throw, inside dist::run
//   bucket    like throw, with rank 0 waiting for a GradientBuckets
//             all-reduce that the progress thread polls
//   bucket_shape  both start a bucket all-reduce, of 4 and 5 elements
//             (FNX_DIST_DEBUG=1)
// Without a failure the job would hang in rank 0's collective.
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "transforms/distributed/data_parallel.h"
#include "transforms/distributed/dist.h"
#include "transforms/distributed/failure.h"

namespace {

int fail_on_rank_1(const char* mode) {
  using namespace fnx;
  const Tensor x = ones({4}, DType::Float64);
  if (std::strcmp(mode, "mismatch") == 0) {
    const Tensor y =
        dist::rank() == 0 ? dist::all_reduce(x) : dist::all_gather(x);
    std::cout << "rank " << dist::rank() << " got " << y.str() << "\n";
    return 0;
  }
  if (std::strcmp(mode, "bucket") == 0 ||
      std::strcmp(mode, "bucket_shape") == 0) {
    const bool shape = std::strcmp(mode, "bucket_shape") == 0;
    if (!shape && dist::rank() == 1) {
      fail("failure_main", "rank 1 gives up on purpose");
    }
    ParamDict p;
    p.insert_or_assign("w", ones({4 + (shape ? dist::rank() : 0)},
                                 DType::Float64));
    dist::GradientBuckets buckets(p, dist::world());
    buckets.ready("w", p.at("w"));
    buckets.finish();  // waits for rank 1, which never comes
    return 0;
  }
  if (std::strcmp(mode, "shape") == 0) {
    dist::all_reduce(ones({4 + dist::rank()}, DType::Float64));
    return 0;
  }
  if (dist::rank() == 1) {
    if (std::strcmp(mode, "crash") == 0) std::abort();
    fail("failure_main", "rank 1 gives up on purpose");
  }
  dist::all_reduce(x);  // waits for rank 1, which never comes
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "throw";
  fnx::dist::init();
  if (std::strcmp(mode, "run") == 0) {
    return fnx::dist::run([] { return fail_on_rank_1("throw"); });
  }
  return fail_on_rank_1(mode);
}
