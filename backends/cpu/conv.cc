// Convolution over 1-3 spatial dims as im2col + GEMM, and its two
// transposes: ConvInputGrad (GEMM w^T . grad_out, then col2im) and
// ConvWeightGrad (grad_out . im2col(x)^T summed over samples).
//
// Two plans. With at least one (sample, group) unit per pool thread, the
// units run in parallel, each with a single-threaded GEMM and a column
// matrix of its own that stays in the core's cache between im2col and the
// GEMM (per-sample gradients under vmap are all like this: batch 64, or
// one group per example). Otherwise samples are processed in chunks whose
// column matrix stays under a memory budget, with one parallel im2col /
// col2im pass per chunk, and small GEMMs batched over the samples of a
// chunk so OpenBLAS sees few, large calls.
#include <algorithm>
#include <atomic>

#include "backends/cpu/common.h"
#include "backends/cpu/gemm.h"
#include "backends/cpu/im2col.h"
#include "backends/cpu/loops.h"
#include "backends/cpu/thread_pool.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

// The sizes every conv primitive needs, checked against each other.
struct ConvProblem {
  int64_t n = 0, c_in = 0, c_out = 0, groups = 1;
  ConvGeometry g;
  int64_t cin_g() const { return c_in / groups; }
  int64_t cout_g() const { return c_out / groups; }
  int64_t rows_g() const { return cin_g() * g.kernel_numel; }  // K of a GEMM
  int64_t p() const { return g.out_numel; }
  Shape out_shape() const {
    Shape s = {n, c_out};
    s.insert(s.end(), g.out.begin(), g.out.end());
    return s;
  }
};

ConvProblem make_problem(std::string_view op, const Shape& x_shape,
                         const Shape& w_shape, const ConvAttrs& a) {
  FNX_CHECK(x_shape.size() >= 3 && x_shape.size() == w_shape.size(), op,
            "expects input (N, C_in, *spatial) and weight (C_out, C_in / "
            "groups, *kernel) of the same rank >= 3, got ",
            shape_str(x_shape), " and ", shape_str(w_shape));
  ConvProblem p;
  p.n = x_shape[0];
  p.c_in = x_shape[1];
  p.c_out = w_shape[0];
  p.groups = a.groups;
  FNX_CHECK(p.groups >= 1 && p.c_out % p.groups == 0 &&
                p.c_in == w_shape[1] * p.groups,
            op, "input ", shape_str(x_shape), " and weight ",
            shape_str(w_shape), " do not match for groups = ", p.groups,
            " (need C_in == weight.size(1) * groups and C_out divisible by "
            "groups)");
  const Shape spatial(x_shape.begin() + 2, x_shape.end());
  const Shape kernel(w_shape.begin() + 2, w_shape.end());
  p.g = make_conv_geometry(op, p.c_in, spatial, kernel, a.stride, a.padding,
                           a.dilation);
  return p;
}

// Samples per chunk: the chunk's column matrix plus `extra_rows` rows of
// the same width (samples * P) hold at most about 4M elements.
int64_t chunk_samples(const ConvProblem& p, int64_t extra_rows) {
  constexpr int64_t kBudget = int64_t{1} << 22;
  const int64_t per_sample =
      std::max<int64_t>(1, (p.g.col_rows() + extra_rows) * p.p());
  return std::clamp<int64_t>(kBudget / per_sample, 1,
                             std::max<int64_t>(p.n, 1));
}

// Scratch memory from the CPU allocator, whose cache hands back the
// blocks of the previous call: column matrices from new[] were fresh pages
// every call, and their first-touch faults cost more than im2col itself.
template <typename T>
class Scratch {
 public:
  explicit Scratch(int64_t n)
      : t_(empty({std::max<int64_t>(n, 1)}, dtype_of<T>())) {}
  T* get() const { return data_ptr<T>(t_); }

 private:
  Tensor t_;
};

// Whether the (sample, group) units are enough to keep every pool thread
// busy with one GEMM each.
bool per_unit(int64_t units) { return units >= pool_threads(); }

// The geometry of one group's channels of one sample.
ConvGeometry group_geometry(const ConvProblem& p) {
  ConvGeometry g = p.g;
  g.channels = p.cin_g();
  return g;
}

// Runs body(unit, scratch) for every unit in [0, units) on the pool, with
// `per_part` scratch elements per worker. Workers take units one at a time,
// so a core slowed down by other processes delays no one else.
template <typename T, typename F>
void for_each_unit(int64_t units, int64_t per_part, const F& body) {
  const int64_t parts = std::min<int64_t>(pool_threads(), units);
  Scratch<T> scratch(parts * per_part);
  std::atomic<int64_t> next{0};
  pool_run(parts, [&](int64_t part) {
    T* mine = scratch.get() + part * per_part;
    for (int64_t u = next++; u < units; u = next++) body(u, mine);
  });
}

// (samples, rows, p) <-> (rows, samples * p), both contiguous.
template <typename T>
void to_row_major(const T* src, int64_t samples, int64_t rows, int64_t p,
                  T* dst) {
  strided_copy({samples, rows, p}, dst, dtype_of<T>(), {p, samples * p, 1}, src,
               dtype_of<T>(), {rows * p, p, 1});
}
template <typename T>
void to_sample_major(const T* src, int64_t samples, int64_t rows, int64_t p,
                     T* dst) {
  strided_copy({samples, rows, p}, dst, dtype_of<T>(), {rows * p, p, 1}, src,
               dtype_of<T>(), {p, samples * p, 1});
}

// GEMMs this small run single-threaded in OpenBLAS; they are batched over
// the samples of a chunk instead of issued one per sample.
constexpr int64_t kSmallGemm = 64 * 64 * 64;

// Forward. Large GEMMs with enough (sample, group) units: one unit per
// task (im2col of the unit, one GEMM). Otherwise per chunk of samples: one
// im2col pass, then either a GEMM per (sample, group) reading the columns
// in place (large GEMMs), or one GEMM per group over the whole chunk and a
// regrouping copy (small ones).
Tensor conv_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor x = contiguous(cast_to(call.inputs[0], out.dtype));
  const Tensor w = contiguous(cast_to(call.inputs[1], out.dtype));
  const ConvProblem p =
      make_problem(call.name(), x.shape(), w.shape(), call.attr<ConvAttrs>());
  FNX_CHECK(p.out_shape() == out.shape, call.name(), "result shape ",
            shape_str(out.shape), " does not match the convolution's ",
            shape_str(p.out_shape()));
  Tensor result = make_result(out);
  if (numel(out.shape) == 0) return result;
  const bool batched = p.cout_g() * p.p() * p.rows_g() < kSmallGemm;
  const bool direct = !batched && p.g.col_is_image();
  const int64_t chunk = chunk_samples(p, batched ? p.c_out : 0);
  const int64_t x_sample = p.c_in * p.g.in_numel;
  const int64_t y_sample = p.c_out * p.p();
  const int64_t units = p.n * p.groups;
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    using T = scalar_t;
    const T* px = data_ptr<T>(x);
    const T* pw = data_ptr<T>(w);
    T* py = data_ptr<T>(result);
    if (!batched && per_unit(units)) {
      const ConvGeometry gg = group_geometry(p);
      const int64_t col_size = direct ? 0 : p.rows_g() * p.p();
      for_each_unit<T>(units, col_size, [&](int64_t u, T* col) {
        const int64_t j = u / p.groups, gi = u % p.groups;
        const T* xg = px + j * x_sample + gi * p.cin_g() * p.g.in_numel;
        if (!direct) im2col_batch(xg, 1, gg, T(0), col);
        gemm<T>(false, false, p.cout_g(), p.p(), p.rows_g(), T(1),
                pw + gi * p.cout_g() * p.rows_g(), p.rows_g(),
                direct ? xg : col, p.p(), T(0),
                py + j * y_sample + gi * p.cout_g() * p.p(), p.p());
      });
      return;
    }
    Scratch<T> col(direct ? 0 : p.g.col_rows() * chunk * p.p());
    Scratch<T> tmp(batched ? p.c_out * chunk * p.p() : 0);
    for (int64_t n0 = 0; n0 < p.n; n0 += chunk) {
      const int64_t cnt = std::min(chunk, p.n - n0);
      const int64_t ld = cnt * p.p();
      const T* x0 = px + n0 * x_sample;
      if (!direct) im2col_batch(x0, cnt, p.g, T(0), col.get());
      for (int64_t gi = 0; gi < p.groups; ++gi) {
        const T* wg = pw + gi * p.cout_g() * p.rows_g();
        if (batched) {
          gemm<T>(false, false, p.cout_g(), ld, p.rows_g(), T(1), wg,
                  p.rows_g(), col.get() + gi * p.rows_g() * ld, ld, T(0),
                  tmp.get() + gi * p.cout_g() * ld, ld);
          continue;
        }
        for (int64_t j = 0; j < cnt; ++j) {
          const T* cols = direct ? x0 + j * x_sample : col.get() + j * p.p();
          const int64_t ldc = direct ? p.p() : ld;
          gemm<T>(false, false, p.cout_g(), p.p(), p.rows_g(), T(1), wg,
                  p.rows_g(), cols + gi * p.rows_g() * ldc, ldc, T(0),
                  py + (n0 + j) * y_sample + gi * p.cout_g() * p.p(), p.p());
        }
      }
      if (batched) {
        to_sample_major(tmp.get(), cnt, p.c_out, p.p(), py + n0 * y_sample);
      }
    }
  });
  return result;
}

// Inputs (grad_out, weight); the result has attrs.input_shape. Per unit
// when there are enough units (GEMM into the unit's column matrix, col2im);
// otherwise per chunk: grad_out regrouped as (C_out, samples * P), one GEMM per
// group into the column matrix, one col2im pass.
Tensor conv_input_grad_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor go = contiguous(cast_to(call.inputs[0], out.dtype));
  const Tensor w = contiguous(cast_to(call.inputs[1], out.dtype));
  const auto& attrs = call.attr<ConvAttrs>();
  const ConvProblem p =
      make_problem(call.name(), attrs.input_shape, w.shape(), attrs);
  FNX_CHECK(p.out_shape() == go.shape() && out.shape == attrs.input_shape,
            call.name(), "grad_out of shape ", shape_str(go.shape()),
            " does not match the convolution's output ",
            shape_str(p.out_shape()));
  Tensor result = make_result(out);
  const int64_t total = numel(out.shape);
  if (total == 0) return result;
  const int64_t chunk = chunk_samples(p, p.c_out);
  const int64_t x_sample = p.c_in * p.g.in_numel;
  const int64_t y_sample = p.c_out * p.p();
  const int64_t units = p.n * p.groups;
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    using T = scalar_t;
    const T* pg = data_ptr<T>(go);
    const T* pw = data_ptr<T>(w);
    T* px = data_ptr<T>(result);
    if (per_unit(units)) {
      // Each unit's grad_out block (C_out / groups, P) is contiguous: the
      // GEMM reads it in place, and col2im writes the unit's own channels.
      const ConvGeometry gg = group_geometry(p);
      const int64_t x_group = p.cin_g() * p.g.in_numel;
      for_each_unit<T>(units, p.rows_g() * p.p(), [&](int64_t u, T* col) {
        const int64_t j = u / p.groups, gi = u % p.groups;
        T* xg = px + j * x_sample + gi * x_group;
        std::fill(xg, xg + x_group, T(0));
        gemm<T>(true, false, p.rows_g(), p.p(), p.cout_g(), T(1),
                pw + gi * p.cout_g() * p.rows_g(), p.rows_g(),
                pg + j * y_sample + gi * p.cout_g() * p.p(), p.p(), T(0), col,
                p.p());
        col2im_batch(col, 1, gg, xg);
      });
      return;
    }
    fill(px, out.dtype, total, 0);
    Scratch<T> col(p.g.col_rows() * chunk * p.p());
    Scratch<T> grad(p.c_out * chunk * p.p());
    for (int64_t n0 = 0; n0 < p.n; n0 += chunk) {
      const int64_t cnt = std::min(chunk, p.n - n0);
      const int64_t ld = cnt * p.p();
      to_row_major(pg + n0 * y_sample, cnt, p.c_out, p.p(), grad.get());
      for (int64_t gi = 0; gi < p.groups; ++gi) {
        gemm<T>(true, false, p.rows_g(), ld, p.cout_g(), T(1),
                pw + gi * p.cout_g() * p.rows_g(), p.rows_g(),
                grad.get() + gi * p.cout_g() * ld, ld, T(0),
                col.get() + gi * p.rows_g() * ld, ld);
      }
      col2im_batch(col.get(), cnt, p.g, px + n0 * x_sample);
    }
  });
  return result;
}

// Inputs (x, grad_out); the result has attrs.weight_shape. Per group when
// there are enough groups; otherwise per chunk: one
// im2col pass, grad_out regrouped as (C_out, samples * P), and one GEMM per
// group whose inner dimension runs over every sample and position.
Tensor conv_weight_grad_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor x = contiguous(cast_to(call.inputs[0], out.dtype));
  const Tensor go = contiguous(cast_to(call.inputs[1], out.dtype));
  const auto& attrs = call.attr<ConvAttrs>();
  const ConvProblem p =
      make_problem(call.name(), x.shape(), attrs.weight_shape, attrs);
  FNX_CHECK(p.out_shape() == go.shape() && out.shape == attrs.weight_shape,
            call.name(), "grad_out of shape ", shape_str(go.shape()),
            " does not match the convolution's output ",
            shape_str(p.out_shape()));
  Tensor result = make_result(out);
  const int64_t total = numel(out.shape);
  if (total == 0) return result;
  const int64_t chunk = chunk_samples(p, p.c_out);
  const int64_t x_sample = p.c_in * p.g.in_numel;
  const int64_t y_sample = p.c_out * p.p();
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    using T = scalar_t;
    const T* px = data_ptr<T>(x);
    const T* pg = data_ptr<T>(go);
    T* pw = data_ptr<T>(result);
    if (p.n > 0 && p.groups >= p.n && per_unit(p.groups)) {
      // One unit per group (per-example weight gradients under vmap are one
      // group per example, N = 1): the samples' products accumulate in the
      // group's own block of the result, so no two units share outputs.
      // With more samples than groups (a depthwise layer's batch) the
      // chunks' GEMMs, whose inner dimension spans samples, do better.
      const ConvGeometry gg = group_geometry(p);
      const bool direct = p.g.col_is_image();
      const int64_t col_size = direct ? 0 : p.rows_g() * p.p();
      for_each_unit<T>(p.groups, col_size, [&](int64_t gi, T* col) {
        for (int64_t j = 0; j < p.n; ++j) {
          const T* xg = px + j * x_sample + gi * p.cin_g() * p.g.in_numel;
          if (!direct) im2col_batch(xg, 1, gg, T(0), col);
          gemm<T>(false, true, p.cout_g(), p.rows_g(), p.p(), T(1),
                  pg + j * y_sample + gi * p.cout_g() * p.p(), p.p(),
                  direct ? xg : col, p.p(), j == 0 ? T(0) : T(1),
                  pw + gi * p.cout_g() * p.rows_g(), p.rows_g());
        }
      });
      return;
    }
    fill(pw, out.dtype, total, 0);
    Scratch<T> col(p.g.col_rows() * chunk * p.p());
    Scratch<T> grad(p.c_out * chunk * p.p());
    for (int64_t n0 = 0; n0 < p.n; n0 += chunk) {
      const int64_t cnt = std::min(chunk, p.n - n0);
      const int64_t ld = cnt * p.p();
      im2col_batch(px + n0 * x_sample, cnt, p.g, T(0), col.get());
      to_row_major(pg + n0 * y_sample, cnt, p.c_out, p.p(), grad.get());
      for (int64_t gi = 0; gi < p.groups; ++gi) {
        gemm<T>(false, true, p.cout_g(), p.rows_g(), ld, T(1),
                grad.get() + gi * p.cout_g() * ld, ld,
                col.get() + gi * p.rows_g() * ld, ld, T(1),
                pw + gi * p.cout_g() * p.rows_g(), p.rows_g());
      }
    }
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  constexpr DeviceType kCpu = DeviceType::CPU;
  r.kernel(kCpu, Prim::Conv, &conv_kernel);
  r.kernel(kCpu, Prim::ConvInputGrad, &conv_input_grad_kernel);
  r.kernel(kCpu, Prim::ConvWeightGrad, &conv_weight_grad_kernel);
}

}  // namespace fnx::cpu
