// Exported graphs: the round trip against a golden file (the format must
// not change under a version), loaded graphs under vmap, grad, jvp and
// compile, the errors (format version, unknown primitive, custom
// functions), and fuzzed files (truncated, bit-flipped) that must give an
// error or a valid graph, never a crash.
#include "transforms/compile/export.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/compile/compile.h"
#include "transforms/compile/graph.pb.h"
#include "transforms/custom/custom.h"
#include "transforms/grad/grad.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

using testing::close;
using Leaves = std::vector<Tensor>;

constexpr char kGolden[] = "tests/compile/testdata/golden_v1.fnxgraph";

// The golden function: a captured constant, a reduction, a view, elementwise
// chains (fused in the traced graph, written unfused).
Leaves golden_fn(const Leaves& in) {
  const Tensor w = from_vector({0.5, -1.0, 2.0}, {3}, DType::Float64);
  const Tensor h = tanh(in[0] * w + in[1]);
  return {h.sum({1}), gelu(h).reshape({3, 2})};
}

Leaves golden_inputs() {
  return {from_vector({0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, {2, 3}, DType::Float64),
          from_vector({1.0, -2.0, 0.25}, {3}, DType::Float64)};
}

std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(Export, MatchesTheGoldenFile) {
  auto graph = make_graph(golden_fn)(golden_inputs());
  absl::StatusOr<std::string> bytes = serialize_graph(*graph);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    std::ofstream(std::string(dir) + "/golden_v1.fnxgraph", std::ios::binary)
        << *bytes;
  }
  const std::string golden = read(kGolden);
  ASSERT_FALSE(golden.empty()) << "missing " << kGolden;
  EXPECT_EQ(*bytes, golden) << "the format changed: bump kGraphFormatVersion";
  absl::StatusOr<LoadedGraph> loaded = load_graph(kGolden);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const Leaves got = (*loaded)(golden_inputs());
  const Leaves want = golden_fn(golden_inputs());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(equal(got[0], want[0]));
  EXPECT_TRUE(equal(got[1], want[1]));
}

TEST(Export, RoundTripKeepsTheText) {
  const Leaves x = golden_inputs();
  auto graph = make_graph(golden_fn)(x);
  absl::StatusOr<std::string> bytes = serialize_graph(*graph);
  ASSERT_TRUE(bytes.ok());
  absl::StatusOr<std::shared_ptr<const Graph>> parsed = parse_graph(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  absl::StatusOr<std::string> again = serialize_graph(**parsed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *bytes);
}

// Attributes that only some calls set survive the file: topk's k (argsort
// of the first k positions only).
TEST(Export, TopkKeepsItsK) {
  auto top = [](const Leaves& in) {
    const SortResult t = topk(in[0], 2, 1);
    return Leaves{t.values, t.indices};
  };
  const Leaves x = {randn({3, 7}, DType::Float64)};
  auto graph = make_graph(top)(x);
  absl::StatusOr<std::string> bytes = serialize_graph(*graph);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<std::shared_ptr<const Graph>> parsed = parse_graph(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)->to_string(), graph->to_string());
}

TEST(Export, LoadedGraphUnderTransforms) {
  absl::StatusOr<LoadedGraph> loaded = load_graph(kGolden);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const LoadedGraph& g = *loaded;
  const Leaves x = golden_inputs();
  const Leaves xs = {randn({4, 2, 3}, DType::Float64),
                     randn({4, 3}, DType::Float64)};
  for (int call = 0; call < 2; ++call) {
    const Leaves vg = vmap(g)(xs), ve = vmap(golden_fn)(xs);
    EXPECT_TRUE(close(vg[0], ve[0], 1e-12, 1e-12));
    EXPECT_TRUE(close(vg[1], ve[1], 1e-12, 1e-12));
    auto scalar = [](const auto& f) {
      return [f](const Leaves& v) {
        const Leaves o = f(v);
        return o[0].sum() + (o[1] * o[1]).sum();
      };
    };
    const Leaves gg = grad(scalar(g))(x);
    const Leaves ge = grad(scalar(golden_fn))(x);
    EXPECT_TRUE(close(gg[0], ge[0], 1e-12, 1e-12));
    EXPECT_TRUE(close(gg[1], ge[1], 1e-12, 1e-12));
    const Leaves t = {randn({2, 3}, DType::Float64),
                      randn({3}, DType::Float64)};
    auto [yg, tg] = jvp(g, x, t);
    auto [ye, te] = jvp(golden_fn, x, t);
    EXPECT_TRUE(close(tg[0], te[0], 1e-12, 1e-12));
    EXPECT_TRUE(close(tg[1], te[1], 1e-12, 1e-12));
    const Leaves cg = compile(g)(x);
    EXPECT_TRUE(equal(cg[1], golden_fn(x)[1]));
  }
}

TEST(Export, Errors) {
  const std::string golden = read(kGolden);
  graph_file::proto::Graph proto;
  ASSERT_TRUE(proto.ParseFromString(golden));
  graph_file::proto::Graph newer = proto;
  newer.set_format_version(kGraphFormatVersion + 1);
  absl::StatusOr<std::shared_ptr<const Graph>> r =
      parse_graph(newer.SerializeAsString());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("format version 2, expected 1"),
            std::string::npos)
      << r.status();
  graph_file::proto::Graph unknown = proto;
  unknown.mutable_nodes(0)->set_primitive("frobnicate");
  r = parse_graph(unknown.SerializeAsString());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown primitive \"frobnicate\""),
            std::string::npos)
      << r.status();
  graph_file::proto::Graph wrong_shape = proto;
  wrong_shape.mutable_values(wrong_shape.values_size() - 1)->add_shape(7);
  r = parse_graph(wrong_shape.SerializeAsString());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("but the file declares"),
            std::string::npos)
      << r.status();
  EXPECT_FALSE(load_graph("/nonexistent/graph.fnxgraph").ok());
  auto clip = custom_function([](const Tensor& x) { return x; });
  auto graph =
      make_graph([&](const Tensor& x) { return clip(x) * 2.0; })(randn({3}));
  absl::StatusOr<std::string> bytes = serialize_graph(*graph);
  ASSERT_FALSE(bytes.ok());
  EXPECT_NE(bytes.status().message().find("custom function"),
            std::string::npos);
}

// slogdet has rules of its own (a custom_call) but compiles to its ops
// (compile_inline): graphs of logdet and det save, load and run like any
// composite's, and grad through the loaded graph is A^-T.
TEST(Export, DeterminantsSaveLikeComposites) {
  auto f = [](const Leaves& in) {
    return Leaves{linalg::logdet(in[0]), linalg::det(in[0])};
  };
  const Tensor a = from_vector({4, 1, 0, 1, 3, 1, 0, 1, 2}, {3, 3},
                               DType::Float64);
  auto graph = make_graph(f)(Leaves{a});
  absl::StatusOr<std::string> bytes = serialize_graph(*graph);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<std::shared_ptr<const Graph>> parsed = parse_graph(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const LoadedGraph g = graph_callable(*parsed);
  const Leaves got = g(Leaves{a}), want = f(Leaves{a});
  EXPECT_TRUE(close(got[0], want[0], 1e-12, 1e-12));
  EXPECT_TRUE(close(got[1], want[1], 1e-12, 1e-12));
  const Leaves da =
      grad([&g](const Leaves& v) { return g(v)[0]; })(Leaves{a});
  EXPECT_TRUE(close(da[0], transpose(linalg::inv(a), 0, 1), 1e-12, 1e-12));
}

// A parsed fuzzed graph is valid: small ones run (values or fnx::Error).
void try_parse(const std::string& bytes) {
  absl::StatusOr<std::shared_ptr<const Graph>> g = parse_graph(bytes);
  if (!g.ok()) return;
  for (const Graph::Value& v : (*g)->values) {
    if (numel(v.shape) > 4096) return;
  }
  Leaves inputs;
  for (int32_t v : (*g)->inputs) {
    inputs.push_back(
        v < 0 ? Tensor() : zeros((*g)->values[v].shape, (*g)->values[v].dtype));
  }
  try {
    graph_callable (*g)(inputs);
  } catch (const Error&) {
  }
}

TEST(Export, FuzzedFilesNeverCrash) {
  const std::string golden = read(kGolden);
  ASSERT_FALSE(golden.empty());
  for (std::size_t n = 0; n < golden.size(); ++n) {
    try_parse(golden.substr(0, n));
  }
  Generator gen(11);
  const Tensor picks = randint(0, static_cast<int64_t>(golden.size() * 8),
                               {3000}, DType::Int64, &gen);
  const std::vector<double> bits = picks.to_vector();
  for (std::size_t i = 0; i < bits.size(); ++i) {
    std::string flipped = golden;
    const auto bit = static_cast<std::size_t>(bits[i]);
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    if (i % 2 == 1) {  // two flips
      const auto other = static_cast<std::size_t>(bits[(i * 7) % bits.size()]);
      flipped[other / 8] =
          static_cast<char>(flipped[other / 8] ^ (1 << (other % 8)));
    }
    try_parse(flipped);
  }
}

}  // namespace
}  // namespace fnx
