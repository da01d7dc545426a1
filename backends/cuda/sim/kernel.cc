// cuda_sim's kernel executor: a block's threads as fibers (fiber.h) that
// switch only at barriers. See include/cuda_sim/kernel.h.

#include "cuda_sim/kernel.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fiber.h"

namespace cuda_sim {
namespace {

constexpr int kWarpSize = 32;
constexpr std::size_t kStackBytes = 256 * 1024;
constexpr std::size_t kMaxShuffleBytes = 16;

enum class State { kRunnable, kAtBlockBarrier, kAtWarpBarrier, kDone };

struct Fiber {
  FiberContext context;
  char* stack = nullptr;  // from stacks(), kStackBytes
  State state = State::kRunnable;
  uint3 index;
  int warp = 0;
  int lane = 0;
  // The value this lane publishes at a shuffle, and the source lane it reads.
  unsigned char shuffle_value[kMaxShuffleBytes];
  int shuffle_source = 0;
};

struct Block {
  std::vector<Fiber> fibers;
  FiberContext scheduler;
  Fiber* running = nullptr;
  const std::function<void()>* body = nullptr;
  std::string failure;  // set when the kernel misuses a barrier
  bool reached_barrier = false;

  Block() = default;
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  ~Block() {
    for (Fiber& f : fibers) release_fiber(f.context);
    release_fiber(scheduler);
  }
};

thread_local Block* current_block = nullptr;

// Kernels seen to call a barrier. A kernel's first launch runs on fibers;
// one that never reached a barrier there runs its later launches as plain
// calls, some 70x faster. A barrier reached in a plain call throws
// DirectBarrier and fails the launch with a report. Kernels run one at a
// time (stream work runs under the runtime's lock), so these need no lock.
std::map<const void*, bool> uses_barriers;
bool direct_mode = false;
struct DirectBarrier {};

// Fiber stacks, kept for the next launch (untouched pages cost nothing).
char* stack_for(std::size_t thread) {
  thread_local std::vector<std::unique_ptr<char[]>> stacks;
  while (stacks.size() <= thread) {
    stacks.emplace_back(new char[kStackBytes]);  // not value-initialized
  }
  return stacks[thread].get();
}

void yield_to_scheduler() {
  Block& b = *current_block;
  switch_fiber(b.running->context, b.scheduler);
}

[[noreturn]] void fiber_main() {
  Block& b = *current_block;
  (*b.body)();
  b.running->state = State::kDone;
  yield_to_scheduler();
  __builtin_unreachable();  // a finished fiber is never resumed
}

// Releases a barrier when every thread it concerns (not returned) waits.
bool release_block_barrier(Block& b) {
  bool any_waiting = false;
  for (Fiber& f : b.fibers) {
    if (f.state == State::kRunnable || f.state == State::kAtWarpBarrier) {
      return false;
    }
    any_waiting |= f.state == State::kAtBlockBarrier;
  }
  if (!any_waiting) return false;
  for (Fiber& f : b.fibers) {
    if (f.state == State::kAtBlockBarrier) f.state = State::kRunnable;
  }
  return true;
}

bool release_warp_barriers(Block& b) {
  bool released = false;
  for (std::size_t w0 = 0; w0 < b.fibers.size(); w0 += kWarpSize) {
    const std::size_t w1 = std::min(b.fibers.size(), w0 + kWarpSize);
    bool all = true, any = false, some_done = false;
    for (std::size_t i = w0; i < w1; ++i) {
      const State s = b.fibers[i].state;
      all &= s == State::kAtWarpBarrier;
      any |= s == State::kAtWarpBarrier;
      some_done |= s == State::kDone;
    }
    if (any && some_done) {
      b.failure =
          "a warp shuffle with all lanes named in its mask ran while some "
          "lanes of the warp had returned";
      return false;
    }
    if (!all) continue;
    for (std::size_t i = w0; i < w1; ++i) {
      b.fibers[i].state = State::kRunnable;
    }
    released = true;
  }
  return released;
}

cudaError_t run_block(Block& b) {
  for (Fiber& f : b.fibers) {
    f.state = State::kRunnable;
    make_fiber(f.context, f.stack, kStackBytes, fiber_main);
  }
  while (true) {
    bool ran = false;
    for (Fiber& f : b.fibers) {
      if (f.state != State::kRunnable) continue;
      ran = true;
      b.running = &f;
      threadIdx = f.index;
      switch_fiber(b.scheduler, f.context);
    }
    if (!b.failure.empty()) break;
    if (ran) continue;
    if (std::all_of(b.fibers.begin(), b.fibers.end(),
                    [](const Fiber& f) { return f.state == State::kDone; })) {
      return cudaSuccess;
    }
    if (release_warp_barriers(b) || release_block_barrier(b)) continue;
    if (b.failure.empty()) {
      b.failure =
          "deadlock: threads wait at different barriers (__syncthreads in "
          "divergent code, or a shuffle while other lanes wait at "
          "__syncthreads)";
    }
    break;
  }
  report("kernel failed in block (" + std::to_string(blockIdx.x) + ", " +
         std::to_string(blockIdx.y) + ", " + std::to_string(blockIdx.z) +
         "): " + b.failure);
  return cudaErrorLaunchFailure;
}

}  // namespace

cudaError_t check_launch(dim3 grid, dim3 block) {
  const uint64_t threads = uint64_t{block.x} * block.y * block.z;
  const bool ok = grid.x >= 1 && grid.y >= 1 && grid.z >= 1 &&
                  grid.x <= 0x7fffffffu && grid.y <= 65535 && grid.z <= 65535 &&
                  threads >= 1 && threads <= 1024 && block.z <= 64;
  if (ok) return cudaSuccess;
  report("invalid launch configuration: grid (" + std::to_string(grid.x) +
         ", " + std::to_string(grid.y) + ", " + std::to_string(grid.z) +
         "), block (" + std::to_string(block.x) + ", " +
         std::to_string(block.y) + ", " + std::to_string(block.z) + ")");
  return cudaErrorInvalidConfiguration;
}

namespace {

cudaError_t run_grid_direct(dim3 grid, dim3 block,
                            const std::function<void()>& thread) {
  direct_mode = true;
  blockDim = block;
  gridDim = grid;
  cudaError_t status = cudaSuccess;
  try {
    for (unsigned z = 0; z < grid.z; ++z) {
      for (unsigned y = 0; y < grid.y; ++y) {
        for (unsigned x = 0; x < grid.x; ++x) {
          blockIdx = {x, y, z};
          for (unsigned t = 0; t < block.x * block.y * block.z; ++t) {
            threadIdx = {t % block.x, (t / block.x) % block.y,
                         t / (block.x * block.y)};
            thread();
          }
        }
      }
    }
  } catch (const DirectBarrier&) {
    report(
        "a kernel reached a barrier in a launch after one that reached "
        "none; the simulator cannot run such a kernel");
    status = cudaErrorLaunchFailure;
  }
  direct_mode = false;
  return status;
}

}  // namespace

cudaError_t run_grid(dim3 grid, dim3 block, const void* kernel,
                     const std::function<void()>& thread) {
  auto known = uses_barriers.find(kernel);
  if (known != uses_barriers.end() && !known->second) {
    return run_grid_direct(grid, block, thread);
  }
  // One block's fibers (and their stacks) serve every block of the launch.
  Block b;
  b.body = &thread;
  const unsigned n = block.x * block.y * block.z;
  b.fibers.resize(n);
  for (unsigned t = 0; t < n; ++t) {
    Fiber& f = b.fibers[t];
    f.stack = stack_for(t);
    f.index = {t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
    f.warp = static_cast<int>(t) / kWarpSize;
    f.lane = static_cast<int>(t) % kWarpSize;
  }
  Block* outer = current_block;
  current_block = &b;
  blockDim = block;
  gridDim = grid;
  cudaError_t status = cudaSuccess;
  for (unsigned z = 0; z < grid.z && status == cudaSuccess; ++z) {
    for (unsigned y = 0; y < grid.y && status == cudaSuccess; ++y) {
      for (unsigned x = 0; x < grid.x && status == cudaSuccess; ++x) {
        blockIdx = {x, y, z};
        status = run_block(b);
      }
    }
  }
  current_block = outer;
  if (status == cudaSuccess) uses_barriers[kernel] = b.reached_barrier;
  return status;
}

void sync_block() {
  if (direct_mode) throw DirectBarrier{};
  Block& b = *current_block;
  b.reached_barrier = true;
  b.running->state = State::kAtBlockBarrier;
  yield_to_scheduler();
}

void shuffle_down(const void* value, void* out, std::size_t bytes, int delta) {
  if (direct_mode) throw DirectBarrier{};
  Block& b = *current_block;
  b.reached_barrier = true;
  Fiber& self = *b.running;
  if (bytes > kMaxShuffleBytes) std::abort();
  std::memcpy(self.shuffle_value, value, bytes);
  // Every lane publishes, waits for the warp, then reads its source. The
  // second barrier keeps a fast lane from overwriting its value before the
  // slower lanes have read it.
  self.state = State::kAtWarpBarrier;
  yield_to_scheduler();
  const std::size_t warp_begin =
      static_cast<std::size_t>(self.warp) * kWarpSize;
  const std::size_t warp_end =
      std::min(b.fibers.size(), warp_begin + kWarpSize);
  const std::size_t source = warp_begin + self.lane + delta;
  const Fiber& from = delta >= 0 && source < warp_end ? b.fibers[source] : self;
  unsigned char read[kMaxShuffleBytes];
  std::memcpy(read, from.shuffle_value, bytes);
  self.state = State::kAtWarpBarrier;
  yield_to_scheduler();
  std::memcpy(out, read, bytes);
}

}  // namespace cuda_sim
