// The optimizing tier: the interpreter's validated register code of each
// function translated to LLVM IR, optimized and compiled to machine code in
// memory (LLVM 19's ORC JIT). A function over the size cut-offs stays
// interpreted; native and interpreted code call each other through
// the interpreter's slot convention (context.h).
//
// Covered: integer and float arithmetic, conversions (with the spec's
// traps), locals, globals, loads and stores (on x86-64 without bounds
// checks: memories have guard regions, see enable()),
// branches, calls (direct between native functions, through a helper to
// anything else, call_indirect), memory.size/grow, bulk memory, table and
// reference instructions, memories other than memory 0 and exception
// handling (through helpers: a call inside a try runs under a jump of its
// own, and the interpreter's clause search picks where it goes). Only
// functions over the size cut-offs stay interpreted.
#pragma once

#include <span>
#include <string>

#include "weft/weft.h"

namespace weft::detail {
struct NativeFunc;
}

namespace weft::native {

// The process's LLVM compiler (made on first use), as the engine's hook.
const OptimizingCompiler& llvm_compiler();

// Registers llvm_compiler() with the engine and sets the default tier.
void enable(Tier default_tier);

// Waits for the background batches being compiled (Tier::Auto) and stops
// the threads; later modules start none. Call it before leaving main():
// LLVM's lazily made statics (made on a compile thread, so after the
// queue) would otherwise be destroyed under a compile still running.
void stop_background_compiles();

// A .cwasm, as `weft compile` writes it: the module's wasm and machine
// code for every function the tier translates, for this weft build and CPU
// only (the file says which; loading checks). The code is trusted as the
// weft binary is: whoever can write a .cwasm can run code as weft.
bool is_precompiled(std::span<const uint8_t> bytes);
Result<std::string> compile_precompiled(std::span<const uint8_t> wasm);
struct Precompiled {
  std::span<const uint8_t> wasm;    // for Module::compile
  std::span<const uint8_t> native;  // for CompileOptions::precompiled
};
// Checks the header, the key and the checksum; the error says which fails.
Result<Precompiled> read_precompiled(std::span<const uint8_t> bytes);

// A NativeFunc whose invoke enters `entry` (runtime.cpp); `guarded`: the
// code has no bounds checks (NativeFunc::needs_guarded_memory).
detail::NativeFunc make_native_func(const void* entry, bool guarded);

// Installs the SIGSEGV/SIGBUS handler that turns a fault of native code in
// its memory's guard region into a MemoryOutOfBounds trap (runtime.cpp).
// False where it cannot (not x86-64): code then keeps its bounds checks.
bool install_fault_handler();

}  // namespace weft::native
