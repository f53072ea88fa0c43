// `weft compose`: see compose.h. The composed component is written in the
// component text format and encoded by src/wasm/text, so there is one
// component encoder in weft.
#include "component/compose/compose.h"

#include <map>
#include <set>

#include "component/runtime/state.h"
#include "component/validate/types.h"
#include "wasm/binary/reader.h"
#include "wasm/text/wat.h"

namespace weft::component {

namespace {

constexpr uint32_t kMaxTypeDepth = 100;

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
      out += static_cast<char>(ch);
    } else {
      static const char* hex = "0123456789abcdef";
      out += '\\';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out + "\"";
}

bool is_listed(const std::vector<ResourcePtr>& list, const ResourceType* r) {
  for (const auto& x : list)
    if (x.get() == r) return true;
  return false;
}

bool is_resource(const Extern& e) {
  return e.kind == ExternKind::Type && e.type.kind == TypeDef::Kind::Resource;
}

// One import of the composed component: every part's import of that name.
struct Slot {
  std::string name;
  Extern type;                          // the first part's declaration
  std::vector<NamedExtern> items;       // Instance: the union of the parts' exports
  std::set<const ResourceType*> owned;  // resources it introduces (canonical)
  std::string first_part;
  std::string id;
  bool emitted = false, visiting = false;
};

// Where a value type is written: the types it may refer to by id.
struct Scope {
  bool instance = false;                           // in an instance type, else the component
  std::map<const ResourceType*, std::string> res;  // canonical resource -> id
  std::vector<std::pair<ValTypePtr, std::string>> named;
  std::string decls;  // definitions written so far (aliases, types)
};

class Composer {
 public:
  Result<void> add_import(const NamedExtern& imp, const ComponentType& part_type,
                          const std::string& part);
  Result<void> emit_imports();
  std::string& out() { return out_; }
  std::string fresh(const char* prefix) {
    return std::string("$") + prefix + std::to_string(next_id_++);
  }
  const Slot* slot(std::string_view name) const {
    for (const auto& s : slots_)
      if (s.name == name) return &s;
    return nullptr;
  }

 private:
  const ResourceType* canon(const ResourceType* r) const { return canon_.resolve(r); }
  Result<void> merge_item(Slot& slot, size_t slot_index, const NamedExtern& e, bool abstract,
                          const std::string& part);
  Result<void> emit(size_t index, uint32_t depth);
  Result<void> resources_of(const ValType& t, std::set<const ResourceType*>& out,
                            uint32_t depth) const;
  Result<void> resources_of(const Extern& e, std::set<const ResourceType*>& out) const;
  Result<std::string> ref(Scope& s, const ValType& t, uint32_t depth);
  Result<std::string> def(Scope& s, const ValType& t, uint32_t depth);
  Result<std::string> func(Scope& s, const FuncType& f);
  Result<std::string> resource_id(Scope& s, const ResourceType* r, const std::string& where);

  ResourceMap canon_;  // a part's resource -> the one the composed component uses
  std::map<const ResourceType*, size_t> home_;        // canonical resource -> slot
  std::map<const ResourceType*, std::string> outer_;  // canonical resource -> outer type id
  std::vector<std::pair<ValTypePtr, std::string>> outer_named_;
  std::vector<Slot> slots_;
  std::string out_;
  uint64_t next_id_ = 0;
};

Result<void> Composer::merge_item(Slot& slot, size_t slot_index, const NamedExtern& e,
                                  bool abstract, const std::string& part) {
  auto differ = [&](const std::string& what) {
    return Error::usage("import " + quoted(slot.name) + " is imported by " + slot.first_part +
                        " and " + part + " with different types" +
                        (what.empty() ? "" : " (" + what + ")"));
  };
  NamedExtern* have = nullptr;
  for (auto& x : slot.items)
    if (x.name == e.name) have = &x;
  if (!have) {
    if (is_resource(e.type) && abstract) {
      slot.owned.insert(e.type.type.resource.get());
      home_[e.type.type.resource.get()] = slot_index;
    }
    slot.items.push_back(e);
    return {};
  }
  const std::string what = quoted(e.name);
  if (have->type.kind != e.type.kind) return differ(what);
  switch (e.type.kind) {
    case ExternKind::Func:
      if (!func_types_equal(*have->type.func, *e.type.func, canon_)) return differ(what);
      return {};
    case ExternKind::Type:
      if (have->type.type.kind != e.type.type.kind) return differ(what);
      if (is_resource(e.type)) {
        const ResourceType* mine = e.type.type.resource.get();
        const ResourceType* theirs = canon(have->type.type.resource.get());
        if (canon(mine) == theirs) return {};
        if (!abstract || canon(mine) != mine) return differ(what);
        canon_.bind(mine, have->type.type.resource);
        return {};
      }
      if (e.type.type.kind == TypeDef::Kind::Value &&
          types_equal(*have->type.type.value, *e.type.type.value, canon_))
        return {};
      return differ(what);
    default:
      return differ(what);
  }
}

Result<void> Composer::add_import(const NamedExtern& imp, const ComponentType& part_type,
                                  const std::string& part) {
  size_t index = slots_.size();
  for (size_t i = 0; i < slots_.size(); ++i)
    if (slots_[i].name == imp.name) index = i;
  if (index == slots_.size()) {
    Slot s;
    s.name = imp.name;
    s.type = imp.type;
    s.first_part = part;
    s.id = fresh(imp.type.kind == ExternKind::Instance ? "i" : "x");
    slots_.push_back(std::move(s));
    if (imp.type.kind != ExternKind::Instance) {
      if (is_resource(imp.type) &&
          is_listed(part_type.imported_resources, imp.type.type.resource.get())) {
        slots_[index].owned.insert(imp.type.type.resource.get());
        home_[imp.type.type.resource.get()] = index;
      }
      return {};
    }
  } else if (slots_[index].type.kind != imp.type.kind) {
    return Error::usage("import " + quoted(imp.name) + " is imported by " +
                        slots_[index].first_part + " and " + part + " as different kinds");
  } else if (imp.type.kind != ExternKind::Instance) {
    NamedExtern first{imp.name, slots_[index].type};
    Slot probe;
    probe.name = imp.name;
    probe.first_part = slots_[index].first_part;
    probe.items.push_back(first);
    return merge_item(probe, index, imp,
                      is_resource(imp.type) &&
                          is_listed(part_type.imported_resources, imp.type.type.resource.get()),
                      part);
  }
  if (imp.type.kind == ExternKind::Instance) {
    const InstanceType& it = *imp.type.instance;
    for (const auto& e : it.exports)
      WEFT_CHECK(merge_item(
          slots_[index], index, e,
          is_resource(e.type) && is_listed(it.abstract_resources, e.type.type.resource.get()),
          part));
  }
  return {};
}

Result<void> Composer::resources_of(const ValType& t, std::set<const ResourceType*>& out,
                                    uint32_t depth) const {
  if (depth > kMaxTypeDepth) return Error::limit("type nested too deeply");
  if (t.kind == ValKind::Own || t.kind == ValKind::Borrow) out.insert(canon(t.resource.get()));
  for (const ValTypePtr* p : {&t.element, &t.error})
    if (*p) WEFT_CHECK(resources_of(**p, out, depth + 1));
  for (const auto& f : t.fields) WEFT_CHECK(resources_of(*f.type, out, depth + 1));
  for (const auto& c : t.cases)
    if (c.type) WEFT_CHECK(resources_of(*c.type, out, depth + 1));
  return {};
}

Result<void> Composer::resources_of(const Extern& e, std::set<const ResourceType*>& out) const {
  switch (e.kind) {
    case ExternKind::Func:
      for (const auto& p : e.func->params) WEFT_CHECK(resources_of(*p.type, out, 0));
      if (e.func->result) WEFT_CHECK(resources_of(*e.func->result, out, 0));
      return {};
    case ExternKind::Type:
      if (e.type.kind == TypeDef::Kind::Resource) out.insert(canon(e.type.resource.get()));
      if (e.type.kind == TypeDef::Kind::Value) WEFT_CHECK(resources_of(*e.type.value, out, 0));
      return {};
    default:
      return {};
  }
}

Result<std::string> Composer::resource_id(Scope& s, const ResourceType* r,
                                          const std::string& where) {
  r = canon(r);
  if (auto it = s.res.find(r); it != s.res.end()) return it->second;
  auto outer = outer_.find(r);
  if (outer == outer_.end())
    return Error::usage("import " + quoted(where) +
                        " uses a resource of an interface a plug provides; weft compose cannot "
                        "import it separately");
  if (!s.instance) return outer->second;
  std::string id = fresh("a");
  s.decls += "(alias outer 1 " + outer->second + " (type " + id + "))";
  s.res[r] = id;
  return id;
}

// A value type where a type use goes: a primitive's name, a named type's
// id, or an inline definition.
// A primitive type's keyword, or "".
std::string primitive(const ValType& t) {
  switch (t.kind) {
    case ValKind::Bool:
      return std::string("bool");
    case ValKind::S8:
      return std::string("s8");
    case ValKind::U8:
      return std::string("u8");
    case ValKind::S16:
      return std::string("s16");
    case ValKind::U16:
      return std::string("u16");
    case ValKind::S32:
      return std::string("s32");
    case ValKind::U32:
      return std::string("u32");
    case ValKind::S64:
      return std::string("s64");
    case ValKind::U64:
      return std::string("u64");
    case ValKind::F32:
      return std::string("f32");
    case ValKind::F64:
      return std::string("f64");
    case ValKind::Char:
      return std::string("char");
    case ValKind::String:
      return std::string("string");
    case ValKind::ErrorContext:
      return std::string("error-context");
    default:
      return {};
  }
}

Result<std::string> Composer::ref(Scope& s, const ValType& t, uint32_t depth) {
  if (depth > kMaxTypeDepth) return Error::limit("type nested too deeply");
  if (std::string p = primitive(t); !p.empty()) return p;
  for (const auto& [n, id] : s.named)
    if (types_equal(*n, t, canon_)) return id;
  return def(s, t, depth);
}

Result<std::string> Composer::def(Scope& s, const ValType& t, uint32_t depth) {
  if (depth > kMaxTypeDepth) return Error::limit("type nested too deeply");
  auto sub = [&](const ValTypePtr& p) -> Result<std::string> { return ref(s, *p, depth + 1); };
  if (std::string p = primitive(t); !p.empty()) return p;
  std::string out;
  switch (t.kind) {
    case ValKind::List:
    case ValKind::FixedList: {
      WEFT_TRY(auto e, sub(t.element));
      out =
          "(list " + e + (t.kind == ValKind::FixedList ? " " + std::to_string(t.length) : "") + ")";
      return out;
    }
    case ValKind::Option: {
      WEFT_TRY(auto e, sub(t.element));
      return "(option " + e + ")";
    }
    case ValKind::Result: {
      out = "(result";
      if (t.element) {
        WEFT_TRY(auto e, sub(t.element));
        out += " " + e;
      }
      if (t.error) {
        WEFT_TRY(auto e, sub(t.error));
        out += " (error " + e + ")";
      }
      return out + ")";
    }
    case ValKind::Tuple:
      out = "(tuple";
      for (const auto& f : t.fields) {
        WEFT_TRY(auto e, sub(f.type));
        out += " " + e;
      }
      return out + ")";
    case ValKind::Record:
      out = "(record";
      for (const auto& f : t.fields) {
        WEFT_TRY(auto e, sub(f.type));
        out += " (field " + quoted(f.label) + " " + e + ")";
      }
      return out + ")";
    case ValKind::Variant:
      out = "(variant";
      for (const auto& c : t.cases) {
        out += " (case " + quoted(c.label);
        if (c.type) {
          WEFT_TRY(auto e, sub(c.type));
          out += " " + e;
        }
        out += ")";
      }
      return out + ")";
    case ValKind::Enum:
    case ValKind::Flags:
      out = t.kind == ValKind::Enum ? "(enum" : "(flags";
      for (const auto& l : t.labels) out += " " + quoted(l);
      return out + ")";
    case ValKind::Own:
    case ValKind::Borrow: {
      WEFT_TRY(auto id, resource_id(s, t.resource.get(), ""));
      return std::string(t.kind == ValKind::Own ? "(own " : "(borrow ") + id + ")";
    }
    case ValKind::Stream:
    case ValKind::Future:
      out = t.kind == ValKind::Stream ? "(stream" : "(future";
      if (t.element) {
        WEFT_TRY(auto e, sub(t.element));
        out += " " + e;
      }
      return out + ")";
    default:
      return Error::usage(std::string("weft compose cannot write a ") + to_string(t.kind) +
                          " type");
  }
}

Result<std::string> Composer::func(Scope& s, const FuncType& f) {
  if (f.is_async) return Error::usage("weft compose cannot write async function types");
  std::string out = "(func";
  for (const auto& p : f.params) {
    WEFT_TRY(auto t, ref(s, *p.type, 0));
    out += " (param " + quoted(p.label) + " " + t + ")";
  }
  if (f.result) {
    WEFT_TRY(auto t, ref(s, *f.result, 0));
    out += " (result " + t + ")";
  }
  return out + ")";
}

Result<void> Composer::emit_imports() {
  for (size_t i = 0; i < slots_.size(); ++i) WEFT_CHECK(emit(i, 0));
  return {};
}

// Writes slot `index` after the slots whose resources it uses.
Result<void> Composer::emit(size_t index, uint32_t depth) {
  Slot& slot = slots_[index];
  if (slot.emitted) return {};
  if (slot.visiting || depth > slots_.size())
    return Error::usage("imports " + quoted(slot.name) + " use each other's resources");
  slot.visiting = true;
  std::set<const ResourceType*> used;
  if (slot.type.kind == ExternKind::Instance) {
    for (const auto& e : slot.items) WEFT_CHECK(resources_of(e.type, used));
  } else {
    WEFT_CHECK(resources_of(slot.type, used));
  }
  for (const ResourceType* r : used) {
    auto home = home_.find(r);
    if (home != home_.end() && home->second != index) WEFT_CHECK(emit(home->second, depth + 1));
  }
  Slot& me = slots_[index];  // emit() does not grow slots_, but stay explicit
  auto where = [&](const Error& e) {
    return Error::usage("import " + quoted(me.name) + ": " + e.message);
  };
  if (me.type.kind == ExternKind::Instance) {
    Scope s;
    s.instance = true;
    for (const auto& e : me.items) {
      if (is_resource(e.type)) {
        const ResourceType* r = canon(e.type.type.resource.get());
        std::string id = fresh("l");
        if (me.owned.count(r)) {
          s.decls += "(export " + quoted(e.name) + " (type " + id + " (sub resource)))";
        } else {
          auto target = resource_id(s, r, me.name);
          if (!target.ok()) return where(target.error());
          s.decls +=
              "(export " + quoted(e.name) + " (type " + id + " (eq " + target.value() + ")))";
        }
        s.res[r] = id;
      } else if (e.type.kind == ExternKind::Type && e.type.type.kind == TypeDef::Kind::Value) {
        auto d = def(s, *e.type.type.value, 0);
        if (!d.ok()) return where(d.error());
        std::string tid = fresh("l"), id = fresh("l");
        s.decls += "(type " + tid + " " + d.value() + ")(export " + quoted(e.name) + " (type " +
                   id + " (eq " + tid + ")))";
        s.named.emplace_back(e.type.type.value, id);
      } else if (e.type.kind == ExternKind::Func) {
        auto f = func(s, *e.type.func);
        if (!f.ok()) return where(f.error());
        s.decls += "(export " + quoted(e.name) + " " + f.value() + ")";
      } else {
        return Error::usage("import " + quoted(me.name) + " declares " + quoted(e.name) + ", a " +
                            to_string(e.type.kind) +
                            ": weft compose writes only functions and types");
      }
    }
    out_ += "(import " + quoted(me.name) + " (instance " + me.id + " " + s.decls + "))\n";
    for (const auto& e : me.items)
      if (is_resource(e.type) && me.owned.count(canon(e.type.type.resource.get()))) {
        std::string id = fresh("r");
        out_ += "(alias export " + me.id + " " + quoted(e.name) + " (type " + id + "))\n";
        outer_[canon(e.type.type.resource.get())] = id;
      }
  } else {
    Scope s;
    s.res = outer_;
    s.named = outer_named_;
    std::string decl;
    if (me.type.kind == ExternKind::Func) {
      auto f = func(s, *me.type.func);
      if (!f.ok()) return where(f.error());
      decl = f.value();
      decl.insert(5, " " + me.id);  // "(func $x ..."
    } else if (is_resource(me.type)) {
      const ResourceType* r = canon(me.type.type.resource.get());
      if (me.owned.count(r)) {
        decl = "(type " + me.id + " (sub resource))";
      } else {
        auto target = resource_id(s, r, me.name);
        if (!target.ok()) return where(target.error());
        decl = "(type " + me.id + " (eq " + target.value() + "))";
      }
      outer_[r] = me.id;
    } else if (me.type.kind == ExternKind::Type && me.type.type.kind == TypeDef::Kind::Value) {
      auto d = def(s, *me.type.type.value, 0);
      if (!d.ok()) return where(d.error());
      std::string tid = fresh("t");
      s.decls += "(type " + tid + " " + d.value() + ")";
      decl = "(type " + me.id + " (eq " + tid + "))";
      outer_named_.emplace_back(me.type.type.value, me.id);
    } else {
      return Error::usage("import " + quoted(me.name) + " is a " + to_string(me.type.kind) +
                          ": weft compose forwards interfaces, functions and types");
    }
    out_ += s.decls + "(import " + quoted(me.name) + " " + decl + ")\n";
  }
  me.visiting = false;
  me.emitted = true;
  return {};
}

const char* sort_keyword(ExternKind kind) {
  switch (kind) {
    case ExternKind::Func:
      return "func";
    case ExternKind::Instance:
      return "instance";
    case ExternKind::Type:
      return "type";
    case ExternKind::Component:
      return "component";
    case ExternKind::Module:
      return "core module";
    case ExternKind::Value:
      return "value";
  }
  return "?";
}

std::string embed(const std::string& id, std::span<const uint8_t> bytes) {
  std::string out = "(component " + id + " binary ";
  out += quoted(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  return out + ")\n";
}

}  // namespace

Result<std::vector<uint8_t>> compose(const ComposePart& socket,
                                     std::span<const ComposePart> plugs) {
  if (!socket.component) return Error::usage("compose: no socket component");
  const ComponentType& st = *socket.component->validated().root->type;

  // Which socket import each plug satisfies.
  struct Plugged {
    size_t plug;
    std::string export_name;
  };
  std::map<std::string, Plugged> plugged;  // socket import -> plug
  for (size_t p = 0; p < plugs.size(); ++p) {
    if (!plugs[p].component) return Error::usage("compose: no component for plug " + plugs[p].name);
    const ComponentType& pt = *plugs[p].component->validated().root->type;
    bool any = false;
    for (const auto& imp : st.imports) {
      if (imp.type.kind != ExternKind::Instance && imp.type.kind != ExternKind::Func) continue;
      auto e = detail::find_compatible(pt.exports, imp.name);
      if (!e || pt.exports[*e].type.kind != imp.type.kind) continue;
      if (auto it = plugged.find(imp.name); it != plugged.end())
        return Error::usage("plugs " + plugs[it->second.plug].name + " and " + plugs[p].name +
                            " both export " + quoted(imp.name) + ", which " + socket.name +
                            " imports");
      auto checked =
          check_satisfies(*socket.component, imp.name, *plugs[p].component, pt.exports[*e].name);
      if (!checked.ok())
        return Error::usage(socket.name + " import " + quoted(imp.name) + ": " + plugs[p].name +
                            " " + checked.error().message);
      plugged[imp.name] = {p, pt.exports[*e].name};
      any = true;
    }
    if (!any)
      return Error::usage("plug " + plugs[p].name + " satisfies no import of " + socket.name);
  }

  // The composed component's imports: what is left of the socket's, then
  // every plug's.
  Composer c;
  for (const auto& imp : st.imports)
    if (!plugged.count(imp.name)) WEFT_CHECK(c.add_import(imp, st, socket.name));
  for (const auto& plug : plugs) {
    const ComponentType& pt = *plug.component->validated().root->type;
    for (const auto& imp : pt.imports) WEFT_CHECK(c.add_import(imp, pt, plug.name));
  }
  std::string& out = c.out();
  out = "(component\n";
  WEFT_CHECK(c.emit_imports());

  // `with` arguments forwarding a part's imports from the composed ones.
  auto forward = [&](const ComponentType& t) {
    std::string args;
    for (const auto& imp : t.imports) {
      const Slot* s = c.slot(imp.name);
      if (s)
        args +=
            " (with " + quoted(imp.name) + " (" + sort_keyword(imp.type.kind) + " " + s->id + "))";
    }
    return args;
  };
  std::vector<std::string> plug_ids;
  for (size_t p = 0; p < plugs.size(); ++p) {
    std::string id = c.fresh("P");
    out += embed(id, plugs[p].bytes);
    plug_ids.push_back(c.fresh("p"));
    out += "(instance " + plug_ids.back() + " (instantiate " + id +
           forward(*plugs[p].component->validated().root->type) + "))\n";
  }
  const std::string socket_id = c.fresh("S"), socket_instance = c.fresh("s");
  out += embed(socket_id, socket.bytes);
  std::string args;
  for (const auto& imp : st.imports) {
    auto it = plugged.find(imp.name);
    const char* sort = sort_keyword(imp.type.kind);
    if (it == plugged.end()) {
      const Slot* s = c.slot(imp.name);
      if (!s) return Error::usage("compose: import " + quoted(imp.name) + " was lost");
      args += " (with " + quoted(imp.name) + " (" + sort + " " + s->id + "))";
      continue;
    }
    const std::string id = c.fresh("a");
    out += "(alias export " + plug_ids[it->second.plug] + " " + quoted(it->second.export_name) +
           " (" + sort + " " + id + "))\n";
    args += " (with " + quoted(imp.name) + " (" + sort + " " + id + "))";
  }
  out += "(instance " + socket_instance + " (instantiate " + socket_id + args + "))\n";
  for (const auto& e : st.exports) {
    if (e.type.kind == ExternKind::Value)
      return Error::usage(socket.name + " exports a value, which weft compose cannot re-export");
    const std::string id = c.fresh("e");
    const char* sort = sort_keyword(e.type.kind);
    out += "(alias export " + socket_instance + " " + quoted(e.name) + " (" + sort + " " + id +
           "))(export " + quoted(e.name) + " (" + sort + " " + id + "))\n";
  }
  out += ")\n";

  bool is_component = false;
  auto bytes = text::wat_to_wasm(out, "composition", &is_component);
  if (!bytes.ok())
    return Error::usage("compose: the composition does not encode (a weft bug): " +
                        bytes.error().message);
  auto check = Component::compile(bytes.value());
  if (!check.ok())
    return Error::usage("compose: the composition does not validate: " + check.error().message);
  return std::move(bytes).value();
}

}  // namespace weft::component
