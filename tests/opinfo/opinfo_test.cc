// Runs every op database entry x dtype x sample on the CPU and compares it
// with the naive float64 reference; checks the database's own invariants
// (coverage of ops.h, tags, seeds) too.
#include "tests/opinfo/opinfo.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "core/error.h"
#include "gtest/gtest.h"

namespace fnx::opinfo {
namespace {

// Samples disabled because of a library bug (each one is reported), as
// "op|dtype|sample index".
const std::set<std::string> kKnownFailures = {};

const std::set<std::string>& known_tags() {
  static const std::set<std::string> tags = {
      "basic",  "broadcast", "noncontig", "expanded",      "zero-size",
      "scalar", "promote",   "copy",      "nondiff-point", "ties"};
  return tags;
}

std::string describe(const Tensor& t) {
  if (!t.defined()) return "undefined";
  std::ostringstream out;
  out << dtype_name(t.dtype()) << shape_str(t.shape());
  if (!t.is_contiguous()) out << " strides" << shape_str(Shape(t.strides()));
  return out.str();
}

std::string describe(const SampleInput& s) {
  std::vector<std::string> parts;
  for (const Tensor& t : s.inputs) parts.push_back(describe(t));
  return "tags {" + absl::StrJoin(s.tags, ",") + "} " + s.desc + " inputs [" +
         absl::StrJoin(parts, "; ") + "]";
}

bool close(double got, double want, Tolerance tol) {
  if (std::isnan(want) || std::isnan(got)) {
    return std::isnan(want) && std::isnan(got);
  }
  if (std::isinf(want) || std::isinf(got)) return got == want;
  return std::abs(got - want) <= tol.atol + tol.rtol * std::abs(want);
}

// Equal values, NaN equal to NaN (nan_to_num's samples hold NaN).
bool same_values(const std::vector<double>& a, const std::vector<double>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](double x, double y) {
                      return x == y || (std::isnan(x) && std::isnan(y));
                    });
}

::testing::AssertionResult matches(const Tensor& out, const Nd& want,
                                   Tolerance tol) {
  if (!out.defined()) return ::testing::AssertionFailure() << "no result";
  if (out.shape() != want.shape) {
    return ::testing::AssertionFailure()
           << "shape " << shape_str(out.shape()) << ", expected "
           << shape_str(want.shape);
  }
  if (out.dtype() != want.dtype) {
    return ::testing::AssertionFailure()
           << "dtype " << dtype_name(out.dtype()) << ", expected "
           << dtype_name(want.dtype);
  }
  const Nd got = read(out);
  int bad = 0;
  std::ostringstream msg;
  for (int64_t i = 0; i < got.numel(); ++i) {
    if (close(got.data[i], want.data[i], tol)) continue;
    if (++bad <= 5) {
      msg << "\n  at "
          << "[" << absl::StrJoin(unravel(i, want.shape), ", ") << "]"
          << ": got " << got.data[i] << ", expected " << want.data[i];
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << got.numel() << " values differ (atol " << tol.atol
         << ", rtol " << tol.rtol << ")" << msg.str();
}

std::vector<std::string> op_names() {
  std::vector<std::string> names;
  for (const OpInfo& info : op_database()) names.push_back(info.name);
  return names;
}

class OpInfoTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OpInfoTest, MatchesReference) {
  const OpInfo* info = find_op(GetParam());
  ASSERT_NE(info, nullptr);
  for_each_sample(*info, [&](DType dtype, size_t i, const SampleInput& s) {
    const std::string id = sample_id(*info, dtype, i);
    SCOPED_TRACE(id + " " + describe(s));
    if (kKnownFailures.count(id) > 0) return;
    std::vector<Nd> before;
    for (const Tensor& t : s.inputs) before.push_back(read(t));
    Tensor out;
    try {
      out = info->op_for(s)(s.inputs);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "threw: " << e.what();
      return;
    }
    const Nd want = info->reference_for(s)(s.inputs);
    EXPECT_TRUE(matches(out, want, info->tolerance(want.dtype)));
    for (size_t k = 0; k < s.inputs.size(); ++k) {
      EXPECT_TRUE(same_values(read(s.inputs[k]).data, before[k].data))
          << "input " << k << " was modified";
    }
    if (info->is_view && !s.has_tag("copy") && out.defined()) {
      EXPECT_EQ(out.impl()->storage, s.inputs.at(0).impl()->storage)
          << "expected a view of input 0";
    }
    if (s.has_tag("noncontig") && !info->in_place) {
      EXPECT_TRUE(
          std::any_of(s.inputs.begin(), s.inputs.end(),
                      [](const Tensor& t) { return !t.is_contiguous(); }))
          << "a noncontig sample must hold a non-contiguous input";
    }
    // The same call again gives the same values (no hidden state).
    try {
      const Tensor again = info->op_for(s)(s.inputs);
      EXPECT_TRUE(matches(again, read(out), Tolerance{0, 0}))
          << "a second call differs";
    } catch (const std::exception& e) {
      ADD_FAILURE() << "second call threw: " << e.what();
    }
  });
}

std::string param_name(const ::testing::TestParamInfo<std::string>& p) {
  std::string name = p.param;
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpInfoTest, ::testing::ValuesIn(op_names()),
                         param_name);

// ---- the database itself ----

TEST(OpDatabase, NamesAreUniqueAndFindable) {
  std::set<std::string> seen;
  for (const OpInfo& info : op_database()) {
    EXPECT_TRUE(seen.insert(info.name).second) << info.name;
    EXPECT_EQ(find_op(info.name), &info);
  }
  EXPECT_EQ(find_op("no_such_op"), nullptr);
}

// The differentiation suites (grad, jvp, compose) run every entry that is
// differentiable and lists diff_args; every other entry must be a
// constant op (or a creation op, which has no tensor inputs).
TEST(OpDatabase, DifferentiableEntriesListTheirArguments) {
  int differentiated = 0;
  for (const OpInfo& info : op_database()) {
    if (info.differentiable && !info.diff_args.empty()) {
      ++differentiated;
      continue;
    }
    EXPECT_TRUE(!info.differentiable || info.family == "creation")
        << info.name << " is differentiable but lists no diff_args";
  }
  EXPECT_GT(differentiated, 80);
}

// Every public op of core/ops/ops.h and core/ops/linalg.h has an entry
// ("name" or "name.variant"; "linalg.name" inside namespace linalg). The
// list is read from the headers themselves (every function returning a
// Tensor, a Tensor&, a std::vector<Tensor> or a ...Result struct), so a new
// op without an entry fails here; only the ops below are exempt, each for
// its reason.
std::vector<std::string> functions_declared_in_ops_h() {
  const std::regex declaration(
      R"(^(Tensor&?|std::vector<Tensor>|[A-Z][A-Za-z]*Result)\s+([a-z_0-9]+)\()");
  std::set<std::string> names;
  for (const char* path : {"core/ops/ops.h", "core/ops/linalg.h"}) {
    std::ifstream header(path);
    EXPECT_TRUE(header.good()) << path << " is not in the runfiles";
    std::string prefix, line;
    std::smatch m;
    while (std::getline(header, line)) {
      if (line.rfind("namespace linalg {", 0) == 0) prefix = "linalg.";
      if (line.rfind("}  // namespace linalg", 0) == 0) prefix.clear();
      if (std::regex_search(line, m, declaration)) {
        names.insert(prefix + m[2].str());
      }
    }
  }
  return {names.begin(), names.end()};
}

TEST(OpDatabase, CoversEveryOpInOpsH) {
  // Random draws have no deterministic reference: their statistics and
  // their batching are tested in tests/core and tests/vmap (randomness).
  // assert_all returns its argument or throws: tests/linalg checks its
  // errors, under vmap too.
  const std::set<std::string> exempt = {"rand", "randn", "normal",
                                        "assert_all"};
  const std::vector<std::string> ops_h = functions_declared_in_ops_h();
  EXPECT_GT(ops_h.size(), 100u) << "the declaration pattern missed ops";
  for (const std::string& op : ops_h) {
    if (exempt.count(op) != 0) continue;
    const bool covered = std::any_of(
        op_database().begin(), op_database().end(), [&](const OpInfo& info) {
          return info.name == op || info.name.rfind(op + ".", 0) == 0;
        });
    EXPECT_TRUE(covered) << op << " has no op database entry";
  }
}

TEST(OpDatabase, EntriesAreWellFormed) {
  int entries = 0, samples = 0;
  for (const OpInfo& info : op_database()) {
    SCOPED_TRACE(info.name);
    ++entries;
    EXPECT_FALSE(info.family.empty());
    EXPECT_FALSE(info.dtypes.empty());
    EXPECT_TRUE(info.op != nullptr);
    EXPECT_TRUE(info.reference != nullptr);
    EXPECT_EQ(info.differentiable, !info.diff_args.empty());
    bool zero_size = false, scalar = false, broadcast = false,
         noncontig = false, has_inputs = false;
    for (DType dtype : info.dtypes) {
      Generator gen(sample_seed(info, dtype));
      const std::vector<SampleInput> list = info.samples(dtype, gen);
      EXPECT_FALSE(list.empty()) << dtype_name(dtype);
      for (const SampleInput& s : list) {
        ++samples;
        EXPECT_EQ(s.op == nullptr, s.reference == nullptr) << s.desc;
        EXPECT_FALSE(s.tags.empty()) << s.desc;
        for (const std::string& tag : s.tags) {
          EXPECT_EQ(known_tags().count(tag), 1u) << tag;
        }
        zero_size = zero_size || s.has_tag("zero-size");
        scalar = scalar || s.has_tag("scalar");
        broadcast = broadcast || s.has_tag("broadcast");
        noncontig = noncontig || s.has_tag("noncontig");
        has_inputs = has_inputs || !s.inputs.empty();
      }
    }
    EXPECT_TRUE(zero_size || !info.needs_zero_size) << "no zero-size sample";
    EXPECT_TRUE(scalar || !info.needs_scalar) << "no scalar sample";
    if (info.family == "binary" && info.name.find('.') == std::string::npos) {
      EXPECT_TRUE(broadcast) << "no broadcasting sample";
    }
    EXPECT_TRUE(noncontig || !has_inputs) << "no non-contiguous sample";
  }
  std::cout << "op database: " << entries << " entries, " << samples
            << " samples over all dtypes\n";
}

// Samples are a pure function of the seed (every suite sees the same ones).
TEST(OpDatabase, SamplesAreReproducible) {
  for (const OpInfo& info : op_database()) {
    const DType dtype = info.dtypes.front();
    Generator g1(sample_seed(info, dtype)), g2(sample_seed(info, dtype));
    const std::vector<SampleInput> a = info.samples(dtype, g1);
    const std::vector<SampleInput> b = info.samples(dtype, g2);
    ASSERT_EQ(a.size(), b.size()) << info.name;
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i].inputs.size(), b[i].inputs.size()) << info.name;
      for (size_t k = 0; k < a[i].inputs.size(); ++k) {
        EXPECT_TRUE(
            same_values(read(a[i].inputs[k]).data, read(b[i].inputs[k]).data))
            << info.name << " sample " << i;
      }
    }
  }
}

// The oracle's reader agrees with the library's to_vector on views.
TEST(OpDatabase, ReaderAgreesWithToVector) {
  Generator gen(3);
  const Tensor base = rand({4, 6}, DType::Float64, &gen);
  for (const Tensor& t :
       {base, base.t(), base.slice(1, 1, 6, 2),
        base.slice(0, 0, 1).expand({3, 6}), base.select(1, 2)}) {
    EXPECT_EQ(read(t).data, t.to_vector()) << describe(t);
  }
}

}  // namespace
}  // namespace fnx::opinfo
