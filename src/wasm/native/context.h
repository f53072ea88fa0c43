// What machine code from the optimizing tier sees of the engine: one
// NativeContext per entry from C++ (an interpreted caller, or an embedder's
// call), shared by the native functions that entry calls directly. Field
// offsets are read by the translator (translate.cpp) with offsetof, so the
// struct stays standard-layout.
#pragma once

#include <csetjmp>
#include <cstddef>
#include <cstdint>

#include "weft/result.h"

namespace weft::detail {
struct StoreImpl;
struct InstanceImpl;
struct MemoryInst;
struct GlobalInst;
}  // namespace weft::detail

namespace weft::native {

struct NativeContext {
  // Memory 0 of the instance: read into registers at entry and again after
  // every call (a callee may grow the memory, which the helpers record here).
  uint8_t* mem_base;
  uint64_t mem_size;
  detail::GlobalInst* const* globals;
  // Polled at loop back-edges and function entries: nonzero sends the code
  // to weft_native_poll. It is the store's interrupt flag (an
  // atomic<bool>), or a flag that is always set when fuel is metered, so
  // that the common case costs one load and one branch.
  const uint8_t* poll_flag;
  uintptr_t stack_limit;  // a native frame below this address traps
  // Frames native functions may still nest (the store's max_call_depth).
  // Native code passes the count from caller to callee in a register; this
  // field holds the running function's, for what C++ reads: the helpers it
  // calls, and a trap's backtrace (also a fault's, so each function writes
  // it at entry and again after each call).
  uint64_t frames_left;
  // The function index of each native frame, for backtraces: the frame
  // entered with frames_left == n writes trace_end[-n]; trace_end is
  // trace + frames_left at the C++ entry.
  uint32_t* trace;
  uint32_t* trace_end;
  detail::StoreImpl* store;
  detail::InstanceImpl* inst;
  detail::MemoryInst* mem;
  // Where a trap goes: the C++ entry's setjmp, and the error it returns.
  std::jmp_buf* trap_jump;
  Error* error;
};

// The signature of every compiled function's entry from C++: arguments in
// slots[0..params), results written to slots[0..results) (the
// interpreter's slot encoding). Native code calls a function of its own
// batch directly, with arguments and results in registers.
using NativeEntry = void (*)(NativeContext* ctx, uint64_t* slots);

// Byte offset of GlobalInst::bits, for global.get/set in generated code.
size_t global_bits_offset();

}  // namespace weft::native

// Called from generated code (resolved by name in the JIT).
extern "C" {
[[noreturn]] void weft_native_trap(weft::native::NativeContext* ctx, uint32_t kind);
[[noreturn]] void weft_native_raise(weft::native::NativeContext* ctx);
uint32_t weft_native_call(weft::native::NativeContext* ctx, uint32_t func_index, uint64_t* slots);
uint32_t weft_native_call_indirect(weft::native::NativeContext* ctx, uint32_t type_index,
                                   uint32_t table_index, uint32_t element, uint64_t* slots);
void weft_native_poll(weft::native::NativeContext* ctx);
uint32_t weft_native_memory_grow(weft::native::NativeContext* ctx, uint32_t delta_pages);
void weft_native_memory_fill(weft::native::NativeContext* ctx, uint32_t d, uint32_t value,
                             uint32_t n);
void weft_native_memory_copy(weft::native::NativeContext* ctx, uint32_t d, uint32_t s, uint32_t n);
void weft_native_memory_init(weft::native::NativeContext* ctx, uint32_t segment, uint32_t d,
                             uint32_t s, uint32_t n);
void weft_native_data_drop(weft::native::NativeContext* ctx, uint32_t segment);
// Tables and references, as the interpreter does them; elements in slot
// encoding (TableInst::elements).
uint64_t weft_native_ref_func(weft::native::NativeContext* ctx, uint32_t func_index);
uint64_t weft_native_table_get(weft::native::NativeContext* ctx, uint32_t table, uint32_t i);
void weft_native_table_set(weft::native::NativeContext* ctx, uint32_t table, uint32_t i,
                           uint64_t value);
uint32_t weft_native_table_size(weft::native::NativeContext* ctx, uint32_t table);
uint32_t weft_native_table_grow(weft::native::NativeContext* ctx, uint32_t table, uint64_t init,
                                uint32_t n);
void weft_native_table_fill(weft::native::NativeContext* ctx, uint32_t table, uint32_t i,
                            uint64_t value, uint32_t n);
void weft_native_table_copy(weft::native::NativeContext* ctx, uint32_t dst_table,
                            uint32_t src_table, uint32_t d, uint32_t s, uint32_t n);
void weft_native_table_init(weft::native::NativeContext* ctx, uint32_t table, uint32_t segment,
                            uint32_t d, uint32_t s, uint32_t n);
void weft_native_elem_drop(weft::native::NativeContext* ctx, uint32_t segment);
// throw and throw_ref: the exception leaves as an UncaughtException error
// carrying it (a null exnref traps). `values`: the tag's parameters.
[[noreturn]] void weft_native_throw(weft::native::NativeContext* ctx, uint32_t tag,
                                    const uint64_t* values);
[[noreturn]] void weft_native_throw_ref(weft::native::NativeContext* ctx, uint64_t exnref);
// Inside a try_table (or legacy try) of native code. The calls, under a
// jump of their own: a trap or exception below returns status 1 instead of
// leaving for the C++ entry. weft_native_catch then finds, as the
// interpreter would, the clause of function `defined_index` that takes the
// exception at code word `pc`: its index in the function's catches, with
// out[0] the exnref and out[1..] the values when the clause catches the tag
// (the error cleared), or -1 (not
// an exception of this store, or no clause takes it). set_exception and
// set_exception_ref are throw and throw_ref that leave the exception in the
// context for weft_native_catch instead of raising it.
uint32_t weft_native_call_catching(weft::native::NativeContext* ctx, uint32_t func_index,
                                   uint64_t* slots);
uint32_t weft_native_call_indirect_catching(weft::native::NativeContext* ctx, uint32_t type_index,
                                            uint32_t table_index, uint32_t element,
                                            uint64_t* slots);
int32_t weft_native_catch(weft::native::NativeContext* ctx, uint32_t defined_index, uint32_t pc,
                          uint64_t* out);
void weft_native_set_exception(weft::native::NativeContext* ctx, uint32_t tag,
                               const uint64_t* values);
void weft_native_set_exception_ref(weft::native::NativeContext* ctx, uint64_t exnref);
// A memory_m instruction (a memory other than memory 0): `words` as the
// interpreter's, their slot operands indexing `slots`.
void weft_native_memory_m(weft::native::NativeContext* ctx, const uint32_t* words, uint64_t* slots);
}
