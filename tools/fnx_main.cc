// The `fnx` command line tool:
//   fnx info [--plugin path.so]...   plugins, backends, rule coverage
//   fnx demo [NAME]                  the demos (tools/demos/), all or one
//   fnx demo dpsgd --ranks N         DP-SGD across N processes (mpirun)
//   fnx help                         usage
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/error.h"
#include "core/plugin.h"
#include "core/primitive.h"
#include "core/registry.h"
#include "core/tensor.h"
#include "tools/demos/demo_util.h"
#include "tools/demos/demos.h"
#include "tools/demos/ranks_launch.h"

namespace fnx {
namespace {

constexpr char kUsage[] =
    "usage: fnx <command> [options]\n"
    "\n"
    "commands:\n"
    "  info [--plugin PATH.so]...  list loaded plugins, backends and which\n"
    "                              primitives have a kernel or rule in each\n"
    "                              table (loads the given plugins first)\n"
    "  demo [NAME]                 run the demos in order (the charlm ones\n"
    "                              only by name), or the one named:\n"
    "                                seed      the seed talk's examples\n"
    "                                dpsgd     DP-SGD on the UCI digits\n"
    "  demo dpsgd --ranks N [--epochs E]\n"
    "                              DP-SGD across N processes: runs the dist\n"
    "                              demo under mpirun (the command is printed)\n"
    "                                ensemble  10 MLPs trained at once\n"
    "                                maml      MAML on sine waves\n"
    "                                charlm    DP-SGD char-level transformer\n"
    "                                          LM on the GPL-3 text\n"
    "                                charlm-lstm  the same with an LSTM\n"
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

  const std::vector<KernelReplacement> replaced =
      registry.kernel_replacements();
  if (!replaced.empty()) {
    std::cout << "\nReplaced kernels:\n";
    for (const KernelReplacement& r : replaced) {
      std::cout << "  " << device_type_name(r.device) << " "
                << prim_name(r.prim) << ": plugin '" << r.owner << "'"
                << (r.replaced.empty() ? std::string(" (none before)")
                                       : " replaces '" + r.replaced + "'")
                << "\n";
    }
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
    // Wide enough for the total row, "n/kNumPrims".
    const std::size_t total = 2 * std::to_string(kNumPrims).size() + 1;
    widths.push_back(std::max(c.size(), total) + 2);
  }

  std::cout << "\nCoverage (x = registered, - = missing, body = a "
               "higher-order primitive runs its body):\n";
  std::string header = pad("primitive", prim_width);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    header += pad(columns[c], widths[c]);
  }
  header = rstrip(header);
  std::cout << header << "\n" << std::string(header.size(), '-') << "\n";
  for (int i = 0; i < kNumPrims; ++i) {
    const Prim prim = prim_at(i);
    // A higher-order primitive (custom_call) runs its body on any device:
    // its kernel columns say "body".
    const bool body = is_higher_order(prim);
    std::vector<bool> has = {
        body || registry.kernel(DeviceType::CPU, prim) != nullptr,
        body || registry.kernel(DeviceType::CUDA, prim) != nullptr};
    for (int id : table_ids) has.push_back(registry.rule(id, prim) != nullptr);
    std::string row = pad(prim_name(prim), prim_width);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      row += pad(!has[c] ? "-" : (body && c < 2) ? "body" : "x", widths[c]);
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

// A positive count after `flag` in args[from..], or `fallback` when the
// flag is absent; -1 when its value is missing or not a positive number.
int count_flag(const std::vector<std::string>& args, std::size_t from,
               std::string_view flag, int fallback) {
  for (std::size_t i = from; i < args.size(); ++i) {
    if (args[i] != flag) continue;
    if (i + 1 >= args.size()) return -1;
    const int value = std::atoi(args[i + 1].c_str());
    return value > 0 && std::to_string(value) == args[i + 1] ? value : -1;
  }
  return fallback;
}

// `fnx demo dpsgd --ranks N [--epochs E]`: the demo across N processes
// under mpirun (tools/demos/ranks_launch.h).
int run_dpsgd_ranks(const std::string& argv0,
                    const std::vector<std::string>& args) {
  for (std::size_t i = 1; i < args.size(); i += 2) {
    if (args[i] != "--ranks" && args[i] != "--epochs") {
      std::cerr << "fnx demo dpsgd: unknown option '" << args[i]
                << "'; usage: fnx demo dpsgd --ranks N [--epochs E]\n";
      return 2;
    }
  }
  const int ranks = count_flag(args, 1, "--ranks", -1);
  const int epochs = count_flag(args, 1, "--epochs", 2);
  if (ranks < 0 || epochs < 0) {
    std::cerr << "fnx demo dpsgd: --ranks and --epochs take a positive "
                 "number; usage: fnx demo dpsgd --ranks N [--epochs E]\n";
    return 2;
  }
  return demos::launch_dpsgd_ranks(argv0, ranks, epochs);
}

// `fnx demo`: every demo in order; `fnx demo NAME`: that one.
int run_demo(const std::string& argv0, const std::vector<std::string>& args) {
  const std::vector<demos::Demo>& all = demos::all_demos();
  if (args.size() > 1 && args[0] == "dpsgd") {
    return run_dpsgd_ranks(argv0, args);
  }
  if (args.size() > 1) {
    std::cerr << "fnx demo: takes at most one demo name\n";
    return 2;
  }
  if (args.empty()) {
    demos::Stopwatch watch;
    for (const demos::Demo& demo : all) {
      if (!demo.in_all) continue;
      const int rc = demo.run(argv0, std::cout);
      if (rc != 0) return rc;
      std::cout << "\n";
    }
    std::cout << "all demos done in " << demos::format_seconds(watch.seconds())
              << "\n";
    return 0;
  }
  for (const demos::Demo& demo : all) {
    if (demo.name == args[0]) return demo.run(argv0, std::cout);
  }
  std::cerr << "fnx demo: no demo named '" << args[0] << "'; demos:\n";
  for (const demos::Demo& demo : all) {
    std::cerr << "  " << pad(demo.name, 13) << demo.summary << "\n";
  }
  return 2;
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
  if (command == "demo") return run_demo(argv[0], args);
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
