// cuda_sim's runtime: devices, device memory, streams, events and copies
// (include/cuda_runtime_api.h, include/cuda_sim/stream.h).
//
// Device memory is one reserved address range, inaccessible to host code
// (PROT_NONE) except while stream work runs; each allocation is followed
// by an inaccessible guard page and is filled with 0xff bytes (NaN, -1) so
// that reads of memory nobody wrote show. Stream work runs when the host
// waits for it, under one lock (a device runs one thing at a time here).
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cuda_sim/stream.h"

struct CUstream_st {
  int device = 0;
  std::deque<std::function<cudaError_t()>> queue;
  uint64_t enqueued = 0;  // items ever enqueued
  uint64_t finished = 0;  // items ever run
};

struct CUevent_st {
  CUstream_st* stream = nullptr;  // where it was last recorded
  uint64_t position = 0;          // complete once that many items ran
};

namespace cuda_sim {
namespace {

constexpr std::size_t kPage = 4096;
constexpr std::size_t kArenaBytes = std::size_t{1} << 38;  // address space

std::size_t round_up(std::size_t n, std::size_t to) {
  return (n + to - 1) / to * to;
}

struct Allocation {
  std::size_t bytes;
  int device;
};

struct State {
  std::recursive_mutex mutex;
  char* arena = nullptr;
  std::size_t used = 0;      // bytes of the arena ever handed out (bump)
  std::size_t capacity = 0;  // device memory limit, all devices together
  std::size_t in_use = 0;
  std::map<uintptr_t, Allocation> live;
  std::map<uintptr_t, std::size_t> free_ranges;  // address -> bytes
  std::map<uintptr_t, std::size_t> pinned;       // address -> bytes
  int device_count = 2;
  std::vector<std::unique_ptr<CUstream_st>> default_streams;
  std::set<CUstream_st*> streams;
  cudaError_t sticky = cudaSuccess;  // an asynchronous failure
  bool device_access = false;
};

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

thread_local cudaError_t last_error = cudaSuccess;
thread_local int device = 0;

cudaError_t fail(cudaError_t e) {
  last_error = e;
  return e;
}

// ---- protection ----

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

// Opens device memory to the work about to run, and closes it afterwards.
class DeviceAccess {
 public:
  explicit DeviceAccess(State& s) : s_(s) {
    if (s_.device_access) return;
    for (const auto& [addr, a] : s_.live) {
      mprotect(reinterpret_cast<void*>(addr), round_up(a.bytes, kPage),
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

// ---- streams ----

CUstream_st* resolve(cudaStream_t stream) {
  State& s = state();
  if (stream == nullptr) return s.default_streams[device].get();
  return stream;
}

// Runs the stream's queue up to (and including) item `position`.
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

const Allocation* find(const void* ptr, std::size_t bytes,
                       uintptr_t* start = nullptr) {
  State& s = state();
  const auto a = reinterpret_cast<uintptr_t>(ptr);
  auto it = s.live.upper_bound(a);
  if (it == s.live.begin()) return nullptr;
  --it;
  if (a + bytes > it->first + it->second.bytes) return nullptr;
  if (start != nullptr) *start = it->first;
  return &it->second;
}

}  // namespace

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

int current_device() { return device; }

void set_last_error(cudaError_t error) { last_error = error; }

void report(const std::string& message) {
  std::fprintf(stderr, "cuda_sim: %s\n", message.c_str());
}

}  // namespace cuda_sim

using cuda_sim::fail;
using cuda_sim::state;

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
  *d = cuda_sim::device;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int d) {
  if (d < 0 || d >= state().device_count) return fail(cudaErrorInvalidDevice);
  cuda_sim::device = d;
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  cuda_sim::run_all();
  return cuda_sim::sticky_status();
}

cudaError_t cudaGetLastError() {
  const cudaError_t e = cuda_sim::last_error;
  cuda_sim::last_error = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError() { return cuda_sim::last_error; }

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

// ---- memory ----

cudaError_t cudaMalloc(void** ptr, std::size_t bytes) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (s.device_count <= 0) return fail(cudaErrorNoDevice);
  if (s.arena == nullptr) cuda_sim::reserve_arena(s);
  if (bytes > s.capacity || s.in_use + bytes > s.capacity) {
    *ptr = nullptr;
    return fail(cudaErrorMemoryAllocation);
  }
  // The allocation's pages plus one guard page.
  const std::size_t span =
      cuda_sim::round_up(std::max<std::size_t>(bytes, 1), cuda_sim::kPage) +
      cuda_sim::kPage;
  uintptr_t addr = 0;
  for (auto it = s.free_ranges.begin(); it != s.free_ranges.end(); ++it) {
    if (it->second < span) continue;
    addr = it->first;
    if (it->second > span) s.free_ranges[addr + span] = it->second - span;
    s.free_ranges.erase(it);
    break;
  }
  if (addr == 0) {
    if (s.used + span > cuda_sim::kArenaBytes)
      return fail(cudaErrorMemoryAllocation);
    addr = reinterpret_cast<uintptr_t>(s.arena) + s.used;
    s.used += span;
  }
  s.live[addr] = {bytes, cuda_sim::device};
  s.in_use += bytes;
  void* p = reinterpret_cast<void*>(addr);
  mprotect(p, span - cuda_sim::kPage, PROT_READ | PROT_WRITE);
  std::memset(p, 0xff, bytes);
  if (!s.device_access) mprotect(p, span - cuda_sim::kPage, PROT_NONE);
  *ptr = p;
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (ptr == nullptr) return cudaSuccess;
  cuda_sim::run_all();  // cudaFree synchronizes the device
  auto it = s.live.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == s.live.end()) {
    cuda_sim::report("cudaFree of a pointer cudaMalloc did not return");
    return fail(cudaErrorInvalidDevicePointer);
  }
  const std::size_t span =
      cuda_sim::round_up(std::max<std::size_t>(it->second.bytes, 1),
                         cuda_sim::kPage) +
      cuda_sim::kPage;
  s.in_use -= it->second.bytes;
  s.live.erase(it);
  madvise(ptr, span, MADV_DONTNEED);
  s.free_ranges[reinterpret_cast<uintptr_t>(ptr)] = span;
  return cuda_sim::sticky_status();
}

cudaError_t cudaHostAlloc(void** ptr, std::size_t bytes, unsigned /*flags*/) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  *ptr = std::aligned_alloc(
      cuda_sim::kPage,
      cuda_sim::round_up(std::max<std::size_t>(bytes, 1), cuda_sim::kPage));
  if (*ptr == nullptr) return fail(cudaErrorMemoryAllocation);
  s.pinned[reinterpret_cast<uintptr_t>(*ptr)] = bytes;
  return cudaSuccess;
}

cudaError_t cudaMallocHost(void** ptr, std::size_t bytes) {
  return cudaHostAlloc(ptr, bytes, cudaHostAllocDefault);
}

cudaError_t cudaFreeHost(void* ptr) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  cuda_sim::run_all();
  if (s.pinned.erase(reinterpret_cast<uintptr_t>(ptr)) == 0) {
    return fail(cudaErrorInvalidValue);
  }
  std::free(ptr);
  return cuda_sim::sticky_status();
}

// ---- copies ----

namespace cuda_sim {
namespace {

// Checks a copy's direction against where its pointers point; a real GPU
// would fault or copy the wrong way.
cudaError_t check_copy(void* dst, const void* src, std::size_t bytes,
                       cudaMemcpyKind kind) {
  const bool dst_dev = find(dst, bytes) != nullptr;
  const bool src_dev = find(src, bytes) != nullptr;
  bool ok = true;
  switch (kind) {
    case cudaMemcpyHostToHost:
      ok = !dst_dev && !src_dev;
      break;
    case cudaMemcpyHostToDevice:
      ok = dst_dev && !src_dev;
      break;
    case cudaMemcpyDeviceToHost:
      ok = !dst_dev && src_dev;
      break;
    case cudaMemcpyDeviceToDevice:
      ok = dst_dev && src_dev;
      break;
    case cudaMemcpyDefault:
      break;
  }
  if (ok) return cudaSuccess;
  report("a copy of " + std::to_string(bytes) + " bytes whose kind (" +
         std::to_string(kind) + ") does not match its pointers (destination " +
         (dst_dev ? "device" : "host or out of an allocation's bounds") +
         ", source " + (src_dev ? "device" : "host or out of bounds") + ")");
  return fail(cudaErrorInvalidValue);
}

}  // namespace
}  // namespace cuda_sim

cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes,
                            cudaMemcpyKind kind, cudaStream_t stream) {
  using namespace cuda_sim;
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (bytes == 0) return cudaSuccess;
  if (cudaError_t e = check_copy(dst, src, bytes, kind); e != cudaSuccess) {
    return e;
  }
  CUstream_st* st = resolve(stream);
  const bool src_dev = find(src, bytes) != nullptr;
  const bool dst_dev = find(dst, bytes) != nullptr;
  if (!src_dev && !is_pinned(src, bytes)) {
    // From pageable memory CUDA stages the source before returning, so the
    // caller may reuse it at once.
    auto staged = std::make_shared<std::vector<char>>(
        static_cast<const char*>(src), static_cast<const char*>(src) + bytes);
    enqueue(st, [dst, staged] {
      std::memcpy(dst, staged->data(), staged->size());
      return cudaSuccess;
    });
    return cudaSuccess;
  }
  if (!dst_dev && !is_pinned(dst, bytes)) {
    // To pageable memory the call returns when the copy is done.
    enqueue(st, [dst, src, bytes] {
      std::memcpy(dst, src, bytes);
      return cudaSuccess;
    });
    run_stream(st);
    return sticky_status();
  }
  // Pinned or device memory on both sides: asynchronous; the host must not
  // touch a pinned buffer until it has waited for the stream.
  enqueue(st, [dst, src, bytes] {
    std::memmove(dst, src, bytes);
    return cudaSuccess;
  });
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes,
                       cudaMemcpyKind kind) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  cuda_sim::run_all();  // the legacy default stream waits for the others
  const cudaError_t e = cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
  if (e != cudaSuccess) return e;
  cuda_sim::run_all();
  return cuda_sim::sticky_status();
}

cudaError_t cudaMemcpyPeerAsync(void* dst, int dst_device, const void* src,
                                int src_device, std::size_t bytes,
                                cudaStream_t stream) {
  using namespace cuda_sim;
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (bytes == 0) return cudaSuccess;
  const Allocation* d = find(dst, bytes);
  const Allocation* from = find(src, bytes);
  if (d == nullptr || from == nullptr || d->device != dst_device ||
      from->device != src_device) {
    report(
        "cudaMemcpyPeerAsync: a pointer is not device memory of the "
        "device given for it");
    return fail(cudaErrorInvalidValue);
  }
  enqueue(stream, [dst, src, bytes] {
    std::memmove(dst, src, bytes);
    return cudaSuccess;
  });
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* ptr, int value, std::size_t bytes,
                            cudaStream_t stream) {
  using namespace cuda_sim;
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (bytes == 0) return cudaSuccess;
  if (find(ptr, bytes) == nullptr) {
    report("cudaMemsetAsync outside device memory");
    return fail(cudaErrorInvalidValue);
  }
  enqueue(stream, [ptr, value, bytes] {
    std::memset(ptr, value, bytes);
    return cudaSuccess;
  });
  return cudaSuccess;
}

cudaError_t cudaMemset(void* ptr, int value, std::size_t bytes) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  const cudaError_t e = cudaMemsetAsync(ptr, value, bytes, nullptr);
  if (e != cudaSuccess) return e;
  cuda_sim::run_all();
  return cuda_sim::sticky_status();
}

// ---- streams and events ----

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned /*f*/) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (s.device_count <= 0) return fail(cudaErrorNoDevice);
  auto* st = new CUstream_st;
  st->device = cuda_sim::device;
  s.streams.insert(st);
  *stream = st;
  return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  return cudaStreamCreateWithFlags(stream, cudaStreamDefault);
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (stream == nullptr || s.streams.erase(stream) == 0) {
    return fail(cudaErrorInvalidResourceHandle);
  }
  cuda_sim::run_stream(stream);  // pending work still completes
  delete stream;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  CUstream_st* st = cuda_sim::resolve(stream);
  if (s.streams.count(st) == 0) return fail(cudaErrorInvalidResourceHandle);
  cuda_sim::run_stream(st);
  return cuda_sim::sticky_status();
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned /*f*/) {
  *event = new CUevent_st;
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  return cudaEventCreateWithFlags(event, cudaEventDefault);
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete event;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  CUstream_st* st = cuda_sim::resolve(stream);
  event->stream = st;
  event->position = st->enqueued;
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (event->stream != nullptr) {
    cuda_sim::run_until(event->stream, event->position);
  }
  return cuda_sim::sticky_status();
}

cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event,
                                unsigned /*flags*/) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  CUstream_st* waiter = cuda_sim::resolve(stream);
  CUstream_st* source = event->stream;
  if (source == nullptr || source == waiter) return cudaSuccess;
  const uint64_t position = event->position;
  // When the waiter reaches this point, the source's work up to the event
  // runs first.
  cuda_sim::enqueue(waiter, [source, position] {
    cuda_sim::run_until(source, position);
    return cudaSuccess;
  });
  return cudaSuccess;
}
