#include "core/tree.h"

#include "core/error.h"
#include "core/str_cat.h"

namespace fnx::tree_internal {

void fail_leaf_count(std::string_view op, std::size_t expected, std::size_t got,
                     const std::string& structure) {
  fail(op, "the structure ", structure, " has ", expected,
       " tensor leaves but ", got,
       " were given; pass exactly one tensor per leaf (see ",
       "tree_num_leaves)");
}

void fail_out_of_leaves(std::size_t needed, std::size_t got) {
  fail("tree_unflatten", "ran out of leaves: needed at least ", needed,
       " but only ", got, " were given");
}

void fail_mismatch(std::string_view op, const std::string& a,
                   const std::string& b) {
  fail(op, "the trees have different structures: ", a, " vs ", b,
       "; both must have the same container sizes, ParamDict keys (in the ",
       "same order) and optional values present");
}

void append_sequence(std::string& out, std::string_view name,
                     const std::vector<std::string>& parts) {
  out += str_cat(name, "[", parts.size(), "]");
  if (parts.empty()) return;
  bool all_equal = true;
  for (const std::string& p : parts) all_equal = all_equal && p == parts[0];
  out += "(";
  if (all_equal) {
    out += parts[0];
  } else {
    for (std::size_t i = 0; i < parts.size(); ++i) {
      out += str_cat(i == 0 ? "" : ", ", parts[i]);
    }
  }
  out += ")";
}

}  // namespace fnx::tree_internal
