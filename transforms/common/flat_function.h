// A transformed function as the transform plugins see it: a function from
// a flat list of primal leaves to flat lists of output and aux leaves. The
// thin API headers (grad.h, jvp.h, the Jacobians) build one around the
// user's f; the plugins' entry points take it.
#pragma once

#include <functional>
#include <vector>

#include "core/tensor.h"

namespace fnx {

// What a transformed function returned, flattened: the leaves of its output
// tree and, with has_aux, of the auxiliary tree (returned as it is, never
// transformed).
struct FlatOut {
  std::vector<Tensor> outputs;
  std::vector<Tensor> aux;
};

// The function, flattened: it receives the primal leaves as the
// transform's level sees them (tracked or dual values) and rebuilds the
// user's arguments around them.
using FlatFn = std::function<FlatOut(const std::vector<Tensor>& primals)>;

}  // namespace fnx
