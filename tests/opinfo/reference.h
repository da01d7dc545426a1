// The op database's independent oracle: plain C++ loops over row-major
// float64 arrays. Nothing here calls an fnx op; inputs are read straight from
// their storage (shape, strides and offset), and the only fnx function used
// on the way out is to_tensor() (a convenience for callers that want an
// fnx::Tensor; the test compares Nd values directly).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/dtype.h"
#include "core/ops/ops.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace fnx::opinfo {

using Index = std::vector<int64_t>;

// A dense row-major array of float64 values with the dtype the op under test
// must return (values of integer and bool results are exact integers).
struct Nd {
  Shape shape;
  std::vector<double> data;
  DType dtype = DType::Float64;

  int64_t numel() const { return static_cast<int64_t>(data.size()); }
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  double& operator[](const Index& index);
  double operator[](const Index& index) const;
};

// ---- index helpers ----
int64_t count(const Shape& shape);  // product of sizes
Index unravel(int64_t flat, const Shape& shape);
int64_t ravel(const Index& index, const Shape& shape);
int64_t wrap_dim(int64_t dim, int64_t rank);  // negative dims from the end
Shape make_shape(const Index& sizes);

// ---- construction and conversion ----
Nd full_nd(const Shape& shape, double value, DType dtype);
// Reads a dense CPU tensor element by element through its strides.
Nd read(const Tensor& t);
// The values of `t` as the list of row-major doubles (via read()).
std::vector<double> values(const Tensor& t);
// A float64 (or nd.dtype) fnx::Tensor with nd's values, for callers that
// want one.
Tensor to_tensor(const Nd& nd);
// What storing v in `dtype` gives: float32 rounding, truncation toward
// zero for integers, v != 0 for bool.
double round_to(double v, DType dtype);
// The promotion lattice (bool < int32 < int64 < float32 < float64).
DType promote(DType a, DType b);

// ---- elementwise ----
Nd map(const Nd& x, const std::function<double(double)>& f, DType out);
Shape broadcast_shape(const Shape& a, const Shape& b);
Nd broadcast_nd(const Nd& x, const Shape& shape);
Nd zip(const Nd& a, const Nd& b, const std::function<double(double, double)>& f,
       DType out);
Nd zip3(const Nd& a, const Nd& b, const Nd& c,
        const std::function<double(double, double, double)>& f, DType out);

// ---- reductions ----
// Reduces `dims` (empty = all); f sees the reduced values in row-major order
// of the reduced dims.
Nd reduce(const Nd& x, const Index& dims, bool keepdim,
          const std::function<double(const std::vector<double>&)>& f,
          DType out);
// Replaces every 1-d fiber along `dim` with f(fiber) (same length).
Nd along(
    const Nd& x, int64_t dim,
    const std::function<std::vector<double>(const std::vector<double>&)>& f);
double sum_of(const std::vector<double>& v);
double mean_of(const std::vector<double>& v);
double var_of(const std::vector<double>& v, int64_t correction);

// ---- shapes ----
Nd reshape_nd(const Nd& x, const Index& shape);  // may hold one -1
Nd permute_nd(const Nd& x, const Index& perm);
// Python slicing of one dim: negative start/stop from the end, clamped.
Nd slice_nd(const Nd& x, int64_t dim, int64_t start, int64_t stop,
            int64_t step);
Nd cat_nd(const std::vector<Nd>& xs, int64_t dim);
// pads as torch's F.pad: (lo, hi) pairs from the last dim backwards.
Nd pad_nd(const Nd& x, const std::vector<int64_t>& pads, double value);

// ---- linear algebra ----
Nd matmul_nd(const Nd& a, const Nd& b);  // torch.matmul semantics

// ---- convolution and pooling (direct loop definitions) ----
struct ConvGeometry {
  Index stride, padding, dilation;
  int64_t groups = 1;
};
ConvGeometry conv_geometry(const ConvOptions& options, int64_t spatial_rank);
// x (N, C_in, *spatial), w (C_out, C_in/groups, *kernel).
Nd conv_nd(const Nd& x, const Nd& w, const ConvGeometry& g);
Nd conv_input_grad_nd(const Nd& grad_out, const Nd& w, const Shape& input_shape,
                      const ConvGeometry& g);
Nd conv_weight_grad_nd(const Nd& x, const Nd& grad_out,
                       const Shape& weight_shape, const ConvGeometry& g);
struct PoolGeometry {
  Index kernel, stride, padding, dilation;
};
PoolGeometry pool_geometry(const PoolOptions& options);
Nd unfold_nd(const Nd& x, const PoolGeometry& g, double pad_value);
Nd fold_nd(const Nd& patches, const Index& input_spatial,
           const PoolGeometry& g);
// Max (padding acts as -inf) or average (padding counted) over windows.
Nd pool_nd(const Nd& x, const PoolGeometry& g, bool max);
// values (x's shape) at each window's first maximum of x (NaN wins), and
// its transpose: grad_out added at those places of zeros of x's shape.
Nd max_pool_select_nd(const Nd& x, const Nd& values, const PoolGeometry& g);
Nd max_pool_scatter_nd(const Nd& x, const Nd& grad_out, const PoolGeometry& g);

}  // namespace fnx::opinfo
