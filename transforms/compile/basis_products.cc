// Products with a standard basis become row selections. jacrev and jacfwd
// push an identity basis (a block of its rows when chunked) through the
// function: the cotangents of W x are a scaled identity times W, a GEMM of
// m * m * n multiply-adds whose result is rows of W scaled (the identity
// jacrev 32 -> 2048 multiplies is 2048 x 2048). Here the basis is
// recognised by value (its structural ops on constants evaluated once, at
// compile time), followed through elementwise scaling and reshapes, and a
// matmul with it as the left operand becomes a slice of the right operand
// times the scales: the same numbers, without the GEMM.
//
// Equal bits: each GEMM sum has one nonzero term, w[i] * b[i + offset, k],
// rounded once, as the mul computes it. Two differences, documented: a
// zero may differ in sign, and an inf or NaN elsewhere in a column of the
// right operand, or in a scale, no longer spreads through 0 * inf into the
// entries the basis leaves zero.
#include <cmath>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/dispatch.h"
#include "transforms/compile/compile_internal.h"

namespace fnx::compile_internal {
namespace {

// Structural ops on constants are evaluated up to this many elements.
constexpr int64_t kMaxEvaluated = int64_t{1} << 24;

// V[i, j] = w[i] when j == i + offset, else 0 (i < rows, j < cols): every
// row holds exactly one entry. `middle_one`: V viewed as (rows, 1, cols),
// the shape a vmapped vector-matrix product gives its batched operand.
struct Selection {
  int64_t rows = 0, cols = 0, offset = 0;
  int32_t weights = -1;  // value id of w, shape (rows); -1: all ones
  bool middle_one = false;
};

bool is_structural(Prim prim) {
  return prim == Prim::Reshape || prim == Prim::Slice || prim == Prim::Pad ||
         prim == Prim::Permute || prim == Prim::Expand;
}

// The selection a constant matrix is, if it is a block of identity rows.
template <typename T>
std::optional<Selection> identity_rows(const T* v, int64_t rows, int64_t cols) {
  int64_t offset = -1;
  for (int64_t j = 0; j < cols; ++j) {
    if (v[j] != T(0)) {
      offset = j;
      break;
    }
  }
  if (offset < 0 || offset + rows > cols) return std::nullopt;
  for (int64_t i = 0; i < rows; ++i) {
    const T* row = v + i * cols;
    for (int64_t j = 0; j < cols; ++j) {
      const T want = j == i + offset ? T(1) : T(0);
      // Compared as bits: -0.0 is not a basis zero of this pass's kind.
      if (!(row[j] == want) || std::signbit(row[j])) return std::nullopt;
    }
  }
  return Selection{rows, cols, offset, -1, false};
}

std::optional<Selection> identity_rows(const Tensor& t) {
  if (t.dim() != 2 || t.device().type != DeviceType::CPU) return std::nullopt;
  const Tensor c = t.contiguous();
  const int64_t rows = t.size(0), cols = t.size(1);
  if (rows == 0 || cols == 0) return std::nullopt;
  if (t.dtype() == DType::Float32) {
    return identity_rows(c.data<float>(), rows, cols);
  }
  if (t.dtype() == DType::Float64) {
    return identity_rows(c.data<double>(), rows, cols);
  }
  return std::nullopt;
}

class Rewriter {
 public:
  // Only constants the graph made itself (folded creation ops) are read:
  // a captured tensor belongs to the caller, who may change it later.
  Rewriter(Graph& g, std::size_t first_folded) : g_(g) {
    for (std::size_t i = first_folded; i < g.constants.size(); ++i) {
      const Graph::Constant& c = g.constants[i];
      known_[c.value] = c.tensor;
      if (auto sel = identity_rows(c.tensor)) selections_[c.value] = *sel;
    }
  }

  void run() {
    std::vector<Graph::Node> nodes = std::move(g_.nodes);
    g_.nodes.clear();
    for (Graph::Node& node : nodes) {
      if (!rewrite(node)) {
        track(node);
        g_.nodes.push_back(std::move(node));
      }
    }
  }

 private:
  const Graph::Value& value(int32_t v) const { return g_.values[v]; }

  // Appends a node computing a fresh value (or `out`) and returns its id.
  int32_t emit(Prim prim, Attrs attrs, std::vector<int32_t> inputs, Shape shape,
               const Graph::Value& like, int32_t out = -1) {
    if (out < 0) out = g_.add_value(std::move(shape), like.dtype, like.device);
    Graph::Node node;
    node.prim = prim;
    node.attrs = std::move(attrs);
    node.inputs = std::move(inputs);
    node.outputs = {out};
    g_.nodes.push_back(std::move(node));
    return out;
  }

  // Records what the node's output is: a constant evaluated now, or a
  // selection derived from one.
  void track(const Graph::Node& node) {
    if (node.fused != nullptr || node.outputs.size() != 1 ||
        node.outputs[0] < 0) {
      return;
    }
    const int32_t out = node.outputs[0];
    if (is_structural(node.prim)) evaluate(node);
    if (auto it = known_.find(out); it != known_.end()) {
      if (auto sel = identity_rows(it->second)) {
        selections_[out] = *sel;
        return;
      }
    }
    const Shape& shape = value(out).shape;
    if (node.prim == Prim::Reshape) {
      const auto it = selections_.find(node.inputs[0]);
      if (it == selections_.end()) return;
      Selection s = it->second;
      if (shape == Shape{s.rows, 1, s.cols}) {
        s.middle_one = true;
      } else if (shape == Shape{s.rows, s.cols}) {
        s.middle_one = false;
      } else {
        return;
      }
      selections_[out] = s;
    } else if (node.prim == Prim::Mul) {
      scale(node);
    }
  }

  void evaluate(const Graph::Node& node) {
    std::vector<Tensor> args;
    for (int32_t v : node.inputs) {
      const auto it = known_.find(v);
      if (v < 0 || it == known_.end()) return;
      args.push_back(it->second);
    }
    if (numel(value(node.outputs[0]).shape) > kMaxEvaluated) return;
    known_[node.outputs[0]] = dispatch(node.prim, node.attrs, args);
  }

  // mul(V, s) or mul(s, V) with s a scalar, a row (cols) / (1, cols) or a
  // column (rows, 1) of the same dtype: V with its weights scaled.
  void scale(const Graph::Node& node) {
    for (int side = 0; side < 2; ++side) {
      const auto it = selections_.find(node.inputs[side]);
      if (it == selections_.end() || it->second.middle_one) continue;
      const Selection s = it->second;
      const int32_t other = node.inputs[1 - side];
      const Graph::Value out = value(node.outputs[0]);
      const Graph::Value o = value(other);
      if (out.shape != Shape{s.rows, s.cols} || o.dtype != out.dtype ||
          value(node.inputs[side]).dtype != out.dtype) {
        return;
      }
      int32_t factor = -1;
      if (numel(o.shape) == 1) {
        const int32_t one =
            emit(Prim::Reshape, ShapeAttrs{{1}}, {other}, {1}, o);
        factor = emit(Prim::Expand, ShapeAttrs{{s.rows}}, {one}, {s.rows}, o);
      } else if (o.shape == Shape{s.cols} || o.shape == Shape{1, s.cols}) {
        const int32_t flat =
            emit(Prim::Reshape, ShapeAttrs{{s.cols}}, {other}, {s.cols}, o);
        factor =
            emit(Prim::Slice, SliceAttrs{0, s.offset, s.offset + s.rows, 1},
                 {flat}, {s.rows}, o);
      } else if (o.shape == Shape{s.rows, 1}) {
        factor =
            emit(Prim::Reshape, ShapeAttrs{{s.rows}}, {other}, {s.rows}, o);
      } else {
        return;
      }
      Selection scaled = s;
      // The original multiplies each entry once: w[i] * factor[i] is the
      // same product (multiplication commutes exactly).
      scaled.weights = s.weights < 0 ? factor
                                     : emit(Prim::Mul, NoAttrs{},
                                            {s.weights, factor}, {s.rows}, o);
      selections_[node.outputs[0]] = scaled;
      return;
    }
  }

  // matmul(V, B) with B a (cols, k) matrix: rows offset.. of B, scaled.
  bool rewrite(const Graph::Node& node) {
    if (node.fused != nullptr || node.prim != Prim::Matmul) return false;
    const auto it = selections_.find(node.inputs[0]);
    if (it == selections_.end() || node.inputs[1] < 0) return false;
    const Selection& s = it->second;
    const Graph::Value b = value(node.inputs[1]);
    const Graph::Value out = value(node.outputs[0]);
    if (b.shape.size() != 2 || b.shape[0] != s.cols || b.dtype != out.dtype ||
        value(node.inputs[0]).dtype != out.dtype) {
      return false;
    }
    const int64_t k = b.shape[1];
    int32_t rows = node.inputs[1];
    if (s.offset != 0 || s.rows != s.cols) {
      rows = emit(Prim::Slice, SliceAttrs{0, s.offset, s.offset + s.rows, 1},
                  {rows}, {s.rows, k}, b);
    }
    if (s.weights >= 0) {
      const int32_t column = emit(Prim::Reshape, ShapeAttrs{{s.rows, 1}},
                                  {s.weights}, {s.rows, 1}, b);
      rows = emit(Prim::Mul, NoAttrs{}, {column, rows}, {s.rows, k}, b);
    }
    emit(Prim::Reshape, ShapeAttrs{out.shape}, {rows}, out.shape, out,
         node.outputs[0]);
    return true;
  }

  Graph& g_;
  std::unordered_map<int32_t, Tensor> known_;
  std::unordered_map<int32_t, Selection> selections_;
};

}  // namespace

void simplify_basis_products(Graph& g, std::size_t first_folded) {
  Rewriter(g, first_folded).run();
}

}  // namespace fnx::compile_internal
