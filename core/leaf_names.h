// Names for the leaves a thin transform header hands to its plugin, so the
// plugin's errors can say "argument 0 at [\"fc1.weight\"]" instead of
// "input leaf 3". The header (grad.h, jvp.h, jacfwd.h...) opens a LeafNames
// scope around the plugin call with the primal leaves and a function that
// makes their names (called only when an error needs them); the plugin
// asks leaf_name(primals, i). The names apply only to the exact list of
// leaves they were made for, so a plugin calling another plugin with other
// leaves (checkpoint) gets the plain "input leaf i"; of several scopes for
// the same leaves, the outermost (the API the user called) names them.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace fnx {

class LeafNames {
 public:
  using Namer = std::function<std::vector<std::string>()>;
  LeafNames(std::span<const Tensor> leaves, Namer namer);
  ~LeafNames();
  LeafNames(const LeafNames&) = delete;
  LeafNames& operator=(const LeafNames&) = delete;

 private:
  friend std::string leaf_name(std::span<const Tensor> leaves, std::size_t i);
  // The caller's leaves, alive for the scope (the thin header owns them):
  // nothing is copied or allocated unless an error asks for a name.
  std::span<const Tensor> leaves_;
  Namer namer_;
  LeafNames* outer_;
};

// Leaf i of `leaves`: its name from the outermost LeafNames scope on this
// thread made for these leaves ("argument 1 at .w"), else "input leaf i".
std::string leaf_name(std::span<const Tensor> leaves, std::size_t i);

}  // namespace fnx
