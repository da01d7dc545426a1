// Tensor::str(): printing like torch's repr.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/str_cat.h"
#include "core/tensor.h"

namespace fnx {
namespace {

constexpr int64_t kSummarizeAbove = 1000;  // torch's threshold
constexpr int64_t kEdgeItems = 3;

struct Formatter {
  DType dtype;
  bool integral_floats = true;
  std::size_t width = 0;

  std::string format(double v) const {
    char buf[64];
    if (dtype == DType::Bool) return v != 0 ? "True" : "False";
    if (!is_floating(dtype)) {
      std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(v));
    } else if (std::isnan(v)) {
      return "nan";
    } else if (std::isinf(v)) {
      return v > 0 ? "inf" : "-inf";
    } else if (integral_floats) {
      std::snprintf(buf, sizeof(buf), "%.0f.", v);
    } else if (v != 0 && (std::fabs(v) >= 1e8 || std::fabs(v) < 1e-4)) {
      std::snprintf(buf, sizeof(buf), "%.4e", v);
    } else {
      std::snprintf(buf, sizeof(buf), "%.4f", v);
    }
    return buf;
  }
  std::string padded(double v) const {
    std::string s = format(v);
    return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
  }
};

// Which indices of a dim of `size` are shown (all, or the edges).
std::vector<int64_t> shown(int64_t size, bool summarize) {
  std::vector<int64_t> idx;
  if (!summarize || size <= 2 * kEdgeItems) {
    for (int64_t i = 0; i < size; ++i) idx.push_back(i);
  } else {
    for (int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
    idx.push_back(-1);  // "..."
    for (int64_t i = size - kEdgeItems; i < size; ++i) idx.push_back(i);
  }
  return idx;
}

void print_dim(const std::vector<double>& values, const Shape& shape,
               int64_t dim, int64_t base, const Formatter& f, bool summarize,
               int indent, std::string& out) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t inner = split_at_dim(shape, dim).inner;
  out += "[";
  const std::vector<int64_t> idx = shown(shape[dim], summarize);
  for (std::size_t k = 0; k < idx.size(); ++k) {
    if (k > 0) {
      out += ",";
      if (dim == rank - 1) {
        out += " ";
      } else {
        out += std::string(rank - dim - 1, '\n');
        out += std::string(indent + 1, ' ');
      }
    }
    if (idx[k] < 0) {
      out += "...";
      continue;
    }
    if (dim == rank - 1) {
      out += f.padded(values[base + idx[k]]);
    } else {
      print_dim(values, shape, dim + 1, base + idx[k] * inner, f, summarize,
                indent + 1, out);
    }
  }
  out += "]";
}

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  const std::vector<double> values = to_vector();
  Formatter f{dtype()};
  const bool summarize = numel() > kSummarizeAbove;
  for (double v : values) {
    if (std::isfinite(v) && v != std::floor(v)) f.integral_floats = false;
  }
  for (double v : values) f.width = std::max(f.width, f.format(v).size());

  std::string out = "tensor(";
  if (dim() == 0) {
    out += f.format(values[0]);
  } else if (numel() == 0) {
    out += "[]";
  } else {
    print_dim(values, shape(), 0, 0, f, summarize, 7, out);
  }
  if (numel() == 0 && dim() > 1) out += str_cat(", size=", shape_str(shape()));
  if (device().type != DeviceType::CPU) {
    out += str_cat(", device='", device().str(), "'");
  }
  if (dtype() != DType::Float32 && dtype() != DType::Int64 &&
      dtype() != DType::Bool) {
    out += str_cat(", dtype=", dtype_name(dtype()));
  }
  return out + ")";
}

}  // namespace fnx
