#include "tests/opinfo/differentiation.h"

#include <cctype>
#include <cmath>
#include <sstream>

#include "core/ops/ops.h"

namespace fnx::opinfo {
namespace {

// Samples at a non-differentiable point that the database does not tag:
// reducing an expanded input along the expanded dim makes every element a
// tie (amax, amin) or the spread zero (std, where sqrt has no derivative at
// 0). Each is skipped only after checking that the point really is one.
bool untagged_nondiff_point(const OpInfo& info, const SampleInput& s) {
  if (info.name != "amax" && info.name != "amin" && info.name != "std") {
    return false;
  }
  const Tensor x = s.inputs.at(0);
  const Tensor y = info.op_for(s)(s.inputs);
  if (info.name == "std") {
    return y.numel() > 0 && amin(abs(y)).item<double>() == 0;
  }
  const Tensor extreme = info.name == "amax" ? amax(x) : amin(x);
  return eq(x, extreme).to(DType::Int64).sum().item<int64_t>() > 1 &&
         y.numel() < x.numel();
}

}  // namespace

std::vector<int> diff_inputs(const OpInfo& info, const SampleInput& s,
                             bool smooth_only) {
  std::vector<int> out;
  if (!info.differentiable) return out;
  if (smooth_only) {
    if (s.has_tag("nondiff-point") || s.has_tag("ties")) return out;
    if ((s.has_tag("expanded") || info.name == "std") &&
        untagged_nondiff_point(info, s)) {
      return out;
    }
  }
  for (int i : info.diff_args) {
    if (i >= static_cast<int>(s.inputs.size())) continue;
    if (!is_floating(s.inputs[i].dtype())) return {};
    out.push_back(i);
  }
  return out;
}

Tensor Problem::operator()(const std::vector<Tensor>& x) const {
  TensorList in = sample->inputs;
  for (std::size_t k = 0; k < args.size(); ++k) in[args[k]] = x[k];
  return info->op_for(*sample)(in);
}

std::vector<Tensor> Problem::primals() const {
  std::vector<Tensor> x;
  for (int i : args) x.push_back(sample->inputs[i]);
  return x;
}

std::vector<Tensor> random_like(const std::vector<Tensor>& x, Generator& gen) {
  std::vector<Tensor> u;
  for (const Tensor& t : x) u.push_back(randn(t.shape(), t.dtype(), &gen));
  return u;
}

std::vector<Tensor> moved(const std::vector<Tensor>& x,
                          const std::vector<Tensor>& u, double t) {
  std::vector<Tensor> out;
  for (std::size_t k = 0; k < x.size(); ++k) {
    std::vector<double> v = x[k].to_vector();
    const std::vector<double> d = u[k].to_vector();
    for (std::size_t i = 0; i < v.size(); ++i) v[i] += t * d[i];
    out.push_back(from_vector(v, x[k].shape(), DType::Float64));
  }
  return out;
}

Tensor central_difference(const Problem& p, const std::vector<Tensor>& x,
                          const std::vector<Tensor>& u, double eps) {
  const Tensor hi = p(moved(x, u, eps)), lo = p(moved(x, u, -eps));
  const std::vector<double> a = hi.to_vector(), b = lo.to_vector();
  std::vector<double> d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = (a[i] - b[i]) / (2 * eps);
  return from_vector(d, hi.shape(), DType::Float64);
}

double host_dot(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  double s = 0;
  for (std::size_t i = 0; i < x.size(); ++i) s += x[i] * y[i];
  return s;
}

double dot_all(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  double s = 0;
  for (std::size_t k = 0; k < a.size(); ++k) s += host_dot(a[k], b[k]);
  return s;
}

::testing::AssertionResult all_close(const Tensor& got, const Tensor& expected,
                                     double tol) {
  if (got.shape() != expected.shape()) {
    return ::testing::AssertionFailure()
           << "shape " << shape_str(got.shape()) << ", expected "
           << shape_str(expected.shape());
  }
  const std::vector<double> g = got.to_vector(), e = expected.to_vector();
  for (std::size_t i = 0; i < g.size(); ++i) {
    const bool ok = std::isnan(e[i])
                        ? std::isnan(g[i])
                        : std::abs(g[i] - e[i]) <= tol * (1 + std::abs(e[i]));
    if (!ok) {
      return ::testing::AssertionFailure()
             << "element " << i << ": got " << g[i] << ", expected " << e[i];
    }
  }
  return ::testing::AssertionSuccess();
}

std::vector<std::string> differentiable_entries() {
  std::vector<std::string> names;
  for (const OpInfo& info : op_database()) {
    if (info.differentiable && !info.diff_args.empty()) {
      names.push_back(info.name);
    }
  }
  return names;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& p) {
  std::string s = p.param;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

const OpInfo& entry(const std::string& name) {
  const OpInfo* info = find_op(name);
  if (info == nullptr) throw std::runtime_error("no op database entry " + name);
  return *info;
}

std::string describe(const SampleInput& s) {
  std::ostringstream out;
  out << "inputs:";
  for (const Tensor& t : s.inputs) {
    out << "\n  " << (t.defined() ? t.str() : "undefined");
  }
  return out.str();
}

}  // namespace fnx::opinfo
