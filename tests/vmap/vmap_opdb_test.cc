// The op-database suite, one vmap level: for every entry of op_database()
// (every primitive and composite), every sample and each in_dims choice
// (0, 1, -1, none mixes), vmap(op) equals stacking op over the per-example
// inputs. Float64 where the entry has it. The loop fallback is an error
// here, and no primitive may have reached it by the end.
#include <string>
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

constexpr int64_t kBatch = 3;

VmapOptions options_for(const OpInfo& info) {
  // The random entries of the database are their deterministic corners.
  return {.randomness = info.family == "random" ? Randomness::different
                                                : Randomness::error};
}

// Ops with no tensor input (creation): mapped with axis_size.
void check_source(const OpInfo& info, const opinfo::OpFn& op, DType dtype) {
  VmapOptions options = options_for(info);
  options.axis_size = kBatch;
  Tensor got;
  try {
    got = vmap([&op]() { return op({}); }, {}, 0, options)();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "vmap threw: " << e.what();
    return;
  }
  const Tensor one = op({});
  EXPECT_TRUE(matches(got, stack(std::vector<Tensor>(kBatch, one)),
                      info.tolerance(dtype)));
}

void check_choice(const OpInfo& info, const opinfo::OpFn& op, DType dtype,
                  const SampleInput& s, const InDimsChoice& choice) {
  std::vector<TensorList> examples(kBatch, s.inputs);
  TensorList args = s.inputs;
  std::vector<VmapDims> dims;
  for (std::size_t i = 0; i < s.inputs.size(); ++i) {
    if (!choice[i]) {
      dims.emplace_back(none);
      continue;
    }
    std::vector<Tensor> per_example;
    for (int64_t b = 0; b < kBatch; ++b) {
      per_example.push_back(example_variant(s.inputs[i], b));
      examples[b][i] = per_example.back();
    }
    args[i] = stack_at(per_example, *choice[i]);
    dims.emplace_back(*choice[i]);
  }
  auto mapped = vmap([&op](const TensorList& in) { return op(in); },
                     {VmapDims(dims)}, 0, options_for(info));
  if (writes_batched_into_unbatched(info, choice)) {
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
  for (const TensorList& example : examples) want.push_back(op(example));
  EXPECT_TRUE(matches(got, stack(want), info.tolerance(dtype)));
}

class VmapOpDatabase : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { set_vmap_fallback_error(true); }
};

TEST_P(VmapOpDatabase, EqualsTheLoopOverExamples) {
  const OpInfo* info = opinfo::find_op(GetParam());
  ASSERT_NE(info, nullptr);
  const DType dtype = suite_dtype(*info);
  const std::vector<SampleInput> samples = suite_samples(*info, dtype);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const SampleInput& s = samples[i];
    SCOPED_TRACE(opinfo::sample_id(*info, dtype, i) + " " + s.desc);
    const opinfo::OpFn& op = info->op_for(s);
    if (s.inputs.empty()) {
      check_source(*info, op, dtype);
      continue;
    }
    for (const InDimsChoice& choice : in_dims_choices(s.inputs)) {
      SCOPED_TRACE("in_dims " + choice_str(choice));
      check_choice(*info, op, dtype, s, choice);
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

INSTANTIATE_TEST_SUITE_P(AllOps, VmapOpDatabase,
                         ::testing::ValuesIn(op_names()), param_name);

// After every entry ran: no primitive went through the per-example loop.
class NoFallbackCheck : public ::testing::Environment {
 public:
  void TearDown() override {
    const std::vector<std::string> used = vmap_fallback_primitives();
    std::string list;
    for (const std::string& name : used) list += name + " ";
    EXPECT_TRUE(used.empty()) << "primitives that reached the loop: " << list;
  }
};

const auto* const kNoFallbackCheck =
    ::testing::AddGlobalTestEnvironment(new NoFallbackCheck);

}  // namespace
}  // namespace fnx::testing
