// The op-database suite two vmap levels deep: vmap(vmap(op, inner), outer)
// over inputs with two batch dims equals the double loop over examples, for
// every entry and sample and a few (outer, inner) in_dims choices.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/opinfo/opinfo.h"
#include "tests/vmap/opdb_util.h"
#include "tests/vmap/test_util.h"
#include "transforms/vmap/vmap.h"

namespace fnx::testing {
namespace {

using opinfo::OpInfo;
using opinfo::SampleInput;
using opinfo::TensorList;

constexpr int64_t kOuter = 2;
constexpr int64_t kInner = 3;

// Per input: (outer in_dim, inner in_dim).
using NestedChoice = std::vector<std::pair<InDim, InDim>>;

std::vector<NestedChoice> nested_choices(const TensorList& inputs) {
  const std::size_t n = inputs.size();
  std::vector<NestedChoice> out(4, NestedChoice(n));
  for (std::size_t i = 0; i < n; ++i) {
    const bool scalar = inputs[i].dim() == 0;
    out[0][i] = {0, 0};
    out[1][i] = {-1, scalar ? 0 : 1};
    out[2][i] = n == 1   ? std::make_pair(InDim(0), InDim(-1))
                : i == 0 ? std::make_pair(InDim(0), InDim())
                         : std::make_pair(InDim(), InDim(0));
    out[3][i] = {1, -1};
  }
  return out;
}

std::string nested_str(const NestedChoice& c) {
  InDimsChoice outer, inner;
  for (const auto& [o, in] : c) {
    outer.push_back(o);
    inner.push_back(in);
  }
  return "outer " + choice_str(outer) + " inner " + choice_str(inner);
}

VmapOptions options_for(const OpInfo& info) {
  return {.randomness = info.family == "random" ? Randomness::different
                                                : Randomness::error};
}

void check_nested(const OpInfo& info, const opinfo::OpFn& op, DType dtype,
                  const SampleInput& s, const NestedChoice& choice) {
  // examples[b1][b2]: the inputs of example (b1, b2).
  std::vector<std::vector<TensorList>> examples(
      kOuter, std::vector<TensorList>(kInner, s.inputs));
  TensorList args;
  std::vector<VmapDims> outer_dims, inner_dims;
  for (std::size_t i = 0; i < s.inputs.size(); ++i) {
    const auto [o, in] = choice[i];
    std::vector<Tensor> per_outer;
    for (int64_t b1 = 0; b1 < kOuter; ++b1) {
      std::vector<Tensor> per_inner;
      for (int64_t b2 = 0; b2 < kInner; ++b2) {
        const int64_t k = (o ? b1 * kInner : 0) + (in ? b2 : 0);
        per_inner.push_back(example_variant(s.inputs[i], k));
        examples[b1][b2][i] = per_inner.back();
      }
      per_outer.push_back(in ? stack_at(per_inner, *in) : per_inner[0]);
    }
    args.push_back(o ? stack_at(per_outer, *o) : per_outer[0]);
    outer_dims.push_back(o ? VmapDims(*o) : VmapDims(none));
    inner_dims.push_back(in ? VmapDims(*in) : VmapDims(none));
  }
  const VmapOptions options = options_for(info);
  auto inner = vmap([&op](const TensorList& in) { return op(in); },
                    {VmapDims(inner_dims)}, 0, options);
  auto mapped = vmap(inner, {VmapDims(outer_dims)}, 0, options);
  // An in-place write of a value batched at a level where the destination
  // is not is the documented error.
  bool into_unbatched = false;
  for (std::size_t i = 1; info.in_place && i < choice.size(); ++i) {
    into_unbatched |= (!choice[0].first && choice[i].first) ||
                      (!choice[0].second && choice[i].second);
  }
  if (into_unbatched) {
    EXPECT_TRUE(throws_error([&] { mapped(args); }, {"cannot write a batched value"}));
    return;
  }
  Tensor got;
  try {
    got = mapped(args);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "vmap threw: " << e.what();
    return;
  }
  std::vector<Tensor> want;
  for (const auto& row : examples) {
    std::vector<Tensor> inner_want;
    for (const TensorList& example : row) inner_want.push_back(op(example));
    want.push_back(stack(inner_want));
  }
  EXPECT_TRUE(matches(got, stack(want), info.tolerance(dtype)));
}

class VmapOpDatabaseNested : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { set_vmap_fallback_error(true); }
};

TEST_P(VmapOpDatabaseNested, EqualsTheDoubleLoop) {
  const OpInfo* info = opinfo::find_op(GetParam());
  ASSERT_NE(info, nullptr);
  const DType dtype = suite_dtype(*info);
  const std::vector<SampleInput> samples = suite_samples(*info, dtype);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const SampleInput& s = samples[i];
    SCOPED_TRACE(opinfo::sample_id(*info, dtype, i) + " " + s.desc);
    if (s.inputs.empty()) continue;  // sources: the one-level suite
    for (const NestedChoice& choice : nested_choices(s.inputs)) {
      SCOPED_TRACE(nested_str(choice));
      check_nested(*info, info->op_for(s), dtype, s, choice);
    }
  }
}

std::vector<std::string> op_names() {
  std::vector<std::string> names;
  for (const OpInfo& info : opinfo::op_database()) names.push_back(info.name);
  return names;
}

std::string param_name(const ::testing::TestParamInfo<std::string>& p) {
  std::string name = p.param;
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllOps, VmapOpDatabaseNested,
                         ::testing::ValuesIn(op_names()), param_name);

}  // namespace
}  // namespace fnx::testing
