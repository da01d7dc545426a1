// Fuzz target: the checks load_plugin runs on a file before dlopen maps it
// (core/elf_check.h). Any bytes end in OK or an error Status; what passes
// has every header table and loaded segment inside the file.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/elf_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)fnx::check_elf_image(std::span<const uint8_t>(data, size), "fuzz");
  return 0;
}
