// The control plugin's flat implementations, registered as the entry
// "control" (control_entry.h) by register.cc.
#pragma once

#include <span>
#include <utility>
#include <vector>

#include "transforms/control/control_entry.h"

namespace fnx::control_internal {

TensorList switch_case(const char* op, const Tensor& index,
                       const std::vector<Thunk>& branches);
TensorList while_loop(const FlatPredicate& cond, const FlatFn& body,
                      std::span<const Tensor> init,
                      const WhileLoopOptions& options);
std::pair<TensorList, TensorList> scan(const FlatStep& step,
                                       std::span<const Tensor> init,
                                       std::span<const Tensor> xs,
                                       const ScanOptions& options);
TensorList map(const FlatFn& f, std::span<const Tensor> xs,
               const MapOptions& options);

}  // namespace fnx::control_internal
