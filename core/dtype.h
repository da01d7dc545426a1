// Element types, their sizes and the promotion lattice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fnx {

// Ordered by promotion rank: bool < int32 < int64 < float32 < float64.
enum class DType : uint8_t { Bool, Int32, Int64, Float32, Float64 };
inline constexpr int kNumDTypes = 5;

std::size_t itemsize(DType dtype);
std::string_view dtype_name(DType dtype);
bool is_floating(DType dtype);
bool is_integral(DType dtype);  // bool counts as integral

// The dtype two operands are computed in (torch's rules for tensors of the
// same category; integer with float gives the float).
DType promote_types(DType a, DType b);

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<bool>() { return DType::Bool; }
template <>
constexpr DType dtype_of<int32_t>() { return DType::Int32; }
template <>
constexpr DType dtype_of<int64_t>() { return DType::Int64; }
template <>
constexpr DType dtype_of<float>() { return DType::Float32; }
template <>
constexpr DType dtype_of<double>() { return DType::Float64; }

// Runs `body` with `scalar_t` bound to the C++ type of `dtype`.
#define FNX_DISPATCH_ALL_TYPES(dtype, ...)                     \
  [&] {                                                        \
    switch (dtype) {                                           \
      case ::fnx::DType::Bool: {                               \
        using scalar_t = bool;                                 \
        return __VA_ARGS__();                                  \
      }                                                        \
      case ::fnx::DType::Int32: {                              \
        using scalar_t = int32_t;                              \
        return __VA_ARGS__();                                  \
      }                                                        \
      case ::fnx::DType::Int64: {                              \
        using scalar_t = int64_t;                              \
        return __VA_ARGS__();                                  \
      }                                                        \
      case ::fnx::DType::Float32: {                            \
        using scalar_t = float;                                \
        return __VA_ARGS__();                                  \
      }                                                        \
      case ::fnx::DType::Float64:                              \
      default: {                                               \
        using scalar_t = double;                               \
        return __VA_ARGS__();                                  \
      }                                                        \
    }                                                          \
  }()

#define FNX_DISPATCH_FLOATING_TYPES(dtype, ...) \
  [&] {                                         \
    if ((dtype) == ::fnx::DType::Float32) {     \
      using scalar_t = float;                   \
      return __VA_ARGS__();                     \
    }                                           \
    using scalar_t = double;                    \
    return __VA_ARGS__();                       \
  }()

}  // namespace fnx
