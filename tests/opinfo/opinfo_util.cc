#include "tests/opinfo/opinfo_util.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_join.h"

namespace fnx::opinfo {

const std::vector<DType>& floating_dtypes() {
  static const std::vector<DType> dtypes{kF32, kF64};
  return dtypes;
}

const std::vector<DType>& numeric_dtypes() {
  static const std::vector<DType> dtypes{kF32, kF64, kI32, kI64};
  return dtypes;
}

const std::vector<DType>& all_dtypes() {
  static const std::vector<DType> dtypes{kF32, kF64, kI32, kI64, kBool};
  return dtypes;
}

namespace {

// Maps u in [0, 1) into the domain for the dtype's category.
double shape_value(double u, DType dtype, Domain domain) {
  const bool negative = u < 0.5;
  const double sign = negative ? -1.0 : 1.0;
  const double frac = negative ? 2 * u : 2 * u - 1;  // in [0, 1)
  if (dtype == kBool) {
    return (domain == Domain::kPositive || domain == Domain::kNonZero ||
            domain == Domain::kAboveOne)
               ? 1.0
               : (negative ? 0.0 : 1.0);
  }
  const bool floating = is_floating(dtype);
  switch (domain) {
    case Domain::kAny:
      return floating ? sign * (0.1 + 1.9 * frac) : std::floor(u * 11) - 5;
    case Domain::kPositive:
      return floating ? 0.5 + 2 * u : 1 + std::floor(u * 5);
    case Domain::kNonZero:
      return floating ? sign * (0.5 + 1.5 * frac)
                      : sign * (1 + std::floor(frac * 5));
    case Domain::kSmallInt:
      return std::floor(u * 5) - 2;
    case Domain::kUnit:
      return floating ? sign * (0.1 + 0.8 * frac) : std::floor(u * 3) - 1;
    case Domain::kAboveOne:
      return floating ? 1.2 + 2 * u : 2 + std::floor(u * 3);
  }
  return u;
}

}  // namespace

Tensor make(const Shape& shape, DType dtype, Generator& gen, Domain domain) {
  const int64_t n = count(shape);
  std::vector<double> data;
  if (n > 0) data = values(rand({n}, kF64, &gen));
  for (double& v : data) v = shape_value(v, dtype, domain);
  return constant(data, shape, dtype);
}

Tensor make_noncontig(const Shape& shape, DType dtype, Generator& gen,
                      Domain domain) {
  const size_t rank = shape.size();
  if (rank == 0) return make(shape, dtype, gen, domain);
  if (rank == 1) {
    return make({2 * shape[0]}, dtype, gen, domain)
        .slice(0, 0, 2 * shape[0], 2);
  }
  Shape swapped = shape;
  std::swap(swapped[rank - 1], swapped[rank - 2]);
  return make(swapped, dtype, gen, domain).transpose(-1, -2);
}

Tensor make_strided(const Shape& shape, DType dtype, Generator& gen,
                    Domain domain) {
  Shape base = shape;
  base[0] *= 2;
  return make(base, dtype, gen, domain).slice(0, 0, base[0], 2);
}

Tensor make_expanded(const Shape& shape, DType dtype, Generator& gen,
                     Domain domain) {
  Shape base = shape;
  base[0] = 1;
  return make(base, dtype, gen, domain).expand(shape);
}

Tensor make_index(const Shape& shape, int64_t high, Generator& gen) {
  const int64_t n = count(shape);
  std::vector<int64_t> data(n);
  if (n > 0) {
    const std::vector<double> u = values(rand({n}, kF64, &gen));
    for (int64_t i = 0; i < n; ++i) {
      data[i] = static_cast<int64_t>(std::floor(u[i] * high));
    }
  }
  return from_vector(data, shape, kI64);
}

Tensor constant(const std::vector<double>& data, const Shape& shape,
                DType dtype) {
  return from_vector(data, shape, dtype);
}

SampleInput sample(TensorList inputs, std::vector<std::string> tags,
                   std::string desc) {
  return SampleInput{
      std::move(inputs), std::move(tags), std::move(desc), {}, {}};
}

SampleInput sample_with(TensorList inputs, std::vector<std::string> tags,
                        std::string desc, OpFn op, RefFn reference) {
  return SampleInput{std::move(inputs), std::move(tags), std::move(desc),
                     std::move(op), std::move(reference)};
}

SampleInput sample1(Tensor x, std::vector<std::string> tags, std::string desc,
                    std::function<Tensor(const Tensor&)> op,
                    std::function<Nd(const Nd&)> reference) {
  return sample_with(
      {std::move(x)}, std::move(tags), std::move(desc),
      [op = std::move(op)](const TensorList& in) { return op(in.at(0)); },
      [reference = std::move(reference)](const TensorList& in) {
        return reference(read(in.at(0)));
      });
}

OpInfo entry1(std::string name, std::string family, Impl impl,
              std::function<Tensor(const Tensor&)> op,
              std::function<Nd(const Nd&)> reference) {
  OpInfo info;
  info.name = std::move(name);
  info.family = std::move(family);
  info.impl = impl;
  info.op = [op = std::move(op)](const TensorList& in) { return op(in.at(0)); };
  info.reference = [reference = std::move(reference)](const TensorList& in) {
    return reference(read(in.at(0)));
  };
  info.diff_args = {0};
  return info;
}

std::string dims_str(const Index& dims) {
  return "{" + absl::StrJoin(dims, ", ") + "}";
}

std::vector<SampleInput> elementwise_unary_samples(
    DType dtype, Generator& gen, Domain domain,
    const std::vector<double>& special) {
  std::vector<SampleInput> s;
  s.push_back(sample({make({3, 4}, dtype, gen, domain)}, {"basic"}));
  s.push_back(sample({make({2, 3, 2}, dtype, gen, domain)}, {"basic"}));
  s.push_back(sample({make_noncontig({4, 3}, dtype, gen, domain)},
                     {"noncontig"}, "transposed"));
  s.push_back(sample({make_noncontig({5}, dtype, gen, domain)}, {"noncontig"},
                     "step-2 slice"));
  s.push_back(sample({make_strided({3, 2}, dtype, gen, domain)}, {"noncontig"},
                     "rows with step 2"));
  s.push_back(
      sample({make_expanded({3, 4}, dtype, gen, domain)}, {"expanded"}));
  s.push_back(sample({make({0, 3}, dtype, gen, domain)}, {"zero-size"}));
  s.push_back(sample({make({}, dtype, gen, domain)}, {"scalar"}));
  if (!special.empty()) {
    const int64_t n = static_cast<int64_t>(special.size());
    s.push_back(sample({constant(special, {n}, dtype)}, {"nondiff-point"},
                       "special values"));
  }
  return s;
}

}  // namespace fnx::opinfo
