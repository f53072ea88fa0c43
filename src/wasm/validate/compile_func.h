// Validation + compilation of one function body (the spec's operand/control
// stack algorithm, emitting interpreter code in the same pass).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "wasm/interp/code.h"
#include "wasm/module.h"
#include "weft/result.h"

namespace weft::validate {

struct ModuleContext {
  const wasm::ModuleDecl& decl;
  // Functions that may be named by ref.func inside bodies: those appearing
  // in elem segments, exports and constant expressions outside bodies.
  std::vector<uint8_t> declared_funcs;
  // WebAssembly 3.0's multi-memory; off, a module has at most one memory
  // and memory instructions carry 2.0's reserved zero bytes.
  bool multi_memory = true;
};

Result<std::unique_ptr<detail::CompiledFunc>> compile_function(const ModuleContext& ctx,
                                                               uint32_t func_index);

}  // namespace weft::validate
