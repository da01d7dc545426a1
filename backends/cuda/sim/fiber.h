// Fibers for the kernel executor: a stack and a saved stack pointer, and a
// switch that saves only what the calling convention says survives a call
// (x86-64: a few registers, no system call; elsewhere ucontext).
#pragma once

#include <cstddef>

namespace cuda_sim {

struct FiberContext {
  void* sp = nullptr;    // x86-64: the saved stack pointer
  void* impl = nullptr;  // elsewhere: a ucontext_t
  void* tsan = nullptr;  // under ThreadSanitizer: its fiber
  bool made = false;     // by make_fiber (else the thread's own context)
};

// Prepares `fiber` to run entry() on [stack, stack + bytes) when first
// switched to. entry must never return: it switches away at its end.
void make_fiber(FiberContext& fiber, char* stack, std::size_t bytes,
                void (*entry)());

// Saves the running context in `from` and resumes `to`.
void switch_fiber(FiberContext& from, FiberContext& to);

// Releases what make_fiber made for `fiber` beyond its stack.
void release_fiber(FiberContext& fiber);

}  // namespace cuda_sim
