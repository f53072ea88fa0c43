// Runtime objects behind the public handles (weft::Func, Memory, ...).
//
// Layout contract between the runtime (src/wasm/runtime: allocation,
// instantiation, linking, the public API) and the interpreter
// (src/wasm/interp: executes compiled code against these objects).
// Everything here is owned by a StoreImpl and lives as long as the store.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "wasm/module.h"
#include "weft/weft.h"

namespace weft::detail {

struct StoreImpl;
struct InstanceImpl;

// Produced by the validator/compiler (src/wasm/interp/code.h), one per
// defined function; immutable and shared by every instance of the module.
struct CompiledFunc;

// A module's initial memory contents as a copy-on-write image (runtime.h);
// built by Module::compile, shared read-only by every instance.
struct MemoryImage;

// Process-wide interning of function types, so call_indirect compares one
// integer. Thread-safe.
uint32_t intern_func_type(const FuncType& type);
// The id and the interned type, under one lock.
std::pair<uint32_t, const FuncType*> intern_func_type_ref(const FuncType& type);
const FuncType& interned_func_type(uint32_t id);

struct ModuleImpl {
  wasm::ModuleDecl decl;
  std::vector<uint32_t> type_ids;  // interned id of each decl.types[i]
  // &interned_func_type(type_ids[i]), cached so instantiation takes no lock.
  std::vector<const FuncType*> interned_types;
  // One per defined function (index = func index - decl.funcs_imported).
  std::vector<std::unique_ptr<CompiledFunc>> code;

  // Views for the public API, filled after validation.
  std::vector<ImportInfo> import_infos;
  std::vector<ExportInfo> export_infos;
  std::vector<MemoryType> defined_memories;
  std::vector<TableType> defined_tables;
  // decl.exports' positions sorted by name, for lookups by name without a
  // per-instance map (instances keep their exports in declaration order).
  std::vector<uint32_t> exports_by_name;
  // The position in decl.exports of the export called `name`, if any.
  std::optional<uint32_t> find_export(std::string_view name) const;

  // Set when the active data segments can be mapped instead of copied
  // (runtime-private; null means instantiation copies them).
  std::shared_ptr<const MemoryImage> memory_image;

  // The optimizing tier's machine code and whatever keeps it alive (its
  // JIT resources), owned here so that it goes with the module; each
  // compiled function's CompiledFunc::native points into it.
  std::shared_ptr<void> native_code;

  ModuleImpl();
  ~ModuleImpl();
};

// A memory whose reservation is at least this large can be accessed by
// machine code without a bounds check: any 32-bit address plus any 32-bit
// offset plus an access's size falls inside it, and every byte past the
// memory's size is PROT_NONE, so an out-of-bounds access faults (and the
// optimizing tier's signal handler makes the fault a trap).
inline constexpr uint64_t kGuardedReservationBytes = (uint64_t{8} << 30) + 65536;

struct MemoryInst {
  uint8_t* base = nullptr;      // start of a reserved range; never moves
  uint64_t size_bytes = 0;      // current accessible size
  uint64_t reserved_bytes = 0;  // size of the reservation (>= max)
  MemoryType type;              // limits.min updated? no: type as declared
  StoreImpl* store = nullptr;
  // Runtime-private (reservation pooling): bytes past size_bytes that may
  // hold resident zero pages under PROT_NONE, left by an earlier user.
  uint64_t touched_bytes = 0;
  // Runtime-private (memory images): when set, [0, image->bytes) is a
  // private (copy-on-write) mapping of this image.
  std::shared_ptr<const MemoryImage> image;

  uint64_t pages() const { return size_bytes >> 16; }
  bool guarded() const { return reserved_bytes >= kGuardedReservationBytes; }
  // memory.grow semantics: returns old page count, or -1 (as uint64 max) on
  // failure (over max, over the store's memory cap, mapping failure).
  uint64_t grow(uint64_t delta_pages);
  ~MemoryInst();
};

struct TableInst {
  std::vector<uint64_t> elements;  // slot encoding: FuncInst* / extern payload+1; 0 = null
  TableType type;
  StoreImpl* store = nullptr;

  // table.grow semantics: old size, or uint32 max (-1) on failure.
  uint32_t grow(uint32_t delta, uint64_t init);
};

struct GlobalInst {
  GlobalType type;
  uint64_t bits = 0;
  StoreImpl* store = nullptr;  // for the linker's same-store check
};

// An exception tag. Its identity is its address: tags are generative.
struct TagInst {
  uint32_t type_id = 0;            // interned
  const FuncType* type = nullptr;  // == &interned_func_type(type_id); no results
  StoreImpl* store = nullptr;
};

// A thrown exception: its tag and values (slot encoding). An exnref slot
// holds its address. Owned by the store it was thrown in, for the store's
// lifetime.
struct ExnInst {
  TagInst* tag = nullptr;
  StoreImpl* store = nullptr;
  std::vector<uint64_t> values;
};

struct FuncInst {
  uint32_t type_id = 0;            // interned; compare for call_indirect
  const FuncType* type = nullptr;  // == &interned_func_type(type_id)
  StoreImpl* store = nullptr;
  // Wasm function: its instance, index in that module and compiled code.
  InstanceImpl* instance = nullptr;
  uint32_t func_index = 0;
  const CompiledFunc* code = nullptr;
  // Host function (instance == nullptr).
  std::shared_ptr<HostFunc> host;

  bool is_host() const { return instance == nullptr; }
};

struct InstanceImpl {
  std::shared_ptr<const Module> module;  // keeps the code alive
  const ModuleImpl* mod = nullptr;
  StoreImpl* store = nullptr;

  std::vector<FuncInst*> funcs;  // whole index space (imported + defined)
  std::vector<TableInst*> tables;
  std::vector<MemoryInst*> memories;
  std::vector<GlobalInst*> globals;
  std::vector<TagInst*> tags;
  std::vector<uint8_t> elem_dropped;  // per elem segment
  std::vector<uint8_t> data_dropped;  // per data segment
  // Per elem segment: its references (slot encoding), evaluated at
  // instantiation; emptied when the segment is dropped.
  std::vector<std::vector<uint64_t>> elem_values;

  // One per mod->decl.exports entry, in the same order.
  std::vector<Extern> exports;
  const Extern* find_export(std::string_view name) const {
    if (mod == nullptr) return nullptr;
    std::optional<uint32_t> i = mod->find_export(name);
    return i && *i < exports.size() ? &exports[*i] : nullptr;
  }
};

struct StoreImpl {
  explicit StoreImpl(const StoreLimits& l) : limits(l) {}

  StoreLimits limits;
  Store* owner = nullptr;  // the public handle, for building a Caller
  std::shared_ptr<std::atomic<bool>> interrupt = std::make_shared<std::atomic<bool>>(false);
  bool fuel_enabled = false;
  uint64_t fuel = 0;
  uint64_t memory_bytes_in_use = 0;  // across all memories, for limits.max_memory_bytes
  uint32_t host_call_depth = 0;      // nesting of wasm → host → wasm re-entries
  uint64_t host_calls = 0;           // calls from wasm into host functions, ever

  // Owned objects. deque keeps addresses stable.
  std::deque<FuncInst> funcs;
  std::deque<MemoryInst> memories;
  std::deque<TableInst> tables;
  std::deque<GlobalInst> globals;
  std::deque<TagInst> tags;
  std::deque<ExnInst> exceptions;  // every exception thrown in the store
  std::deque<InstanceImpl> instances;

  // Store::checkpoint's record (checkpoint.cpp), or null.
  struct Checkpoint;
  std::unique_ptr<Checkpoint, void (*)(Checkpoint*)> checkpoint{nullptr, nullptr};

  // The interpreter's value stack (frames of uint64 slots), grown on demand
  // up to what limits.max_call_depth implies. Owned by the interpreter.
  std::vector<uint64_t> value_stack;
  void* interp_state = nullptr;  // interpreter-private, freed by ~StoreImpl
  void (*interp_state_free)(void*) = nullptr;

  ~StoreImpl() {
    if (interp_state_free) interp_state_free(interp_state);
  }
};

}  // namespace weft::detail

namespace weft::interp {

// Validates every function body, constant expression and module-level rule
// of `module.decl`, and compiles each body into internal code (one pass per
// body). Fills module.code. Errors are ErrorKind::Invalid (or Malformed for
// the few body-level malformations) with byte offset and function index.
// `multi_memory` selects WebAssembly 3.0's several memories over 2.0's one.
Result<void> validate_and_compile(detail::ModuleImpl& module, bool multi_memory);

// Calls `func` (wasm or host). `slots` holds the arguments on entry (one
// uint64 per param, slot encoding) and receives the results (one per
// result); it must have room for max(params, results) entries.
// Returns a trap as Error{kind = Trap}.
Result<void> invoke(detail::StoreImpl& store, detail::FuncInst* func, uint64_t* slots);

// invoke for the optimizing tier's calls out of native code: the callee may
// nest `frames_left` frames (the native frames under it took the rest), and
// the call is not a host re-entry (native code is wasm).
// A host callee sees `caller` as its calling instance (for its memory).
Result<void> invoke_from_native(detail::StoreImpl& store, detail::InstanceImpl* caller,
                                detail::FuncInst* func, uint64_t* slots, size_t frames_left);

}  // namespace weft::interp
