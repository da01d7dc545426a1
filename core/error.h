// fnx::Error: every user mistake becomes one of these, with a message of the
// form "[op] what went wrong (shapes, dtypes, devices); what to do".
#pragma once

#include <exception>
#include <string>
#include <string_view>

#include "core/str_cat.h"

namespace fnx {

class Error : public std::exception {
 public:
  explicit Error(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// Throws Error("[op] " + str_cat(parts...)).
template <typename... Parts>
[[noreturn]] void fail(std::string_view op, const Parts&... parts) {
  throw Error(str_cat("[", op, "] ", parts...));
}

}  // namespace fnx

// FNX_CHECK(cond, op, message parts...): throws fnx::Error when cond is false.
#define FNX_CHECK(cond, op, ...)        \
  do {                                  \
    if (!(cond)) {                      \
      ::fnx::fail((op), __VA_ARGS__);   \
    }                                   \
  } while (0)
