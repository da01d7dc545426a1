// The check the example programs use to compare a transform's result with
// its reference: prints the largest difference, and says MISMATCH (the
// program then exits 1) when it exceeds the tolerance.
#pragma once

#include <iostream>
#include <string>

#include "fnx.h"

namespace fnx_examples {

inline bool check(const std::string& what, const fnx::Tensor& got,
                  const fnx::Tensor& want, double tol = 1e-12) {
  if (got.shape() != want.shape()) {
    std::cout << "MISMATCH: " << what << ": shape "
              << fnx::shape_str(got.shape()) << " vs "
              << fnx::shape_str(want.shape()) << "\n";
    return false;
  }
  const double diff = fnx::amax(fnx::abs(got - want)).item<double>();
  std::cout << "  " << what << ": max difference " << diff << "\n";
  if (diff > tol) {
    std::cout << "MISMATCH: " << what << " exceeds tolerance " << tol << "\n";
    return false;
  }
  return true;
}

}  // namespace fnx_examples
