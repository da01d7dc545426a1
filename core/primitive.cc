#include "core/primitive.h"

#include <array>

namespace fnx {
namespace {

// "LogicalNot" -> "logical_not", at compile time.
struct SnakeName {
  char text[32] = {};
  std::size_t size = 0;
  constexpr explicit SnakeName(std::string_view camel) {
    for (std::size_t i = 0; i < camel.size(); ++i) {
      const char c = camel[i];
      if (c >= 'A' && c <= 'Z') {
        if (i > 0) text[size++] = '_';
        text[size++] = static_cast<char>(c - 'A' + 'a');
      } else {
        text[size++] = c;
      }
    }
  }
};

constexpr std::array<SnakeName, kNumPrims> kNames = {
#define FNX_PRIM_NAME(name, family, arity) SnakeName(#name),
    FNX_PRIMITIVES(FNX_PRIM_NAME)
#undef FNX_PRIM_NAME
};

const std::array<PrimInfo, kNumPrims> kInfos = [] {
  std::array<PrimInfo, kNumPrims> infos{};
  int i = 0;
#define FNX_PRIM_INFO(name, family, arity)                                \
  infos[i] = {std::string_view(kNames[i].text, kNames[i].size),            \
              PrimFamily::family, arity};                                  \
  ++i;
  FNX_PRIMITIVES(FNX_PRIM_INFO)
#undef FNX_PRIM_INFO
  return infos;
}();

}  // namespace

const PrimInfo& prim_info(Prim prim) { return kInfos[static_cast<int>(prim)]; }

}  // namespace fnx
