// Shared by the op-database suites (one vmap level and two): per-example
// inputs, the in_dims choices to try, running an entry under vmap and as a
// loop over examples, and comparing the two.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "gtest/gtest.h"
#include "tests/opinfo/opinfo.h"

namespace fnx::testing {

// The dtype a suite runs an entry in: float64 when it has it.
DType suite_dtype(const opinfo::OpInfo& info);
// The entry's samples in that dtype (the same ones every suite sees).
std::vector<opinfo::SampleInput> suite_samples(const opinfo::OpInfo& info,
                                               DType dtype);

// Example `k` drawn from sample input `x`: x's elements in another order
// (k = 0: x itself), so every example differs but stays in the op's domain
// (index ranges, positivity, class ids...).
Tensor example_variant(const Tensor& x, int64_t k);

// One input's mapping: nullopt = not mapped, else an in_dim (0, 1, -1).
using InDim = std::optional<int64_t>;
using InDimsChoice = std::vector<InDim>;

// The in_dims choices tried for a sample: all 0, all 1, all -1, each input
// alone mapped (at 0 and at -1), and all but one mapped. 1 is replaced by 0
// for 0-d inputs; duplicates are dropped.
std::vector<InDimsChoice> in_dims_choices(const opinfo::TensorList& inputs);
std::string choice_str(const InDimsChoice& choice);

// `examples` stacked at in_dim `dim` (which may be -1).
Tensor stack_at(const std::vector<Tensor>& examples, int64_t dim);

// Compares got with want (shape, dtype, values within the entry's
// tolerance; NaNs equal).
::testing::AssertionResult matches(const Tensor& got, const Tensor& want,
                                   opinfo::Tolerance tol);

// Whether an entry/choice is copy_ writing a batched source into an
// unbatched destination (an error under vmap, by design).
bool writes_batched_into_unbatched(const opinfo::OpInfo& info,
                                   const InDimsChoice& choice);

}  // namespace fnx::testing
