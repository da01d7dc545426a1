// The cross-plugin composition suite over the op database: every
// composition below is checked on every float64 sample of every
// differentiable entry (primitive or composite) of op_database(). This
// header is the one place that lists the compositions; op_database()
// (tests/opinfo) is the one place that lists the ops.
#pragma once

#include <string>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "tests/opinfo/differentiation.h"
#include "tests/opinfo/opinfo.h"

namespace fnx::compose {

// One float64 sample, seen as a function of its differentiated inputs x.
struct Case {
  const opinfo::OpInfo* info;
  const opinfo::SampleInput* sample;
  opinfo::Problem p;      // p(x): the op's (floating) output
  std::vector<Tensor> x;  // the differentiated inputs
  bool smooth;            // not at a kink or tie: finite differences apply
  uint64_t seed;          // for the composition's random directions
  Tensor w;               // fixed weights, shaped like p(x)

  // A scalar-valued composition of the op: sum(w * p(x)).
  Tensor phi(const std::vector<Tensor>& xs) const;
  // `count` perturbed copies of x stacked along a new dim 0 (tiny moves,
  // so every copy is a distinct point near x).
  std::vector<Tensor> batch(int64_t count, Generator& gen) const;
};

// A composition's check of one case: false when it does not apply (it
// needs a smooth point, or the case is too big for it), else it records
// gtest failures and returns true.
using Check = bool (*)(const Case& c);

struct Composition {
  std::string name;
  Check check;
  std::string what;  // the transforms and the reference they must equal
};

// The compositions, in the order the suite reports them.
const std::vector<Composition>& compositions();

// Checks (in opdb_compose_forward.cc and opdb_compose_reverse.cc).
bool jvp_matches_finite_differences(const Case& c);
bool jvp_agrees_with_vjp(const Case& c);
bool jacfwd_equals_jacrev(const Case& c);
bool hessians_agree(const Case& c);
bool vmap_of_jvp(const Case& c);
bool jvp_of_vmap(const Case& c);
bool jvp_of_grad(const Case& c);
bool vmap_of_grad(const Case& c);
bool grad_of_vmap(const Case& c);
bool grad_of_grad(const Case& c);
bool vmap_of_vmap_of_grad(const Case& c);
bool view_of_written_base(const Case& c);
bool nested_no_grad(const Case& c);

// Helpers the checks share.
Tensor stack_leaves(const std::vector<std::vector<Tensor>>& per_example,
                    std::size_t leaf);
std::vector<Tensor> example(const std::vector<Tensor>& batched, int64_t b);
double tolerance(const Case& c);

}  // namespace fnx::compose
