// Composition of components (`weft compose`, like `wac plug`): one
// component binary that embeds the plugs and the socket as nested
// components, instantiates each plug with imports forwarded from its own,
// instantiates the socket with every import a plug exports taken from that
// plug's instance, and re-exports the socket's exports.
//
// The composed component's imports are the parts' imports that no plug
// satisfies, one per name: a name imported by several parts becomes one
// import whose interface is the union of what they declare (an item
// declared by two must have one type). Their types are written out again
// from the validated type model, in the component text format, and encoded
// by weft's text encoder (src/wasm/text), which also embeds the parts'
// binaries unchanged. The result is validated before it is returned.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "weft/component.h"
#include "weft/result.h"

namespace weft::component {

struct ComposePart {
  std::string name;                // for messages: the file name
  std::span<const uint8_t> bytes;  // the component binary, as `component` was compiled from
  std::shared_ptr<const Component> component;
};

// Errors (usage errors) name the part and the import: a plug that
// satisfies nothing, two plugs exporting one import, a type mismatch
// (check_satisfies' message), a name imported with two types.
Result<std::vector<uint8_t>> compose(const ComposePart& socket, std::span<const ComposePart> plugs);

}  // namespace weft::component
