#include "tests/vmap/opdb_util.h"

#include <cmath>
#include <set>
#include <sstream>

#include "core/generator.h"
#include "core/ops/ops.h"

namespace fnx::testing {

using opinfo::OpInfo;
using opinfo::SampleInput;
using opinfo::TensorList;

DType suite_dtype(const OpInfo& info) {
  for (DType d : info.dtypes) {
    if (d == DType::Float64) return d;
  }
  return info.dtypes.back();
}

std::vector<SampleInput> suite_samples(const OpInfo& info, DType dtype) {
  Generator gen(opinfo::sample_seed(info, dtype));
  return info.samples(dtype, gen);
}

Tensor example_variant(const Tensor& x, int64_t k) {
  const int64_t n = x.numel();
  if (k == 0 || n <= 1) return x;
  std::vector<int64_t> perm(n);
  for (int64_t i = 0; i < n; ++i) {
    // Rotated by k, and reversed for odd k.
    const int64_t j = k % 2 == 1 ? n - 1 - i : i;
    perm[i] = (j + k) % n;
  }
  const Tensor flat = reshape(contiguous(x), {n});
  return reshape(index_select(flat, 0, from_vector(perm, {n})), x.shape());
}

std::vector<InDimsChoice> in_dims_choices(const TensorList& inputs) {
  const std::size_t n = inputs.size();
  std::vector<InDimsChoice> raw;
  raw.push_back(InDimsChoice(n, 0));
  raw.push_back(InDimsChoice(n, 1));
  raw.push_back(InDimsChoice(n, -1));
  for (std::size_t i = 0; n > 1 && i < n; ++i) {
    for (int64_t d : {0, -1}) {
      InDimsChoice only(n, std::nullopt);
      only[i] = d;
      raw.push_back(only);
    }
    if (n > 2) {
      InDimsChoice all_but(n, 0);
      all_but[i] = std::nullopt;
      raw.push_back(all_but);
    }
  }
  std::vector<InDimsChoice> out;
  std::set<std::string> seen;
  for (InDimsChoice c : raw) {
    for (std::size_t i = 0; i < n; ++i) {
      if (c[i] && *c[i] == 1 && inputs[i].dim() == 0) c[i] = 0;
    }
    if (seen.insert(choice_str(c)).second) out.push_back(c);
  }
  return out;
}

std::string choice_str(const InDimsChoice& choice) {
  std::ostringstream out;
  out << "{";
  for (std::size_t i = 0; i < choice.size(); ++i) {
    out << (i ? ", " : "");
    if (choice[i]) {
      out << *choice[i];
    } else {
      out << "none";
    }
  }
  out << "}";
  return out.str();
}

Tensor stack_at(const std::vector<Tensor>& examples, int64_t dim) {
  return stack(examples, dim < 0 ? examples[0].dim() + 1 + dim : dim);
}

::testing::AssertionResult matches(const Tensor& got, const Tensor& want,
                                   opinfo::Tolerance tol) {
  if (got.shape() != want.shape()) {
    return ::testing::AssertionFailure()
           << "shape " << shape_str(got.shape()) << ", expected "
           << shape_str(want.shape());
  }
  if (got.dtype() != want.dtype()) {
    return ::testing::AssertionFailure()
           << "dtype " << dtype_name(got.dtype()) << ", expected "
           << dtype_name(want.dtype());
  }
  const std::vector<double> g = got.to_vector(), w = want.to_vector();
  int bad = 0;
  std::ostringstream msg;
  for (std::size_t i = 0; i < g.size(); ++i) {
    const bool ok =
        (std::isnan(g[i]) && std::isnan(w[i])) || g[i] == w[i] ||
        std::abs(g[i] - w[i]) <= tol.atol + tol.rtol * std::abs(w[i]);
    if (!ok && ++bad <= 4) {
      msg << "\n  element " << i << ": got " << g[i] << ", expected " << w[i];
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << g.size() << " values differ" << msg.str();
}

bool writes_batched_into_unbatched(const OpInfo& info,
                                   const InDimsChoice& choice) {
  if (!info.in_place || choice[0].has_value()) return false;
  for (std::size_t i = 1; i < choice.size(); ++i) {
    if (choice[i].has_value()) return true;
  }
  return false;
}

}  // namespace fnx::testing
