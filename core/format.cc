// Tensor::str(): printing like torch's repr.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/ops/ops.h"
#include "core/str_cat.h"
#include "core/tensor.h"

namespace fnx {
namespace {

constexpr int64_t kSummarizeAbove = 1000;  // torch's threshold
constexpr int64_t kEdgeItems = 3;

struct Formatter {
  DType dtype;
  bool integral_floats = true;

  std::string format(double v) const {
    char buf[64];
    if (dtype == DType::Bool) return v != 0 ? "True" : "False";
    if (std::isnan(v)) {
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
};

std::string padded(const std::string& s, std::size_t width) {
  return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
}

// Every element as text: integers exactly from their own type (an int64
// never passes through double), floats and bools by the formatter.
std::vector<std::string> cells_of(const Tensor& t, Formatter& f) {
  std::vector<std::string> cells;
  if (is_floating(t.dtype()) || t.dtype() == DType::Bool) {
    const std::vector<double> values = t.to_vector();
    for (double v : values) {
      if (std::isfinite(v) && v != std::floor(v)) f.integral_floats = false;
    }
    cells.reserve(values.size());
    for (double v : values) cells.push_back(f.format(v));
    return cells;
  }
  Tensor c = t.concrete("str");
  if (c.device().type != DeviceType::CPU) c = c.to(Device::cpu());
  c = contiguous(c.dtype() == DType::Int64 ? c : cast(c, DType::Int64));
  const int64_t* p = c.data<int64_t>();
  cells.reserve(static_cast<std::size_t>(c.numel()));
  for (int64_t k = 0; k < c.numel(); ++k) cells.push_back(std::to_string(p[k]));
  return cells;
}

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

// One dim at a time; the recursion is as deep as the rank, which is at
// most kMaxRank (core/shape.h).
void print_dim(const std::vector<std::string>& cells, const Shape& shape,
               int64_t dim, int64_t base, std::size_t width, bool summarize,
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
      out += padded(cells[base + idx[k]], width);
    } else {
      print_dim(cells, shape, dim + 1, base + idx[k] * inner, width, summarize,
                indent + 1, out);
    }
  }
  out += "]";
}

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  Formatter f{dtype()};
  const std::vector<std::string> cells = cells_of(*this, f);
  const bool summarize = numel() > kSummarizeAbove;
  std::size_t width = 0;
  for (const std::string& c : cells) width = std::max(width, c.size());

  std::string out = "tensor(";
  if (dim() == 0) {
    out += cells[0];
  } else if (numel() == 0) {
    out += "[]";
  } else {
    print_dim(cells, shape(), 0, 0, width, summarize, 7, out);
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
