// Direct loop definitions of convolution (cross-correlation, as torch), its
// two transposes, unfold/fold and pooling, over any number of spatial dims.
// Max pooling's place in a window is its first maximum, NaN winning.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "tests/opinfo/reference.h"

namespace fnx::opinfo {

namespace {

Index or_default(const Shape& given, int64_t rank, int64_t fill) {
  if (given.empty()) return Index(rank, fill);
  if (static_cast<int64_t>(given.size()) != rank) {
    throw std::logic_error("opinfo reference: geometry rank mismatch");
  }
  return Index(given.begin(), given.end());
}

int64_t out_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                 int64_t dilation) {
  return (in + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
}

// Calls f(out_index, kernel_index, in_position, inside) for every output
// position and kernel offset of a sliding window over `spatial`.
struct Window {
  Index spatial, kernel, out, stride, padding, dilation;

  template <typename F>
  void for_each(F&& f) const {
    const Shape out_shape = make_shape(out), kernel_shape = make_shape(kernel);
    Index pos(spatial.size());
    for (int64_t o = 0; o < count(out_shape); ++o) {
      const Index oi = unravel(o, out_shape);
      for (int64_t k = 0; k < count(kernel_shape); ++k) {
        const Index ki = unravel(k, kernel_shape);
        bool inside = true;
        for (size_t d = 0; d < spatial.size(); ++d) {
          pos[d] = oi[d] * stride[d] - padding[d] + ki[d] * dilation[d];
          inside = inside && pos[d] >= 0 && pos[d] < spatial[d];
        }
        f(o, k, pos, inside);
      }
    }
  }
};

Window conv_window(const Shape& input_shape, const Shape& weight_shape,
                   const ConvGeometry& g) {
  Window w;
  w.spatial.assign(input_shape.begin() + 2, input_shape.end());
  w.kernel.assign(weight_shape.begin() + 2, weight_shape.end());
  w.stride = g.stride;
  w.padding = g.padding;
  w.dilation = g.dilation;
  for (size_t d = 0; d < w.spatial.size(); ++d) {
    w.out.push_back(out_size(w.spatial[d], w.kernel[d], w.stride[d],
                             w.padding[d], w.dilation[d]));
  }
  return w;
}

// Index of (n, c, *position).
Index nc_index(int64_t n, int64_t c, const Index& pos) {
  Index index{n, c};
  index.insert(index.end(), pos.begin(), pos.end());
  return index;
}

// Calls f(n, c_out, c_in_full, c_in_group, out_flat, kernel_flat, pos) for
// every in-range term of the convolution sum.
template <typename F>
void conv_terms(const Shape& input_shape, const Shape& weight_shape,
                const ConvGeometry& g, F&& f) {
  const Window w = conv_window(input_shape, weight_shape, g);
  const int64_t batch = input_shape[0];
  const int64_t c_out = weight_shape[0], c_in_group = weight_shape[1];
  const int64_t out_per_group = c_out / g.groups;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t co = 0; co < c_out; ++co) {
      const int64_t group = co / out_per_group;
      for (int64_t ci = 0; ci < c_in_group; ++ci) {
        const int64_t c = group * c_in_group + ci;
        w.for_each([&](int64_t o, int64_t k, const Index& pos, bool inside) {
          if (inside) f(n, co, c, ci, o, k, pos);
        });
      }
    }
  }
}

Shape conv_out_shape(const Shape& input_shape, const Shape& weight_shape,
                     const ConvGeometry& g) {
  const Window w = conv_window(input_shape, weight_shape, g);
  Shape shape{input_shape[0], weight_shape[0]};
  shape.insert(shape.end(), w.out.begin(), w.out.end());
  return shape;
}

// Elements per (n, c) slice: the product of the sizes after the first two.
int64_t per_channel(const Shape& shape) {
  return count(Shape(shape.begin() + 2, shape.end()));
}

}  // namespace

ConvGeometry conv_geometry(const ConvOptions& options, int64_t spatial_rank) {
  return ConvGeometry{or_default(options.stride, spatial_rank, 1),
                      or_default(options.padding, spatial_rank, 0),
                      or_default(options.dilation, spatial_rank, 1),
                      options.groups};
}

Nd conv_nd(const Nd& x, const Nd& w, const ConvGeometry& g) {
  const Shape out_shape = conv_out_shape(x.shape, w.shape, g);
  Nd y = full_nd(out_shape, 0, promote(x.dtype, w.dtype));
  const int64_t out_spatial = per_channel(out_shape);
  const int64_t kernel = per_channel(w.shape);
  conv_terms(x.shape, w.shape, g,
             [&](int64_t n, int64_t co, int64_t c, int64_t ci, int64_t o,
                 int64_t k, const Index& pos) {
               y.data[(n * out_shape[1] + co) * out_spatial + o] +=
                   x[nc_index(n, c, pos)] *
                   w.data[(co * w.shape[1] + ci) * kernel + k];
             });
  return y;
}

Nd conv_input_grad_nd(const Nd& grad_out, const Nd& w, const Shape& input_shape,
                      const ConvGeometry& g) {
  Nd dx = full_nd(input_shape, 0, promote(grad_out.dtype, w.dtype));
  const int64_t out_spatial = per_channel(grad_out.shape);
  const int64_t kernel = per_channel(w.shape);
  conv_terms(
      input_shape, w.shape, g,
      [&](int64_t n, int64_t co, int64_t c, int64_t ci, int64_t o, int64_t k,
          const Index& pos) {
        dx[nc_index(n, c, pos)] +=
            grad_out.data[(n * grad_out.shape[1] + co) * out_spatial + o] *
            w.data[(co * w.shape[1] + ci) * kernel + k];
      });
  return dx;
}

Nd conv_weight_grad_nd(const Nd& x, const Nd& grad_out,
                       const Shape& weight_shape, const ConvGeometry& g) {
  Nd dw = full_nd(weight_shape, 0, promote(x.dtype, grad_out.dtype));
  const int64_t out_spatial = per_channel(grad_out.shape);
  const int64_t kernel = per_channel(weight_shape);
  conv_terms(
      x.shape, weight_shape, g,
      [&](int64_t n, int64_t co, int64_t c, int64_t ci, int64_t o, int64_t k,
          const Index& pos) {
        dw.data[(co * weight_shape[1] + ci) * kernel + k] +=
            grad_out.data[(n * grad_out.shape[1] + co) * out_spatial + o] *
            x[nc_index(n, c, pos)];
      });
  return dw;
}

PoolGeometry pool_geometry(const PoolOptions& options) {
  const int64_t rank = static_cast<int64_t>(options.kernel.size());
  PoolGeometry g;
  g.kernel.assign(options.kernel.begin(), options.kernel.end());
  g.stride =
      options.stride.empty() ? g.kernel : or_default(options.stride, rank, 1);
  g.padding = or_default(options.padding, rank, 0);
  g.dilation = or_default(options.dilation, rank, 1);
  return g;
}

namespace {

Window pool_window(const Index& spatial, const PoolGeometry& g) {
  Window w{spatial, g.kernel, {}, g.stride, g.padding, g.dilation};
  for (size_t d = 0; d < spatial.size(); ++d) {
    w.out.push_back(out_size(spatial[d], g.kernel[d], g.stride[d], g.padding[d],
                             g.dilation[d]));
  }
  return w;
}

}  // namespace

Nd unfold_nd(const Nd& x, const PoolGeometry& g, double pad_value) {
  const Index spatial(x.shape.begin() + 2, x.shape.end());
  const Window w = pool_window(spatial, g);
  const int64_t kernel = count(make_shape(g.kernel));
  const int64_t out = count(make_shape(w.out));
  Shape shape{x.shape[0], x.shape[1], kernel};
  shape.insert(shape.end(), w.out.begin(), w.out.end());
  Nd y = full_nd(shape, 0, x.dtype);
  for (int64_t n = 0; n < x.shape[0]; ++n) {
    for (int64_t c = 0; c < x.shape[1]; ++c) {
      w.for_each([&](int64_t o, int64_t k, const Index& pos, bool inside) {
        y.data[((n * x.shape[1] + c) * kernel + k) * out + o] =
            inside ? x[nc_index(n, c, pos)] : pad_value;
      });
    }
  }
  return y;
}

Nd fold_nd(const Nd& patches, const Index& input_spatial,
           const PoolGeometry& g) {
  const Window w = pool_window(input_spatial, g);
  const int64_t kernel = count(make_shape(g.kernel));
  const int64_t out = count(make_shape(w.out));
  Shape shape{patches.shape[0], patches.shape[1]};
  shape.insert(shape.end(), input_spatial.begin(), input_spatial.end());
  Nd y = full_nd(shape, 0, patches.dtype);
  for (int64_t n = 0; n < shape[0]; ++n) {
    for (int64_t c = 0; c < shape[1]; ++c) {
      w.for_each([&](int64_t o, int64_t k, const Index& pos, bool inside) {
        if (inside) {
          y[nc_index(n, c, pos)] +=
              patches.data[((n * shape[1] + c) * kernel + k) * out + o];
        }
      });
    }
  }
  return y;
}

Nd pool_nd(const Nd& x, const PoolGeometry& g, bool max) {
  const Index spatial(x.shape.begin() + 2, x.shape.end());
  const Window w = pool_window(spatial, g);
  const int64_t out = count(make_shape(w.out));
  const double kernel = static_cast<double>(count(make_shape(g.kernel)));
  Shape shape{x.shape[0], x.shape[1]};
  shape.insert(shape.end(), w.out.begin(), w.out.end());
  const double init = max ? -std::numeric_limits<double>::infinity() : 0.0;
  Nd y = full_nd(shape, init, x.dtype);
  for (int64_t n = 0; n < x.shape[0]; ++n) {
    for (int64_t c = 0; c < x.shape[1]; ++c) {
      w.for_each([&](int64_t o, int64_t, const Index& pos, bool inside) {
        double& acc = y.data[(n * x.shape[1] + c) * out + o];
        if (!inside) return;
        const double v = x[nc_index(n, c, pos)];
        acc = max ? std::max(acc, v) : acc + v;
      });
    }
  }
  if (!max) {
    for (double& v : y.data) v /= kernel;
  }
  return y;
}

namespace {

// Calls f(n, c, o, place) with the position of window o's maximum of x.
template <typename F>
void for_each_max_place(const Nd& x, const PoolGeometry& g, F&& f) {
  const Index spatial(x.shape.begin() + 2, x.shape.end());
  const Window w = pool_window(spatial, g);
  const int64_t out = count(make_shape(w.out));
  for (int64_t n = 0; n < x.shape[0]; ++n) {
    for (int64_t c = 0; c < x.shape[1]; ++c) {
      std::vector<Index> place(static_cast<size_t>(out));
      std::vector<double> best(static_cast<size_t>(out));
      std::vector<bool> seen(static_cast<size_t>(out), false);
      w.for_each([&](int64_t o, int64_t, const Index& pos, bool inside) {
        if (!inside) return;
        const double v = x[nc_index(n, c, pos)];
        const auto i = static_cast<size_t>(o);
        if (!seen[i] || v > best[i] ||
            (std::isnan(v) && !std::isnan(best[i]))) {
          seen[i] = true;
          best[i] = v;
          place[i] = pos;
        }
      });
      for (int64_t o = 0; o < out; ++o) {
        f(n, c, o, place[static_cast<size_t>(o)]);
      }
    }
  }
}

Shape pooled_shape(const Nd& x, const PoolGeometry& g) {
  const Index spatial(x.shape.begin() + 2, x.shape.end());
  const Window w = pool_window(spatial, g);
  Shape shape{x.shape[0], x.shape[1]};
  shape.insert(shape.end(), w.out.begin(), w.out.end());
  return shape;
}

}  // namespace

Nd max_pool_select_nd(const Nd& x, const Nd& values, const PoolGeometry& g) {
  const Shape shape = pooled_shape(x, g);
  const int64_t out = count(Shape(shape.begin() + 2, shape.end()));
  Nd y = full_nd(shape, 0, values.dtype);
  for_each_max_place(
      x, g, [&](int64_t n, int64_t c, int64_t o, const Index& place) {
        y.data[(n * shape[1] + c) * out + o] = values[nc_index(n, c, place)];
      });
  return y;
}

Nd max_pool_scatter_nd(const Nd& x, const Nd& grad_out, const PoolGeometry& g) {
  const Shape shape = pooled_shape(x, g);
  const int64_t out = count(Shape(shape.begin() + 2, shape.end()));
  Nd y = full_nd(x.shape, 0, grad_out.dtype);
  for_each_max_place(
      x, g, [&](int64_t n, int64_t c, int64_t o, const Index& place) {
        y[nc_index(n, c, place)] += grad_out.data[(n * shape[1] + c) * out + o];
      });
  return y;
}

}  // namespace fnx::opinfo
