// Helpers shared by the transform tests (grad, jvp, compose, compile):
// tensor closeness with a readable failure, the same over every output of
// two results, expected fnx::Errors, float64 literals.
#pragma once

#include <cmath>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/tensor.h"
#include "gtest/gtest.h"

namespace fnx::testing {

// Same shape and every value within atol + rtol * |expected|.
inline ::testing::AssertionResult close(const Tensor& got,
                                        const Tensor& expected,
                                        double atol = 1e-6,
                                        double rtol = 1e-6) {
  if (!got.defined() || !expected.defined()) {
    return ::testing::AssertionFailure() << "undefined tensor";
  }
  if (got.shape() != expected.shape()) {
    return ::testing::AssertionFailure()
           << "shape " << shape_str(got.shape()) << ", expected "
           << shape_str(expected.shape());
  }
  const std::vector<double> g = got.to_vector(), e = expected.to_vector();
  for (std::size_t i = 0; i < g.size(); ++i) {
    const bool ok = std::isnan(e[i])
                        ? std::isnan(g[i])
                        : std::abs(g[i] - e[i]) <= atol + rtol * std::abs(e[i]);
    if (!ok) {
      return ::testing::AssertionFailure()
             << "element " << i << ": got " << g[i] << ", expected " << e[i]
             << "\n got " << got.str() << "\n expected " << expected.str();
    }
  }
  return ::testing::AssertionSuccess();
}

// The tensors of a result: a Tensor, or a std::tuple of them.
inline std::vector<Tensor> outputs_of(const Tensor& t) { return {t}; }
template <typename... Ts>
std::vector<Tensor> outputs_of(const std::tuple<Ts...>& t) {
  return std::apply(
      [](const auto&... each) { return std::vector<Tensor>{each...}; }, t);
}

// Every output of `got` equal to the same output of `expected` bit for bit
// (same shape, dtype and values) or, with a tolerance, close(); a failure
// names the output. For a compiled function against the eager one.
template <typename Result>
::testing::AssertionResult each_equal(const Result& got,
                                      const Result& expected) {
  const std::vector<Tensor> g = outputs_of(got), e = outputs_of(expected);
  for (std::size_t k = 0; k < g.size(); ++k) {
    if (!equal(g[k], e[k])) {
      return ::testing::AssertionFailure()
             << "output " << k << " differs:\n got " << g[k].str()
             << "\n expected " << e[k].str();
    }
  }
  return ::testing::AssertionSuccess();
}

template <typename Result>
::testing::AssertionResult each_close(const Result& got, const Result& expected,
                                      double atol, double rtol) {
  const std::vector<Tensor> g = outputs_of(got), e = outputs_of(expected);
  for (std::size_t k = 0; k < g.size(); ++k) {
    ::testing::AssertionResult r = close(g[k], e[k], atol, rtol);
    if (!r) return r << " (output " << k << ")";
  }
  return ::testing::AssertionSuccess();
}

// Runs fn, expecting an fnx::Error whose message contains every part.
template <typename Fn>
::testing::AssertionResult throws_with(Fn&& fn,
                                       const std::vector<std::string>& parts) {
  try {
    fn();
  } catch (const Error& e) {
    const std::string what = e.what();
    for (const std::string& part : parts) {
      if (what.find(part) == std::string::npos) {
        return ::testing::AssertionFailure()
               << "message \"" << what << "\" lacks \"" << part << "\"";
      }
    }
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no fnx::Error thrown";
}

template <typename Fn>
::testing::AssertionResult throws_with(Fn&& fn, const char* part) {
  return throws_with(std::forward<Fn>(fn), std::vector<std::string>{part});
}

inline Tensor f64(const std::vector<double>& v, const Shape& shape) {
  return from_vector(v, shape, DType::Float64);
}
inline Tensor f64(const std::vector<double>& v) {
  return from_vector(v, {static_cast<int64_t>(v.size())}, DType::Float64);
}

}  // namespace fnx::testing
