// Component instantiation: walks a validated component's definitions in
// binary order, building each index space out of live objects (Explainer.md:
// "a component instance is a graph of core instances plus lift/lower
// adapters"). Validation has checked every index and type already; what can
// fail here is linking (a missing host definition) and running core code
// (start functions, segment initialisation).
#include <array>
#include <cstring>
#include <map>

#include "component/abi/util.h"
#include "component/runtime/state.h"
#include "wasm/binary/reader.h"

namespace weft::component {

namespace {

using detail::InstanceState;
using detail::RtComponentDef;
using detail::RtCoreInstance;
using detail::RtExtern;
using detail::RtFunc;
using detail::RtInstance;
using detail::RuntimeResource;
using detail::RuntimeResourcePtr;
using detail::Scope;

Error link_error(std::string message) { return Error::link(std::move(message)); }

abi::CoreFn core_fn_of(weft::Func f) {
  return [f](std::span<const abi::CoreValue> args) -> Result<std::vector<abi::CoreValue>> {
    return f.call(args);
  };
}

using detail::ThreadContexts;

// A core function that traps when called, for a definition weft validates
// but does not run. It traps the way the spec's definition would first:
// with "cannot leave component instance" while the instance may not leave
// (a post-return or realloc is running), when the definition checks that.
HostFunc unsupported_core_func(abi::ComponentInstance* inst, std::string what,
                               bool checks_may_leave) {
  return [inst, what = std::move(what), checks_may_leave](Caller&, std::span<const weft::Value>,
                                                          std::span<weft::Value>) -> Result<void> {
    if (checks_may_leave && !inst->may_leave) return abi::detail::trap(abi::detail::kCannotLeave);
    return abi::detail::trap(what);
  };
}

class Instantiator {
 public:
  Instantiator(InstanceState& state, const ComponentLinker& linker)
      : state_(state), linker_(linker) {
    state_.threads = threads_;
  }

  // The host definitions of `info`'s imports (the root component's), one
  // per import in order, except those `provided` marks (left empty).
  // Independent of any store, so the linker caches it.
  Result<std::vector<RtExtern>> resolve_root_imports(const ComponentInfo& info,
                                                     const std::vector<bool>& provided);
  void use_root_imports(std::shared_ptr<const std::vector<RtExtern>> imports) {
    root_imports_ = std::move(imports);
  }
  // Root imports taken from other instances: per import, null or the
  // provider's export (which the InstanceState keeps alive).
  void use_provided_imports(std::vector<const RtExtern*> provided) {
    provided_ = std::move(provided);
  }

  // Instantiates `info` with `args` (nested) or the linker (root, args null).
  Result<detail::RtInstancePtr> run(const ComponentInfo& info, const Scope* parent,
                                    abi::ComponentInstance* parent_abi,
                                    const std::vector<std::pair<std::string_view, RtExtern>>* args,
                                    uint32_t depth);

 private:
  // The host resources bound so far, by type: an interface that `use`s
  // another's resource re-exports the same type, and gets the same binding.
  using BoundResources = std::unordered_map<const ResourceType*, RuntimeResourcePtr>;
  Result<RtExtern> root_import(const std::string& name, const Extern& type,
                               BoundResources& bound) const;
  Result<RtExtern> item(const Scope& s, const ast::SortIdx& idx) const;
  Result<weft::Extern> core_item(const Scope& s, const ast::CoreSortIdx& idx) const;
  void push(Scope& s, const RtExtern& e);
  void push_core(Scope& s, const weft::Extern& e);
  Result<abi::CanonicalOptions> options(const Scope& s, const CanonInfo& canon) const;
  HostFunc async_builtin(Scope& s, const ast::Canon& canon);

  InstanceState& state_;
  const ComponentLinker& linker_;
  std::shared_ptr<const std::vector<RtExtern>> root_imports_;
  std::vector<const RtExtern*> provided_;
  // Shared by every instance this instantiation makes: a call may cross
  // from one to another and back. The InstanceState holds it too (reset).
  std::shared_ptr<ThreadContexts> threads_ = std::make_shared<ThreadContexts>();
  // Per component instance: its backpressure counter.
  std::map<const abi::ComponentInstance*, std::shared_ptr<int32_t>> backpressure_;
};

// The built-ins of async components (🔀, 🧵, 📝). Those whose effect is the
// same under weft's synchronous calls run as the spec defines them
// (context.get/set, backpressure.inc/dec); the rest trap when called.
HostFunc Instantiator::async_builtin(Scope& s, const ast::Canon& canon) {
  using ast::CanonKind;
  abi::ComponentInstance* inst = s.abi;
  const char* raw_name = ast::canon_name(static_cast<uint8_t>(canon.kind));
  const std::string name = raw_name ? raw_name : "?";
  switch (canon.kind) {
    case CanonKind::ContextGet:
    case CanonKind::ContextSet: {
      auto threads = threads_;
      const uint32_t slot = canon.index;  // validated: < 2
      const bool get = canon.kind == CanonKind::ContextGet;
      return [threads, slot, get, name](Caller&, std::span<const weft::Value> a,
                                        std::span<weft::Value> r) -> Result<void> {
        // Core code runs outside any call only in start functions during
        // instantiation, where the spec has no current thread either.
        if (threads->stack.empty())
          return abi::detail::trap("`" + name + "`: there is no current thread");
        uint32_t& v = threads->stack.back()[slot];
        if (get) {
          r[0] = weft::Value::i32(static_cast<int32_t>(v));
        } else {
          v = a[0].as_u32();
        }
        return {};
      };
    }
    case CanonKind::BackpressureInc:
    case CanonKind::BackpressureDec: {
      // The counter only holds back async-typed calls, which weft does not
      // run, but its bounds trap as the spec's do.
      auto& counter = backpressure_[inst];
      if (!counter) {
        counter = std::make_shared<int32_t>(0);
        state_.backpressure.push_back(counter);
      }
      auto bp = counter;
      const bool inc = canon.kind == CanonKind::BackpressureInc;
      return
          [bp, inc](Caller&, std::span<const weft::Value>, std::span<weft::Value>) -> Result<void> {
            if (inc) {
              if (++*bp == (1 << 16)) return abi::detail::trap("backpressure counter overflow");
            } else {
              if (--*bp < 0) return abi::detail::trap("backpressure counter underflow");
            }
            return {};
          };
    }
    default:
      break;
  }
  // Every other built-in starts with trap_if(not inst.may_leave) in
  // definitions.py, except thread.available-parallelism.
  return unsupported_core_func(inst, "`" + name + "`: async built-ins are not supported (WASI 0.3)",
                               canon.kind != CanonKind::ThreadAvailableParallelism);
}

void Instantiator::push(Scope& s, const RtExtern& e) {
  switch (e.kind) {
    case ExternKind::Module:
      s.core_modules.push_back(e.module);
      break;
    case ExternKind::Func:
      s.funcs.push_back(e.func);
      break;
    case ExternKind::Value:
      break;
    case ExternKind::Type:
      s.types.push_back(e.resource);
      break;
    case ExternKind::Component:
      s.components.push_back(e.component);
      break;
    case ExternKind::Instance:
      s.instances.push_back(e.instance);
      break;
  }
}

void Instantiator::push_core(Scope& s, const weft::Extern& e) {
  if (auto* f = std::get_if<weft::Func>(&e)) s.core_funcs.push_back(*f);
  if (auto* t = std::get_if<weft::Table>(&e)) s.core_tables.push_back(*t);
  if (auto* m = std::get_if<weft::Memory>(&e)) s.core_memories.push_back(*m);
  if (auto* g = std::get_if<weft::Global>(&e)) s.core_globals.push_back(*g);
  if (auto* t = std::get_if<weft::Tag>(&e)) s.core_tags.push_back(*t);
}

Result<RtExtern> Instantiator::item(const Scope& s, const ast::SortIdx& idx) const {
  RtExtern e;
  switch (idx.sort.kind) {
    case ast::SortKind::Core:
      e.kind = ExternKind::Module;
      e.module = s.core_modules.at(idx.index);
      return e;
    case ast::SortKind::Func:
      e.kind = ExternKind::Func;
      e.func = s.funcs.at(idx.index);
      return e;
    case ast::SortKind::Type:
      e.kind = ExternKind::Type;
      e.resource = s.types.at(idx.index);
      return e;
    case ast::SortKind::Component:
      e.kind = ExternKind::Component;
      e.component = s.components.at(idx.index);
      return e;
    case ast::SortKind::Instance:
      e.kind = ExternKind::Instance;
      e.instance = s.instances.at(idx.index);
      return e;
    case ast::SortKind::Value:
      break;
  }
  return Error::link("component values (the 🪙 value sort) are not supported at run time");
}

Result<weft::Extern> Instantiator::core_item(const Scope& s, const ast::CoreSortIdx& idx) const {
  switch (idx.sort) {
    case ast::CoreSort::Func:
      return weft::Extern(s.core_funcs.at(idx.index));
    case ast::CoreSort::Table:
      return weft::Extern(s.core_tables.at(idx.index));
    case ast::CoreSort::Memory:
      return weft::Extern(s.core_memories.at(idx.index));
    case ast::CoreSort::Global:
      return weft::Extern(s.core_globals.at(idx.index));
    case ast::CoreSort::Tag:
      return weft::Extern(s.core_tags.at(idx.index));
    default:
      break;
  }
  return Error::link("core sort not supported in a core instance");
}

Result<abi::CanonicalOptions> Instantiator::options(const Scope& s, const CanonInfo& canon) const {
  abi::CanonicalOptions opts;
  switch (canon.encoding) {
    case CanonInfo::Encoding::Utf8:
      opts.string_encoding = abi::StringEncoding::Utf8;
      break;
    case CanonInfo::Encoding::Utf16:
      opts.string_encoding = abi::StringEncoding::Utf16;
      break;
    case CanonInfo::Encoding::Latin1Utf16:
      opts.string_encoding = abi::StringEncoding::Latin1Utf16;
      break;
  }
  if (canon.memory) {
    weft::Memory m = s.core_memories.at(*canon.memory);
    opts.memory = [m]() -> std::span<uint8_t> {
      return {m.data(), static_cast<size_t>(m.size_bytes())};
    };
    opts.memory_identity = m.raw();
  }
  if (canon.realloc) {
    weft::Func f = s.core_funcs.at(*canon.realloc);
    opts.realloc = [f](uint32_t old_ptr, uint32_t old_size, uint32_t align,
                       uint32_t new_size) -> Result<uint32_t> {
      const weft::Value args[4] = {weft::Value::i32(static_cast<int32_t>(old_ptr)),
                                   weft::Value::i32(static_cast<int32_t>(old_size)),
                                   weft::Value::i32(static_cast<int32_t>(align)),
                                   weft::Value::i32(static_cast<int32_t>(new_size))};
      WEFT_TRY(auto results, f.call(args));
      return results.at(0).as_u32();
    };
  }
  if (canon.post_return) opts.post_return = core_fn_of(s.core_funcs.at(*canon.post_return));
  opts.async = canon.async;
  if (canon.callback) opts.callback = core_fn_of(s.core_funcs.at(*canon.callback));
  return opts;
}

// A top-level import, from the linker's host definitions.
Result<RtExtern> Instantiator::root_import(const std::string& name, const Extern& type,
                                           BoundResources& bound) const {
  RtExtern e;
  e.kind = type.kind;
  auto host_func = [&](std::string_view iface, std::string_view fname,
                       const FuncTypePtr& ft) -> Result<RtFunc> {
    const ComponentLinker::FuncDef* def = linker_.find_func(iface, fname);
    if (!def)
      return link_error(iface.empty() ? "no host definition for imported function `" +
                                            std::string(fname) + "`"
                                      : "no host definition for `" + std::string(fname) +
                                            "` of imported interface `" + std::string(iface) + "`");
    RtFunc f;
    f.type = ft;
    f.host = def->fn;
    f.interface_name = iface;
    f.name = fname;
    return f;
  };
  auto host_resource = [&](const std::string& iface, const std::string& rname,
                           const ResourcePtr& rt) -> Result<RuntimeResourcePtr> {
    if (auto it = bound.find(rt.get()); rt && it != bound.end()) return it->second;
    const ComponentLinker::ResourceDef* def = linker_.find_resource(iface, rname);
    if (!def)
      return link_error(iface.empty() ? "no host definition for imported resource `" + rname + "`"
                                      : "no host definition for resource `" + rname +
                                            "` of imported interface `" + iface + "`");
    // Immutable and store-independent, so instantiations may share it.
    auto r = std::make_shared<RuntimeResource>();
    r->name = rname;
    if (def->drop && *def->drop) r->host_drop = def->drop;
    if (rt) bound.emplace(rt.get(), r);
    return r;
  };
  switch (type.kind) {
    case ExternKind::Func: {
      WEFT_TRY(e.func, host_func("", name, type.func));
      return e;
    }
    case ExternKind::Type:
      if (type.type.kind == TypeDef::Kind::Resource) {
        WEFT_TRY(e.resource, host_resource("", name, type.type.resource));
      }
      return e;
    case ExternKind::Instance: {
      auto inst = std::make_shared<RtInstance>();
      for (const auto& x : type.instance->exports) {
        RtExtern item;
        item.kind = x.type.kind;
        switch (x.type.kind) {
          case ExternKind::Func: {
            WEFT_TRY(item.func, host_func(name, x.name, x.type.func));
            break;
          }
          case ExternKind::Type:
            if (x.type.type.kind == TypeDef::Kind::Resource) {
              WEFT_TRY(item.resource, host_resource(name, x.name, x.type.type.resource));
            }
            break;
          default:
            return link_error("imported interface `" + name + "` exports `" + x.name + "`, a " +
                              to_string(x.type.kind) +
                              ": the host provides only functions and resources");
        }
        inst->exports.emplace_back(std::string_view(x.name), std::move(item));
      }
      e.instance = inst;
      return e;
    }
    default:
      break;
  }
  return link_error("import `" + name + "`: the host cannot provide a " +
                    std::string(to_string(type.kind)));
}

Result<std::vector<RtExtern>> Instantiator::resolve_root_imports(
    const ComponentInfo& info, const std::vector<bool>& provided) {
  const ast::Component& c = *info.ast;
  std::vector<RtExtern> out;
  out.reserve(c.imports.size());
  BoundResources bound;
  for (size_t i = 0; i < c.imports.size(); ++i) {
    const ast::ImportDecl& imp = c.imports[i];
    if (i < provided.size() && provided[i]) {
      out.emplace_back();
      continue;
    }
    const Extern* type = nullptr;
    for (const auto& x : info.type->imports)
      if (x.name == imp.name.name) type = &x.type;
    if (!type) return link_error("import `" + imp.name.name + "` has no type");
    WEFT_TRY(auto e, root_import(imp.name.name, *type, bound));
    out.push_back(std::move(e));
  }
  return out;
}

// The FuncInst of `f`, binding a host import to `store`. The host call's
// closure holds one pointer, so copying it allocates nothing.
abi::FuncInst bind(const RtFunc& f, Store& store) {
  if (f.inst) return *f.inst;
  struct Binding {
    std::shared_ptr<HostFunction> fn;
    Store* store;
    std::string_view iface, name;
  };
  auto b = std::make_shared<const Binding>(Binding{f.host, &store, f.interface_name, f.name});
  return [b](const abi::OnStart& on_start, const abi::OnResolve& on_resolve,
             abi::ComponentInstance*) -> Result<void> {
    WEFT_TRY(std::vector<Val> args, on_start());
    HostCall call{*b->store, b->iface, b->name};
    WEFT_TRY(std::optional<Val> result, (*b->fn)(call, args));
    std::vector<Val> results;
    if (result) results.push_back(std::move(*result));
    return on_resolve(std::move(results));
  };
}

Result<detail::RtInstancePtr> Instantiator::run(
    const ComponentInfo& info, const Scope* parent, abi::ComponentInstance* parent_abi,
    const std::vector<std::pair<std::string_view, RtExtern>>* args, uint32_t depth) {
  if (depth > ast::kMaxNesting) return Error::limit("component instances nested too deeply");
  state_.abi_instances.push_back(std::make_unique<abi::ComponentInstance>(parent_abi));
  // Scopes live as long as the instance: component definitions keep a
  // pointer to the scope their outer aliases resolve in.
  state_.scopes.push_back(std::make_unique<Scope>());
  Scope& s = *state_.scopes.back();
  s.info = &info;
  s.parent = parent;
  s.abi = state_.abi_instances.back().get();
  // The index spaces' final sizes are known from validation.
  s.core_funcs.reserve(info.core_funcs.size());
  s.core_tables.reserve(info.core_tables.size());
  s.core_memories.reserve(info.core_memories.size());
  s.core_globals.reserve(info.core_globals.size());
  s.core_modules.reserve(info.core_modules.size());
  s.core_instances.reserve(info.core_instances.size());
  s.funcs.reserve(info.funcs.size());
  s.types.reserve(info.types.size());
  s.components.reserve(info.components.size());
  s.instances.reserve(info.instances.size());
  Store& store = *state_.store;
  const ast::Component& c = *info.ast;
  auto exports = std::make_shared<RtInstance>();
  uint32_t canon_index = 0;
  uint32_t type_index = 0;
  for (const auto& section : c.order) {
    for (uint32_t i = section.first; i < section.first + section.count; ++i) {
      switch (section.id) {
        case 0:
          break;
        case 1:
          s.core_modules.push_back(info.compiled_modules.at(i));
          break;
        case 2: {
          const ast::CoreInstance& ci = c.core_instances[i];
          auto out = std::make_shared<RtCoreInstance>();
          if (ci.kind == ast::CoreInstance::Kind::Instantiate) {
            // Imports by position: the adapter's instances export hundreds
            // of items, and a name-keyed linker would cost more than the
            // instantiation itself.
            const auto& module = s.core_modules.at(ci.module);
            const std::vector<weft::ImportInfo>& wanted = module->imports();
            std::vector<weft::Extern> imports;
            imports.reserve(wanted.size());
            for (const weft::ImportInfo& imp : wanted) {
              std::optional<weft::Extern> found;
              for (const auto& a : ci.args) {
                if (a.name != imp.module) continue;
                found = s.core_instances.at(a.instance)->find(imp.name);
                break;
              }
              if (!found)
                return link_error("core instance " + std::to_string(i) + ": nothing provides `" +
                                  imp.module + "` `" + imp.name + "`");
              imports.push_back(*found);
            }
            WEFT_TRY(out->instance, weft::Instance::create(store, module, imports));
          } else {
            out->bag.reserve(ci.exports.size());
            for (const auto& e : ci.exports) {
              WEFT_TRY(auto x, core_item(s, e.item));
              out->bag.emplace_back(std::string_view(e.name), std::move(x));
            }
          }
          s.core_instances.push_back(std::move(out));
          break;
        }
        case 3:
          break;  // core types: static only
        case 4: {
          auto def = std::make_shared<RtComponentDef>();
          def->info = info.nested.at(i);
          def->parent = &s;
          s.components.push_back(std::move(def));
          break;
        }
        case 5: {
          const ast::Instance& inst = c.instances[i];
          if (inst.kind == ast::Instance::Kind::FromExports) {
            auto bag = std::make_shared<RtInstance>();
            for (const auto& e : inst.exports) {
              WEFT_TRY(auto x, item(s, e.item));
              bag->exports.emplace_back(std::string_view(e.name.name), std::move(x));
            }
            s.instances.push_back(std::move(bag));
            break;
          }
          const detail::RtComponentDefPtr& def = s.components.at(inst.component);
          if (!def->info) return link_error("instantiating an imported component is not supported");
          std::vector<std::pair<std::string_view, RtExtern>> child_args;
          child_args.reserve(inst.args.size());
          for (const auto& a : inst.args) {
            WEFT_TRY(auto x, item(s, a.item));
            child_args.emplace_back(std::string_view(a.name), std::move(x));
          }
          WEFT_TRY(auto child, run(*def->info, def->parent, s.abi, &child_args, depth + 1));
          s.instances.push_back(std::move(child));
          break;
        }
        case 6: {
          const ast::Alias& a = c.aliases[i];
          switch (a.target) {
            case ast::Alias::Target::Export: {
              const RtExtern* e = s.instances.at(a.instance)->find(a.name);
              if (!e) return link_error("instance has no export `" + a.name + "`");
              push(s, *e);
              break;
            }
            case ast::Alias::Target::CoreExport: {
              std::optional<weft::Extern> e = s.core_instances.at(a.instance)->find(a.name);
              if (!e) return link_error("core instance has no export `" + a.name + "`");
              push_core(s, *e);
              break;
            }
            case ast::Alias::Target::Outer: {
              const Scope* target = &s;
              for (uint32_t k = 0; k < a.outer_count && target; ++k) target = target->parent;
              if (!target) return link_error("outer alias out of range");
              if (a.sort.kind == ast::SortKind::Type) {
                s.types.push_back(target->types.at(a.outer_index));
              } else if (a.sort.kind == ast::SortKind::Core &&
                         a.sort.core == ast::CoreSort::Module) {
                s.core_modules.push_back(target->core_modules.at(a.outer_index));
              } else if (a.sort.kind == ast::SortKind::Component) {
                s.components.push_back(target->components.at(a.outer_index));
              }
              break;  // core types: static only
            }
          }
          break;
        }
        case 7: {
          const ResourcePtr& defined = info.defined_resources.at(type_index++);
          if (!defined) {
            s.types.push_back(nullptr);
            break;
          }
          auto r = std::make_shared<RuntimeResource>();
          r->impl = s.abi;
          const ast::Type& t = c.types[i];
          if (t.resource.dtor) r->dtor = core_fn_of(s.core_funcs.at(*t.resource.dtor));
          s.abi->add_resource_impl(defined.get());
          state_.resources.push_back(r);
          s.types.push_back(std::move(r));
          break;
        }
        case 8: {
          const ast::Canon& canon = c.canons[i];
          const CanonInfo& ci = info.canons.at(canon_index++);
          switch (canon.kind) {
            case ast::CanonKind::Lift: {
              WEFT_TRY(auto opts, options(s, ci));
              auto lifted = abi::lift(core_fn_of(s.core_funcs.at(canon.func_index)), ci.signature,
                                      std::move(opts), *s.abi);
              if (!lifted.ok()) {
                // The ABI refuses only what needs the async runtime (async
                // types or options, streams, futures, error-context): the
                // function exists but traps when called.
                const std::string why = "`canon lift` of `" + to_string(*ci.func) +
                                        "`: " + lifted.error().message + " (WASI 0.3)";
                s.funcs.push_back(RtFunc{std::make_shared<const abi::FuncInst>(
                                             [why](const abi::OnStart&, const abi::OnResolve&,
                                                   abi::ComponentInstance*) -> Result<void> {
                                               return abi::detail::trap(why);
                                             }),
                                         ci.func,
                                         nullptr,
                                         {},
                                         {}});
                break;
              }
              abi::FuncInst fn = std::move(lifted).value();
              // Each call runs in a new implicit thread (its context slots).
              auto threads = threads_;
              s.funcs.push_back(
                  RtFunc{std::make_shared<const abi::FuncInst>(
                             [threads, fn = std::move(fn)](
                                 const abi::OnStart& on_start, const abi::OnResolve& on_resolve,
                                 abi::ComponentInstance* caller) -> Result<void> {
                               threads->stack.push_back({0, 0});
                               Result<void> r = fn(on_start, on_resolve, caller);
                               threads->stack.pop_back();
                               return r;
                             }),
                         ci.func,
                         nullptr,
                         {},
                         {}});
              break;
            }
            case ast::CanonKind::Lower: {
              WEFT_TRY(auto opts, options(s, ci));
              auto lowered = abi::lower(bind(s.funcs.at(canon.func_index), store), ci.signature,
                                        std::move(opts), *s.abi);
              if (!lowered.ok()) {
                // As for lift; canon_lower checks may_leave before anything.
                s.core_funcs.push_back(store.create_host_func(
                    ci.core_type,
                    unsupported_core_func(s.abi,
                                          "`canon lower` of `" + to_string(*ci.func) +
                                              "`: " + lowered.error().message + " (WASI 0.3)",
                                          true)));
                break;
              }
              s.core_funcs.push_back(store.create_host_func(
                  ci.core_type,
                  [fn = std::move(lowered).value()](Caller&, std::span<const weft::Value> a,
                                                    std::span<weft::Value> r) -> Result<void> {
                    WEFT_TRY(auto out, fn(a));
                    if (out.size() != r.size())
                      return Error::make_trap(TrapKind::HostError,
                                              "canon lower: wrong result count");
                    std::copy(out.begin(), out.end(), r.begin());
                    return {};
                  }));
              break;
            }
            case ast::CanonKind::ResourceNew:
            case ast::CanonKind::ResourceRep:
            case ast::CanonKind::ResourceDrop: {
              const ResourceType* rt = ci.resource.get();
              abi::ComponentInstance* inst = s.abi;
              RuntimeResourcePtr runtime = s.types.at(canon.type_index);
              HostFunc fn;
              if (canon.kind == ast::CanonKind::ResourceNew) {
                fn = [inst, rt](Caller&, std::span<const weft::Value> a,
                                std::span<weft::Value> r) -> Result<void> {
                  WEFT_TRY(uint32_t h, abi::canon_resource_new(*inst, rt, a[0].as_u32()));
                  r[0] = weft::Value::i32(static_cast<int32_t>(h));
                  return {};
                };
              } else if (canon.kind == ast::CanonKind::ResourceRep) {
                fn = [inst, rt](Caller&, std::span<const weft::Value> a,
                                std::span<weft::Value> r) -> Result<void> {
                  WEFT_TRY(uint32_t rep, abi::canon_resource_rep(*inst, rt, a[0].as_u32()));
                  r[0] = weft::Value::i32(static_cast<int32_t>(rep));
                  return {};
                };
              } else {
                fn = [inst, rt, runtime](Caller& caller, std::span<const weft::Value> a,
                                         std::span<weft::Value>) -> Result<void> {
                  static const abi::CoreFn no_dtor;
                  if (runtime && runtime->host_drop) {
                    Store* store = &caller.store();
                    const auto* drop = runtime->host_drop.get();
                    abi::CoreFn host_dtor = [store, drop](std::span<const abi::CoreValue> args)
                        -> Result<std::vector<abi::CoreValue>> {
                      (*drop)(*store, args.empty() ? 0u : args[0].as_u32());
                      return std::vector<abi::CoreValue>{};
                    };
                    return abi::canon_resource_drop(*inst, rt, a[0].as_u32(), runtime->impl,
                                                    host_dtor);
                  }
                  return abi::canon_resource_drop(*inst, rt, a[0].as_u32(),
                                                  runtime ? runtime->impl : nullptr,
                                                  runtime ? runtime->dtor : no_dtor);
                };
              }
              s.core_funcs.push_back(store.create_host_func(ci.core_type, std::move(fn)));
              break;
            }
            case ast::CanonKind::TaskReturn: {
              WEFT_TRY(auto opts, options(s, ci));
              auto shared = std::make_shared<const abi::CanonicalOptions>(std::move(opts));
              ValTypePtr result = ci.func ? ci.func->result : nullptr;
              abi::ComponentInstance* inst = s.abi;
              s.core_funcs.push_back(store.create_host_func(
                  ci.core_type,
                  [inst, result, shared](Caller&, std::span<const weft::Value> a,
                                         std::span<weft::Value>) -> Result<void> {
                    return abi::canon_task_return(*inst, result, *shared, a);
                  }));
              break;
            }
            default:
              s.core_funcs.push_back(store.create_host_func(ci.core_type, async_builtin(s, canon)));
              break;
          }
          break;
        }
        case 9:
          return link_error("start functions (the 🪙 value sort) are not supported at run time");
        case 10: {
          const ast::ImportDecl& imp = c.imports[i];
          RtExtern e;
          if (!args) {
            if (i < provided_.size() && provided_[i]) {
              e = *provided_[i];
            } else {
              if (!root_imports_ || i >= root_imports_->size())
                return Error::usage("component instantiation: root imports not resolved");
              e = (*root_imports_)[i];
            }
          } else {
            const RtExtern* found = nullptr;
            for (const auto& [n, x] : *args)
              if (n == imp.name.name) found = &x;
            if (!found) return link_error("missing instantiation argument `" + imp.name.name + "`");
            e = *found;
          }
          push(s, e);
          break;
        }
        case 11: {
          const ast::Export& exp = c.exports[i];
          if (exp.item.sort.kind == ast::SortKind::Value)
            return link_error("exported values are not supported at run time");
          WEFT_TRY(auto e, item(s, exp.item));
          exports->exports.emplace_back(std::string_view(exp.name.name), e);
          push(s, e);
          break;
        }
        case 12:
          return link_error("component values (the 🪙 value sort) are not supported at run time");
        default:
          break;
      }
    }
  }
  return detail::RtInstancePtr(exports);
}

const RtFunc* find_func(const detail::InstanceState& state, std::string_view instance_name,
                        std::string_view name) {
  if (!state.exports) return nullptr;
  const RtInstance* inst = state.exports.get();
  if (!instance_name.empty()) {
    const RtExtern* e = inst->find(instance_name);
    if (!e || e->kind != ExternKind::Instance) return nullptr;
    inst = e->instance.get();
  }
  const RtExtern* f = inst->find(name);
  if (!f || f->kind != ExternKind::Func) return nullptr;
  return &f->func;
}

// Fills in label-only variant/enum values (as scripts write them) from the
// type, and checks the value's shape, so the ABI gets what it expects.
Result<void> resolve_labels(Val& v, const ValType& t, uint32_t depth = 0) {
  if (depth > 100) return Error::usage("value nested too deeply");
  auto mismatch = [&]() {
    return Error::usage("value " + to_string(v) + " does not match type " + to_string(t));
  };
  if (v.kind != t.kind) return mismatch();
  switch (t.kind) {
    case ValKind::Variant: {
      if (v.discriminant == UINT32_MAX) {
        if (v.labels.empty()) return mismatch();
        for (uint32_t k = 0; k < t.cases.size(); ++k)
          if (t.cases[k].label == v.labels[0]) v.discriminant = k;
        if (v.discriminant == UINT32_MAX) return mismatch();
      }
      if (v.discriminant >= t.cases.size()) return mismatch();
      const ValTypePtr& ct = t.cases[v.discriminant].type;
      if (ct && v.items.size() == 1) return resolve_labels(v.items[0], *ct, depth + 1);
      return {};
    }
    case ValKind::Enum:
      if (v.discriminant == UINT32_MAX) {
        if (v.labels.empty()) return mismatch();
        for (uint32_t k = 0; k < t.labels.size(); ++k)
          if (t.labels[k] == v.labels[0]) v.discriminant = k;
        if (v.discriminant == UINT32_MAX) return mismatch();
      }
      return {};
    case ValKind::List:
    case ValKind::FixedList:
      for (auto& item : v.items) WEFT_CHECK(resolve_labels(item, *t.element, depth + 1));
      return {};
    case ValKind::Record:
    case ValKind::Tuple:
      if (v.items.size() != t.fields.size()) return mismatch();
      for (size_t k = 0; k < v.items.size(); ++k)
        WEFT_CHECK(resolve_labels(v.items[k], *t.fields[k].type, depth + 1));
      return {};
    case ValKind::Option:
      if (v.discriminant == 1 && v.items.size() == 1)
        return resolve_labels(v.items[0], *t.element, depth + 1);
      return {};
    case ValKind::Result: {
      const ValTypePtr& ct = v.discriminant == 0 ? t.element : t.error;
      if (ct && v.items.size() == 1) return resolve_labels(v.items[0], *ct, depth + 1);
      return {};
    }
    default:
      return {};
  }
}

}  // namespace

Result<ComponentInstance> ComponentLinker::instantiate(
    Store& store, const std::shared_ptr<const Component>& component) const {
  return instantiate(store, component, {});
}

Result<ComponentInstance> ComponentLinker::instantiate(
    Store& store, const std::shared_ptr<const Component>& component,
    std::span<const InstanceArgument> provided) const {
  if (!component) return Error::usage("instantiate of a null component");
  auto state = std::make_shared<detail::InstanceState>();
  state->store = &store;
  state->component = component;
  Instantiator inst(*state, *this);
  const ComponentInfo& root = *component->validated().root;
  const ast::Component& ast = *root.ast;

  // Which imports the arguments provide, and the providers' exports.
  std::vector<bool> mask;
  std::vector<const RtExtern*> provided_imports;
  std::vector<std::pair<size_t, const InstanceArgument*>> to_check;
  if (!provided.empty()) {
    mask.assign(ast.imports.size(), false);
    provided_imports.assign(ast.imports.size(), nullptr);
    state->providers.reserve(provided.size());
  }
  for (const InstanceArgument& arg : provided) {
    auto where = [&] { return "instance argument `" + arg.import_name + "`: "; };
    std::optional<size_t> index = detail::find_name(
        ast.imports.size(), [&](size_t i) -> std::string_view { return ast.imports[i].name.name; },
        arg.import_name);
    if (!index) return link_error(where() + "the component has no such import");
    if (mask[*index]) return link_error(where() + "the import is provided twice");
    const std::shared_ptr<detail::InstanceState>& ps = arg.provider.state();
    if (!ps || !ps->exports) return link_error(where() + "the provider is an empty instance");
    if (ps->store != &store) return link_error(where() + "the provider lives in another Store");
    const std::string& import_name = ast.imports[*index].name.name;
    const RtExtern* found = nullptr;
    if (!arg.export_name.empty()) {
      found = ps->exports->find(arg.export_name);
    } else {
      const auto& list = ps->exports->exports;
      if (auto k = detail::find_name(
              list.size(), [&](size_t i) { return list[i].first; }, import_name))
        found = &list[*k].second;
    }
    if (!found)
      return link_error(where() + "the provider exports no `" +
                        (arg.export_name.empty() ? import_name : arg.export_name) + "`");
    mask[*index] = true;
    provided_imports[*index] = found;
    to_check.emplace_back(*index, &arg);
    state->providers.push_back(ps);
  }

  // The types, checked once per (consumer, import, provider component, export).
  for (const auto& [index, arg] : to_check) {
    const auto& provider_component = arg->provider.state()->component;
    const std::string& import_name = ast.imports[index].name.name;
    bool known = false;
    if (link_cache_) {
      std::lock_guard<std::mutex> lock(link_cache_->mutex);
      for (const auto& c : link_cache_->checked)
        if (c.import_name == import_name && c.export_name == arg->export_name &&
            c.consumer.lock() == component && c.provider.lock() == provider_component)
          known = true;
    }
    if (known) continue;
    auto checked = check_satisfies(*component, import_name, *provider_component, arg->export_name);
    if (!checked.ok())
      return link_error("instance argument `" + arg->import_name + "`: the provider " +
                        checked.error().message);
    if (link_cache_) {
      std::lock_guard<std::mutex> lock(link_cache_->mutex);
      std::erase_if(link_cache_->checked, [](const detail::LinkCache::Checked& c) {
        return c.consumer.expired() || c.provider.expired();
      });
      link_cache_->checked.push_back(
          {component, provider_component, import_name, arg->export_name});
    }
  }

  std::shared_ptr<const std::vector<RtExtern>> imports;
  if (link_cache_) {  // null only in a moved-from linker
    std::lock_guard<std::mutex> lock(link_cache_->mutex);
    auto it = link_cache_->entries.find(component.get());
    if (it != link_cache_->entries.end())
      for (const auto& entry : it->second)
        if (entry.definitions_id == definitions_id_ && entry.provided == mask &&
            entry.component.lock() == component)
          imports = entry.imports;
  }
  if (!imports) {
    WEFT_TRY(auto resolved, inst.resolve_root_imports(root, mask));
    imports = std::make_shared<const std::vector<RtExtern>>(std::move(resolved));
    if (link_cache_) {
      std::lock_guard<std::mutex> lock(link_cache_->mutex);
      // Entries of components that died go first, so the cache stays as
      // large as the set of live components; so do this component's
      // entries made under older definitions.
      std::erase_if(link_cache_->entries, [](const auto& entry) {
        return entry.second.empty() || entry.second.front().component.expired();
      });
      auto& list = link_cache_->entries[component.get()];
      std::erase_if(list, [&](const detail::LinkCache::Entry& e) {
        return e.definitions_id != definitions_id_ || e.component.lock() != component;
      });
      list.push_back({component, definitions_id_, mask, imports});
    }
  }
  inst.use_root_imports(std::move(imports));
  inst.use_provided_imports(std::move(provided_imports));
  WEFT_TRY(state->exports, inst.run(root, nullptr, nullptr, nullptr, 0));
  return ComponentInstance(std::move(state));
}

Result<std::optional<Val>> ComponentInstance::call(std::string_view name,
                                                   std::vector<Val> args) const {
  return call({}, name, std::move(args));
}

Result<std::optional<Val>> ComponentInstance::call(std::string_view instance_name,
                                                   std::string_view name,
                                                   std::vector<Val> args) const {
  if (!state_) return Error::usage("call on an empty component instance");
  const RtFunc* f = find_func(*state_, instance_name, name);
  if (!f) {
    std::string where = instance_name.empty() ? "" : " of `" + std::string(instance_name) + "`";
    return Error::usage("the component exports no function `" + std::string(name) + "`" + where);
  }
  const FuncType& ft = *f->type;
  if (args.size() != ft.params.size())
    return Error::usage("`" + std::string(name) + "` takes " + std::to_string(ft.params.size()) +
                        " arguments, not " + std::to_string(args.size()));
  for (size_t i = 0; i < args.size(); ++i) WEFT_CHECK(resolve_labels(args[i], *ft.params[i].type));
  if (f->inst) return abi::invoke(*f->inst, std::move(args));
  return abi::invoke(bind(*f, *state_->store), std::move(args));
}

bool ComponentInstance::at_rest() const {
  if (!state_) return false;
  if (state_->threads && !state_->threads->stack.empty()) return false;
  for (const auto& counter : state_->backpressure)
    if (*counter != 0) return false;
  for (const auto& inst : state_->abi_instances) {
    if (inst->handles.size() != 1 || !inst->may_enter || !inst->may_leave ||
        !inst->async_tasks.empty())
      return false;
  }
  return true;
}

void ComponentInstance::reset() const {
  if (!state_) return;
  if (state_->threads) state_->threads->stack.clear();
  for (const auto& counter : state_->backpressure) *counter = 0;
  for (const auto& inst : state_->abi_instances) {
    inst->handles = abi::HandleTable();
    inst->may_enter = true;
    inst->may_leave = true;
    inst->async_tasks.clear();
  }
}

std::optional<FuncType> ComponentInstance::func_type(std::string_view name) const {
  return func_type({}, name);
}

std::optional<FuncType> ComponentInstance::func_type(std::string_view instance_name,
                                                     std::string_view name) const {
  if (!state_) return std::nullopt;
  const RtFunc* f = find_func(*state_, instance_name, name);
  if (!f) return std::nullopt;
  return *f->type;
}

std::vector<std::string> ComponentInstance::instance_exports(std::string_view prefix) const {
  std::vector<std::string> out;
  if (!state_ || !state_->exports) return out;
  for (const auto& [n, e] : state_->exports->exports)
    if (e.kind == ExternKind::Instance && n.substr(0, prefix.size()) == prefix) out.emplace_back(n);
  return out;
}

}  // namespace weft::component
