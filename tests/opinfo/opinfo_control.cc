// Control flow (transforms/control/control.h) in the op database: cond,
// a bounded while_loop, scan and map, run through every suite that
// iterates the database (vmap vs a loop, where examples branch and stop
// differently; grad and jvp vs finite differences; every composition;
// functionalize; the CUDA suites). References are plain C++ loops in
// float64.
#include <cmath>
#include <utility>
#include <vector>

#include "tests/opinfo/opinfo_util.h"
#include "transforms/control/control.h"

namespace fnx::opinfo {
namespace {

using Samples = std::vector<SampleInput>;

Samples any_shape_samples(DType d, Generator& g) {
  return {
      sample({make({3, 4}, d, g)}, {"basic"}),
      sample({make_noncontig({4, 3}, d, g)}, {"noncontig"}),
      sample({make_expanded({3, 2}, d, g)}, {"expanded"}),
      sample({make({0, 3}, d, g)}, {"zero-size"}),
      sample({make({}, d, g)}, {"scalar"}),
  };
}

// scan and map need a leading dim with at least one step.
Samples leading_dim_samples(DType d, Generator& g) {
  return {
      sample({make({3, 4}, d, g)}, {"basic"}),
      sample({make_noncontig({4, 3}, d, g)}, {"noncontig"}),
      sample({make_expanded({3, 2}, d, g)}, {"expanded"}),
      sample({make({2, 0}, d, g)}, {"zero-size"}),
      sample({make({5}, d, g)}, {"basic"}),
  };
}

OpInfo control_entry(std::string name, std::function<Tensor(const Tensor&)> op,
                     std::function<Nd(const Nd&)> ref,
                     std::function<Samples(DType, Generator&)> samples) {
  OpInfo info;
  info.name = std::move(name);
  info.family = "control";
  info.op = [op](const TensorList& in) { return op(in.at(0)); };
  info.reference = [ref](const TensorList& in) { return ref(read(in.at(0))); };
  info.samples = std::move(samples);
  info.dtypes = floating_dtypes();
  info.diff_args = {0};
  info.impl = Impl::kComposite;
  return info;
}

// cond on the sign of the sum.
Tensor cond_op(const Tensor& x) {
  return cond(
      x.sum() > 0.0, [](const Tensor& v) { return v * sin(v); },
      [](const Tensor& v) { return exp(v) * 0.5 + v * v; }, x);
}
Nd cond_ref(const Nd& x) {
  double s = 0;
  for (double v : x.data) s += v;
  if (s > 0)
    return map(
        x, [](double v) { return v * std::sin(v); }, x.dtype);
  return map(
      x, [](double v) { return 0.5 * std::exp(v) + v * v; }, x.dtype);
}

// Shrink x until its absolute sum is at most 1 (at most 8 steps).
Tensor while_op(const Tensor& x) {
  return while_loop([](const Tensor& c) { return abs(c).sum() > 1.0; },
                    [](const Tensor& c) { return c * 0.7 + sin(c) * 0.1; }, x,
                    {.max_steps = 8});
}
Nd while_ref(const Nd& x) {
  Nd c = x;
  for (int step = 0; step < 8; ++step) {
    double s = 0;
    for (double v : c.data) s += std::abs(v);
    if (!(s > 1.0)) break;
    for (double& v : c.data) v = 0.7 * v + 0.1 * std::sin(v);
  }
  return c;
}

// A tanh recurrence over the rows; ys = carry * row.
Tensor scan_op(const Tensor& x) {
  return scan(
             [](const Tensor& c, const Tensor& row) {
               Tensor n = tanh(c + row);
               return std::pair{n, n * row};
             },
             zeros_like(x.select(0, 0)), x)
      .second;
}
Nd scan_ref(const Nd& x) {
  const int64_t rows = x.shape[0];
  const int64_t width = rows == 0 ? 0 : x.numel() / rows;
  Nd out = x;
  std::vector<double> c(static_cast<std::size_t>(width), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < width; ++j) {
      const double row = x.data[r * width + j];
      c[j] = std::tanh(c[j] + row);
      out.data[r * width + j] = round_to(c[j] * row, x.dtype);
    }
  }
  return out;
}

// sin(row) * sum(row) per row, one row at a time (chunks of rows are
// vmap, which not every suite links; tests/control covers them).
Tensor map_op(const Tensor& x) {
  return map([](const Tensor& row) { return sin(row) * row.sum(); }, x);
}
Nd map_ref(const Nd& x) {
  const int64_t rows = x.shape[0];
  const int64_t width = rows == 0 ? 0 : x.numel() / rows;
  Nd out = x;
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int64_t j = 0; j < width; ++j) s += x.data[r * width + j];
    for (int64_t j = 0; j < width; ++j) {
      const double v = x.data[r * width + j];
      out.data[r * width + j] = round_to(std::sin(v) * s, x.dtype);
    }
  }
  return out;
}

}  // namespace

void add_control_ops(std::vector<OpInfo>& db) {
  db.push_back(
      control_entry("control.cond", cond_op, cond_ref, any_shape_samples));
  db.push_back(control_entry("control.while_loop", while_op, while_ref,
                             any_shape_samples));
  OpInfo s =
      control_entry("control.scan", scan_op, scan_ref, leading_dim_samples);
  s.needs_scalar = false;
  db.push_back(std::move(s));
  OpInfo m = control_entry("control.map", map_op, map_ref, leading_dim_samples);
  m.needs_scalar = false;
  db.push_back(std::move(m));
}

}  // namespace fnx::opinfo
