#include "component/wit/printer.h"

#include "component/validate/validator.h"
#include "component/wit/hints.h"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <utility>
#include <vector>

namespace weft::component {

std::string wit_identifier(std::string_view name) {
  // WIT.md, "Keywords": these need the `%` escape to be used as names.
  static constexpr std::array<std::string_view, 43> kKeywords = {
      "as",        "async", "bool",         "borrow", "char", "constructor", "enum",   "export",
      "f32",       "f64",   "flags",        "from",   "func", "future",      "import", "include",
      "interface", "list",  "map",          "option", "own",  "package",     "record", "resource",
      "result",    "s16",   "s32",          "s64",    "s8",   "static",      "stream", "string",
      "tuple",     "type",  "u16",          "u32",    "u64",  "u8",          "use",    "variant",
      "with",      "world", "error-context"};
  for (std::string_view k : kKeywords)
    if (k == name) return "%" + std::string(name);
  return std::string(name);
}

namespace {

bool is_nominal(ValKind k) {
  return k == ValKind::Record || k == ValKind::Variant || k == ValKind::Enum || k == ValKind::Flags;
}

bool is_primitive(ValKind k) {
  switch (k) {
    case ValKind::Bool:
    case ValKind::S8:
    case ValKind::U8:
    case ValKind::S16:
    case ValKind::U16:
    case ValKind::S32:
    case ValKind::U32:
    case ValKind::S64:
    case ValKind::U64:
    case ValKind::F32:
    case ValKind::F64:
    case ValKind::Char:
    case ValKind::String:
    case ValKind::ErrorContext:
      return true;
    default:
      return false;
  }
}

// A function name's annotation: `[constructor]r`, `[method]r.m`, `[static]r.s`.
struct FuncName {
  enum class Kind : uint8_t { Plain, Constructor, Method, Static } kind = Kind::Plain;
  std::string resource;
  std::string label;
};

FuncName parse_func_name(std::string_view name) {
  FuncName out;
  auto strip = [&](std::string_view prefix) {
    if (name.substr(0, prefix.size()) != prefix) return false;
    name.remove_prefix(prefix.size());
    return true;
  };
  if (strip("[constructor]")) {
    out.kind = FuncName::Kind::Constructor;
    out.resource = std::string(name);
    return out;
  }
  bool method = strip("[method]");
  bool stat = !method && strip("[static]");
  size_t dot = name.find('.');
  if ((method || stat) && dot != std::string_view::npos) {
    out.kind = method ? FuncName::Kind::Method : FuncName::Kind::Static;
    out.resource = std::string(name.substr(0, dot));
    out.label = std::string(name.substr(dot + 1));
    return out;
  }
  out.label = std::string(name);
  return out;
}

// An interface extern name `ns:pkg/iface@ver` split into the package it is
// declared in (`ns:pkg@ver`) and the interface's own name.
struct InterfaceName {
  std::string package;
  std::string iface;
};

InterfaceName split_interface_name(std::string_view name) {
  std::string_view version;
  size_t at = name.find('@');
  if (at != std::string_view::npos) {
    version = name.substr(at + 1);
    name = name.substr(0, at);
  }
  InterfaceName out;
  size_t slash = name.rfind('/');
  out.package = std::string(name.substr(0, slash));
  out.iface = slash == std::string_view::npos ? std::string() : std::string(name.substr(slash + 1));
  if (!version.empty()) out.package += "@" + std::string(version);
  return out;
}

// A package or interface name (`ns:pkg/iface@ver`, `ns:pkg@ver`) with each
// of its identifiers escaped where it is a keyword.
std::string escape_path(std::string_view name) {
  std::string out;
  size_t at = name.find('@');
  std::string_view version = at == std::string_view::npos ? "" : name.substr(at);
  name = name.substr(0, std::min(at, name.size()));
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find_first_of(":/", start);
    if (end == std::string_view::npos) end = name.size();
    out += wit_identifier(name.substr(start, end - start));
    if (end < name.size()) out += name[end];
    start = end + 1;
  }
  return out + std::string(version);
}

// One naming scope: the world, an interface, or an inline `interface { }`.
struct Scope {
  enum class Kind : uint8_t { World, Interface, Inline } kind = Kind::World;
  std::string extern_name;  // Interface: `ns:pkg/iface@ver`; Inline: the plain name
  InterfaceName parts;      // Interface only
  std::map<const ValType*, std::string> value_names;
  std::map<const ResourceType*, std::string> resource_names;
  // Named records/variants/enums/flags, for types that substitution copied.
  std::vector<std::pair<const ValType*, std::string>> nominal;
  // The scope's items in component order: rendered text (possibly several
  // lines, unindented), or the `use` of one interface's types as (name
  // there, name here) pairs.
  struct Item {
    std::string text;
    const Scope* use_from = nullptr;
    std::vector<std::pair<std::string, std::string>> names;
  };
  std::vector<Item> items;
  const InterfaceHints* hints = nullptr;  // what the binary spells out, for an import

  const InterfaceHints::Func* func_hint(const std::string& name) const {
    if (!hints) return nullptr;
    auto it = hints->funcs.find(name);
    return it == hints->funcs.end() ? nullptr : &it->second;
  }
  const std::vector<std::optional<std::string>>* parts_hint(const std::string& name) const {
    if (!hints) return nullptr;
    auto it = hints->parts.find(name);
    return it == hints->parts.end() ? nullptr : &it->second;
  }
};

class Printer {
 public:
  Printer(const WitOptions& options, const WorldHints* hints) : options_(options), hints_(hints) {}

  std::string print(const ComponentType& type) {
    auto world = std::make_unique<Scope>();
    Scope& w = *world;
    scopes_.push_back(std::move(world));
    // The binary's hints are about imports: an export may share a name.
    if (hints_) w.hints = &hints_->world;
    render_items(w, type.imports, "import ");
    w.hints = nullptr;
    render_items(w, type.exports, "export ");

    std::string out =
        "package " + options_.package + ";\n\nworld " + wit_identifier(options_.world) + " {\n";
    append_body(out, w, 1);
    out += "}\n";

    // Interfaces grouped by package in order of first appearance.
    std::vector<std::string> packages;
    for (const Scope* s : interfaces_)
      if (std::find(packages.begin(), packages.end(), s->parts.package) == packages.end())
        packages.push_back(s->parts.package);
    for (const std::string& package : packages) {
      out += "\npackage " + escape_path(package) + " {\n";
      bool first = true;
      for (const Scope* s : interfaces_) {
        if (s->parts.package != package) continue;
        if (!first) out += "\n";
        first = false;
        out += "  interface " + wit_identifier(s->parts.iface) + " {\n";
        append_body(out, *s, 2);
        out += "  }\n";
      }
      out += "}\n";
    }
    return out;
  }

 private:
  // Uses first, as wasm-tools prints them (WIT resolves names regardless
  // of order), then the other items in component order.
  void append_body(std::string& out, const Scope& s, int depth) const {
    std::string indent(static_cast<size_t>(depth) * 2, ' ');
    bool uses = false;
    for (const Scope::Item& entry : s.items) {
      if (entry.use_from) {
        uses = true;
        out += indent + "use " + use_path(*entry.use_from, s) + ".{";
        for (size_t i = 0; i < entry.names.size(); ++i) {
          const auto& [there, here] = entry.names[i];
          if (i) out += ", ";
          out += wit_identifier(there);
          if (there != here) out += " as " + wit_identifier(here);
        }
        out += "};\n";
      }
    }
    bool others = std::any_of(s.items.begin(), s.items.end(),
                              [](const Scope::Item& i) { return !i.use_from; });
    if (uses && others) out += "\n";
    for (const Scope::Item& entry : s.items) {
      if (entry.use_from) continue;
      const std::string& item = entry.text;
      size_t start = 0;
      while (start < item.size()) {
        size_t nl = item.find('\n', start);
        if (nl == std::string::npos) nl = item.size();
        out += indent;
        out.append(item, start, nl - start);
        out += "\n";
        start = nl + 1;
      }
    }
  }

  // How scope `at` names interface `from` in a `use`: by the bare interface
  // name inside the same package, else by the full name.
  static std::string use_path(const Scope& from, const Scope& at) {
    if (from.kind != Scope::Kind::Interface) return wit_identifier(from.extern_name);
    if (at.kind == Scope::Kind::Interface && at.parts.package == from.parts.package)
      return wit_identifier(from.parts.iface);
    return escape_path(from.extern_name);
  }

  // One `use` item per interface used.
  static void add_use(Scope& s, const Scope& from, std::string there, std::string here) {
    auto it = std::find_if(s.items.begin(), s.items.end(),
                           [&](const Scope::Item& i) { return i.use_from == &from; });
    if (it == s.items.end()) {
      s.items.emplace_back();
      s.items.back().use_from = &from;
      it = std::prev(s.items.end());
    }
    it->names.emplace_back(std::move(there), std::move(here));
  }

  // ---- references ------------------------------------------------------------

  std::string resource_ref(const Scope& s, const ResourceType* r) const {
    if (auto it = s.resource_names.find(r); it != s.resource_names.end())
      return wit_identifier(it->second);
    // Not visible here (the binary did not re-export it into this scope):
    // the name it has elsewhere is the best guess.
    if (auto it = resource_owner_.find(r); it != resource_owner_.end())
      return wit_identifier(it->second.second);
    return r && !r->name.empty() ? wit_identifier(r->name) : std::string("resource");
  }

  const std::string* find_name(const Scope& s, const ValType& t) const {
    if (auto it = s.value_names.find(&t); it != s.value_names.end()) return &it->second;
    if (!is_nominal(t.kind)) return nullptr;
    for (const auto& [named, name] : s.nominal)
      if (*named == t) return &name;
    return nullptr;
  }

  std::string ref(const Scope& s, const ValTypePtr& p) const {
    if (!p) return "_";
    const ValType& t = *p;
    if (is_primitive(t.kind)) return to_string(t.kind);
    if (const std::string* name = find_name(s, t)) return wit_identifier(*name);
    if (auto it = value_owner_.find(&t); it != value_owner_.end())
      return wit_identifier(it->second.second);
    if (is_nominal(t.kind))
      for (const auto& scope : scopes_)
        if (const std::string* name = find_name(*scope, t)) return wit_identifier(*name);
    return structure(s, t);
  }

  // The type spelled out, its parts by reference. Records, variants, enums
  // and flags have no anonymous form in WIT; one that no scope names (only
  // possible in hand-written components) prints in the validator's syntax.
  std::string structure(const Scope& s, const ValType& t) const {
    switch (t.kind) {
      case ValKind::List:
        return "list<" + ref(s, t.element) + ">";
      case ValKind::FixedList:
        return "list<" + ref(s, t.element) + ", " + std::to_string(t.length) + ">";
      case ValKind::Option:
        return "option<" + ref(s, t.element) + ">";
      case ValKind::Result:
        if (!t.element && !t.error) return "result";
        if (!t.error) return "result<" + ref(s, t.element) + ">";
        return "result<" + ref(s, t.element) + ", " + ref(s, t.error) + ">";
      case ValKind::Tuple: {
        std::string out = "tuple<";
        for (size_t i = 0; i < t.fields.size(); ++i)
          out += (i ? ", " : "") + ref(s, t.fields[i].type);
        return out + ">";
      }
      case ValKind::Stream:
        return t.element ? "stream<" + ref(s, t.element) + ">" : "stream";
      case ValKind::Future:
        return t.element ? "future<" + ref(s, t.element) + ">" : "future";
      case ValKind::Own:
        return resource_ref(s, t.resource.get());
      case ValKind::Borrow:
        return "borrow<" + resource_ref(s, t.resource.get()) + ">";
      default:
        if (is_primitive(t.kind)) return to_string(t.kind);
        return to_string(t);
    }
  }

  // ---- definitions -----------------------------------------------------------

  // Function `name`'s parameters from `skip_params` on, and its result,
  // as the binary spells them where it can (`filesize`, not `u64`).
  std::string params_text(const Scope& s, const std::string& name, const FuncType& f,
                          size_t skip_params, bool with_result) const {
    const InterfaceHints::Func* hint = s.func_hint(name);
    if (hint && (hint->params.size() != f.params.size() || hint->result.has_value() != !!f.result))
      hint = nullptr;
    std::string out = "(";
    for (size_t i = skip_params; i < f.params.size(); ++i) {
      if (i > skip_params) out += ", ";
      out += wit_identifier(f.params[i].label) + ": " +
             (hint ? hint->params[i] : ref(s, f.params[i].type));
    }
    out += ")";
    if (f.result && with_result) out += " -> " + (hint ? *hint->result : ref(s, f.result));
    return out;
  }

  std::string func_signature(const Scope& s, const std::string& name, const FuncType& f,
                             size_t skip_params) const {
    return (f.is_async ? "async func" : "func") + params_text(s, name, f, skip_params, true);
  }

  std::string value_definition(const Scope& s, const std::string& name, const ValType& t) const {
    std::string id = wit_identifier(name);
    // The binary's spelling of the fields' and cases' types, if it has one
    // per field or case (an alias: one for the aliased type).
    const auto* parts = s.parts_hint(name);
    size_t want = is_nominal(t.kind) ? std::max(t.fields.size(), t.cases.size()) : 1;
    if (parts && parts->size() != want) parts = nullptr;
    auto part = [&](size_t i, const ValTypePtr& type) {
      if (parts && (*parts)[i]) return *(*parts)[i];
      return ref(s, type);
    };
    switch (t.kind) {
      case ValKind::Record: {
        std::string out = "record " + id + " {\n";
        for (size_t i = 0; i < t.fields.size(); ++i)
          out +=
              "  " + wit_identifier(t.fields[i].label) + ": " + part(i, t.fields[i].type) + ",\n";
        return out + "}";
      }
      case ValKind::Variant: {
        std::string out = "variant " + id + " {\n";
        for (size_t i = 0; i < t.cases.size(); ++i) {
          out += "  " + wit_identifier(t.cases[i].label);
          if (t.cases[i].type) out += "(" + part(i, t.cases[i].type) + ")";
          out += ",\n";
        }
        return out + "}";
      }
      case ValKind::Enum:
      case ValKind::Flags: {
        std::string out = (t.kind == ValKind::Enum ? "enum " : "flags ") + id + " {\n";
        for (const std::string& l : t.labels) out += "  " + wit_identifier(l) + ",\n";
        return out + "}";
      }
      default:
        if (parts && (*parts)[0]) return "type " + id + " = " + *(*parts)[0] + ";";
        return "type " + id + " = " + structure(s, t) + ";";
    }
  }

  // A resource's block: its constructor, methods and static functions.
  std::string resource_definition(const Scope& s, const std::string& name,
                                  const ResourceType* resource,
                                  const std::vector<const NamedExtern*>& funcs) const {
    std::string id = wit_identifier(name);
    if (funcs.empty()) return "resource " + id + ";";
    std::string out = "resource " + id + " {\n";
    for (const NamedExtern* e : funcs) {
      FuncName fn = parse_func_name(e->name);
      const FuncType& f = *e->type.func;
      switch (fn.kind) {
        case FuncName::Kind::Constructor: {
          // Infallible constructors return the resource implicitly; a
          // fallible one spells out its result<r, e>.
          bool implicit =
              f.result && f.result->kind == ValKind::Own && f.result->resource.get() == resource;
          out += "  constructor" + params_text(s, e->name, f, 0, !implicit) + ";\n";
          break;
        }
        case FuncName::Kind::Method:
          out += "  " + wit_identifier(fn.label) + ": " + func_signature(s, e->name, f, 1) + ";\n";
          break;
        case FuncName::Kind::Static:
          out += "  " + wit_identifier(fn.label) + ": static " + func_signature(s, e->name, f, 0) +
                 ";\n";
          break;
        case FuncName::Kind::Plain:
          break;
      }
    }
    return out + "}";
  }

  // What a type export of a scope becomes in WIT, decided before anything
  // of the scope is printed so that every name is known when it is.
  struct TypeItem {
    enum class Kind : uint8_t { Use, Alias, Define, NoForm } kind = Kind::Define;
    std::string alias_of;             // Alias: the earlier name in the same scope
    const Scope* use_from = nullptr;  // Use: the interface, and the name there
    std::string use_name;
  };

  // The scope (other than `s`) that first named a type equal to `t` under
  // `name`. The validator gives each import or export of a record, variant,
  // enum or flags a copy of its own (TypeDef naming), so a `use`d one is
  // found by structure; these types are structural in the Component Model,
  // so a match is the same type even when the WIT said it twice.
  const Scope* nominal_owner(const Scope& s, const ValType& t, const std::string& name) const {
    for (const auto& scope : scopes_) {
      if (scope.get() == &s) continue;
      for (const auto& [named, there] : scope->nominal)
        if (there == name && *named == t) return scope.get();
    }
    return nullptr;
  }

  TypeItem classify_type(Scope& s, const std::string& name, const TypeDef& def) {
    TypeItem item;
    if (const Scope* from = hinted_use(s, name)) {
      item.kind = TypeItem::Kind::Use;
      item.use_from = from;
      item.use_name = s.hints->uses.at(name).second;
      if (def.kind == TypeDef::Kind::Resource && def.resource) {
        s.resource_names.emplace(def.resource.get(), name);
      } else if (def.kind == TypeDef::Kind::Value && def.value && !is_primitive(def.value->kind)) {
        s.value_names.emplace(def.value.get(), name);
        if (is_nominal(def.value->kind)) s.nominal.emplace_back(def.value.get(), name);
      }
      return item;
    }
    auto decide = [&](const Scope* owner, const std::string& there) {
      if (owner != &s) {
        item.kind = TypeItem::Kind::Use;
        item.use_from = owner;
        item.use_name = there;
      } else {
        item.kind = TypeItem::Kind::Alias;  // the same name twice is printed once
        item.alias_of = there;
      }
    };
    if (def.kind == TypeDef::Kind::Resource && def.resource) {
      const ResourceType* r = def.resource.get();
      if (auto owner = resource_owner_.find(r); owner != resource_owner_.end())
        decide(owner->second.first, owner->second.second);
      else
        resource_owner_.emplace(r, std::make_pair(&s, name));
      s.resource_names.emplace(r, name);
      return item;
    }
    if (def.kind != TypeDef::Kind::Value || !def.value) {
      item.kind = TypeItem::Kind::NoForm;
      return item;
    }
    const ValType& t = *def.value;
    // Primitives are shared objects, so they name nothing: an alias of one
    // is printed as such and references print the primitive.
    if (is_primitive(t.kind)) return item;
    if (auto owner = value_owner_.find(&t); owner != value_owner_.end()) {
      decide(owner->second.first, owner->second.second);
    } else if (const Scope* from = is_nominal(t.kind) ? nominal_owner(s, t, name) : nullptr) {
      decide(from, name);
    } else {
      value_owner_.emplace(&t, std::make_pair(&s, name));
    }
    s.value_names.emplace(&t, name);
    if (is_nominal(t.kind)) s.nominal.emplace_back(&t, name);
    return item;
  }

  // The interface a type export was aliased from, when the binary says so.
  const Scope* hinted_use(const Scope& s, const std::string& name) const {
    if (!s.hints) return nullptr;
    auto it = s.hints->uses.find(name);
    if (it == s.hints->uses.end()) return nullptr;
    for (const Scope* other : interfaces_)
      if (other != &s && other->extern_name == it->second.first) return other;
    return nullptr;
  }

  std::string type_definition(const Scope& s, const std::string& name, const TypeDef& def,
                              const TypeItem& item,
                              const std::vector<const NamedExtern*>& funcs) const {
    switch (item.kind) {
      case TypeItem::Kind::Use:
        return "";
      case TypeItem::Kind::Alias:
        if (item.alias_of == name) return "";
        return "type " + wit_identifier(name) + " = " + wit_identifier(item.alias_of) + ";";
      case TypeItem::Kind::NoForm:
        return "// type " + wit_identifier(name) + ": a " + to_string(def.kind) +
               " type (no WIT form)";
      case TypeItem::Kind::Define:
        break;
    }
    if (def.kind == TypeDef::Kind::Resource)
      return resource_definition(s, name, def.resource.get(), funcs);
    if (is_primitive(def.value->kind)) {
      const auto* parts = s.parts_hint(name);
      std::string target =
          parts && parts->size() == 1 && (*parts)[0] ? *(*parts)[0] : to_string(def.value->kind);
      return "type " + wit_identifier(name) + " = " + target + ";";
    }
    return value_definition(s, name, *def.value);
  }

  // The items of the world (prefix "import " / "export ") or of an
  // interface (prefix "").
  void render_items(Scope& s, const std::vector<NamedExtern>& items, const std::string& prefix) {
    // First every name: types, and the interfaces a world's items refer to
    // (rendered whole, as scopes of their own).
    std::vector<TypeItem> types(items.size());
    std::vector<std::string> instance_lines(items.size());
    std::map<std::string, bool> local_resources;
    for (size_t i = 0; i < items.size(); ++i) {
      const NamedExtern& e = items[i];
      if (e.type.kind == ExternKind::Type) {
        types[i] = classify_type(s, e.name, e.type.type);
        if (e.type.type.kind == TypeDef::Kind::Resource && types[i].kind == TypeItem::Kind::Define)
          local_resources[e.name] = true;
      } else if (e.type.kind == ExternKind::Instance && e.type.instance) {
        // WIT nests no interface in another.
        instance_lines[i] = s.kind == Scope::Kind::World
                                ? render_instance(e, prefix)
                                : "// " + e.name + ": a nested instance (no WIT form)";
      }
    }
    // Resource functions go inside the block of a resource defined here.
    std::map<std::string, std::vector<const NamedExtern*>> resource_funcs;
    for (const NamedExtern& e : items) {
      if (e.type.kind != ExternKind::Func || !e.type.func) continue;
      FuncName fn = parse_func_name(e.name);
      if (fn.kind != FuncName::Kind::Plain && local_resources.count(fn.resource))
        resource_funcs[fn.resource].push_back(&e);
    }
    static const std::vector<const NamedExtern*> kNone;
    for (size_t i = 0; i < items.size(); ++i) {
      const NamedExtern& e = items[i];
      std::string text;
      switch (e.type.kind) {
        case ExternKind::Type: {
          // Type items carry no import/export keyword in WIT: a world's
          // exported types print as its imported ones do.
          if (types[i].kind == TypeItem::Kind::Use) {
            add_use(s, *types[i].use_from, types[i].use_name, e.name);
            break;
          }
          auto funcs = resource_funcs.find(e.name);
          text = type_definition(s, e.name, e.type.type, types[i],
                                 funcs == resource_funcs.end() ? kNone : funcs->second);
          break;
        }
        case ExternKind::Func: {
          if (!e.type.func) break;
          FuncName fn = parse_func_name(e.name);
          if (fn.kind != FuncName::Kind::Plain && resource_funcs.count(fn.resource)) break;
          if (e.name.find(':') != std::string::npos) {
            // A function under an interface's name: WIT names functions by labels.
            text = "// " + prefix + e.name + ": " + func_signature(s, e.name, *e.type.func, 0) +
                   " (no WIT form)";
            break;
          }
          text = prefix + wit_identifier(e.name) + ": " +
                 func_signature(s, e.name, *e.type.func, 0) + ";";
          break;
        }
        case ExternKind::Instance:
          text = instance_lines[i];
          break;
        case ExternKind::Module:
        case ExternKind::Component:
        case ExternKind::Value:
          text = "// " + prefix + e.name + ": " + describe(e.type) + " (no WIT form)";
          break;
      }
      if (!text.empty()) s.items.push_back({std::move(text), nullptr, {}});
    }
  }

  // An instance import or export of the world: `import ns:pkg/iface@ver;`
  // with the body printed in its package, or an inline `interface { }`.
  std::string render_instance(const NamedExtern& e, const std::string& prefix) {
    auto scope = std::make_unique<Scope>();
    Scope& inner = *scope;
    scopes_.push_back(std::move(scope));
    inner.extern_name = e.name;
    if (hints_ && prefix == "import ")
      if (auto it = hints_->interfaces.find(e.name); it != hints_->interfaces.end())
        inner.hints = &it->second;
    if (e.name.find(':') != std::string::npos) {
      inner.kind = Scope::Kind::Interface;
      inner.parts = split_interface_name(e.name);
      render_items(inner, e.type.instance->exports, "");
      add_interface(inner);
      return prefix + escape_path(e.name) + ";";
    }
    inner.kind = Scope::Kind::Inline;
    render_items(inner, e.type.instance->exports, "");
    std::string body;
    append_body(body, inner, 1);
    return prefix + wit_identifier(e.name) + ": interface {\n" + body + "}";
  }

  // An interface both imported and exported is one interface in WIT: its
  // body is printed once, from its first appearance.
  void add_interface(const Scope& s) {
    for (const Scope* other : interfaces_)
      if (other->extern_name == s.extern_name) return;
    interfaces_.push_back(&s);
  }

  const WitOptions& options_;
  const WorldHints* hints_;
  std::vector<std::unique_ptr<Scope>> scopes_;
  std::vector<const Scope*> interfaces_;
  // Where each named type was first defined: (scope, name there).
  std::map<const ValType*, std::pair<const Scope*, std::string>> value_owner_;
  std::map<const ResourceType*, std::pair<const Scope*, std::string>> resource_owner_;
};

}  // namespace

std::string world_to_wit(const ComponentType& type, const WitOptions& options) {
  return Printer(options, nullptr).print(type);
}

std::string world_to_wit(const ValidatedComponent& component, const WitOptions& options) {
  WorldHints hints = collect_hints(component.decl.root);
  return Printer(options, &hints).print(*component.root->type);
}

}  // namespace weft::component
