// What a component binary says about its imported interfaces that resolved
// types forget, for the WIT printer: which import a `use`d type was aliased
// from (resolved resources are one object in every interface that uses
// them), and how each function and type spells its types (resolved, the
// aliases of primitives are the primitives: `filesize` is just u64).
//
// Read from the layout wit-component writes: a root-level
// `(type (instance ...))` per imported interface whose used types are
// `(alias outer 1 N (type))` of a root `(alias export $import "t" (type))`;
// and the root's own type and function imports, for the world's items.
// Anything else simply gives no hint, and the printer falls back on the
// resolved types.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "component/binary/ast.h"

namespace weft::component {

struct InterfaceHints {
  // Type export → (the import it was aliased from, its name there).
  std::map<std::string, std::pair<std::string, std::string>> uses;
  // Function export → its parameters' and result's types in WIT, by the
  // names the interface gives them.
  struct Func {
    std::vector<std::string> params;
    std::optional<std::string> result;
  };
  std::map<std::string, Func> funcs;
  // Type export defined here → its record fields' or variant cases' types
  // (nullopt: a case without payload), or for an alias the aliased type.
  std::map<std::string, std::vector<std::optional<std::string>>> parts;
};

struct WorldHints {
  InterfaceHints world;                              // the world's own imports
  std::map<std::string, InterfaceHints> interfaces;  // by the root import's name
};

WorldHints collect_hints(const ast::Component& root);

}  // namespace weft::component
