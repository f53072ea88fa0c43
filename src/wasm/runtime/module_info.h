// Runtime-internal: the steps of Module::compile after decoding.
#pragma once

#include "wasm/runtime/objects.h"

namespace weft::detail {

// Interns every decl.types[i] into type_ids (before validation: compiled
// code refers to interned ids).
void intern_module_types(ModuleImpl& mod);
// Fills import_infos, export_infos, defined_memories, defined_tables.
void fill_module_infos(ModuleImpl& mod);

}  // namespace weft::detail
