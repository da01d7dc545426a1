// Derivatives of the Collective primitives, forward and reverse, which grad
// and jvp register. They follow JAX's transposes, for the program "every
// rank runs f and the result is the sum over ranks of each rank's output":
//   all_reduce(sum)  <-> all_reduce(sum)      (psum is its own transpose)
//   all_reduce(mean) <-> all_reduce(mean)
//   all_gather(dim)  <-> reduce_scatter(sum, dim)
//   reduce_scatter(sum | mean, dim) <-> all_gather(dim) (/ size for mean)
//   broadcast(root)  <-> the sum over ranks, on root (zeros elsewhere)
//   ppermute(pairs)  <-> ppermute(the pairs reversed)
// all_reduce(max | min) is not linear: the result's derivative goes to the
// ranks whose element is the extremum, split evenly between ties (as
// amax/amin do along a dim).
//
// A value every rank holds the same copy of (a replicated parameter) gets
// each rank's own gradient from grad; the gradient of the summed loss is
// their sum, which the dist plugin's all_reduce_gradients does explicitly
// (transforms/distributed/README.md).
//
// Header-only: each plugin (static or shared object) compiles its own copy.
#pragma once

#include <utility>

#include "core/collective.h"
#include "core/dispatch.h"
#include "core/ops/ops.h"

namespace fnx::collective_derivatives {

inline Tensor run(Prim prim, const CollectiveAttrs& a, const Tensor& x) {
  const Tensor inputs[] = {x};
  return dispatch(prim, Attrs{a}, inputs);
}

inline CollectiveAttrs with_op(CollectiveAttrs a, ReduceOp op) {
  a.op = op;
  return a;
}

inline bool is_extremum(Prim prim, const CollectiveAttrs& a) {
  return prim == Prim::AllReduce &&
         (a.op == ReduceOp::Max || a.op == ReduceOp::Min);
}

// Each rank's share of an all_reduce(max | min) result: 1 / (number of
// ranks holding the extremum) where this rank holds it, else 0.
inline Tensor extremum_share(const CollectiveAttrs& a, const Tensor& x,
                             const Tensor& out) {
  const Tensor hit = cast(eq(x, out), x.dtype());
  const Tensor count = run(Prim::AllReduce, with_op(a, ReduceOp::Sum), hit);
  return hit / count;
}

// The tangent of the result from the tangent t of x.
inline Tensor forward(Prim prim, const CollectiveAttrs& a, const Tensor& x,
                      const Tensor& out, const Tensor& t) {
  if (is_extremum(prim, a)) {
    return run(Prim::AllReduce, with_op(a, ReduceOp::Sum),
               t * extremum_share(a, x, out));
  }
  return run(prim, a, t);  // linear: the same collective of the tangent
}

// The cotangent of x from the cotangent g of the result (x and out are
// read only by max and min).
inline Tensor reverse(Prim prim, const CollectiveAttrs& a, const Tensor& x,
                      const Tensor& out, const Tensor& g) {
  if (is_extremum(prim, a)) {
    return run(Prim::AllReduce, with_op(a, ReduceOp::Sum), g) *
           extremum_share(a, x, out);
  }
  switch (prim) {
    case Prim::AllReduce:
      return run(Prim::AllReduce, a, g);
    case Prim::AllGather:
      return run(Prim::ReduceScatter, with_op(a, ReduceOp::Sum), g);
    case Prim::ReduceScatter: {
      const Tensor gathered = run(Prim::AllGather, a, g);
      if (a.op != ReduceOp::Mean) return gathered;
      return gathered / static_cast<double>(a.group->size());
    }
    case Prim::Broadcast: {
      // Every rank takes part in the sum; only root keeps it.
      const Tensor total = run(Prim::AllReduce, with_op(a, ReduceOp::Sum), g);
      return a.group->rank() == a.root ? total : zeros_like(total);
    }
    case Prim::Ppermute: {
      CollectiveAttrs back = a;
      for (auto& [from, to] : back.pairs) std::swap(from, to);
      return run(Prim::Ppermute, back, g);
    }
    default:
      break;
  }
  return Tensor();
}

}  // namespace fnx::collective_derivatives
