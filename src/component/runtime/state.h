// The run-time side of a component instance: index spaces of live
// definitions (core funcs, memories, instances; component functions as
// canonical-ABI FuncInsts; resource bindings), built by walking the
// validated definitions in order.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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
  // A host resource's destructor, which needs the store it runs in (the
  // resource is shared by every store, so dtor cannot hold it).
  std::shared_ptr<ComponentLinker::ResourceDrop> host_drop;
};
using RuntimeResourcePtr = std::shared_ptr<RuntimeResource>;

// A component function. A host import is bound (made into a FuncInst) only
// where it is used: a component imports far more functions than it lowers,
// and binding one costs allocations on every instantiation.
struct RtFunc {
  std::shared_ptr<const abi::FuncInst> inst;  // null for a host import
  FuncTypePtr type;
  std::shared_ptr<HostFunction> host;
  std::string_view interface_name, name;  // the host import's (strings of the Component)
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
  std::vector<std::pair<std::string_view, RtExtern>> exports;  // names owned by the Component
  const RtExtern* find(std::string_view name) const {
    for (const auto& [n, e] : exports)
      if (n == name) return &e;
    return nullptr;
  }
};

// A core instance: a real one (its exports looked up through the module's
// sorted export index), or a bag of exports named by the component's AST.
struct RtCoreInstance {
  weft::Instance instance;
  std::vector<std::pair<std::string_view, weft::Extern>> bag;
  std::optional<weft::Extern> find(std::string_view name) const {
    if (instance) return instance.get_export(name);
    for (const auto& [n, e] : bag)
      if (n == name) return e;
    return std::nullopt;
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
  std::vector<weft::Tag> core_tags;
  std::vector<std::shared_ptr<const Module>> core_modules;
  std::vector<std::shared_ptr<const RtCoreInstance>> core_instances;
  std::vector<RtFunc> funcs;
  std::vector<RuntimeResourcePtr> types;  // null for types that are not resources
  std::vector<RtComponentDefPtr> components;
  std::vector<RtInstancePtr> instances;
};

// ComponentLinker's cache of resolved root imports (see component.h).
struct LinkCache {
  struct Entry {
    std::weak_ptr<const Component> component;  // the key's owner: a dead one never matches
    uint64_t definitions_id = 0;
    // Which root imports other instances provide (instantiate with
    // InstanceArguments): those are never resolved from host definitions,
    // and their slots in `imports` are empty. Empty: none are.
    std::vector<bool> provided;
    // One per root import, in the order of the component's imports.
    std::shared_ptr<const std::vector<RtExtern>> imports;
  };
  // A (consumer import, provider export) pair whose types check_satisfies
  // accepted, so that instantiating again checks nothing.
  struct Checked {
    std::weak_ptr<const Component> consumer, provider;
    std::string import_name, export_name;
  };
  std::mutex mutex;
  // Per component, one entry per set of provided imports it was
  // instantiated with (usually one).
  std::unordered_map<const Component*, std::vector<Entry>> entries;
  std::vector<Checked> checked;
};

// How well the import or export name `have` answers to `wanted`: 0 equal,
// 1 semver-compatible, 2 `wanted` is an unversioned interface name
// ("ns:pkg/iface") and `have` a version of it; -1 not at all.
int name_match(std::string_view have, std::string_view wanted);

// The index of the best match for `wanted` among `count` names (the first
// of equal rank), by name_match.
template <class NameAt>
std::optional<size_t> find_name(size_t count, const NameAt& name_at, std::string_view wanted) {
  std::optional<size_t> best;
  int best_rank = 3;
  for (size_t i = 0; i < count; ++i) {
    const int rank = name_match(name_at(i), wanted);
    if (rank >= 0 && rank < best_rank) best = i, best_rank = rank;
  }
  return best;
}

// find_name over a list of typed names.
std::optional<size_t> find_compatible(const std::vector<NamedExtern>& list, std::string_view name);

// The context slots of the spec's threads (context.get/set). Every call of
// a lifted function runs in a fresh implicit thread whose two slots start
// at 0; weft runs calls synchronously, so the live threads form a stack.
struct ThreadContexts {
  std::vector<std::array<uint32_t, 2>> stack;
};

struct InstanceState {
  Store* store = nullptr;
  std::shared_ptr<const Component> component;
  // Every component instance made (the root first), kept alive and at
  // stable addresses for the ABI's per-instance state.
  std::vector<std::unique_ptr<abi::ComponentInstance>> abi_instances;
  std::vector<RuntimeResourcePtr> resources;
  std::vector<std::unique_ptr<Scope>> scopes;
  // The instances that provide imports (InstanceArgument): this one calls
  // their functions and holds their resources.
  std::vector<std::shared_ptr<InstanceState>> providers;
  RtInstancePtr exports;
  // The mutable ABI state outside the abi_instances, for reset(): the
  // thread stack and each instance's backpressure counter.
  std::shared_ptr<ThreadContexts> threads;
  std::vector<std::shared_ptr<int32_t>> backpressure;
};

}  // namespace weft::component::detail
