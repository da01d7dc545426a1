#include "tests/cuda/cuda_test_util.h"

#include <cmath>
#include <cstdlib>
#include <mutex>
#include <sstream>

#include "core/cpu_allocator.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "core/storage.h"

#if defined(FNX_HAVE_CUDA)
#include "backends/cuda/cuda.h"
#endif

namespace fnx::cuda_test {
namespace {

#if defined(FNX_CUDA_TEST_EMULATED)
// Every CPU kernel registered again for DeviceType::CUDA, over host memory.
void install_emulation() {
  static std::once_flag once;
  std::call_once(once, [] {
    Registrar batch;
    for (int i = 0; i < kNumPrims; ++i) {
      const Kernel k = Registry::get().kernel(DeviceType::CPU, prim_at(i));
      if (k != nullptr) batch.kernel(DeviceType::CUDA, prim_at(i), k);
    }
    batch.backend(DeviceType::CUDA, "cuda emulated by the CPU kernels (tests)");
    Registry::get().apply("cuda-emulated", "", batch);
    set_allocator(DeviceType::CUDA, &cpu_allocator());
  });
}
#endif

}  // namespace

bool emulated() {
#if defined(FNX_CUDA_TEST_EMULATED)
  return true;
#else
  return false;
#endif
}

bool simulated() {
#if defined(FNX_CUDA_TEST_SIMULATED)
  return true;
#else
  return false;
#endif
}

Device device() { return Device::cuda(0); }

bool gpu_required() {
  const char* v = std::getenv("FNX_CUDA_TESTS_REQUIRE_GPU");
  return v != nullptr && std::string(v) == "1";
}

std::string skip_reason() {
#if defined(FNX_CUDA_TEST_EMULATED)
  install_emulation();
  return "";
#elif defined(FNX_HAVE_CUDA)
  if (!fnx::cuda::is_available()) {
    return "skipped: no CUDA device on this machine (the suite runs on the "
           "device machine: tools/device/cuda_checks.sh)";
  }
  return "";
#else
  return "skipped: built without --config=cuda";
#endif
}

Tensor mirror(const Tensor& t, Device to) {
  if (!t.defined()) return t;
  const Tensor src = t.concrete("mirror");
  if (src.device() == to) return src;
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = src.shape();
  impl->strides = src.strides();
  impl->offset = src.offset();
  impl->dtype = src.dtype();
  impl->device = to;
  const std::size_t nbytes = src.impl()->storage->nbytes();
  impl->storage = Storage::allocate(nbytes, to);
  const Device from = src.device();
  Allocator& remote =
      device_allocator(to.type != DeviceType::CPU ? to : from, "mirror");
  remote.copy_bytes(impl->storage->data(), to, src.impl()->storage->data(),
                    from, nbytes);
  return Tensor(std::move(impl));
}

std::vector<Tensor> mirror(const std::vector<Tensor>& ts, Device to) {
  std::vector<Tensor> out;
  out.reserve(ts.size());
  for (const Tensor& t : ts) out.push_back(mirror(t, to));
  return out;
}

::testing::AssertionResult close(const Tensor& got, const Tensor& want,
                                 double atol, double rtol) {
  if (!got.defined() || !want.defined()) {
    return got.defined() == want.defined()
               ? ::testing::AssertionSuccess()
               : ::testing::AssertionFailure() << "one result is undefined";
  }
  if (got.shape() != want.shape() || got.dtype() != want.dtype()) {
    return ::testing::AssertionFailure()
           << "got " << dtype_name(got.dtype()) << shape_str(got.shape())
           << ", expected " << dtype_name(want.dtype())
           << shape_str(want.shape());
  }
  const std::vector<double> g = got.to_vector();  // copies to the host
  const std::vector<double> w = want.to_vector();
  int bad = 0;
  std::ostringstream msg;
  for (std::size_t i = 0; i < g.size(); ++i) {
    const bool ok =
        std::isnan(w[i]) || std::isnan(g[i])
            ? std::isnan(w[i]) && std::isnan(g[i])
            : (std::isinf(w[i]) || std::isinf(g[i])
                   ? g[i] == w[i]
                   : std::abs(g[i] - w[i]) <= atol + rtol * std::abs(w[i]));
    if (!ok && ++bad <= 5) {
      msg << "\n  at flat index " << i << ": got " << g[i] << ", expected "
          << w[i];
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << g.size() << " values differ (atol " << atol
         << ", rtol " << rtol << ")" << msg.str();
}

Tol tolerance_for(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return {1e-5, 1e-4};
    case DType::Float64:
      return {1e-10, 1e-9};
    default:
      return {0, 0};
  }
}

}  // namespace fnx::cuda_test
