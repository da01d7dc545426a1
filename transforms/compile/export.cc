// The graph file format (graph.proto): writing a graph, and reading one back
// with every part checked before anything runs: ids in range and defined
// before use, primitives and attribute kinds known, each node's shape rule
// (infer_meta) agreeing with the types the file declares.
#include "transforms/compile/export.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <type_traits>
#include <utility>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/shape.h"
#include "core/str_cat.h"
#include "transforms/compile/attrs_fields.h"
#include "transforms/compile/compile_internal.h"
#include "transforms/compile/graph.pb.h"

namespace fnx {
namespace {

using compile_internal::fields;
using compile_internal::kAttrsKinds;

static_assert(std::endian::native == std::endian::little,
              "graph constants are written as little-endian memory");

absl::Status invalid(std::string_view what) {
  return absl::InvalidArgumentError(str_cat("[compile.load] ", what));
}

bool parse_dtype(std::string_view name, DType& out) {
  for (int i = 0; i < kNumDTypes; ++i) {
    if (dtype_name(static_cast<DType>(i)) == name) {
      out = static_cast<DType>(i);
      return true;
    }
  }
  return false;
}

// "cpu", "cuda:1": a device as Device::str() writes it.
bool parse_device(std::string_view text, Device& out) {
  if (text == "cpu") {
    out = Device::cpu();
    return true;
  }
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon + 1 == text.size() ||
      text.size() - colon > 6) {
    return false;
  }
  int index = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') return false;
    index = index * 10 + (c - '0');
  }
  for (int t = 0; t < kNumDeviceTypes; ++t) {
    const auto type = static_cast<DeviceType>(t);
    if (type != DeviceType::CPU &&
        device_type_name(type) == text.substr(0, colon)) {
      out = Device{type, index};
      return true;
    }
  }
  return false;
}

// ---- attributes: one visitor per direction over attrs_fields.h ----

struct Writer {
  graph_file::proto::Node& node;
  template <typename T>
  void operator()(std::string_view name, const T& value) {
    graph_file::proto::Field* f = node.add_fields();
    f->set_name(std::string(name));
    if constexpr (std::is_same_v<T, Shape>) {
      for (int64_t d : value) f->mutable_ints()->add_values(d);
    } else if constexpr (std::is_same_v<T, DType>) {
      f->set_string_value(std::string(dtype_name(value)));
    } else if constexpr (std::is_same_v<T, Device>) {
      f->set_string_value(value.str());
    } else if constexpr (std::is_same_v<T, std::string>) {
      f->set_string_value(value);
    } else if constexpr (std::is_floating_point_v<T>) {
      f->set_float_value(value);
    } else {
      f->set_int_value(static_cast<int64_t>(value));
    }
  }
};

struct Reader {
  const graph_file::proto::Node& node;
  std::string error;

  const graph_file::proto::Field* find(std::string_view name) {
    for (const graph_file::proto::Field& f : node.fields()) {
      if (f.name() == name) return &f;
    }
    if (error.empty()) error = str_cat("attribute \"", name, "\" is missing");
    return nullptr;
  }
  template <typename T>
  void operator()(std::string_view name, T& value) {
    const graph_file::proto::Field* f = find(name);
    if (f == nullptr) return;
    using Case = graph_file::proto::Field::ValueCase;
    auto wrong = [&] {
      if (error.empty())
        error = str_cat("attribute \"", name, "\" has the wrong kind");
    };
    if constexpr (std::is_same_v<T, Shape>) {
      if (f->value_case() != Case::kInts) return wrong();
      if (f->ints().values_size() > kMaxRank) return wrong();
      value.assign(f->ints().values().begin(), f->ints().values().end());
    } else if constexpr (std::is_same_v<T, DType>) {
      if (f->value_case() != Case::kStringValue ||
          !parse_dtype(f->string_value(), value)) {
        return wrong();
      }
    } else if constexpr (std::is_same_v<T, Device>) {
      if (f->value_case() != Case::kStringValue ||
          !parse_device(f->string_value(), value)) {
        return wrong();
      }
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (f->value_case() != Case::kStringValue) return wrong();
      value = f->string_value();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (f->value_case() != Case::kFloatValue) return wrong();
      value = f->float_value();
    } else {
      if (f->value_case() != Case::kIntValue) return wrong();
      value = static_cast<T>(f->int_value());
    }
  }
};

// The attributes of kind `index`, read from the node.
template <std::size_t I = 0>
bool read_attrs(std::size_t index, Reader& reader, Attrs& out) {
  if constexpr (I < std::variant_size_v<Attrs>) {
    if (index == I) {
      std::variant_alternative_t<I, Attrs> value{};
      fields(value, reader);
      out = std::move(value);
      return reader.error.empty();
    }
    return read_attrs<I + 1>(index, reader, out);
  } else {
    return false;
  }
}

bool find_prim(std::string_view name, Prim& out) {
  for (int i = 0; i < kNumPrims; ++i) {
    if (prim_name(prim_at(i)) == name) {
      out = prim_at(i);
      return true;
    }
  }
  return false;
}

absl::StatusOr<Graph::Value> read_type(const graph_file::proto::ValueType& t,
                                       std::size_t id) {
  Graph::Value v;
  if (!parse_dtype(t.dtype(), v.dtype)) {
    return invalid(
        str_cat("value ", id, " has unknown dtype \"", t.dtype(), "\""));
  }
  if (!parse_device(t.device(), v.device)) {
    return invalid(
        str_cat("value ", id, " is on unknown device \"", t.device(), "\""));
  }
  if (t.shape_size() > kMaxRank)
    return invalid(str_cat("value ", id, " has too many dims"));
  v.shape.assign(t.shape().begin(), t.shape().end());
  try {
    check_shape(v.shape, "compile.load", itemsize(v.dtype));
  } catch (const Error& e) {
    return invalid(str_cat("value ", id, ": ", e.what()));
  }
  return v;
}

// Checks the graph's structure and every node against its shape rule.
absl::Status validate(const Graph& g) {
  const std::size_t n = g.values.size();
  std::vector<char> defined(n, 0);
  auto define = [&](int32_t v, const char* what) -> absl::Status {
    if (v < 0 || static_cast<std::size_t>(v) >= n) {
      return invalid(str_cat(what, " refers to value ", v, " of ", n));
    }
    if (defined[v]) return invalid(str_cat("value ", v, " is defined twice"));
    defined[v] = 1;
    return absl::OkStatus();
  };
  for (int32_t v : g.inputs) {
    if (v >= 0) {
      if (absl::Status s = define(v, "an input"); !s.ok()) return s;
    }
  }
  for (const Graph::Constant& c : g.constants) {
    if (absl::Status s = define(c.value, "a constant"); !s.ok()) return s;
  }
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const Graph::Node& node = g.nodes[i];
    const std::string where =
        str_cat("node ", i, " (", prim_name(node.prim), ")");
    const int arity = prim_info(node.prim).arity;
    if (arity >= 0 && static_cast<int>(node.inputs.size()) != arity) {
      return invalid(str_cat(where, " has ", node.inputs.size(),
                             " inputs, needs ", arity));
    }
    if (node.outputs.size() != 1 || node.outputs[0] < 0 ||
        static_cast<std::size_t>(node.outputs[0]) >= n) {
      return invalid(str_cat(where, " must have one output among the values"));
    }
    std::vector<Tensor> args;
    for (int32_t v : node.inputs) {
      if (v < 0 || static_cast<std::size_t>(v) >= n || !defined[v]) {
        return invalid(
            str_cat(where, " reads value ", v, " before it is defined"));
      }
      // A stand-in of the value's type, without its memory.
      const Graph::Value& t = g.values[v];
      args.push_back(expand(zeros({}, t.dtype), t.shape));
    }
    try {
      const OutMeta meta = infer_meta(OpCall{node.prim, node.attrs, args});
      const Graph::Value& out = g.values[node.outputs[0]];
      if (meta.shape != out.shape || meta.dtype != out.dtype) {
        return invalid(str_cat(where, " computes ", dtype_name(meta.dtype),
                               shape_str(meta.shape), " but the file declares ",
                               dtype_name(out.dtype), shape_str(out.shape)));
      }
    } catch (const std::exception& e) {
      return invalid(str_cat(where, ": ", e.what()));
    }
    if (absl::Status s = define(node.outputs[0], "a node output"); !s.ok())
      return s;
  }
  for (int32_t v : g.outputs) {
    if (v >= 0 && (static_cast<std::size_t>(v) >= n || !defined[v])) {
      return invalid(str_cat("output value ", v, " is never defined"));
    }
  }
  return absl::OkStatus();
}

// Sets every Device attribute to one device.
struct Relocator {
  Device device;
  template <typename T>
  void operator()(std::string_view, T& value) {
    if constexpr (std::is_same_v<T, Device>) value = device;
  }
};

// Moves each constant to its value's device, after checking that every
// device the graph names can be used here (its backend is linked or
// loads): a graph saved on a GPU fails to load on a machine without one
// with the device named, not at its first call.
absl::Status place_constants(Graph& g) {
  std::vector<Device> checked;
  for (const Graph::Value& v : g.values) {
    if (v.device.type == DeviceType::CPU) continue;
    bool seen = false;
    for (const Device& d : checked) seen = seen || d == v.device;
    if (seen) continue;
    checked.push_back(v.device);
    try {
      empty({0}, DType::Float32, v.device);
    } catch (const std::exception& e) {
      return absl::FailedPreconditionError(str_cat(
          "[compile.load] the graph runs on ", v.device.str(),
          ", which cannot be used here (", e.what(),
          "); load it with load_graph(path, Device::cpu()) to run it on the "
          "CPU"));
    }
  }
  for (Graph::Constant& c : g.constants) {
    const Device to = g.values[c.value].device;
    if (c.tensor.device() != to) c.tensor = c.tensor.to(to);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> serialize_graph(const Graph& fused) {
  const Graph g = compile_internal::unfuse(fused);
  graph_file::proto::Graph out;
  out.set_format_version(kGraphFormatVersion);
  for (const Graph::Value& v : g.values) {
    graph_file::proto::ValueType* t = out.add_values();
    t->set_dtype(std::string(dtype_name(v.dtype)));
    for (int64_t d : v.shape) t->add_shape(d);
    t->set_device(v.device.str());
  }
  for (int32_t v : g.inputs) out.add_inputs(v);
  for (const Graph::Constant& c : g.constants) {
    // The bytes, read on the CPU whatever the constant's device.
    Tensor dense = clone(c.tensor.concrete("compile.save").to(Device::cpu()));
    graph_file::proto::Constant* pc = out.add_constants();
    pc->set_value(c.value);
    pc->set_data(
        static_cast<const char*>(dense.raw_data()),
        static_cast<std::size_t>(dense.numel()) * itemsize(dense.dtype()));
  }
  for (const Graph::Node& node : g.nodes) {
    if (is_higher_order(node.prim)) {
      return absl::InvalidArgumentError(
          str_cat("[compile.save] the graph calls custom function '",
                  std::get<CustomAttrs>(node.attrs).fn->name,
                  "', which cannot be written to a file"));
    }
    if (prim_info(node.prim).family == PrimFamily::Collective) {
      return absl::InvalidArgumentError(
          str_cat("[compile.save] the graph calls the collective ",
                  prim_name(node.prim),
                  " over a process group, which exists only in this run and "
                  "cannot be written to a file; export the per-rank function "
                  "without its collectives"));
    }
    graph_file::proto::Node* pn = out.add_nodes();
    pn->set_primitive(std::string(prim_name(node.prim)));
    pn->set_attrs_kind(std::string(kAttrsKinds[node.attrs.index()]));
    Writer writer{*pn};
    Attrs attrs = node.attrs;
    std::visit([&](auto& a) { fields(a, writer); }, attrs);
    for (int32_t v : node.inputs) pn->add_inputs(v);
    for (int32_t v : node.outputs) pn->add_outputs(v);
  }
  for (int32_t v : g.outputs) out.add_outputs(v);
  std::string bytes;
  if (!out.SerializeToString(&bytes)) {
    return absl::InternalError("[compile.save] serialization failed");
  }
  return bytes;
}

namespace {

// The graph of a file, checked, its constants still on the CPU.
absl::StatusOr<std::shared_ptr<Graph>> parse_unplaced(std::string_view bytes) {
  graph_file::proto::Graph in;
  if (bytes.size() >
          static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      !in.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid("not a graph file (corrupt or truncated protobuf)");
  }
  if (in.format_version() != kGraphFormatVersion) {
    return invalid(str_cat("format version ", in.format_version(),
                           ", expected ", kGraphFormatVersion,
                           "; export it again with this fnx"));
  }
  auto g = std::make_shared<Graph>();
  for (int i = 0; i < in.values_size(); ++i) {
    absl::StatusOr<Graph::Value> v = read_type(in.values(i), i);
    if (!v.ok()) return v.status();
    g->values.push_back(*std::move(v));
  }
  const std::size_t n = g->values.size();
  g->inputs.assign(in.inputs().begin(), in.inputs().end());
  g->outputs.assign(in.outputs().begin(), in.outputs().end());
  for (const graph_file::proto::Constant& c : in.constants()) {
    if (c.value() < 0 || static_cast<std::size_t>(c.value()) >= n) {
      return invalid(
          str_cat("a constant refers to value ", c.value(), " of ", n));
    }
    const Graph::Value& t = g->values[c.value()];
    const uint64_t nbytes =
        static_cast<uint64_t>(numel(t.shape)) * itemsize(t.dtype);
    if (nbytes != c.data().size()) {
      return invalid(str_cat("constant ", c.value(), " needs ", nbytes,
                             " bytes, the file has ", c.data().size()));
    }
    Tensor tensor = empty(t.shape, t.dtype);
    if (nbytes > 0) std::memcpy(tensor.raw_data(), c.data().data(), nbytes);
    if (t.dtype == DType::Bool) {
      for (unsigned char b : c.data()) {
        if (b > 1)
          return invalid("a bool constant holds a value other than 0 or 1");
      }
    }
    g->constants.push_back(Graph::Constant{c.value(), std::move(tensor)});
  }
  for (int i = 0; i < in.nodes_size(); ++i) {
    const graph_file::proto::Node& pn = in.nodes(i);
    Graph::Node node{Prim::Add, NoAttrs{}, {}, {}};
    if (!find_prim(pn.primitive(), node.prim)) {
      return invalid(str_cat("node ", i, " applies unknown primitive \"",
                             pn.primitive(), "\" (a newer fnx wrote it?)"));
    }
    if (is_higher_order(node.prim)) {
      return invalid(str_cat("node ", i, " calls a custom function"));
    }
    if (prim_info(node.prim).family == PrimFamily::Collective) {
      return invalid(
          str_cat("node ", i, " calls the collective ", prim_name(node.prim)));
    }
    std::size_t kind = kAttrsKinds.size();
    for (std::size_t k = 0; k < kAttrsKinds.size(); ++k) {
      if (kAttrsKinds[k] == pn.attrs_kind()) kind = k;
    }
    Reader reader{pn, {}};
    if (kind == kAttrsKinds.size() || !read_attrs(kind, reader, node.attrs)) {
      return invalid(str_cat(
          "node ", i, " (", pn.primitive(), ") has attributes \"",
          pn.attrs_kind(),
          "\": ", reader.error.empty() ? "unknown kind" : reader.error));
    }
    node.inputs.assign(pn.inputs().begin(), pn.inputs().end());
    node.outputs.assign(pn.outputs().begin(), pn.outputs().end());
    g->nodes.push_back(std::move(node));
  }
  if (absl::Status s = validate(*g); !s.ok()) return s;
  return g;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Graph>> parse_graph(
    std::string_view bytes) {
  absl::StatusOr<std::shared_ptr<Graph>> g = parse_unplaced(bytes);
  if (!g.ok()) return g.status();
  if (absl::Status s = place_constants(**g); !s.ok()) return s;
  return std::shared_ptr<const Graph>(*std::move(g));
}

absl::StatusOr<std::shared_ptr<const Graph>> place_graph(const Graph& graph,
                                                         Device device) {
  auto g = std::make_shared<Graph>(compile_internal::unfuse(graph));
  Device seen = g->values.empty() ? device : g->values.front().device;
  for (const Graph::Value& v : g->values) {
    if (v.device != seen) {
      return absl::InvalidArgumentError(str_cat(
          "[compile.load] the graph spans devices ", seen.str(), " and ",
          v.device.str(), ", so it cannot be placed on ", device.str(),
          " as a whole; load it without a device to "
          "keep its placement"));
    }
  }
  for (Graph::Value& v : g->values) v.device = device;
  for (Graph::Node& node : g->nodes) {
    Relocator relocate{device};
    std::visit([&](auto& a) { fields(a, relocate); }, node.attrs);
  }
  if (absl::Status s = place_constants(*g); !s.ok()) return s;
  return std::shared_ptr<const Graph>(std::move(g));
}

absl::Status save_graph(const Graph& graph, const std::string& path) {
  absl::StatusOr<std::string> bytes = serialize_graph(graph);
  if (!bytes.ok()) return bytes.status();
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f)
    return absl::UnavailableError(str_cat("[compile.save] cannot open ", path));
  f.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
  f.close();
  if (!f)
    return absl::DataLossError(str_cat("[compile.save] cannot write ", path));
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::string> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return absl::NotFoundError(str_cat("[compile.load] cannot open ", path));
  std::ostringstream buffer;
  buffer << f.rdbuf();
  return buffer.str();
}

}  // namespace

absl::StatusOr<LoadedGraph> load_graph(const std::string& path) {
  absl::StatusOr<std::string> bytes = read_bytes(path);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<std::shared_ptr<const Graph>> g = parse_graph(*bytes);
  if (!g.ok()) return g.status();
  return graph_callable(*std::move(g));
}

absl::StatusOr<LoadedGraph> load_graph(const std::string& path, Device device) {
  absl::StatusOr<std::string> bytes = read_bytes(path);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<std::shared_ptr<Graph>> g = parse_unplaced(*bytes);
  if (!g.ok()) return g.status();
  absl::StatusOr<std::shared_ptr<const Graph>> placed =
      place_graph(**g, device);
  if (!placed.ok()) return placed.status();
  return graph_callable(*std::move(placed));
}

LoadedGraph graph_callable(std::shared_ptr<const Graph> graph) {
  auto runnable = std::make_shared<Graph>(compile_internal::unfuse(*graph));
  compile_internal::fuse_elementwise(*runnable);
  return LoadedGraph(
      graph, compile_internal::graph_function(
                 compile_internal::make_executable(runnable), "loaded graph"));
}

}  // namespace fnx
