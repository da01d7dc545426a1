#include "fiber.h"

#include <cstdint>

// ThreadSanitizer follows stack switches only when told (its fiber API);
// otherwise it mistakes one fiber's stack for another's.
#if defined(__SANITIZE_THREAD__)
extern "C" {
void* __tsan_get_current_fiber();
void* __tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void* fiber);
void __tsan_switch_to_fiber(void* fiber, unsigned flags);
}
namespace {
void tsan_make(cuda_sim::FiberContext& f) {
  if (f.tsan == nullptr) f.tsan = __tsan_create_fiber(0);
}
// The thread's own fiber (a context switched from before any make_fiber)
// belongs to TSan and is never destroyed.
void tsan_switch(cuda_sim::FiberContext& from, cuda_sim::FiberContext& to) {
  if (from.tsan == nullptr) from.tsan = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(to.tsan, 0);
}
void tsan_release(cuda_sim::FiberContext& f) {
  if (f.made && f.tsan != nullptr) __tsan_destroy_fiber(f.tsan);
  f.tsan = nullptr;
}
}  // namespace
#else
namespace {
void tsan_make(cuda_sim::FiberContext&) {}
void tsan_switch(cuda_sim::FiberContext&, cuda_sim::FiberContext&) {}
void tsan_release(cuda_sim::FiberContext&) {}
}  // namespace
#endif

#if defined(__x86_64__)

// cuda_sim_switch(void** save_sp, void* load_sp): pushes the callee-saved
// registers and the SSE/x87 control words, swaps stacks, pops the other
// side's and returns into it.
asm(R"(
.text
.globl cuda_sim_switch
.type cuda_sim_switch,@function
cuda_sim_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size cuda_sim_switch, .-cuda_sim_switch
.section .note.GNU-stack,"",@progbits
.text
)");

extern "C" void cuda_sim_switch(void** save_sp, void* load_sp);

namespace cuda_sim {

void make_fiber(FiberContext& fiber, char* stack, std::size_t bytes,
                void (*entry)()) {
  auto top = reinterpret_cast<uintptr_t>(stack + bytes) & ~uintptr_t{15};
  auto* sp = reinterpret_cast<uintptr_t*>(top);
  *--sp = 0;  // entry's return address: it never returns
  *--sp = reinterpret_cast<uintptr_t>(entry);  // where the switch returns
  for (int r = 0; r < 6; ++r) *--sp = 0;       // rbp rbx r12-r15
  uint32_t mxcsr;
  uint16_t fpcw;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpcw));
  *--sp = uint64_t{mxcsr} | (uint64_t{fpcw} << 32);
  fiber.sp = sp;
  fiber.made = true;
  tsan_make(fiber);
}

void switch_fiber(FiberContext& from, FiberContext& to) {
  tsan_switch(from, to);
  cuda_sim_switch(&from.sp, to.sp);
}

void release_fiber(FiberContext& fiber) { tsan_release(fiber); }

}  // namespace cuda_sim

#else  // not x86-64: ucontext

#include <ucontext.h>

#include <memory>

namespace cuda_sim {
namespace {

ucontext_t& context_of(FiberContext& f) {
  if (f.impl == nullptr) f.impl = new ucontext_t;  // until release_fiber
  return *static_cast<ucontext_t*>(f.impl);
}

}  // namespace

void make_fiber(FiberContext& fiber, char* stack, std::size_t bytes,
                void (*entry)()) {
  ucontext_t& c = context_of(fiber);
  getcontext(&c);
  c.uc_stack.ss_sp = stack;
  c.uc_stack.ss_size = bytes;
  c.uc_link = nullptr;
  makecontext(&c, entry, 0);
  fiber.made = true;
  tsan_make(fiber);
}

void switch_fiber(FiberContext& from, FiberContext& to) {
  tsan_switch(from, to);
  swapcontext(&context_of(from), &context_of(to));
}

void release_fiber(FiberContext& fiber) {
  tsan_release(fiber);
  delete static_cast<ucontext_t*>(fiber.impl);
  fiber.impl = nullptr;
}

}  // namespace cuda_sim

#endif
