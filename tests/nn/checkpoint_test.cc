// Checkpoints: round trips of modules and of every dtype, load_into's
// strict checks as Status, and a bounded fuzz of the loader (truncations,
// byte flips and random bytes give errors or valid dicts, never a crash).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "nn/checkpoint.h"
#include "google/protobuf/stubs/logging.h"
#include "nn/checkpoint.pb.h"
#include "nn/layers.h"
#include "nn/norm_layers.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

std::shared_ptr<nn::Sequential> net(uint64_t seed) {
  Generator gen(seed);
  return std::make_shared<nn::Sequential>(
      std::vector<std::shared_ptr<nn::Module>>{
          std::make_shared<nn::Linear>(3, 4, gen),
          std::make_shared<nn::BatchNorm1d>(4), std::make_shared<nn::ReLU>(),
          std::make_shared<nn::Linear>(4, 2, gen)});
}

std::string temp_path(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TEST(Checkpoint, ModuleRoundTrip) {
  auto a = net(1), b = net(2);
  Generator gen(3);
  (*a)(randn({5, 3}, DType::Float32, &gen));  // moves the running stats
  const std::string path = temp_path("model.fnxckpt");
  ASSERT_TRUE(nn::save(*a, path).ok());
  ASSERT_TRUE(nn::load_into(*b, path).ok());
  for (const auto& [k, t] : a->state_dict()) {
    EXPECT_TRUE(equal(b->state_dict().at(k), t)) << k;
  }
  EXPECT_EQ(b->state_dict().at("1.num_batches_tracked").item<int64_t>(), 1);
  // The file records structure and which tensors are buffers.
  const absl::StatusOr<std::string> bytes = nn::serialize_checkpoint(*a);
  ASSERT_TRUE(bytes.ok());
  nn::proto::Checkpoint ckpt;
  ASSERT_TRUE(ckpt.ParseFromString(*bytes));
  EXPECT_EQ(ckpt.module_type(), "Sequential");
  EXPECT_EQ(ckpt.module_structure(2), "1:BatchNorm1d");
  EXPECT_FALSE(ckpt.tensors(0).is_buffer());
  EXPECT_TRUE(ckpt.tensors(4).is_buffer());  // 1.running_mean
}

TEST(Checkpoint, EveryDTypeAndOddShapes) {
  ParamDict state;
  state.insert_or_assign("f64", randn({2, 3}, DType::Float64));
  state.insert_or_assign("f32_scalar", Tensor(2.5));
  state.insert_or_assign("i64", arange(5));
  state.insert_or_assign("i32", arange(4).to(DType::Int32));
  state.insert_or_assign("bool", arange(4) > Tensor(1.0));
  state.insert_or_assign("empty", zeros({0, 3}));
  state.insert_or_assign("view", arange(6).reshape({2, 3}).t());
  const std::string path = temp_path("dict.fnxckpt");
  ASSERT_TRUE(nn::save(state, path).ok());
  const absl::StatusOr<ParamDict> back = nn::load(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->keys(), state.keys());
  for (const auto& [k, t] : state) {
    EXPECT_EQ(back->at(k).dtype(), t.dtype()) << k;
    EXPECT_TRUE(equal(back->at(k), t)) << k;
  }
}

TEST(Checkpoint, ClearErrors) {
  EXPECT_EQ(nn::load(temp_path("nope.fnxckpt")).status().code(),
            absl::StatusCode::kNotFound);
  auto a = net(1);
  Generator gen(4);
  nn::Linear other(3, 5, gen);
  const std::string path = temp_path("mismatch.fnxckpt");
  ASSERT_TRUE(nn::save(*a, path).ok());
  const absl::Status s = nn::load_into(other, path);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("unexpected keys"), std::string::npos) << s;

  nn::proto::Checkpoint ckpt;
  ckpt.set_format_version(99);
  EXPECT_NE(nn::parse_checkpoint(ckpt.SerializeAsString())
                .status()
                .message()
                .find("format version 99"),
            std::string::npos);
  ckpt.set_format_version(nn::kCheckpointFormatVersion);
  nn::proto::TensorEntry* e = ckpt.add_tensors();
  e->set_name("w");
  e->set_dtype("float32");
  e->add_shape(2);
  e->set_data(std::string(7, '\0'));
  EXPECT_NE(nn::parse_checkpoint(ckpt.SerializeAsString())
                .status()
                .message()
                .find("needs 8 bytes of data, the file has 7"),
            std::string::npos);
  e->set_dtype("complex64");
  EXPECT_NE(nn::parse_checkpoint(ckpt.SerializeAsString())
                .status()
                .message()
                .find("unknown dtype"),
            std::string::npos);
  e->set_dtype("float32");
  e->clear_shape();
  e->add_shape(int64_t{1} << 40);
  e->add_shape(int64_t{1} << 40);
  EXPECT_NE(nn::parse_checkpoint(ckpt.SerializeAsString())
                .status()
                .message()
                .find("too large"),
            std::string::npos);
}

// The hardening issue's files: each parses to a clear error, never to a
// tensor that overflows or a printer that recurses off the stack.
std::string one_tensor(const std::vector<int64_t>& shape,
                       const std::string& data = "") {
  nn::proto::Checkpoint ckpt;
  ckpt.set_format_version(nn::kCheckpointFormatVersion);
  nn::proto::TensorEntry* e = ckpt.add_tensors();
  e->set_name("w");
  e->set_dtype("float32");
  for (int64_t d : shape) e->add_shape(d);
  e->set_data(data);
  return ckpt.SerializeAsString();
}

TEST(Checkpoint, HostileShapes) {
  // [0, 2^32, 2^32]: no elements, but strides that overflow.
  const absl::Status empty_huge =
      nn::parse_checkpoint(one_tensor({0, int64_t{1} << 32, int64_t{1} << 32}))
          .status();
  EXPECT_EQ(empty_huge.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(empty_huge.message().find("too large"), std::string::npos)
      << empty_huge;
  // Rank 100,000 (a 100 KB file).
  const absl::Status deep =
      nn::parse_checkpoint(one_tensor(std::vector<int64_t>(100000, 1), "    "))
          .status();
  EXPECT_NE(deep.message().find("100000 dims"), std::string::npos) << deep;
  // Rank 64 is fine, and prints.
  const absl::StatusOr<ParamDict> ok =
      nn::parse_checkpoint(one_tensor(std::vector<int64_t>(64, 1), "    "));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_NE(ok->at("w").str().find("tensor("), std::string::npos);
}

TEST(Checkpoint, HostileFiles) {
  auto message = [](const std::string& path) {
    return std::string(nn::load(path).status().message());
  };
  EXPECT_NE(message("/dev/zero").find("not a regular file"), std::string::npos)
      << message("/dev/zero");
  EXPECT_NE(message(temp_path("")).find("is a directory"), std::string::npos);
  const std::string empty = temp_path("empty.fnxckpt");
  { std::ofstream touch(empty); }
  EXPECT_NE(message(empty).find("is empty"), std::string::npos);
  // A 3 GiB sparse file is refused by its size, before any read.
  const std::string huge = temp_path("huge.fnxckpt");
  { std::ofstream touch(huge); }
  std::filesystem::resize_file(huge, uintmax_t{3} << 30);
  EXPECT_NE(message(huge).find("at most 2 GiB"), std::string::npos)
      << message(huge);
  std::filesystem::remove(huge);
}

// Bounded fuzz: every prefix, many byte flips, and random strings.
TEST(Checkpoint, FuzzedBytesNeverCrash) {
  google::protobuf::LogSilencer quiet;  // no invalid-UTF-8 log lines
  const absl::StatusOr<std::string> good = nn::serialize_checkpoint(*net(5));
  ASSERT_TRUE(good.ok());
  int failures = 0, trials = 0;
  auto attempt = [&](const std::string& bytes) {
    ++trials;
    const absl::StatusOr<ParamDict> r = nn::parse_checkpoint(bytes);
    if (!r.ok()) {
      ++failures;
      return;
    }
    // A dict that parsed is usable: every element can be read.
    for (const auto& [k, t] : *r) {
      EXPECT_EQ(t.to_vector().size(), static_cast<std::size_t>(t.numel()));
    }
  };
  for (std::size_t n = 0; n < good->size(); ++n) attempt(good->substr(0, n));
  std::mt19937_64 rng(42);
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = *good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xff);
    }
    attempt(bytes);
  }
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
    attempt(bytes);
  }
  EXPECT_TRUE(nn::parse_checkpoint(*good).ok());
  EXPECT_GT(failures, trials / 4);
}

}  // namespace
}  // namespace fnx
