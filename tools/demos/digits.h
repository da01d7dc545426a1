// The UCI hand-written digits (tools/data/digits.csv.gz): loading and a
// fixed train/test split.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "core/tensor.h"

namespace fnx::demos {

struct Digits {
  Tensor images;  // (n, 64) Float32, pixel values scaled to [0, 1]
  Tensor labels;  // (n,) Int64, 0..9
};

struct DigitsSplit {
  Digits train;
  Digits test;
};

// Reads the gzip-compressed CSV (64 pixels 0..16 and a label per line).
// Errors (missing file, bad line) are a status, never a crash.
absl::StatusOr<Digits> load_digits(const std::string& path);

// Shuffles the examples with a fixed seed and puts `test_fraction` of them
// in the test set; the same for every run.
DigitsSplit split_digits(const Digits& all, double test_fraction,
                         unsigned seed = 0);

// Where tools/data/<name> is: under the workspace of `bazel run`
// (BUILD_WORKSPACE_DIRECTORY), the runfiles of the binary (argv0.runfiles,
// RUNFILES_DIR, TEST_SRCDIR) or the current directory. The first that
// exists; the plain relative path if none does.
std::string find_data_file(const std::string& argv0, const std::string& name);

}  // namespace fnx::demos
