// Helpers shared by the vmap tests.
#pragma once

#include <string>

#include "core/error.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"

namespace fnx::testing {

// Same shape, dtype and values (within tolerance for floats).
inline ::testing::AssertionResult same_values(const Tensor& got,
                                              const Tensor& want,
                                              double tol = 1e-12) {
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
  if (!allclose(got, want, tol, tol, /*equal_nan=*/true)) {
    return ::testing::AssertionFailure()
           << "values differ:\n  got  " << got.str() << "\n  want "
           << want.str();
  }
  return ::testing::AssertionSuccess();
}

// Runs fn, expecting an fnx::Error whose message contains every part.
template <typename Fn>
::testing::AssertionResult throws_error(
    Fn&& fn, std::initializer_list<std::string> parts) {
  try {
    fn();
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const std::string& part : parts) {
      if (message.find(part) == std::string::npos) {
        return ::testing::AssertionFailure()
               << "message lacks \"" << part << "\": " << message;
      }
    }
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no fnx::Error was thrown";
}

}  // namespace fnx::testing
