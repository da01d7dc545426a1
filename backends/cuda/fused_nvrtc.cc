#include "backends/cuda/fused_nvrtc.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/error.h"

namespace fnx::cuda {

// The fnx headers NVRTC compiles (path, text), made by the
// fused_nvrtc_headers genrule from the files themselves.
const std::vector<std::pair<const char*, const char*>>&
fused_embedded_headers();

namespace {

// NVRTC's C API (nvrtc.h), declared here because the library is opened at
// run time: every function returns an nvrtcResult (0: success).
using Program = void*;
struct Api {
  int (*create)(Program*, const char*, const char*, int, const char* const*,
                const char* const*) = nullptr;
  int (*compile)(Program, int, const char* const*) = nullptr;
  int (*ptx_size)(Program, std::size_t*) = nullptr;
  int (*ptx)(Program, char*) = nullptr;
  int (*log_size)(Program, std::size_t*) = nullptr;
  int (*log)(Program, char*) = nullptr;
  int (*destroy)(Program*) = nullptr;
  const char* (*error_string)(int) = nullptr;
};

// The toolkits to look in: $FNX_CUDA_PATH, $CUDA_HOME, $CUDA_PATH, then
// /usr/local/cuda.
std::vector<std::string> cuda_roots() {
  std::vector<std::string> roots;
  for (const char* var : {"FNX_CUDA_PATH", "CUDA_HOME", "CUDA_PATH"}) {
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') {
      roots.emplace_back(v);
    }
  }
  roots.emplace_back("/usr/local/cuda");
  return roots;
}

struct Nvrtc {
  Api api;
  std::string cccl;  // include dir of CUDA's C++ standard library
  std::string missing;
};

template <typename F>
bool bind(void* lib, const char* name, F& fn) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  return fn != nullptr;
}

Nvrtc load() {
  Nvrtc n;
  void* lib = nullptr;
  std::vector<std::string> names = {"libnvrtc.so.13", "libnvrtc.so.12",
                                    "libnvrtc.so"};
  for (const std::string& root : cuda_roots()) {
    names.push_back(root + "/lib64/libnvrtc.so");
  }
  for (const std::string& name : names) {
    lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib != nullptr) break;
  }
  if (lib == nullptr) {
    n.missing =
        "libnvrtc.so was not found (set FNX_CUDA_PATH to the CUDA "
        "toolkit or add its lib64 to LD_LIBRARY_PATH)";
    return n;
  }
  Api& a = n.api;
  if (!bind(lib, "nvrtcCreateProgram", a.create) ||
      !bind(lib, "nvrtcCompileProgram", a.compile) ||
      !bind(lib, "nvrtcGetPTXSize", a.ptx_size) ||
      !bind(lib, "nvrtcGetPTX", a.ptx) ||
      !bind(lib, "nvrtcGetProgramLogSize", a.log_size) ||
      !bind(lib, "nvrtcGetProgramLog", a.log) ||
      !bind(lib, "nvrtcDestroyProgram", a.destroy) ||
      !bind(lib, "nvrtcGetErrorString", a.error_string)) {
    n.missing = "libnvrtc.so lacks the NVRTC API";
    return n;
  }
  // The toolkit's include/cccl, next to the library or in a known root.
  std::vector<std::string> roots;
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(a.create), &info) != 0 &&
      info.dli_fname != nullptr) {
    const auto dir = std::filesystem::path(info.dli_fname).parent_path();
    roots.push_back(dir.parent_path().string());
  }
  for (const std::string& r : cuda_roots()) roots.push_back(r);
  for (const std::string& r : roots) {
    const std::string dir = r + "/include/cccl";
    if (std::filesystem::exists(dir + "/cuda/std/cmath")) {
      n.cccl = dir;
      return n;
    }
  }
  n.missing =
      "CUDA's C++ standard headers (include/cccl/cuda/std) were not "
      "found in the toolkit";
  return n;
}

const Nvrtc& nvrtc() {
  static const Nvrtc n = load();
  return n;
}

// The standard headers scalar_ops.h includes, as libcu++'s, which NVRTC
// compiles: <cmath> is <cuda/std/cmath> with its names in std.
const std::vector<std::pair<std::string, std::string>>& std_shims() {
  static const auto* shims = [] {
    auto* v = new std::vector<std::pair<std::string, std::string>>;
    for (const char* h :
         {"cmath", "cstdint", "cstring", "limits", "type_traits"}) {
      v->emplace_back(h, absl::StrCat("#pragma once\n#include <cuda/std/", h,
                                      ">\nnamespace std { using namespace "
                                      "::cuda::std; }\n"));
    }
    // <cmath>'s macro, which libcu++ does not define.
    v->front().second +=
        "#include <cuda/std/limits>\n#ifndef HUGE_VAL\n#define HUGE_VAL "
        "(::cuda::std::numeric_limits<double>::infinity())\n#endif\n";
    return v;
  }();
  return *shims;
}

}  // namespace

bool nvrtc_available(std::string* why) {
  const Nvrtc& n = nvrtc();
  if (why != nullptr) *why = n.missing;
  return n.missing.empty();
}

std::string compile_to_ptx(std::string_view source, int major, int minor) {
  const Nvrtc& n = nvrtc();
  FNX_CHECK(n.missing.empty(), "fused_elementwise",
            "NVRTC is unavailable: ", n.missing);
  const Api& a = n.api;
  std::vector<const char*> names, texts;
  for (const auto& [name, text] : std_shims()) {
    names.push_back(name.c_str());
    texts.push_back(text.c_str());
  }
  for (const auto& [name, text] : fused_embedded_headers()) {
    names.push_back(name);
    texts.push_back(text);
  }
  const std::string src(source);
  Program prog = nullptr;
  int status =
      a.create(&prog, src.c_str(), "fnx_fused.cu",
               static_cast<int>(names.size()), texts.data(), names.data());
  FNX_CHECK(status == 0, "fused_elementwise",
            "nvrtcCreateProgram: ", a.error_string(status));
  const std::string arch = absl::StrCat("-arch=compute_", major, minor);
  const std::string include = "-I" + n.cccl;
  // No multiply-add contraction across the program's instructions: each
  // is rounded as the eager kernel that stores it rounds it.
  const char* options[] = {"--std=c++20", arch.c_str(), "-default-device",
                           "--fmad=false", include.c_str()};
  status = a.compile(prog, 5, options);
  std::string log;
  std::size_t size = 0;
  if (a.log_size(prog, &size) == 0 && size > 1) {
    log.resize(size);
    a.log(prog, log.data());
    log.resize(size - 1);
  }
  std::string ptx;
  if (status == 0 && a.ptx_size(prog, &size) == 0) {
    ptx.resize(size);
    status = a.ptx(prog, ptx.data());
  }
  a.destroy(&prog);
  FNX_CHECK(status == 0, "fused_elementwise",
            "NVRTC could not compile a fused kernel for compute_", major, minor,
            ": ", a.error_string(status), "\n", log, "\nsource:\n", src);
  return ptx;
}

}  // namespace fnx::cuda
