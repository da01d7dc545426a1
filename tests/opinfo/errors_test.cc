// Error paths: every kind of bad input throws fnx::Error whose message
// starts with the op in brackets ("[add] ..."), and edge values (empty
// tensors, NaN, Inf) follow torch's semantics instead of failing.
#include <cmath>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <set>
#include <string>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/storage.h"
#include "gtest/gtest.h"
#include "tests/opinfo/reference.h"

namespace fnx::opinfo {
namespace {

constexpr DType kF32 = DType::Float32;
constexpr DType kF64 = DType::Float64;
constexpr DType kI64 = DType::Int64;
const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// Library bugs found by this file (reported), by check name. A known
// failure still has to throw fnx::Error (nothing may crash); only the part
// that is wrong (the bracketed op name, a propagated value) is skipped.
const std::set<std::string> kKnownFailures = {};

// Whether `check` is a known failure; `still_wrong` says whether the
// library still misbehaves, so a fixed bug is noticed (and the entry
// removed) instead of staying hidden.
bool known_failure(const std::string& check, bool still_wrong) {
  if (kKnownFailures.count(check) == 0) return false;
  EXPECT_TRUE(still_wrong) << "\"" << check
                           << "\" works now: remove it from kKnownFailures";
  std::cout << "known library bug, check skipped: " << check << "\n";
  return true;
}

// Expects fn() to throw fnx::Error whose message holds "[op]" and every one
// of `words`. `check` names the expectation for kKnownFailures.
void expect_error(const std::function<void()>& fn, const std::string& op,
                  const std::vector<std::string>& words = {},
                  const std::string& check = "") {
  SCOPED_TRACE("expected [" + op + "]");
  try {
    fn();
    ADD_FAILURE() << "no error was thrown";
  } catch (const Error& e) {
    const std::string what = e.what();
    const bool names_op = what.find("[" + op + "]") != std::string::npos;
    if (!check.empty() && known_failure(check, !names_op)) return;
    EXPECT_NE(what.find("[" + op + "]"), std::string::npos) << what;
    for (const std::string& w : words) {
      EXPECT_NE(what.find(w), std::string::npos)
          << "missing \"" << w << "\" in: " << what;
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-fnx exception: " << e.what();
  }
}

Tensor f32(const Shape& shape) { return ones(shape, kF32); }
Tensor f64(const std::vector<double>& v) {
  return from_vector(v, {static_cast<int64_t>(v.size())}, kF64);
}
Tensor idx(const std::vector<int64_t>& v, const Shape& shape) {
  return from_vector(v, shape, kI64);
}

TEST(Errors, ShapeMismatch) {
  expect_error([] { add(f32({2, 3}), f32({4})); }, "add", {"[2, 3]", "[4]"});
  expect_error([] { mul(f32({2, 3}), f32({3, 2})); }, "mul");
  expect_error(
      [] {
        where(ones({2, 3}, DType::Bool), f32({2, 3}), f32({4}));
      },
      "where");
  expect_error([] { matmul(f32({2, 3}), f32({4, 5})); }, "matmul");
  expect_error([] { matmul(f32({2, 2, 3}), f32({3, 3, 4})); }, "matmul");
  expect_error([] { mm(f32({2, 3, 4}), f32({4, 5})); }, "mm");
  expect_error([] { bmm(f32({2, 3, 4}), f32({3, 4, 5})); }, "bmm");
  expect_error([] { dot(f32({3}), f32({4})); }, "dot");
  expect_error([] { cat({f32({2, 3}), f32({2, 4})}, 0); }, "cat");
  expect_error([] { stack({f32({2, 3}), f32({3, 2})}); }, "stack");
  expect_error([] { reshape(f32({2, 3}), {4}); }, "reshape");
  expect_error([] { reshape(f32({2, 3}), {-1, -1}); }, "reshape");
  expect_error([] { expand(f32({3}), {4}); }, "expand");
  expect_error([] { f32({3, 4}).t().view({12}); }, "view");
  expect_error([] { conv2d(f32({1, 3, 5, 5}), f32({2, 4, 3, 3})); }, "conv2d");
  expect_error([] { linear(f32({2, 3}), f32({4, 5})); }, "linear");
  expect_error([] { gather(f32({3, 4}), 0, idx({0, 1}, {2})); }, "gather");
  expect_error(
      [] {
        from_vector(std::vector<double>{1, 2, 3}, {2, 2});
      },
      "from_vector");
}

TEST(Errors, BadDim) {
  expect_error([] { sum(f32({2, 3}), {5}); }, "sum", {"5"});
  expect_error([] { sum(f32({2, 3}), {0, 0}); }, "sum");
  expect_error([] { amax(f32({2, 3}), {-3}); }, "amax");
  expect_error([] { argmax(f32({2, 3}), 2); }, "argmax");
  expect_error([] { softmax(f32({2, 3}), 2); }, "softmax");
  expect_error([] { mean(f32({2, 3}), {4}); }, "mean");
  expect_error([] { transpose(f32({2, 3}), 0, 3); }, "transpose");
  expect_error([] { permute(f32({2, 3}), {0, 0}); }, "permute");
  expect_error([] { permute(f32({2, 3}), {0}); }, "permute");
  expect_error([] { select(f32({2, 3}), 2, 0); }, "select");
  expect_error([] { unsqueeze(f32({2, 3}), 4); }, "unsqueeze");
  expect_error([] { cat({f32({2, 3}), f32({2, 3})}, 2); }, "cat");
  expect_error([] { slice(f32({2, 3}), 1, 0, 2, 0); }, "slice");
  expect_error([] { split(f32({4}), 0); }, "split");
}

TEST(Errors, BadDtype) {
  expect_error([] { gather(f32({3}), 0, f32({2})); }, "gather", {"float32"});
  expect_error([] { index_select(f32({3}), 0, f32({2})); }, "index_select");
  expect_error([] { one_hot(f32({2}), 3); }, "one_hot");
  expect_error([] { embedding(f32({4, 2}), f32({2})); }, "embedding");
  expect_error([] { add(ones({2}, DType::Bool), ones({2}, DType::Bool)); },
               "add", {"bool"});
  expect_error([] { neg(ones({2}, DType::Bool)); }, "neg", {"bool"});
  expect_error(
      [] {
        conv(ones({1, 1, 3}, kI64), ones({1, 1, 2}, kI64), {});
      },
      "conv", {"int64"});
  expect_error(
      [] {
        nll_loss(f32({2, 3}), f32({2}));
      },
      "nll_loss", {"float32"});
  expect_error([] { rand({2}, kI64); }, "rand", {"int64"});
  expect_error([] { randn({2}, DType::Bool); }, "randn");
}

TEST(Errors, IndexOutOfRange) {
  expect_error([] { gather(f32({3}), 0, idx({0, 7}, {2})); }, "gather", {"7"});
  expect_error([] { gather(f32({3}), 0, idx({-1}, {1})); }, "gather");
  expect_error(
      [] {
        index_select(f32({4, 2}), 0, idx({10}, {1}));
      },
      "index_select", {"10"});
  expect_error([] { select(f32({2, 3}), 0, 5); }, "select", {"5"});
  expect_error([] { scatter_add(f32({3}), 0, idx({3}, {1}), f32({1})); },
               "scatter_add");
  expect_error([] { index_add(f32({3}), 0, idx({4}, {1}), f32({1})); },
               "index_add");
  expect_error([] { embedding(f32({6, 3}), idx({6}, {1})); }, "embedding");
  expect_error([] { one_hot(idx({4}, {1}), 4); }, "one_hot");
  expect_error([] { nll_loss(f32({2, 5}), idx({0, 5}, {2})); }, "nll_loss");
  expect_error([] { narrow(f32({4}), 0, 2, 3); }, "narrow");
}

TEST(Errors, EmptyAndZeroSize) {
  expect_error([] { amax(f32({0})); }, "amax");
  expect_error([] { amin(f32({0, 3}), {0}); }, "amin");
  expect_error([] { argmax(f32({0, 3}), 0); }, "argmax");
  // Reductions that are defined on empty extents.
  EXPECT_EQ(sum(f32({0})).item<double>(), 0.0);
  EXPECT_EQ(read(sum(f32({0, 3}), {0})).data, std::vector<double>(3, 0.0));
  EXPECT_EQ(amax(f32({0, 3}), {1}).shape(), Shape({0}));
  EXPECT_TRUE(std::isnan(mean(f32({0})).item<double>()));
  EXPECT_EQ(matmul(f32({2, 0}), f32({0, 3})).to_vector(),
            std::vector<double>(6, 0.0));
}

TEST(Errors, NanAndInfPropagate) {
  const Tensor with_nan = f64({1.0, kNan, 3.0});
  const Tensor with_inf = f64({1.0, kInf, -2.0});
  EXPECT_TRUE(std::isnan(sum(with_nan).item<double>()));
  EXPECT_EQ(sum(with_inf).item<double>(), kInf);
  EXPECT_TRUE(std::isnan(sum(f64({kInf, -kInf})).item<double>()));
  EXPECT_TRUE(std::isnan(amax(with_nan).item<double>()));
  EXPECT_TRUE(std::isnan(amin(with_nan).item<double>()));
  EXPECT_EQ(amax(with_inf).item<double>(), kInf);
  const Tensor one = scalar_tensor(1.0, kF64);
  EXPECT_TRUE(std::isnan(maximum(with_nan, one).to_vector()[1]));
  EXPECT_TRUE(std::isnan(maximum(one, with_nan).to_vector()[1]));
  EXPECT_TRUE(std::isnan(minimum(with_nan, one).to_vector()[1]));
  const std::vector<double> e = exp(f64({kInf, -kInf, kNan})).to_vector();
  EXPECT_EQ(e[0], kInf);
  EXPECT_EQ(e[1], 0.0);
  EXPECT_TRUE(std::isnan(e[2]));
  EXPECT_EQ(log(scalar_tensor(0.0, kF64)).item<double>(), -kInf);
  EXPECT_TRUE(std::isnan(sqrt(scalar_tensor(-1.0, kF64)).item<double>()));
  EXPECT_EQ(div(one, scalar_tensor(0.0, kF64)).item<double>(), kInf);
  EXPECT_EQ(softmax(f64({0.0, -kInf}), 0).to_vector(),
            (std::vector<double>{1.0, 0.0}));
  EXPECT_EQ(argmax(with_nan, 0).item<int64_t>(), 1);  // NaN is the max
  EXPECT_TRUE(std::isnan(sign(f64({kNan})).item<double>()));
  EXPECT_EQ(logsumexp(f64({-kInf, -kInf}), {0}).item<double>(), -kInf);
  const bool relu_nan = std::isnan(relu(f64({kNan})).item<double>());
  if (!known_failure("relu propagates NaN", !relu_nan)) {
    EXPECT_TRUE(relu_nan);
  }
  EXPECT_FALSE(allclose(with_nan, with_nan));
  EXPECT_TRUE(allclose(with_nan, with_nan, 1e-5, 1e-8, true));
}

TEST(Errors, OverlappingInPlaceWrite) {
  Tensor expanded = zeros({1, 3}, kF32).expand({2, 3});
  expect_error([&] { copy_(expanded, ones({2, 3}, kF32)); }, "copy_");
  Tensor dst = zeros({2, 3}, kF32);
  expect_error([&] { copy_(dst, ones({3, 3}, kF32)); }, "copy_");
}

TEST(Errors, InPlaceOps) {
  // A result the destination's dtype cannot hold.
  Tensor ints = zeros({3}, DType::Int64);
  expect_error([&] { ints.mul_(f32({3}) * 0.5); }, "mul_",
               {"float32", "int64", "[3]"});
  Tensor flags = zeros({3}, DType::Bool);
  expect_error([&] { flags.add_(ones({3}, DType::Int32)); }, "add_",
               {"int32", "bool"});
  // The other operand broadcasts to the destination, never the reverse.
  Tensor row = zeros({3}, kF32);
  expect_error(
      [&] {
        row.add_(ones({2, 3}, kF32));
      },
      "add_", {"[2, 3]", "[3]"});
  expect_error([&] { row.masked_fill_(ones({3}, kF32), 1); }, "masked_fill_",
               {"bool"});
  expect_error([&] { fill_(row, ones({2}, kF32)); }, "fill_", {"0-d"});
  Tensor table = zeros({4, 2}, kF32);
  expect_error(
      [&] {
        table.index_put_(zeros({1, 2}, DType::Int64), ones({2}, kF32));
      },
      "index_put_", {"1-d"});
  expect_error(
      [&] {
        Tensor scalar = zeros({}, kF32);
        scalar.index_put_(zeros({1}, DType::Int64), ones({}, kF32));
      },
      "index_put_", {"at least 1 dim"});
  expect_error(
      [&] {
        slice_scatter(table, ones({3, 2}, kF32), 0, 0, 2);
      },
      "slice_scatter", {"[3, 2]", "[2, 2]"});
}

TEST(Errors, CudaDeviceWithoutBackend) {
  // zeros is a composite of the Full primitive, which has no CUDA kernel.
  EXPECT_THROW(zeros({2}, kF32, Device::cuda()), Error);
  expect_error([] { zeros({2}, kF32, Device::cuda()); }, "full",
               {"cuda", "backend"});
  const Tensor x = ones({2}, kF32);
  expect_error([&] { to_device(x, Device::cuda()); }, "to",
               {"cuda", "backend"});
}

// A dense tensor that claims to live on CUDA (its bytes are host memory, so
// nothing is dereferenced): the dispatcher must refuse it before any kernel.
Tensor fake_cuda_tensor(const Shape& shape = {2}) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = kF32;
  impl->device = Device::cuda();
  impl->storage = Storage::allocate(4 * numel(shape), Device::cpu());
  return Tensor(impl);
}

TEST(Errors, MissingKernelForDevice) {
  const Tensor g = fake_cuda_tensor();
  expect_error([&] { add(g, g); }, "add", {"cuda"});
  expect_error([&] { exp(g); }, "exp", {"cuda"});
}

TEST(Errors, DeviceMismatch) {
  const Tensor g = fake_cuda_tensor();
  const Tensor c = ones({2}, kF32);
  expect_error([&] { add(c, g); }, "add", {"cpu", "cuda"});
  const Tensor g2 = fake_cuda_tensor({2, 2});
  const Tensor c2 = ones({2, 2}, kF32);
  expect_error([&] { matmul(c2, g2); }, "matmul", {"cpu", "cuda"});
  expect_error([&] { cat({c2, g2}); }, "cat", {"cuda"});
}

TEST(Errors, BadArguments) {
  expect_error([] { arange(0.0, 1.0, 0.0); }, "arange");
  expect_error([] { linspace(0, 1, -1); }, "linspace");
  expect_error([] { eye(-1); }, "eye");
  expect_error([] { randint(3, 3, {2}); }, "randint");
  expect_error([] { bernoulli({2}, 1.5); }, "bernoulli");
  expect_error([] { f32({2, 3}).item<double>(); }, "item");
  expect_error(
      [] {
        conv1d(f32({1, 2, 5}), f32({2, 2, 3}), {}, ConvOptions{{0}, {}, {}, 1});
      },
      "conv1d");
  expect_error(
      [] {
        conv1d(f32({1, 3, 5}), f32({2, 1, 3}), {}, ConvOptions{{}, {}, {}, 2});
      },
      "conv1d");
  expect_error([] { pad(f32({2, 3}), {-2, -2}); }, "pad");
  expect_error([] { pad(f32({2, 3}), {1}); }, "pad");
  expect_error([] { chunk(f32({4}), 0); }, "chunk");
  expect_error([] { dropout(f32({2}), 1.5); }, "dropout");
}

// Composites validate their arguments and name themselves, not the
// primitive they are written in.
TEST(Errors, CompositesNameThemselves) {
  expect_error(
      [] {
        max_pool2d(f32({1, 1, 2, 2}), PoolOptions{{3, 3}});
      },
      "max_pool2d", {}, "max_pool2d names itself");
  expect_error(
      [] {
        cross_entropy(f32({2, 3}), idx({0, 1, 2}, {3}));
      },
      "cross_entropy", {}, "cross_entropy names itself");
  expect_error([] { mse_loss(f32({2, 3}), f32({3})); }, "mse_loss");
  expect_error([] { layer_norm(f32({2, 3}), {4}); }, "layer_norm");
  expect_error([] { batch_norm(f32({3}), {}, {}, {}, {}, true); },
               "batch_norm");
  expect_error([] { conv1d(f32({1, 3, 5}), f32({2, 2, 3})); }, "conv1d");
}

// Pooling: the composites name themselves; the primitives name the shapes.
TEST(Errors, Pooling) {
  expect_error(
      [] {
        max_pool1d(f32({1, 1, 4, 4}), PoolOptions{{2}});
      },
      "max_pool1d", {"[1, 1, 4, 4]"});
  expect_error(
      [] {
        avg_pool3d(f32({1, 4, 4}), PoolOptions{{2, 2, 2}});
      },
      "avg_pool3d", {"[1, 4, 4]"});
  expect_error(
      [] {
        max_pool3d(f32({1, 1, 4, 4, 4}), PoolOptions{{2, 2}});
      },
      "max_pool3d", {"kernel"});
  expect_error(
      [] {
        max_pool2d(f32({1, 1, 4, 4}), PoolOptions{{2, 2}, {}, {2, 2}});
      },
      "max_pool2d", {"padding"});
  expect_error(
      [] {
        max_pool_select(f32({1, 1, 4, 4}), f32({1, 1, 4, 5}),
                        PoolOptions{{2, 2}});
      },
      "max_pool_select", {"[1, 1, 4, 5]", "[1, 1, 4, 4]"});
  expect_error(
      [] {
        max_pool_scatter(f32({1, 1, 4, 4}), f32({1, 1, 3, 3}),
                         PoolOptions{{2, 2}});
      },
      "max_pool_scatter", {"[1, 1, 3, 3]", "[1, 1, 2, 2]"});
  expect_error(
      [] {
        const Tensor b = ones({1, 1, 4, 4}, DType::Bool);
        max_pool_select(b, b, PoolOptions{{2, 2}});
      },
      "max_pool_select", {"bool"});
  // Kernel 2 with dilation 5 and padding 1 over 4 elements: the only
  // window reads positions -1 and 4, both padding.
  expect_error(
      [] {
        const Tensor x = f32({1, 1, 4});
        max_pool_select(x, x, PoolOptions{{2}, {1}, {1}, {5}});
      },
      "max_pool_select", {"only padding"});
  expect_error(
      [] {
        const Tensor x = f32({1, 1, 4, 4});
        max_pool_select(x, x, PoolOptions{{2, 2, 2}});
      },
      "max_pool_select", {"[1, 1, 4, 4]"});
}

}  // namespace
}  // namespace fnx::opinfo
