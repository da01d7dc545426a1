// Fuzz target: the checkpoint parser (nn::parse_checkpoint). Any bytes end
// in an error Status or a dict whose every tensor can be read, summed and
// printed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/ops/ops.h"
#include "google/protobuf/stubs/logging.h"
#include "nn/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // No log line per invalid UTF-8 name (a static object, not a leak).
  static google::protobuf::LogSilencer quiet;
  (void)quiet;
  const absl::StatusOr<fnx::ParamDict> r = fnx::nn::parse_checkpoint(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (!r.ok()) return 0;
  for (const auto& [name, t] : *r) {
    (void)t.str();
    (void)fnx::sum(
        t.to(t.dtype() == fnx::DType::Bool ? fnx::DType::Int64 : t.dtype()));
  }
  return 0;
}
