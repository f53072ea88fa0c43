// The optimizing tier: the interpreter's validated register code of each
// function translated to LLVM IR, optimized and compiled to machine code in
// memory (LLVM 19's ORC JIT). A function the translator does not cover yet
// stays interpreted; native and interpreted code call each other through
// the interpreter's slot convention (context.h).
//
// Covered: integer and float arithmetic, conversions (with the spec's
// traps), locals, globals, loads and stores with explicit bounds checks,
// branches, calls (direct between native functions, through a helper to
// anything else, call_indirect), memory.size/grow and bulk memory. Not yet:
// table and reference instructions, exception handling, multi-memory; each
// keeps its function in the interpreter.
#pragma once

#include "weft/weft.h"

namespace weft::detail {
struct NativeFunc;
}

namespace weft::native {

// The process's LLVM compiler (made on first use), as the engine's hook.
const OptimizingCompiler& llvm_compiler();

// Registers llvm_compiler() with the engine and sets the default tier.
void enable(Tier default_tier);

// A NativeFunc whose invoke enters `entry` (runtime.cpp).
detail::NativeFunc make_native_func(const void* entry);

}  // namespace weft::native
