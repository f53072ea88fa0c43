// weft's WebAssembly text format parser (WebAssembly 2.0, no SIMD, and the
// Component Model's text format: see component_parser.h).
//
// wat_to_wasm encodes a module the way wabt's wat2wasm does (same section
// order, minimal LEB128s, same element-segment flags, a data count section
// only when memory.init/data.drop appear), without a name section.
// parse_wast reads a spec test script into the shared command model.
//
// Errors are ErrorKind::Malformed with message "FILE:LINE:COL: reason". Any
// input is safe: nesting deeper than kMaxDepth is an error, never a crash.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "wasm/text/script.h"
#include "weft/result.h"

namespace weft::text {

// `source` is one (module ...) form — text, `binary` or `quote` — or the
// module fields without the wrapper, or one (component ...) form (text,
// `binary` or `quote`), which gives component bytes. `is_component`, when
// given, says which it was.
Result<std::vector<uint8_t>> wat_to_wasm(std::string_view source, std::string_view filename,
                                         bool* is_component = nullptr);

Result<wast::Script> parse_wast(std::string_view source, std::string_view filename);

}  // namespace weft::text
