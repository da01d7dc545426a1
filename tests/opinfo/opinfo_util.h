// Helpers the database's family files share: seeded input makers with value
// domains, sample builders, dtype lists, and one registration function per
// family (opinfo_<family>.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/ops/ops.h"
#include "tests/opinfo/opinfo.h"

namespace fnx::opinfo {

inline constexpr DType kF32 = DType::Float32;
inline constexpr DType kF64 = DType::Float64;
inline constexpr DType kI32 = DType::Int32;
inline constexpr DType kI64 = DType::Int64;
inline constexpr DType kBool = DType::Bool;

const std::vector<DType>& floating_dtypes();  // float32, float64
const std::vector<DType>& numeric_dtypes();   // + int32, int64
const std::vector<DType>& all_dtypes();       // + bool

// Value domains of generated inputs.
enum class Domain {
  // floats uniform in +-[0.1, 2] (nothing near 0, so kinks such as abs's
  // and relu's stay out of finite-difference reach), ints in [-5, 5],
  // bool 0/1.
  kAny,
  kPositive,  // floats in [0.5, 2.5], ints in [1, 5], bool 1
  kNonZero,   // floats in +-[0.5, 2], ints in +-[1, 5], bool 1
  kSmallInt,  // integers in [-2, 2] in every dtype (ties and exact zeros)
  kUnit,      // floats in +-[0.1, 0.9] (asin, atanh, erfinv), ints in [-1, 1]
  kAboveOne,  // floats in [1.2, 3.2] (acosh), ints in [2, 4], bool 1
};

// Seeded inputs drawn from `gen` (fnx::rand in float64, shaped on the host).
Tensor make(const Shape& shape, DType dtype, Generator& gen,
            Domain domain = Domain::kAny);
// A non-contiguous view of the given shape: the transpose of a contiguous
// tensor for rank >= 2 (the last two sizes should differ from 1), a
// step-2 slice for rank 1.
Tensor make_noncontig(const Shape& shape, DType dtype, Generator& gen,
                      Domain domain = Domain::kAny);
// A step-2 slice along dim 0 (rank >= 1, shape[0] > 1): non-contiguous.
Tensor make_strided(const Shape& shape, DType dtype, Generator& gen,
                    Domain domain = Domain::kAny);
// Dim 0 expanded from size 1 (a zero stride).
Tensor make_expanded(const Shape& shape, DType dtype, Generator& gen,
                     Domain domain = Domain::kAny);
// int64 indices uniform in [0, high).
Tensor make_index(const Shape& shape, int64_t high, Generator& gen);
// Exactly these values.
Tensor constant(const std::vector<double>& values, const Shape& shape,
                DType dtype);

SampleInput sample(TensorList inputs, std::vector<std::string> tags,
                   std::string desc = "");
SampleInput sample_with(TensorList inputs, std::vector<std::string> tags,
                        std::string desc, OpFn op, RefFn reference);

// A one-input sample whose op and reference are given as functions of the
// single tensor / array (the parameters they bind are described by desc).
SampleInput sample1(Tensor x, std::vector<std::string> tags, std::string desc,
                    std::function<Tensor(const Tensor&)> op,
                    std::function<Nd(const Nd&)> reference);
// An entry of one input whose default op/reference are given the same way.
OpInfo entry1(std::string name, std::string family, Impl impl,
              std::function<Tensor(const Tensor&)> op,
              std::function<Nd(const Nd&)> reference);

// A list of ints in words: "{0, 2}".
std::string dims_str(const Index& dims);

// One per family file.
void add_unary_ops(std::vector<OpInfo>& db);
void add_binary_ops(std::vector<OpInfo>& db);
void add_reduce_ops(std::vector<OpInfo>& db);
void add_sort_ops(std::vector<OpInfo>& db);  // cumsum, argsort, sort...
void add_view_ops(std::vector<OpInfo>& db);
void add_shape_ops(std::vector<OpInfo>& db);
void add_index_ops(std::vector<OpInfo>& db);
void add_linalg_ops(std::vector<OpInfo>& db);
void add_einsum_ops(std::vector<OpInfo>& db);
void add_composite_ops(std::vector<OpInfo>& db);  // tensordot, flip, ...
void add_decomp_ops(std::vector<OpInfo>& db);     // opinfo_decomp*.cc
void add_conv_ops(std::vector<OpInfo>& db);
void add_nn_ops(std::vector<OpInfo>& db);
void add_resample_ops(
    std::vector<OpInfo>& db);  // pixel_shuffle, interpolate, grid_sample...
void add_misc_ops(std::vector<OpInfo>& db);
void add_inplace_ops(std::vector<OpInfo>& db);
void add_custom_ops(std::vector<OpInfo>& db);
void add_control_ops(std::vector<OpInfo>& db);
void add_math_ops(std::vector<OpInfo>& db);  // opinfo_math.cc

// The samples of an elementwise unary op: shapes 2-d and 3-d, transposed,
// strided and expanded views, zero-size and 0-d, and (when `special` is not
// empty) one "nondiff-point" sample of exact special values.
std::vector<SampleInput> elementwise_unary_samples(
    DType dtype, Generator& gen, Domain domain,
    const std::vector<double>& special);

}  // namespace fnx::opinfo
