// The body of the higher-order primitive custom_call: a user function over
// flat lists of tensors, with the rules the user gave (any subset of vjp,
// jvp and vmap). The typed API over trees is transforms/custom/custom.h;
// this is what every transform's rule for custom_call works with.
//
// A call of a custom function is one primitive call, custom_call, whose
// attributes (CustomAttrs) hold the CustomFunction. With no transform
// active it runs `fwd`. Under a transform it goes to that transform's rule
// for custom_call, which uses the user's rule when there is one and
// otherwise derives it from fwd (or, for the derivatives, from the other
// derivative rule by transposition).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/primitive.h"
#include "core/tensor.h"

namespace fnx {

using TensorList = std::vector<Tensor>;

struct CustomFunction {
  // Named in error messages and in printed graphs.
  std::string name = "custom_function";

  // Input leaves -> output leaves. Required.
  std::function<TensorList(std::span<const Tensor> inputs)> fwd;

  // Reverse mode (custom vjp). bwd maps the residuals and one cotangent per
  // output leaf to one cotangent per input leaf (undefined = zero). When
  // fwd_with_residuals is empty, fwd runs and the residuals are the inputs
  // followed by the outputs.
  std::function<std::pair<TensorList, TensorList>(
      std::span<const Tensor> inputs)>
      fwd_with_residuals;
  std::function<TensorList(std::span<const Tensor> residuals,
                           std::span<const Tensor> cotangents)>
      bwd;

  // Forward mode (custom jvp): primals and one tangent per input leaf (zeros
  // where the input has none) -> outputs and one tangent per output.
  std::function<std::pair<TensorList, TensorList>(
      std::span<const Tensor> primals, std::span<const Tensor> tangents)>
      jvp;

  // Batching (custom vmap): the batch size, each input's batch dim (-1: not
  // batched) and the physical inputs -> outputs and their batch dims (-1:
  // the same for every example). Called once per batch.
  std::function<std::pair<TensorList, std::vector<int64_t>>(
      int64_t batch_size, std::span<const int64_t> in_dims,
      std::span<const Tensor> inputs)>
      vmap;

  // Per input leaf: whether it is differentiated (empty: all are). Leaves
  // marked false get no cotangent and their tangents are ignored.
  std::vector<char> differentiable;

  // compile's tracer runs fwd instead of keeping the call one node, so the
  // graph holds fwd's primitives (it can be saved and fused) and is
  // differentiated through them. For the library's composites whose rules
  // only make derivatives cheaper (linalg::slogdet); a user's custom
  // function stays one node with its rules.
  bool compile_inline = false;

  bool has_vjp() const { return static_cast<bool>(bwd); }
  bool has_jvp() const { return static_cast<bool>(jvp); }
  bool has_vmap() const { return static_cast<bool>(vmap); }
  bool is_differentiable(std::size_t input) const {
    return differentiable.empty() ||
           (input < differentiable.size() && differentiable[input]);
  }
};

// Calls `fn` on `inputs` as one custom_call primitive.
TensorList custom_call(std::shared_ptr<const CustomFunction> fn,
                       std::span<const Tensor> inputs);

// Runs a higher-order primitive's body as it is (what the dispatcher does
// when no transform owns an input): custom_call runs fwd.
TensorList run_higher_order_body(const OpCall& call);

// The outputs and residuals of a function with a custom vjp, run at the
// levels below the caller's: fwd_with_residuals, or (without it) the call
// itself one level down (keeping every rule there) with the inputs and
// outputs as the residuals.
std::pair<TensorList, TensorList> outputs_and_residuals(
    const std::shared_ptr<const CustomFunction>& fn,
    std::span<const Tensor> inputs);

// Runs one of the user's functions of `fn` ("fwd", "bwd", "jvp", "vmap")
// with `part` named in the errors it raises: a tensor of a transform that is
// not active (one the function captured instead of taking as an argument)
// is reported with the custom function's name and what to do.
class CustomCallScope {
 public:
  CustomCallScope(const CustomFunction& fn, const char* part);
  ~CustomCallScope();
  CustomCallScope(const CustomCallScope&) = delete;
  CustomCallScope& operator=(const CustomCallScope&) = delete;

  // The innermost scope's description ("fwd of custom function 'clip'"),
  // or empty outside every scope.
  static std::string current();

 private:
  const CustomFunction* fn_;
  const char* part_;
  const CustomCallScope* outer_;
};

// Inside a bwd: whether the cotangent of input leaf `input` is needed
// (torch's ctx.needs_input_grad). A bwd may return an undefined tensor for
// the others and skip computing them. True outside any backward.
bool custom_needs_input_grad(std::size_t input);

// Set by the transforms around a call of bwd: which inputs need a
// cotangent.
class NeedsInputGradScope {
 public:
  explicit NeedsInputGradScope(std::vector<char> needs);
  ~NeedsInputGradScope();
  NeedsInputGradScope(const NeedsInputGradScope&) = delete;
  NeedsInputGradScope& operator=(const NeedsInputGradScope&) = delete;

 private:
  std::vector<char> needs_;
  const std::vector<char>* outer_;
};

// Checks that a user rule returned `got` tensors where `want` were due.
void check_custom_count(const CustomFunction& fn, const char* part,
                        const char* what, std::size_t got, std::size_t want);

}  // namespace fnx
