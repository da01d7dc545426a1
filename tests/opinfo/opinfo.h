// The op database: one OpInfo per public op of core/ops/ops.h (primitive or
// composite), each with sample inputs and a naive float64 reference. Every
// generic suite (the reference test here; vmap vs a per-example loop, VJP
// and JVP vs finite differences and their compositions elsewhere) iterates
// over it:
//
//   for (const OpInfo& info : op_database()) {
//     for_each_sample(info, [&](DType dtype, size_t i, const SampleInput& s) {
//       SCOPED_TRACE(sample_id(info, dtype, i));
//       Tensor out = info.op_for(s)(s.inputs);
//       Nd expected = info.reference_for(s)(s.inputs);
//       ...
//
// (for_each_sample seeds a Generator with sample_seed(info, dtype) for each
// dtype of the entry, so every suite sees the same inputs.)
//
// Design:
//  - An op is a callable over a vector of Tensor inputs. Only tensors are
//    inputs; every non-tensor parameter (dims, keepdim, stride, a target
//    dtype, a pad value, a class count...) is bound into a closure.
//  - Parameters that are the same for all samples live in OpInfo::op and
//    OpInfo::reference. When they vary (reduction dims, slice bounds, conv
//    geometry...) the sample carries its own pair `op` / `reference` (both
//    set or both empty) and says what it bound in `desc`. op_for() and
//    reference_for() pick the right one; suites must always call them.
//  - Inputs may be of any dtype: the `dtype` argument of samples() is the
//    dtype of the op's floating/"main" operands; index operands stay int64,
//    masks stay bool. diff_args lists the inputs that are differentiable
//    (floating, not indices); a listed index at or past a sample's input
//    count is simply absent in that sample (optional bias, say). Gradient
//    suites also skip samples whose listed inputs or result are not
//    floating (cast to int64, exp of an int64 tensor...).
//  - Ops that return several tensors (split, chunk, unbind) are entered as a
//    single-tensor function: the outputs concatenated (stacked for unbind)
//    in REVERSED order, which checks every boundary and the piece count.
//  - Creation ops have no tensor inputs (inputs is empty). Random ops are
//    not functions of their inputs and live in random_test.cc, except the
//    deterministic corners kept here (bernoulli with p in {0, 1}, uniform
//    with low == high, dropout with p = 0 or training = false).
//  - Sample tags (SampleInput::tags) say what a sample exercises; suites
//    filter on them:
//      "basic"        plain contiguous inputs
//      "broadcast"    operands of different shapes that broadcast
//      "noncontig"    at least one input is a non-contiguous view
//                     (transposed or step-sliced)
//      "expanded"     an input has a zero stride (an expand() view)
//      "zero-size"    an input or the result has no elements
//      "scalar"       a 0-d input or a 0-d result
//      "promote"      operands of different dtypes (type promotion)
//      "copy"         a view op whose result cannot be a view (reshape of a
//                     non-viewable layout): it copies
//      "nondiff-point" an input sits where the op is not differentiable
//                     (abs at 0, relu at 0, clamp at a bound...): finite
//                     differences must skip it
//      "ties"         equal values compete (argmax, amax, maximum): the
//                     gradient is a convention, finite differences skip it
//  - The reference (reference.h) is an independent oracle: plain loops over
//    data read directly from storage; it never calls an fnx op.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/generator.h"
#include "core/tensor.h"
#include "tests/opinfo/reference.h"

namespace fnx::opinfo {

using TensorList = std::vector<Tensor>;
using OpFn = std::function<Tensor(const TensorList&)>;
using RefFn = std::function<Nd(const TensorList&)>;

// An in-place sample's write: mutates inputs[0] (through whatever view the
// sample names) using the other inputs.
using MutateFn = std::function<void(TensorList&)>;

struct SampleInput {
  TensorList inputs;
  std::vector<std::string> tags;  // see the header comment
  std::string desc;               // bound parameters, in words
  OpFn op;                        // per-sample op (empty: OpInfo::op)
  RefFn reference;                // set exactly when op is
  // In-place entries only: the write itself. `op` is "clone inputs[0],
  // mutate the clone, return it", so every suite sees a function.
  MutateFn mutate;

  bool has_tag(std::string_view tag) const;
};

struct Tolerance {
  double atol = 0, rtol = 0;
};

enum class Impl { kPrimitive, kComposite };

struct OpInfo {
  std::string name;    // the ops.h function; "name.variant" for overloads
  std::string family;  // unary, binary, compare, where, cast, reduce, view,
                       // shape, index, linalg, conv, nn, memory, creation,
                       // random
  OpFn op;
  RefFn reference;
  std::function<std::vector<SampleInput>(DType, Generator&)> samples;
  std::vector<DType> dtypes;
  bool differentiable = true;
  std::vector<int> diff_args;
  Impl impl = Impl::kPrimitive;
  Tolerance tol32{1e-5, 1e-5};
  Tolerance tol64{1e-10, 1e-10};
  // The result is a view of inputs[0] (shares its storage) except in
  // samples tagged "copy".
  bool is_view = false;
  // An in-place op: its samples carry `mutate`, which writes into
  // inputs[0]; op returns that write applied to a clone of inputs[0].
  bool in_place = false;
  // Whether samples() must contain a "zero-size" / "scalar" sample (checked
  // by the database test; false where the op has no such case).
  bool needs_zero_size = true;
  bool needs_scalar = true;

  const OpFn& op_for(const SampleInput& sample) const {
    return sample.op ? sample.op : op;
  }
  const RefFn& reference_for(const SampleInput& sample) const {
    return sample.reference ? sample.reference : reference;
  }
  // Integer and bool results compare exactly.
  Tolerance tolerance(DType dtype) const;
};

const std::vector<OpInfo>& op_database();
const OpInfo* find_op(std::string_view name);  // null when absent
// The generator seed every suite uses for (op, dtype), so all suites see
// the same samples.
uint64_t sample_seed(const OpInfo& info, DType dtype);
// Calls fn(dtype, index, sample) for every dtype of the entry and every
// sample drawn for it (with a Generator seeded by sample_seed).
void for_each_sample(
    const OpInfo& info,
    const std::function<void(DType, size_t, const SampleInput&)>& fn);
// "op|dtype|index": how suites name a sample (and list known failures).
std::string sample_id(const OpInfo& info, DType dtype, size_t index);
std::string impl_name(Impl impl);  // "primitive" / "composite"

}  // namespace fnx::opinfo
