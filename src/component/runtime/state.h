// The run-time side of a component instance: index spaces of live
// definitions (core funcs, memories, instances; component functions as
// canonical-ABI FuncInsts; resource bindings), built by walking the
// validated definitions in order.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "component/abi/abi.h"
#include "component/validate/validator.h"
#include "weft/component.h"

namespace weft::component::detail {

// A resource type at run time: who implements it, and how to destroy a rep.
struct RuntimeResource {
  std::string name;
  abi::ComponentInstance* impl = nullptr;  // nullptr: the host
  abi::CoreFn dtor;                        // empty: no destructor
};
using RuntimeResourcePtr = std::shared_ptr<RuntimeResource>;

struct RtFunc {
  abi::FuncInst inst;
  FuncTypePtr type;
};

struct RtInstance;
using RtInstancePtr = std::shared_ptr<const RtInstance>;
struct RtComponentDef;
using RtComponentDefPtr = std::shared_ptr<const RtComponentDef>;

struct RtExtern {
  ExternKind kind = ExternKind::Func;
  RtFunc func;
  std::shared_ptr<const Module> module;
  RuntimeResourcePtr resource;  // Type: set for resource types
  RtComponentDefPtr component;
  RtInstancePtr instance;
};

struct RtInstance {
  std::vector<std::pair<std::string, RtExtern>> exports;
  const RtExtern* find(std::string_view name) const {
    for (const auto& [n, e] : exports)
      if (n == name) return &e;
    return nullptr;
  }
};

// A core instance: a real one, or a bag of exports.
struct RtCoreInstance {
  std::vector<std::pair<std::string, weft::Extern>> exports;
  const weft::Extern* find(std::string_view name) const {
    for (const auto& [n, e] : exports)
      if (n == name) return &e;
    return nullptr;
  }
};

struct Scope;

// A component definition at run time: its validated form and the scope
// its outer aliases resolve in.
struct RtComponentDef {
  ComponentInfoPtr info;
  const Scope* parent = nullptr;
};

// The index spaces of one component instance being built.
struct Scope {
  const ComponentInfo* info = nullptr;
  const Scope* parent = nullptr;
  abi::ComponentInstance* abi = nullptr;
  std::vector<weft::Func> core_funcs;
  std::vector<weft::Table> core_tables;
  std::vector<weft::Memory> core_memories;
  std::vector<weft::Global> core_globals;
  std::vector<std::shared_ptr<const Module>> core_modules;
  std::vector<std::shared_ptr<const RtCoreInstance>> core_instances;
  std::vector<RtFunc> funcs;
  std::vector<RuntimeResourcePtr> types;  // null for types that are not resources
  std::vector<RtComponentDefPtr> components;
  std::vector<RtInstancePtr> instances;
};

struct InstanceState {
  Store* store = nullptr;
  std::shared_ptr<const Component> component;
  // Every component instance made (the root first), kept alive and at
  // stable addresses for the ABI's per-instance state.
  std::vector<std::unique_ptr<abi::ComponentInstance>> abi_instances;
  std::vector<RuntimeResourcePtr> resources;
  std::vector<std::unique_ptr<Scope>> scopes;
  RtInstancePtr exports;
};

}  // namespace weft::component::detail
