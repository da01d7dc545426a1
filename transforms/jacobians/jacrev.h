// jacrev: the Jacobian by reverse mode, as torch.func.jacrev, built only
// from the public vjp (transforms/grad/grad.h) and vmap
// (transforms/vmap/vmap.h): one vjp, then its pullback vmapped over the
// standard basis of the output.
//
//   Tensor J = jacrev(f)(x);                 // shape out.shape + x.shape
//   auto [Jw, Jb] = jacrev<0, 1>(f)(w, b, x);
//   auto [J, aux] = jacrev(g, {.has_aux = true})(x);   // g returns
//                                                     // std::pair{out, aux}
//   jacrev(f, {.chunk_size = 16})(x);        // 16 basis rows per vmap
//
// - argnums select arguments as grad's do; each Jacobian tree is shaped
//   like its argument with leaves of shape out.shape + leaf.shape.
// - f may return a Tensor (the Jacobian trees as above) or a tree of
//   tensors: std::tuple and std::vector outputs give the same structure
//   with the Jacobian of each leaf in its place (auto [Ja, Jb] = jacrev(g)
//   for g returning std::tuple{a, b}); other trees (ParamDict, structs) a
//   std::vector with one entry per output leaf, in tree_flatten order.
// - chunk_size bounds memory: that many basis rows per vmap call (unset:
//   all at once; 1: a plain loop over rows, with no vmap at all). The
//   result does not depend on it.
// - Composes: jacrev(jacrev(f)) is the Hessian; vmap(jacrev(f)) batches it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/interpreter.h"
#include "core/ops/ops.h"
#include "core/tree.h"
#include "transforms/grad/grad.h"
#include "transforms/jacobians/argument_selection.h"
#include "transforms/vmap/vmap.h"

namespace fnx {

struct JacrevOptions {
  bool has_aux = false;  // f returns std::pair{output, aux}
  std::optional<int64_t> chunk_size = std::nullopt;
};

namespace jacrev_internal {

using jacobian_internal::call_with_selected;
using jacobian_internal::kIsPair;
using jacobian_internal::Value;

// Rows [r0, r1) of the identity of size m, split per output leaf and
// shaped (rows, *leaf shape) -- or (*leaf shape) for a single row when
// `squeeze`.
inline std::vector<Tensor> basis_rows(const std::vector<Tensor>& outs,
                                      int64_t m, int64_t r0, int64_t r1,
                                      bool squeeze) {
  const Tensor rows = unsqueeze(arange(r1 - r0) + static_cast<double>(r0), 1);
  const Tensor cols = unsqueeze(arange(m), 0);
  const Tensor eye_rows = eq(rows, cols);
  std::vector<Tensor> cts;
  int64_t offset = 0;
  for (const Tensor& o : outs) {
    Tensor piece = slice(eye_rows, 1, offset, offset + o.numel());
    Shape shape = o.shape();
    if (!squeeze) shape.insert(shape.begin(), r1 - r0);
    cts.push_back(reshape(cast(piece, o.dtype()), shape));
    offset += o.numel();
  }
  return cts;
}

// Concatenates per-chunk gradients along the row dim, per input leaf.
inline std::vector<Tensor> concat_rows(
    const std::vector<std::vector<Tensor>>& chunks) {
  std::vector<Tensor> rows;
  for (std::size_t k = 0; k < chunks.front().size(); ++k) {
    std::vector<Tensor> parts;
    for (const auto& c : chunks) parts.push_back(c[k]);
    rows.push_back(parts.size() == 1 ? parts[0] : cat(parts, 0));
  }
  return rows;
}

// The gradient of every basis row, per input leaf: (m, *input leaf shape)
// with m the number of output elements.
template <typename Out, typename Fn>
std::vector<Tensor> jacobian_rows(const Out& out,
                                  const std::vector<Tensor>& outs,
                                  const std::vector<Tensor>& ins,
                                  const Fn& vjp_fn,
                                  std::optional<int64_t> chunk_size) {
  FNX_CHECK(!chunk_size || *chunk_size >= 1, "jacrev",
            "chunk_size must be >= 1 (or unset), got ", chunk_size.value_or(0));
  int64_t m = 0;
  for (const Tensor& o : outs) m += o.numel();
  if (m == 0) {
    std::vector<Tensor> rows;
    for (const Tensor& in : ins) {
      Shape shape = in.shape();
      shape.insert(shape.begin(), 0);
      rows.push_back(zeros(shape, in.dtype(), in.device()));
    }
    return rows;
  }
  const int64_t chunk = chunk_size.value_or(m);
  auto flat_grads = [&](const Out& ct) { return tree_flatten(vjp_fn(ct)); };
  std::vector<std::vector<Tensor>> chunks;
  for (int64_t r0 = 0; r0 < m; r0 += chunk) {
    const int64_t r1 = std::min(m, r0 + chunk);
    if (chunk == 1) {
      // A plain loop: no vmap constraints (torch.func's chunk_size=1).
      const Out ct = tree_unflatten(out, basis_rows(outs, m, r0, r1, true));
      std::vector<Tensor> g = flat_grads(ct);
      for (Tensor& t : g) t = unsqueeze(t, 0);
      chunks.push_back(std::move(g));
    } else {
      const Out cts = tree_unflatten(out, basis_rows(outs, m, r0, r1, false));
      chunks.push_back(
          vmap([&](const Out& ct) { return flat_grads(ct); })(cts));
    }
  }
  return concat_rows(chunks);
}

template <typename F, std::size_t... I>
class JacrevFn {
 public:
  JacrevFn(F f, JacrevOptions options) : f_(std::move(f)), options_(options) {}

  template <typename... Args>
  auto operator()(const Args&... args) const {
    static_assert(sizeof...(I) > 0, "jacrev: argnums must not be empty");
    static_assert(((I < sizeof...(Args)) && ...),
                  "jacrev: an argnum is past the last argument");
    using All = std::tuple<const Args&...>;
    const All all(args...);
    // f as a function of the selected arguments only.
    auto g = [&](const Value<std::tuple_element_t<I, All>>&... selected) {
      return call_with_selected<I...>(f_, all,
                                      std::forward_as_tuple(selected...),
                                      std::index_sequence_for<Args...>());
    };
    using R = Value<std::invoke_result_t<
        decltype(g) const&, const Value<std::tuple_element_t<I, All>>&...>>;
    constexpr bool kAux = kIsPair<R>;
    check_has_aux("jacrev", kAux, options_.has_aux);
    // The other arguments may be written with tracked values (y.copy_(x)).
    const PassiveArguments passive(tree_flatten_unselected<I...>(all));
    if constexpr (kAux) {
      auto [out, vjp_fn, aux] =
          vjp(g, VjpOptions{.has_aux = true}, std::get<I>(all)...);
      return std::pair{assemble(out, vjp_fn, all), std::move(aux)};
    } else {
      auto [out, vjp_fn] = vjp(g, std::get<I>(all)...);
      return assemble(out, vjp_fn, all);
    }
  }

 private:
  // Per output leaf, the Jacobian trees shaped like the selected arguments.
  template <typename Out, typename Fn, typename All>
  auto assemble(const Out& out, const Fn& vjp_fn, const All& all) const {
    const std::vector<Tensor> outs = tree_flatten(out);
    std::vector<Tensor> ins;
    (tree_flatten_into(std::get<I>(all), ins), ...);
    const std::vector<Tensor> rows =
        jacobian_rows(out, outs, ins, vjp_fn, options_.chunk_size);
    using Jac = decltype(like_arguments(all, ins));
    std::vector<Jac> per_output;
    int64_t offset = 0;
    for (const Tensor& o : outs) {
      std::vector<Tensor> leaves;
      for (std::size_t k = 0; k < ins.size(); ++k) {
        Shape shape = o.shape();
        shape.insert(shape.end(), ins[k].shape().begin(), ins[k].shape().end());
        leaves.push_back(
            reshape(slice(rows[k], 0, offset, offset + o.numel()), shape));
      }
      per_output.push_back(like_arguments(all, leaves));
      offset += o.numel();
    }
    return jacobian_internal::arrange_like<Jac>(out, std::move(per_output));
  }

  // The selected arguments rebuilt around `leaves`: one tree for one
  // argnum, a tuple of them for several.
  template <typename All>
  static auto like_arguments(const All& all,
                             const std::vector<Tensor>& leaves) {
    std::size_t pos = 0;
    std::tuple<Value<std::tuple_element_t<I, All>>...> trees{
        tree_unflatten_from(std::get<I>(all), leaves, pos)...};
    if constexpr (sizeof...(I) == 1) {
      return std::get<0>(std::move(trees));
    } else {
      return trees;
    }
  }

  F f_;
  JacrevOptions options_;
};

}  // namespace jacrev_internal

// The Jacobian of f w.r.t. arguments Argnums... (default: the first).
template <std::size_t... Argnums, typename F>
requires(jacobian_internal::distinct_argnums<Argnums...>()) auto jacrev(
    F f, JacrevOptions options = {}) {
  if constexpr (sizeof...(Argnums) == 0) {
    return jacrev_internal::JacrevFn<F, 0>(std::move(f), options);
  } else {
    return jacrev_internal::JacrevFn<F, Argnums...>(std::move(f), options);
  }
}

}  // namespace fnx
