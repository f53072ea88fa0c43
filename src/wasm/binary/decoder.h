// The WebAssembly binary decoder: bytes → ModuleDecl. Checks the structure
// of the binary (the spec's "malformed" errors); semantic checks (index
// bounds, types, constant-expression typing) are the validator's. Function
// bodies and constant expressions are returned as byte ranges.
#pragma once

#include <cstdint>
#include <span>

#include "wasm/module.h"
#include "weft/result.h"

namespace weft::wasm {

Result<ModuleDecl> decode_module(std::span<const uint8_t> bytes);

// Section id → "type", "import", ... ("custom" for 0, "unknown" otherwise).
const char* section_name(uint8_t id);

// True if `op` (a single-byte opcode, not a prefix) exists in WebAssembly 2.0
// without SIMD. 0xFC is a prefix and counts as existing.
bool is_known_opcode(uint8_t op);

}  // namespace weft::wasm
