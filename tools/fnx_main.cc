// The `fnx` command line tool:
//   fnx info [--plugin path.so]...   plugins, backends, rule coverage
//   fnx demo                         the seed talk's plain examples
//   fnx help                         usage
#include <algorithm>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/error.h"
#include "core/generator.h"
#include "core/ops/ops.h"
#include "core/plugin.h"
#include "core/primitive.h"
#include "core/registry.h"
#include "core/tensor.h"

namespace fnx {
namespace {

constexpr char kUsage[] =
    "usage: fnx <command> [options]\n"
    "\n"
    "commands:\n"
    "  info [--plugin PATH.so]...  list loaded plugins, backends and which\n"
    "                              primitives have a kernel or rule in each\n"
    "                              table (loads the given plugins first)\n"
    "  demo                        run the plain-tensor examples\n"
    "  help                        print this message\n"
    "\n"
    "FNX_PLUGINS=a.so:b.so loads plugins at start-up.\n";

// Pads `s` with spaces to `width` characters.
std::string pad(std::string_view s, std::size_t width) {
  std::string out(s);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

// `s` without trailing spaces (table rows are padded cell by cell).
std::string rstrip(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// The rule tables to show: the four every transform release fills, then
// any other table a plugin created.
std::vector<std::string> coverage_tables(Registry& registry) {
  std::vector<std::string> tables = {"batching", "vjp", "jvp", "functionalize"};
  for (const std::string& name : registry.table_names()) {
    bool known = false;
    for (const std::string& t : tables) known = known || t == name;
    if (!known) tables.push_back(name);
  }
  return tables;
}

int run_info(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] != "--plugin") {
      std::cerr << "fnx info: unknown option '" << args[i] << "'\n\n" << kUsage;
      return 2;
    }
    if (i + 1 == args.size()) {
      std::cerr << "fnx info: --plugin needs a path to a shared object\n";
      return 2;
    }
    const std::string& path = args[++i];
    absl::Status status = load_plugin(path);
    if (!status.ok()) {
      std::cerr << "fnx info: could not load plugin '" << path
                << "': " << status.ToString() << "\n";
      return 1;
    }
  }

  Registry& registry = Registry::get();

  const std::vector<PluginRecord> plugins = registry.plugins();
  std::cout << "Plugins (" << plugins.size() << "):\n";
  if (plugins.empty()) std::cout << "  (none)\n";
  std::size_t name_width = 6;
  for (const PluginRecord& p : plugins) {
    name_width = std::max(name_width, p.name.size() + 2);
  }
  for (const PluginRecord& p : plugins) {
    std::cout << "  " << pad(p.name, name_width)
              << pad(p.path.empty() ? "static" : p.path, 8) << "  " << p.entries
              << (p.entries == 1 ? " entry" : " entries") << "\n";
  }

  const auto backends = registry.backends();
  std::cout << "\nBackends (" << backends.size() << "):\n";
  if (backends.empty()) std::cout << "  (none)\n";
  for (const auto& [device, description] : backends) {
    std::cout << "  " << pad(device_type_name(device), 6) << description
              << "\n";
  }

  // Coverage: one row per primitive, one column per kernel table and rule
  // table.
  const std::vector<std::string> tables = coverage_tables(registry);
  std::vector<int> table_ids;
  for (const std::string& t : tables) {
    table_ids.push_back(registry.table_id(t));
  }
  std::vector<std::string> columns = {"cpu", "cuda"};
  columns.insert(columns.end(), tables.begin(), tables.end());
  std::vector<int> totals(columns.size(), 0);

  std::size_t prim_width = 10;
  for (int i = 0; i < kNumPrims; ++i) {
    prim_width = std::max(prim_width, prim_name(prim_at(i)).size() + 2);
  }
  std::vector<std::size_t> widths;
  for (const std::string& c : columns) {
    widths.push_back(std::max<std::size_t>(c.size(), 5) + 2);
  }

  std::cout << "\nCoverage (x = registered, - = missing):\n";
  std::string header = pad("primitive", prim_width);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    header += pad(columns[c], widths[c]);
  }
  header = rstrip(header);
  std::cout << header << "\n" << std::string(header.size(), '-') << "\n";
  for (int i = 0; i < kNumPrims; ++i) {
    const Prim prim = prim_at(i);
    std::vector<bool> has = {
        registry.kernel(DeviceType::CPU, prim) != nullptr,
        registry.kernel(DeviceType::CUDA, prim) != nullptr};
    for (int id : table_ids) has.push_back(registry.rule(id, prim) != nullptr);
    std::string row = pad(prim_name(prim), prim_width);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      row += pad(has[c] ? "x" : "-", widths[c]);
      totals[c] += has[c] ? 1 : 0;
    }
    std::cout << rstrip(row) << "\n";
  }
  std::cout << std::string(header.size(), '-') << "\n";
  std::string total_row = pad("total", prim_width);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    total_row += pad(
        std::to_string(totals[c]) + "/" + std::to_string(kNumPrims), widths[c]);
  }
  std::cout << rstrip(total_row) << "\n";
  return 0;
}

int run_demo() {
  Generator gen(42);
  std::cout << "# Two random vectors (seed 42)\n";
  Tensor x = randn({5}, DType::Float32, &gen);
  Tensor y = randn({5}, DType::Float32, &gen);
  std::cout << "x = " << x.str() << "\n";
  std::cout << "y = " << y.str() << "\n";
  std::cout << "dot(x, y) = " << dot(x, y).str() << "\n\n";

  std::cout << "# dot of two batches of vectors\n";
  Tensor xs = randn({2, 5}, DType::Float32, &gen);
  Tensor ys = randn({2, 5}, DType::Float32, &gen);
  try {
    Tensor d = dot(xs, ys);
    std::cout << "dot(xs, ys) = " << d.str() << " (unexpected: no error)\n";
  } catch (const Error& e) {
    std::cout << "dot(xs, ys) with xs, ys of shape [2, 5] throws fnx::Error:\n"
              << "  " << e.what() << "\n";
  }
  if (Registry::get().transform("vmap") != nullptr) {
    std::cout << "vmap(dot)(xs, ys) batches it into one call of shape [2] "
                 "(the vmap plugin is linked).\n\n";
  } else {
    std::cout << "vmap(dot)(xs, ys) will batch it into one call of shape [2] "
                 "once the vmap plugin (//transforms/vmap) is linked.\n\n";
  }

  std::cout << "# matmul\n";
  Tensor a = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = from_vector(std::vector<double>{1, 0, 0, 1, 1, 1}, {3, 2});
  std::cout << "a =\n" << a.str() << "\n";
  std::cout << "b =\n" << b.str() << "\n";
  std::cout << "matmul(a, b) =\n" << matmul(a, b).str() << "\n\n";

  std::cout << "# softmax\n";
  Tensor logits = from_vector(std::vector<double>{1, 2, 3});
  Tensor p = softmax(logits, 0);
  std::cout << "softmax(" << logits.str() << ", 0) = " << p.str() << "\n";
  std::cout << "sum = " << p.sum().item<float>() << "\n";
  return 0;
}

int run(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string_view command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "info") return run_info(args);
  if (command == "demo") {
    if (!args.empty()) {
      std::cerr << "fnx demo: takes no arguments\n";
      return 2;
    }
    return run_demo();
  }
  std::cerr << "fnx: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}

}  // namespace
}  // namespace fnx

int main(int argc, char** argv) {
  try {
    return fnx::run(argc, argv);
  } catch (const fnx::Error& e) {
    std::cerr << "fnx: " << e.what() << "\n";
    return 1;
  }
}
