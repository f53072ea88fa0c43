// weft — Component Model embedding API.
//
// Pipeline: bytes ─► Component::compile (decode, validate, compile the
// embedded core modules) ─► ComponentLinker::instantiate into a Store ─►
// ComponentInstance::call with component values (weft/component_value.h).
//
// Host definitions are keyed by WIT interface name and function name:
// ("wasi:cli/environment@0.2.12", "get-environment"), or ("", "name") for
// a top-level function import. A guest import resolves to a host
// definition of a semver-compatible version, as in Wasmtime: 0.2.3 and
// 0.2.12 are compatible (same 0.minor), 1.1 and 1.4 are (same major); the
// newest compatible definition wins.
//
// Resources the host implements are declared with resource(): a guest sees
// them as imported resource types; a handle's value on the host side (Val
// kind Own/Borrow, `bits`) is the rep the host chose when it returned the
// resource, and `drop` runs when the guest drops its last owning handle.
//
// Composition: an import may instead be satisfied by another component
// instance's exported interface (InstanceArgument). The provider's lifted
// functions are lowered into the consumer directly, as a parent component
// links one child's export into another child's import: values never pass
// through the host, and the provider's resources keep their identity (its
// destructor runs when the consumer drops the last owning handle).
// check_satisfies() checks the types once, at start-up, without
// instantiating anything.
//
// Threading: like a core Store, a ComponentInstance belongs to one thread
// at a time. A Component is immutable and may be shared.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/component_value.h"
#include "weft/result.h"
#include "weft/weft.h"

namespace weft::component {

struct ValidatedComponent;
namespace detail {
struct InstanceState;
struct LinkCache;
}  // namespace detail

// An import or export of a component, described for tools (`weft inspect`).
struct ExternDescription {
  std::string name;
  std::string kind;  // "func", "instance", "type", "component", "module", "value"
  std::string type;  // WIT-like: "func(x: u32) -> string", or for an instance its functions
};

class Component {
 public:
  // Decode + validate + compile every embedded core module. The error
  // names the byte offset and the reason.
  // `core_options` apply to the embedded core modules (their tier).
  static Result<std::shared_ptr<const Component>> compile(std::span<const uint8_t> bytes,
                                                          const CompileOptions& core_options = {});

  const std::vector<ExternDescription>& imports() const { return imports_; }
  const std::vector<ExternDescription>& exports() const { return exports_; }
  const ValidatedComponent& validated() const { return *validated_; }

  explicit Component(std::shared_ptr<const ValidatedComponent> validated);

 private:
  std::shared_ptr<const ValidatedComponent> validated_;
  std::vector<ExternDescription> imports_;
  std::vector<ExternDescription> exports_;
};

// What a host function sees of its call.
struct HostCall {
  Store& store;
  std::string_view interface_name;  // as the guest imported it, version included
  std::string_view function_name;
};

// A host function: arguments as values (typed by the guest's import), the
// result (if the function has one) as a value. An Error traps the guest
// (Error::exit ends it with a status, as wasi:cli/exit does).
using HostFunction =
    std::function<Result<std::optional<Val>>(HostCall& call, std::vector<Val>& args)>;

class ComponentLinker {
 public:
  ComponentLinker();
  // `interface_name` "" defines a top-level function import `name`.
  void func(std::string interface_name, std::string name, HostFunction fn);
  // A host resource `name` of `interface_name`. `drop` gets the store the
  // guest runs in and the rep when the guest drops an owning handle (may
  // be empty): a linker shared by many stores finds the store's state
  // there (Store::user_data).
  using ResourceDrop = std::function<void(Store& store, uint32_t rep)>;
  std::shared_ptr<const ResourceType> resource(std::string interface_name, std::string name,
                                               ResourceDrop drop);
  std::shared_ptr<const ResourceType> resource(std::string interface_name, std::string name,
                                               std::function<void(uint32_t rep)> drop);

  // Resolves every import (link errors name the import and what is
  // missing), instantiates the core instances and runs start functions.
  Result<class ComponentInstance> instantiate(
      Store& store, const std::shared_ptr<const Component>& component) const;
  // The same, with the imports named in `provided` taken from other
  // component instances instead of host definitions. Each argument must
  // name an import of `component` and an export of its provider, which
  // must live in `store`; their types are checked as check_satisfies()
  // does (once per pair of components: the result is cached). The
  // instance keeps its providers alive.
  Result<class ComponentInstance> instantiate(
      Store& store, const std::shared_ptr<const Component>& component,
      std::span<const struct InstanceArgument> provided) const;

  struct FuncDef {
    std::string interface_name;
    std::string name;
    std::shared_ptr<HostFunction> fn;
  };
  struct ResourceDef {
    std::string interface_name;
    std::string name;
    std::shared_ptr<const ResourceType> type;
    std::shared_ptr<ResourceDrop> drop;
  };
  // The definition a guest import resolves to (semver-compatible), or null.
  const FuncDef* find_func(std::string_view interface_name, std::string_view name) const;
  const ResourceDef* find_resource(std::string_view interface_name, std::string_view name) const;

 private:
  std::vector<FuncDef> funcs_;
  std::vector<ResourceDef> resources_;
  // Name → indices into funcs_/resources_, so resolving an import looks at
  // the few definitions of that name only.
  std::map<std::string, std::vector<size_t>, std::less<>> funcs_by_name_;
  std::map<std::string, std::vector<size_t>, std::less<>> resources_by_name_;
  // Root imports resolved per component, so that instantiating a component
  // again looks nothing up. `definitions_id_` names this set of definitions
  // (process-unique, renewed by func() and resource()); an entry made under
  // another id is stale. The cache locks itself: instantiate() may run on
  // several threads at once.
  uint64_t definitions_id_ = 0;
  std::shared_ptr<detail::LinkCache> link_cache_;
  friend struct detail::LinkCache;
};

class ComponentInstance {
 public:
  ComponentInstance() = default;
  explicit ComponentInstance(std::shared_ptr<detail::InstanceState> state)
      : state_(std::move(state)) {}

  // Calls the exported function `name`, or function `name` of the exported
  // instance `instance_name` (e.g. "wasi:cli/run@0.2.0", "run"). Arguments
  // are checked against the function's type; a trap is an Error of kind Trap.
  Result<std::optional<Val>> call(std::string_view name, std::vector<Val> args) const;
  Result<std::optional<Val>> call(std::string_view instance_name, std::string_view name,
                                  std::vector<Val> args) const;
  // Recycling an instance for the next request as if it were new (with
  // Store::checkpoint/restore for its core state). at_rest(): the ABI state
  // is as instantiation leaves it: no handles in any table, no call in
  // progress, no backpressure; check it right after instantiating. reset():
  // puts the ABI state back there after a call that returned (handles the
  // guest kept are dropped, as they would be with the instance). After a
  // trap, discard the instance instead.
  bool at_rest() const;
  void reset() const;

  // The type of an exported function, if there is one by that name.
  std::optional<FuncType> func_type(std::string_view name) const;
  std::optional<FuncType> func_type(std::string_view instance_name, std::string_view name) const;
  // Exported instance names that start with `prefix` (e.g. "wasi:cli/run@").
  std::vector<std::string> instance_exports(std::string_view prefix = {}) const;

  explicit operator bool() const { return state_ != nullptr; }
  const std::shared_ptr<detail::InstanceState>& state() const { return state_; }

 private:
  std::shared_ptr<detail::InstanceState> state_;
};

// Whether `bytes` start with a component's preamble (not a core module's).
bool is_component(std::span<const uint8_t> bytes);

// An import satisfied by an export of another component instance.
struct InstanceArgument {
  // The consumer's import: an interface ("example:auth/verify@0.1.0") or a
  // top-level function, matched semver-compatibly (an exact match first);
  // an unversioned interface name ("example:auth/verify") matches any
  // version of it.
  std::string import_name;
  // An instance in the same Store as the consumer.
  ComponentInstance provider;
  // The provider's export; "" takes the export whose name is compatible
  // with import_name.
  std::string export_name;
};

// Whether `provider` exports what `consumer` imports as `import_name`
// (matched semver-compatibly; `export_name` "" takes the provider's export
// compatible with it): every function and type the import declares must be
// exported, with a type that can stand for the one imported (the Component
// Model's subtyping; resources bind by position, so a provider may export
// more). Nothing is instantiated. The error, a usage error, is worded to
// follow the provider's name: `exports no interface "example:auth/verify"`,
// `exports no function "check"`, `function "check": expected func(token:
// string) -> bool, found func(token: string) -> string`.
Result<void> check_satisfies(const Component& consumer, std::string_view import_name,
                             const Component& provider, std::string_view export_name = {});

// "wasi:cli/environment@0.2.3" and "wasi:cli/environment@0.2.12" are
// semver-compatible; so are equal names without versions.
bool interface_versions_compatible(std::string_view a, std::string_view b);

}  // namespace weft::component
