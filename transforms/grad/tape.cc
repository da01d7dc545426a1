#include "transforms/grad/tape.h"

#include <utility>
#include <vector>

#include "core/error.h"
#include "transforms/grad/grad_interpreter.h"

namespace fnx::grad_internal {

SavedTensor SavedTensor::save(const Tensor& t) {
  SavedTensor s;
  s.value = t;
  if (const Storage* memory = storage_of(t)) {
    s.storage = memory;
    s.version = memory->version();
  }
  return s;
}

void SavedTensor::check(Prim prim) const {
  if (storage == nullptr || storage->version() == version) return;
  fail("grad", "a tensor of shape ", shape_str(value.shape()),
       " that the gradient of ", prim_name(prim),
       " needs was modified in place (copy_) after it was used. This "
       "includes tensors captured from outside the differentiated function: "
       "mutating a captured tensor inside grad is an error. Write into a "
       "clone instead, or do the write before the value is used");
}

Node::~Node() {
  // A long chain (a loop of many ops) would otherwise be freed by one
  // recursive destructor call per node. Parents only this node holds are
  // moved out and released here, one level deep at a time.
  std::vector<std::shared_ptr<Node>> pending;
  auto take = [&pending](Node& n) {
    for (auto& p : n.parents) {
      if (p && p.use_count() == 1) pending.push_back(std::move(p));
    }
  };
  take(*this);
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    take(*n);
  }
}

}  // namespace fnx::grad_internal
