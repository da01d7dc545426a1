// Small helpers shared by the demos: a stopwatch and number formatting.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace fnx::demos {

// Wall-clock time since construction (or the last reset).
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  void reset() { start_ = std::chrono::steady_clock::now(); }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// `value` with `digits` digits after the point ("0.123").
inline std::string fixed(double value, int digits = 3) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, value);
  return buf;
}

// Seconds as "1.23 s" or "4.5 ms".
inline std::string format_seconds(double s) {
  return s < 1.0 ? fixed(s * 1e3, 1) + " ms" : fixed(s, 2) + " s";
}

// Largest absolute elementwise difference (shapes must match).
inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_vector();
  const std::vector<double> y = b.to_vector();
  double m = x.size() == y.size() ? 0.0 : 1e300;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
    const double d = x[i] > y[i] ? x[i] - y[i] : y[i] - x[i];
    m = d > m ? d : m;
  }
  return m;
}

}  // namespace fnx::demos
