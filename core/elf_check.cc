#include "core/elf_check.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "core/str_cat.h"

namespace fnx {
namespace {

#if defined(__x86_64__)
constexpr uint16_t kMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kMachine = EM_AARCH64;
#else
constexpr uint16_t kMachine = EM_NONE;  // not checked
#endif

absl::Status bad(const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError(
      str_cat("[load_plugin] '", path, "' is not a loadable plugin: ", why));
}

// Whether [offset, offset + count * size) lies inside a file of `total`
// bytes, without overflow.
bool inside(uint64_t offset, uint64_t count, uint64_t size, uint64_t total) {
  if (offset > total) return false;
  if (size != 0 && count > (total - offset) / size) return false;
  return true;
}

}  // namespace

absl::Status check_elf_image(std::span<const uint8_t> bytes,
                             const std::string& path) {
  const uint64_t total = bytes.size();
  if (total < sizeof(Elf64_Ehdr)) {
    return bad(path,
               str_cat("the file is ", total,
                       " bytes, shorter than an ELF header (truncated?)"));
  }
  Elf64_Ehdr h;
  std::memcpy(&h, bytes.data(), sizeof(h));
  if (std::memcmp(h.e_ident, ELFMAG, SELFMAG) != 0) {
    return bad(path, "it is not an ELF file");
  }
  if (h.e_ident[EI_CLASS] != ELFCLASS64 || h.e_ident[EI_DATA] != ELFDATA2LSB) {
    return bad(path, "it is not a 64-bit little-endian ELF file");
  }
  if (kMachine != EM_NONE && h.e_machine != kMachine) {
    return bad(path, str_cat("it is built for another architecture (ELF "
                             "machine ",
                             h.e_machine, ")"));
  }
  if (h.e_type != ET_DYN) {
    return bad(path,
               "it is not a shared object (build it with "
               "linkshared = 1)");
  }
  if (h.e_phnum == 0 || h.e_phentsize != sizeof(Elf64_Phdr) ||
      !inside(h.e_phoff, h.e_phnum, sizeof(Elf64_Phdr), total)) {
    return bad(path,
               "its program headers are missing or lie outside the "
               "file (truncated or corrupt)");
  }
  if (h.e_shnum != 0 &&
      (h.e_shentsize != sizeof(Elf64_Shdr) ||
       !inside(h.e_shoff, h.e_shnum, sizeof(Elf64_Shdr), total))) {
    return bad(path,
               "its section headers lie outside the file (truncated "
               "or corrupt)");
  }
  bool loads = false;
  for (uint16_t i = 0; i < h.e_phnum; ++i) {
    Elf64_Phdr p;
    std::memcpy(&p, bytes.data() + h.e_phoff + uint64_t{i} * sizeof(p),
                sizeof(p));
    if (p.p_type != PT_LOAD && p.p_type != PT_DYNAMIC) continue;
    loads |= p.p_type == PT_LOAD;
    if (!inside(p.p_offset, 1, p.p_filesz, total) || p.p_filesz > p.p_memsz) {
      return bad(path, str_cat("segment ", i,
                               " lies past the end of the file (the file is ",
                               total, " bytes: truncated, e.g. half copied?)"));
    }
  }
  if (!loads) return bad(path, "it has no loadable segment");
  return absl::OkStatus();
}

absl::Status check_elf_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return bad(path, "it cannot be opened");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                                   std::istreambuf_iterator<char>());
  return check_elf_image(bytes, path);
}

}  // namespace fnx
