// The Component Model binary decoder: bytes → ComponentDecl (ast.h).
//
// Syntax only, following the grammar of Binary.md: every byte the spec
// defines is accepted, including the gated features (🔀 async, 🪙 values,
// 📝 error-context, 🔧 fixed-length lists, 🗺️ maps, 🧵 threads); deciding
// what weft supports is the validator's. Errors are Error::malformed with
// the absolute byte offset of the offending byte and the reason.
//
// Embedded core modules are not decoded here: they are byte ranges that the
// validator hands to wasm::decode_module. The `component-name` custom section
// is decoded best-effort (a broken one is ignored, as the spec requires).
//
// Hostile input: counts are checked against the bytes left before anything
// is reserved, nesting (components in components, declarators in
// component/instance/module types) is bounded by kMaxNesting, so stack use
// is bounded, and the decoder never reads outside the input. Memory is
// linear in the input: the tree costs at most about 250 bytes per input
// byte (a one-byte primitive type is a whole ast::Type), so embedders
// that take components from untrusted sources should cap the input size.
#pragma once

#include <cstdint>
#include <span>

#include "component/binary/ast.h"
#include "weft/result.h"

namespace weft::component {

// Decodes a whole component binary. The result owns a copy of `bytes`.
Result<ast::ComponentDecl> decode_component(std::span<const uint8_t> bytes);

// True if `bytes` starts with the component preamble: `\0asm`, version
// 0x0d 0x00, layer 0x01 0x00. (A core module has layer 0x00 0x00.)
bool is_component(std::span<const uint8_t> bytes);

// Section id → "custom", "core module", ..., "value"; "unknown" otherwise.
const char* section_name(uint8_t id);

}  // namespace weft::component
