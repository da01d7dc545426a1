#include "core/leaf_names.h"

#include <utility>

#include "core/str_cat.h"

namespace fnx {
namespace {

thread_local LeafNames* innermost = nullptr;

}  // namespace

LeafNames::LeafNames(std::span<const Tensor> leaves, Namer namer)
    : leaves_(leaves), namer_(std::move(namer)), outer_(innermost) {
  innermost = this;
}

LeafNames::~LeafNames() { innermost = outer_; }

std::string leaf_name(std::span<const Tensor> leaves, std::size_t i) {
  // The outermost scope made for these leaves: the API the user called
  // (jacrev's names, not those of the vjp it runs on the same leaves).
  const LeafNames* found = nullptr;
  for (const LeafNames* s = innermost; s != nullptr; s = s->outer_) {
    if (s->leaves_.size() != leaves.size()) continue;
    bool same = true;
    for (std::size_t k = 0; k < leaves.size() && same; ++k) {
      same = s->leaves_[k].impl() == leaves[k].impl();
    }
    if (same) found = s;
  }
  if (found != nullptr) {
    const std::vector<std::string> names = found->namer_();
    if (i < names.size()) return names[i];
  }
  return str_cat("input leaf ", i);
}

}  // namespace fnx
