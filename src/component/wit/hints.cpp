#include "component/wit/hints.h"

#include <optional>

#include "component/wit/printer.h"

namespace weft::component {
namespace {

// Where a root type index came from, as far as the hints care.
struct RootType {
  const ast::Type* def = nullptr;    // a type section entry
  std::optional<uint32_t> instance;  // an alias of an instance's export...
  std::string export_name;           // ...of this name
};

// One index of a type space: an instance type's own, or the root's.
struct LocalType {
  enum class Kind : uint8_t { Def, Outer, Origin, Export, Other } kind = Kind::Other;
  const ast::Type* def = nullptr;  // Def
  uint32_t root = 0;               // Outer: the root type index; Origin: the instance
  std::string name;                // Export; Origin: the instance's export
  std::optional<uint32_t> eq;      // Export: (eq N); none: (sub resource)
};

// Reads one type space in order: an instance type's declarations, or (fed
// definition by definition) the root's own imports.
class InstanceHints {
 public:
  InstanceHints(const std::vector<RootType>& root_types,
                const std::vector<std::string>& root_instance_imports)
      : root_types_(root_types), root_instance_imports_(root_instance_imports) {}

  InterfaceHints take() { return std::move(out_); }

  void read(const std::vector<ast::TypeDecl>& decls) {
    for (const ast::TypeDecl& d : decls) read(d);
  }
  void add(LocalType t) { types_.push_back(std::move(t)); }

  void read(const ast::TypeDecl& d) {
    switch (d.kind) {
      case ast::TypeDecl::Kind::Type:
        if (d.type)
          types_.push_back({LocalType::Kind::Def, d.type.get(), 0, {}, {}});
        else
          types_.push_back({});
        break;
      case ast::TypeDecl::Kind::Alias:
        if (d.alias.sort.kind != ast::SortKind::Type) break;
        if (d.alias.target == ast::Alias::Target::Outer && d.alias.outer_count == 1)
          types_.push_back({LocalType::Kind::Outer, nullptr, d.alias.outer_index, {}, {}});
        else
          types_.push_back({});
        break;
      case ast::TypeDecl::Kind::Export:
        export_decl(d.import_export);
        break;
      case ast::TypeDecl::Kind::CoreType:
      case ast::TypeDecl::Kind::Import:
        break;
    }
  }

  // An export declaration (or a root import): a function's or a type's.
  void export_decl(const ast::ImportDecl& e) {
    const std::string& name = e.name.name;
    if (e.type.kind == ast::ExternTypeKind::Func) {
      const ast::Type* t = def_at(e.type.index);
      if (!t || t->kind != ast::Type::Kind::Func) return;
      InterfaceHints::Func f;
      for (const auto& p : t->func.params) {
        auto text = val_text(p.type, 0);
        if (!text) return;
        f.params.push_back(std::move(*text));
      }
      if (t->func.result) {
        f.result = val_text(*t->func.result, 0);
        if (!f.result) return;
      }
      out_.funcs.emplace(name, std::move(f));
      return;
    }
    if (e.type.kind != ast::ExternTypeKind::Type) return;
    LocalType local{LocalType::Kind::Export, nullptr, 0, name, {}};
    if (e.type.type_bound_eq) {
      local.eq = e.type.index;
      describe_export(name, e.type.index);
    }
    types_.push_back(std::move(local));
  }

 private:
  // A type export `(eq index)`: used from another import, an alias of a
  // name here, or a definition.
  void describe_export(const std::string& name, uint32_t index) {
    if (index >= types_.size()) return;
    const LocalType& t = types_[index];
    auto use = [&](uint32_t instance, const std::string& there) {
      if (instance >= root_instance_imports_.size()) return;
      const std::string& from = root_instance_imports_[instance];
      if (!from.empty()) out_.uses.emplace(name, std::make_pair(from, there));
    };
    if (t.kind == LocalType::Kind::Origin) return use(t.root, t.name);
    if (t.kind == LocalType::Kind::Outer) {
      if (t.root >= root_types_.size()) return;
      const RootType& r = root_types_[t.root];
      if (r.instance) use(*r.instance, r.export_name);
      return;
    }
    if (t.kind == LocalType::Kind::Export) {
      out_.parts[name] = {wit_identifier(t.name)};
      return;
    }
    if (t.kind != LocalType::Kind::Def || !t.def || t.def->kind != ast::Type::Kind::DefVal) return;
    const ast::DefValType& v = t.def->defval;
    std::vector<std::optional<std::string>> parts;
    switch (v.kind) {
      case ast::DefValKind::Record:
        for (const auto& f : v.fields) {
          auto text = val_text(f.type, 0);
          if (!text) return;
          parts.push_back(std::move(text));
        }
        break;
      case ast::DefValKind::Variant:
        for (const auto& c : v.cases) {
          if (!c.type) {
            parts.push_back(std::nullopt);
            continue;
          }
          auto text = val_text(*c.type, 0);
          if (!text) return;
          parts.push_back(std::move(text));
        }
        break;
      case ast::DefValKind::Enum:
      case ast::DefValKind::Flags:
        return;
      default: {
        auto text = def_text(v, 0);
        if (!text) return;
        parts.push_back(std::move(text));
        break;
      }
    }
    out_.parts[name] = std::move(parts);
  }

  const ast::Type* def_at(uint32_t index) const {
    if (index >= types_.size() || types_[index].kind != LocalType::Kind::Def) return nullptr;
    return types_[index].def;
  }

  // A reference to local type `index` as WIT spells it: an exported name,
  // or a structural type spelled out. Nothing for what WIT can only name
  // (an anonymous record, a type not re-exported here).
  std::optional<std::string> index_text(uint32_t index, uint32_t depth) const {
    if (index >= types_.size() || depth > ast::kMaxNesting) return std::nullopt;
    const LocalType& t = types_[index];
    if (t.kind == LocalType::Kind::Export) return wit_identifier(t.name);
    if (t.kind != LocalType::Kind::Def || !t.def || t.def->kind != ast::Type::Kind::DefVal)
      return std::nullopt;
    return def_text(t.def->defval, depth + 1);
  }

  std::optional<std::string> val_text(const ast::ValType& v, uint32_t depth) const {
    if (!v.is_index) return std::string(to_string(v.prim));
    return index_text(v.index, depth);
  }

  std::optional<std::string> def_text(const ast::DefValType& v, uint32_t depth) const {
    auto sub = [&](const std::optional<ast::ValType>& t) -> std::optional<std::string> {
      if (!t) return std::string("_");
      return val_text(*t, depth);
    };
    switch (v.kind) {
      case ast::DefValKind::Prim:
        return std::string(to_string(v.prim));
      case ast::DefValKind::List: {
        auto e = sub(v.element);
        if (!e) return std::nullopt;
        return "list<" + *e + ">";
      }
      case ast::DefValKind::FixedList: {
        auto e = sub(v.element);
        if (!e) return std::nullopt;
        return "list<" + *e + ", " + std::to_string(v.length) + ">";
      }
      case ast::DefValKind::Option: {
        auto e = sub(v.element);
        if (!e) return std::nullopt;
        return "option<" + *e + ">";
      }
      case ast::DefValKind::Result: {
        if (!v.element && !v.error) return std::string("result");
        auto ok = sub(v.element);
        if (!ok) return std::nullopt;
        if (!v.error) return "result<" + *ok + ">";
        auto err = sub(v.error);
        if (!err) return std::nullopt;
        return "result<" + *ok + ", " + *err + ">";
      }
      case ast::DefValKind::Tuple: {
        std::string out = "tuple<";
        for (size_t i = 0; i < v.types.size(); ++i) {
          auto e = val_text(v.types[i], depth);
          if (!e) return std::nullopt;
          out += (i ? ", " : "") + *e;
        }
        return out + ">";
      }
      case ast::DefValKind::Own:
        return index_text(v.index, depth);
      case ast::DefValKind::Borrow: {
        auto r = index_text(v.index, depth);
        if (!r) return std::nullopt;
        return "borrow<" + *r + ">";
      }
      case ast::DefValKind::Stream:
      case ast::DefValKind::Future: {
        std::string kind = v.kind == ast::DefValKind::Stream ? "stream" : "future";
        if (!v.element) return kind;
        auto e = sub(v.element);
        if (!e) return std::nullopt;
        return kind + "<" + *e + ">";
      }
      default:
        return std::nullopt;
    }
  }

  const std::vector<RootType>& root_types_;
  const std::vector<std::string>& root_instance_imports_;
  std::vector<LocalType> types_;
  InterfaceHints out_;
};

}  // namespace

WorldHints collect_hints(const ast::Component& root) {
  // The root's type and instance index spaces, in binary order (only what
  // the hints need: which type came from which instance's export, and
  // which instances are imports).
  std::vector<RootType> types;
  std::vector<std::string> instances;  // the import name, or "" for other instances
  std::vector<std::pair<std::string, uint32_t>> interface_imports;  // name, type index
  WorldHints out;
  // The world's own imports, read in the root's type space.
  InstanceHints world(types, instances);
  for (const auto& section : root.order) {
    for (uint32_t i = section.first; i < section.first + section.count; ++i) {
      switch (section.id) {
        case 5:
          instances.emplace_back();
          break;
        case 6: {
          const ast::Alias& a = root.aliases[i];
          if (a.sort.kind == ast::SortKind::Type) {
            RootType t;
            LocalType local;
            if (a.target == ast::Alias::Target::Export) {
              t.instance = a.instance;
              t.export_name = a.name;
              local = {LocalType::Kind::Origin, nullptr, a.instance, a.name, {}};
            }
            types.push_back(std::move(t));
            world.add(std::move(local));
          } else if (a.sort.kind == ast::SortKind::Instance) {
            instances.emplace_back();
          }
          break;
        }
        case 7:
          types.push_back({&root.types[i], std::nullopt, {}});
          world.add({LocalType::Kind::Def, &root.types[i], 0, {}, {}});
          break;
        case 10: {
          const ast::Import& imp = root.imports[i];
          if (imp.type.kind == ast::ExternTypeKind::Type) types.emplace_back();
          if (imp.type.kind == ast::ExternTypeKind::Type ||
              imp.type.kind == ast::ExternTypeKind::Func)
            world.export_decl(imp);
          if (imp.type.kind == ast::ExternTypeKind::Instance) {
            instances.push_back(imp.name.name);
            interface_imports.emplace_back(imp.name.name, imp.type.index);
          }
          break;
        }
        case 11: {
          const ast::Export& exp = root.exports[i];
          if (exp.item.sort.kind == ast::SortKind::Type) {
            types.emplace_back();
            world.add({});
          }
          if (exp.item.sort.kind == ast::SortKind::Instance) instances.emplace_back();
          break;
        }
        default:
          break;
      }
    }
  }
  out.world = world.take();
  for (const auto& [name, index] : interface_imports) {
    if (index >= types.size() || !types[index].def) continue;
    const ast::Type& t = *types[index].def;
    if (t.kind != ast::Type::Kind::Instance) continue;
    InstanceHints hints(types, instances);
    hints.read(t.decls);
    out.interfaces.emplace(name, hints.take());
  }
  return out;
}

}  // namespace weft::component
