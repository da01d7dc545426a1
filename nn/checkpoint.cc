#include "nn/checkpoint.h"

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <utility>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "core/shape.h"
#include "core/str_cat.h"
#include "nn/checkpoint.pb.h"

namespace fnx::nn {
namespace {

static_assert(std::endian::native == std::endian::little,
              "checkpoint data is written as little-endian memory");

absl::Status invalid(std::string_view what) {
  return absl::InvalidArgumentError(str_cat("[nn.checkpoint] ", what));
}

absl::Status add_tensor(proto::Checkpoint& ckpt, const std::string& name,
                        const Tensor& t, bool is_buffer) {
  if (!t.defined()) return invalid(str_cat("\"", name, "\" is undefined"));
  Tensor dense;
  try {
    dense = clone(t.concrete("nn.save"));
  } catch (const Error& e) {
    return invalid(str_cat("\"", name, "\": ", e.what()));
  }
  proto::TensorEntry* entry = ckpt.add_tensors();
  entry->set_name(name);
  entry->set_dtype(std::string(dtype_name(dense.dtype())));
  for (int64_t d : dense.shape()) entry->add_shape(d);
  entry->set_data(static_cast<const char*>(dense.raw_data()),
                  static_cast<std::size_t>(dense.numel()) *
                      itemsize(dense.dtype()));
  entry->set_is_buffer(is_buffer);
  return absl::OkStatus();
}

absl::StatusOr<std::string> encode(const proto::Checkpoint& ckpt) {
  std::string out;
  if (!ckpt.SerializeToString(&out)) return invalid("serialization failed");
  return out;
}

bool parse_dtype(std::string_view name, DType& out) {
  for (int i = 0; i < kNumDTypes; ++i) {
    if (dtype_name(static_cast<DType>(i)) == name) {
      out = static_cast<DType>(i);
      return true;
    }
  }
  return false;
}

absl::Status write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return absl::UnavailableError(str_cat("[nn.save] cannot open ", path));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.close();
  if (!f) return absl::DataLossError(str_cat("[nn.save] cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> serialize_checkpoint(const Module& module) {
  proto::Checkpoint ckpt;
  ckpt.set_format_version(kCheckpointFormatVersion);
  ckpt.set_module_type(module.type_name());
  for (const auto& [name, m] : const_cast<Module&>(module).named_modules()) {
    ckpt.add_module_structure(str_cat(name, ":", m->type_name()));
  }
  for (const auto& [k, t] : module.state_dict()) {
    absl::Status s = add_tensor(ckpt, k, t, !module.is_parameter(k));
    if (!s.ok()) return s;
  }
  return encode(ckpt);
}

absl::StatusOr<std::string> serialize_checkpoint(const ParamDict& state) {
  proto::Checkpoint ckpt;
  ckpt.set_format_version(kCheckpointFormatVersion);
  for (const auto& [k, t] : state) {
    absl::Status s = add_tensor(ckpt, k, t, false);
    if (!s.ok()) return s;
  }
  return encode(ckpt);
}

absl::StatusOr<ParamDict> parse_checkpoint(std::string_view bytes) {
  proto::Checkpoint ckpt;
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      !ckpt.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid("not a checkpoint (corrupt or truncated protobuf)");
  }
  if (ckpt.format_version() != kCheckpointFormatVersion) {
    return invalid(str_cat("format version ", ckpt.format_version(),
                           ", expected ", kCheckpointFormatVersion));
  }
  ParamDict out;
  for (const proto::TensorEntry& e : ckpt.tensors()) {
    if (e.name().empty()) return invalid("a tensor has an empty name");
    if (out.contains(e.name())) {
      return invalid(str_cat("tensor \"", e.name(), "\" appears twice"));
    }
    DType dtype;
    if (!parse_dtype(e.dtype(), dtype)) {
      return invalid(str_cat("tensor \"", e.name(), "\" has unknown dtype \"",
                             e.dtype(), "\""));
    }
    if (e.shape_size() > kMaxRank) {
      return invalid(str_cat("tensor \"", e.name(), "\" has ", e.shape_size(),
                             " dims; fnx supports at most ", kMaxRank));
    }
    Shape shape;
    uint64_t numel = 1;
    constexpr uint64_t kMaxBytes = uint64_t{1} << 40;
    for (int64_t d : e.shape()) {
      if (d < 0) {
        return invalid(str_cat("tensor \"", e.name(), "\" has a negative dim"));
      }
      shape.push_back(d);
      if (d != 0 && numel > kMaxBytes / static_cast<uint64_t>(d)) {
        return invalid(str_cat("tensor \"", e.name(), "\" is too large"));
      }
      numel *= static_cast<uint64_t>(d);
    }
    // A shape with no elements may still be too large to lay out (its
    // strides overflow): the same check every tensor passes.
    try {
      check_shape(shape, "nn.load", itemsize(dtype));
    } catch (const Error& error) {
      return invalid(str_cat("tensor \"", e.name(), "\": ", error.what()));
    }
    const uint64_t nbytes = numel * itemsize(dtype);
    if (nbytes != e.data().size()) {
      return invalid(str_cat("tensor \"", e.name(), "\" ", shape_str(shape),
                             " ", dtype_name(dtype), " needs ", nbytes,
                             " bytes of data, the file has ",
                             e.data().size()));
    }
    Tensor t = empty(shape, dtype);
    if (nbytes > 0) std::memcpy(t.raw_data(), e.data().data(), nbytes);
    if (dtype == DType::Bool) {
      for (unsigned char c : e.data()) {
        if (c > 1) {
          return invalid(str_cat("tensor \"", e.name(),
                                 "\" has a bool that is not 0 or 1"));
        }
      }
    }
    out.insert_or_assign(e.name(), std::move(t));
  }
  return out;
}

absl::Status save(const Module& module, const std::string& path) {
  absl::StatusOr<std::string> bytes = serialize_checkpoint(module);
  if (!bytes.ok()) return bytes.status();
  return write_file(path, *bytes);
}

absl::Status save(const ParamDict& state, const std::string& path) {
  absl::StatusOr<std::string> bytes = serialize_checkpoint(state);
  if (!bytes.ok()) return bytes.status();
  return write_file(path, *bytes);
}

absl::StatusOr<ParamDict> load(const std::string& path) {
  // What the file is and how big, before reading any of it: a directory, a
  // device (/dev/zero never ends) or a file too big to be a checkpoint is
  // reported as such.
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    return absl::NotFoundError(str_cat("[nn.load] no file at ", path));
  }
  if (std::filesystem::is_directory(st)) {
    return absl::InvalidArgumentError(
        str_cat("[nn.load] ", path, " is a directory, not a checkpoint file"));
  }
  if (!std::filesystem::is_regular_file(st)) {
    return absl::InvalidArgumentError(str_cat(
        "[nn.load] ", path,
        " is not a regular file (a device or a pipe), not a checkpoint"));
  }
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        str_cat("[nn.load] cannot read the size of ", path));
  }
  if (size == 0) {
    return absl::InvalidArgumentError(
        str_cat("[nn.load] ", path, " is empty, not a checkpoint"));
  }
  // Protobuf messages are at most 2 GiB.
  constexpr uintmax_t kMaxSize = std::numeric_limits<int>::max();
  if (size > kMaxSize) {
    return absl::InvalidArgumentError(str_cat(
        "[nn.load] ", path, " is ", size,
        " bytes; a checkpoint is at most 2 GiB, so this is not one"));
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError(str_cat("[nn.load] cannot open ", path));
  std::string bytes(static_cast<std::size_t>(size), '\0');
  f.read(bytes.data(), static_cast<std::streamsize>(size));
  if (static_cast<uintmax_t>(f.gcount()) != size) {
    return absl::InvalidArgumentError(
        str_cat("[nn.load] ", path, " changed size while it was read"));
  }
  return parse_checkpoint(bytes);
}

absl::Status load_into(Module& module, const std::string& path, bool strict) {
  absl::StatusOr<ParamDict> state = load(path);
  if (!state.ok()) return state.status();
  try {
    module.load_state_dict(*state, strict);
  } catch (const Error& e) {
    return absl::InvalidArgumentError(e.what());
  }
  return absl::OkStatus();
}

}  // namespace fnx::nn
