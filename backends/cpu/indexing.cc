// Indexing primitives. Gather and IndexSelect share one loop (read x at the
// index along `dim`); ScatterAdd and IndexAdd share another (add into a copy
// of x at the index along `dim`). Indices are int64; any index outside
// [0, size) is an fnx::Error naming the primitive.
#include <array>

#include "backends/common/scalar_ops.h"
#include "backends/cpu/common.h"
#include "backends/cpu/loops.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

// One operand's view for a loop over `shape`: element pointer and strides.
struct Operand {
  char* ptr;
  Strides strides;  // elements
};

struct IndexedDim {
  int64_t dim;     // for messages
  int64_t size;    // valid indices are [0, size)
  int64_t stride;  // elements
};

[[noreturn]] void out_of_range(std::string_view op, int64_t v,
                               const IndexedDim& d) {
  fail(op, "index ", v, " is out of range for dim ", d.dim, " of size ",
       d.size);
}

// out[i] = x[i + index[i] * along.stride] over `shape` (x's strides are zero
// along the indexed dim).
template <typename T>
void gather_loop(std::string_view op, const Shape& shape, const Operand& out,
                 const Operand& index, const Operand& x,
                 const IndexedDim& along) {
  const auto plan =
      make_plan<3>(shape, {&out.strides, &index.strides, &x.strides},
                   {sizeof(T), sizeof(int64_t), sizeof(T)});
  run_plan(
      plan, {out.ptr, index.ptr, x.ptr},
      [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s,
          int64_t n) {
        for (int64_t i = 0; i < n; ++i) {
          const int64_t v = *reinterpret_cast<const int64_t*>(p[1] + i * s[1]);
          if (v < 0 || v >= along.size) out_of_range(op, v, along);
          *reinterpret_cast<T*>(p[0] + i * s[0]) =
              reinterpret_cast<const T*>(p[2] + i * s[2])[v * along.stride];
        }
      });
}

// out[i + index[i] * along.stride] += src[i] over `shape`, serially (indices
// may repeat).
template <typename T>
void scatter_add_loop(std::string_view op, const Shape& shape,
                      const Operand& out, const Operand& index,
                      const Operand& src, const IndexedDim& along) {
  const auto plan =
      make_plan<3>(shape, {&out.strides, &index.strides, &src.strides},
                   {sizeof(T), sizeof(int64_t), sizeof(T)});
  if (plan.numel == 0) return;
  run_plan_range(
      plan, {out.ptr, index.ptr, src.ptr}, 0, plan.numel,
      [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s,
          int64_t n) {
        for (int64_t i = 0; i < n; ++i) {
          const int64_t v = *reinterpret_cast<const int64_t*>(p[1] + i * s[1]);
          if (v < 0 || v >= along.size) out_of_range(op, v, along);
          T& dst = reinterpret_cast<T*>(p[0] + i * s[0])[v * along.stride];
          dst = scalar::AddOp{}(dst,
                                *reinterpret_cast<const T*>(p[2] + i * s[2]));
        }
      });
}

// Geometry of a tensor for these loops; 0-d tensors act as shape [1].
struct Geometry {
  Shape shape;
  Strides strides;
};
Geometry geometry(const Tensor& t) {
  if (t.dim() == 0) return {Shape{1}, Strides{0}};
  return {t.shape(), t.strides()};
}

int64_t checked_dim(const OpCall& call, int64_t rank) {
  const int64_t dim = call.attr<DimAttrs>().dim;
  FNX_CHECK(dim >= 0 && dim < rank, call.name(), "dim ", dim,
            " is out of range for rank ", rank);
  return dim;
}

Tensor index_as_int64(const OpCall& call, const Tensor& index) {
  FNX_CHECK(is_integral(index.dtype()) && index.dtype() != DType::Bool,
            call.name(), "index must be an integer tensor, got ",
            dtype_name(index.dtype()));
  return cast_to(index, DType::Int64);
}

// Gather (index has x's rank; out shape = index shape) and IndexSelect
// (1-d index; out = x's shape with dim replaced by the index length).
template <bool kSelect>
Tensor gather_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor x = cast_to(call.inputs[0], out.dtype);
  const Tensor index = index_as_int64(call, call.inputs[1]);
  const Geometry gx = geometry(x);
  const Geometry gi = geometry(index);
  const int64_t rank = static_cast<int64_t>(gx.shape.size());
  const int64_t dim = checked_dim(call, rank);
  Shape shape = gx.shape;
  if (kSelect) {
    FNX_CHECK(index.dim() <= 1, call.name(), "index must be 1-d, got shape ",
              shape_str(index.shape()));
    shape[dim] = gi.shape[0];
  } else {
    FNX_CHECK(static_cast<int64_t>(gi.shape.size()) == rank, call.name(),
              "index of shape ", shape_str(index.shape()),
              " must have the rank of the input ", shape_str(x.shape()));
    for (int64_t d = 0; d < rank; ++d) {
      FNX_CHECK(d == dim || gi.shape[d] <= gx.shape[d], call.name(),
                "index of shape ", shape_str(index.shape()),
                " is larger than the input ", shape_str(x.shape()),
                " outside dim ", dim);
    }
    shape = gi.shape;
  }
  Tensor result = make_result(out);
  FNX_CHECK(numel(shape) == numel(out.shape), call.name(), "result shape ",
            shape_str(out.shape), " does not match ", shape_str(shape));
  const IndexedDim along{dim, gx.shape[dim], gx.strides[dim]};
  Strides xs = gx.strides;
  xs[dim] = 0;
  Strides is(rank, 0);
  if (kSelect) {
    is[dim] = gi.strides[0];
  } else {
    is = gi.strides;
  }
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    gather_loop<scalar_t>(call.name(), shape,
                          {byte_ptr(result), contiguous_strides(shape)},
                          {byte_ptr(index), is}, {byte_ptr(x), xs}, along);
  });
  return result;
}

// ScatterAdd (index and src of x's rank; the loop runs over index's shape)
// and IndexAdd (1-d index; src = x's shape with dim replaced by its length).
template <bool kIndexAdd>
Tensor scatter_add_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor& x = call.inputs[0];
  const Tensor index = index_as_int64(call, call.inputs[1]);
  const Tensor src = cast_to(call.inputs[2], out.dtype);
  Tensor result = contiguous_copy(x, out.dtype);
  const Geometry gx = geometry(result);
  const Geometry gi = geometry(index);
  const Geometry gs = geometry(src);
  const int64_t rank = static_cast<int64_t>(gx.shape.size());
  const int64_t dim = checked_dim(call, rank);
  FNX_CHECK(static_cast<int64_t>(gs.shape.size()) == rank, call.name(),
            "source of shape ", shape_str(src.shape()),
            " must have the rank of the input ", shape_str(x.shape()));
  Shape shape;
  Strides is(rank, 0);
  if (kIndexAdd) {
    FNX_CHECK(index.dim() <= 1, call.name(), "index must be 1-d, got shape ",
              shape_str(index.shape()));
    for (int64_t d = 0; d < rank; ++d) {
      FNX_CHECK(gs.shape[d] == (d == dim ? gi.shape[0] : gx.shape[d]),
                call.name(), "source of shape ", shape_str(src.shape()),
                " does not match the input ", shape_str(x.shape()),
                " with dim ", dim, " of length ", gi.shape[0]);
    }
    shape = gs.shape;
    is[dim] = gi.strides[0];
  } else {
    FNX_CHECK(static_cast<int64_t>(gi.shape.size()) == rank, call.name(),
              "index of shape ", shape_str(index.shape()),
              " must have the rank of the input ", shape_str(x.shape()));
    for (int64_t d = 0; d < rank; ++d) {
      FNX_CHECK(gi.shape[d] <= gs.shape[d] &&
                    (d == dim || gi.shape[d] <= gx.shape[d]),
                call.name(), "index of shape ", shape_str(index.shape()),
                " is larger than the source ", shape_str(src.shape()),
                " or than the input ", shape_str(x.shape()), " outside dim ",
                dim);
    }
    shape = gi.shape;
    is = gi.strides;
  }
  const IndexedDim along{dim, gx.shape[dim], gx.strides[dim]};
  Strides os = gx.strides;
  os[dim] = 0;
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    scatter_add_loop<scalar_t>(call.name(), shape, {byte_ptr(result), os},
                               {byte_ptr(index), is},
                               {byte_ptr(src), gs.strides}, along);
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  constexpr DeviceType kCpu = DeviceType::CPU;
  r.kernel(kCpu, Prim::Gather, &gather_kernel<false>);
  r.kernel(kCpu, Prim::IndexSelect, &gather_kernel<true>);
  r.kernel(kCpu, Prim::ScatterAdd, &scatter_add_kernel<false>);
  r.kernel(kCpu, Prim::IndexAdd, &scatter_add_kernel<true>);
}

}  // namespace fnx::cpu
