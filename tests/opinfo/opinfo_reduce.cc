// Reductions over dims (sum, amax, amin, argmax, argmin and the composites
// mean, var, std, logsumexp, softmax, log_softmax, norm). Dims, keepdim and
// the correction vary per sample, so every sample carries its closures.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {

namespace {

using ReduceOp = std::function<Tensor(const Tensor&, const Dims&, bool)>;
using FiberRef = std::function<double(const std::vector<double>&)>;

Dims to_dims(const Index& dims) { return Dims(dims.begin(), dims.end()); }

// One reduction sample: x reduced over `dims` (empty = all) with keepdim.
SampleInput reduce_sample(Tensor x, std::vector<std::string> tags, Index dims,
                          bool keepdim, const ReduceOp& op, const FiberRef& ref,
                          std::optional<DType> result_dtype,
                          const std::string& extra = "") {
  std::string desc =
      "dims=" + dims_str(dims) + (keepdim ? " keepdim" : "") + extra;
  return sample_with(
      {std::move(x)}, std::move(tags), std::move(desc),
      [op, dims, keepdim](const TensorList& in) {
        return op(in.at(0), to_dims(dims), keepdim);
      },
      [ref, dims, keepdim, result_dtype](const TensorList& in) {
        const Nd v = read(in.at(0));
        return reduce(v, dims, keepdim, ref, result_dtype.value_or(v.dtype));
      });
}

struct ReduceCase {
  Shape shape;
  Index dims;
  bool keepdim;
  std::vector<std::string> tags;
  int layout = 0;  // 0 contiguous, 1 transposed, 2 step-sliced, 3 expanded
};

// The (shape, dims, keepdim) cases every reduction runs. `empty_reduce`:
// whether reducing an empty extent is defined (sum yes, amax no);
// `all_dims`: whether the op takes an empty dims list (= all dims).
std::vector<ReduceCase> reduce_cases(bool empty_reduce, bool all_dims) {
  std::vector<ReduceCase> cases = {
      {{3, 4, 5}, {1}, false, {"basic"}},
      {{3, 4, 5}, {0, 2}, true, {"basic"}},
      {{3, 4, 5}, {-1}, false, {"basic"}},
      {{3, 4}, {0, 1}, true, {"basic"}},
      {{4, 5}, {0}, false, {"noncontig"}, 1},
      {{3, 4}, {1}, true, {"noncontig"}, 2},
      {{3, 4}, {0}, false, {"expanded"}, 3},
      {{0, 3}, {1}, false, {"zero-size"}},
      {{}, {0}, false, {"scalar"}},
  };
  if (all_dims) {
    cases.push_back({{3, 4, 5}, {}, false, {"basic"}});
    cases.push_back({{}, {}, false, {"scalar"}});
  }
  if (empty_reduce) {
    cases.push_back({{0, 3}, {0}, false, {"zero-size"}});
    cases.push_back({{0, 3}, {0}, true, {"zero-size"}});
    if (all_dims) cases.push_back({{0, 3}, {}, false, {"zero-size"}});
  }
  return cases;
}

Tensor make_layout(const ReduceCase& c, DType dtype, Generator& gen,
                   Domain domain) {
  switch (c.layout) {
    case 1:
      return make_noncontig(c.shape, dtype, gen, domain);
    case 2:
      return make_strided(c.shape, dtype, gen, domain);
    case 3:
      return make_expanded(c.shape, dtype, gen, domain);
    default:
      return make(c.shape, dtype, gen, domain);
  }
}

struct ReduceSpec {
  std::string name;
  ReduceOp op;
  FiberRef ref;
  std::vector<DType> dtypes;
  Impl impl;
  bool empty_reduce;
  bool all_dims = true;
  // sum accumulates integers and bools in int64, as torch.
  bool int64_result = false;
};

OpInfo reduce_entry(const ReduceSpec& spec) {
  OpInfo info;
  info.name = spec.name;
  info.family = "reduce";
  info.op = [op = spec.op](const TensorList& in) {
    return op(in.at(0), {}, false);
  };
  const bool int64_result = spec.int64_result;
  info.reference = [ref = spec.ref, int64_result](const TensorList& in) {
    const Nd v = read(in.at(0));
    return reduce(v, {}, false, ref,
                  int64_result && !is_floating(v.dtype) ? kI64 : v.dtype);
  };
  info.samples = [spec](DType dtype, Generator& gen) {
    std::vector<SampleInput> v;
    const std::optional<DType> result = spec.int64_result && !is_floating(dtype)
                                            ? std::optional(kI64)
                                            : std::nullopt;
    for (const ReduceCase& c : reduce_cases(spec.empty_reduce, spec.all_dims)) {
      v.push_back(reduce_sample(make_layout(c, dtype, gen, Domain::kAny),
                                c.tags, c.dims, c.keepdim, spec.op, spec.ref,
                                result));
    }
    if (spec.name == "amax" || spec.name == "amin") {
      v.push_back(reduce_sample(make({3, 4}, dtype, gen, Domain::kSmallInt),
                                {"ties"}, {1}, false, spec.op, spec.ref,
                                std::nullopt));
    }
    if (spec.name == "logsumexp") {
      v.push_back(
          reduce_sample(constant({100, 101, 99, 100.5, -100, -101, -99, -100.5},
                                 {2, 4}, dtype),
                        {"basic"}, {1}, false, spec.op, spec.ref, std::nullopt,
                        " large magnitudes"));
    }
    return v;
  };
  info.dtypes = spec.dtypes;
  info.diff_args = {0};
  info.impl = spec.impl;
  return info;
}

double max_of(const std::vector<double>& v) {
  double m = -std::numeric_limits<double>::infinity();
  for (double x : v) m = std::max(m, x);
  return m;
}

double min_of(const std::vector<double>& v) {
  double m = std::numeric_limits<double>::infinity();
  for (double x : v) m = std::min(m, x);
  return m;
}

double logsumexp_of(const std::vector<double>& v) {
  const double m = max_of(v);
  if (!std::isfinite(m)) return m;
  double s = 0;
  for (double x : v) s += std::exp(x - m);
  return m + std::log(s);
}

// var/std: the correction is a per-entry constant bound here, and a
// per-sample one in the extra samples.
OpInfo var_entry(const std::string& name, bool take_sqrt) {
  auto op_for = [take_sqrt](int64_t correction) -> ReduceOp {
    return [take_sqrt, correction](const Tensor& x, const Dims& dims,
                                   bool keepdim) {
      return take_sqrt ? fnx::std(x, dims, correction, keepdim)
                       : var(x, dims, correction, keepdim);
    };
  };
  auto ref_for = [take_sqrt](int64_t correction) -> FiberRef {
    return [take_sqrt, correction](const std::vector<double>& f) {
      const double v = var_of(f, correction);
      return take_sqrt ? std::sqrt(v) : v;
    };
  };
  OpInfo info = reduce_entry({name, op_for(1), ref_for(1), floating_dtypes(),
                              Impl::kComposite, false});
  info.samples = [op_for, ref_for](DType dtype, Generator& gen) {
    std::vector<SampleInput> v;
    for (const ReduceCase& c : reduce_cases(false, true)) {
      // Unbiased variance of one element is undefined: 0-d uses correction 0.
      const int64_t correction = c.shape.empty() ? 0 : 1;
      v.push_back(reduce_sample(make_layout(c, dtype, gen, Domain::kAny),
                                c.tags, c.dims, c.keepdim, op_for(correction),
                                ref_for(correction), std::nullopt,
                                " correction=" + std::to_string(correction)));
    }
    v.push_back(reduce_sample(make({3, 4, 5}, dtype, gen), {"basic"}, {1},
                              false, op_for(0), ref_for(0), std::nullopt,
                              " correction=0"));
    v.push_back(reduce_sample(make({3, 4, 5}, dtype, gen), {"basic"}, {}, true,
                              op_for(0), ref_for(0), std::nullopt,
                              " correction=0"));
    return v;
  };
  return info;
}

OpInfo arg_entry(const std::string& name, bool is_max) {
  OpInfo info;
  info.name = name;
  info.family = "reduce";
  auto op = [is_max](const Tensor& x, int64_t dim, bool keepdim) {
    return is_max ? argmax(x, dim, keepdim) : argmin(x, dim, keepdim);
  };
  // The first extreme value wins (torch's rule for ties).
  FiberRef ref = [is_max](const std::vector<double>& f) {
    size_t best = 0;
    for (size_t i = 1; i < f.size(); ++i) {
      if (is_max ? f[i] > f[best] : f[i] < f[best]) best = i;
    }
    return static_cast<double>(best);
  };
  auto arg_sample = [op, ref](Tensor x, std::vector<std::string> tags,
                              int64_t dim, bool keepdim) {
    return reduce_sample(
        std::move(x), std::move(tags), {dim}, keepdim,
        [op](const Tensor& t, const Dims& dims, bool k) {
          return op(t, dims[0], k);
        },
        ref, kI64);
  };
  info.op = [op](const TensorList& in) { return op(in.at(0), 0, false); };
  info.reference = [ref](const TensorList& in) {
    return reduce(read(in.at(0)), {0}, false, ref, kI64);
  };
  info.samples = [arg_sample](DType dtype, Generator& gen) {
    std::vector<SampleInput> v;
    v.push_back(arg_sample(make({3, 4, 5}, dtype, gen), {"basic"}, 1, false));
    v.push_back(arg_sample(make({3, 4, 5}, dtype, gen), {"basic"}, 0, true));
    v.push_back(arg_sample(make({3, 4, 5}, dtype, gen), {"basic"}, -1, false));
    v.push_back(arg_sample(make_noncontig({4, 5}, dtype, gen), {"noncontig"}, 0,
                           false));
    v.push_back(
        arg_sample(make_strided({3, 4}, dtype, gen), {"noncontig"}, 1, true));
    v.push_back(arg_sample(make({0, 3}, dtype, gen), {"zero-size"}, 1, false));
    v.push_back(arg_sample(make({}, dtype, gen), {"scalar"}, 0, false));
    v.push_back(arg_sample(
        constant({1, 3, 3, 2, 0, 0, -1, 0, -2, 5, -2, 5}, {3, 4}, dtype),
        {"ties"}, 1, false));
    v.push_back(arg_sample(make({4, 6}, dtype, gen, Domain::kSmallInt),
                           {"ties"}, 0, false));
    return v;
  };
  info.dtypes = {kF32, kF64, kI32, kI64};
  info.differentiable = false;
  return info;
}

// softmax / log_softmax along one dim.
OpInfo softmax_entry(const std::string& name, bool log_space) {
  auto op = [log_space](const Tensor& x, int64_t dim) {
    return log_space ? log_softmax(x, dim) : softmax(x, dim);
  };
  auto fiber = [log_space](const std::vector<double>& f) {
    const double lse = logsumexp_of(f);
    std::vector<double> out(f.size());
    for (size_t i = 0; i < f.size(); ++i) {
      out[i] = log_space ? f[i] - lse : std::exp(f[i] - lse);
    }
    return out;
  };
  auto dim_sample = [op, fiber](Tensor x, std::vector<std::string> tags,
                                int64_t dim) {
    return sample_with(
        {std::move(x)}, std::move(tags), "dim=" + std::to_string(dim),
        [op, dim](const TensorList& in) { return op(in.at(0), dim); },
        [fiber, dim](const TensorList& in) {
          return along(read(in.at(0)), dim, fiber);
        });
  };
  OpInfo info;
  info.name = name;
  info.family = "reduce";
  info.op = [op](const TensorList& in) { return op(in.at(0), -1); };
  info.reference = [fiber](const TensorList& in) {
    return along(read(in.at(0)), -1, fiber);
  };
  info.samples = [dim_sample](DType dtype, Generator& gen) {
    std::vector<SampleInput> v;
    v.push_back(dim_sample(make({3, 4}, dtype, gen), {"basic"}, 1));
    v.push_back(dim_sample(make({3, 4}, dtype, gen), {"basic"}, 0));
    v.push_back(dim_sample(make({2, 3, 4}, dtype, gen), {"basic"}, -1));
    v.push_back(dim_sample(make({2, 3, 4}, dtype, gen), {"basic"}, 1));
    // More columns than the CPU kernel takes at once (256).
    v.push_back(dim_sample(make({3, 300}, dtype, gen), {"basic"}, 0));
    v.push_back(dim_sample(
        constant({100, 101, 99, 100.5, -100, -101, -99, -100.5}, {2, 4}, dtype),
        {"basic"}, 1));
    v.push_back(
        dim_sample(make_noncontig({4, 3}, dtype, gen), {"noncontig"}, 1));
    v.push_back(dim_sample(make_expanded({3, 4}, dtype, gen), {"expanded"}, 0));
    v.push_back(dim_sample(make({0, 3}, dtype, gen), {"zero-size"}, 1));
    v.push_back(dim_sample(make({}, dtype, gen), {"scalar"}, 0));
    return v;
  };
  info.dtypes = floating_dtypes();
  info.diff_args = {0};
  info.impl = Impl::kPrimitive;
  return info;
}

OpInfo norm_entry() {
  OpInfo info;
  info.name = "norm";
  info.family = "reduce";
  info.op = [](const TensorList& in) { return norm(in.at(0)); };
  info.reference = [](const TensorList& in) {
    const Nd x = read(in.at(0));
    return reduce(
        x, {}, false,
        [](const std::vector<double>& f) {
          double s = 0;
          for (double v : f) s += v * v;
          return std::sqrt(s);
        },
        x.dtype);
  };
  info.samples = [](DType dtype, Generator& gen) {
    return std::vector<SampleInput>{
        sample({make({3, 4}, dtype, gen)}, {"basic"}),
        sample({make({2, 3, 2}, dtype, gen)}, {"basic"}),
        sample({make_noncontig({4, 3}, dtype, gen)}, {"noncontig"}),
        sample({make_expanded({3, 2}, dtype, gen)}, {"expanded"}),
        sample({make({0, 3}, dtype, gen)}, {"zero-size"}),
        sample({make({}, dtype, gen)}, {"scalar"}),
    };
  };
  info.dtypes = floating_dtypes();
  info.diff_args = {0};
  info.impl = Impl::kComposite;
  return info;
}

}  // namespace

void add_reduce_ops(std::vector<OpInfo>& db) {
  const ReduceOp sum_op = [](const Tensor& x, const Dims& d, bool k) {
    return sum(x, d, k);
  };
  const ReduceOp amax_op = [](const Tensor& x, const Dims& d, bool k) {
    return amax(x, d, k);
  };
  const ReduceOp amin_op = [](const Tensor& x, const Dims& d, bool k) {
    return amin(x, d, k);
  };
  const ReduceOp mean_op = [](const Tensor& x, const Dims& d, bool k) {
    return mean(x, d, k);
  };
  const ReduceOp lse_op = [](const Tensor& x, const Dims& d, bool k) {
    return logsumexp(x, d, k);
  };
  db.push_back(reduce_entry({"sum", sum_op, sum_of, all_dtypes(),
                             Impl::kPrimitive, true, true, true}));
  db.push_back(reduce_entry(
      {"amax", amax_op, max_of, numeric_dtypes(), Impl::kPrimitive, false}));
  db.push_back(reduce_entry(
      {"amin", amin_op, min_of, numeric_dtypes(), Impl::kPrimitive, false}));
  db.push_back(arg_entry("argmax", true));
  db.push_back(arg_entry("argmin", false));
  db.push_back(reduce_entry(
      {"mean", mean_op, mean_of, floating_dtypes(), Impl::kComposite, false}));
  db.push_back(var_entry("var", false));
  db.push_back(var_entry("std", true));
  OpInfo lse =
      reduce_entry({"logsumexp", lse_op, logsumexp_of, floating_dtypes(),
                    Impl::kComposite, false, false});
  lse.op = [](const TensorList& in) { return logsumexp(in.at(0), {-1}); };
  lse.reference = [](const TensorList& in) {
    const Nd x = read(in.at(0));
    return reduce(x, {-1}, false, logsumexp_of, x.dtype);
  };
  db.push_back(lse);
  db.push_back(softmax_entry("softmax", false));
  db.push_back(softmax_entry("log_softmax", true));
  db.push_back(norm_entry());
}

}  // namespace fnx::opinfo
