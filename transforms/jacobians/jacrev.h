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
//   std::vector<Tensor> Js =
//       jacrev(f, Argnums{0, 1})(w, b, x);   // argnums at run time
//
// - argnums select arguments as grad's do; each Jacobian tree is shaped
//   like its argument with leaves of shape out.shape + leaf.shape.
// - f may return a Tensor (the Jacobian trees as above) or a tree of
//   tensors: std::tuple and std::vector outputs give the same structure
//   with the Jacobian of each leaf in its place (auto [Ja, Jb] = jacrev(g)
//   for g returning std::tuple{a, b}); other trees (ParamDict, structs) a
//   std::vector with one entry per output leaf, in tree_flatten order.
// - chunk_size bounds memory: that many basis rows per vmap call (1: a
//   plain loop over rows, with no vmap at all). Unset: all rows at once,
//   except for large outputs, whose rows go in blocks of about 2 MiB of
//   basis (default_basis_rows), which stay in cache (a third faster for
//   2048 outputs). The result does not depend on it.
// - Composes: jacrev(jacrev(f)) is the Hessian; vmap(jacrev(f)) batches it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/interpreter.h"
#include "core/leaf_names.h"
#include "core/ops/ops.h"
#include "core/tree.h"
#include "transforms/common/argument_selection.h"
#include "transforms/grad/grad.h"
#include "transforms/jacobians/basis.h"
#include "transforms/jacobians/jacobian_tree.h"
#include "transforms/vmap/vmap.h"

namespace fnx {

struct JacrevOptions {
  bool has_aux = false;  // f returns std::pair{output, aux}
  std::optional<int64_t> chunk_size = std::nullopt;
};

namespace jacrev_internal {

using transform_internal::kIsPair;
using transform_internal::RuntimeArgnums;
using transform_internal::StaticArgnums;
using transform_internal::Value;

// Rows [r0, r1) of the identity of size m, split per output leaf and
// shaped (rows, *leaf shape) -- or (*leaf shape) for a single row when
// `squeeze`.
inline std::vector<Tensor> basis_rows(const std::vector<Tensor>& outs,
                                      int64_t r0, int64_t r1, bool squeeze) {
  std::vector<Tensor> cts;
  int64_t offset = 0;
  for (const Tensor& o : outs) {
    // This leaf's columns [offset, offset + numel) of the rows.
    const Tensor piece = jacobian_internal::identity_block(
        r1 - r0, o.numel(), r0, offset, o.dtype(), o.device());
    Shape shape = o.shape();
    if (!squeeze) shape.insert(shape.begin(), r1 - r0);
    cts.push_back(reshape(piece, shape));
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
  const int64_t chunk =
      chunk_size.value_or(jacobian_internal::default_basis_rows(m, outs));
  auto flat_grads = [&](const Out& ct) { return tree_flatten(vjp_fn(ct)); };
  std::vector<std::vector<Tensor>> chunks;
  for (int64_t r0 = 0; r0 < m; r0 += chunk) {
    const int64_t r1 = std::min(m, r0 + chunk);
    if (chunk == 1) {
      // A plain loop: no vmap constraints (torch.func's chunk_size=1).
      const Out ct = tree_unflatten(out, basis_rows(outs, r0, r1, true));
      std::vector<Tensor> g = flat_grads(ct);
      for (Tensor& t : g) t = unsqueeze(t, 0);
      chunks.push_back(std::move(g));
    } else {
      const Out cts = tree_unflatten(out, basis_rows(outs, r0, r1, false));
      chunks.push_back(
          vmap([&](const Out& ct) { return flat_grads(ct); })(cts));
    }
  }
  return concat_rows(chunks);
}

// jacrev with the differentiated arguments named by Selection
// (StaticArgnums<I...> or RuntimeArgnums<T>).
template <typename F, typename Selection>
class JacrevFn {
 public:
  JacrevFn(F f, Selection selection, JacrevOptions options)
      : f_(std::move(f)), selection_(std::move(selection)), options_(options) {}

  template <typename... Args>
  auto operator()(const Args&... args) const {
    using All = std::tuple<const Args&...>;
    const All all(args...);
    const auto sel = selection_.select("jacrev", f_, all);
    using R = transform_internal::SelectedResult<decltype(sel)>;
    constexpr bool kAux = kIsPair<R>;
    check_has_aux("jacrev", kAux, options_.has_aux);
    // f as a function of the selected arguments' leaves.
    auto g = [&](const std::vector<Tensor>& leaves) {
      return sel.call(leaves);
    };
    const std::vector<Tensor> ins = sel.leaves();
    // The other arguments may be written with tracked values (y.copy_(x)).
    const PassiveArguments passive(sel.unselected_leaves());
    // vjp hands these very leaves (in a std::vector) to the grad plugin.
    const LeafNames names(ins, [&] { return sel.leaf_names(); });
    if constexpr (kAux) {
      auto [out, vjp_fn, aux] = vjp(g, VjpOptions{.has_aux = true}, ins);
      return std::pair{assemble(sel, out, vjp_fn, ins), std::move(aux)};
    } else {
      auto [out, vjp_fn] = vjp(g, ins);
      return assemble(sel, out, vjp_fn, ins);
    }
  }

 private:
  // Per output leaf, the Jacobian trees shaped like the selected arguments.
  template <typename Sel, typename Out, typename Fn>
  auto assemble(const Sel& sel, const Out& out, const Fn& vjp_fn,
                const std::vector<Tensor>& ins) const {
    const std::vector<Tensor> outs = tree_flatten(out);
    const std::vector<Tensor> rows =
        jacobian_rows(out, outs, ins, vjp_fn, options_.chunk_size);
    std::vector<Tensor> blocks;  // blocks[o * ins.size() + k]
    int64_t offset = 0;
    for (const Tensor& o : outs) {
      for (std::size_t k = 0; k < ins.size(); ++k) {
        Shape shape = o.shape();
        shape.insert(shape.end(), ins[k].shape().begin(), ins[k].shape().end());
        blocks.push_back(
            reshape(slice(rows[k], 0, offset, offset + o.numel()), shape));
      }
      offset += o.numel();
    }
    return jacobian_internal::assemble_jacobian(sel, out, blocks, outs.size());
  }

  F f_;
  Selection selection_;
  JacrevOptions options_;
};

template <std::size_t... Argnums, typename F>
auto make_jacrev(F f, JacrevOptions options) {
  if constexpr (sizeof...(Argnums) == 0) {
    return JacrevFn<F, StaticArgnums<0>>(std::move(f), {}, options);
  } else {
    return JacrevFn<F, StaticArgnums<Argnums...>>(std::move(f), {}, options);
  }
}

}  // namespace jacrev_internal

// The Jacobian of f w.r.t. arguments Argnums... (default: the first).
template <std::size_t... Argnums, typename F>
requires(transform_internal::distinct_argnums<Argnums...>()) auto jacrev(
    F f, JacrevOptions options = {}) {
  return jacrev_internal::make_jacrev<Argnums...>(std::move(f), options);
}

// An fnx op named by its overloaded name: jacrev(sin) picks fnx::sin.
inline auto jacrev(Tensor (*f)(const Tensor&), JacrevOptions options = {}) {
  return jacrev_internal::make_jacrev<0>(f, options);
}

// Argnums chosen at run time: a std::vector with one Jacobian tree per
// position, in place of the tuple (the arguments share a type).
template <typename F, typename T>
auto jacrev(F f, const Argnums<T>& argnums, JacrevOptions options = {}) {
  using Fn =
      jacrev_internal::JacrevFn<F, transform_internal::RuntimeArgnums<T>>;
  return Fn(std::move(f), {argnums.positions()}, options);
}

}  // namespace fnx
