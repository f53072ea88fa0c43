// Internal: encodes the fields of one text module (a list of s-expressions)
// into a binary module. Shared by wat_to_wasm and the script parser.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "wasm/text/sexpr.h"
#include "weft/result.h"

namespace weft::text {

// Where the text leaves the binary a choice (element segment flags), a
// module is encoded as wabt's wat2wasm does, or, inside a component, as
// wasm-tools does, so that components match it byte for byte.
enum class Flavor : uint8_t { Wabt, WasmTools };

// Encodes `fields[first..]` (each a module field such as (func ...)).
// `whole` is used for positions of errors at the end of the module.
Result<std::vector<uint8_t>> encode_module_fields(const Node& whole, size_t first,
                                                  std::string_view filename,
                                                  Flavor flavor = Flavor::Wabt);

// Encodes a (module ...) node: text fields, `binary` strings or `quote`d text.
Result<std::vector<uint8_t>> encode_module_node(const Node& module, std::string_view filename,
                                                int quote_depth = 0);

}  // namespace weft::text
