// Runtime-internal helpers shared by the runtime's own .cpp files: creating
// store-owned objects. Not part of the layout contract in objects.h.
#pragma once

#include <memory>

#include "wasm/runtime/objects.h"
#include "weft/result.h"

namespace weft::detail {

// Reserves the memory's whole possible range and commits `type.limits.min`
// pages. Fails with ErrorKind::Limit over the store's memory cap.
Result<MemoryInst*> new_memory(StoreImpl& store, const MemoryType& type);
// A table of `type.limits.min` elements, each `init`. Fails with
// ErrorKind::Limit over the store's per-table element cap.
Result<TableInst*> new_table(StoreImpl& store, const TableType& type, uint64_t init);
GlobalInst* new_global(StoreImpl& store, const GlobalType& type, uint64_t bits);
FuncInst* new_host_func(StoreImpl& store, const FuncType& type, std::shared_ptr<HostFunc> fn);

// Process-wide: whether destroyed memories' reservations are scrubbed and
// reused (default on). Turning it off unmaps the pooled ones.
void set_memory_pooling(bool enabled);
// Same, for a type already interned (`type` == &interned_func_type(type_id)).
FuncInst* new_host_func(StoreImpl& store, uint32_t type_id, const FuncType* type,
                        std::shared_ptr<HostFunc> fn);

}  // namespace weft::detail
