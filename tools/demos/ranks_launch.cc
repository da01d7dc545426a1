#include "tools/demos/ranks_launch.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace fnx::demos {
namespace {

constexpr char kDemo[] = "transforms/distributed/demo/dpsgd_ranks";

bool executable(const std::string& path) {
  return !path.empty() && access(path.c_str(), X_OK) == 0 &&
         std::filesystem::is_regular_file(path);
}

// The runfiles directory of the tool, where the demo finds the digits.
std::string runfiles_of(const std::string& argv0) {
  if (const char* dir = std::getenv("RUNFILES_DIR")) return dir;
  const std::string own = argv0 + ".runfiles";
  return std::filesystem::is_directory(own) ? own : "";
}

}  // namespace

std::string find_dpsgd_ranks_demo(const std::string& argv0) {
  std::vector<std::string> candidates;
  if (const char* named = std::getenv("FNX_DPSGD_RANKS_DEMO")) {
    candidates.push_back(named);
  }
  const std::string runfiles = runfiles_of(argv0);
  if (!runfiles.empty()) candidates.push_back(runfiles + "/fnx/" + kDemo);
  // bazel-bin/tools/fnx next to bazel-bin/transforms/...
  const std::filesystem::path here = std::filesystem::path(argv0).parent_path();
  candidates.push_back((here / ".." / kDemo).string());
  if (const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY")) {
    candidates.push_back(std::string(ws) + "/bazel-bin/" + kDemo);
  }
  for (const std::string& c : candidates) {
    if (executable(c)) return std::filesystem::absolute(c).string();
  }
  return "";
}

std::vector<std::string> mpirun_command(const std::string& demo, int ranks,
                                        int epochs) {
  std::vector<std::string> cmd = {"mpirun"};
  if (geteuid() == 0) cmd.push_back("--allow-run-as-root");
  for (const char* flag :
       {"--oversubscribe", "--mca", "btl", "self,vader", "--mca",
        "btl_vader_single_copy_mechanism", "none", "-x", "RUNFILES_DIR"}) {
    cmd.push_back(flag);
  }
  cmd.insert(cmd.end(),
             {"-np", std::to_string(ranks), demo, std::to_string(epochs)});
  return cmd;
}

int launch_dpsgd_ranks(const std::string& argv0, int ranks, int epochs) {
  const std::string demo = find_dpsgd_ranks_demo(argv0);
  if (demo.empty()) {
    std::cerr << "fnx demo dpsgd --ranks: the demo binary " << kDemo
              << " is not in this tool's runfiles or beside it; build it "
                 "(bazel build //transforms/distributed/demo:dpsgd_ranks) or "
                 "name it with FNX_DPSGD_RANKS_DEMO\n";
    return 1;
  }
  // The demo finds the digits in the tool's runfiles.
  const std::string runfiles = runfiles_of(argv0);
  if (!runfiles.empty()) setenv("RUNFILES_DIR", runfiles.c_str(), 1);
  const std::vector<std::string> cmd = mpirun_command(demo, ranks, epochs);
  std::string line;
  for (const std::string& part : cmd) line += (line.empty() ? "" : " ") + part;
  std::cout << "fnx demo dpsgd: " << line << std::endl;
  std::vector<char*> argv;
  for (const std::string& part : cmd)
    argv.push_back(const_cast<char*>(part.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  std::cerr << "fnx demo dpsgd --ranks: cannot run mpirun: "
            << std::strerror(errno)
            << " (install OpenMPI: tools/install_deps.sh)\n";
  return 1;
}

}  // namespace fnx::demos
