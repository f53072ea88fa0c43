// weft — public embedding API.
//
// Pipeline: bytes ─► Module::compile (decode, validate, compile to internal
// code) ─► Linker::instantiate into a Store ─► Func::call.
//
// Threading contract:
//   * A Module is immutable after compile and may be shared between threads
//     (hold it by shared_ptr<const Module>).
//   * A Store and everything created in it (instances, funcs, memories,
//     tables, globals) belongs to one thread at a time (one request).
//   * InterruptHandle::interrupt() may be called from any thread; the guest
//     running in that store traps with TrapKind::Interrupted at its next loop
//     back-edge or call.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "weft/result.h"

namespace weft {

namespace detail {
struct ModuleImpl;
struct StoreImpl;
struct InstanceImpl;
struct FuncInst;
struct MemoryInst;
struct TableInst;
struct GlobalInst;
struct TagInst;
}  // namespace detail

// Encodings are the binary format's type bytes.
enum class ValType : uint8_t {
  I32 = 0x7F,
  I64 = 0x7E,
  F32 = 0x7D,
  F64 = 0x7C,
  V128 = 0x7B,  // decoded so errors are precise; SIMD is not supported
  FuncRef = 0x70,
  ExternRef = 0x6F,
  ExnRef = 0x69,  // exception handling: a caught exception (null = ref.null exn)
};
const char* to_string(ValType type);
inline bool is_ref(ValType t) {
  return t == ValType::FuncRef || t == ValType::ExternRef || t == ValType::ExnRef;
}

enum class ExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3, Tag = 4 };
const char* to_string(ExternKind kind);

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
  std::string to_string() const;  // "(i32, i64) -> (f32)"
};

struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
  bool operator==(const Limits&) const = default;
};
struct TableType {
  ValType element = ValType::FuncRef;
  Limits limits;
};
struct MemoryType {
  Limits limits;  // in 64 KiB pages
};
struct GlobalType {
  ValType type = ValType::I32;
  bool is_mutable = false;
};

// A wasm value. `bits` is the raw slot encoding the interpreter uses:
// i32 zero-extended, f32/f64 as their IEEE bit patterns (NaN payloads
// preserved), funcref as a detail::FuncInst* (0 = null), externref as
// host payload + 1 (0 = null), exnref as an exception object owned by the
// store (0 = null; opaque to embedders).
struct Value {
  ValType type = ValType::I32;
  uint64_t bits = 0;

  static Value i32(int32_t v) { return {ValType::I32, static_cast<uint32_t>(v)}; }
  static Value i64(int64_t v) { return {ValType::I64, static_cast<uint64_t>(v)}; }
  static Value f32(float v);
  static Value f64(double v);
  static Value f32_bits(uint32_t bits) { return {ValType::F32, bits}; }
  static Value f64_bits(uint64_t bits) { return {ValType::F64, bits}; }
  static Value null(ValType ref_type) { return {ref_type, 0}; }
  static Value extern_ref(uint64_t payload) { return {ValType::ExternRef, payload + 1}; }

  int32_t as_i32() const { return static_cast<int32_t>(static_cast<uint32_t>(bits)); }
  uint32_t as_u32() const { return static_cast<uint32_t>(bits); }
  int64_t as_i64() const { return static_cast<int64_t>(bits); }
  float as_f32() const;
  double as_f64() const;
  bool is_null() const { return bits == 0; }
  uint64_t extern_payload() const { return bits - 1; }

  std::string to_string() const;  // "i32:42", "f64:1.5", "funcref:null", ...
};

class Store;
class Instance;
class Caller;

class Func {
 public:
  Func() = default;
  explicit Func(detail::FuncInst* inst) : inst_(inst) {}
  const FuncType& type() const;
  // Calls the function. Arguments must match the type; a trap comes back
  // as an Error with kind Trap.
  Result<std::vector<Value>> call(std::span<const Value> args) const;
  detail::FuncInst* raw() const { return inst_; }
  explicit operator bool() const { return inst_ != nullptr; }

 private:
  detail::FuncInst* inst_ = nullptr;
};

class Memory {
 public:
  Memory() = default;
  explicit Memory(detail::MemoryInst* inst) : inst_(inst) {}
  MemoryType type() const;
  uint8_t* data() const;
  uint64_t size_bytes() const;
  uint64_t pages() const;
  // Returns the old size in pages, or an error if over max / store cap.
  Result<uint64_t> grow(uint64_t delta_pages) const;
  // A bounds-checked view of [addr, addr+len); nullopt if any byte is out of
  // bounds. Host functions must go through this (or check themselves).
  std::optional<std::span<uint8_t>> slice(uint64_t addr, uint64_t len) const;
  detail::MemoryInst* raw() const { return inst_; }
  explicit operator bool() const { return inst_ != nullptr; }

 private:
  detail::MemoryInst* inst_ = nullptr;
};

class Table {
 public:
  Table() = default;
  explicit Table(detail::TableInst* inst) : inst_(inst) {}
  TableType type() const;
  uint64_t size() const;
  std::optional<Value> get(uint64_t index) const;
  Result<void> set(uint64_t index, Value value) const;
  detail::TableInst* raw() const { return inst_; }
  explicit operator bool() const { return inst_ != nullptr; }

 private:
  detail::TableInst* inst_ = nullptr;
};

class Global {
 public:
  Global() = default;
  explicit Global(detail::GlobalInst* inst) : inst_(inst) {}
  GlobalType type() const;
  Value get() const;
  Result<void> set(Value value) const;  // error if immutable or wrong type
  detail::GlobalInst* raw() const { return inst_; }
  explicit operator bool() const { return inst_ != nullptr; }

 private:
  detail::GlobalInst* inst_ = nullptr;
};

// An exception tag instance. Tags are generative: each definition (each
// instantiation of a module that defines one, each Store::create_tag) is a
// distinct tag, and a catch matches only exceptions thrown with the very
// tag it names, whatever its type.
class Tag {
 public:
  Tag() = default;
  explicit Tag(detail::TagInst* inst) : inst_(inst) {}
  const FuncType& type() const;
  detail::TagInst* raw() const { return inst_; }
  explicit operator bool() const { return inst_ != nullptr; }

 private:
  detail::TagInst* inst_ = nullptr;
};

// Alternatives in ExternKind order.
using Extern = std::variant<Func, Table, Memory, Global, Tag>;
ExternKind kind_of(const Extern& ext);

// What a host function sees of its caller.
class Caller {
 public:
  Caller(Store& store, detail::InstanceImpl* instance) : store_(store), instance_(instance) {}
  Store& store() const { return store_; }
  // The calling instance's export named "memory", else its memory 0.
  std::optional<Memory> memory() const;
  std::optional<Extern> get_export(std::string_view name) const;

 private:
  Store& store_;
  detail::InstanceImpl* instance_;
};

// A host function. Fill `results` (already sized and typed per the
// FuncType). Return an Error to trap (Error::make_trap, Error::exit for
// proc_exit); any non-trap Error becomes a HostError trap.
using HostFunc = std::function<Result<void>(Caller& caller, std::span<const Value> args,
                                            std::span<Value> results)>;

struct StoreLimits {
  uint64_t max_memory_bytes = 4ull << 30;    // summed over all memories in the store
  uint64_t max_table_elements = 10'000'000;  // per table
  uint32_t max_call_depth = 20'000;          // wasm frames; beyond: StackExhausted trap
  // Fuel is not an instruction count. The interpreter spends 1 unit at each
  // of two check points, the same ones that poll the interrupt flag: every
  // entry into a wasm function (the embedder's call and each wasm-to-wasm
  // call, direct or indirect; host functions cost nothing), and every taken
  // backward branch (a br, br_if, br_table or fused compare-and-branch that
  // jumps back, i.e. a loop back-edge; forward branches and fall-through
  // cost nothing). A check point reached with fuel == 0 traps with
  // TrapKind::OutOfFuel ("out of fuel") before running on, so N units allow
  // exactly N check points. Fuel is shared by all calls into the store and
  // never refills by itself (see Store::fuel_remaining / set_fuel).
  // nullopt = unmetered.
  std::optional<uint64_t> fuel;
};

class InterruptHandle {
 public:
  explicit InterruptHandle(std::shared_ptr<std::atomic<bool>> flag) : flag_(std::move(flag)) {}
  void interrupt() const { flag_->store(true, std::memory_order_relaxed); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

class Store {
 public:
  explicit Store(StoreLimits limits = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const StoreLimits& limits() const;
  InterruptHandle interrupt_handle() const;
  // Clears a previous interrupt so the store can run again.
  void clear_interrupt();
  std::optional<uint64_t> fuel_remaining() const;
  void set_fuel(std::optional<uint64_t> fuel);

  void set_user_data(void* data) { user_data_ = data; }
  void* user_data() const { return user_data_; }

  // Objects created directly in the store (spectest, embedder-provided).
  Func create_host_func(const FuncType& type, HostFunc fn);
  Result<Memory> create_memory(MemoryType type);
  Result<Table> create_table(TableType type, Value init);
  Result<Global> create_global(GlobalType type, Value init);
  // A fresh tag; `type` must have no results.
  Result<Tag> create_tag(FuncType type);

  // Recycling a store for the next request as if it were new. checkpoint()
  // records every mutable part of the store as it is now: each memory's
  // bytes and size, table elements, global values, dropped segments, fuel
  // and memory in use. restore() returns the store to exactly that state,
  // so the code it runs next cannot tell it from a freshly instantiated
  // one; it refuses (false) when that cannot be guaranteed: no checkpoint,
  // a call still running, or objects made since (functions, memories,
  // tables, globals, tags or instances: exceptions thrown since are freed).
  // A store that was not restored must be discarded by its user. Call
  // neither while code runs in the store.
  Result<void> checkpoint();
  bool restore();
  // The bytes the checkpoint holds (saved memory pages and tables), 0 without one.
  uint64_t checkpoint_bytes() const;
  // How many times wasm code in this store has called a host function. A
  // store whose instantiation called the host (a start function reading the
  // clock, random bytes or a file) would replay those answers from its
  // checkpoint: such a store is not a fresh instance's equal.
  uint64_t host_calls() const;
  // Bytes of memory (and thrown exceptions) counted against max_memory_bytes.
  uint64_t memory_in_use() const;

  detail::StoreImpl& impl() { return *impl_; }

 private:
  std::unique_ptr<detail::StoreImpl> impl_;
  void* user_data_ = nullptr;
};

// What `weft inspect` and embedders can learn about a module without
// instantiating it.
struct ImportInfo {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Func;
  FuncType func;  // kind == Func
  TableType table;
  MemoryType memory;
  GlobalType global;
  FuncType tag;  // kind == Tag: the tag's type
};
struct ExportInfo {
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;
  FuncType func;  // kind == Func
  TableType table;
  MemoryType memory;
  GlobalType global;
  FuncType tag;  // kind == Tag
};
struct SectionInfo {
  uint8_t id = 0;
  std::string name;     // "type", "import", ..., or the custom section's name
  uint64_t offset = 0;  // of the section's contents
  uint64_t size = 0;
};

namespace detail {
struct ModuleImpl;
}

// Which code runs a module's functions. Interpreter: the register
// interpreter only. Optimized: functions the optimizing tier can translate
// (src/wasm/native, LLVM) run as machine code from the first call; the
// rest stay interpreted, and the two kinds call each other freely. Auto:
// the module starts at once in the interpreter while background threads
// compile its functions, the most called and looped-in first; calls switch
// to machine code as it becomes ready. With a warm code cache, Optimized
// and Auto both run cached machine code from the first call.
enum class Tier : uint8_t { Interpreter, Optimized, Auto };

struct CompileOptions;

// The optimizing tier as the engine sees it. weft_engine does not link
// LLVM: a program that links weft_native registers its compiler with
// set_optimizing_compiler, and Module::compile calls it for Optimized and
// Auto.
class OptimizingCompiler {
 public:
  virtual ~OptimizingCompiler() = default;
  // Compiles, loads from its cache, or (Auto) starts compiling in the
  // background what it can of a validated module; `wasm` is the module's
  // binary, `tier` Optimized or Auto. An error means the module could not
  // be compiled at all (it then runs interpreted, after a warning on
  // stderr), or, with options.precompiled, that the precompiled code does
  // not load (Module::compile fails); functions it cannot translate are
  // left as they are.
  virtual Result<void> compile(detail::ModuleImpl& module, std::span<const uint8_t> wasm, Tier tier,
                               const CompileOptions& options) const = 0;
  // A .cwasm (`weft compile`'s file, see is_precompiled_module): the
  // module's wasm and its machine code, once the header shows they were
  // made by this build for this CPU and the checksum holds. The spans
  // point into `bytes`.
  struct PrecompiledParts {
    std::span<const uint8_t> wasm;
    std::span<const uint8_t> native;
  };
  virtual Result<PrecompiledParts> open_precompiled(std::span<const uint8_t> bytes) const = 0;
};
// True if `bytes` start as a .cwasm does ("WEFTCWSM"). Module::compile
// takes either form: a .cwasm's code is loaded, not compiled (unless the
// tier asked for is Interpreter), so every program that compiles modules
// (weft run, weft up's executors) runs one.
bool is_precompiled_module(std::span<const uint8_t> bytes);
// Process-wide, set once before modules are compiled (null: none linked).
void set_optimizing_compiler(const OptimizingCompiler* compiler);
// The tier a CompileOptions without one gets (Interpreter unless set).
void set_default_tier(Tier tier);
Tier default_tier();
// "interp", "optimized", "auto"; nullopt for anything else.
std::optional<Tier> parse_tier(std::string_view name);
const char* tier_name(Tier tier);

struct CompileOptions {
  // Unset: default_tier(). Optimized without a registered compiler runs
  // interpreted.
  std::optional<Tier> tier;
  // Machine code for exactly this module, as `weft compile` wrote it (the
  // native part of a .cwasm, split off by weft::native::read_precompiled):
  // loaded instead of compiled. Must outlive the call only.
  std::span<const uint8_t> precompiled;
  // Defaults accept WebAssembly 2.0 (no SIMD) plus extended-const,
  // multi-memory and exception handling (all three in WebAssembly 3.0; the
  // legacy try/catch/delegate/rethrow instructions are accepted too).
  //
  // Multi-memory: several memories, memory indices in memory instructions
  // and data segments. false is 2.0's single memory ("multiple memories" is
  // invalid). Unset means on, unless the environment has WEFT_MULTI_MEMORY=0
  // (how the 2.0 spec scripts, which assert the single memory, run through
  // `weft wast`).
  std::optional<bool> multi_memory;
};

class Module {
 public:
  // Decode + validate + compile to internal code. The error names the byte
  // offset and (for validation) the function index.
  static Result<std::shared_ptr<const Module>> compile(std::span<const uint8_t> wasm,
                                                       const CompileOptions& options = {});
  ~Module();

  const std::vector<ImportInfo>& imports() const;
  const std::vector<ExportInfo>& exports() const;
  const std::vector<MemoryType>& memories() const;  // defined (not imported)
  const std::vector<TableType>& tables() const;     // defined (not imported)
  const std::vector<SectionInfo>& sections() const;
  std::optional<FuncType> export_func_type(std::string_view name) const;
  const std::string& name() const;  // from the name section; may be empty

  const detail::ModuleImpl& impl() const { return *impl_; }

  explicit Module(std::unique_ptr<detail::ModuleImpl> impl);

 private:
  std::unique_ptr<detail::ModuleImpl> impl_;
};

class Instance {
 public:
  Instance() = default;
  explicit Instance(detail::InstanceImpl* impl) : impl_(impl) {}
  // Instantiates `module` with one extern per import, in Module::imports()
  // order, as Wasmtime's Instance::new does: no names are looked up, so
  // an embedder that resolves imports once can instantiate cheaply.
  static Result<Instance> create(Store& store, const std::shared_ptr<const Module>& module,
                                 std::span<const Extern> imports);
  std::optional<Extern> get_export(std::string_view name) const;
  std::optional<Func> get_func(std::string_view name) const;
  std::optional<Memory> get_memory(std::string_view name) const;
  std::optional<Global> get_global(std::string_view name) const;
  std::optional<Table> get_table(std::string_view name) const;
  std::optional<Tag> get_tag(std::string_view name) const;
  std::vector<std::pair<std::string, Extern>> exports() const;
  // The exports in the module's order (Module::exports()), without copying
  // their names; valid while the store lives.
  std::span<const Extern> export_list() const;
  detail::InstanceImpl* raw() const { return impl_; }
  explicit operator bool() const { return impl_ != nullptr; }

 private:
  detail::InstanceImpl* impl_ = nullptr;  // owned by the Store
};

// Resolves imports by (module, name). Host functions defined with func()
// are store-independent: the linker creates them in each store on
// instantiate, so one Linker serves many stores (one per request). Externs
// given to define() belong to one store.
class Linker {
 public:
  void func(std::string module, std::string name, FuncType type, HostFunc fn);
  void define(std::string module, std::string name, Extern ext);
  void define_instance(const std::string& module, const Instance& instance);

  // Links, allocates, initialises segments and runs the start function.
  // Link errors → ErrorKind::Link ("unknown import", "incompatible import
  // type"); segment or start traps → ErrorKind::Trap.
  Result<Instance> instantiate(Store& store, const std::shared_ptr<const Module>& module) const;

 private:
  struct HostDef {
    FuncType type;
    std::shared_ptr<HostFunc> fn;
  };
  struct Key {
    std::string module, name;
    bool operator<(const Key& o) const {
      return module != o.module ? module < o.module : name < o.name;
    }
  };
  std::vector<std::pair<Key, HostDef>> host_funcs_;
  std::vector<std::pair<Key, Extern>> externs_;
  friend struct detail::InstanceImpl;

 public:
  // For the runtime: the definition for an import, if any.
  const HostDef* find_host_func(std::string_view module, std::string_view name) const;
  const Extern* find_extern(std::string_view module, std::string_view name) const;
};

}  // namespace weft
