// The op database on CUDA: every entry x dtype x sample runs on the CPU and
// on the device from the same inputs (mirrored with their strides, so
// strided, expanded and zero-size inputs stay so), and the results must
// agree within float tolerances (exactly for integers and bool), land on
// the device, leave the inputs alone and be views where the op promises
// one. Creation ops without tensor inputs build on the CPU by default and
// are covered by device_test.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "core/error.h"
#include "gtest/gtest.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/opinfo/opinfo.h"

namespace fnx::cuda_test {
namespace {

using opinfo::OpInfo;
using opinfo::SampleInput;

std::vector<std::string> op_names() {
  std::vector<std::string> names;
  for (const OpInfo& info : opinfo::op_database()) names.push_back(info.name);
  return names;
}

std::string param_name(const ::testing::TestParamInfo<std::string>& p) {
  std::string name = p.param;
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

class OpInfoCudaTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OpInfoCudaTest, MatchesCpu) {
  FNX_SKIP_WITHOUT_CUDA();
  const OpInfo* info = opinfo::find_op(GetParam());
  ASSERT_NE(info, nullptr);
  int ran = 0;
  opinfo::for_each_sample(*info, [&](DType dtype, size_t i,
                                     const SampleInput& s) {
    if (s.inputs.empty()) return;
    const std::string id = opinfo::sample_id(*info, dtype, i);
    SCOPED_TRACE(id + " " + s.desc + " tags {" + absl::StrJoin(s.tags, ",") +
                 "}");
    Tensor want;
    try {
      want = info->op_for(s)(s.inputs);
    } catch (const Error&) {
      return;  // not a valid call on the CPU either (none in the database)
    }
    const std::vector<Tensor> on_device = mirror(s.inputs, device());
    Tensor got;
    try {
      got = info->op_for(s)(on_device);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "threw on " << device().str() << ": " << e.what();
      return;
    }
    ++ran;
    ASSERT_TRUE(got.defined());
    // to_device's entry moves its input to the CPU; every other op keeps
    // its result on the inputs' device.
    const Device expected =
        info->name == "to_device" ? Device::cpu() : device();
    EXPECT_EQ(got.device(), expected) << "the result is on the wrong device";
    const Tol base = tolerance_for(want.dtype());
    const bool f32 = want.dtype() == DType::Float32;
    const double atol = std::max(base.atol, f32 ? info->tol32.atol : 0.0);
    const double rtol = std::max(base.rtol, f32 ? info->tol32.rtol : 0.0);
    EXPECT_TRUE(close(got, want, atol, rtol));
    for (size_t k = 0; k < s.inputs.size(); ++k) {
      EXPECT_TRUE(close(on_device[k], s.inputs[k], 0, 0))
          << "input " << k << " was modified";
    }
    if (info->is_view && !s.has_tag("copy")) {
      EXPECT_EQ(got.impl()->storage, on_device.at(0).impl()->storage)
          << "expected a view of input 0";
    }
  });
  if (ran == 0) GTEST_SKIP() << "no sample with tensor inputs";
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpInfoCudaTest,
                         ::testing::ValuesIn(op_names()), param_name);

}  // namespace
}  // namespace fnx::cuda_test
