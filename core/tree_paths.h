// The path of every leaf of a tree, for error messages that name a leaf
// the way the user wrote it: "[1][0]" for sequence and tuple elements,
// "[\"fc1.weight\"]" for ParamDict entries, ".w" for FNX_TREE_STRUCT
// fields, "" for a lone Tensor. In tree_flatten order.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/param_dict.h"
#include "core/str_cat.h"
#include "core/tree.h"

namespace fnx {

// Appends the path of every leaf of `value` under `prefix`.
template <typename T>
void tree_leaf_paths_into(const T& value, const std::string& prefix,
                          std::vector<std::string>& out) {
  using namespace tree_internal;
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_same_v<U, Tensor>) {
    out.push_back(prefix);
  } else if constexpr (IsSequence<U>::value) {
    std::size_t i = 0;
    for (const auto& element : value) {
      tree_leaf_paths_into(element, str_cat(prefix, "[", i++, "]"), out);
    }
  } else if constexpr (IsTupleLike<U>::value) {
    std::size_t i = 0;
    std::apply(
        [&](const auto&... element) {
          ((tree_leaf_paths_into(element, str_cat(prefix, "[", i++, "]"), out)),
           ...);
        },
        value);
  } else if constexpr (IsOptional<U>::value) {
    if (value.has_value()) tree_leaf_paths_into(*value, prefix, out);
  } else if constexpr (std::is_same_v<U, ParamDict>) {
    for (const std::string& key : value.keys()) {
      out.push_back(str_cat(prefix, "[\"", key, "\"]"));
    }
  } else if constexpr (OptedInStruct<U>) {
    fnx_tree_struct_fields(
        static_cast<const U*>(nullptr),
        [&](std::string_view name, auto member) {
          tree_leaf_paths_into(value.*member, str_cat(prefix, ".", name), out);
        });
  } else {
    const std::size_t n = tree_num_leaves(value);
    for (std::size_t i = 0; i < n; ++i) {
      out.push_back(str_cat(prefix, "[", i, "]"));
    }
  }
}

template <typename T>
std::vector<std::string> tree_leaf_paths(const T& value) {
  std::vector<std::string> out;
  tree_leaf_paths_into(value, "", out);
  return out;
}

}  // namespace fnx
