// Register code → LLVM IR (translate.cpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace llvm {
class Module;
}
namespace weft::detail {
struct ModuleImpl;
}

namespace weft::native {

// The defined functions (by index among the defined ones) the translator
// covers and that are under its size cut-offs; the rest stay interpreted.
// `too_big`, if given, gets the functions left out for their size.
std::vector<uint32_t> translatable_functions(const detail::ModuleImpl& mod,
                                             std::vector<uint32_t>* too_big = nullptr);

// WEFT_TIER_INTERPRET=2,7: the functions (by index in a module's function
// space, imports first, as backtraces name them) that no module compiles. A
// test hook, like V8's --wasm-tier-mask-for-testing: it makes calls between
// the tiers testable whatever instructions the tier covers. Part of the
// code cache's key.
const std::vector<uint32_t>& kept_interpreted();

// The size cut-offs (a cap on what one function may cost to compile).
bool over_size_cut_off(const detail::ModuleImpl& mod, uint32_t defined_index);

// The symbol of defined function `defined_index`'s native code. The same
// in every process, so that a cached object names its functions.
std::string native_symbol(uint32_t defined_index);

// Adds native_symbol(i) to `m` for each i in `funcs` (all from
// translatable_functions). Calls among them are direct; calls to any other
// function go through the runtime's call helper, which finds its native
// code if it has any by then.
// `guarded`: memory 0 is guarded (MemoryInst::guarded), so loads and
// stores carry no bounds check; an out-of-bounds one faults and the fault
// handler (runtime.cpp) makes it a trap. Otherwise each access is checked.
void translate_functions(llvm::Module& m, const detail::ModuleImpl& mod,
                         std::span<const uint32_t> funcs, bool guarded);

// After optimizing: each llvm.canonicalize the translator put after a float
// operation (its NaN result must be quiet) is dropped where the operation's
// machine instruction quiets by itself, and made explicit elsewhere (an
// optimizer fold left an operand, or a min/max).
void lower_canonicalize(llvm::Module& m);

}  // namespace weft::native
