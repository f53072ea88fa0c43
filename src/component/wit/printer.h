// A component's type as a WIT world (WIT.md), as `wasm-tools component wit`
// prints it: the world with its imports and exports, then each imported or
// exported interface's body inside a nested `package ns:pkg@ver { ... }`
// block, so that one text says the whole world.
//
// Resolved types carry no names, so the printer recovers them from the
// type exports of each instance type: `(export "foo" (type (eq N)))` names
// the ValType (or ResourceType) object it denotes, by identity. References
// to that object print the name; everything else prints structurally
// (list<u8>, option<T>, result<T, E>, tuple<...>). What identity cannot
// tell, the binary can (hints.h): given the ValidatedComponent, imported
// interfaces and the world's own imports print their types as the binary
// spells them (`filesize`, not `u64`) and `use` the interface a type was
// aliased from. Exported interfaces (instances wit-component builds from a
// shim, with no type of their own in the binary) and everything given only
// a ComponentType are printed from the resolved types, where:
//   - aliases of primitive types (`type instant = u64`) are all one shared
//     object per primitive, so references print `u64`, not `instant` (the
//     alias itself is still printed, and means the same world);
//   - records, variants, enums and flags are copied per import and export
//     by the validator, so a `use` of one is recognized by structure and
//     name (a renaming `use x.{a as b}` prints as a second definition);
//   - a resource `use`d through a chain of interfaces is used from the
//     first interface that defined it.
// What has no WIT form prints as a comment: core modules, components and
// values; instances nested in instances; functions under interface names.
// A world-level function that uses a type of an inline `interface { }`
// prints the type's name, which WIT cannot resolve there.
#pragma once

#include <string>
#include <string_view>

#include "component/validate/types.h"

namespace weft::component {

struct ValidatedComponent;

struct WitOptions {
  std::string package = "root:component";  // the package the world is declared in
  std::string world = "root";
};

std::string world_to_wit(const ComponentType& type, const WitOptions& options = {});
// The same with the component's binary at hand: see above.
std::string world_to_wit(const ValidatedComponent& component, const WitOptions& options = {});

// `name`, or `%name` when it is a WIT keyword.
std::string wit_identifier(std::string_view name);

}  // namespace weft::component
