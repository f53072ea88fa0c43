// The interpreter's internal code: what the validator emits for each function
// body and the dispatch loop (interp.cpp) executes.
//
// Register-style: every value lives in a 64-bit frame slot — params first,
// then declared locals, then one slot per operand-stack height. The compiler
// knows the stack height at every instruction, so each instruction names its
// operand and result slots directly (no run-time push/pop).
//
// Encoding: a stream of uint32 words. An instruction is its handler word (the
// offset of the handler label from the dispatch loop's base label, filled
// from handler_offsets()), followed by its operands. Slot operands are frame
// indices; branch operands are signed word offsets from the instruction's
// first word. i32 values live zero-extended in slots, f32 as their bits.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "wasm/runtime/objects.h"

// Instructions with their operand layout (after the handler word):
//   d = destination slot, a/b/c = source slots, off = branch offset.
// clang-format off
#define WEFT_INTERP_CONTROL_OPS(X)                                                     \
  X(unreachable)     /* */                                                             \
  X(br)              /* off */                                                         \
  X(br_if)           /* c off: jump if c != 0 */                                       \
  X(br_unless)       /* c off: jump if c == 0 */                                       \
  X(br_table)        /* a n off0..off(n) (the last is the default) */                  \
  X(ret)             /* results already in slots 0.. */                                \
  X(call)            /* funcidx argbase */                                             \
  X(call_indirect)   /* typeidx table a(index) argbase */                              \
  X(throw_tag)       /* tagidx argbase: the tag's values in argbase.. */               \
  X(throw_ref)       /* a(exnref) */                                                   \
  X(copy)            /* d a */                                                         \
  X(const32)         /* d imm */                                                       \
  X(const64)         /* d lo hi */                                                     \
  X(select)          /* d a b c */                                                     \
  X(global_get)      /* d idx */                                                       \
  X(global_set)      /* idx a */                                                       \
  X(ref_is_null)     /* d a */                                                         \
  X(ref_func)        /* d funcidx */                                                   \
  X(table_get)       /* d table a */                                                   \
  X(table_set)       /* table a(index) b(value) */                                     \
  X(table_size)      /* d table */                                                     \
  X(table_grow)      /* d table a(init) b(n) */                                        \
  X(table_fill)      /* table a(i) b(value) c(n) */                                    \
  X(table_copy)      /* dst_table src_table a(d) b(s) c(n) */                          \
  X(table_init)      /* table seg a(d) b(s) c(n) */                                    \
  X(elem_drop)       /* seg */                                                         \
  X(memory_size)     /* d */                                                           \
  X(memory_grow)     /* d a */                                                         \
  X(memory_init)     /* seg a(d) b(s) c(n) */                                          \
  X(data_drop)       /* seg */                                                         \
  X(memory_copy)     /* a(d) b(s) c(n) */                                              \
  X(memory_fill)     /* a(d) b(value) c(n) */                                          \
  X(i32_load)        /* d a addend offset: ea = u32(a + addend) + offset */                                        \
  X(i64_load)                                                                          \
  X(i32_load8_s)                                                                       \
  X(i32_load8_u)                                                                       \
  X(i32_load16_s)                                                                      \
  X(i32_load16_u)                                                                      \
  X(i64_load8_s)                                                                       \
  X(i64_load8_u)                                                                       \
  X(i64_load16_s)                                                                      \
  X(i64_load16_u)                                                                      \
  X(i64_load32_s)                                                                      \
  X(i64_load32_u)                                                                      \
  X(i32_store)       /* a(addr) b(value) addend offset */                          \
  X(i64_store)                                                                         \
  X(i32_store8)                                                                        \
  X(i32_store16)                                                                       \
  X(i64_store8)                                                                        \
  X(i64_store16)                                                                       \
  X(i64_store32)                                                                       \
  /* Memory index ≠ 0 (multi-memory): sub mem ops, where sub is one of the */         \
  /* memory instructions above (as a word) and ops its operands as above; */           \
  /* memory_copy has two indices (dst_mem src_mem) before its operands. */             \
  X(memory_m)                                                                          \
  /* Fused compare + conditional jump: a b off, jump if (a op b). */                   \
  X(br_i32_eq) X(br_i32_ne) X(br_i32_lt_s) X(br_i32_lt_u) X(br_i32_gt_s) X(br_i32_gt_u) \
  X(br_i32_le_s) X(br_i32_le_u) X(br_i32_ge_s) X(br_i32_ge_u)                          \
  X(br_i64_eq) X(br_i64_ne) X(br_i64_lt_s) X(br_i64_lt_u) X(br_i64_gt_s) X(br_i64_gt_u) \
  X(br_i64_le_s) X(br_i64_le_u) X(br_i64_ge_s) X(br_i64_ge_u)                          \
  /* Same with an immediate right operand: a imm off. */                               \
  X(br_i32_eq_imm) X(br_i32_ne_imm) X(br_i32_lt_s_imm) X(br_i32_lt_u_imm)              \
  X(br_i32_gt_s_imm) X(br_i32_gt_u_imm) X(br_i32_le_s_imm) X(br_i32_le_u_imm)          \
  X(br_i32_ge_s_imm) X(br_i32_ge_u_imm)
// clang-format on

// i32 binary operators that also have an immediate-operand form
// (`name_imm`: d a imm) used when the right operand is a constant.
#define WEFT_INTERP_I32_IMM_OPS(X)                                                     \
  X(i32_add) X(i32_sub) X(i32_mul) X(i32_and) X(i32_or) X(i32_xor) X(i32_shl)          \
  X(i32_shr_s) X(i32_shr_u) X(i32_eq) X(i32_ne) X(i32_lt_s) X(i32_lt_u) X(i32_gt_s)    \
  X(i32_gt_u) X(i32_le_s) X(i32_le_u) X(i32_ge_s) X(i32_ge_u) X(i32_rotl) X(i32_rotr)

// Same for i64 (d a imm), when the constant fits a sign-extended int32.
#define WEFT_INTERP_I64_IMM_OPS(X)                                                     \
  X(i64_add) X(i64_sub) X(i64_mul) X(i64_and) X(i64_or) X(i64_xor) X(i64_shl)          \
  X(i64_shr_s) X(i64_shr_u) X(i64_rotl) X(i64_rotr) X(i64_eq) X(i64_ne) X(i64_lt_s)    \
  X(i64_lt_u) X(i64_gt_s) X(i64_gt_u) X(i64_le_s) X(i64_le_u) X(i64_ge_s) X(i64_ge_u)

// Numeric instructions: X(opcode, name, form, operand type, result type).
// Form U: d a; form B: d a b. Opcodes ≥ 0x100 are 0xFC-prefixed (0x100 + n).
// Reinterpretations and i64.extend_i32_u are plain copies in slot encoding.
#define WEFT_NUMERIC_OPS(X)                                  \
  X(0x45, i32_eqz, U, I32, I32)                              \
  X(0x46, i32_eq, B, I32, I32)                               \
  X(0x47, i32_ne, B, I32, I32)                               \
  X(0x48, i32_lt_s, B, I32, I32)                             \
  X(0x49, i32_lt_u, B, I32, I32)                             \
  X(0x4A, i32_gt_s, B, I32, I32)                             \
  X(0x4B, i32_gt_u, B, I32, I32)                             \
  X(0x4C, i32_le_s, B, I32, I32)                             \
  X(0x4D, i32_le_u, B, I32, I32)                             \
  X(0x4E, i32_ge_s, B, I32, I32)                             \
  X(0x4F, i32_ge_u, B, I32, I32)                             \
  X(0x50, i64_eqz, U, I64, I32)                              \
  X(0x51, i64_eq, B, I64, I32)                               \
  X(0x52, i64_ne, B, I64, I32)                               \
  X(0x53, i64_lt_s, B, I64, I32)                             \
  X(0x54, i64_lt_u, B, I64, I32)                             \
  X(0x55, i64_gt_s, B, I64, I32)                             \
  X(0x56, i64_gt_u, B, I64, I32)                             \
  X(0x57, i64_le_s, B, I64, I32)                             \
  X(0x58, i64_le_u, B, I64, I32)                             \
  X(0x59, i64_ge_s, B, I64, I32)                             \
  X(0x5A, i64_ge_u, B, I64, I32)                             \
  X(0x5B, f32_eq, B, F32, I32)                               \
  X(0x5C, f32_ne, B, F32, I32)                               \
  X(0x5D, f32_lt, B, F32, I32)                               \
  X(0x5E, f32_gt, B, F32, I32)                               \
  X(0x5F, f32_le, B, F32, I32)                               \
  X(0x60, f32_ge, B, F32, I32)                               \
  X(0x61, f64_eq, B, F64, I32)                               \
  X(0x62, f64_ne, B, F64, I32)                               \
  X(0x63, f64_lt, B, F64, I32)                               \
  X(0x64, f64_gt, B, F64, I32)                               \
  X(0x65, f64_le, B, F64, I32)                               \
  X(0x66, f64_ge, B, F64, I32)                               \
  X(0x67, i32_clz, U, I32, I32)                              \
  X(0x68, i32_ctz, U, I32, I32)                              \
  X(0x69, i32_popcnt, U, I32, I32)                           \
  X(0x6A, i32_add, B, I32, I32)                              \
  X(0x6B, i32_sub, B, I32, I32)                              \
  X(0x6C, i32_mul, B, I32, I32)                              \
  X(0x6D, i32_div_s, B, I32, I32)                            \
  X(0x6E, i32_div_u, B, I32, I32)                            \
  X(0x6F, i32_rem_s, B, I32, I32)                            \
  X(0x70, i32_rem_u, B, I32, I32)                            \
  X(0x71, i32_and, B, I32, I32)                              \
  X(0x72, i32_or, B, I32, I32)                               \
  X(0x73, i32_xor, B, I32, I32)                              \
  X(0x74, i32_shl, B, I32, I32)                              \
  X(0x75, i32_shr_s, B, I32, I32)                            \
  X(0x76, i32_shr_u, B, I32, I32)                            \
  X(0x77, i32_rotl, B, I32, I32)                             \
  X(0x78, i32_rotr, B, I32, I32)                             \
  X(0x79, i64_clz, U, I64, I64)                              \
  X(0x7A, i64_ctz, U, I64, I64)                              \
  X(0x7B, i64_popcnt, U, I64, I64)                           \
  X(0x7C, i64_add, B, I64, I64)                              \
  X(0x7D, i64_sub, B, I64, I64)                              \
  X(0x7E, i64_mul, B, I64, I64)                              \
  X(0x7F, i64_div_s, B, I64, I64)                            \
  X(0x80, i64_div_u, B, I64, I64)                            \
  X(0x81, i64_rem_s, B, I64, I64)                            \
  X(0x82, i64_rem_u, B, I64, I64)                            \
  X(0x83, i64_and, B, I64, I64)                              \
  X(0x84, i64_or, B, I64, I64)                               \
  X(0x85, i64_xor, B, I64, I64)                              \
  X(0x86, i64_shl, B, I64, I64)                              \
  X(0x87, i64_shr_s, B, I64, I64)                            \
  X(0x88, i64_shr_u, B, I64, I64)                            \
  X(0x89, i64_rotl, B, I64, I64)                             \
  X(0x8A, i64_rotr, B, I64, I64)                             \
  X(0x8B, f32_abs, U, F32, F32)                              \
  X(0x8C, f32_neg, U, F32, F32)                              \
  X(0x8D, f32_ceil, U, F32, F32)                             \
  X(0x8E, f32_floor, U, F32, F32)                            \
  X(0x8F, f32_trunc, U, F32, F32)                            \
  X(0x90, f32_nearest, U, F32, F32)                          \
  X(0x91, f32_sqrt, U, F32, F32)                             \
  X(0x92, f32_add, B, F32, F32)                              \
  X(0x93, f32_sub, B, F32, F32)                              \
  X(0x94, f32_mul, B, F32, F32)                              \
  X(0x95, f32_div, B, F32, F32)                              \
  X(0x96, f32_min, B, F32, F32)                              \
  X(0x97, f32_max, B, F32, F32)                              \
  X(0x98, f32_copysign, B, F32, F32)                         \
  X(0x99, f64_abs, U, F64, F64)                              \
  X(0x9A, f64_neg, U, F64, F64)                              \
  X(0x9B, f64_ceil, U, F64, F64)                             \
  X(0x9C, f64_floor, U, F64, F64)                            \
  X(0x9D, f64_trunc, U, F64, F64)                            \
  X(0x9E, f64_nearest, U, F64, F64)                          \
  X(0x9F, f64_sqrt, U, F64, F64)                             \
  X(0xA0, f64_add, B, F64, F64)                              \
  X(0xA1, f64_sub, B, F64, F64)                              \
  X(0xA2, f64_mul, B, F64, F64)                              \
  X(0xA3, f64_div, B, F64, F64)                              \
  X(0xA4, f64_min, B, F64, F64)                              \
  X(0xA5, f64_max, B, F64, F64)                              \
  X(0xA6, f64_copysign, B, F64, F64)                         \
  X(0xA7, i32_wrap_i64, U, I64, I32)                         \
  X(0xA8, i32_trunc_f32_s, U, F32, I32)                      \
  X(0xA9, i32_trunc_f32_u, U, F32, I32)                      \
  X(0xAA, i32_trunc_f64_s, U, F64, I32)                      \
  X(0xAB, i32_trunc_f64_u, U, F64, I32)                      \
  X(0xAC, i64_extend_i32_s, U, I32, I64)                     \
  X(0xAE, i64_trunc_f32_s, U, F32, I64)                      \
  X(0xAF, i64_trunc_f32_u, U, F32, I64)                      \
  X(0xB0, i64_trunc_f64_s, U, F64, I64)                      \
  X(0xB1, i64_trunc_f64_u, U, F64, I64)                      \
  X(0xB2, f32_convert_i32_s, U, I32, F32)                    \
  X(0xB3, f32_convert_i32_u, U, I32, F32)                    \
  X(0xB4, f32_convert_i64_s, U, I64, F32)                    \
  X(0xB5, f32_convert_i64_u, U, I64, F32)                    \
  X(0xB6, f32_demote_f64, U, F64, F32)                       \
  X(0xB7, f64_convert_i32_s, U, I32, F64)                    \
  X(0xB8, f64_convert_i32_u, U, I32, F64)                    \
  X(0xB9, f64_convert_i64_s, U, I64, F64)                    \
  X(0xBA, f64_convert_i64_u, U, I64, F64)                    \
  X(0xBB, f64_promote_f32, U, F32, F64)                      \
  X(0xC0, i32_extend8_s, U, I32, I32)                        \
  X(0xC1, i32_extend16_s, U, I32, I32)                       \
  X(0xC2, i64_extend8_s, U, I64, I64)                        \
  X(0xC3, i64_extend16_s, U, I64, I64)                       \
  X(0xC4, i64_extend32_s, U, I64, I64)                       \
  X(0x100, i32_trunc_sat_f32_s, U, F32, I32)                 \
  X(0x101, i32_trunc_sat_f32_u, U, F32, I32)                 \
  X(0x102, i32_trunc_sat_f64_s, U, F64, I32)                 \
  X(0x103, i32_trunc_sat_f64_u, U, F64, I32)                 \
  X(0x104, i64_trunc_sat_f32_s, U, F32, I64)                 \
  X(0x105, i64_trunc_sat_f32_u, U, F32, I64)                 \
  X(0x106, i64_trunc_sat_f64_s, U, F64, I64)                 \
  X(0x107, i64_trunc_sat_f64_u, U, F64, I64)

namespace weft::interp {

enum class Op : uint16_t {
#define WEFT_OP_ENUM(name) name,
#define WEFT_OP_ENUM_IMM(name) name##_imm,
#define WEFT_OP_ENUM_NUM(code, name, form, in, out) name,
  WEFT_INTERP_CONTROL_OPS(WEFT_OP_ENUM) WEFT_INTERP_I32_IMM_OPS(WEFT_OP_ENUM_IMM)
      WEFT_INTERP_I64_IMM_OPS(WEFT_OP_ENUM_IMM) WEFT_NUMERIC_OPS(WEFT_OP_ENUM_NUM)
#undef WEFT_OP_ENUM
#undef WEFT_OP_ENUM_IMM
#undef WEFT_OP_ENUM_NUM
          kCount
};

// The handler word of each Op (indexed by Op), from the dispatch loop.
const int32_t* handler_offsets();

}  // namespace weft::interp

namespace weft::detail {
struct InstanceImpl;
struct StoreImpl;
struct TagInst;
struct ExnInst;
}  // namespace weft::detail

namespace weft::interp {

// Runs the memory_m instruction at `pc` (a memory other than memory 0), its
// slot operands indexing `fp`: the interpreter's handler, and the optimizing
// tier's through its helper, so both tiers share one implementation.
// Returns the instruction's length in words, 0 for an out-of-bounds trap.
uint32_t run_memory_m(const detail::InstanceImpl* inst, const uint32_t* pc, uint64_t* fp);

// A new exception of `tag` with its values (the tag's parameter count of
// them) in the store, counted against its memory cap: null when over it.
// The interpreter's throw and the optimizing tier's.
detail::ExnInst* new_exception(detail::StoreImpl& store, detail::TagInst* tag,
                               const uint64_t* values);

}  // namespace weft::interp

namespace weft::detail {

// Exception handling: a catch clause of a try_table (or of a legacy try).
// When an exception reaches it, the tag's values (kCatch, kCatchRef) are
// written to slots dest.., the exnref to slot exn_dest (the _ref forms; a
// legacy catch arm keeps it there for rethrow), and execution goes on at
// code word `target` (kReturn: the clause names the function's own label,
// so the values are the results and the function returns).
// kDelegate (legacy delegate): the exception goes on to handler number
// `target` of the same function (always a later one), or with kReturn to
// the caller.
struct CatchClause {
  static constexpr uint8_t kCatch = 0, kCatchRef = 1, kCatchAll = 2, kCatchAllRef = 3,
                           kDelegate = 4;
  static constexpr uint32_t kReturn = UINT32_MAX;
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  uint8_t kind = kCatch;
  uint32_t tag = 0;  // tag index in the module (kCatch, kCatchRef)
  uint32_t target = 0;
  uint32_t dest = 0;
  uint32_t exn_dest = kNoSlot;
};
// The code words [begin, end) a try_table covers and its clauses
// catches[first, first + count). Ordered so that the first handler covering
// a position is the innermost one.
struct TryHandler {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t first = 0;
  uint32_t count = 0;
};

// A function's machine code from the optimizing tier (src/wasm/native).
// The interpreter calls `invoke` where it would enter the function: the
// arguments are in slots[0..params), the results go to slots[0..results),
// as for a host function; traps and exceptions come back as the Error.
// `frames_left`: how many more frames calls under it may nest (the store's
// max_call_depth, less the frames already in use, this one included).
struct NativeFunc {
  Result<void> (*invoke)(const NativeFunc& self, StoreImpl& store, FuncInst* func,
                         uint64_t* slots, size_t frames_left) = nullptr;
  const void* entry = nullptr;  // the tier's own calling convention
  // Compiled without bounds checks: runs only on an instance whose memory 0
  // is guarded (MemoryInst::guarded); otherwise the function runs
  // interpreted.
  bool needs_guarded_memory = false;
};

struct CompiledFunc {
  // Set once the optimizing tier has compiled this function; null while it
  // runs interpreted. Atomic: a background compile may set it while other
  // threads run the function.
  std::atomic<const NativeFunc*> native{nullptr};
  // Calls and loop back-edges run in the interpreter, for the background
  // tier-up's "hottest first" (warm()). Relaxed loads and stores, no
  // read-modify-write: increments racing on two threads may be lost, which
  // only blurs an order.
  mutable std::atomic<uint32_t> heat{0};
  std::vector<uint32_t> code;
  std::vector<TryHandler> handlers;  // empty for a function without try_table
  std::vector<CatchClause> catches;
  uint32_t func_index = 0;
  uint32_t num_params = 0;
  uint32_t num_results = 0;
  uint32_t num_locals = 0;  // declared locals (zeroed at entry), after the params
  uint32_t frame_size = 0;  // params + locals + max operand stack height
};

// Counts one call or loop iteration of `f`. Saturates, so that a function
// that stays interpreted stops writing to a line other threads read.
inline void warm(const CompiledFunc& f) {
  constexpr uint32_t kHeatCap = 1u << 16;
  const uint32_t h = f.heat.load(std::memory_order_relaxed);
  if (h < kHeatCap) f.heat.store(h + 1, std::memory_order_relaxed);
}

}  // namespace weft::detail
