// The harness the documentation's examples run in (tests/docs): every
// ```cpp block of docs/API.md and README.md is compiled with this header
// included, `using namespace fnx;` and `using namespace fnx_docs;` (see
// extract_examples.sh). A block checks what it shows with:
//
//   check(cond);                          // a condition
//   check_close(actual, expected, tol);   // Tensor vs Tensor, Tensor vs
//                                         // number (every element), number
//                                         // vs number
//   check_values(t, {1, 2, 3, 4});        // t's elements, row-major
//   check_shape(t, {2, 3});
//   check_throws([&] { dot(x, x2d); });   // an fnx::Error is thrown
//
// A failed check throws CheckFailure with the block's line in the Markdown
// file; run_examples reports which example failed and goes on with the
// next one.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <source_location>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "fnx.h"
#include "nn/checkpoint.h"  // nn::save, nn::load (not in fnx.h: //nn:checkpoint)
#include "transforms/compile/export.h"  // save_graph, load_graph, place_graph (//transforms/compile:export)
#include "transforms/vmap/vmap_collectives.h"  // not in fnx.h

namespace fnx_docs {

class CheckFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail_check(const std::source_location& loc,
                                    const std::string& what) {
  std::ostringstream s;
  s << loc.file_name() << ":" << loc.line() << ": check failed: " << what;
  throw CheckFailure(s.str());
}

inline void check(bool cond,
                  std::source_location loc = std::source_location::current()) {
  if (!cond) fail_check(loc, "condition is false");
}

inline bool close(double a, double e, double tol) {
  if (std::isnan(a) || std::isnan(e)) return std::isnan(a) && std::isnan(e);
  if (std::isinf(a) || std::isinf(e)) return a == e;
  return std::fabs(a - e) <= tol * (1.0 + std::fabs(e));
}

inline std::string shape_str(const fnx::Shape& shape) {
  std::ostringstream s;
  s << "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    s << (i == 0 ? "" : ", ") << shape[i];
  }
  s << "]";
  return s.str();
}

// Elementwise |a - e| <= tol * (1 + |e|); NaN matches NaN.
inline void check_values(
    const fnx::Tensor& actual, const std::vector<double>& expected,
    double tol = 1e-5,
    std::source_location loc = std::source_location::current()) {
  const std::vector<double> a = actual.to_vector();
  if (a.size() != expected.size()) {
    fail_check(loc, "expected " + std::to_string(expected.size()) +
                        " elements, got " + std::to_string(a.size()) + ": " +
                        actual.str());
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!close(a[i], expected[i], tol)) {
      std::ostringstream s;
      s << "element " << i << " is " << a[i] << ", expected " << expected[i]
        << " (tol " << tol << "): " << actual.str();
      fail_check(loc, s.str());
    }
  }
}

// Same shape and close values.
inline void check_close(
    const fnx::Tensor& actual, const fnx::Tensor& expected, double tol = 1e-5,
    std::source_location loc = std::source_location::current()) {
  if (actual.shape() != expected.shape()) {
    fail_check(loc, "shape " + shape_str(actual.shape()) + " != expected " +
                        shape_str(expected.shape()));
  }
  check_values(actual, expected.to_vector(), tol, loc);
}

// Every element close to `expected`.
inline void check_close(
    const fnx::Tensor& actual, double expected, double tol = 1e-5,
    std::source_location loc = std::source_location::current()) {
  check_values(
      actual,
      std::vector<double>(static_cast<std::size_t>(actual.numel()), expected),
      tol, loc);
}

inline void check_close(
    double actual, double expected, double tol = 1e-5,
    std::source_location loc = std::source_location::current()) {
  if (!close(actual, expected, tol)) {
    std::ostringstream s;
    s << actual << " != expected " << expected << " (tol " << tol << ")";
    fail_check(loc, s.str());
  }
}

inline void check_shape(
    const fnx::Tensor& t, const fnx::Shape& shape,
    std::source_location loc = std::source_location::current()) {
  if (t.shape() != shape) {
    fail_check(loc, "shape " + shape_str(t.shape()) + " != expected " +
                        shape_str(shape));
  }
}

// f() must throw an fnx::Error (whose message contains `needle`, if given).
template <typename F>
void check_throws(F&& f, std::string_view needle = "",
                  std::source_location loc = std::source_location::current()) {
  try {
    f();
  } catch (const fnx::Error& e) {
    if (std::string_view(e.what()).find(needle) == std::string_view::npos) {
      fail_check(loc, std::string("the error \"") + e.what() +
                          "\" does not mention \"" + std::string(needle) +
                          "\"");
    }
    return;
  }
  fail_check(loc, "no fnx::Error was thrown");
}

struct Example {
  int index;
  int line;  // of the block's first line in the Markdown file
  void (*run)();
};

// Runs every example in order; prints one line per failure and a summary.
// Returns main's exit status: 0 when all passed.
inline int run_examples(const char* source,
                        std::initializer_list<Example> examples) {
  int failed = 0;
  for (const Example& ex : examples) {
    std::string error;
    try {
      ex.run();
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "an exception that is not a std::exception";
    }
    if (!error.empty()) {
      ++failed;
      std::cerr << "FAILED: " << source << " example " << ex.index
                << " (the ```cpp block at line " << ex.line << "): " << error
                << "\n";
    }
  }
  std::cerr << source << ": " << examples.size() << " examples, " << failed
            << " failed\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace fnx_docs
