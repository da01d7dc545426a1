// What the simulated solvers (cusolver.cc, cublas_trsm.cc) share: moving
// column-major device matrices in and out of cuda_sim's reference Dense
// matrices while stream work runs, and the call-time extent checks.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backends/cuda/sim/dense_algorithms.h"
#include "cuda_sim/stream.h"

namespace cuda_sim {

// Whether a column-major rows x cols matrix with leading dimension ld at p
// lies in one device allocation (nothing to check when it is empty).
template <typename T>
bool matrix_on_device(const T* p, int64_t rows, int64_t cols, int64_t ld) {
  if (rows == 0 || cols == 0) return true;
  return is_device_range(
      p, static_cast<std::size_t>((cols - 1) * ld + rows) * sizeof(T));
}

template <typename T>
Dense load(const T* p, int64_t rows, int64_t cols, int64_t ld) {
  Dense d(rows, cols);
  for (int64_t j = 0; j < cols; ++j) {
    for (int64_t i = 0; i < rows; ++i)
      d(i, j) = static_cast<double>(p[i + j * ld]);
  }
  return d;
}

template <typename T>
void store(const Dense& d, T* p, int64_t ld) {
  for (int64_t j = 0; j < d.cols; ++j) {
    for (int64_t i = 0; i < d.rows; ++i)
      p[i + j * ld] = static_cast<T>(d(i, j));
  }
}

}  // namespace cuda_sim
