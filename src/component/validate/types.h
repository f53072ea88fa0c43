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
  // Set when the type uses WebAssembly 3.0 (GC) types that weft::FuncType
  // and weft::ValType cannot say (a struct reference, a subtyped function
  // type, ...); `func`/`table`/`global` then hold nothing meaningful. weft's
  // core engine has no GC, so such an extern matches nothing.
  bool gc = false;
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

// ---- WebAssembly 3.0 (GC) types ----------------------------------------------
//
// A recursion group is validated once and kept with every reference in it
// resolved: a concrete heap type names (group, index) rather than an index
// into some scope's core type space, so the types survive outer aliases.
// Types are compared by identity, not by the GC spec's iso-recursive
// equivalence (two separately written, identical groups are distinct here).

struct CoreRecGroup;

// A concrete heap type: type `index` of recursion group `group`.
struct CoreTypeRef {
  const CoreRecGroup* group = nullptr;
  uint32_t index = 0;
  bool operator==(const CoreTypeRef&) const = default;
};

// A value type: a number/vector type, or (ref null? ht) where ht is an
// abstract heap type (its binary byte, 0x69 exn .. 0x74 noexn) or concrete.
struct CoreGcValType {
  bool is_ref = false;
  weft::ValType num = weft::ValType::I32;  // !is_ref
  bool nullable = false;
  uint8_t abstract_heap = 0;  // 0: `concrete`
  CoreTypeRef concrete;
};

struct CoreGcField {
  uint8_t packed = 0;  // 0x78 i8, 0x77 i16, 0: `type`
  CoreGcValType type;
  bool is_mutable = false;
};

// One subtype of a group.
struct CoreGcType {
  enum class Kind : uint8_t { Func, Struct, Array };
  Kind kind = Kind::Func;
  bool is_final = true;
  std::optional<CoreTypeRef> supertype;
  std::vector<CoreGcValType> params;  // Func
  std::vector<CoreGcValType> results;
  std::vector<CoreGcField> fields;  // Struct; Array: one
};

struct CoreRecGroup {
  std::vector<CoreGcType> types;
  // The earlier groups this one's references point into, kept alive by it.
  std::vector<std::shared_ptr<const CoreRecGroup>> uses;
};
using CoreRecGroupPtr = std::shared_ptr<const CoreRecGroup>;

// `sub` is a subtype of `super` (declared: matching at one level, with
// concrete heap types related by identity and declared supertypes).
bool core_gc_matches(const CoreGcType& sub, const CoreGcType& super);

// A core type index: a function type, a module type, or a WebAssembly 3.0
// type (`gc` set: type `gc_index` of that group; a plain function type
// gets a group of its own when a GC type first refers to it).
struct CoreTypeDef {
  bool is_module = false;
  weft::FuncType func;  // a function type weft::FuncType can say
  CoreModuleTypePtr module;
  CoreRecGroupPtr gc;
  uint32_t gc_index = 0;
  // A function type usable as a weft::FuncType (for imports, canon
  // built-ins): not a module, and not a GC type other than a plain one.
  bool is_plain_func() const { return !is_module && !gc_only; }
  bool gc_only = false;  // defined as a GC type (struct, array, sub, rec, typed refs)
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
