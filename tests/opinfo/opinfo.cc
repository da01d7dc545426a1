#include "tests/opinfo/opinfo.h"

#include <algorithm>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {

bool SampleInput::has_tag(std::string_view tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

Tolerance OpInfo::tolerance(DType dtype) const {
  switch (dtype) {
    case DType::Float32:
      return tol32;
    case DType::Float64:
      return tol64;
    default:
      return Tolerance{0, 0};
  }
}

const std::vector<OpInfo>& op_database() {
  static const std::vector<OpInfo> db = [] {
    std::vector<OpInfo> entries;
    add_unary_ops(entries);
    add_binary_ops(entries);
    add_math_ops(entries);
    add_reduce_ops(entries);
    add_sort_ops(entries);
    add_view_ops(entries);
    add_shape_ops(entries);
    add_index_ops(entries);
    add_linalg_ops(entries);
    add_einsum_ops(entries);
    add_composite_ops(entries);
    add_decomp_ops(entries);
    add_conv_ops(entries);
    add_nn_ops(entries);
    add_resample_ops(entries);
    add_misc_ops(entries);
    add_inplace_ops(entries);
    add_custom_ops(entries);
    add_control_ops(entries);
    return entries;
  }();
  return db;
}

const OpInfo* find_op(std::string_view name) {
  for (const OpInfo& info : op_database()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

uint64_t sample_seed(const OpInfo& info, DType dtype) {
  // FNV-1a over the name, then the dtype.
  uint64_t h = 1469598103934665603ull;
  for (char c : info.name) {
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  return (h ^ static_cast<uint64_t>(dtype)) * 1099511628211ull;
}

void for_each_sample(
    const OpInfo& info,
    const std::function<void(DType, size_t, const SampleInput&)>& fn) {
  for (DType dtype : info.dtypes) {
    Generator gen(sample_seed(info, dtype));
    const std::vector<SampleInput> samples = info.samples(dtype, gen);
    for (size_t i = 0; i < samples.size(); ++i) fn(dtype, i, samples[i]);
  }
}

std::string sample_id(const OpInfo& info, DType dtype, size_t index) {
  return info.name + "|" + std::string(dtype_name(dtype)) + "|" +
         std::to_string(index);
}

std::string impl_name(Impl impl) {
  return impl == Impl::kPrimitive ? "primitive" : "composite";
}

}  // namespace fnx::opinfo
