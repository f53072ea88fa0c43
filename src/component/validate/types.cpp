// Type equality, subtyping and resource substitution for the component
// validator (Explainer.md, "Type Checking").
#include "component/validate/types.h"

#include <set>

namespace weft::component {

const char* to_string(CoreExternKind kind) {
  switch (kind) {
    case CoreExternKind::Func:
      return "func";
    case CoreExternKind::Table:
      return "table";
    case CoreExternKind::Memory:
      return "memory";
    case CoreExternKind::Global:
      return "global";
    case CoreExternKind::Tag:
      return "tag";
  }
  return "?";
}

const char* to_string(TypeDef::Kind kind) {
  switch (kind) {
    case TypeDef::Kind::Value:
      return "value type";
    case TypeDef::Kind::Func:
      return "func type";
    case TypeDef::Kind::Component:
      return "component type";
    case TypeDef::Kind::Instance:
      return "instance type";
    case TypeDef::Kind::Resource:
      return "resource";
  }
  return "?";
}

const char* to_string(ExternKind kind) {
  switch (kind) {
    case ExternKind::Module:
      return "module";
    case ExternKind::Func:
      return "func";
    case ExternKind::Value:
      return "value";
    case ExternKind::Type:
      return "type";
    case ExternKind::Component:
      return "component";
    case ExternKind::Instance:
      return "instance";
  }
  return "?";
}

const CoreExtern* CoreInstanceType::find(std::string_view name) const {
  for (const auto& [n, t] : exports)
    if (n == name) return &t;
  return nullptr;
}

const Extern* InstanceType::find(std::string_view name) const {
  for (const auto& e : exports)
    if (e.name == name) return &e.type;
  return nullptr;
}

const ResourceType* ResourceMap::resolve(const ResourceType* r) const {
  for (int hops = 0; hops < 64 && r; ++hops) {
    auto it = map_.find(r);
    if (it == map_.end() || it->second.get() == r) break;
    r = it->second.get();
  }
  return r;
}

ResourcePtr ResourceMap::resolve_ptr(const ResourcePtr& r) const {
  ResourcePtr cur = r;
  for (int hops = 0; hops < 64 && cur; ++hops) {
    auto it = map_.find(cur.get());
    if (it == map_.end() || it->second == cur) break;
    cur = it->second;
  }
  return cur;
}

namespace {

bool opt_equal(const ValTypePtr& a, const ValTypePtr& b, const ResourceMap& map) {
  if (!a || !b) return !a && !b;
  return types_equal(*a, *b, map);
}

}  // namespace

bool types_equal(const ValType& a, const ValType& b, const ResourceMap& map) {
  if (&a == &b && map.empty()) return true;
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ValKind::Map:  // despecializes to list<tuple<K, V>>: `element` is that tuple
    case ValKind::List:
    case ValKind::Option:
    case ValKind::Stream:
    case ValKind::Future:
      return opt_equal(a.element, b.element, map);
    case ValKind::FixedList:
      return a.length == b.length && opt_equal(a.element, b.element, map);
    case ValKind::Result:
      return opt_equal(a.element, b.element, map) && opt_equal(a.error, b.error, map);
    case ValKind::Record:
    case ValKind::Tuple:
      if (a.fields.size() != b.fields.size()) return false;
      for (size_t i = 0; i < a.fields.size(); ++i)
        if (a.fields[i].label != b.fields[i].label ||
            !opt_equal(a.fields[i].type, b.fields[i].type, map))
          return false;
      return true;
    case ValKind::Variant:
      if (a.cases.size() != b.cases.size()) return false;
      for (size_t i = 0; i < a.cases.size(); ++i)
        if (a.cases[i].label != b.cases[i].label ||
            !opt_equal(a.cases[i].type, b.cases[i].type, map))
          return false;
      return true;
    case ValKind::Enum:
    case ValKind::Flags:
      return a.labels == b.labels;
    case ValKind::Own:
    case ValKind::Borrow:
      return map.resolve(a.resource.get()) == map.resolve(b.resource.get());
    default:
      return true;
  }
}

bool func_types_equal(const FuncType& a, const FuncType& b, const ResourceMap& map) {
  if (a.is_async != b.is_async || a.params.size() != b.params.size()) return false;
  for (size_t i = 0; i < a.params.size(); ++i)
    if (a.params[i].label != b.params[i].label ||
        !opt_equal(a.params[i].type, b.params[i].type, map))
      return false;
  return opt_equal(a.result, b.result, map);
}

// ---- WebAssembly 3.0 subtyping ------------------------------------------------

namespace {

constexpr uint8_t kNoExn = 0x74, kNoFunc = 0x73, kNoExtern = 0x72, kNone = 0x71, kFunc = 0x70,
                  kExtern = 0x6F, kAny = 0x6E, kEq = 0x6D, kI31 = 0x6C, kStruct = 0x6B,
                  kArray = 0x6A, kExn = 0x69;

const CoreGcType& deref(const CoreTypeRef& r) { return r.group->types[r.index]; }

// The abstract heap type directly above a concrete type of this kind.
uint8_t abstract_of(CoreGcType::Kind kind) {
  switch (kind) {
    case CoreGcType::Kind::Func:
      return kFunc;
    case CoreGcType::Kind::Struct:
      return kStruct;
    case CoreGcType::Kind::Array:
      return kArray;
  }
  return kAny;
}

bool abstract_sub(uint8_t a, uint8_t b) {
  if (a == b) return true;
  switch (b) {
    case kAny:
      return a == kEq || a == kI31 || a == kStruct || a == kArray || a == kNone;
    case kEq:
      return a == kI31 || a == kStruct || a == kArray || a == kNone;
    case kI31:
    case kStruct:
    case kArray:
      return a == kNone;
    case kFunc:
      return a == kNoFunc;
    case kExtern:
      return a == kNoExtern;
    case kExn:
      return a == kNoExn;
    default:
      return false;
  }
}

bool heap_sub(const CoreGcValType& a, const CoreGcValType& b) {
  if (a.abstract_heap && b.abstract_heap) return abstract_sub(a.abstract_heap, b.abstract_heap);
  if (a.abstract_heap) {  // a bottom type below a concrete one
    const CoreGcType::Kind k = deref(b.concrete).kind;
    return a.abstract_heap == (k == CoreGcType::Kind::Func ? kNoFunc : kNone);
  }
  if (b.abstract_heap) return abstract_sub(abstract_of(deref(a.concrete).kind), b.abstract_heap);
  // Concrete below concrete: along the declared supertypes (each is
  // defined before its subtype, so the chain ends; bounded anyway).
  CoreTypeRef r = a.concrete;
  for (int i = 0; i < 1000; ++i) {
    if (r == b.concrete) return true;
    const CoreGcType& t = deref(r);
    if (!t.supertype) return false;
    r = *t.supertype;
  }
  return false;
}

bool val_sub(const CoreGcValType& a, const CoreGcValType& b) {
  if (a.is_ref != b.is_ref) return false;
  if (!a.is_ref) return a.num == b.num;
  if (a.nullable && !b.nullable) return false;
  return heap_sub(a, b);
}

bool val_equal(const CoreGcValType& a, const CoreGcValType& b) {
  return val_sub(a, b) && val_sub(b, a);
}

bool field_sub(const CoreGcField& a, const CoreGcField& b) {
  if (a.is_mutable != b.is_mutable || a.packed != b.packed) return false;
  if (a.packed) return true;
  return a.is_mutable ? val_equal(a.type, b.type) : val_sub(a.type, b.type);
}

}  // namespace

bool core_gc_matches(const CoreGcType& sub, const CoreGcType& super) {
  if (sub.kind != super.kind) return false;
  switch (sub.kind) {
    case CoreGcType::Kind::Func:
      if (sub.params.size() != super.params.size() || sub.results.size() != super.results.size())
        return false;
      for (size_t i = 0; i < sub.params.size(); ++i)
        if (!val_sub(super.params[i], sub.params[i])) return false;
      for (size_t i = 0; i < sub.results.size(); ++i)
        if (!val_sub(sub.results[i], super.results[i])) return false;
      return true;
    case CoreGcType::Kind::Struct:
    case CoreGcType::Kind::Array:
      if (sub.fields.size() < super.fields.size()) return false;
      for (size_t i = 0; i < super.fields.size(); ++i)
        if (!field_sub(sub.fields[i], super.fields[i])) return false;
      return true;
  }
  return false;
}

bool core_extern_matches(const CoreExtern& actual, const CoreExtern& expected, std::string& why) {
  if (actual.kind != expected.kind) {
    why = std::string("expected ") + to_string(expected.kind) + ", found " + to_string(actual.kind);
    return false;
  }
  if (actual.gc || expected.gc) {
    why = "the type uses WebAssembly GC types, which weft's core engine does not support";
    return false;
  }
  auto limits_match = [](const Limits& a, const Limits& e) {
    if (a.min < e.min) return false;
    if (e.max) return a.max && *a.max <= *e.max;
    return true;
  };
  switch (actual.kind) {
    case CoreExternKind::Func:
    case CoreExternKind::Tag:
      if (!(actual.func == expected.func)) {
        why = "type mismatch: expected " + expected.func.to_string() + ", found " +
              actual.func.to_string();
        return false;
      }
      return true;
    case CoreExternKind::Table:
      if (actual.table.element != expected.table.element ||
          !limits_match(actual.table.limits, expected.table.limits)) {
        why = "table type mismatch";
        return false;
      }
      return true;
    case CoreExternKind::Memory:
      if (!limits_match(actual.memory.limits, expected.memory.limits)) {
        why = "memory type mismatch";
        return false;
      }
      return true;
    case CoreExternKind::Global:
      if (actual.global.type != expected.global.type ||
          actual.global.is_mutable != expected.global.is_mutable) {
        why = "global type mismatch";
        return false;
      }
      return true;
  }
  return false;
}

namespace {

bool module_subtype(const CoreModuleType& actual, const CoreModuleType& expected,
                    std::string& why) {
  // A subtype imports less and exports more.
  for (const auto& imp : actual.imports) {
    const CoreModuleType::Import* found = nullptr;
    for (const auto& e : expected.imports)
      if (e.module == imp.module && e.name == imp.name) found = &e;
    if (!found) {
      why = "module type mismatch: unexpected import `" + imp.module + "` `" + imp.name + "`";
      return false;
    }
    std::string w;
    if (!core_extern_matches(found->type, imp.type, w)) {
      why = "module import `" + imp.module + "` `" + imp.name + "`: " + w;
      return false;
    }
  }
  for (const auto& [name, type] : expected.exports) {
    const CoreExtern* found = nullptr;
    for (const auto& [n, t] : actual.exports)
      if (n == name) found = &t;
    if (!found) {
      why = "module type mismatch: missing export `" + name + "`";
      return false;
    }
    std::string w;
    if (!core_extern_matches(*found, type, w)) {
      why = "module export `" + name + "`: " + w;
      return false;
    }
  }
  return true;
}

bool type_subtype(const TypeDef& actual, const TypeDef& expected, ResourceMap& map,
                  std::string& why) {
  if (expected.kind == TypeDef::Kind::Resource) {
    if (actual.kind != TypeDef::Kind::Resource) {
      why = std::string("expected resource, found ") + to_string(actual.kind);
      return false;
    }
    const ResourceType* e = map.resolve(expected.resource.get());
    const ResourceType* a = map.resolve(actual.resource.get());
    if (e == a) return true;
    why = "resource types are not the same";
    return false;
  }
  if (actual.kind != expected.kind) {
    why = std::string("expected ") + to_string(expected.kind) + ", found " + to_string(actual.kind);
    return false;
  }
  Extern a, e;
  switch (actual.kind) {
    case TypeDef::Kind::Value:
      if (!types_equal(*actual.value, *expected.value, map)) {
        why = "type mismatch: expected " + to_string(*expected.value) + ", found " +
              to_string(*actual.value);
        return false;
      }
      return true;
    case TypeDef::Kind::Func:
      a.kind = e.kind = ExternKind::Func;
      a.func = actual.func, e.func = expected.func;
      return is_subtype(a, e, map, why);
    case TypeDef::Kind::Component:
      a.kind = e.kind = ExternKind::Component;
      a.component = actual.component, e.component = expected.component;
      return is_subtype(a, e, map, why);
    case TypeDef::Kind::Instance:
      a.kind = e.kind = ExternKind::Instance;
      a.instance = actual.instance, e.instance = expected.instance;
      return is_subtype(a, e, map, why);
    case TypeDef::Kind::Resource:
      break;
  }
  return false;
}

bool is_listed(const std::vector<ResourcePtr>& list, const ResourceType* r) {
  for (const auto& x : list)
    if (x.get() == r) return true;
  return false;
}

// `abstract`: the expected side's abstract resources, which bind to the
// actual side's; any other resource must match by identity.
bool exports_subtype(const std::vector<NamedExtern>& actual,
                     const std::vector<NamedExtern>& expected,
                     const std::vector<ResourcePtr>& abstract, ResourceMap& map, std::string& why) {
  for (const auto& e : expected) {
    const Extern* found = nullptr;
    for (const auto& a : actual)
      if (a.name == e.name) found = &a.type;
    if (!found) {
      why = "missing expected export `" + e.name + "`";
      return false;
    }
    // An expected abstract resource export is bound to the actual one, so
    // later exports that mention it compare equal.
    if (e.type.kind == ExternKind::Type && e.type.type.kind == TypeDef::Kind::Resource &&
        found->kind == ExternKind::Type && found->type.kind == TypeDef::Kind::Resource &&
        is_listed(abstract, e.type.type.resource.get()) &&
        map.resolve(e.type.type.resource.get()) == e.type.type.resource.get()) {
      map.bind(e.type.type.resource.get(), found->type.resource);
    }
    std::string w;
    if (!is_subtype(*found, e.type, map, w)) {
      why = "type mismatch in instance export `" + e.name + "`: " + w;
      return false;
    }
  }
  return true;
}

}  // namespace

bool is_subtype(const Extern& actual, const Extern& expected, ResourceMap& map, std::string& why) {
  if (actual.kind != expected.kind) {
    why = std::string("expected ") + to_string(expected.kind) + ", found " + to_string(actual.kind);
    return false;
  }
  switch (actual.kind) {
    case ExternKind::Module:
      return module_subtype(*actual.module, *expected.module, why);
    case ExternKind::Func:
      if (!func_types_equal(*actual.func, *expected.func, map)) {
        why = "type mismatch: expected " + to_string(*expected.func) + ", found " +
              to_string(*actual.func);
        return false;
      }
      return true;
    case ExternKind::Value:
      if (!types_equal(*actual.value, *expected.value, map)) {
        why = "value type mismatch";
        return false;
      }
      return true;
    case ExternKind::Type:
      return type_subtype(actual.type, expected.type, map, why);
    case ExternKind::Instance:
      return exports_subtype(actual.instance->exports, expected.instance->exports,
                             expected.instance->abstract_resources, map, why);
    case ExternKind::Component: {
      // Imports are contravariant: every import of `actual` must be
      // satisfiable by what `expected` imports. Abstract resources imported
      // by `actual` are bound to the expected side's.
      const ComponentType& a = *actual.component;
      const ComponentType& e = *expected.component;
      for (const auto& imp : a.imports) {
        const Extern* found = nullptr;
        for (const auto& x : e.imports)
          if (x.name == imp.name) found = &x.type;
        if (!found) {
          why = "missing expected import `" + imp.name + "`";
          return false;
        }
        if (imp.type.kind == ExternKind::Type && imp.type.type.kind == TypeDef::Kind::Resource &&
            found->kind == ExternKind::Type && found->type.kind == TypeDef::Kind::Resource &&
            is_listed(a.imported_resources, imp.type.type.resource.get()) &&
            map.resolve(imp.type.type.resource.get()) == imp.type.type.resource.get()) {
          map.bind(imp.type.type.resource.get(), found->type.resource);
        }
        std::string w;
        if (!is_subtype(*found, imp.type, map, w)) {
          why = "type mismatch in import `" + imp.name + "`: " + w;
          return false;
        }
      }
      return exports_subtype(a.exports, e.exports, e.exported_resources, map, why);
    }
  }
  return false;
}

// ---- substitution ------------------------------------------------------------

ValTypePtr substitute(const ValTypePtr& type, const ResourceMap& map) {
  if (!type || map.empty()) return type;
  switch (type->kind) {
    case ValKind::Own:
    case ValKind::Borrow: {
      ResourcePtr r = map.resolve_ptr(type->resource);
      if (r == type->resource) return type;
      auto copy = std::make_shared<ValType>(*type);
      copy->resource = std::move(r);
      return copy;
    }
    case ValKind::Map:  // despecializes to list<tuple<K, V>>: `element` is that tuple
    case ValKind::List:
    case ValKind::FixedList:
    case ValKind::Option:
    case ValKind::Stream:
    case ValKind::Future:
    case ValKind::Result:
    case ValKind::Record:
    case ValKind::Tuple:
    case ValKind::Variant: {
      auto copy = std::make_shared<ValType>(*type);
      bool changed = false;
      auto sub = [&](ValTypePtr& p) {
        ValTypePtr n = substitute(p, map);
        if (n != p) changed = true, p = std::move(n);
      };
      sub(copy->element);
      sub(copy->error);
      for (auto& f : copy->fields) sub(f.type);
      for (auto& c : copy->cases) sub(c.type);
      return changed ? ValTypePtr(copy) : type;
    }
    default:
      return type;
  }
}

FuncTypePtr substitute(const FuncTypePtr& type, const ResourceMap& map) {
  if (!type || map.empty()) return type;
  auto copy = std::make_shared<FuncType>(*type);
  for (auto& p : copy->params) p.type = substitute(p.type, map);
  copy->result = substitute(copy->result, map);
  return copy;
}

namespace {

TypeDef substitute(const TypeDef& t, const ResourceMap& map) {
  TypeDef out = t;
  switch (t.kind) {
    case TypeDef::Kind::Value:
      out.value = substitute(t.value, map);
      break;
    case TypeDef::Kind::Func:
      out.func = substitute(t.func, map);
      break;
    case TypeDef::Kind::Component:
      out.component = substitute(t.component, map);
      break;
    case TypeDef::Kind::Instance:
      out.instance = substitute(t.instance, map);
      break;
    case TypeDef::Kind::Resource:
      out.resource = map.resolve_ptr(t.resource);
      break;
  }
  return out;
}

std::vector<ResourcePtr> substitute_list(const std::vector<ResourcePtr>& list,
                                         const ResourceMap& map) {
  std::vector<ResourcePtr> out;
  for (const auto& r : list) out.push_back(map.resolve_ptr(r));
  return out;
}

}  // namespace

Extern substitute(const Extern& type, const ResourceMap& map) {
  if (map.empty()) return type;
  Extern out = type;
  out.func = substitute(type.func, map);
  out.value = substitute(type.value, map);
  out.type = substitute(type.type, map);
  out.component = substitute(type.component, map);
  out.instance = substitute(type.instance, map);
  return out;
}

InstanceTypePtr substitute(const InstanceTypePtr& type, const ResourceMap& map) {
  if (!type || map.empty()) return type;
  auto copy = std::make_shared<InstanceType>();
  for (const auto& e : type->exports) copy->exports.push_back({e.name, substitute(e.type, map)});
  copy->abstract_resources = substitute_list(type->abstract_resources, map);
  copy->unexportable = type->unexportable;
  return copy;
}

ComponentTypePtr substitute(const ComponentTypePtr& type, const ResourceMap& map) {
  if (!type || map.empty()) return type;
  auto copy = std::make_shared<ComponentType>();
  for (const auto& e : type->imports) copy->imports.push_back({e.name, substitute(e.type, map)});
  for (const auto& e : type->exports) copy->exports.push_back({e.name, substitute(e.type, map)});
  copy->imported_resources = substitute_list(type->imported_resources, map);
  copy->exported_resources = substitute_list(type->exported_resources, map);
  return copy;
}

void freshen(const std::vector<ResourcePtr>& abstract, ResourceMap& map) {
  for (const auto& r : abstract) {
    auto fresh = std::make_shared<ResourceType>(*r);
    map.bind(r.get(), std::move(fresh));
  }
}

std::string to_string(const FuncType& type) {
  std::string s = type.is_async ? "async func(" : "func(";
  for (size_t i = 0; i < type.params.size(); ++i)
    s += (i ? ", " : "") + type.params[i].label + ": " + to_string(*type.params[i].type);
  s += ")";
  if (type.result) s += " -> " + to_string(*type.result);
  return s;
}

std::string describe(const Extern& type) {
  switch (type.kind) {
    case ExternKind::Func:
      return to_string(*type.func);
    case ExternKind::Value:
      return "value " + to_string(*type.value);
    case ExternKind::Type:
      if (type.type.kind == TypeDef::Kind::Value) return "type " + to_string(*type.type.value);
      return std::string("type (") + to_string(type.type.kind) + ")";
    default:
      return to_string(type.kind);
  }
}

}  // namespace weft::component
