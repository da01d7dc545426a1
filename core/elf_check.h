// Checks that a file is a complete shared object for this machine before
// dlopen maps it: a truncated file (half copied) makes the loader fault on
// pages past its end (SIGBUS), and corrupt program headers make it read
// wild addresses (SIGSEGV). load_plugin runs this first, so the common
// broken files are an absl::Status instead of a crash.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/status.h"

namespace fnx {

// The ELF header, program headers and section header table of `bytes` (the
// whole file): this machine's class, byte order and architecture, a shared
// object, every table and every loaded segment inside the file.
absl::Status check_elf_image(std::span<const uint8_t> bytes,
                             const std::string& path);
// The same for a file on disk (read whole; plugins are small).
absl::Status check_elf_file(const std::string& path);

}  // namespace fnx
