// Data-parallel gradients (torch DDP's reducer, without autograd hooks):
// the gradients of replicated parameters are all-reduced in buckets of
// about 25 MB, each bucket started (MPI_Iallreduce) as soon as every
// gradient in it is ready, so communication overlaps whatever the program
// does before finish() — the rest of its backward pass when it hands the
// gradients over layer by layer, last layer first.
//
//   dist::GradientBuckets buckets(params, dist::world());
//   for (layer in reverse) buckets.ready(name, grad);   // starts buckets
//   ParamDict mean_grads = buckets.finish();            // waits
//
// Buckets follow the parameters in reverse order of `like` (the order
// backward produces them) and hold one dtype each; every rank builds the
// same buckets from the same parameters. `all_reduce_gradients` (dist.h)
// is the one-call form.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/param_dict.h"
#include "transforms/distributed/process_group.h"

namespace fnx::dist {

inline constexpr int64_t kDefaultBucketBytes = 25 << 20;

class GradientBuckets {
 public:
  // `like`: the parameters (names, shapes, dtypes) whose gradients come.
  // op: Mean (the gradient of the mean loss over ranks) or Sum.
  GradientBuckets(const ParamDict& like, Group group,
                  ReduceOp op = ReduceOp::Mean,
                  int64_t bucket_bytes = kDefaultBucketBytes);

  // The gradient of `name` is final (undefined = zero). Starts its bucket's
  // all-reduce when the bucket is complete.
  void ready(const std::string& name, const Tensor& grad);
  // Waits for every bucket and returns the reduced gradients in `like`'s
  // order. Every gradient must have been handed over.
  ParamDict finish();

  // Hands each gradient over as the backward pass finishes it, so buckets
  // start while the rest of the backward runs (DDP's overlap):
  //   { LeafGradientHookScope scope(buckets.hook());   // grad/leaf_hook.h
  //     grad(loss)(params, batch); }                    // params like `like`
  //   ParamDict reduced = buckets.finish();
  // Leaf i of the differentiated argument is `like`'s i-th parameter.
  std::function<void(std::size_t, const Tensor&)> hook();

  int num_buckets() const { return static_cast<int>(buckets_.size()); }

 private:
  struct Slot {
    std::string name;
    Shape shape;
    DType dtype;
    int bucket = 0;
    Tensor grad;
    bool ready = false;
  };
  struct Bucket {
    std::vector<int> slots;
    int missing = 0;
    Tensor buffer;
    std::function<void()> wait;
  };
  void start(Bucket& bucket);

  Group group_;
  ReduceOp op_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
};

}  // namespace fnx::dist
