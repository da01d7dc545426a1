#include "tools/demos/digits.h"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <random>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "core/ops/ops.h"
#include "core/str_cat.h"

namespace fnx::demos {
namespace {

constexpr int kPixels = 64;

absl::StatusOr<std::string> read_gzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::NotFoundError(str_cat("cannot open '", path, "'"));
  }
  std::string text;
  char buf[1 << 15];
  int n = 0;
  while ((n = gzread(file, buf, sizeof(buf))) > 0) text.append(buf, n);
  int err = Z_OK;
  const char* message = n < 0 ? gzerror(file, &err) : nullptr;
  const std::string error = message != nullptr ? message : "";
  gzclose(file);
  if (n < 0) {
    return absl::DataLossError(
        str_cat("cannot decompress '", path, "': ", error));
  }
  return text;
}

Digits take(const Digits& all, const std::vector<int64_t>& order,
            std::size_t begin, std::size_t end) {
  const std::vector<int64_t> part(order.begin() + begin, order.begin() + end);
  const Tensor index =
      from_vector(part, {static_cast<int64_t>(part.size())}, DType::Int64);
  return {index_select(all.images, 0, index),
          index_select(all.labels, 0, index)};
}

bool exists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

}  // namespace

absl::StatusOr<Digits> load_digits(const std::string& path) {
  absl::StatusOr<std::string> text = read_gzip(path);
  if (!text.ok()) return text.status();
  std::vector<double> pixels;
  std::vector<int64_t> labels;
  std::istringstream lines(*text);
  std::string line;
  int line_number = 0;
  while (std::getline(lines, line)) {
    ++line_number;
    if (line.empty()) continue;
    std::vector<double> values;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, ',')) {
      char* end = nullptr;
      const double v = std::strtod(cell.c_str(), &end);
      if (end == cell.c_str()) {
        return absl::InvalidArgumentError(
            str_cat(path, ":", line_number, ": '", cell, "' is not a number"));
      }
      values.push_back(v);
    }
    if (values.size() != kPixels + 1) {
      return absl::InvalidArgumentError(
          str_cat(path, ":", line_number, ": expected ", kPixels + 1,
                  " values, found ", values.size()));
    }
    const double label = values.back();
    if (label < 0 || label > 9 || label != static_cast<int64_t>(label)) {
      return absl::InvalidArgumentError(
          str_cat(path, ":", line_number, ": bad label ", label));
    }
    for (int i = 0; i < kPixels; ++i) pixels.push_back(values[i] / 16.0);
    labels.push_back(static_cast<int64_t>(label));
  }
  if (labels.empty()) {
    return absl::InvalidArgumentError(str_cat("'", path, "' has no examples"));
  }
  const int64_t n = static_cast<int64_t>(labels.size());
  return Digits{from_vector(pixels, {n, kPixels}, DType::Float32),
                from_vector(labels, {n}, DType::Int64)};
}

DigitsSplit split_digits(const Digits& all, double test_fraction,
                         unsigned seed) {
  const std::size_t n = static_cast<std::size_t>(all.labels.size(0));
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  const std::size_t n_test = static_cast<std::size_t>(n * test_fraction);
  return {take(all, order, n_test, n), take(all, order, 0, n_test)};
}

std::string find_data_file(const std::string& argv0, const std::string& name) {
  const std::string rel = "tools/data/" + name;
  std::vector<std::string> candidates;
  if (const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY")) {
    candidates.push_back(str_cat(ws, "/", rel));
  }
  if (!argv0.empty()) candidates.push_back(argv0 + ".runfiles/fnx/" + rel);
  for (const char* var : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    if (const char* dir = std::getenv(var)) {
      candidates.push_back(str_cat(dir, "/fnx/", rel));
    }
  }
  candidates.push_back(rel);
  for (const std::string& c : candidates) {
    if (exists(c)) return c;
  }
  return rel;
}

}  // namespace fnx::demos
