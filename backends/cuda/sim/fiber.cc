#include "fiber.h"

#include <cstdint>

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
}

void switch_fiber(FiberContext& from, FiberContext& to) {
  cuda_sim_switch(&from.sp, to.sp);
}

}  // namespace cuda_sim

#else  // not x86-64: ucontext

#include <ucontext.h>

#include <memory>

namespace cuda_sim {
namespace {

ucontext_t& context_of(FiberContext& f) {
  if (f.impl == nullptr) f.impl = new ucontext_t;  // kept for the thread
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
}

void switch_fiber(FiberContext& from, FiberContext& to) {
  swapcontext(&context_of(from), &context_of(to));
}

}  // namespace cuda_sim

#endif
