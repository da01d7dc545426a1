// Checkpoints: a module's state (or any ParamDict) saved to and loaded from
// a file in the protobuf format of nn/checkpoint.proto: per tensor its
// dotted name, dtype name, shape and raw little-endian row-major data, plus
// the module structure ("name:Type" per submodule). Corrupt, truncated or
// mismatched files are an absl::Status error, never a crash.
//
//   absl::Status s = nn::save(model, "/tmp/model.fnxckpt");
//   absl::StatusOr<ParamDict> state = nn::load("/tmp/model.fnxckpt");
//   if (state.ok()) model.load_state_dict(*state);
//   absl::Status t = nn::load_into(model, "/tmp/model.fnxckpt");  // strict
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/param_dict.h"
#include "nn/module.h"

namespace fnx::nn {

inline constexpr uint32_t kCheckpointFormatVersion = 1;

// The encoded bytes (what save writes). Tensors must be dense CPU tensors
// (or wrappers that concrete() resolves); otherwise an error.
absl::StatusOr<std::string> serialize_checkpoint(const Module& module);
absl::StatusOr<std::string> serialize_checkpoint(const ParamDict& state);
// Decodes and validates bytes: every entry's dtype, shape and data size,
// no repeated names, the format version.
absl::StatusOr<ParamDict> parse_checkpoint(std::string_view bytes);

absl::Status save(const Module& module, const std::string& path);
absl::Status save(const ParamDict& state, const std::string& path);
absl::StatusOr<ParamDict> load(const std::string& path);
// load + module.load_state_dict(state, strict), the latter's fnx::Error
// (missing / unexpected keys, shape mismatch) turned into a Status.
absl::Status load_into(Module& module, const std::string& path,
                       bool strict = true);

}  // namespace fnx::nn
