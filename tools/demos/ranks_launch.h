// `fnx demo dpsgd --ranks N [--epochs E]`: DP-SGD across N processes. The
// fnx tool does not link MPI, so it runs the dist demo binary
// (transforms/distributed/demo/dpsgd_ranks, in the tool's runfiles) under
// mpirun, printing the command first:
//   mpirun [--allow-run-as-root] --oversubscribe --mca btl self,vader
//     --mca btl_vader_single_copy_mechanism none -np N <demo> E
// (the flags of tests/distributed/mpirun_test.sh: shared memory without
// single-copy, which containers lack; root only when running as root).
// FNX_DPSGD_RANKS_DEMO names another demo binary.
#pragma once

#include <string>
#include <vector>

namespace fnx::demos {

// The demo binary for `argv0` (the fnx tool), or "" when none is found.
std::string find_dpsgd_ranks_demo(const std::string& argv0);

// The mpirun command line for `ranks` ranks of `demo`.
std::vector<std::string> mpirun_command(const std::string& demo, int ranks,
                                        int epochs);

// Prints the command and replaces this process with it; returns (with a
// message on stderr) only when that fails.
int launch_dpsgd_ranks(const std::string& argv0, int ranks, int epochs);

}  // namespace fnx::demos
