// weft::Module accessors and the import/export views filled after
// validation. (Module::compile lives in compile.cpp, ModuleImpl's
// constructor/destructor in module_impl.cpp next to CompiledFunc.)
#include <algorithm>

#include "wasm/runtime/module_info.h"
#include "wasm/runtime/objects.h"

namespace weft {

Module::Module(std::unique_ptr<detail::ModuleImpl> impl) : impl_(std::move(impl)) {}
Module::~Module() = default;

const std::vector<ImportInfo>& Module::imports() const { return impl_->import_infos; }
const std::vector<ExportInfo>& Module::exports() const { return impl_->export_infos; }
const std::vector<MemoryType>& Module::memories() const { return impl_->defined_memories; }
const std::vector<TableType>& Module::tables() const { return impl_->defined_tables; }
const std::vector<SectionInfo>& Module::sections() const { return impl_->decl.sections; }
const std::string& Module::name() const { return impl_->decl.names.module_name; }

std::optional<FuncType> Module::export_func_type(std::string_view name) const {
  for (const ExportInfo& info : impl_->export_infos) {
    if (info.kind == ExternKind::Func && info.name == name) return info.func;
  }
  return std::nullopt;
}

namespace detail {

std::optional<uint32_t> ModuleImpl::find_export(std::string_view name) const {
  auto it = std::lower_bound(
      exports_by_name.begin(), exports_by_name.end(), name,
      [&](uint32_t i, std::string_view key) { return decl.exports[i].name < key; });
  if (it == exports_by_name.end() || decl.exports[*it].name != name) return std::nullopt;
  return *it;
}

void fill_module_infos(ModuleImpl& mod) {
  const wasm::ModuleDecl& decl = mod.decl;
  auto func_type_at = [&](uint32_t type_index) {
    return type_index < decl.types.size() ? decl.types[type_index] : FuncType{};
  };

  mod.import_infos.clear();
  mod.import_infos.reserve(decl.imports.size());
  for (const wasm::Import& imp : decl.imports) {
    ImportInfo info;
    info.module = imp.module;
    info.name = imp.name;
    info.kind = imp.kind;
    if (imp.kind == ExternKind::Func) info.func = func_type_at(imp.func_type);
    info.table = imp.table;
    info.memory = imp.memory;
    info.global = imp.global;
    if (imp.kind == ExternKind::Tag) info.tag = func_type_at(imp.tag_type);
    mod.import_infos.push_back(std::move(info));
  }

  mod.export_infos.clear();
  mod.export_infos.reserve(decl.exports.size());
  for (const wasm::Export& exp : decl.exports) {
    ExportInfo info;
    info.name = exp.name;
    info.kind = exp.kind;
    info.index = exp.index;
    switch (exp.kind) {
      case ExternKind::Func:
        if (exp.index < decl.func_types.size())
          info.func = func_type_at(decl.func_types[exp.index]);
        break;
      case ExternKind::Table:
        if (exp.index < decl.tables.size()) info.table = decl.tables[exp.index];
        break;
      case ExternKind::Memory:
        if (exp.index < decl.memories.size()) info.memory = decl.memories[exp.index];
        break;
      case ExternKind::Global:
        if (exp.index < decl.global_types.size()) info.global = decl.global_types[exp.index];
        break;
      case ExternKind::Tag:
        if (exp.index < decl.tag_types.size()) info.tag = func_type_at(decl.tag_types[exp.index]);
        break;
    }
    mod.export_infos.push_back(std::move(info));
  }
  mod.exports_by_name.resize(decl.exports.size());
  for (uint32_t i = 0; i < mod.exports_by_name.size(); ++i) mod.exports_by_name[i] = i;
  std::sort(mod.exports_by_name.begin(), mod.exports_by_name.end(),
            [&](uint32_t a, uint32_t b) { return decl.exports[a].name < decl.exports[b].name; });

  mod.defined_memories.clear();
  for (size_t i = decl.memories_imported; i < decl.memories.size(); ++i) {
    mod.defined_memories.push_back(decl.memories[i]);
  }
  mod.defined_tables.clear();
  for (size_t i = decl.tables_imported; i < decl.tables.size(); ++i) {
    mod.defined_tables.push_back(decl.tables[i]);
  }
}

void intern_module_types(ModuleImpl& mod) {
  mod.type_ids.clear();
  mod.type_ids.reserve(mod.decl.types.size());
  mod.interned_types.clear();
  mod.interned_types.reserve(mod.decl.types.size());
  for (const FuncType& type : mod.decl.types) {
    uint32_t id = intern_func_type(type);
    mod.type_ids.push_back(id);
    mod.interned_types.push_back(&interned_func_type(id));
  }
}

}  // namespace detail
}  // namespace weft
