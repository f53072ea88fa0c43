// Component validation (Binary.md's validation notes, Explainer.md's "Type
// Checking", CanonicalABI.md's "Canonical Definitions"): walks the sections
// of each component in binary order, appending to the index spaces and
// checking every reference and type as it goes.
#include "component/validate/validator.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "component/abi/abi.h"
#include "component/binary/decoder.h"
#include "component/validate/names.h"
#include "wasm/binary/reader.h"

namespace weft::component {

namespace {

using ast::SortKind;
using AstCoreSort = ast::CoreSort;

constexpr size_t kMaxFlatParams = 16;
constexpr size_t kMaxFlatResults = 1;
constexpr size_t kMaxFlatAsyncParams = 4;
// Binary.md: elem_size(t) of every defvaltype is below 2^28.
constexpr uint64_t kMaxValueSize = uint64_t{1} << 28;
// Type trees are built bottom-up from earlier indices, so they are DAGs;
// this bounds the work of walking one as a tree.
constexpr uint32_t kMaxTypeDepth = 100;

Error invalid(uint32_t offset, std::string message) {
  return Error::invalid(offset, std::move(message));
}

ValKind prim_kind(ast::PrimValType p) {
  switch (p) {
    case ast::PrimValType::Bool:
      return ValKind::Bool;
    case ast::PrimValType::S8:
      return ValKind::S8;
    case ast::PrimValType::U8:
      return ValKind::U8;
    case ast::PrimValType::S16:
      return ValKind::S16;
    case ast::PrimValType::U16:
      return ValKind::U16;
    case ast::PrimValType::S32:
      return ValKind::S32;
    case ast::PrimValType::U32:
      return ValKind::U32;
    case ast::PrimValType::S64:
      return ValKind::S64;
    case ast::PrimValType::U64:
      return ValKind::U64;
    case ast::PrimValType::F32:
      return ValKind::F32;
    case ast::PrimValType::F64:
      return ValKind::F64;
    case ast::PrimValType::Char:
      return ValKind::Char;
    case ast::PrimValType::String:
      return ValKind::String;
    case ast::PrimValType::ErrorContext:
      return ValKind::ErrorContext;
  }
  return ValKind::Bool;
}

// ---- canonical ABI sizes and flattening (CanonicalABI.md) -----------------
// Sizes here are only for the validation bound on value sizes, which
// Binary.md states for 64-bit pointers (elem_size(t, 'i64')): strings and
// lists take 16 bytes aligned to 8. The canonical ABI computes real layouts.

uint32_t align_to(uint64_t n, uint32_t a) { return static_cast<uint32_t>((n + a - 1) / a * a); }

uint32_t discriminant_size(size_t n) { return n <= 256 ? 1 : n <= 65536 ? 2 : 4; }

uint32_t alignment(const ValType& t);

uint32_t max_case_alignment(const ValType& t) {
  uint32_t a = 1;
  for (const auto& c : t.cases)
    if (c.type) a = std::max(a, alignment(*c.type));
  return a;
}

uint32_t alignment(const ValType& t) {
  switch (t.kind) {
    case ValKind::Bool:
    case ValKind::S8:
    case ValKind::U8:
      return 1;
    case ValKind::S16:
    case ValKind::U16:
      return 2;
    case ValKind::S32:
    case ValKind::U32:
    case ValKind::F32:
    case ValKind::Char:
    case ValKind::Own:
    case ValKind::Borrow:
    case ValKind::Stream:
    case ValKind::Future:
    case ValKind::ErrorContext:
    case ValKind::String:
    case ValKind::Map:  // despecializes to list<tuple<K, V>>: `element` is that tuple
    case ValKind::List:
      return 8;
    case ValKind::S64:
    case ValKind::U64:
    case ValKind::F64:
      return 8;
    case ValKind::FixedList:
      return alignment(*t.element);
    case ValKind::Record:
    case ValKind::Tuple: {
      uint32_t a = 1;
      for (const auto& f : t.fields) a = std::max(a, alignment(*f.type));
      return a;
    }
    case ValKind::Variant:
      return std::max(discriminant_size(t.cases.size()), max_case_alignment(t));
    case ValKind::Enum:
      return discriminant_size(t.labels.size());
    case ValKind::Option:
      return std::max(1u, alignment(*t.element));
    case ValKind::Result: {
      uint32_t a = 1;
      if (t.element) a = std::max(a, alignment(*t.element));
      if (t.error) a = std::max(a, alignment(*t.error));
      return a;
    }
    case ValKind::Flags:
      return t.labels.size() <= 8 ? 1 : t.labels.size() <= 16 ? 2 : 4;
  }
  return 1;
}

// Saturates at kMaxValueSize * 2 so hostile nesting cannot overflow.
uint64_t elem_size(const ValType& t) {
  auto sat = [](uint64_t x) { return std::min(x, kMaxValueSize * 2); };
  switch (t.kind) {
    case ValKind::Bool:
    case ValKind::S8:
    case ValKind::U8:
      return 1;
    case ValKind::S16:
    case ValKind::U16:
      return 2;
    case ValKind::S32:
    case ValKind::U32:
    case ValKind::F32:
    case ValKind::Char:
    case ValKind::Own:
    case ValKind::Borrow:
    case ValKind::Stream:
    case ValKind::Future:
    case ValKind::ErrorContext:
      return 4;
    case ValKind::S64:
    case ValKind::U64:
    case ValKind::F64:
      return 8;
    case ValKind::String:
    case ValKind::Map:  // despecializes to list<tuple<K, V>>: `element` is that tuple
    case ValKind::List:
      return 16;
    case ValKind::FixedList:
      return sat(elem_size(*t.element) * t.length);
    case ValKind::Record:
    case ValKind::Tuple: {
      uint64_t s = 0;
      for (const auto& f : t.fields) s = sat(align_to(s, alignment(*f.type)) + elem_size(*f.type));
      return sat(align_to(s, alignment(t)));
    }
    case ValKind::Variant: {
      uint64_t s = discriminant_size(t.cases.size());
      s = align_to(s, max_case_alignment(t));
      uint64_t m = 0;
      for (const auto& c : t.cases)
        if (c.type) m = std::max(m, elem_size(*c.type));
      return sat(align_to(s + m, alignment(t)));
    }
    case ValKind::Enum:
      return discriminant_size(t.labels.size());
    case ValKind::Option: {
      uint64_t s = align_to(1, alignment(*t.element)) + elem_size(*t.element);
      return sat(align_to(s, alignment(t)));
    }
    case ValKind::Result: {
      uint32_t a = alignment(t);
      uint64_t m = 0;
      if (t.element) m = std::max(m, elem_size(*t.element));
      if (t.error) m = std::max(m, elem_size(*t.error));
      return sat(align_to(align_to(1, a) + m, a));
    }
    case ValKind::Flags:
      return t.labels.size() <= 8 ? 1 : t.labels.size() <= 16 ? 2 : 4;
  }
  return 1;
}

// The flat core types of `t`, appended to `out`, as the canonical ABI
// flattens them. Beyond `limit` values only the count matters to the
// callers (a spill to memory), so such a type adds limit + 1 slots.
void flatten(const ValType& t, std::vector<weft::ValType>& out, size_t limit) {
  if (out.size() > limit) return;
  if (auto flat = abi::flatten_type(t, limit)) {
    out.insert(out.end(), flat->begin(), flat->end());
  } else {
    out.resize(limit + 1, weft::ValType::I32);
  }
}

bool contains_memory_types(const ValType& t, uint32_t depth = 0) {
  if (depth > kMaxTypeDepth) return true;
  switch (t.kind) {
    case ValKind::String:
    case ValKind::Map:  // despecializes to list<tuple<K, V>>: `element` is that tuple
    case ValKind::List:
      return true;
    case ValKind::FixedList:
    case ValKind::Option:
      return contains_memory_types(*t.element, depth + 1);
    case ValKind::Result:
      return (t.element && contains_memory_types(*t.element, depth + 1)) ||
             (t.error && contains_memory_types(*t.error, depth + 1));
    case ValKind::Record:
    case ValKind::Tuple:
      for (const auto& f : t.fields)
        if (contains_memory_types(*f.type, depth + 1)) return true;
      return false;
    case ValKind::Variant:
      for (const auto& c : t.cases)
        if (c.type && contains_memory_types(*c.type, depth + 1)) return true;
      return false;
    default:
      return false;
  }
}

bool contains_borrow(const ValType& t, uint32_t depth = 0) {
  if (depth > kMaxTypeDepth) return false;
  switch (t.kind) {
    case ValKind::Borrow:
      return true;
    case ValKind::Map:  // despecializes to list<tuple<K, V>>: `element` is that tuple
    case ValKind::List:
    case ValKind::FixedList:
    case ValKind::Option:
      return contains_borrow(*t.element, depth + 1);
    case ValKind::Result:
      return (t.element && contains_borrow(*t.element, depth + 1)) ||
             (t.error && contains_borrow(*t.error, depth + 1));
    case ValKind::Record:
    case ValKind::Tuple:
      for (const auto& f : t.fields)
        if (contains_borrow(*f.type, depth + 1)) return true;
      return false;
    case ValKind::Variant:
      for (const auto& c : t.cases)
        if (c.type && contains_borrow(*c.type, depth + 1)) return true;
      return false;
    default:
      return false;
  }
}

// Every resource a type mentions (own/borrow), for the export rules.
void collect_resources(const ValType& t, std::vector<const ResourceType*>& out,
                       uint32_t depth = 0) {
  if (depth > kMaxTypeDepth) return;
  switch (t.kind) {
    case ValKind::Own:
    case ValKind::Borrow:
      out.push_back(t.resource.get());
      return;
    default:
      break;
  }
  if (t.element) collect_resources(*t.element, out, depth + 1);
  if (t.error) collect_resources(*t.error, out, depth + 1);
  for (const auto& f : t.fields) collect_resources(*f.type, out, depth + 1);
  for (const auto& c : t.cases)
    if (c.type) collect_resources(*c.type, out, depth + 1);
}

void collect_resources(const Extern& e, std::vector<const ResourceType*>& out);

void collect_resources(const TypeDef& t, std::vector<const ResourceType*>& out) {
  switch (t.kind) {
    case TypeDef::Kind::Value:
      collect_resources(*t.value, out);
      break;
    case TypeDef::Kind::Func:
      for (const auto& p : t.func->params) collect_resources(*p.type, out);
      if (t.func->result) collect_resources(*t.func->result, out);
      break;
    case TypeDef::Kind::Resource:
      out.push_back(t.resource.get());
      break;
    case TypeDef::Kind::Instance:
      for (const auto& e : t.instance->exports) collect_resources(e.type, out);
      break;
    case TypeDef::Kind::Component:
      for (const auto& e : t.component->imports) collect_resources(e.type, out);
      for (const auto& e : t.component->exports) collect_resources(e.type, out);
      break;
  }
}

void collect_resources(const Extern& e, std::vector<const ResourceType*>& out) {
  switch (e.kind) {
    case ExternKind::Func: {
      TypeDef t;
      t.kind = TypeDef::Kind::Func;
      t.func = e.func;
      collect_resources(t, out);
      break;
    }
    case ExternKind::Value:
      collect_resources(*e.value, out);
      break;
    case ExternKind::Type:
      collect_resources(e.type, out);
      break;
    case ExternKind::Instance:
      for (const auto& x : e.instance->exports) collect_resources(x.type, out);
      break;
    case ExternKind::Component:
      for (const auto& x : e.component->imports) collect_resources(x.type, out);
      for (const auto& x : e.component->exports) collect_resources(x.type, out);
      break;
    case ExternKind::Module:
      break;
  }
}

bool is_nominal(const ValType& t) {
  return t.kind == ValKind::Record || t.kind == ValKind::Variant || t.kind == ValKind::Enum ||
         t.kind == ValKind::Flags;
}

// ---- scopes ------------------------------------------------------------------

// One component body or one component/instance type being validated. Outer
// aliases walk `parent`.
struct Scope {
  ComponentInfo* spaces = nullptr;
  Scope* parent = nullptr;
  enum class Kind : uint8_t { Component, ComponentType, InstanceType } kind = Kind::Component;
  NameSet import_names;
  NameSet export_names;
  std::vector<NamedExtern> imports;
  std::vector<NamedExtern> exports;
  std::vector<ResourcePtr> imported_resources;  // abstract, from (sub resource) imports
  std::vector<ResourcePtr> exported_resources;  // abstract, from (sub resource) exports
  // Resources this scope can see as "introduced by an import or export"
  // (the rule that export types mention only such resources).
  std::set<const ResourceType*> named_resources;
  std::set<const ResourceType*> import_named_resources;  // imports may not depend on exports
  // Records, variants, enums and flags defined here that have no external
  // name yet. Naming is per type index (Explainer.md, "External Visibility
  // of Types"): an import or export of such a type gives the new index a
  // copy of the type object, which is structurally equal but not in here.
  std::set<const ValType*> unnamed_nominal;
  std::set<const ValType*> export_named_nominal;
  std::set<const ValType*> import_named_handles;
  std::vector<bool> value_consumed;
  std::set<const ResourceType*> local_resources;  // defined by this component's type section
};

std::string unnamed_in(const Scope& s, const Extern& e, bool is_import);
void hide_child_types(Scope& s, const ComponentType& child,
                      const std::vector<std::pair<std::string, Extern>>& args,
                      const InstanceType& instance);

// Where an annotated name (`[method]r.f`) looks for its resource `r`.
enum class Namespace : uint8_t { Imports, Exports, Bag };
void name_type(Scope& s, Extern& e, bool by_export, uint32_t depth = 0);

class Validator {
 public:
  Validator(const ast::ComponentDecl& decl, const CompileOptions& core_options)
      : decl_(decl), core_options_(core_options) {}

  Result<ComponentInfoPtr> component(const ast::Component& c, Scope* parent, uint32_t depth);

 private:
  // Definitions.
  Result<void> core_module(Scope& s, const ast::Component& c, uint32_t index);
  Result<void> core_instance(Scope& s, const ast::CoreInstance& inst);
  Result<void> core_type(Scope& s, const ast::CoreType& t, uint32_t depth);
  Result<void> instance(Scope& s, const ast::Instance& inst);
  Result<void> alias(Scope& s, const ast::Alias& a, bool in_declarator);
  Result<void> type(Scope& s, const ast::Type& t, uint32_t depth);
  Result<void> canon(Scope& s, const ast::Canon& c);
  Result<weft::FuncType> async_builtin(Scope& s, const ast::Canon& c, CanonInfo& info);
  Result<void> import(Scope& s, const ast::ImportDecl& imp);
  Result<void> export_(Scope& s, const ast::Export& exp);
  Result<void> start(Scope& s, const ast::Start& st);
  Result<void> value(Scope& s, const ast::Value& v);

  // Types.
  Result<ValTypePtr> val_type(Scope& s, const ast::ValType& t, uint32_t offset);
  Result<ValTypePtr> def_val_type(Scope& s, const ast::DefValType& t, uint32_t offset);
  Result<FuncTypePtr> func_type(Scope& s, const ast::FuncType& t, uint32_t offset);
  Result<TypeDef> declarator_type(Scope& s, const ast::Type& t, uint32_t depth);
  Result<Extern> extern_type(Scope& s, const ast::ExternType& t, const std::string& name,
                             uint32_t offset, std::vector<ResourcePtr>* abstract);
  Result<CoreModuleTypePtr> module_type(Scope& s, const ast::CoreType& t, uint32_t depth);

  // Index spaces.
  Result<Extern> item(Scope& s, const ast::SortIdx& idx, uint32_t offset);
  Result<CoreExtern> core_item(Scope& s, const ast::CoreSortIdx& idx, uint32_t offset);
  void push(Scope& s, const Extern& e);
  void push_core(Scope& s, const CoreExtern& e);
  Result<uint32_t> check_index(size_t size, uint32_t index, const char* what, uint32_t offset);
  Result<void> check_name(Scope& s, const ast::ExternName& name, bool is_import, uint32_t offset,
                          ExternNameInfo& info);
  Result<void> check_attributes(const ast::ExternName& name, const ExternNameInfo& info,
                                const Extern& type, uint32_t offset);
  Result<void> check_annotated_name(Scope& s, const ExternNameInfo& info, const Extern& type,
                                    const std::string& name, uint32_t offset,
                                    const std::vector<NamedExtern>& names, Namespace ns);

  const ast::ComponentDecl& decl_;
  const CompileOptions& core_options_;
};

Result<uint32_t> Validator::check_index(size_t size, uint32_t index, const char* what,
                                        uint32_t offset) {
  if (index >= size)
    return invalid(offset, std::string("unknown ") + what + " " + std::to_string(index) + ": " +
                               what + " index out of bounds");
  return index;
}

void Validator::push(Scope& s, const Extern& e) {
  ComponentInfo& sp = *s.spaces;
  switch (e.kind) {
    case ExternKind::Module:
      sp.core_modules.push_back(e.module);
      break;
    case ExternKind::Func:
      sp.funcs.push_back(e.func);
      break;
    case ExternKind::Value:
      sp.values.push_back(e.value);
      s.value_consumed.push_back(false);
      break;
    case ExternKind::Type:
      sp.types.push_back(e.type);
      break;
    case ExternKind::Component:
      sp.components.push_back(e.component);
      break;
    case ExternKind::Instance:
      sp.instances.push_back(e.instance);
      break;
  }
}

void Validator::push_core(Scope& s, const CoreExtern& e) {
  ComponentInfo& sp = *s.spaces;
  switch (e.kind) {
    case CoreExternKind::Func:
      sp.core_funcs.push_back(e.func);
      break;
    case CoreExternKind::Table:
      sp.core_tables.push_back(e.table);
      break;
    case CoreExternKind::Memory:
      sp.core_memories.push_back(e.memory);
      break;
    case CoreExternKind::Global:
      sp.core_globals.push_back(e.global);
      break;
    case CoreExternKind::Tag:
      sp.core_tags.push_back(e.func);
      break;
  }
}

Result<Extern> Validator::item(Scope& s, const ast::SortIdx& idx, uint32_t offset) {
  const ComponentInfo& sp = *s.spaces;
  Extern e;
  switch (idx.sort.kind) {
    case SortKind::Core:
      if (idx.sort.core != AstCoreSort::Module)
        return invalid(offset, "a core sort other than `core module` cannot be used here");
      WEFT_CHECK(check_index(sp.core_modules.size(), idx.index, "module", offset));
      e.kind = ExternKind::Module;
      e.module = sp.core_modules[idx.index];
      return e;
    case SortKind::Func:
      WEFT_CHECK(check_index(sp.funcs.size(), idx.index, "func", offset));
      e.kind = ExternKind::Func;
      e.func = sp.funcs[idx.index];
      return e;
    case SortKind::Value:
      WEFT_CHECK(check_index(sp.values.size(), idx.index, "value", offset));
      if (s.value_consumed[idx.index])
        return invalid(offset, "cannot use value " + std::to_string(idx.index) + " twice");
      s.value_consumed[idx.index] = true;
      e.kind = ExternKind::Value;
      e.value = sp.values[idx.index];
      return e;
    case SortKind::Type:
      WEFT_CHECK(check_index(sp.types.size(), idx.index, "type", offset));
      e.kind = ExternKind::Type;
      e.type = sp.types[idx.index];
      return e;
    case SortKind::Component:
      WEFT_CHECK(check_index(sp.components.size(), idx.index, "component", offset));
      e.kind = ExternKind::Component;
      e.component = sp.components[idx.index];
      return e;
    case SortKind::Instance:
      WEFT_CHECK(check_index(sp.instances.size(), idx.index, "instance", offset));
      e.kind = ExternKind::Instance;
      e.instance = sp.instances[idx.index];
      return e;
  }
  return invalid(offset, "unknown sort");
}

Result<CoreExtern> Validator::core_item(Scope& s, const ast::CoreSortIdx& idx, uint32_t offset) {
  const ComponentInfo& sp = *s.spaces;
  CoreExtern e;
  switch (idx.sort) {
    case AstCoreSort::Func:
      WEFT_CHECK(check_index(sp.core_funcs.size(), idx.index, "core func", offset));
      e.kind = CoreExternKind::Func;
      e.func = sp.core_funcs[idx.index];
      return e;
    case AstCoreSort::Table:
      WEFT_CHECK(check_index(sp.core_tables.size(), idx.index, "core table", offset));
      e.kind = CoreExternKind::Table;
      e.table = sp.core_tables[idx.index];
      return e;
    case AstCoreSort::Memory:
      WEFT_CHECK(check_index(sp.core_memories.size(), idx.index, "core memory", offset));
      e.kind = CoreExternKind::Memory;
      e.memory = sp.core_memories[idx.index];
      return e;
    case AstCoreSort::Global:
      WEFT_CHECK(check_index(sp.core_globals.size(), idx.index, "core global", offset));
      e.kind = CoreExternKind::Global;
      e.global = sp.core_globals[idx.index];
      return e;
    case AstCoreSort::Tag:
      WEFT_CHECK(check_index(sp.core_tags.size(), idx.index, "tag", offset));
      e.kind = CoreExternKind::Tag;
      e.func = sp.core_tags[idx.index];
      return e;
    default:
      return invalid(offset, "this core sort cannot be exported from a core instance");
  }
}

// ---- types -------------------------------------------------------------------

Result<ValTypePtr> Validator::val_type(Scope& s, const ast::ValType& t, uint32_t offset) {
  if (!t.is_index) return ValType::prim(prim_kind(t.prim));
  WEFT_CHECK(check_index(s.spaces->types.size(), t.index, "type", offset));
  const TypeDef& def = s.spaces->types[t.index];
  if (def.kind != TypeDef::Kind::Value)
    return invalid(offset,
                   "type index " + std::to_string(t.index) + " is not a defined value type");
  return def.value;
}

namespace {

Result<void> check_labels(const std::vector<std::string>& labels, const char* what,
                          uint32_t offset) {
  std::set<std::string> seen;
  for (const auto& l : labels) {
    if (!is_kebab_label(l))
      return invalid(offset, std::string(what) + " name `" + l + "` is not in kebab case");
    std::string low = l;
    for (char& c : low) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!seen.insert(low).second)
      return invalid(offset, std::string(what) + " name `" + l + "` conflicts with previous name");
  }
  return {};
}

}  // namespace

Result<ValTypePtr> Validator::def_val_type(Scope& s, const ast::DefValType& t, uint32_t offset) {
  auto out = std::make_shared<ValType>();
  auto sub = [&](const ast::ValType& v) { return val_type(s, v, offset); };
  switch (t.kind) {
    case ast::DefValKind::Prim:
      return ValType::prim(prim_kind(t.prim));
    case ast::DefValKind::Record: {
      out->kind = ValKind::Record;
      if (t.fields.empty()) return invalid(offset, "record type must have at least one field");
      std::vector<std::string> labels;
      for (const auto& f : t.fields) {
        WEFT_TRY(auto ft, sub(f.type));
        out->fields.push_back({f.label, ft});
        labels.push_back(f.label);
      }
      WEFT_CHECK(check_labels(labels, "record field", offset));
      break;
    }
    case ast::DefValKind::Variant: {
      out->kind = ValKind::Variant;
      if (t.cases.empty()) return invalid(offset, "variant type must have at least one case");
      if (t.cases.size() > UINT32_MAX / 2) return invalid(offset, "too many variant cases");
      std::vector<std::string> labels;
      for (const auto& c : t.cases) {
        ValTypePtr ct;
        if (c.type) {
          WEFT_TRY(ct, sub(*c.type));
        }
        out->cases.push_back({c.label, ct});
        labels.push_back(c.label);
      }
      WEFT_CHECK(check_labels(labels, "variant case", offset));
      break;
    }
    case ast::DefValKind::List: {
      out->kind = ValKind::List;
      WEFT_TRY(out->element, sub(*t.element));
      break;
    }
    case ast::DefValKind::FixedList: {
      out->kind = ValKind::FixedList;
      WEFT_TRY(out->element, sub(*t.element));
      if (t.length == 0)
        return invalid(offset, "Fixed size lists must have more than zero elements");
      out->length = t.length;
      break;
    }
    case ast::DefValKind::Tuple: {
      out->kind = ValKind::Tuple;
      if (t.types.empty()) return invalid(offset, "tuple type must have at least one type");
      for (const auto& e : t.types) {
        WEFT_TRY(auto et, sub(e));
        out->fields.push_back({"", et});
      }
      break;
    }
    case ast::DefValKind::Flags:
      out->kind = ValKind::Flags;
      if (t.labels.empty()) return invalid(offset, "flags must have at least one entry");
      if (t.labels.size() > 32) return invalid(offset, "cannot have more than 32 flags");
      WEFT_CHECK(check_labels(t.labels, "flag", offset));
      out->labels = t.labels;
      break;
    case ast::DefValKind::Enum:
      out->kind = ValKind::Enum;
      if (t.labels.empty()) return invalid(offset, "enum type must have at least one variant");
      WEFT_CHECK(check_labels(t.labels, "enum tag", offset));
      out->labels = t.labels;
      break;
    case ast::DefValKind::Option: {
      out->kind = ValKind::Option;
      WEFT_TRY(out->element, sub(*t.element));
      break;
    }
    case ast::DefValKind::Result: {
      out->kind = ValKind::Result;
      if (t.element) {
        WEFT_TRY(out->element, sub(*t.element));
      }
      if (t.error) {
        WEFT_TRY(out->error, sub(*t.error));
      }
      break;
    }
    case ast::DefValKind::Own:
    case ast::DefValKind::Borrow: {
      out->kind = t.kind == ast::DefValKind::Own ? ValKind::Own : ValKind::Borrow;
      WEFT_CHECK(check_index(s.spaces->types.size(), t.index, "type", offset));
      const TypeDef& def = s.spaces->types[t.index];
      if (def.kind != TypeDef::Kind::Resource)
        return invalid(offset, "type index " + std::to_string(t.index) + " is not a resource type");
      out->resource = def.resource;
      // A handle names its resource through the type index it was built from.
      if (def.naming == TypeDef::Naming::None) s.unnamed_nominal.insert(out.get());
      if (def.naming == TypeDef::Naming::Export) s.export_named_nominal.insert(out.get());
      if (def.naming == TypeDef::Naming::Import) s.import_named_handles.insert(out.get());
      break;
    }
    case ast::DefValKind::Stream:
    case ast::DefValKind::Future: {
      out->kind = t.kind == ast::DefValKind::Stream ? ValKind::Stream : ValKind::Future;
      if (t.element) {
        WEFT_TRY(out->element, sub(*t.element));
        if (contains_borrow(*out->element))
          return invalid(offset, "stream and future payloads cannot contain a borrow");
        if (out->kind == ValKind::Stream && out->element->kind == ValKind::Char)
          return invalid(offset, "`stream<char>` is not valid at this time");
      }
      break;
    }
    case ast::DefValKind::Map: {
      // Explainer.md: (map K V) ↦ (list (tuple K V)), K one of the keytypes.
      out->kind = ValKind::Map;
      WEFT_TRY(auto key, sub(*t.element));
      WEFT_TRY(auto value, sub(*t.error));
      switch (key->kind) {
        case ValKind::Bool:
        case ValKind::S8:
        case ValKind::U8:
        case ValKind::S16:
        case ValKind::U16:
        case ValKind::S32:
        case ValKind::U32:
        case ValKind::S64:
        case ValKind::U64:
        case ValKind::Char:
        case ValKind::String:
          break;
        default:
          return invalid(offset, "map key type must be a boolean, integer, char or string, not " +
                                     to_string(*key));
      }
      auto entry = std::make_shared<ValType>();
      entry->kind = ValKind::Tuple;
      entry->fields = {{"", key}, {"", value}};
      out->element = std::move(entry);
      break;
    }
  }
  if (elem_size(*out) >= kMaxValueSize)
    return invalid(offset, "value type exceeds maximum byte size of 2^28 (with 64-bit pointers)");
  return ValTypePtr(out);
}

Result<FuncTypePtr> Validator::func_type(Scope& s, const ast::FuncType& t, uint32_t offset) {
  auto out = std::make_shared<FuncType>();
  out->is_async = t.is_async;
  std::vector<std::string> labels;
  for (const auto& p : t.params) {
    WEFT_TRY(auto pt, val_type(s, p.type, offset));
    out->params.push_back({p.label, pt});
    labels.push_back(p.label);
  }
  WEFT_CHECK(check_labels(labels, "function parameter", offset));
  if (t.result) {
    WEFT_TRY(out->result, val_type(s, *t.result, offset));
    if (contains_borrow(*out->result))
      return invalid(offset, "function result cannot contain a borrow");
  }
  return FuncTypePtr(out);
}

Result<Extern> Validator::extern_type(Scope& s, const ast::ExternType& t, const std::string& name,
                                      uint32_t offset, std::vector<ResourcePtr>* abstract) {
  const ComponentInfo& sp = *s.spaces;
  Extern e;
  switch (t.kind) {
    case ast::ExternTypeKind::CoreModule: {
      WEFT_CHECK(check_index(sp.core_types.size(), t.index, "core type", offset));
      const CoreTypeDef& ct = sp.core_types[t.index];
      if (!ct.is_module)
        return invalid(offset,
                       "core type index " + std::to_string(t.index) + " is not a module type");
      e.kind = ExternKind::Module;
      e.module = ct.module;
      return e;
    }
    case ast::ExternTypeKind::Func: {
      WEFT_CHECK(check_index(sp.types.size(), t.index, "type", offset));
      const TypeDef& def = sp.types[t.index];
      if (def.kind != TypeDef::Kind::Func)
        return invalid(offset, "type index " + std::to_string(t.index) + " is not a function type");
      e.kind = ExternKind::Func;
      e.func = def.func;
      return e;
    }
    case ast::ExternTypeKind::Value:
      e.kind = ExternKind::Value;
      if (t.value_bound_eq) {
        WEFT_CHECK(check_index(sp.values.size(), t.index, "value", offset));
        e.value = sp.values[t.index];
      } else {
        WEFT_TRY(e.value, val_type(s, t.value_type, offset));
      }
      return e;
    case ast::ExternTypeKind::Type:
      e.kind = ExternKind::Type;
      if (t.type_bound_eq) {
        WEFT_CHECK(check_index(sp.types.size(), t.index, "type", offset));
        e.type = sp.types[t.index];
      } else {
        auto r = std::make_shared<ResourceType>();
        r->name = name;
        e.type.kind = TypeDef::Kind::Resource;
        e.type.resource = r;
        if (abstract) abstract->push_back(r);
      }
      return e;
    case ast::ExternTypeKind::Component: {
      WEFT_CHECK(check_index(sp.types.size(), t.index, "type", offset));
      const TypeDef& def = sp.types[t.index];
      if (def.kind != TypeDef::Kind::Component)
        return invalid(offset,
                       "type index " + std::to_string(t.index) + " is not a component type");
      e.kind = ExternKind::Component;
      e.component = def.component;
      return e;
    }
    case ast::ExternTypeKind::Instance: {
      WEFT_CHECK(check_index(sp.types.size(), t.index, "type", offset));
      const TypeDef& def = sp.types[t.index];
      if (def.kind != TypeDef::Kind::Instance)
        return invalid(offset,
                       "type index " + std::to_string(t.index) + " is not an instance type");
      // Each import/export of an instance type gets its own copies of the
      // type's abstract resources.
      ResourceMap fresh;
      freshen(def.instance->abstract_resources, fresh);
      e.kind = ExternKind::Instance;
      e.instance = substitute(def.instance, fresh);
      if (abstract)
        for (const auto& r : e.instance->abstract_resources) abstract->push_back(r);
      return e;
    }
  }
  return invalid(offset, "unknown extern type");
}

Result<void> Validator::check_name(Scope& s, const ast::ExternName& name, bool is_import,
                                   uint32_t offset, ExternNameInfo& info) {
  std::string why;
  auto parsed = parse_extern_name(name.name, why);
  if (!parsed) return invalid(offset, why);
  info = *parsed;
  NameSet& set = is_import ? s.import_names : s.export_names;
  if (!set.insert(info, name.name))
    return invalid(offset, std::string(is_import ? "import" : "export") + " name `" + name.name +
                               "` conflicts with previous name `" + set.previous() + "`");
  return {};
}

Result<void> Validator::check_attributes(const ast::ExternName& name, const ExternNameInfo& info,
                                         const Extern& type, uint32_t offset) {
  bool seen_implements = false;
  for (const auto& attr : name.attributes) {
    if (attr.kind != ast::NameAttribute::Kind::Implements) continue;
    if (seen_implements)
      return invalid(offset, "duplicate 'implements' option in name `" + name.name + "`");
    seen_implements = true;
    std::string w;
    auto in = attr.value.empty() ? std::nullopt : parse_extern_name(attr.value, w);
    if (!in) return invalid(offset, "`" + attr.value + "` is not a valid name");
    if (in->kind != ExternNameInfo::Kind::Interface)
      return invalid(offset, "`implements` name `" + attr.value + "` must be an interface");
    if (type.kind != ExternKind::Instance)
      return invalid(offset, "only instances can have an `implements`");
    if (info.kind != ExternNameInfo::Kind::Plain)
      return invalid(offset, "name `" + name.name + "` is not valid with `implements`");
  }
  return {};
}

Result<void> Validator::check_annotated_name(Scope& s, const ExternNameInfo& info,
                                             const Extern& type, const std::string& name,
                                             uint32_t offset, const std::vector<NamedExtern>& names,
                                             Namespace ns) {
  if (info.kind == ExternNameInfo::Kind::Plain || info.kind == ExternNameInfo::Kind::Interface)
    return {};
  if (type.kind != ExternKind::Func)
    return invalid(offset, "item named `" + name + "` is not a func");
  const FuncType& ft = *type.func;
  auto resource_named = [&](const std::string& label) -> const ResourceType* {
    for (const auto& e : names)
      if (e.name == label && e.type.kind == ExternKind::Type &&
          e.type.type.kind == TypeDef::Kind::Resource)
        return e.type.type.resource.get();
    return nullptr;
  };
  if (info.kind == ExternNameInfo::Kind::Static) {
    if (!resource_named(info.resource))
      return invalid(offset,
                     "static resource name is not known in this context: `" + info.resource + "`");
    return {};
  }
  const ValType* handle = nullptr;
  if (info.kind == ExternNameInfo::Kind::Constructor) {
    if (!ft.result) return invalid(offset, "function `" + name + "` should return one value");
    const ValTypePtr& r = ft.result;
    if (r->kind == ValKind::Own) {
      handle = r.get();
    } else if (r->kind == ValKind::Result && r->element && r->element->kind == ValKind::Own) {
      handle = r->element.get();
    } else {
      return invalid(offset, "function should return `(own $T)` or `(result (own $T))`");
    }
  } else {  // Method
    if (ft.params.empty())
      return invalid(offset, "method `" + name + "` should have at least one argument");
    if (ft.params[0].label != "self")
      return invalid(offset, "method `" + name + "` should have a first argument called `self`");
    if (ft.params[0].type->kind != ValKind::Borrow)
      return invalid(offset, "method `" + name + "` should take a first argument of `(borrow $T)`");
    handle = ft.params[0].type.get();
  }
  if (s.unnamed_nominal.count(handle) ||
      (ns == Namespace::Exports && s.import_named_handles.count(handle)) ||
      (ns == Namespace::Imports && s.export_named_nominal.count(handle)))
    return invalid(offset, "resource used in function does not have a name in this context");
  // The resource's name in this namespace must be the annotation's.
  for (const auto& e : names)
    if (e.type.kind == ExternKind::Type && e.type.type.kind == TypeDef::Kind::Resource &&
        e.type.type.resource.get() == handle->resource.get()) {
      if (e.name != info.resource)
        return invalid(offset, "function does not match expected resource name `" + e.name + "`");
      return {};
    }
  return invalid(offset, "resource used in function does not have a name in this context");
}

// ---- WebAssembly 3.0 core types ---------------------------------------------------

CoreGcValType plain_gc_type(weft::ValType v) {
  CoreGcValType t;
  if (v == weft::ValType::FuncRef || v == weft::ValType::ExternRef) {
    t.is_ref = true;
    t.nullable = true;
    t.abstract_heap = static_cast<uint8_t>(v);  // 0x70 func, 0x6f extern: the heap type bytes
  } else {
    t.num = v;
  }
  return t;
}

// A core type index as a concrete heap type, from the space a group being
// defined at [base, base + count) of `space` sees (`self` is that group;
// count 0 when resolving outside any group). A plain function type gets a
// one-type group of its own here, the first time a GC type refers to it.
Result<CoreTypeRef> resolve_core_ref(std::vector<CoreTypeDef>& space, size_t base, size_t count,
                                     const CoreRecGroup* self, std::vector<CoreRecGroupPtr>& uses,
                                     uint32_t index, uint32_t offset) {
  if (index >= base + count)
    return invalid(offset, "unknown type " + std::to_string(index) + ": type index out of bounds");
  if (index >= base) return CoreTypeRef{self, static_cast<uint32_t>(index - base)};
  CoreTypeDef& d = space[index];
  if (d.is_module)
    return invalid(offset, "type index " + std::to_string(index) +
                               " is a module type, which cannot be a heap type");
  if (!d.gc) {
    auto g = std::make_shared<CoreRecGroup>();
    CoreGcType f;
    for (auto v : d.func.params) f.params.push_back(plain_gc_type(v));
    for (auto v : d.func.results) f.results.push_back(plain_gc_type(v));
    g->types.push_back(std::move(f));
    d.gc = std::move(g);
    d.gc_index = 0;
  }
  if (std::find(uses.begin(), uses.end(), d.gc) == uses.end()) uses.push_back(d.gc);
  return CoreTypeRef{d.gc.get(), d.gc_index};
}

Result<CoreGcValType> resolve_core_val(std::vector<CoreTypeDef>& space, size_t base, size_t count,
                                       const CoreRecGroup* self, std::vector<CoreRecGroupPtr>& uses,
                                       const ast::CoreValType& t, uint32_t offset) {
  CoreGcValType out;
  out.is_ref = t.is_ref;
  out.num = t.num;
  out.nullable = t.nullable;
  if (!t.is_ref) return out;
  if (!t.heap_is_index) {
    out.abstract_heap = static_cast<uint8_t>(t.heap);
    return out;
  }
  WEFT_TRY(out.concrete, resolve_core_ref(space, base, count, self, uses, t.index, offset));
  return out;
}

// Validates a `core:rectype` (ast Kind::Rec) and appends its types to
// `space` (a component's core types or a module type's own).
Result<void> define_rec_group(std::vector<CoreTypeDef>& space, const ast::CoreType& t) {
  const size_t base = space.size();
  const size_t count = t.subtypes.size();
  auto group = std::make_shared<CoreRecGroup>();
  group->types.resize(count);
  // First every type's structure (a type may refer to any of the group),
  // then the supertypes, which need the structures of what they name.
  for (size_t i = 0; i < count; ++i) {
    const ast::CoreSubType& st = t.subtypes[i];
    CoreGcType& out = group->types[i];
    out.is_final = st.is_final;
    auto val = [&](const ast::CoreValType& v) {
      return resolve_core_val(space, base, count, group.get(), group->uses, v, st.offset);
    };
    switch (st.comp.kind) {
      case ast::CoreCompType::Kind::Func:
        out.kind = CoreGcType::Kind::Func;
        for (const auto& p : st.comp.params) {
          WEFT_TRY(auto v, val(p));
          out.params.push_back(v);
        }
        for (const auto& r : st.comp.results) {
          WEFT_TRY(auto v, val(r));
          out.results.push_back(v);
        }
        break;
      case ast::CoreCompType::Kind::Struct:
      case ast::CoreCompType::Kind::Array:
        out.kind = st.comp.kind == ast::CoreCompType::Kind::Struct ? CoreGcType::Kind::Struct
                                                                   : CoreGcType::Kind::Array;
        for (const auto& f : st.comp.fields) {
          CoreGcField field;
          field.packed = static_cast<uint8_t>(f.packed);
          field.is_mutable = f.is_mutable;
          if (f.packed == ast::PackedType::None) {
            WEFT_TRY(field.type, val(f.type));
          }
          out.fields.push_back(field);
        }
        break;
    }
  }
  for (size_t i = 0; i < count; ++i) {
    const ast::CoreSubType& st = t.subtypes[i];
    if (st.supertypes.empty()) continue;
    if (st.supertypes.size() > 1) return invalid(st.offset, "multiple supertypes not supported");
    const uint32_t super = st.supertypes[0];
    // A supertype is defined before its subtype.
    if (super >= base + i)
      return invalid(st.offset, "unknown type " + std::to_string(super) +
                                    ": type index out of bounds (a supertype must be defined "
                                    "before its subtype)");
    WEFT_TRY(CoreTypeRef ref,
             resolve_core_ref(space, base, count, group.get(), group->uses, super, st.offset));
    const CoreGcType& parent = ref.group->types[ref.index];
    if (parent.is_final) return invalid(st.offset, "sub type cannot have a final super type");
    if (!core_gc_matches(group->types[i], parent))
      return invalid(st.offset, "sub type " + std::to_string(base + i) +
                                    " does not match super type " + std::to_string(super));
    group->types[i].supertype = ref;
  }
  for (size_t i = 0; i < count; ++i) {
    CoreTypeDef def;
    def.gc = group;
    def.gc_index = static_cast<uint32_t>(i);
    def.gc_only = true;
    space.push_back(std::move(def));
  }
  return {};
}

// ---- declarators ---------------------------------------------------------------

Result<CoreModuleTypePtr> Validator::module_type(Scope& s, const ast::CoreType& t, uint32_t depth) {
  if (depth > ast::kMaxNesting) return invalid(t.offset, "type nesting too deep");
  auto out = std::make_shared<CoreModuleType>();
  // A module type has its own core type index space.
  std::vector<CoreTypeDef> types;
  std::set<std::pair<std::string, std::string>> import_names;
  std::set<std::string> export_names;
  auto extern_of = [&](const ast::CoreExternType& x, uint32_t offset) -> Result<CoreExtern> {
    CoreExtern e;
    e.kind = static_cast<CoreExternKind>(x.kind);
    switch (x.kind) {
      case ast::CoreExternKind::Func:
      case ast::CoreExternKind::Tag: {
        WEFT_CHECK(check_index(types.size(), x.type_index, "type", offset));
        const CoreTypeDef& def = types[x.type_index];
        if (def.is_module || (def.gc && def.gc->types[def.gc_index].kind != CoreGcType::Kind::Func))
          return invalid(offset, "type index is not a function type");
        e.func = def.func;
        e.gc = def.gc_only;
        break;
      }
      case ast::CoreExternKind::Memory:
        e.memory = x.memory;
        if (x.memory.limits.min > 65536 || (x.memory.limits.max && *x.memory.limits.max > 65536))
          return invalid(offset, "memory size must be at most 65536 pages (4GiB)");
        if (x.memory.limits.max && *x.memory.limits.max < x.memory.limits.min)
          return invalid(offset, "size minimum must not be greater than maximum");
        break;
      case ast::CoreExternKind::Table:
        e.table = x.table;
        if (x.table.limits.max && *x.table.limits.max < x.table.limits.min)
          return invalid(offset, "size minimum must not be greater than maximum");
        break;
      case ast::CoreExternKind::Global:
        e.global = x.global;
        break;
    }
    if (x.gc_type) {  // a table or global of a WebAssembly 3.0 reference type
      std::vector<CoreRecGroupPtr> uses;
      WEFT_CHECK(resolve_core_val(types, types.size(), 0, nullptr, uses, *x.gc_type, offset));
      e.gc = true;
    }
    return e;
  };
  for (const auto& d : t.decls) {
    switch (d.kind) {
      case ast::CoreModuleDecl::Kind::Import: {
        WEFT_TRY(auto e, extern_of(d.extern_type, d.offset));
        if (!import_names.insert({d.module, d.name}).second)
          return invalid(d.offset, "duplicate import name `" + d.module + "::" + d.name + "`");
        out->imports.push_back({d.module, d.name, e});
        break;
      }
      case ast::CoreModuleDecl::Kind::Export: {
        WEFT_TRY(auto e, extern_of(d.extern_type, d.offset));
        if (!export_names.insert(d.name).second)
          return invalid(d.offset, "duplicate export name `" + d.name + "`");
        out->exports.push_back({d.name, e});
        break;
      }
      case ast::CoreModuleDecl::Kind::Type: {
        if (!d.type || d.type->kind == ast::CoreType::Kind::Module)
          return invalid(d.offset, "a module type cannot define module types");
        if (d.type->kind == ast::CoreType::Kind::Rec) {
          WEFT_CHECK(define_rec_group(types, *d.type));
          break;
        }
        CoreTypeDef def;
        def.func = d.type->func;
        types.push_back(def);
        break;
      }
      case ast::CoreModuleDecl::Kind::Alias: {
        // (alias outer ct idx (type)): counts from the module type itself
        // (0), then the enclosing scopes.
        if (d.outer_count == 0) {
          WEFT_CHECK(check_index(types.size(), d.outer_index, "type", d.offset));
          types.push_back(types[d.outer_index]);
          break;
        }
        Scope* target = &s;
        for (uint32_t i = 1; i < d.outer_count && target; ++i) target = target->parent;
        if (!target)
          return invalid(d.offset, "invalid outer alias count of " + std::to_string(d.outer_count));
        WEFT_CHECK(
            check_index(target->spaces->core_types.size(), d.outer_index, "core type", d.offset));
        if (target->spaces->core_types[d.outer_index].is_module)
          return invalid(d.offset, "a module type cannot alias a module type");
        types.push_back(target->spaces->core_types[d.outer_index]);
        break;
      }
    }
  }
  return CoreModuleTypePtr(out);
}

Result<TypeDef> Validator::declarator_type(Scope& s, const ast::Type& t, uint32_t depth) {
  if (depth > ast::kMaxNesting) return invalid(t.offset, "type nesting too deep");
  ComponentInfo spaces;
  Scope inner;
  inner.spaces = &spaces;
  inner.parent = &s;
  const bool is_component = t.kind == ast::Type::Kind::Component;
  inner.kind = is_component ? Scope::Kind::ComponentType : Scope::Kind::InstanceType;
  std::string unexportable;
  for (const auto& d : t.decls) {
    switch (d.kind) {
      case ast::TypeDecl::Kind::CoreType:
        WEFT_CHECK(core_type(inner, *d.core_type, depth + 1));
        break;
      case ast::TypeDecl::Kind::Type:
        if (d.type->kind == ast::Type::Kind::Resource)
          return invalid(d.offset, "resources can only be defined within a concrete component");
        WEFT_CHECK(type(inner, *d.type, depth + 1));
        break;
      case ast::TypeDecl::Kind::Alias:
        WEFT_CHECK(alias(inner, d.alias, true));
        break;
      case ast::TypeDecl::Kind::Import:
        if (!is_component) return invalid(d.offset, "instance types cannot have imports");
        WEFT_CHECK(import(inner, d.import_export));
        break;
      case ast::TypeDecl::Kind::Export: {
        const ast::ImportDecl& x = d.import_export;
        ExternNameInfo info;
        ast::ExternName name = x.name;
        WEFT_CHECK(check_name(inner, name, false, x.offset, info));
        WEFT_TRY(auto e,
                 extern_type(inner, x.type, x.name.name, x.offset, &inner.exported_resources));
        WEFT_CHECK(check_attributes(x.name, info, e, x.offset));
        WEFT_CHECK(check_annotated_name(inner, info, e, x.name.name, x.offset, inner.exports,
                                        Namespace::Exports));
        std::string unnamed = unnamed_in(inner, e, false);
        if (!unnamed.empty()) {
          const std::string why =
              "export `" + x.name.name + "`: type " + unnamed +
              " not valid to be used as export: it has no exported or imported name";
          if (is_component) return invalid(x.offset, why);  // component types are checked eagerly
          if (unexportable.empty()) unexportable = why;
        }
        if (e.kind == ExternKind::Type && e.type.kind == TypeDef::Kind::Resource)
          inner.named_resources.insert(e.type.resource.get());
        name_type(inner, e, true);
        inner.exports.push_back({x.name.name, e});
        push(inner, e);
        break;
      }
    }
  }
  TypeDef out;
  if (is_component) {
    auto ct = std::make_shared<ComponentType>();
    ct->imports = std::move(inner.imports);
    ct->exports = std::move(inner.exports);
    ct->imported_resources = std::move(inner.imported_resources);
    ct->exported_resources = std::move(inner.exported_resources);
    out.kind = TypeDef::Kind::Component;
    out.component = ct;
  } else {
    auto it = std::make_shared<InstanceType>();
    it->exports = std::move(inner.exports);
    it->abstract_resources = std::move(inner.exported_resources);
    it->unexportable = std::move(unexportable);
    out.kind = TypeDef::Kind::Instance;
    out.instance = it;
  }
  return out;
}

// ---- definitions -----------------------------------------------------------------

Result<void> Validator::core_type(Scope& s, const ast::CoreType& t, uint32_t depth) {
  if (t.kind == ast::CoreType::Kind::Rec) return define_rec_group(s.spaces->core_types, t);
  CoreTypeDef def;
  if (t.kind == ast::CoreType::Kind::Func) {
    def.func = t.func;
  } else {
    def.is_module = true;
    WEFT_TRY(def.module, module_type(s, t, depth + 1));
  }
  s.spaces->core_types.push_back(std::move(def));
  return {};
}

Result<void> Validator::type(Scope& s, const ast::Type& t, uint32_t depth) {
  TypeDef def;
  switch (t.kind) {
    case ast::Type::Kind::DefVal: {
      def.kind = TypeDef::Kind::Value;
      WEFT_TRY(def.value, def_val_type(s, t.defval, t.offset));
      if (is_nominal(*def.value)) s.unnamed_nominal.insert(def.value.get());
      break;
    }
    case ast::Type::Kind::Func: {
      def.kind = TypeDef::Kind::Func;
      WEFT_TRY(def.func, func_type(s, t.func, t.offset));
      break;
    }
    case ast::Type::Kind::Component:
    case ast::Type::Kind::Instance: {
      WEFT_TRY(def, declarator_type(s, t, depth + 1));
      break;
    }
    case ast::Type::Kind::Resource: {
      if (s.kind != Scope::Kind::Component)
        return invalid(t.offset, "resources can only be defined within a concrete component");
      if (t.resource.rep != weft::ValType::I32)
        return invalid(t.offset, "resources can only be represented by `i32`");
      if (t.resource.dtor) {
        WEFT_CHECK(
            check_index(s.spaces->core_funcs.size(), *t.resource.dtor, "core func", t.offset));
        const weft::FuncType& ft = s.spaces->core_funcs[*t.resource.dtor];
        if (!(ft == weft::FuncType{{weft::ValType::I32}, {}}))
          return invalid(
              t.offset,
              "wrong signature for a destructor: expected [i32] -> [], found " + ft.to_string());
      }
      auto r = std::make_shared<ResourceType>();
      def.kind = TypeDef::Kind::Resource;
      def.resource = r;
      break;
    }
  }
  s.spaces->types.push_back(def);
  return {};
}

Result<void> Validator::core_module(Scope& s, const ast::Component& c, uint32_t index) {
  const ast::ByteRange range = c.core_modules[index];
  auto bytes = std::span<const uint8_t>(decl_.bytes).subspan(range.begin, range.size());
  auto compiled = Module::compile(bytes, core_options_);
  if (!compiled.ok()) {
    Error e = std::move(compiled).error();
    if (e.offset != Error::kNoOffset) e.offset += range.begin;
    return e;
  }
  auto module = std::move(compiled).value();
  auto type = std::make_shared<CoreModuleType>();
  std::set<std::pair<std::string, std::string>> import_names;
  for (const auto& imp : module->imports()) {
    // Components give core modules one instance per module name, so two
    // imports of one two-level name could never be told apart.
    if (!import_names.insert({imp.module, imp.name}).second)
      return invalid(range.begin,
                     "duplicate import name `" + imp.module + ":" + imp.name + "` in core module");
    CoreExtern e;
    e.kind = static_cast<CoreExternKind>(imp.kind);
    e.func = imp.kind == weft::ExternKind::Tag ? imp.tag : imp.func;
    e.table = imp.table;
    e.memory = imp.memory;
    e.global = imp.global;
    type->imports.push_back({imp.module, imp.name, e});
  }
  for (const auto& exp : module->exports()) {
    CoreExtern e;
    e.kind = static_cast<CoreExternKind>(exp.kind);
    e.func = exp.kind == weft::ExternKind::Tag ? exp.tag : exp.func;
    e.table = exp.table;
    e.memory = exp.memory;
    e.global = exp.global;
    type->exports.push_back({exp.name, e});
  }
  s.spaces->compiled_modules.push_back(module);
  s.spaces->core_modules.push_back(type);
  return {};
}

Result<void> Validator::core_instance(Scope& s, const ast::CoreInstance& inst) {
  auto type = std::make_shared<CoreInstanceType>();
  if (inst.kind == ast::CoreInstance::Kind::Instantiate) {
    WEFT_CHECK(check_index(s.spaces->core_modules.size(), inst.module, "module", inst.offset));
    const CoreModuleType& module = *s.spaces->core_modules[inst.module];
    auto uses_gc = [](const CoreModuleType& m) {
      for (const auto& imp : m.imports)
        if (imp.type.gc) return true;
      for (const auto& [n, e] : m.exports)
        if (e.gc) return true;
      return false;
    };
    if (uses_gc(module))
      return invalid(inst.offset,
                     "cannot instantiate core module " + std::to_string(inst.module) +
                         ": its type uses WebAssembly GC types, which weft's core engine does "
                         "not support");
    std::vector<std::pair<std::string, const CoreInstanceType*>> args;
    for (const auto& a : inst.args) {
      WEFT_CHECK(
          check_index(s.spaces->core_instances.size(), a.instance, "core instance", inst.offset));
      for (const auto& [n, _] : args)
        if (n == a.name)
          return invalid(inst.offset,
                         "duplicate module instantiation argument named `" + a.name + "`");
      args.emplace_back(a.name, s.spaces->core_instances[a.instance].get());
    }
    for (const auto& imp : module.imports) {
      const CoreInstanceType* arg = nullptr;
      for (const auto& [n, t] : args)
        if (n == imp.module) arg = t;
      if (!arg)
        return invalid(inst.offset,
                       "missing module instantiation argument named `" + imp.module + "`");
      const CoreExtern* found = arg->find(imp.name);
      if (!found)
        return invalid(inst.offset, "module instantiation argument `" + imp.module +
                                        "` does not export an item named `" + imp.name + "`");
      std::string why;
      if (!core_extern_matches(*found, imp.type, why))
        return invalid(inst.offset, "type mismatch for export `" + imp.name +
                                        "` of module instantiation argument `" + imp.module +
                                        "`: " + why);
    }
    type->exports = module.exports;
  } else {
    std::set<std::string> names;
    for (const auto& e : inst.exports) {
      if (!names.insert(e.name).second)
        return invalid(inst.offset, "export name `" + e.name + "` already defined");
      WEFT_TRY(auto item, core_item(s, e.item, inst.offset));
      type->exports.push_back({e.name, item});
    }
  }
  s.spaces->core_instances.push_back(type);
  return {};
}

Result<void> Validator::instance(Scope& s, const ast::Instance& inst) {
  if (inst.kind == ast::Instance::Kind::FromExports) {
    auto type = std::make_shared<InstanceType>();
    NameSet names;
    for (const auto& e : inst.exports) {
      std::string why;
      auto info = parse_extern_name(e.name.name, why);
      if (!info) return invalid(inst.offset, why);
      if (!names.insert(*info, e.name.name))
        return invalid(inst.offset, "instance export name `" + e.name.name +
                                        "` conflicts with previous name `" + names.previous() +
                                        "`");
      WEFT_TRY(auto exported, item(s, e.item, inst.offset));
      WEFT_CHECK(check_attributes(e.name, *info, exported, inst.offset));
      WEFT_CHECK(check_annotated_name(s, *info, exported, e.name.name, inst.offset, type->exports,
                                      Namespace::Bag));
      type->exports.push_back({e.name.name, exported});
    }
    s.spaces->instances.push_back(type);
    return {};
  }
  WEFT_CHECK(check_index(s.spaces->components.size(), inst.component, "component", inst.offset));
  const ComponentTypePtr component = s.spaces->components[inst.component];
  std::vector<std::pair<std::string, Extern>> args;
  std::set<std::string> arg_names;
  for (const auto& a : inst.args) {
    if (!arg_names.insert(a.name).second)
      return invalid(inst.offset,
                     "instantiation argument `" + a.name + "` conflicts with previous argument");
    WEFT_TRY(auto arg, item(s, a.item, inst.offset));
    args.emplace_back(a.name, std::move(arg));
  }
  ResourceMap map;
  for (const auto& imp : component->imports) {
    const Extern* arg = nullptr;
    for (const auto& [n, e] : args)
      if (n == imp.name) arg = &e;
    if (!arg) return invalid(inst.offset, "missing import named `" + imp.name + "`");
    // A (sub resource) import is bound to the argument's resource.
    if (imp.type.kind == ExternKind::Type && imp.type.type.kind == TypeDef::Kind::Resource &&
        arg->kind == ExternKind::Type && arg->type.kind == TypeDef::Kind::Resource) {
      // (An `eq` import of an already bound resource is checked, not bound.)
      for (const auto& r : component->imported_resources)
        if (r == imp.type.type.resource && map.resolve(r.get()) == r.get())
          map.bind(r.get(), arg->type.resource);
    }
    Extern expected = substitute(imp.type, map);
    std::string why;
    if (!is_subtype(*arg, expected, map, why))
      return invalid(inst.offset, "type mismatch for component instantiation argument `" +
                                      imp.name + "`: " + why);
    // Abstract resources of an imported instance are bound by matching
    // (is_subtype bound expected→actual for the substituted copy); bind the
    // component's own abstract resources to the same actual ones.
    if (imp.type.kind == ExternKind::Instance && arg->kind == ExternKind::Instance) {
      for (const auto& x : imp.type.instance->exports) {
        if (x.type.kind != ExternKind::Type || x.type.type.kind != TypeDef::Kind::Resource)
          continue;
        const Extern* actual = arg->instance->find(x.name);
        if (actual && actual->kind == ExternKind::Type &&
            actual->type.kind == TypeDef::Kind::Resource)
          for (const auto& r : component->imported_resources)
            if (r == x.type.type.resource && map.resolve(r.get()) == r.get())
              map.bind(r.get(), actual->type.resource);
      }
    }
  }
  // Each instantiation creates fresh resources for those the component
  // defines or exports abstractly.
  freshen(component->exported_resources, map);
  auto type = std::make_shared<InstanceType>();
  for (const auto& e : component->exports) {
    Extern x = substitute(e.type, map);
    // Names inside the child are not names here.
    if (x.kind == ExternKind::Type) x.type.naming = TypeDef::Naming::None;
    type->exports.push_back({e.name, std::move(x)});
  }
  hide_child_types(s, *component, args, *type);
  s.spaces->instances.push_back(type);
  return {};
}

Result<void> Validator::alias(Scope& s, const ast::Alias& a, bool in_declarator) {
  ComponentInfo& sp = *s.spaces;
  switch (a.target) {
    case ast::Alias::Target::Export: {
      WEFT_CHECK(check_index(sp.instances.size(), a.instance, "instance", a.offset));
      const Extern* e = sp.instances[a.instance]->find(a.name);
      if (!e)
        return invalid(a.offset, "instance " + std::to_string(a.instance) +
                                     " has no export named `" + a.name + "`");
      ExternKind want;
      switch (a.sort.kind) {
        case SortKind::Core:
          if (a.sort.core != AstCoreSort::Module)
            return invalid(a.offset, "invalid core sort for an export alias");
          want = ExternKind::Module;
          break;
        case SortKind::Func:
          want = ExternKind::Func;
          break;
        case SortKind::Value:
          want = ExternKind::Value;
          break;
        case SortKind::Type:
          want = ExternKind::Type;
          break;
        case SortKind::Component:
          want = ExternKind::Component;
          break;
        case SortKind::Instance:
          want = ExternKind::Instance;
          break;
        default:
          return invalid(a.offset, "invalid sort");
      }
      if (in_declarator && want != ExternKind::Type && want != ExternKind::Instance)
        return invalid(a.offset,
                       "export aliases in type declarators can only alias types and instances");
      if (e->kind != want)
        return invalid(a.offset, "export `" + a.name + "` for instance " +
                                     std::to_string(a.instance) + " is not a " + to_string(want));
      if (e->kind == ExternKind::Type && e->type.naming == TypeDef::Naming::None &&
          e->type.kind == TypeDef::Kind::Value && is_nominal(*e->type.value))
        s.unnamed_nominal.insert(e->type.value.get());
      push(s, *e);
      return {};
    }
    case ast::Alias::Target::CoreExport: {
      if (in_declarator)
        return invalid(a.offset, "core export aliases are not allowed in type declarators");
      WEFT_CHECK(check_index(sp.core_instances.size(), a.instance, "core instance", a.offset));
      const CoreExtern* e = sp.core_instances[a.instance]->find(a.name);
      if (!e)
        return invalid(a.offset, "core instance " + std::to_string(a.instance) +
                                     " has no export named `" + a.name + "`");
      if (a.sort.kind != SortKind::Core ||
          static_cast<uint8_t>(a.sort.core) != static_cast<uint8_t>(e->kind) ||
          a.sort.core == AstCoreSort::Type || a.sort.core == AstCoreSort::Module ||
          a.sort.core == AstCoreSort::Instance)
        return invalid(a.offset,
                       "export `" + a.name + "` for core instance " + std::to_string(a.instance) +
                           " is not a " +
                           (a.sort.kind == SortKind::Core && static_cast<uint8_t>(a.sort.core) <= 4
                                ? to_string(static_cast<CoreExternKind>(a.sort.core))
                                : to_string(e->kind)));
      push_core(s, *e);
      return {};
    }
    case ast::Alias::Target::Outer: {
      Scope* target = &s;
      bool crosses_component = false;
      for (uint32_t i = 0; i < a.outer_count; ++i) {
        if (target->kind == Scope::Kind::Component) crosses_component = true;
        target = target->parent;
        if (!target)
          return invalid(a.offset, "invalid outer alias count of " + std::to_string(a.outer_count));
      }
      const ComponentInfo& tsp = *target->spaces;
      if (a.sort.kind == SortKind::Type) {
        WEFT_CHECK(check_index(tsp.types.size(), a.outer_index, "type", a.offset));
        const TypeDef& t = tsp.types[a.outer_index];
        if (crosses_component) {
          std::vector<const ResourceType*> rs;
          collect_resources(t, rs);
          if (!rs.empty())
            return invalid(a.offset, "refers to resources not defined in the current component");
        }
        TypeDef aliased = t;
        if (crosses_component) {
          // A name in an enclosing component is not a name here.
          aliased.naming = TypeDef::Naming::None;
          if (t.kind == TypeDef::Kind::Value && is_nominal(*t.value))
            s.unnamed_nominal.insert(t.value.get());
        }
        sp.types.push_back(aliased);
        return {};
      }
      if (a.sort.kind == SortKind::Core && a.sort.core == AstCoreSort::Type) {
        WEFT_CHECK(check_index(tsp.core_types.size(), a.outer_index, "core type", a.offset));
        sp.core_types.push_back(tsp.core_types[a.outer_index]);
        return {};
      }
      if (in_declarator)
        return invalid(a.offset, "outer aliases in type declarators can only alias types");
      if (a.sort.kind == SortKind::Core && a.sort.core == AstCoreSort::Module) {
        WEFT_CHECK(check_index(tsp.core_modules.size(), a.outer_index, "module", a.offset));
        sp.core_modules.push_back(tsp.core_modules[a.outer_index]);
        return {};
      }
      if (a.sort.kind == SortKind::Component) {
        WEFT_CHECK(check_index(tsp.components.size(), a.outer_index, "component", a.offset));
        sp.components.push_back(tsp.components[a.outer_index]);
        return {};
      }
      return invalid(
          a.offset,
          "outer aliases can only refer to types, core types, core modules and components");
    }
  }
  return invalid(a.offset, "unknown alias target");
}

namespace {

struct Flattened {
  std::vector<weft::ValType> params;
  std::vector<weft::ValType> results;
};

Flattened flatten_func(const FuncType& ft) {
  Flattened f;
  for (const auto& p : ft.params) flatten(*p.type, f.params, kMaxFlatParams);
  if (ft.result) flatten(*ft.result, f.results, kMaxFlatParams);
  return f;
}

weft::FuncType core_func_type(const Flattened& flat, bool lift) {
  weft::FuncType out;
  if (flat.params.size() > kMaxFlatParams) {
    out.params = {weft::ValType::I32};
  } else {
    out.params.insert(out.params.end(), flat.params.begin(), flat.params.end());
  }
  if (flat.results.size() > kMaxFlatResults) {
    if (lift) {
      out.results = {weft::ValType::I32};
    } else {
      out.params.push_back(weft::ValType::I32);
    }
  } else {
    out.results.insert(out.results.end(), flat.results.begin(), flat.results.end());
  }
  return out;
}

// flatten_functype for the `async` option: an async lift returns its
// results through `task.return`, so the callee returns only the callback
// code (or nothing, stackful); an async lower returns a subtask status and
// takes a pointer for the results, with fewer parameters passed flat.
weft::FuncType async_core_func_type(const Flattened& flat, bool lift, bool callback) {
  weft::FuncType out;
  if (flat.params.size() > (lift ? kMaxFlatParams : kMaxFlatAsyncParams)) {
    out.params = {weft::ValType::I32};
  } else {
    out.params.insert(out.params.end(), flat.params.begin(), flat.params.end());
  }
  if (lift) {
    if (callback) out.results = {weft::ValType::I32};
  } else {
    if (!flat.results.empty()) out.params.push_back(weft::ValType::I32);
    out.results = {weft::ValType::I32};
  }
  return out;
}

}  // namespace

Result<void> Validator::canon(Scope& s, const ast::Canon& c) {
  ComponentInfo& sp = *s.spaces;
  CanonInfo info;
  // General option validation: each at most once, well-typed.
  bool has_encoding = false;
  for (const auto& opt : c.opts) {
    switch (opt.kind) {
      case ast::CanonOpt::Kind::Utf8:
      case ast::CanonOpt::Kind::Utf16:
      case ast::CanonOpt::Kind::Latin1Utf16:
        if (has_encoding)
          return invalid(
              c.offset, "canonical encoding option `" +
                            std::string(opt.kind == ast::CanonOpt::Kind::Utf8    ? "utf8"
                                        : opt.kind == ast::CanonOpt::Kind::Utf16 ? "utf16"
                                                                                 : "latin1-utf16") +
                            "` conflicts with option `string-encoding`");
        has_encoding = true;
        info.encoding = opt.kind == ast::CanonOpt::Kind::Utf8    ? CanonInfo::Encoding::Utf8
                        : opt.kind == ast::CanonOpt::Kind::Utf16 ? CanonInfo::Encoding::Utf16
                                                                 : CanonInfo::Encoding::Latin1Utf16;
        break;
      case ast::CanonOpt::Kind::Memory:
        if (info.memory) return invalid(c.offset, "`memory` is specified more than once");
        WEFT_CHECK(check_index(sp.core_memories.size(), opt.index, "memory", c.offset));
        info.memory = opt.index;
        break;
      case ast::CanonOpt::Kind::Realloc: {
        if (info.realloc) return invalid(c.offset, "`realloc` is specified more than once");
        WEFT_CHECK(check_index(sp.core_funcs.size(), opt.index, "core func", c.offset));
        const weft::FuncType want{
            {weft::ValType::I32, weft::ValType::I32, weft::ValType::I32, weft::ValType::I32},
            {weft::ValType::I32}};
        if (!(sp.core_funcs[opt.index] == want))
          return invalid(
              c.offset,
              "canonical option `realloc` uses a core function with an incorrect signature");
        info.realloc = opt.index;
        break;
      }
      case ast::CanonOpt::Kind::PostReturn:
        if (info.post_return) return invalid(c.offset, "`post-return` is specified more than once");
        WEFT_CHECK(check_index(sp.core_funcs.size(), opt.index, "core func", c.offset));
        info.post_return = opt.index;
        break;
      case ast::CanonOpt::Kind::Async:
        if (info.async) return invalid(c.offset, "`async` is specified more than once");
        info.async = true;
        break;
      case ast::CanonOpt::Kind::Callback: {
        if (info.callback) return invalid(c.offset, "`callback` is specified more than once");
        WEFT_CHECK(check_index(sp.core_funcs.size(), opt.index, "core func", c.offset));
        const weft::FuncType want{{weft::ValType::I32, weft::ValType::I32, weft::ValType::I32},
                                  {weft::ValType::I32}};
        if (!(sp.core_funcs[opt.index] == want))
          return invalid(c.offset,
                         "canonical option `callback` uses a core function with an incorrect "
                         "signature: expected " +
                             want.to_string());
        info.callback = opt.index;
        break;
      }
    }
  }
  if (info.realloc && !info.memory)
    return invalid(c.offset, "canonical option `realloc` requires `memory`");
  // CanonicalABI.md, "canonopt Validation": the rules for `async` and
  // `callback` that do not depend on the definition's function type.
  const char* name = ast::canon_name(static_cast<uint8_t>(c.kind));
  const std::string where = std::string(" on `canon ") + (name ? name : "?") + "`";
  if (info.callback && !info.async)
    return invalid(c.offset, "canonical option `callback` requires `async`");
  if (info.async && info.post_return)
    return invalid(c.offset, "canonical option `post-return` cannot be used with `async`");
  if (info.callback && c.kind != ast::CanonKind::Lift)
    return invalid(c.offset, "canonical option `callback` is not allowed" + where);
  if (info.post_return && c.kind != ast::CanonKind::Lift && c.kind != ast::CanonKind::Lower)
    return invalid(c.offset, "canonical option `post-return` is not allowed" + where);
  switch (c.kind) {
    case ast::CanonKind::Lift:
    case ast::CanonKind::Lower:
    case ast::CanonKind::StreamRead:
    case ast::CanonKind::StreamWrite:
    case ast::CanonKind::FutureRead:
    case ast::CanonKind::FutureWrite:
      break;  // 🚝: these copies may be sync or async
    default:
      if (info.async) return invalid(c.offset, "canonical option `async` is not allowed" + where);
  }
  auto need_realloc = [&](const char* why) -> Result<void> {
    if (!info.realloc)
      return invalid(c.offset, std::string("canonical option `realloc` is required ") + why);
    if (!info.memory)
      return invalid(c.offset, std::string("canonical option `memory` is required ") + why);
    return {};
  };
  auto need_memory = [&](const char* why) -> Result<void> {
    if (!info.memory)
      return invalid(c.offset, std::string("canonical option `memory` is required ") + why);
    return {};
  };
  auto resource_of = [&](uint32_t index) -> Result<ResourcePtr> {
    WEFT_CHECK(check_index(sp.types.size(), index, "type", c.offset));
    const TypeDef& t = sp.types[index];
    if (t.kind != TypeDef::Kind::Resource)
      return invalid(c.offset, "type index " + std::to_string(index) + " is not a resource type");
    return t.resource;
  };
  auto no_opts = [&]() -> Result<void> {
    if (!c.opts.empty()) return invalid(c.offset, "canonical options are not allowed here");
    return {};
  };
  switch (c.kind) {
    case ast::CanonKind::Lift: {
      WEFT_CHECK(check_index(sp.core_funcs.size(), c.func_index, "core func", c.offset));
      WEFT_CHECK(check_index(sp.types.size(), c.type_index, "type", c.offset));
      const TypeDef& t = sp.types[c.type_index];
      if (t.kind != TypeDef::Kind::Func)
        return invalid(c.offset,
                       "type index " + std::to_string(c.type_index) + " is not a function type");
      const FuncType& ft = *t.func;
      if (info.async && !ft.is_async)
        return invalid(c.offset, "the `async` canonical option requires an async function type");
      Flattened flat = flatten_func(ft);
      info.core_type = info.async ? async_core_func_type(flat, true, info.callback.has_value())
                                  : core_func_type(flat, true);
      info.func = t.func;
      for (const auto& p : ft.params)
        if (contains_memory_types(*p.type))
          WEFT_CHECK(need_realloc("to lift parameters with strings or lists"));
      if (ft.result && contains_memory_types(*ft.result))
        WEFT_CHECK(need_memory("to lower results with strings or lists"));
      if (flat.params.size() > kMaxFlatParams)
        WEFT_CHECK(need_realloc("when parameters spill to memory"));
      // An async lift passes its results to `task.return` as parameters,
      // which spill only beyond MAX_FLAT_PARAMS.
      if (flat.results.size() > (info.async ? kMaxFlatParams : kMaxFlatResults))
        WEFT_CHECK(need_memory("when results spill to memory"));
      const weft::FuncType& actual = sp.core_funcs[c.func_index];
      if (!(actual == info.core_type))
        return invalid(c.offset, "lowered function type mismatch: expected " +
                                     info.core_type.to_string() + ", found " + actual.to_string());
      if (info.post_return) {
        const weft::FuncType want{info.core_type.results, {}};
        if (!(sp.core_funcs[*info.post_return] == want))
          return invalid(c.offset,
                         "canonical option `post-return` uses a core function with an incorrect "
                         "signature: expected " +
                             want.to_string());
      }
      sp.funcs.push_back(t.func);
      break;
    }
    case ast::CanonKind::Lower: {
      if (info.post_return)
        return invalid(c.offset,
                       "canonical option `post-return` cannot be used with `canon lower`");
      WEFT_CHECK(check_index(sp.funcs.size(), c.func_index, "func", c.offset));
      const FuncTypePtr ft = sp.funcs[c.func_index];
      if (info.async && !ft->is_async)
        return invalid(c.offset, "the `async` canonical option requires an async function type");
      Flattened flat = flatten_func(*ft);
      info.core_type =
          info.async ? async_core_func_type(flat, false, false) : core_func_type(flat, false);
      info.func = ft;
      for (const auto& p : ft->params)
        if (contains_memory_types(*p.type))
          WEFT_CHECK(need_memory("to lift parameters with strings or lists"));
      if (ft->result && contains_memory_types(*ft->result))
        WEFT_CHECK(need_realloc("to lower results with strings or lists"));
      if (flat.params.size() > (info.async ? kMaxFlatAsyncParams : kMaxFlatParams))
        WEFT_CHECK(need_memory("when parameters spill to memory"));
      if (flat.results.size() > kMaxFlatResults)
        WEFT_CHECK(need_memory("when results spill to memory"));
      // The async ABI always returns results through memory.
      if (info.async) WEFT_CHECK(need_memory("with `async`"));
      sp.core_funcs.push_back(info.core_type);
      break;
    }
    case ast::CanonKind::ResourceNew:
    case ast::CanonKind::ResourceRep: {
      WEFT_CHECK(no_opts());
      WEFT_TRY(info.resource, resource_of(c.type_index));
      if (!s.local_resources.count(info.resource.get()))
        return invalid(
            c.offset, "resource type " + std::to_string(c.type_index) + " is not a local resource");
      info.core_type = weft::FuncType{{weft::ValType::I32}, {weft::ValType::I32}};
      sp.core_funcs.push_back(info.core_type);
      break;
    }
    case ast::CanonKind::ResourceDrop: {
      WEFT_CHECK(no_opts());
      WEFT_TRY(info.resource, resource_of(c.type_index));
      info.core_type = weft::FuncType{{weft::ValType::I32}, {}};
      sp.core_funcs.push_back(info.core_type);
      break;
    }
    default:
      WEFT_TRY(info.core_type, async_builtin(s, c, info));
      sp.core_funcs.push_back(info.core_type);
      break;
  }
  if (info.func && (c.kind == ast::CanonKind::Lift || c.kind == ast::CanonKind::Lower))
    info.signature = abi::signature_of(*info.func);
  sp.canons.push_back(std::move(info));
  return {};
}

// The 🔀/🧵 built-ins: the immediates CanonicalABI.md's "validation
// specifies" paragraphs check, and the core function type each is given.
// (The general option rules ran in canon() already.)
Result<weft::FuncType> Validator::async_builtin(Scope& s, const ast::Canon& c, CanonInfo& info) {
  using ast::CanonKind;
  const ComponentInfo& sp = *s.spaces;
  constexpr weft::ValType i32 = weft::ValType::I32;
  constexpr weft::ValType i64 = weft::ValType::I64;
  const char* raw_name = ast::canon_name(static_cast<uint8_t>(c.kind));
  const std::string name = raw_name ? raw_name : "?";
  auto need = [&](bool present, const char* option, const std::string& why) -> Result<void> {
    if (!present)
      return invalid(c.offset, std::string("canonical option `") + option + "` is required " + why);
    return {};
  };
  // `$t` must be a type of the form (stream $t?) / (future $t?).
  auto payload_of = [&](ValKind want) -> Result<ValTypePtr> {
    WEFT_CHECK(check_index(sp.types.size(), c.type_index, "type", c.offset));
    const TypeDef& t = sp.types[c.type_index];
    if (t.kind != TypeDef::Kind::Value || !t.value || t.value->kind != want)
      return invalid(c.offset, "`canon " + name + "` requires a " +
                                   (want == ValKind::Stream ? "stream" : "future") +
                                   " type, but type index " + std::to_string(c.type_index) +
                                   " is not one");
    return t.value->element;
  };
  const ValKind kind_of_end = name.rfind("stream", 0) == 0 ? ValKind::Stream : ValKind::Future;
  switch (c.kind) {
    case CanonKind::BackpressureInc:
    case CanonKind::BackpressureDec:
    case CanonKind::TaskCancel:
      return weft::FuncType{};
    case CanonKind::TaskReturn: {
      // `$opts` may only contain `memory` and `string-encoding`.
      if (info.realloc)
        return invalid(c.offset,
                       "canonical option `realloc` is not allowed on `canon task.return`");
      // The core function takes the result as flat_functype(...,'lower')
      // gives a function's parameters: a pointer beyond MAX_FLAT_PARAMS.
      weft::FuncType ft;
      // The runtime checks the result type against the task's: kept as the
      // result of an otherwise empty function type.
      auto result_type = std::make_shared<FuncType>();
      info.func = result_type;
      if (!c.result) return ft;
      WEFT_TRY(ValTypePtr t, val_type(s, *c.result, c.offset));
      result_type->result = t;
      std::vector<weft::ValType> flat;
      flatten(*t, flat, kMaxFlatParams);
      if (flat.size() > kMaxFlatParams) {
        WEFT_CHECK(need(info.memory.has_value(), "memory", "when the result spills to memory"));
        ft.params = {i32};
      } else {
        ft.params = flat;
      }
      if (contains_memory_types(*t))
        WEFT_CHECK(
            need(info.memory.has_value(), "memory", "to lift a result with strings or lists"));
      return ft;
    }
    case CanonKind::ContextGet:
    case CanonKind::ContextSet:
      // 🐘 (i64 slots) is not supported: no memory64.
      if (c.core_type != i32)
        return invalid(c.offset, "`canon " + name + "` requires type `i32`, found `" +
                                     weft::to_string(c.core_type) + "`");
      if (c.index >= 2)
        return invalid(c.offset, "`canon " + name + "` slot index " + std::to_string(c.index) +
                                     " is out of bounds: there are 2 context slots");
      return c.kind == CanonKind::ContextGet ? weft::FuncType{{}, {i32}}
                                             : weft::FuncType{{i32}, {}};
    case CanonKind::SubtaskCancel:
      return weft::FuncType{{i32}, {i32}};  // 🚝: `async` may be set
    case CanonKind::SubtaskDrop:
      return weft::FuncType{{i32}, {}};
    case CanonKind::StreamNew:
    case CanonKind::FutureNew: {
      WEFT_CHECK(payload_of(kind_of_end));
      return weft::FuncType{{}, {i64}};  // readable end | writable end << 32
    }
    case CanonKind::StreamRead:
    case CanonKind::StreamWrite:
    case CanonKind::FutureRead:
    case CanonKind::FutureWrite: {
      WEFT_TRY(ValTypePtr payload, payload_of(kind_of_end));
      const bool read = c.kind == CanonKind::StreamRead || c.kind == CanonKind::FutureRead;
      if (payload) {
        WEFT_CHECK(need(info.memory.has_value(), "memory", "to copy a payload"));
        // A read lowers the payload into guest memory (lift(t) in the
        // spec's naming), a write lifts it out (lower(t)).
        if (read && contains_memory_types(*payload))
          WEFT_CHECK(
              need(info.realloc.has_value(), "realloc", "to read a payload with strings or lists"));
      }
      if (kind_of_end == ValKind::Stream) return weft::FuncType{{i32, i32, i32}, {i32}};
      return weft::FuncType{{i32, i32}, {i32}};
    }
    case CanonKind::StreamCancelRead:
    case CanonKind::StreamCancelWrite:
    case CanonKind::FutureCancelRead:
    case CanonKind::FutureCancelWrite:
      WEFT_CHECK(payload_of(kind_of_end));
      return weft::FuncType{{i32}, {i32}};  // 🚝: `async` may be set
    case CanonKind::StreamDropReadable:
    case CanonKind::StreamDropWritable:
    case CanonKind::FutureDropReadable:
    case CanonKind::FutureDropWritable:
      WEFT_CHECK(payload_of(kind_of_end));
      return weft::FuncType{{i32}, {}};
    case CanonKind::ErrorContextNew:
      WEFT_CHECK(need(info.memory.has_value(), "memory", "by `canon error-context.new`"));
      return weft::FuncType{{i32, i32}, {i32}};
    case CanonKind::ErrorContextDebugMessage:
      WEFT_CHECK(need(info.memory.has_value(), "memory", "by `canon error-context.debug-message`"));
      WEFT_CHECK(
          need(info.realloc.has_value(), "realloc", "by `canon error-context.debug-message`"));
      return weft::FuncType{{i32, i32}, {}};
    case CanonKind::ErrorContextDrop:
      return weft::FuncType{{i32}, {}};
    case CanonKind::WaitableSetNew:
      return weft::FuncType{{}, {i32}};
    case CanonKind::WaitableSetWait:
    case CanonKind::WaitableSetPoll:
      // Every weft memory is a 32-bit one, a subtype of (memory 0).
      WEFT_CHECK(check_index(sp.core_memories.size(), c.index, "memory", c.offset));
      return weft::FuncType{{i32, i32}, {i32}};  // (set, event pointer) -> event code
    case CanonKind::WaitableSetDrop:
      return weft::FuncType{{i32}, {}};
    case CanonKind::WaitableJoin:
      return weft::FuncType{{i32, i32}, {}};
    case CanonKind::ThreadIndex:
      return weft::FuncType{{}, {i32}};
    case CanonKind::ThreadNewIndirect:
    case CanonKind::ThreadSpawnRef:
    case CanonKind::ThreadSpawnIndirect: {
      // `$ft` must be (func (param i32)): the closure parameter.
      WEFT_CHECK(check_index(sp.core_types.size(), c.type_index, "core type", c.offset));
      const CoreTypeDef& t = sp.core_types[c.type_index];
      const weft::FuncType want{{i32}, {}};
      if (!t.is_plain_func() || !(t.func == want))
        return invalid(c.offset, "`canon " + name + "` requires core type index " +
                                     std::to_string(c.type_index) + " to be " + want.to_string());
      if (c.kind == CanonKind::ThreadSpawnRef)
        return invalid(c.offset,
                       "`canon thread.spawn-ref` is not supported: its core type takes a typed "
                       "function reference, and weft has no typed references (🧵②)");
      WEFT_CHECK(check_index(sp.core_tables.size(), c.index, "table", c.offset));
      if (sp.core_tables[c.index].element != weft::ValType::FuncRef)
        return invalid(c.offset, "`canon " + name + "` requires a table of `funcref`, found `" +
                                     weft::to_string(sp.core_tables[c.index].element) + "`");
      if (c.kind == CanonKind::ThreadSpawnIndirect)
        return invalid(c.offset,
                       "`canon thread.spawn-indirect` requires a shared table, and weft has no "
                       "shared tables (🧵②)");
      return weft::FuncType{{i32, i32}, {i32}};  // (table index, closure) -> thread index
    }
    case CanonKind::ThreadResumeLater:
      return weft::FuncType{{i32}, {}};
    case CanonKind::ThreadSuspend:
    case CanonKind::ThreadYield:
      return weft::FuncType{{}, {i32}};  // -> cancelled
    case CanonKind::ThreadSuspendThenResume:
    case CanonKind::ThreadYieldThenResume:
    case CanonKind::ThreadSuspendThenPromote:
    case CanonKind::ThreadYieldThenPromote:
      return weft::FuncType{{i32}, {i32}};  // (thread index) -> cancelled
    case CanonKind::ThreadAvailableParallelism:
      if (c.flag)
        return invalid(c.offset,
                       "`canon thread.available-parallelism shared` is not supported: weft has no "
                       "shared functions (🧵②)");
      return weft::FuncType{{}, {i32}};
    case CanonKind::Lift:
    case CanonKind::Lower:
    case CanonKind::ResourceNew:
    case CanonKind::ResourceDrop:
    case CanonKind::ResourceRep:
      break;  // handled by canon()
  }
  return invalid(c.offset, "canonical built-in `" + name + "` is not known");
}

// The first type in `e` (below the top node of a type export) that has no
// external name, or "".
std::string unnamed_in(const Scope& s, const Extern& e, bool is_import) {
  std::string found;
  std::set<const ValType*> exported;  // named by the instance being checked (below)
  std::function<void(const ValTypePtr&, uint32_t)> visit = [&](const ValTypePtr& t,
                                                               uint32_t depth) {
    if (!t || !found.empty() || depth > kMaxTypeDepth) return;
    if ((s.unnamed_nominal.count(t.get()) && !exported.count(t.get())) ||
        (is_import && s.export_named_nominal.count(t.get()))) {
      found = to_string(*t);
      return;
    }
    visit(t->element, depth + 1);
    visit(t->error, depth + 1);
    for (const auto& f : t->fields) visit(f.type, depth + 1);
    for (const auto& c : t->cases) visit(c.type, depth + 1);
  };
  auto visit_children = [&](const ValTypePtr& t) {
    if (!t) return;
    visit(t->element, 1);
    visit(t->error, 1);
    for (const auto& f : t->fields) visit(f.type, 1);
    for (const auto& c : t->cases) visit(c.type, 1);
  };
  switch (e.kind) {
    case ExternKind::Func:
      for (const auto& p : e.func->params) visit(p.type, 0);
      visit(e.func->result, 0);
      break;
    case ExternKind::Value:
      visit(e.value, 0);
      break;
    case ExternKind::Type:
      if (e.type.kind == TypeDef::Kind::Value) visit_children(e.type.value);
      if (e.type.kind == TypeDef::Kind::Func) {
        for (const auto& p : e.type.func->params) visit(p.type, 0);
        visit(e.type.func->result, 0);
      }
      if (e.type.kind == TypeDef::Kind::Instance && !e.type.instance->unexportable.empty())
        found = "(instance: " + e.type.instance->unexportable + ")";
      break;
    case ExternKind::Instance: {
      if (!e.instance->unexportable.empty()) {
        found = "(instance: " + e.instance->unexportable + ")";
        break;
      }
      // An instance's exports may mention only named types, or the types the
      // instance itself exports (its import or export names those). The
      // types of an instance from an instantiated child are in
      // `unnamed_nominal` here (see hide_child_types).
      std::function<void(const InstanceType&, uint32_t)> collect = [&](const InstanceType& it,
                                                                       uint32_t depth) {
        if (depth > ast::kMaxNesting) return;
        for (const auto& x : it.exports) {
          if (x.type.kind == ExternKind::Type && x.type.type.kind == TypeDef::Kind::Value)
            exported.insert(x.type.type.value.get());
          if (x.type.kind == ExternKind::Instance && x.type.instance)
            collect(*x.type.instance, depth + 1);
        }
      };
      collect(*e.instance, 0);
      std::function<void(const InstanceType&, uint32_t)> walk = [&](const InstanceType& it,
                                                                    uint32_t depth) {
        if (depth > ast::kMaxNesting) return;
        for (const auto& x : it.exports) {
          if (!found.empty()) return;
          const Extern& y = x.type;
          if (y.kind == ExternKind::Func) {
            for (const auto& p : y.func->params) visit(p.type, 0);
            visit(y.func->result, 0);
          } else if (y.kind == ExternKind::Value) {
            visit(y.value, 0);
          } else if (y.kind == ExternKind::Type && y.type.kind == TypeDef::Kind::Value) {
            visit_children(y.type.value);
          } else if (y.kind == ExternKind::Instance && y.instance) {
            if (!y.instance->unexportable.empty())
              found = "(instance: " + y.instance->unexportable + ")";
            else
              walk(*y.instance, depth + 1);
          }
        }
      };
      walk(*e.instance, 0);
      break;
    }
    default:
      break;  // component types: their own scopes checked them
  }
  return found;
}

// The nominal value types an instantiated child's exports mention have no
// name here (a name in the child is not a name in its parent), so they join
// `s.unnamed_nominal`: exporting the instance, or anything built from them,
// needs a name given here, by aliasing one of its type exports and exporting
// that (which names a copy). A type the child imported is the argument it
// was given, and is as named as that argument is.
void hide_child_types(Scope& s, const ComponentType& child,
                      const std::vector<std::pair<std::string, Extern>>& args,
                      const InstanceType& instance) {
  std::map<const ValType*, const ValType*> imported;  // child's import → argument
  for (const auto& imp : child.imports) {
    if (imp.type.kind != ExternKind::Type || imp.type.type.kind != TypeDef::Kind::Value) continue;
    for (const auto& [n, arg] : args)
      if (n == imp.name && arg.kind == ExternKind::Type && arg.type.kind == TypeDef::Kind::Value)
        imported[imp.type.type.value.get()] = arg.type.value.get();
  }
  std::function<void(const ValTypePtr&, uint32_t)> visit = [&](const ValTypePtr& t,
                                                               uint32_t depth) {
    if (!t || depth > kMaxTypeDepth) return;
    if (is_nominal(*t)) {
      auto it = imported.find(t.get());
      if (it == imported.end() || s.unnamed_nominal.count(it->second))
        s.unnamed_nominal.insert(t.get());
    }
    visit(t->element, depth + 1);
    visit(t->error, depth + 1);
    for (const auto& f : t->fields) visit(f.type, depth + 1);
    for (const auto& c : t->cases) visit(c.type, depth + 1);
  };
  auto visit_func = [&](const FuncTypePtr& f) {
    if (!f) return;
    for (const auto& p : f->params) visit(p.type, 0);
    visit(f->result, 0);
  };
  std::function<void(const InstanceType&, uint32_t)> visit_instance = [&](const InstanceType& it,
                                                                          uint32_t depth) {
    if (depth > ast::kMaxNesting) return;
    for (const auto& x : it.exports) {
      const Extern& e = x.type;
      switch (e.kind) {
        case ExternKind::Func:
          visit_func(e.func);
          break;
        case ExternKind::Value:
          visit(e.value, 0);
          break;
        case ExternKind::Type:
          if (e.type.kind == TypeDef::Kind::Value) visit(e.type.value, 0);
          if (e.type.kind == TypeDef::Kind::Func) visit_func(e.type.func);
          if (e.type.kind == TypeDef::Kind::Instance && e.type.instance)
            visit_instance(*e.type.instance, depth + 1);
          break;
        case ExternKind::Instance:
          if (e.instance) visit_instance(*e.instance, depth + 1);
          break;
        default:
          break;  // modules and components: checked in their own scopes
      }
    }
  };
  visit_instance(instance, 0);
}

// The type index an import or export introduces: a named copy of a
// nominal value type (see Scope::unnamed_nominal).
// An instance's type exports are named by the instance's import or export
// (recursively), so the instance gets copies of them.
void name_type(Scope& s, Extern& e, bool by_export, uint32_t depth) {
  if (depth > ast::kMaxNesting) return;
  if (e.kind == ExternKind::Instance) {
    auto copy = std::make_shared<InstanceType>(*e.instance);
    for (auto& x : copy->exports) {
      if (x.type.kind == ExternKind::Type && x.type.type.kind == TypeDef::Kind::Resource) {
        s.named_resources.insert(x.type.type.resource.get());
        if (!by_export) s.import_named_resources.insert(x.type.type.resource.get());
      }
      name_type(s, x.type, by_export, depth + 1);
    }
    e.instance = std::move(copy);
    return;
  }
  if (e.kind != ExternKind::Type) return;
  e.type.naming = by_export ? TypeDef::Naming::Export : TypeDef::Naming::Import;
  if (e.type.kind != TypeDef::Kind::Value || !is_nominal(*e.type.value)) return;
  auto copy = std::make_shared<ValType>(*e.type.value);
  if (by_export) s.export_named_nominal.insert(copy.get());
  e.type.value = std::move(copy);
}

Result<void> Validator::import(Scope& s, const ast::ImportDecl& imp) {
  ExternNameInfo info;
  WEFT_CHECK(check_name(s, imp.name, true, imp.offset, info));
  WEFT_TRY(auto e, extern_type(s, imp.type, imp.name.name, imp.offset, &s.imported_resources));
  WEFT_CHECK(check_attributes(imp.name, info, e, imp.offset));
  WEFT_CHECK(
      check_annotated_name(s, info, e, imp.name.name, imp.offset, s.imports, Namespace::Imports));
  std::string unnamed = unnamed_in(s, e, true);
  if (!unnamed.empty())
    return invalid(imp.offset, "import `" + imp.name.name + "`: type " + unnamed +
                                   " not valid to be used as import: it has no name of an import");
  name_type(s, e, false);
  auto name_resource = [&](const ResourceType* r) {
    s.named_resources.insert(r);
    s.import_named_resources.insert(r);
  };
  if (e.kind == ExternKind::Type && e.type.kind == TypeDef::Kind::Resource)
    name_resource(e.type.resource.get());
  if (e.kind == ExternKind::Instance)
    for (const auto& x : e.instance->exports)
      if (x.type.kind == ExternKind::Type && x.type.type.kind == TypeDef::Kind::Resource)
        name_resource(x.type.type.resource.get());
  s.imports.push_back({imp.name.name, e});
  push(s, e);
  return {};
}

Result<void> Validator::export_(Scope& s, const ast::Export& exp) {
  std::optional<Extern> exported_view;  // what the component type shows, if not `e`
  ExternNameInfo info;
  WEFT_CHECK(check_name(s, exp.name, false, exp.offset, info));
  WEFT_TRY(auto e, item(s, exp.item, exp.offset));
  if (exp.type) {
    std::vector<ResourcePtr> ascribed_abstract;
    WEFT_TRY(auto ascribed,
             extern_type(s, *exp.type, exp.name.name, exp.offset, &ascribed_abstract));
    ResourceMap map;
    for (const auto& r : ascribed_abstract)
      if (e.kind == ExternKind::Type && e.type.kind == TypeDef::Kind::Resource)
        map.bind(r.get(), e.type.resource);
    std::string why;
    if (!is_subtype(e, ascribed, map, why))
      return invalid(exp.offset,
                     "ascribed type of export is not compatible with item's type: " + why);
    // The export has the ascribed type. A `(sub resource)` ascription hides
    // which resource it is: outside, it is a distinct abstract resource.
    if (!(ascribed.kind == ExternKind::Type && ascribed.type.kind == TypeDef::Kind::Resource &&
          !exp.type->type_bound_eq))
      e = substitute(ascribed, map);
    else
      exported_view = ascribed;
  }
  WEFT_CHECK(check_attributes(exp.name, info, e, exp.offset));
  WEFT_CHECK(
      check_annotated_name(s, info, e, exp.name.name, exp.offset, s.exports, Namespace::Exports));
  // Every resource in the export's type must have been imported or exported.
  if (e.kind == ExternKind::Type && e.type.kind == TypeDef::Kind::Resource) {
    s.named_resources.insert(e.type.resource.get());
    name_type(s, e, true);
  } else {
    // Exporting an instance names the types it exports (checked before
    // name_type gives the instance copies of them).
    std::string unnamed;
    if (e.kind == ExternKind::Instance) {
      unnamed = unnamed_in(s, e, false);
      name_type(s, e, true);
    }
    std::vector<const ResourceType*> used;
    collect_resources(e, used);
    for (const ResourceType* r : used)
      if (!s.named_resources.count(r))
        return invalid(
            exp.offset,
            "export `" + exp.name.name +
                "` uses a resource type that is not exported or imported by this component");
    if (e.kind != ExternKind::Instance) unnamed = unnamed_in(s, e, false);
    if (!unnamed.empty())
      return invalid(exp.offset,
                     "export `" + exp.name.name + "`: type " + unnamed +
                         " not valid to be used as export: it has no exported or imported name");
    if (e.kind != ExternKind::Instance) name_type(s, e, true);
    if (e.kind == ExternKind::Instance)
      for (const auto& x : e.instance->exports)
        if (x.type.kind == ExternKind::Type && x.type.type.kind == TypeDef::Kind::Resource)
          s.named_resources.insert(x.type.type.resource.get());
  }
  s.exports.push_back({exp.name.name, exported_view ? *exported_view : e});
  // An export adds a new index of its sort, aliasing the item.
  if (e.kind == ExternKind::Value) {
    s.spaces->values.push_back(e.value);
    s.value_consumed.push_back(true);
  } else {
    push(s, e);
  }
  return {};
}

Result<void> Validator::start(Scope& s, const ast::Start& st) {
  WEFT_CHECK(check_index(s.spaces->funcs.size(), st.func, "func", st.offset));
  const FuncType& ft = *s.spaces->funcs[st.func];
  if (st.args.size() != ft.params.size())
    return invalid(st.offset, "start function argument count mismatch");
  for (size_t i = 0; i < st.args.size(); ++i) {
    ast::SortIdx idx;
    idx.sort.kind = SortKind::Value;
    idx.index = st.args[i];
    WEFT_TRY(auto v, item(s, idx, st.offset));
    ResourceMap none;
    if (!types_equal(*v.value, *ft.params[i].type, none))
      return invalid(st.offset, "start function argument type mismatch");
  }
  if (st.results != (ft.result ? 1u : 0u))
    return invalid(st.offset, "start function result count mismatch");
  if (ft.result) {
    s.spaces->values.push_back(ft.result);
    s.value_consumed.push_back(false);
  }
  return {};
}

Result<void> Validator::value(Scope& s, const ast::Value& v) {
  WEFT_TRY(auto t, val_type(s, v.type, v.offset));
  s.spaces->values.push_back(t);
  s.value_consumed.push_back(false);
  return {};
}

Result<ComponentInfoPtr> Validator::component(const ast::Component& c, Scope* parent,
                                              uint32_t depth) {
  if (depth > ast::kMaxNesting) return invalid(c.range.begin, "components nested too deeply");
  auto info = std::make_shared<ComponentInfo>();
  info->ast = &c;
  Scope s;
  s.spaces = info.get();
  s.parent = parent;
  s.kind = Scope::Kind::Component;
  for (const auto& section : c.order) {
    for (uint32_t i = section.first; i < section.first + section.count; ++i) {
      switch (section.id) {
        case 0:
          break;  // custom
        case 1:
          WEFT_CHECK(core_module(s, c, i));
          break;
        case 2:
          WEFT_CHECK(core_instance(s, c.core_instances[i]));
          break;
        case 3:
          WEFT_CHECK(core_type(s, c.core_types[i], depth));
          break;
        case 4: {
          WEFT_TRY(auto nested, component(*c.components[i], &s, depth + 1));
          info->components.push_back(nested->type);
          info->nested.push_back(std::move(nested));
          break;
        }
        case 5:
          WEFT_CHECK(instance(s, c.instances[i]));
          break;
        case 6:
          WEFT_CHECK(alias(s, c.aliases[i], false));
          break;
        case 7: {
          WEFT_CHECK(type(s, c.types[i], depth));
          const TypeDef& t = info->types.back();
          if (c.types[i].kind == ast::Type::Kind::Resource) {
            s.local_resources.insert(t.resource.get());
            info->defined_resources.push_back(t.resource);
          } else {
            info->defined_resources.push_back(nullptr);
          }
          break;
        }
        case 8:
          WEFT_CHECK(canon(s, c.canons[i]));
          break;
        case 9:
          WEFT_CHECK(start(s, c.starts[i]));
          break;
        case 10:
          WEFT_CHECK(import(s, c.imports[i]));
          break;
        case 11:
          WEFT_CHECK(export_(s, c.exports[i]));
          break;
        case 12:
          WEFT_CHECK(value(s, c.values[i]));
          break;
        default:
          return invalid(section.offset, "unknown section");
      }
    }
  }
  for (size_t i = 0; i < s.value_consumed.size(); ++i)
    if (!s.value_consumed[i])
      return invalid(c.range.end, "value " + std::to_string(i) + " is not used");
  auto type = std::make_shared<ComponentType>();
  type->imports = s.imports;
  type->exports = s.exports;
  type->imported_resources = s.imported_resources;
  std::vector<const ResourceType*> used;
  for (const auto& e : s.exports) collect_resources(e.type, used);
  std::set<const ResourceType*> seen;
  for (const auto& r : s.imported_resources) seen.insert(r.get());
  // The exported resources that are not imported are fresh per instance:
  // find their owning pointers in the export types.
  std::function<void(const ValTypePtr&)> visit_val;
  std::function<void(const Extern&)> visit;
  auto add = [&](const ResourcePtr& r) {
    if (r && seen.insert(r.get()).second) type->exported_resources.push_back(r);
  };
  visit_val = [&](const ValTypePtr& t) {
    if (!t) return;
    if (t->kind == ValKind::Own || t->kind == ValKind::Borrow) add(t->resource);
    visit_val(t->element);
    visit_val(t->error);
    for (const auto& f : t->fields) visit_val(f.type);
    for (const auto& k : t->cases) visit_val(k.type);
  };
  visit = [&](const Extern& e) {
    switch (e.kind) {
      case ExternKind::Func:
        for (const auto& p : e.func->params) visit_val(p.type);
        visit_val(e.func->result);
        break;
      case ExternKind::Value:
        visit_val(e.value);
        break;
      case ExternKind::Type:
        if (e.type.kind == TypeDef::Kind::Resource) add(e.type.resource);
        if (e.type.kind == TypeDef::Kind::Value) visit_val(e.type.value);
        break;
      case ExternKind::Instance:
        for (const auto& x : e.instance->exports) visit(x.type);
        break;
      default:
        break;
    }
  };
  for (const auto& e : s.exports) visit(e.type);
  info->type = type;
  return ComponentInfoPtr(info);
}

}  // namespace

Result<std::shared_ptr<const ValidatedComponent>> validate_component(
    std::span<const uint8_t> bytes, const CompileOptions& core_options) {
  WEFT_TRY(auto decl, decode_component(bytes));
  auto out = std::make_shared<ValidatedComponent>();
  out->decl = std::move(decl);
  Validator v(out->decl, core_options);
  WEFT_TRY(out->root, v.component(out->decl.root, nullptr, 0));
  return std::shared_ptr<const ValidatedComponent>(out);
}

}  // namespace weft::component
