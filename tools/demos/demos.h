// The demos of `fnx demo [name]`: seed, dpsgd, ensemble, maml,
// charlm, charlm-lstm.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace fnx::demos {

struct Demo {
  std::string_view name;
  std::string_view summary;
  // Runs the demo in its full configuration; returns an exit code.
  int (*run)(const std::string& argv0, std::ostream& out);
  // Whether `fnx demo` (all demos) runs it; the minute-long training demos
  // run only when named, so the quick start and the smoke test stay short.
  bool in_all = true;
};

// All demos, in the order `fnx demo` runs them.
const std::vector<Demo>& all_demos();

}  // namespace fnx::demos
