// cuda_sim's cuDNN: the index walking that convolution and pooling share.
// The computations work on packed host copies of their inputs (gather),
// so that only gather and scatter see the descriptors' strides.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/cuda/sim/tf32.h"

namespace cuda_sim::dnn {

// A tensor as a descriptor lays it out: dims and a stride (elements) for
// each; every dim is at least 1.
struct Layout {
  std::vector<int> dims;
  std::vector<int64_t> strides;

  int64_t numel() const {
    int64_t n = 1;
    for (int d : dims) n *= d;
    return n;
  }
  // Elements from the first to one past the last the tensor holds.
  int64_t extent() const {
    int64_t last = 0;
    for (std::size_t i = 0; i < dims.size(); ++i) {
      last += (dims[i] - 1) * strides[i];
    }
    return last + 1;
  }
};

// The layout of a packed (row-major) tensor of these dims.
inline Layout packed(const std::vector<int>& dims) {
  Layout l{dims, std::vector<int64_t>(dims.size())};
  int64_t stride = 1;
  for (int i = static_cast<int>(dims.size()) - 1; i >= 0; --i) {
    l.strides[i] = stride;
    stride *= dims[i];
  }
  return l;
}

// The product of v's elements.
inline int64_t product(const std::vector<int>& v) {
  int64_t n = 1;
  for (int e : v) n *= e;
  return n;
}

// Calls f(index) for every multi-index below `dims` in row-major order (the
// last dim fastest, so the i-th call is packed element i); none when a dim
// is 0.
template <typename F>
void for_each_index(const std::vector<int>& dims, F&& f) {
  for (int d : dims) {
    if (d <= 0) return;
  }
  std::vector<int> index(dims.size(), 0);
  while (true) {
    f(static_cast<const std::vector<int>&>(index));
    int i = static_cast<int>(dims.size()) - 1;
    for (; i >= 0; --i) {
      if (++index[i] < dims[i]) break;
      index[i] = 0;
    }
    if (i < 0) return;
  }
}

// Calls f(offset) with the strided offset of every element of `l`, in
// row-major (packed) order.
template <typename F>
void for_each_offset(const Layout& l, F&& f) {
  for_each_index(l.dims, [&](const std::vector<int>& index) {
    int64_t offset = 0;
    for (std::size_t i = 0; i < index.size(); ++i) {
      offset += index[i] * l.strides[i];
    }
    f(offset);
  });
}

// A packed copy of the strided tensor at `base`, rounded to TF32 when
// `tf32` (float only).
template <typename T>
std::vector<T> gather(const T* base, const Layout& l, bool tf32) {
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(l.numel()));
  for_each_offset(
      l, [&](int64_t o) { out.push_back(tensor_op_input(base[o], tf32)); });
  return out;
}

// dst = alpha * packed + beta * dst over the strided tensor at `base`; dst
// is not read when beta == 0 (garbage in it does not leak, as in cuDNN).
template <typename T>
void scatter(const std::vector<T>& packed, T* base, const Layout& l, T alpha,
             T beta) {
  std::size_t i = 0;
  for_each_offset(l, [&](int64_t o) {
    const T v = alpha * packed[i++];
    base[o] = beta == T(0) ? v : v + beta * base[o];
  });
}

// A sliding window over the spatial dims, for convolution (the filter) and
// pooling: output position o reads input position o * stride - pad + r *
// dilation for tap r of the window.
struct Window {
  std::vector<int> in, out, size, pad, stride, dilation;
  bool flip = false;  // tap r reads filter element size - 1 - r
};

// A tap that lands inside the input: its element of the window (packed,
// flipped when the window is) and the input element (packed spatial
// offset).
struct Tap {
  int64_t weight;
  int64_t in;
};

// Calls f(o, taps) for every output position (packed spatial offset o),
// with the taps of its window that land inside the input (padding is
// skipped).
template <typename F>
void for_each_window(const Window& w, F&& f) {
  const std::size_t nd = w.in.size();
  std::vector<Tap> taps;
  int64_t o = 0;
  for_each_index(w.out, [&](const std::vector<int>& out) {
    taps.clear();
    for_each_index(w.size, [&](const std::vector<int>& r) {
      Tap t{0, 0};
      for (std::size_t i = 0; i < nd; ++i) {
        const int64_t pos = int64_t{out[i]} * w.stride[i] - w.pad[i] +
                            int64_t{r[i]} * w.dilation[i];
        if (pos < 0 || pos >= w.in[i]) return;  // in the padding
        t.in = t.in * w.in[i] + pos;
        t.weight =
            t.weight * w.size[i] + (w.flip ? w.size[i] - 1 - r[i] : r[i]);
      }
      taps.push_back(t);
    });
    f(o++, static_cast<const std::vector<Tap>&>(taps));
  });
}

}  // namespace cuda_sim::dnn
