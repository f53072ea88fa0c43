// What the fuzz targets link a module against: one dummy per import, of the
// requested type (functions return zeros; memories, tables, globals and tags
// are fresh and empty or zero).
#pragma once

#include <span>

#include "weft/weft.h"

namespace weft_fuzz {

// Returns false if an import cannot be provided (e.g. a memory larger than
// the store's cap); the input is then not instantiated.
inline bool define_dummy_imports(const weft::Module& module, weft::Store& store,
                                 weft::Linker& linker) {
  for (const weft::ImportInfo& import : module.imports()) {
    switch (import.kind) {
      case weft::ExternKind::Func:
        linker.func(import.module, import.name, import.func,
                    [](weft::Caller&, std::span<const weft::Value>,
                       std::span<weft::Value> results) -> weft::Result<void> {
                      for (weft::Value& result : results) result.bits = 0;
                      return {};
                    });
        break;
      case weft::ExternKind::Memory: {
        auto memory = store.create_memory(import.memory);
        if (!memory) return false;
        linker.define(import.module, import.name, memory.value());
        break;
      }
      case weft::ExternKind::Table: {
        // For references, bits 0 is null.
        auto table = store.create_table(import.table, weft::Value{import.table.element, 0});
        if (!table) return false;
        linker.define(import.module, import.name, table.value());
        break;
      }
      case weft::ExternKind::Global: {
        auto global = store.create_global(import.global, weft::Value{import.global.type, 0});
        if (!global) return false;
        linker.define(import.module, import.name, global.value());
        break;
      }
      case weft::ExternKind::Tag: {
        auto tag = store.create_tag(import.tag);
        if (!tag) return false;
        linker.define(import.module, import.name, tag.value());
        break;
      }
    }
  }
  return true;
}

}  // namespace weft_fuzz
