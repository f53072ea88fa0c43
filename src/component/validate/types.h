// The component validator's type model: what each index of a component's
// index spaces denotes, with every type index resolved away.
//
// Value types are component::ValType trees (include/weft/component_value.h).
// Resource types are objects compared by identity; an abstract resource (a
// `(sub resource)` import or export in a component or instance type) is a
// ResourceType too, and type checking binds abstract resources to actual
// ones through a ResourceMap rather than by mutating types.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "weft/component_value.h"
#include "weft/result.h"
#include "weft/weft.h"

namespace weft::component {

using ResourcePtr = std::shared_ptr<const ResourceType>;
using FuncTypePtr = std::shared_ptr<const FuncType>;

// ---- core ------------------------------------------------------------------

enum class CoreExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3, Tag = 4 };
const char* to_string(CoreExternKind kind);

struct CoreExtern {
  CoreExternKind kind = CoreExternKind::Func;
  weft::FuncType func;  // Func, Tag
  TableType table;
  MemoryType memory;
  GlobalType global;
};

struct CoreModuleType {
  struct Import {
    std::string module;
    std::string name;
    CoreExtern type;
  };
  std::vector<Import> imports;
  std::vector<std::pair<std::string, CoreExtern>> exports;
};
using CoreModuleTypePtr = std::shared_ptr<const CoreModuleType>;

struct CoreInstanceType {
  std::vector<std::pair<std::string, CoreExtern>> exports;
  const CoreExtern* find(std::string_view name) const;
};
using CoreInstanceTypePtr = std::shared_ptr<const CoreInstanceType>;

// A core type index: a function type or a module type.
struct CoreTypeDef {
  bool is_module = false;
  weft::FuncType func;
  CoreModuleTypePtr module;
};

// ---- component level ---------------------------------------------------------

struct InstanceType;
struct ComponentType;
using InstanceTypePtr = std::shared_ptr<const InstanceType>;
using ComponentTypePtr = std::shared_ptr<const ComponentType>;

// What a type index denotes.
struct TypeDef {
  enum class Kind : uint8_t { Value, Func, Component, Instance, Resource };
  Kind kind = Kind::Value;
  ValTypePtr value;
  FuncTypePtr func;
  ComponentTypePtr component;
  InstanceTypePtr instance;
  ResourcePtr resource;
  // Whether this type index is an externally visible name in the scope
  // being validated: introduced by an import or export, or an alias of
  // one (Explainer.md, "External Visibility of Types").
  enum class Naming : uint8_t { None, Import, Export };
  Naming naming = Naming::None;
};
const char* to_string(TypeDef::Kind kind);

enum class ExternKind : uint8_t { Module, Func, Value, Type, Component, Instance };
const char* to_string(ExternKind kind);

// The type of an import, export, or item of a component-level index space.
struct Extern {
  ExternKind kind = ExternKind::Func;
  CoreModuleTypePtr module;
  FuncTypePtr func;
  ValTypePtr value;
  TypeDef type;  // Type: the type itself (a resource: the resource)
  ComponentTypePtr component;
  InstanceTypePtr instance;
};

struct NamedExtern {
  std::string name;
  Extern type;
};

struct InstanceType {
  std::vector<NamedExtern> exports;
  // The abstract resources this type introduces (its `(sub resource)`
  // exports, nested instances' included). Each import or instantiation of
  // the type gets fresh copies of these.
  std::vector<ResourcePtr> abstract_resources;
  // Set when a declared export uses a type with no external name: such an
  // instance type is definable but may not be imported or exported
  // (visibility is checked when the type is attached to one).
  std::string unexportable;
  const Extern* find(std::string_view name) const;
};

struct ComponentType {
  std::vector<NamedExtern> imports;
  std::vector<NamedExtern> exports;
  // Abstract resources introduced by imports (bound by the instantiator's
  // arguments) and by exports (fresh per instantiation).
  std::vector<ResourcePtr> imported_resources;
  std::vector<ResourcePtr> exported_resources;
};

// Abstract resource → the resource it stands for in the current check.
class ResourceMap {
 public:
  void bind(const ResourceType* abstract, ResourcePtr actual) {
    map_[abstract] = std::move(actual);
  }
  // Follows bindings to the end of the chain (bounded: a cycle ends it).
  const ResourceType* resolve(const ResourceType* r) const;
  ResourcePtr resolve_ptr(const ResourcePtr& r) const;
  bool empty() const { return map_.empty(); }

 private:
  std::map<const ResourceType*, ResourcePtr> map_;
};

// ---- checks ------------------------------------------------------------------

// Value types are equal structurally, resources by identity after `map`.
bool types_equal(const ValType& a, const ValType& b, const ResourceMap& map);
bool func_types_equal(const FuncType& a, const FuncType& b, const ResourceMap& map);

// `actual` can stand where `expected` is required. Binds `expected`'s
// abstract resources (and, for component imports, `actual`'s) in `map` as
// it goes. On failure, `why` says what differs ("export `f`: type mismatch
// in parameter `x`").
bool is_subtype(const Extern& actual, const Extern& expected, ResourceMap& map, std::string& why);
bool core_extern_matches(const CoreExtern& actual, const CoreExtern& expected, std::string& why);

// A copy of `type` with `map` applied to every resource.
ValTypePtr substitute(const ValTypePtr& type, const ResourceMap& map);
FuncTypePtr substitute(const FuncTypePtr& type, const ResourceMap& map);
Extern substitute(const Extern& type, const ResourceMap& map);
InstanceTypePtr substitute(const InstanceTypePtr& type, const ResourceMap& map);
ComponentTypePtr substitute(const ComponentTypePtr& type, const ResourceMap& map);

// Binds each of `abstract` to a new resource named like it in `map`.
void freshen(const std::vector<ResourcePtr>& abstract, ResourceMap& map);

// "func(a: u32) -> string", "instance { ... }" for messages and inspect.
std::string to_string(const FuncType& type);
std::string describe(const Extern& type);

}  // namespace weft::component
