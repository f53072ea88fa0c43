// The component validator: decoded component (binary/ast.h) → a
// ComponentInfo per component, which records what every index of every
// index space denotes (types resolved, core modules compiled), so that
// instantiation can walk the definitions without re-checking anything.
//
// Errors are ErrorKind::Invalid with the byte offset of the offending
// definition and the reason, as core validation's are.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "component/abi/abi.h"
#include "component/binary/ast.h"
#include "component/validate/types.h"
#include "weft/result.h"
#include "weft/weft.h"

namespace weft::component {

struct ComponentInfo;
using ComponentInfoPtr = std::shared_ptr<const ComponentInfo>;

// A canonical definition, resolved.
struct CanonInfo {
  FuncTypePtr func;             // lift: the lifted type; lower: the lowered function's type
  abi::SignaturePtr signature;  // func's canonical-ABI shape, computed once here
  weft::FuncType core_type;     // the core function it produces or consumes
  ResourcePtr resource;         // resource.new/drop/rep
  // The options, as indices into the core index spaces.
  enum class Encoding : uint8_t { Utf8, Utf16, Latin1Utf16 } encoding = Encoding::Utf8;
  std::optional<uint32_t> memory;
  std::optional<uint32_t> realloc;
  std::optional<uint32_t> post_return;
  // 🔀 `async` and (callback f). weft validates async components so that
  // scripts defining async built-ins load; it does not run them (WASI 0.3).
  bool async = false;
  std::optional<uint32_t> callback;
};

struct ComponentInfo {
  const ast::Component* ast = nullptr;  // owned by the ValidatedComponent
  ComponentTypePtr type;                // imports and exports, as a parent sees them

  // Index spaces, in definition order.
  std::vector<weft::FuncType> core_funcs;
  std::vector<TableType> core_tables;
  std::vector<MemoryType> core_memories;
  std::vector<GlobalType> core_globals;
  std::vector<weft::FuncType> core_tags;  // each tag's type (params, no results)
  std::vector<CoreTypeDef> core_types;
  std::vector<CoreModuleTypePtr> core_modules;
  std::vector<CoreInstanceTypePtr> core_instances;
  std::vector<FuncTypePtr> funcs;
  std::vector<ValTypePtr> values;
  std::vector<TypeDef> types;
  std::vector<ComponentTypePtr> components;
  std::vector<InstanceTypePtr> instances;

  // Per definition (parallel to ast->core_modules, ->components, ->canons):
  std::vector<std::shared_ptr<const Module>> compiled_modules;
  std::vector<ComponentInfoPtr> nested;
  std::vector<CanonInfo> canons;
  // Resources defined by this component's `(type (resource ...))`, by
  // type definition (parallel to ast->types; null for other types).
  std::vector<ResourcePtr> defined_resources;
};

struct ValidatedComponent {
  ast::ComponentDecl decl;
  ComponentInfoPtr root;
};

// Decodes and validates a component binary.
// `core_options`: how its core modules are compiled (their tier).
Result<std::shared_ptr<const ValidatedComponent>> validate_component(
    std::span<const uint8_t> bytes, const CompileOptions& core_options = {});

}  // namespace weft::component
