// fnx::str_cat: concatenates strings, string_views and numbers. (Debian's
// abseil is built without std::string_view support in absl::StrCat, and
// messages name ops by std::string_view.)
#pragma once

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>

namespace fnx {
namespace internal {

template <typename T>
void append_part(std::string& out, const T& v) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    out += std::string_view(v);
  } else if constexpr (std::same_as<T, bool>) {
    out += v ? "true" : "false";
  } else if constexpr (std::same_as<T, char>) {
    out += v;
  } else if constexpr (std::is_enum_v<T>) {
    append_part(out, static_cast<std::underlying_type_t<T>>(v));
  } else {
    static_assert(std::is_arithmetic_v<T>, "str_cat: unsupported type");
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, end);
  }
}

}  // namespace internal

template <typename... Parts>
std::string str_cat(const Parts&... parts) {
  std::string out;
  (internal::append_part(out, parts), ...);
  return out;
}

}  // namespace fnx
