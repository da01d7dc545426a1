// The op database's in-place entries (every in-place op, written whole and
// through view chains) under functionalize: the same outputs and the same
// input mutation as running them eagerly, with no in-place primitive
// reaching the level below but the one write-back per mutated input; and
// composed with vmap, grad and jvp, against the same compositions without
// functionalize (checked against references by their own suites) or a
// per-example loop.
#include <string>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "tests/functionalize/op_recorder.h"
#include "tests/opinfo/differentiation.h"
#include "tests/opinfo/opinfo.h"
#include "tests/testing/transform_test_util.h"

namespace fnx::testing {
namespace {

using opinfo::OpInfo;
using opinfo::SampleInput;
using opinfo::TensorList;

constexpr double kTol = 1e-12;
constexpr int64_t kBatch = 3;

std::vector<std::string> in_place_entries() {
  std::vector<std::string> names;
  for (const OpInfo& info : opinfo::op_database()) {
    if (info.in_place) names.push_back(info.name);
  }
  return names;
}

// Float64 samples of the entry (every in-place entry has float64).
std::vector<SampleInput> samples_of(const OpInfo& info) {
  std::vector<SampleInput> out;
  opinfo::for_each_sample(info, [&](DType dtype, size_t, const SampleInput& s) {
    if (dtype == DType::Float64) out.push_back(s);
  });
  return out;
}

TensorList clones(const TensorList& ts) {
  TensorList out;
  for (const Tensor& t : ts) out.push_back(clone(t));
  return out;
}

class FunctionalizeOpDatabase : public ::testing::TestWithParam<std::string> {
 protected:
  const OpInfo& info() const { return opinfo::entry(GetParam()); }
};

// f mutates its inputs and returns the mutated destination and a view of
// it; functionalized, f gives the same, and only pure ops run below it.
TEST_P(FunctionalizeOpDatabase, SameOutputsAndMutationsAsEager) {
  for (const SampleInput& s : samples_of(info())) {
    SCOPED_TRACE(s.desc);
    ASSERT_TRUE(static_cast<bool>(s.mutate));
    auto f = [&s](TensorList in) {
      s.mutate(in);
      return TensorList{in[0], in[0].reshape({-1})};
    };
    TensorList eager_in = clones(s.inputs);
    const TensorList eager_out = f(eager_in);
    for (Remove remove : {Remove::mutations, Remove::mutations_and_views}) {
      SCOPED_TRACE(remove == Remove::mutations ? "mutations"
                                               : "mutations_and_views");
      TensorList in = clones(s.inputs);
      OpRecorder recorder;
      TensorList out;
      {
        InterpreterScope scope(recorder);
        out = functionalize(f, {.remove = remove})(recorder.wrap_all(in));
      }
      ASSERT_EQ(out.size(), eager_out.size());
      for (std::size_t i = 0; i < out.size(); ++i) {
        EXPECT_TRUE(close(out[i], eager_out[i], kTol, kTol)) << "output " << i;
      }
      for (std::size_t i = 0; i < in.size(); ++i) {
        EXPECT_TRUE(close(in[i], eager_in[i], kTol, kTol)) << "input " << i;
      }
      EXPECT_EQ(recorder.count(Prim::CopyInto), 1)
          << "in-place primitives below functionalize: only the write-back";
      EXPECT_EQ(recorder.ops.back(), Prim::CopyInto);
      if (remove == Remove::mutations_and_views) {
        for (const Tensor& o : out) {
          EXPECT_NE(memory_of(o), memory_of(in[0])) << "an output aliases";
        }
      }
    }
  }
}

// Per-example variants of the floating inputs, stacked on dim 0.
Tensor batch_of(const Tensor& x) {
  std::vector<Tensor> examples;
  for (int64_t b = 0; b < kBatch; ++b) examples.push_back(x * (1.0 + 0.25 * b));
  return stack(examples);
}

// vmap over the op (a write into a clone of input 0): with every floating
// input mapped, and with input 0 not mapped but the others mapped, which
// plain vmap refuses (a per-example value written into one memory) and
// vmap(functionalize(op)) maps like any pure function.
TEST_P(FunctionalizeOpDatabase, UnderVmap) {
  for (const SampleInput& s : samples_of(info())) {
    SCOPED_TRACE(s.desc);
    const opinfo::OpFn& op = info().op_for(s);
    for (bool map_destination : {true, false}) {
      SCOPED_TRACE(map_destination ? "all mapped" : "destination not mapped");
      std::vector<VmapDims> dims;
      TensorList args;
      bool others_mapped = false;
      for (std::size_t i = 0; i < s.inputs.size(); ++i) {
        const bool mapped =
            is_floating(s.inputs[i].dtype()) && (i > 0 || map_destination);
        others_mapped |= mapped && i > 0;
        args.push_back(mapped ? batch_of(s.inputs[i]) : s.inputs[i]);
        dims.emplace_back(mapped ? VmapDims(0) : VmapDims(none));
      }
      if (!map_destination && !others_mapped) continue;
      std::vector<Tensor> loop;
      for (int64_t b = 0; b < kBatch; ++b) {
        TensorList example;
        for (std::size_t i = 0; i < args.size(); ++i) {
          example.push_back(dims[i].is_none() ? args[i] : args[i][b]);
        }
        loop.push_back(op(example));
      }
      const Tensor want = stack(loop);
      auto fn = [&op](const TensorList& in) { return op(in); };
      const Tensor got = vmap(functionalize(fn), {VmapDims(dims)})(args);
      EXPECT_TRUE(close(got, want, kTol, kTol));
      if (map_destination) {
        EXPECT_TRUE(close(functionalize(vmap(fn, {VmapDims(dims)}))(args), want,
                          kTol, kTol));
      } else {
        EXPECT_TRUE(throws_with([&] { vmap(fn, {VmapDims(dims)})(args); },
                                std::vector<std::string>{"cannot write a batched value"}));
      }
    }
  }
}

// grad and jvp of the op functionalized, inside and outside, equal them
// without functionalize (which their own suites check against finite
// differences).
TEST_P(FunctionalizeOpDatabase, UnderGradAndJvp) {
  Generator gen(17);
  for (const SampleInput& s : samples_of(info())) {
    SCOPED_TRACE(s.desc);
    const opinfo::Problem p{&info(), &s, opinfo::diff_inputs(info(), s, false)};
    if (p.args.empty()) continue;
    const std::vector<Tensor> x = p.primals();
    const Tensor probe = p(x);
    const Tensor weights = randn(probe.shape(), probe.dtype(), &gen);
    auto loss = [&p, &weights](const std::vector<Tensor>& v) {
      return (p(v) * weights).sum();
    };
    const std::vector<Tensor> want = grad(loss)(x);
    const std::vector<Tensor> inside = grad(functionalize(loss))(x);
    const std::vector<Tensor> outside = functionalize(grad(loss))(x);
    ASSERT_EQ(inside.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_TRUE(close(inside[i], want[i], kTol, kTol)) << "grad input " << i;
      EXPECT_TRUE(close(outside[i], want[i], kTol, kTol)) << "grad input " << i;
    }
    const std::vector<Tensor> u = opinfo::random_like(x, gen);
    auto fn = [&p](const std::vector<Tensor>& v) { return p(v); };
    const auto [out, tangent] = jvp(fn, x, u);
    const auto [f_out, f_tangent] = jvp(functionalize(fn), x, u);
    EXPECT_TRUE(close(f_out, out, kTol, kTol));
    EXPECT_TRUE(close(f_tangent, tangent, kTol, kTol));
  }
}

INSTANTIATE_TEST_SUITE_P(InPlace, FunctionalizeOpDatabase,
                         ::testing::ValuesIn(in_place_entries()),
                         opinfo::test_name);

TEST(FunctionalizeOpDatabase, CoversEveryInPlaceOp) {
  EXPECT_GE(in_place_entries().size(), 15u);
}

}  // namespace
}  // namespace fnx::testing
