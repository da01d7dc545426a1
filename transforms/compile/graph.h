// The graph compile traces a function into (JAX's jaxpr): values with their
// metadata, and nodes that each apply one primitive to values and define
// new ones. Values are numbered; a value is a graph input, a constant (a
// tensor the function captured rather than took as an argument) or the
// output of exactly one node.
//
//   { lambda c0:f32[3] ; a:f32[2,3] . let
//       b:f32[2,3] = mul a c0
//       c:f32[2,3] = exp b
//     in ( c ) }
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/fused_elementwise.h"
#include "core/primitive.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace fnx {

struct Graph {
  struct Value {
    Shape shape;
    DType dtype = DType::Float32;
    Device device;
  };
  struct Node {
    Prim prim;
    Attrs attrs;
    std::vector<int32_t> inputs;   // value ids (-1: an undefined tensor)
    std::vector<int32_t> outputs;  // value ids (several: higher-order only)
    // Set on a fused group of elementwise nodes (compile's fusion pass):
    // the program its inputs run through, one output per program output;
    // `prim` is then meaningless.
    std::shared_ptr<const FusedProgram> fused;
    // With a trailing reduction: the value id its operand had before
    // fusion, so that unfusing (export) gives back the traced graph.
    int32_t fused_reduced_value = -1;
  };
  struct Constant {
    int32_t value;
    Tensor tensor;
  };

  std::vector<Value> values;
  std::vector<Node> nodes;          // in execution order
  std::vector<int32_t> inputs;      // value ids (-1: an undefined leaf)
  std::vector<Constant> constants;  // captured tensors
  std::vector<int32_t> outputs;     // value ids (-1: an undefined leaf)

  int32_t add_value(Shape shape, DType dtype, Device device) {
    values.push_back(Value{std::move(shape), dtype, device});
    return static_cast<int32_t>(values.size() - 1);
  }

  // The readable text form (JAX's make_jaxpr printout), defined in
  // compile_entry.h (it calls the plugin).
  std::string to_string() const;
  // Number of applications of `prim`, inside fused groups too.
  int64_t count(Prim prim) const {
    int64_t n = 0;
    for (const Node& node : nodes) {
      if (node.fused == nullptr) {
        n += node.prim == prim ? 1 : 0;
        continue;
      }
      for (const FusedInstr& ins : node.fused->instrs) {
        n += ins.kind != FusedInstr::Kind::kInput && ins.prim == prim ? 1 : 0;
      }
      const auto& red = node.fused->reduction;
      n += red.has_value() && red->prim == prim ? 1 : 0;
    }
    return n;
  }
  // Number of fused groups.
  int64_t fused_count() const {
    int64_t n = 0;
    for (const Node& node : nodes) n += node.fused != nullptr ? 1 : 0;
    return n;
  }
};

}  // namespace fnx
