// cuda_sim's runtime: its state and execution model (runtime_state.h), the
// calls the simulated libraries and the launcher use (cuda_sim/stream.h),
// and the CUDA runtime's device and error calls.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "runtime_state.h"

namespace cuda_sim {
namespace detail {

State& state() {
  static State* s = [] {
    auto* st = new State;
    // Two devices unless told otherwise, so that every run checks the
    // multi-device paths (contexts, pools, peer copies).
    st->device_count = 2;
    if (const char* n = std::getenv("FNX_CUDA_SIM_DEVICES")) {
      st->device_count = std::atoi(n);
    }
    st->capacity = std::size_t{16} << 30;
    if (const char* m = std::getenv("FNX_CUDA_SIM_MEMORY_MB")) {
      st->capacity = std::size_t(std::atoll(m)) << 20;
    }
    for (int d = 0; d < st->device_count; ++d) {
      st->default_streams.push_back(std::make_unique<CUstream_st>());
      st->default_streams.back()->device = d;
      st->streams.insert(st->default_streams.back().get());
    }
    return st;
  }();
  return *s;
}

cudaError_t fail(cudaError_t e) {
  last_error = e;
  return e;
}

// ---- protection ----

namespace {

void on_fault(int sig, siginfo_t* info, void* /*ctx*/) {
  State& s = state();
  const char* a = static_cast<const char*>(info->si_addr);
  if (s.arena != nullptr && a >= s.arena && a < s.arena + kArenaBytes) {
    const char* msg =
        s.device_access
            ? "cuda_sim: device work touched memory outside every device "
              "allocation (out of bounds)\n"
            : "cuda_sim: host code dereferenced device memory (a real GPU "
              "faults too; copy it to the host first)\n";
    (void)!write(2, msg, std::strlen(msg));
    std::abort();
  }
  signal(sig, SIG_DFL);  // not ours: fault again with the default action
}

}  // namespace

void reserve_arena(State& s) {
  void* p = mmap(nullptr, kArenaBytes, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    report("could not reserve the simulated device's address space");
    std::abort();
  }
  s.arena = static_cast<char*>(p);
  struct sigaction sa = {};
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, nullptr);
}

namespace {

// Opens device memory to the work about to run, and closes it afterwards.
class DeviceAccess {
 public:
  explicit DeviceAccess(State& s) : s_(s) {
    if (s_.device_access) return;
    for (const auto& [addr, a] : s_.live) {
      mprotect(reinterpret_cast<void*>(a.base), a.reserved,
               PROT_READ | PROT_WRITE);
    }
    s_.device_access = opened_ = true;
  }
  ~DeviceAccess() {
    if (!opened_) return;
    if (s_.used > 0) mprotect(s_.arena, s_.used, PROT_NONE);
    s_.device_access = false;
  }

 private:
  State& s_;
  bool opened_ = false;
};

}  // namespace

// ---- streams ----

CUstream_st* resolve(cudaStream_t stream) {
  State& s = state();
  if (stream == nullptr) return s.default_streams[device].get();
  return stream;
}

void run_until(CUstream_st* st, uint64_t position) {
  State& s = state();
  if (st->finished >= position || st->queue.empty()) return;
  DeviceAccess access(s);
  while (st->finished < position && !st->queue.empty()) {
    auto work = std::move(st->queue.front());
    st->queue.pop_front();
    const cudaError_t e = work();
    ++st->finished;
    if (e != cudaSuccess && s.sticky == cudaSuccess) s.sticky = e;
  }
}

void run_stream(CUstream_st* st) { run_until(st, st->enqueued); }

void run_all() {
  for (CUstream_st* st : state().streams) run_stream(st);
}

// The status a synchronizing call returns: a failure of work that ran. On a
// GPU a kernel fault stays for the life of the context; here it is reported
// once, so that one test's failure does not fail the rest of its process.
cudaError_t sticky_status() {
  State& s = state();
  const cudaError_t e = s.sticky;
  s.sticky = cudaSuccess;
  return e == cudaSuccess ? cudaSuccess : fail(e);
}

bool is_pinned(const void* p, std::size_t bytes) {
  State& s = state();
  const auto a = reinterpret_cast<uintptr_t>(p);
  auto it = s.pinned.upper_bound(a);
  if (it == s.pinned.begin()) return false;
  --it;
  return a + bytes <= it->first + it->second;
}

const Allocation* find(const void* ptr, std::size_t bytes) {
  State& s = state();
  const auto a = reinterpret_cast<uintptr_t>(ptr);
  auto it = s.live.upper_bound(a);
  if (it == s.live.begin()) return nullptr;
  --it;
  if (a + bytes > it->first + it->second.bytes) return nullptr;
  return &it->second;
}

thread_local cudaError_t last_error = cudaSuccess;
thread_local int device = 0;

}  // namespace detail

using namespace detail;  // this file implements the runtime

// ---- cuda_sim/stream.h ----

void enqueue(cudaStream_t stream, std::function<cudaError_t()> work) {
  // FNX_CUDA_SIM_SKIP_WORK=1 drops all stream work: results are garbage,
  // and what remains is the host's own cost per op (dispatch, planning,
  // allocation, enqueueing), which benchmarks can then measure.
  static const bool skip = [] {
    const char* v = std::getenv("FNX_CUDA_SIM_SKIP_WORK");
    return v != nullptr && v[0] == '1';
  }();
  State& s = state();
  std::lock_guard lock(s.mutex);
  CUstream_st* st = resolve(stream);
  ++st->enqueued;
  if (skip) {
    ++st->finished;
    return;
  }
  st->queue.push_back(std::move(work));
}

bool is_device_range(const void* ptr, std::size_t bytes) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  return find(ptr, bytes) != nullptr;
}

void set_last_error(cudaError_t error) { last_error = error; }

void report(const std::string& message) {
  std::fprintf(stderr, "cuda_sim: %s\n", message.c_str());
}

}  // namespace cuda_sim

using cuda_sim::detail::fail;
using cuda_sim::detail::state;

// ---- devices and errors ----

cudaError_t cudaGetDeviceCount(int* count) {
  const int n = state().device_count;
  if (n <= 0) {
    *count = 0;
    return fail(cudaErrorNoDevice);
  }
  *count = n;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr,
                                   int device) {
  if (device < 0 || device >= state().device_count) {
    return fail(cudaErrorInvalidDevice);
  }
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock:
      *value = 1024;
      break;
    case cudaDevAttrMaxGridDimX:
      *value = 0x7fffffff;
      break;
    case cudaDevAttrMaxGridDimY:
      *value = 65535;
      break;
    case cudaDevAttrMaxGridDimZ:
      *value = 65535;
      break;
    case cudaDevAttrWarpSize:
      *value = 32;
      break;
    case cudaDevAttrMemoryClockRate:
      *value = 2619000;
      break;  // kHz
    case cudaDevAttrGlobalMemoryBusWidth:
      *value = 5120;
      break;
    default:
      return fail(cudaErrorInvalidValue);
  }
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* d) {
  *d = cuda_sim::detail::device;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int d) {
  if (d < 0 || d >= state().device_count) return fail(cudaErrorInvalidDevice);
  cuda_sim::detail::device = d;
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  cuda_sim::detail::run_all();
  return cuda_sim::detail::sticky_status();
}

cudaError_t cudaGetLastError() {
  const cudaError_t e = cuda_sim::detail::last_error;
  cuda_sim::detail::last_error = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError() { return cuda_sim::detail::last_error; }

const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess:
      return "cudaSuccess";
    case cudaErrorInvalidValue:
      return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation:
      return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration:
      return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer:
      return "cudaErrorInvalidDevicePointer";
    case cudaErrorInvalidMemcpyDirection:
      return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorNoDevice:
      return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice:
      return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle:
      return "cudaErrorInvalidResourceHandle";
    case cudaErrorIllegalAddress:
      return "cudaErrorIllegalAddress";
    case cudaErrorLaunchFailure:
      return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess:
      return "no error";
    case cudaErrorInvalidValue:
      return "invalid argument";
    case cudaErrorMemoryAllocation:
      return "out of memory";
    case cudaErrorInvalidConfiguration:
      return "invalid configuration argument";
    case cudaErrorInvalidDevicePointer:
      return "invalid device pointer";
    case cudaErrorInvalidMemcpyDirection:
      return "invalid copy direction";
    case cudaErrorNoDevice:
      return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice:
      return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle:
      return "invalid resource handle";
    case cudaErrorIllegalAddress:
      return "an illegal memory access was encountered";
    case cudaErrorLaunchFailure:
      return "unspecified launch failure";
  }
  return "unknown error";
}
