// Loading plugins built as shared objects: one registry per process, and a
// clear status for every way loading can go wrong.
#include "core/plugin.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "core/registry.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

const std::string kDir = "tests/plugin/";

bool has_plugin(const std::string& name) {
  for (const auto& p : Registry::get().plugins()) {
    if (p.name == name) return true;
  }
  return false;
}

TEST(Plugin, LoadsAndRegistersIntoTheProgramsRegistry) {
  const std::string path = kDir + "libfnx_test_plugin.so";
  ASSERT_TRUE(load_plugin(path).ok()) << load_plugin(path).message();
  const int table = Registry::get().table_id("test_table");
  EXPECT_NE(Registry::get().rule(table, Prim::Add), nullptr);
  EXPECT_EQ(Registry::get().rule(table, Prim::Mul), nullptr);
  EXPECT_NE(Registry::get().transform("test_transform"), nullptr);
  EXPECT_TRUE(has_plugin("test_plugin"));

  // Exactly one registry: the plugin sees the program's.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(handle, nullptr);
  using AddressFn = void* (*)();
  auto address =
      reinterpret_cast<AddressFn>(dlsym(handle, "fnx_test_registry_address"));
  ASSERT_NE(address, nullptr);
  EXPECT_EQ(address(), &Registry::get());
  dlclose(handle);

  // Loading the same path again is a no-op, not a duplicate.
  EXPECT_TRUE(load_plugin(path).ok());
}

TEST(Plugin, MissingFile) {
  absl::Status s = load_plugin(kDir + "libdoes_not_exist.so");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(s.message()).find("no plugin file"), std::string::npos);
}

TEST(Plugin, NotAPlugin) {
  absl::Status s = load_plugin(kDir + "libnot_a_plugin.so");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("fnx_plugin_abi_version"),
            std::string::npos)
      << s.message();
}

TEST(Plugin, NotASharedObject) {
  absl::Status s = load_plugin(kDir + "plugin_test.cc");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("not an ELF file"), std::string::npos)
      << s.message();
}

// Broken copies of a real plugin, written to the test's temp dir: dlopen
// would fault on them (SIGBUS past a truncated file's end, SIGSEGV on wild
// program headers); the ELF checks refuse them first.
std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f),
                     std::istreambuf_iterator<char>());
}

std::string write_temp(const std::string& name, const std::string& bytes) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

TEST(Plugin, TruncatedSharedObjectIsAStatus) {
  const std::string whole = read_bytes(kDir + "libfnx_test_plugin.so");
  ASSERT_GT(whole.size(), 4096u);
  for (std::size_t keep : {std::size_t{10}, std::size_t{100}, whole.size() / 2,
                           whole.size() - 1}) {
    SCOPED_TRACE(keep);
    const absl::Status s = load_plugin(write_temp(
        "truncated_" + std::to_string(keep) + ".so", whole.substr(0, keep)));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s.message();
    EXPECT_NE(std::string(s.message()).find("not a loadable plugin"),
              std::string::npos)
        << s.message();
  }
}

TEST(Plugin, CorruptProgramHeadersAreAStatus) {
  std::string bytes = read_bytes(kDir + "libfnx_test_plugin.so");
  ASSERT_GT(bytes.size(), 64u);
  // e_phoff (offset 32) far past the end of the file.
  std::string wild = bytes;
  const uint64_t far = uint64_t{1} << 40;
  std::memcpy(wild.data() + 32, &far, sizeof(far));
  absl::Status s = load_plugin(write_temp("wild_phoff.so", wild));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s.message();
  EXPECT_NE(std::string(s.message()).find("program headers"), std::string::npos)
      << s.message();
  // e_phentsize (offset 54) wrong.
  std::string entsize = bytes;
  entsize[54] = 7;
  s = load_plugin(write_temp("bad_phentsize.so", entsize));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s.message();
  // An executable or another class is refused too.
  std::string not_dyn = bytes;
  not_dyn[16] = 2;  // e_type = ET_EXEC
  s = load_plugin(write_temp("exec.so", not_dyn));
  EXPECT_NE(std::string(s.message()).find("not a shared object"),
            std::string::npos)
      << s.message();
}

TEST(Plugin, AbiMismatch) {
  absl::Status s = load_plugin(kDir + "libold_abi_plugin.so");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(s.message()).find("ABI version 999"), std::string::npos)
      << s.message();
  // Nothing from it was registered.
  EXPECT_EQ(Registry::get().rule(Registry::get().table_id("old_abi_table"),
                                 Prim::Add),
            nullptr);
  EXPECT_FALSE(has_plugin("old_abi_plugin"));
}

TEST(Plugin, DuplicateRegistrationRegistersNothing) {
  const Kernel before = Registry::get().kernel(DeviceType::CPU, Prim::Add);
  ASSERT_NE(before, nullptr) << "the CPU backend should be linked";
  absl::Status s = load_plugin(kDir + "libduplicate_plugin.so");
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(std::string(s.message()).find("cpu kernel for add"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(Registry::get().kernel(DeviceType::CPU, Prim::Add), before);
  EXPECT_EQ(Registry::get().rule(Registry::get().table_id("duplicate_table"),
                                 Prim::Mul),
            nullptr);
}

TEST(Plugin, EnvironmentVariableListsPlugins) {
  setenv("FNX_PLUGINS",
         (kDir + "libfnx_test_plugin.so:" + kDir + "libmissing.so").c_str(), 1);
  absl::Status s = load_plugins_from_env();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);  // the first error
  EXPECT_TRUE(has_plugin("test_plugin"));
  unsetenv("FNX_PLUGINS");
}

TEST(Plugin, StaticPluginsAreRecorded) {
  bool cpu = false;
  for (const auto& p : Registry::get().plugins()) {
    if (p.name == "cpu") {
      cpu = true;
      EXPECT_TRUE(p.path.empty());
      EXPECT_GE(p.entries, kNumPrims);
    }
  }
  EXPECT_TRUE(cpu);
}

}  // namespace
}  // namespace fnx
