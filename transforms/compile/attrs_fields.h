// The fields of every primitive attribute struct, by name, listed once for
// both directions of the graph file format (export.cc): a visitor is called
// with each field's name and a reference to it.
#pragma once

#include <array>
#include <string_view>
#include <variant>

#include "core/custom_function.h"
#include "core/primitive.h"

namespace fnx::compile_internal {

// The names of Attrs' alternatives, in the variant's order.
inline constexpr std::array<std::string_view, 20> kAttrsKinds = {
    "NoAttrs",      "CastAttrs",   "ReduceAttrs", "ShapeAttrs",
    "PermuteAttrs", "SliceAttrs",  "DimAttrs",    "PadAttrs",
    "ConvAttrs",    "UnfoldAttrs", "FullAttrs",   "IotaAttrs",
    "RandomAttrs",  "DeviceAttrs", "LinalgAttrs", "AssertAttrs",
    "CustomAttrs",  "ScanAttrs",   "SortAttrs",   "CollectiveAttrs"};
static_assert(std::variant_size_v<Attrs> == kAttrsKinds.size(),
              "list every Attrs alternative in kAttrsKinds, in order");

template <typename V>
void fields(NoAttrs&, V&) {}
template <typename V>
void fields(CastAttrs& a, V& v) {
  v("dtype", a.dtype);
}
template <typename V>
void fields(ReduceAttrs& a, V& v) {
  v("dims", a.dims);
  v("keepdim", a.keepdim);
}
template <typename V>
void fields(ShapeAttrs& a, V& v) {
  v("shape", a.shape);
}
template <typename V>
void fields(PermuteAttrs& a, V& v) {
  v("perm", a.perm);
}
template <typename V>
void fields(SliceAttrs& a, V& v) {
  v("dim", a.dim);
  v("start", a.start);
  v("stop", a.stop);
  v("step", a.step);
}
template <typename V>
void fields(DimAttrs& a, V& v) {
  v("dim", a.dim);
}
template <typename V>
void fields(PadAttrs& a, V& v) {
  v("lo", a.lo);
  v("hi", a.hi);
  v("value", a.value);
}
template <typename V>
void fields(ConvAttrs& a, V& v) {
  v("stride", a.stride);
  v("padding", a.padding);
  v("dilation", a.dilation);
  v("groups", a.groups);
  v("input_shape", a.input_shape);
  v("weight_shape", a.weight_shape);
}
template <typename V>
void fields(UnfoldAttrs& a, V& v) {
  v("kernel", a.kernel);
  v("stride", a.stride);
  v("padding", a.padding);
  v("dilation", a.dilation);
  v("pad_value", a.pad_value);
  v("input_spatial", a.input_spatial);
}
template <typename V>
void fields(FullAttrs& a, V& v) {
  v("shape", a.shape);
  v("dtype", a.dtype);
  v("device", a.device);
  v("value", a.value);
}
template <typename V>
void fields(IotaAttrs& a, V& v) {
  v("n", a.n);
  v("dtype", a.dtype);
  v("device", a.device);
}
template <typename V>
void fields(RandomAttrs& a, V& v) {
  // seed and offset are drawn afresh on every run: not stored.
  v("shape", a.shape);
  v("dtype", a.dtype);
  v("device", a.device);
  v("low", a.low);
  v("high", a.high);
}
template <typename V>
void fields(DeviceAttrs& a, V& v) {
  v("device", a.device);
}
template <typename V>
void fields(LinalgAttrs& a, V& v) {
  v("upper", a.upper);
  v("left", a.left);
  v("transpose", a.transpose);
  v("unit_diagonal", a.unit_diagonal);
  v("full_matrices", a.full_matrices);
  v("degenerate_tolerance", a.degenerate_tolerance);
}
template <typename V>
void fields(AssertAttrs& a, V& v) {
  v("message", a.message);
  v("batch_rank", a.batch_rank);
}
// A user's function cannot be written to a file: export refuses it.
template <typename V>
void fields(CustomAttrs&, V&) {}
template <typename V>
void fields(ScanAttrs& a, V& v) {
  v("dim", a.dim);
  v("reverse", a.reverse);
}
template <typename V>
void fields(SortAttrs& a, V& v) {
  v("dim", a.dim);
  v("descending", a.descending);
  v("k", a.k);
}
// A process group lives in one run of a program: export refuses
// collectives.
template <typename V>
void fields(CollectiveAttrs&, V&) {}

}  // namespace fnx::compile_internal
