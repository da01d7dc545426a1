// vmap's in_dims and out_dims, spelled as in torch.func: per argument (per
// output) an int (negative counts from the end), `none` (not mapped: passed
// whole / returned unbatched), or a braced list matching the structure of a
// tree argument:
//
//   vmap(f, {none, 0, 0})            // three arguments
//   vmap(f, {0, {1, none}})          // the second is a pair or a 2-vector
//   vmap(f, 0)                       // every argument at dim 0
//
// A list matches a std::vector / std::array (one entry per element), a
// std::tuple / std::pair (per element), a ParamDict (per entry, in insertion
// order) or an FNX_TREE_STRUCT (per named field, in order); std::optional
// passes its spec to the value it holds. Non-tensor (static) arguments pass
// through whatever int they get.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/param_dict.h"
#include "core/tensor.h"
#include "core/tree.h"
#include "transforms/vmap/vmap_entry.h"

namespace fnx {

// "Not mapped" in in_dims / out_dims (Python's None).
struct None {};
inline constexpr None none{};

class VmapDims {
 public:
  VmapDims(None) {}  // NOLINT(runtime/explicit)
  template <std::integral I>
  requires(!std::same_as<I, bool>) VmapDims(I dim)  // NOLINT(runtime/explicit)
      : kind_(Kind::kDim), dim_(static_cast<int64_t>(dim)) {}
  VmapDims(std::initializer_list<VmapDims> items)
      : kind_(Kind::kList), items_(items) {}
  explicit VmapDims(std::vector<VmapDims> items)
      : kind_(Kind::kList), items_(std::move(items)) {}

  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_dim() const { return kind_ == Kind::kDim; }
  bool is_list() const { return kind_ == Kind::kList; }
  int64_t dim() const { return dim_; }
  const std::vector<VmapDims>& items() const { return items_; }

  // "0", "none", "{none, 0, {1, 1}}".
  std::string str() const {
    if (is_none()) return "none";
    if (is_dim()) return str_cat(dim_);
    std::string out = "{";
    for (std::size_t i = 0; i < items_.size(); ++i) {
      out += (i == 0 ? "" : ", ") + items_[i].str();
    }
    return out + "}";
  }

 private:
  enum class Kind : uint8_t { kNone, kDim, kList };
  Kind kind_ = Kind::kNone;
  int64_t dim_ = 0;
  std::vector<VmapDims> items_;
};

namespace vmap_detail {

// The container kinds of a tree (core/tree.h).
using tree_internal::IsOptional;
using tree_internal::IsSequence;
using tree_internal::IsTupleLike;
using tree_internal::OptedInStruct;

// Where a spec is being matched: "in_dims of argument 2" / "out_dims".
struct DimsSite {
  const char* what;
  int index;  // argument index, or -1 for the output
};

[[noreturn]] inline void fail_dims(const DimsSite& site, const VmapDims& spec,
                                   const std::string& structure,
                                   std::string_view why) {
  if (site.index >= 0) {
    fail("vmap", site.what, " for argument ", site.index, " is ", spec.str(),
         " but the argument is ", structure, ": ", why);
  }
  fail("vmap", site.what, " is ", spec.str(), " but the function returned ",
       structure, ": ", why);
}

template <typename T>
void match_dims(const T& value, const VmapDims& spec, std::vector<int64_t>& out,
                const DimsSite& site);

// The batch dim a leaf gets from an int or none. INT64_MIN is the internal
// "not mapped" marker: as a user's int it is out of range, never none.
inline int64_t leaf_dim(const VmapDims& spec, const DimsSite& site,
                        const std::string& structure) {
  if (!spec.is_dim()) return kNoDim;
  if (spec.dim() == kNoDim) {
    fail_dims(site, spec, structure,
              "the dim is out of range for any tensor; use a dim in "
              "[-rank, rank) or none");
  }
  return spec.dim();
}

template <typename T>
void match_list(const T& value, const VmapDims& spec, const DimsSite& site,
                std::size_t count) {
  if (spec.items().size() != count) {
    fail_dims(site, spec, tree_structure(value),
              str_cat("a list needs one entry per element (", count,
                      "), or give a single int or none for all of it"));
  }
}

template <typename T>
void match_dims(const T& value, const VmapDims& spec, std::vector<int64_t>& out,
                const DimsSite& site) {
  using U = std::remove_cvref_t<T>;
  if (!spec.is_list()) {
    out.insert(out.end(), tree_num_leaves(value),
               leaf_dim(spec, site, tree_structure(value)));
    return;
  }
  if constexpr (std::is_same_v<U, Tensor>) {
    // A one-entry list for a function's single output is that entry, as
    // torch.func reads out_dims=(1,).
    if (site.index < 0 && spec.items().size() == 1 &&
        !spec.items()[0].is_list()) {
      match_dims(value, spec.items()[0], out, site);
      return;
    }
    fail_dims(site, spec, "Tensor",
              "a tensor takes a single int or none, not a list");
  } else if constexpr (IsSequence<U>::value) {
    match_list(value, spec, site, value.size());
    std::size_t i = 0;
    for (const auto& element : value) {
      match_dims(element, spec.items()[i++], out, site);
    }
  } else if constexpr (IsTupleLike<U>::value) {
    match_list(value, spec, site, std::tuple_size_v<U>);
    std::size_t i = 0;
    std::apply(
        [&](const auto&... element) {
          (match_dims(element, spec.items()[i++], out, site), ...);
        },
        value);
  } else if constexpr (IsOptional<U>::value) {
    if (value.has_value()) match_dims(*value, spec, out, site);
  } else if constexpr (std::is_same_v<U, ParamDict>) {
    match_list(value, spec, site, value.size());
    for (const VmapDims& item : spec.items()) {
      if (item.is_list()) {
        fail_dims(site, spec, tree_structure(value),
                  "each ParamDict entry is a tensor and takes an int or none");
      }
      out.push_back(leaf_dim(item, site, tree_structure(value)));
    }
  } else if constexpr (OptedInStruct<U>) {
    std::size_t fields = 0;
    fnx_tree_struct_fields(static_cast<const U*>(nullptr),
                           [&](std::string_view, auto) { ++fields; });
    match_list(value, spec, site, fields);
    std::size_t i = 0;
    fnx_tree_struct_fields(
        static_cast<const U*>(nullptr), [&](std::string_view, auto member) {
          match_dims(value.*member, spec.items()[i++], out, site);
        });
  } else {
    fail_dims(site, spec, "static data (not a tree of tensors)",
              "a non-tensor value takes an int or none, not a list");
  }
}

}  // namespace vmap_detail
}  // namespace fnx
