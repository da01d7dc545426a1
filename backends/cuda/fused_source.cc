#include "backends/cuda/fused_source.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include "backends/cuda/fused_args.h"
#include "backends/cuda/fused_ops.h"
#include "core/error.h"

namespace fnx::cuda {
namespace {

// The scalar_ops.h functor of a unary or binary primitive; null for others.
const char* functor_of(Prim prim) {
  switch (prim) {
#define FNX_FUSED_NAME(name) \
  case Prim::name:           \
    return "fnx::scalar::" #name "Op{}";
    FNX_CUDA_FUSED_UNARY_OPS(FNX_FUSED_NAME)
    FNX_CUDA_FUSED_BINARY_OPS(FNX_FUSED_NAME)
#undef FNX_FUSED_NAME
    default:
      return nullptr;
  }
}

std::string reg(int32_t r) { return absl::StrCat("r", r); }

}  // namespace

const char* fused_type_name(DType dtype) {
  switch (dtype) {
    case DType::Bool:
      return "bool";
    case DType::Int32:
      return "int32_t";
    case DType::Int64:
      return "int64_t";
    case DType::Float32:
      return "float";
    case DType::Float64:
      return "double";
  }
  fail("fused_elementwise", "no CUDA type for dtype ", static_cast<int>(dtype));
}

std::string fused_kernel_source(const FusedProgram& program, int ndim) {
  FNX_CHECK(ndim >= 0 && ndim <= kFusedMaxDims, "fused_elementwise",
            "a fused kernel iterates over 0 to ", kFusedMaxDims, " dims; got ",
            ndim);
  int32_t n_inputs = 0;
  for (const FusedInstr& ins : program.instrs) {
    if (ins.kind == FusedInstr::Kind::kInput) {
      n_inputs = std::max(n_inputs, ins.a + 1);
    }
  }
  std::string s = absl::StrCat(
      "#include \"backends/cuda/fused_args.h\"\n"
      "#include \"backends/common/scalar_ops.h\"\n"
      "extern \"C\" __global__ void __launch_bounds__(",
      kFusedThreads, ") ", kFusedKernelName,
      "(const fnx::cuda::FusedArgs args) {\n"
      "  const int64_t step = static_cast<int64_t>(gridDim.x) * "
      "blockDim.x;\n"
      "  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + "
      "threadIdx.x; i < args.numel; i += step) {\n");
  // Each input's byte offset, the index split innermost dim first.
  for (int32_t k = 0; k < n_inputs; ++k) {
    absl::StrAppend(&s, "    int64_t o", k, " = 0;\n");
  }
  if (ndim > 0) absl::StrAppend(&s, "    int64_t rest = i;\n");
  for (int d = ndim - 1; d >= 0; --d) {
    absl::StrAppend(&s, "    {\n      const int64_t x = rest % args.sizes[", d,
                    "];\n      rest /= args.sizes[", d, "];\n");
    for (int32_t k = 0; k < n_inputs; ++k) {
      absl::StrAppend(&s, "      o", k, " += x * args.in_strides[", k, "][", d,
                      "];\n");
    }
    absl::StrAppend(&s, "    }\n");
  }
  for (std::size_t r = 0; r < program.instrs.size(); ++r) {
    const FusedInstr& ins = program.instrs[r];
    const char* type = fused_type_name(ins.dtype);
    std::string value;
    switch (ins.kind) {
      case FusedInstr::Kind::kInput:
        value = absl::StrCat("*reinterpret_cast<const ", type,
                             "*>(args.in_ptrs[", ins.a, "] + o", ins.a, ")");
        break;
      case FusedInstr::Kind::kUnary:
      case FusedInstr::Kind::kBinary: {
        const char* f = functor_of(ins.prim);
        FNX_CHECK(f != nullptr, "fused_elementwise", "instruction ", r,
                  " applies ", prim_name(ins.prim),
                  ", which no CUDA fused kernel computes");
        value = ins.kind == FusedInstr::Kind::kUnary
                    ? absl::StrCat(f, "(", reg(ins.a), ")")
                    : absl::StrCat(f, "(", reg(ins.a), ", ", reg(ins.b), ")");
        break;
      }
      case FusedInstr::Kind::kWhere:
        value = absl::StrCat(reg(ins.a), " ? ", reg(ins.b), " : ", reg(ins.c));
        break;
      case FusedInstr::Kind::kCast:
        value =
            absl::StrCat("fnx::scalar::convert<", type, ">(", reg(ins.a), ")");
        break;
    }
    absl::StrAppend(&s, "    const ", type, " ", reg(static_cast<int32_t>(r)),
                    " = ", value, ";\n");
  }
  for (std::size_t k = 0; k < program.outputs.size(); ++k) {
    const int32_t r = program.outputs[k];
    absl::StrAppend(&s, "    reinterpret_cast<",
                    fused_type_name(program.instrs[r].dtype),
                    "*>(args.out_ptrs[", k, "])[i] = ", reg(r), ";\n");
  }
  absl::StrAppend(&s, "  }\n}\n");
  return s;
}

}  // namespace fnx::cuda
