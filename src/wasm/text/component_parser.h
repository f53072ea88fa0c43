// Internal: encodes a text (component ...) into the component binary format.
//
// The encoding follows wasm-tools' `wast` crate, the reference text parser,
// byte for byte (tests/wasm/text/component_jco_compare.py checks it): inline
// type uses become type definitions placed just before their user, inline
// export paths like (core func $i "f") become aliases placed just before
// their user, references to an enclosing scope by identifier become outer
// aliases, inline (export "x") sugar becomes exports at the end of the
// component, and consecutive definitions of one section kind share a section.
// No type checking happens here: that is validation's job.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "wasm/text/sexpr.h"
#include "weft/result.h"

namespace weft::text {

// Encodes a (component ...) node: text definitions, `binary` strings or
// `quote`d text. A leading `definition` keyword (script syntax) is accepted.
Result<std::vector<uint8_t>> encode_component_node(const Node& component, std::string_view filename,
                                                   int quote_depth = 0);

// Encodes the definitions `fields[first..]` of a component.
Result<std::vector<uint8_t>> encode_component_fields(const Node& whole, size_t first,
                                                     std::string_view filename);

}  // namespace weft::text
