// The CPU runner of fused elementwise programs (core/fused_elementwise.h):
// the elements are split over the thread pool, and each chunk runs the
// whole program one tile (a few thousand elements, cache-resident) at a
// time: inputs are read where they lie (or gathered when broadcast or
// strided; one broadcast over leading dims is expanded once per chunk),
// each instruction is the same per-element loop its kernel runs
// (elementwise_loops.h), and only the outputs are written to memory (with
// non-temporal stores when they are large). Registers share scratch slots
// by liveness, so a tile's working set stays in L1. A value repeated over a
// tile (a scalar, a column broadcast along long rows) is read with a stride of
// 0, and an instruction of such values only computes one element (the same
// function, so the same bits). A trailing reduction is
// accumulated from the tile (fused_reduction.h), its operand never
// written; so is one over leading or middle dims, chunks then being whole
// slabs of the reduced dims.
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "backends/common/scalar_ops.h"
#include "backends/cpu/common.h"
#include "backends/cpu/elementwise_loops.h"
#include "backends/cpu/fused_reduction.h"
#include "backends/cpu/loops.h"
#include "core/error.h"
#include "core/fused_elementwise.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

// Elements per tile: the float registers of gelu's program (six, 4 KiB
// each) stay in a 32 KiB L1 together, those of a dozen instructions in L2.
constexpr int64_t kTile = 1024;

// Bytes between registers in the scratch: room for `tile` doubles, plus a
// cache line so that registers do not start a multiple of 4 KiB apart (the
// loads of one loop would alias the stores of the last in L1).
constexpr int64_t register_bytes(int64_t tile) {
  return tile * static_cast<int64_t>(sizeof(double)) + 64;
}

// Outputs of at least this many bytes in all are computed in the tile and
// then written with non-temporal stores: a result much larger than the
// caches would otherwise be read into them before each write (a read for
// ownership, half again the memory traffic of a one-pass op) and evict the
// inputs; smaller ones stay cached for the op that reads them next.
constexpr int64_t kStreamFrom = int64_t{16} << 20;

// dst = src, bypassing the caches (16-byte non-temporal stores; the head
// and tail up to 16-byte alignment copied plainly). The caller fences.
void stream_copy(char* dst, const char* src, int64_t bytes) {
#if defined(__SSE2__)
  const int64_t head = std::min<int64_t>(
      bytes,
      (16 - static_cast<int64_t>(reinterpret_cast<uintptr_t>(dst) % 16)) % 16);
  std::memcpy(dst, src, static_cast<std::size_t>(head));
  int64_t i = head;
  for (; i + 16 <= bytes; i += 16) {
    _mm_stream_si128(
        reinterpret_cast<__m128i*>(dst + i),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
  }
  std::memcpy(dst + i, src + i, static_cast<std::size_t>(bytes - i));
#else
  std::memcpy(dst, src, static_cast<std::size_t>(bytes));
#endif
}

// Orders this thread's non-temporal stores before what follows (the
// thread pool's completion signal).
void stream_fence() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

// Longest repeating block a periodic input is expanded from: its pattern
// register (a tile plus one period) stays in L1/L2.
constexpr int64_t kMaxPeriod = 4096;
// Fewest elements a periodic input repeats its pattern over before moving
// to the next one: tiles end where a pattern does, so shorter blocks
// would make short tiles (those inputs are gathered instead).
constexpr int64_t kMinBlock = 512;

// How each input is read: straight from its memory when it is contiguous
// in the program's shape, else gathered through a plan over that shape.
// A periodic input, contiguous in its own trailing dims and broadcast over
// the program's dims before them (a bias, a weight shared by a batch, a
// scalar; or, with outer dims of its own, the (64, 1, 32) bias of a batch
// of layers over (64, 64, 32)), repeats every `period` elements for
// `block` elements (0: everywhere), then moves on by one period in its
// memory: its register, a tile plus one period long, is filled when a tile
// enters a new block, and each tile reads it from the offset where the
// tile starts in the pattern, never gathering rows.
struct InputView {
  char* base = nullptr;
  int64_t itemsize = 0;
  bool contiguous = false;
  int64_t period = 0;  // > 0: periodic
  int64_t block = 0;   // elements per pattern; 0: one pattern throughout
  LoopPlan<1> plan;
};

// Sets the period and block of an input with these broadcast strides (in
// elements) over `shape`, when its dims are, from the last: contiguous
// ones (the period), broadcast ones (stride 0), then contiguous ones again
// (one period apart per step) or none. Leaves 0 otherwise, or when the
// period or block is out of range.
void find_period(const Shape& shape, const Strides& strides, InputView& v) {
  int64_t period = 1;
  int d = static_cast<int>(shape.size());
  while (d > 0 && (strides[d - 1] == period || shape[d - 1] == 1)) {
    period *= shape[d - 1];
    --d;
  }
  int64_t repeats = 1;
  while (d > 0 && (strides[d - 1] == 0 || shape[d - 1] == 1)) {
    repeats *= shape[d - 1];
    --d;
  }
  if (period > kMaxPeriod) return;
  if (d == 0) {
    v.period = period;
    return;
  }
  int64_t step = period;
  for (int k = d; k-- > 0;) {
    if (shape[k] != 1 && strides[k] != step) return;
    step *= shape[k];
  }
  const int64_t block = period * repeats;
  if (repeats == 1 || block < kMinBlock) return;
  v.period = period;
  v.block = block;
}

// Writes `len` elements of a periodic input's pattern at dst: its period
// starting at src, repeated (doubling copies).
void fill_pattern(char* dst, const char* src, int64_t item, int64_t period,
                  int64_t len);

// `len` copies of the element at src (itemsize 1, 4 or 8).
void fill_copies(char* dst, const char* src, int64_t item, int64_t len) {
  switch (item) {
    case 1:
      std::memset(dst, *src, static_cast<std::size_t>(len));
      return;
    case 4: {
      uint32_t v;
      std::memcpy(&v, src, 4);
      std::fill_n(reinterpret_cast<uint32_t*>(dst), len, v);
      return;
    }
    default: {
      uint64_t v;
      std::memcpy(&v, src, 8);
      std::fill_n(reinterpret_cast<uint64_t*>(dst), len, v);
      return;
    }
  }
}

void fill_pattern(char* dst, const char* src, int64_t item, int64_t period,
                  int64_t len) {
  if (period == 1) return fill_copies(dst, src, item, len);
  const int64_t first = std::min(period, len);
  std::memcpy(dst, src, static_cast<std::size_t>(first * item));
  for (int64_t done = first; done < len;) {
    const int64_t n = std::min(done, len - done);
    std::memcpy(dst + done * item, dst, static_cast<std::size_t>(n * item));
    done += n;
  }
}

// `len` elements `stride` bytes apart at src, packed at dst. Typed per
// item size: a memcpy of a run-time size is a libc call per element (a
// quarter of a compiled MAML step gathered its transposed operands so).
template <typename U>
void gather_typed(char* dst, const char* src, int64_t stride, int64_t len) {
  for (int64_t i = 0; i < len; ++i) {
    U v;
    std::memcpy(&v, src + i * stride, sizeof(U));
    std::memcpy(dst + i * static_cast<int64_t>(sizeof(U)), &v, sizeof(U));
  }
}

void gather_strided(char* dst, const char* src, int64_t stride, int64_t item,
                    int64_t len) {
  switch (item) {
    case 1:
      return gather_typed<uint8_t>(dst, src, stride, len);
    case 4:
      return gather_typed<uint32_t>(dst, src, stride, len);
    default:
      return gather_typed<uint64_t>(dst, src, stride, len);
  }
}

// `len` contiguous elements copied inline: a row of a broadcast operand is
// often a few dozen elements (a bias over (64, 64, 32)), for which a libc
// memcpy call per row cost more than the copy.
template <typename U>
void copy_typed(char* dst, const char* src, int64_t len) {
  auto* d = reinterpret_cast<U*>(dst);
  const auto* s = reinterpret_cast<const U*>(src);
  for (int64_t i = 0; i < len; ++i) d[i] = s[i];
}

void copy_run(char* dst, const char* src, int64_t item, int64_t len) {
  constexpr int64_t kShortRun = 256;  // bytes
  if (len * item > kShortRun) {
    std::memcpy(dst, src, static_cast<std::size_t>(len * item));
    return;
  }
  switch (item) {
    case 1:
      return copy_typed<uint8_t>(dst, src, len);
    case 4:
      return copy_typed<uint32_t>(dst, src, len);
    default:
      return copy_typed<uint64_t>(dst, src, len);
  }
}

template <typename T>
void run_unary(Prim prim, const char* in, char* out, int64_t n) {
  switch (prim) {
#define FNX_FUSED_UNARY(p, op)                                       \
  case Prim::p:                                                      \
    if constexpr (std::is_same_v<decltype(scalar::op{}(T{})), T>) {  \
      unary_run<scalar::op, T, T>(out, sizeof(T), in, sizeof(T), n); \
      return;                                                        \
    }                                                                \
    break;
    FNX_CPU_UNARY_OPS(FNX_FUSED_UNARY)
#undef FNX_FUSED_UNARY
    default:
      break;
  }
  fail("fused_elementwise", "primitive ", prim_name(prim),
       " is not a unary op of one dtype");
}

// out = a op b over n elements; an operand's stride is sizeof(T) or 0 (one
// value repeated).
template <typename T>
void run_binary(Prim prim, const char* a, int64_t a_stride, const char* b,
                int64_t b_stride, char* out, int64_t n) {
  const std::array<char*, 3> p = {out, const_cast<char*>(a),
                                  const_cast<char*>(b)};
  switch (prim) {
#define FNX_FUSED_BINARY(pr, op)                                        \
  case Prim::pr: {                                                      \
    using Out = decltype(scalar::op{}(T{}, T{}));                       \
    binary_run<scalar::op, T, Out>(                                     \
        p, {static_cast<int64_t>(sizeof(Out)), a_stride, b_stride}, n); \
    return;                                                             \
  }
    FNX_CPU_BINARY_OPS(FNX_FUSED_BINARY)
    FNX_CPU_COMPARE_OPS(FNX_FUSED_BINARY)
#undef FNX_FUSED_BINARY
    default:
      break;
  }
  fail("fused_elementwise", "primitive ", prim_name(prim),
       " is not a binary op");
}

// Elements [begin, begin + n) of the input, contiguous at `dst` (or a
// pointer into the input itself when it is contiguous).
const char* load(const InputView& in, int64_t begin, int64_t n, char* dst,
                 const char* pattern) {
  if (in.contiguous) return in.base + begin * in.itemsize;
  if (in.period > 0) return pattern + (begin % in.period) * in.itemsize;
  char* out = dst;
  const int64_t item = in.itemsize;
  run_plan_range(in.plan, std::array<char*, 1>{in.base}, begin, begin + n,
                 [&](const std::array<char*, 1>& p,
                     const std::array<int64_t, 1>& s, int64_t len) {
                   if (s[0] == item) {
                     copy_run(out, p[0], item, len);
                   } else if (s[0] == 0) {
                     fill_copies(out, p[0], item, len);
                   } else {
                     gather_strided(out, p[0], s[0], item, len);
                   }
                   out += len * item;
                 });
  return dst;
}

// The scratch slot of each register: registers whose values are no longer
// read hand their slot to later ones (outputs and the reduced register are
// read after the tile), so a tile's working set stays in L1 (gelu's nine
// registers take three slots).
constexpr int64_t kSlotsFrom = 16 * kTile;  // elements

std::vector<int32_t> assign_slots(const FusedProgram& prog, int32_t* count) {
  const int32_t n = static_cast<int32_t>(prog.instrs.size());
  std::vector<int32_t> last(n, -1);
  for (int32_t r = 0; r < n; ++r) {
    const FusedInstr& ins = prog.instrs[r];
    if (ins.kind == FusedInstr::Kind::kInput) continue;
    for (int32_t a : {ins.a, ins.b, ins.c}) {
      if (a >= 0) last[a] = r;
    }
  }
  for (int32_t r : prog.outputs) last[r] = n;
  if (prog.reduction.has_value()) last[prog.reduction->reg] = n;
  std::vector<int32_t> slot(n, -1), free_slots;
  *count = 0;
  for (int32_t r = 0; r < n; ++r) {
    if (free_slots.empty()) {
      slot[r] = (*count)++;
    } else {
      slot[r] = free_slots.back();
      free_slots.pop_back();
    }
    // Operands read for the last time here free their slots for later
    // registers (not this one: a cast may write wider elements).
    const FusedInstr& ins = prog.instrs[r];
    if (ins.kind != FusedInstr::Kind::kInput) {
      for (int32_t a : {ins.a, ins.b, ins.c}) {
        if (a >= 0 && last[a] == r && slot[a] >= 0) {
          free_slots.push_back(slot[a]);
          slot[a] = -2 - slot[a];  // freed once (an operand read twice)
        }
      }
    }
    if (last[r] < 0) free_slots.push_back(slot[r]);  // never read
  }
  for (int32_t& sl : slot) {
    if (sl <= -2) sl = -2 - sl;
  }
  return slot;
}

// Per register of a tile: whether its value is one element repeated (a
// scalar input, or computed from such registers only) and, if so, whether
// the register holds it only once (kOnce) or `n` times (kFull).
enum class Uniform : uint8_t { kNo, kOnce, kFull };

void run_tile(const FusedProgram& prog, const std::vector<InputView>& inputs,
              const std::vector<char*>& outputs_base,
              const std::vector<int32_t>& output_of, int64_t begin, int64_t n,
              int64_t tile, bool stream, char* scratch,
              const std::vector<const char*>& patterns,
              const std::vector<int32_t>& slot, std::vector<const char*>& regs,
              std::vector<Uniform>& uniform) {
  const std::size_t count = prog.instrs.size();
  const int32_t reduced =
      prog.reduction.has_value() ? prog.reduction->reg : int32_t{-1};
  // Writes a register computed once `n` times where it lies (every
  // consumer of the values, not only the instructions, reads it whole).
  auto fill = [&](std::size_t r) {
    if (uniform[r] != Uniform::kOnce) return;
    char* at = const_cast<char*>(regs[r]);
    fill_copies(at, at, static_cast<int64_t>(itemsize(prog.instrs[r].dtype)),
                n);
    uniform[r] = Uniform::kFull;
  };
  // Operand stride in bytes: 0 for a repeated value, read once.
  auto stride = [&](int32_t r, int64_t item) {
    return uniform[r] == Uniform::kNo ? item : int64_t{0};
  };
  for (std::size_t r = 0; r < count; ++r) {
    const FusedInstr& ins = prog.instrs[r];
    const int64_t item = static_cast<int64_t>(itemsize(ins.dtype));
    // Output registers are computed straight into the result, unless the
    // results are streamed out after the tile.
    const bool direct = output_of[r] >= 0 && !stream;
    char* dst =
        direct ? outputs_base[output_of[r]] + begin * item
               : scratch + (slot.empty() ? static_cast<int64_t>(r) : slot[r]) *
                               register_bytes(tile);
    // An instruction whose operands are all repeated values computes one
    // element (the same per-element function, so the same bits).
    bool once = ins.kind != FusedInstr::Kind::kInput;
    for (int32_t a : {ins.a, ins.b, ins.c}) {
      if (once && a >= 0 && uniform[a] == Uniform::kNo) once = false;
    }
    const int64_t len = once ? 1 : n;
    switch (ins.kind) {
      case FusedInstr::Kind::kInput:
        // A period of one element is one value per tile (tiles end where
        // a block does); its pattern holds it `tile` times.
        uniform[r] = inputs[ins.a].period == 1 ? Uniform::kFull : Uniform::kNo;
        regs[r] = load(inputs[ins.a], begin, n, dst, patterns[ins.a]);
        if (direct && regs[r] != dst) {
          std::memcpy(dst, regs[r], n * item);
          regs[r] = dst;
        }
        continue;
      case FusedInstr::Kind::kUnary:
        FNX_DISPATCH_ALL_TYPES(ins.dtype, [&] {
          run_unary<scalar_t>(ins.prim, regs[ins.a], dst, len);
        });
        break;
      case FusedInstr::Kind::kBinary: {
        const int64_t in_item =
            static_cast<int64_t>(itemsize(prog.instrs[ins.a].dtype));
        FNX_DISPATCH_ALL_TYPES(prog.instrs[ins.a].dtype, [&] {
          run_binary<scalar_t>(ins.prim, regs[ins.a], stride(ins.a, in_item),
                               regs[ins.b], stride(ins.b, in_item), dst, len);
        });
        break;
      }
      case FusedInstr::Kind::kWhere:
        FNX_DISPATCH_ALL_TYPES(ins.dtype, [&] {
          where_run<scalar_t>(
              {dst, const_cast<char*>(regs[ins.a]),
               const_cast<char*>(regs[ins.b]), const_cast<char*>(regs[ins.c])},
              {item, stride(ins.a, 1), stride(ins.b, item),
               stride(ins.c, item)},
              len);
        });
        break;
      case FusedInstr::Kind::kCast: {
        const DType from = prog.instrs[ins.a].dtype;
        const int64_t from_step = stride(ins.a, 1);
        FNX_DISPATCH_ALL_TYPES(ins.dtype, [&] {
          using To = scalar_t;
          FNX_DISPATCH_ALL_TYPES(from, [&] {
            using From = scalar_t;
            const auto* src = reinterpret_cast<const From*>(regs[ins.a]);
            auto* out = reinterpret_cast<To*>(dst);
            for (int64_t i = 0; i < len; ++i)
              out[i] = scalar::convert<To>(src[i * from_step]);
          });
        });
        break;
      }
    }
    regs[r] = dst;
    uniform[r] = once ? Uniform::kOnce : Uniform::kNo;
    if (direct || static_cast<int32_t>(r) == reduced) fill(r);
  }
  if (!stream) return;
  for (std::size_t r = 0; r < count; ++r) {
    if (output_of[r] < 0) continue;
    fill(r);
    const int64_t item = static_cast<int64_t>(itemsize(prog.instrs[r].dtype));
    stream_copy(outputs_base[output_of[r]] + begin * item, regs[r], n * item);
  }
}

std::vector<Tensor> run_program(const FusedProgram& prog,
                                std::span<const Tensor> inputs) {
  const Shape& shape = prog.shape;
  std::vector<InputView> views;
  for (const Tensor& t : inputs) {
    FNX_CHECK(!t.is_wrapper() && t.device() == prog.device, "fused_elementwise",
              "inputs must be dense tensors on ", prog.device.str());
    InputView v;
    v.base = byte_ptr(t);
    v.itemsize = static_cast<int64_t>(itemsize(t.dtype()));
    const Strides strides = broadcast_strides(t, shape);
    v.contiguous = strides == contiguous_strides(shape);
    if (!v.contiguous) find_period(shape, strides, v);
    v.plan = make_plan<1>(shape, {&strides}, {v.itemsize});
    views.push_back(std::move(v));
  }
  std::vector<Tensor> results;
  std::vector<char*> bases;
  std::vector<int32_t> output_of(prog.instrs.size(), -1);
  for (std::size_t k = 0; k < prog.outputs.size(); ++k) {
    const int32_t r = prog.outputs[k];
    results.push_back(
        make_result(OutMeta{shape, prog.instrs[r].dtype, prog.device}));
    // A register returned twice is computed once and copied after.
    if (output_of[r] < 0) {
      output_of[r] = static_cast<int32_t>(bases.size());
      bases.push_back(byte_ptr(results.back()));
    } else {
      bases.push_back(nullptr);
    }
  }
  const int64_t total = numel(shape);
  int64_t out_bytes = 0;
  for (int32_t r : prog.outputs) {
    out_bytes += total * static_cast<int64_t>(itemsize(prog.instrs[r].dtype));
  }
  const bool stream = out_bytes >= kStreamFrom;
  const int64_t grain = std::max<int64_t>(
      kTile, grain_for(static_cast<int64_t>(prog.instrs.size())));
  // The reduction: over rows of the last dims' elements (trailing), or
  // over slabs of leading or middle dims (whole slabs per chunk).
  std::optional<FusedRowReduction> reduce;
  std::optional<FusedSlabReduction> slabs;
  Tensor reduced;
  if (prog.reduction.has_value()) {
    const FusedReduction& red = *prog.reduction;
    const DType dt = prog.instrs[red.reg].dtype;
    const std::optional<ReductionBlock> block =
        reduction_block(shape, red.attrs);
    FNX_CHECK(block.has_value(), "fused_elementwise", "dims ",
              shape_str(red.attrs.dims), " of ", shape_str(shape),
              " are not one block of consecutive dims");
    reduced =
        make_result(OutMeta{fused_reduction_shape(prog), dt, prog.device});
    if (total == 0) {
      std::memset(byte_ptr(reduced), 0,
                  static_cast<std::size_t>(reduced.numel()) * itemsize(dt));
    }
    if (block->inner == 1) {
      reduce.emplace(red.prim, dt, std::max<int64_t>(block->reduced, 1),
                     byte_ptr(reduced));
    } else {
      slabs.emplace(red.prim, dt, block->reduced, block->inner,
                    byte_ptr(reduced));
    }
  }
  // Slots pay from a few tiles on; below, each register keeps its own (the
  // assignment would cost more than a small program's pass).
  int32_t n_slots = static_cast<int32_t>(prog.instrs.size());
  std::vector<int32_t> slot;
  if (total >= kSlotsFrom) slot = assign_slots(prog, &n_slots);
  auto run_chunk = [&](int64_t b, int64_t e, FusedRowChunk* chunk) {
    // Registers of one tile, reused across calls on this thread (not
    // zeroed: every register is written before it is read).
    thread_local std::vector<char> scratch;
    thread_local std::vector<const char*> regs;
    thread_local std::vector<Uniform> uniform;
    thread_local std::vector<double> slab_acc;
    thread_local std::vector<const char*> patterns;
    thread_local std::vector<int64_t> pattern_block;
    const int64_t tile = std::min(kTile, e - b);
    const std::size_t regs_bytes =
        static_cast<std::size_t>(n_slots) *
        static_cast<std::size_t>(register_bytes(tile));
    std::size_t need = regs_bytes;
    for (const InputView& v : views) {
      if (v.period > 0) need += (tile + v.period) * v.itemsize + 64;
    }
    if (scratch.size() < need) scratch.resize(need);
    regs.resize(prog.instrs.size());
    uniform.resize(prog.instrs.size());
    // The periodic inputs' patterns, after the registers, filled for the
    // block each is in (once per chunk for those with one pattern).
    patterns.assign(views.size(), nullptr);
    pattern_block.assign(views.size(), -1);
    char* next = scratch.data() + regs_bytes;
    for (std::size_t i = 0; i < views.size(); ++i) {
      const InputView& v = views[i];
      if (v.period == 0) continue;
      patterns[i] = next;
      next += (tile + v.period) * v.itemsize + 64;
    }
    for (int64_t t = b; t < e;) {
      int64_t n = std::min(tile, e - t);
      for (std::size_t i = 0; i < views.size(); ++i) {
        const InputView& v = views[i];
        if (v.period == 0) continue;
        const int64_t at = v.block == 0 ? 0 : t / v.block;
        if (v.block > 0) n = std::min(n, v.block - t % v.block);
        if (pattern_block[i] == at) continue;
        fill_pattern(const_cast<char*>(patterns[i]),
                     v.base + at * v.period * v.itemsize, v.itemsize, v.period,
                     tile + v.period);
        pattern_block[i] = at;
      }
      run_tile(prog, views, bases, output_of, t, n, tile, stream,
               scratch.data(), patterns, slot, regs, uniform);
      if (chunk != nullptr) {
        reduce->feed(*chunk, t, regs[prog.reduction->reg], n);
      } else if (slabs.has_value()) {
        slabs->feed(slab_acc, t, regs[prog.reduction->reg], n);
      }
      t += n;
    }
    if (chunk != nullptr) reduce->finish(*chunk);
    if (stream) stream_fence();
  };
  if (slabs.has_value()) {
    const int64_t slab = slabs->slab();
    if (total > 0) {
      parallel_for(0, total / slab, std::max<int64_t>(1, grain / slab),
                   [&](int64_t b, int64_t e) {
                     run_chunk(b * slab, e * slab, nullptr);
                   });
    }
  } else if (!reduce.has_value()) {
    parallel_for(0, total, grain,
                 [&](int64_t b, int64_t e) { run_chunk(b, e, nullptr); });
  } else if (total > 0) {
    // Chunks of our own, one state each, merged in order after the loop.
    const int64_t n_chunks =
        std::clamp<int64_t>(total / grain, 1, max_threads());
    std::vector<FusedRowChunk> chunks(static_cast<std::size_t>(n_chunks));
    for (int64_t c = 0; c < n_chunks; ++c) {
      chunks[c].begin = total * c / n_chunks;
      chunks[c].end = total * (c + 1) / n_chunks;
    }
    parallel_for(0, n_chunks, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        run_chunk(chunks[c].begin, chunks[c].end, &chunks[c]);
      }
    });
    reduce->merge(chunks);
  }
  for (std::size_t k = 0; k < prog.outputs.size(); ++k) {
    if (bases[k] == nullptr) {
      results[k] = results[output_of[prog.outputs[k]]];
    }
  }
  if (prog.reduction.has_value()) results.push_back(std::move(reduced));
  return results;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  set_fused_runner(
      DeviceType::CPU, &run_program,
      FusedRunnerCaps{.trailing_reduction = true, .middle_reduction = true});
}

}  // namespace fnx::cpu
