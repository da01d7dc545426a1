// The text form of a graph, after JAX's jaxpr printout:
//
//   { lambda c:f32[3] ; a:f32[2,3] b:f32[] . let
//       d:f32[2,3] = mul a c
//       e:f32[2] = sum[dims=[1] keepdim=0] d
//     in ( e ) }
//
// Constants come before the ';', inputs after it. Attributes print in a
// fixed order, so two nodes with equal attributes print equal text (the
// common-subexpression pass compares them that way).
#include <string>
#include <type_traits>
#include <variant>

#include "core/collective.h"
#include "core/custom_function.h"
#include "core/str_cat.h"
#include "transforms/compile/compile_internal.h"

namespace fnx::compile_internal {
namespace {

std::string short_dtype(DType d) {
  switch (d) {
    case DType::Bool:
      return "bool";
    case DType::Int32:
      return "i32";
    case DType::Int64:
      return "i64";
    case DType::Float32:
      return "f32";
    case DType::Float64:
      return "f64";
  }
  return "?";
}

std::string dims(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) {
    out += str_cat(i ? "," : "", s[i]);
  }
  return out + "]";
}

// "a".."z", "ba".."bz", ... as jaxprs name their variables.
std::string value_name(int32_t v) {
  if (v < 0) return "_";
  std::string out;
  do {
    out.insert(out.begin(), static_cast<char>('a' + v % 26));
    v /= 26;
  } while (v > 0);
  return out;
}

std::string typed(const Graph& g, int32_t v) {
  if (v < 0) return "_";
  const Graph::Value& value = g.values[v];
  std::string out =
      str_cat(value_name(v), ":", short_dtype(value.dtype), dims(value.shape));
  if (value.device.type != DeviceType::CPU) out += "@" + value.device.str();
  return out;
}

std::string device_text(const Device& d) { return d.str(); }

struct AttrsPrinter {
  std::string operator()(const NoAttrs&) const { return ""; }
  std::string operator()(const CastAttrs& a) const {
    return str_cat("dtype=", short_dtype(a.dtype));
  }
  std::string operator()(const ReduceAttrs& a) const {
    return str_cat("dims=", dims(a.dims), " keepdim=", a.keepdim ? 1 : 0);
  }
  std::string operator()(const ShapeAttrs& a) const {
    return "shape=" + dims(a.shape);
  }
  std::string operator()(const PermuteAttrs& a) const {
    return "perm=" + dims(a.perm);
  }
  std::string operator()(const SliceAttrs& a) const {
    return str_cat("dim=", a.dim, " start=", a.start, " stop=", a.stop,
                   " step=", a.step);
  }
  std::string operator()(const DimAttrs& a) const {
    return str_cat("dim=", a.dim);
  }
  std::string operator()(const ScanAttrs& a) const {
    return str_cat("dim=", a.dim, " reverse=", a.reverse ? 1 : 0);
  }
  std::string operator()(const SortAttrs& a) const {
    std::string out =
        str_cat("dim=", a.dim, " descending=", a.descending ? 1 : 0);
    if (a.k >= 0) out += str_cat(" k=", a.k);
    return out;
  }
  std::string operator()(const CollectiveAttrs& a) const {
    static constexpr const char* kOps[] = {"sum", "mean", "max", "min"};
    std::string out = str_cat("group=", a.group ? a.group->describe() : "?",
                              " op=", kOps[static_cast<int>(a.op)],
                              " dim=", a.dim, " root=", a.root);
    if (!a.pairs.empty()) {
      out += " pairs=[";
      for (std::size_t i = 0; i < a.pairs.size(); ++i) {
        out += str_cat(i ? " " : "", a.pairs[i].first, "->", a.pairs[i].second);
      }
      out += "]";
    }
    return out;
  }
  std::string operator()(const PadAttrs& a) const {
    return str_cat("lo=", dims(a.lo), " hi=", dims(a.hi), " value=", a.value);
  }
  std::string operator()(const ConvAttrs& a) const {
    return str_cat("stride=", dims(a.stride), " padding=", dims(a.padding),
                   " dilation=", dims(a.dilation), " groups=", a.groups,
                   " input_shape=", dims(a.input_shape),
                   " weight_shape=", dims(a.weight_shape));
  }
  std::string operator()(const UnfoldAttrs& a) const {
    return str_cat("kernel=", dims(a.kernel), " stride=", dims(a.stride),
                   " padding=", dims(a.padding), " dilation=", dims(a.dilation),
                   " pad_value=", a.pad_value,
                   " input_spatial=", dims(a.input_spatial));
  }
  std::string operator()(const FullAttrs& a) const {
    return str_cat("shape=", dims(a.shape), " dtype=", short_dtype(a.dtype),
                   " device=", device_text(a.device), " value=", a.value);
  }
  std::string operator()(const IotaAttrs& a) const {
    return str_cat("n=", a.n, " dtype=", short_dtype(a.dtype),
                   " device=", device_text(a.device));
  }
  std::string operator()(const RandomAttrs& a) const {
    // seed and offset are drawn afresh on every call: not printed.
    return str_cat("shape=", dims(a.shape), " dtype=", short_dtype(a.dtype),
                   " device=", device_text(a.device), " low=", a.low,
                   " high=", a.high);
  }
  std::string operator()(const DeviceAttrs& a) const {
    return "device=" + device_text(a.device);
  }
  std::string operator()(const LinalgAttrs& a) const {
    return str_cat("upper=", a.upper ? 1 : 0, " left=", a.left ? 1 : 0,
                   " transpose=", a.transpose ? 1 : 0,
                   " unit_diagonal=", a.unit_diagonal ? 1 : 0,
                   " full_matrices=", a.full_matrices ? 1 : 0,
                   " degenerate_tolerance=", a.degenerate_tolerance);
  }
  std::string operator()(const AssertAttrs& a) const {
    return str_cat("message=\"", a.message, "\" batch_rank=", a.batch_rank);
  }
  std::string operator()(const CustomAttrs& a) const {
    return str_cat("name=", a.fn ? a.fn->name : std::string("?"));
  }
};

// "fused{r0=in0 r1=exp(r0) r2=mul(r1,r0) -> r2}": registers in order; a
// trailing reduction after them, as "red=sum[dims=[1] keepdim=0](r2)", its
// result the last output ("-> r1 red").
std::string fused_text(const FusedProgram& prog) {
  std::string out = "fused{";
  for (std::size_t r = 0; r < prog.instrs.size(); ++r) {
    const FusedInstr& ins = prog.instrs[r];
    out += str_cat(r ? " " : "", "r", r, "=");
    if (ins.kind == FusedInstr::Kind::kInput) {
      out += str_cat("in", ins.a);
      continue;
    }
    out += prim_name(ins.prim);
    if (ins.kind == FusedInstr::Kind::kCast) {
      out += "[dtype=" + short_dtype(ins.dtype) + "]";
    }
    out += str_cat("(r", ins.a);
    if (ins.b >= 0) out += str_cat(",r", ins.b);
    if (ins.c >= 0) out += str_cat(",r", ins.c);
    out += ")";
  }
  if (prog.reduction.has_value()) {
    const FusedReduction& red = *prog.reduction;
    out += str_cat(" red=", prim_name(red.prim), "[",
                   attrs_text(Attrs(red.attrs)), "](r", red.reg, ")");
  }
  out += " ->";
  for (int32_t r : prog.outputs) out += str_cat(" r", r);
  if (prog.reduction.has_value()) out += " red";
  return out + "}";
}

}  // namespace

std::string attrs_text(const Attrs& attrs) {
  return std::visit(AttrsPrinter{}, attrs);
}

std::string graph_text(const Graph& g) {
  std::string out = "{ lambda ";
  for (const Graph::Constant& c : g.constants) out += typed(g, c.value) + " ";
  out += "; ";
  for (int32_t v : g.inputs) out += typed(g, v) + " ";
  out += ". let\n";
  for (const Graph::Node& node : g.nodes) {
    out += "    ";
    for (std::size_t k = 0; k < node.outputs.size(); ++k) {
      out += (k ? " " : "") + typed(g, node.outputs[k]);
    }
    if (node.fused != nullptr) {
      out += " = " + fused_text(*node.fused);
    } else {
      out += str_cat(" = ", prim_name(node.prim));
      const std::string attrs = attrs_text(node.attrs);
      if (!attrs.empty()) out += "[" + attrs + "]";
    }
    for (int32_t v : node.inputs) out += " " + value_name(v);
    out += "\n";
  }
  out += "  in ( ";
  for (int32_t v : g.outputs) out += value_name(v) + " ";
  out += ") }";
  return out;
}

}  // namespace fnx::compile_internal
