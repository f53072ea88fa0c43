// A component's type as a WIT world (WIT.md), as `wasm-tools component wit`
// prints it: the world with its imports and exports, then each imported or
// exported interface's body inside a nested `package ns:pkg@ver { ... }`
// block, so that one text says the whole world.
//
// Resolved types carry no names, so the printer recovers them from the
// type exports of each instance type: `(export "foo" (type (eq N)))` names
// the ValType (or ResourceType) object it denotes, by identity. References
// to that object print the name; everything else prints structurally
// (list<u8>, option<T>, result<T, E>, tuple<...>). The limits of that:
//   - aliases of primitive types (`type instant = u64`) are all one shared
//     object per primitive, so references print `u64`, not `instant` (the
//     alias itself is still printed, and means the same world);
//   - named types copied by resource substitution are matched structurally
//     within their interface (two identical records there share one name);
//   - imports/exports with no WIT form (core modules, components, values)
//     print as comments.
#pragma once

#include <string>
#include <string_view>

#include "component/validate/types.h"

namespace weft::component {

struct WitOptions {
  std::string package = "root:component";  // the package the world is declared in
  std::string world = "root";
};

std::string world_to_wit(const ComponentType& type, const WitOptions& options = {});

// `name`, or `%name` when it is a WIT keyword.
std::string wit_identifier(std::string_view name);

}  // namespace weft::component
