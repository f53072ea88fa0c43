// The decoded form of a component binary (Component Model Binary.md): what
// the component decoder produces and the component validator (the next
// stage, not written yet) will consume.
//
// This is syntax only. Nothing here has been checked beyond what decoding
// needs: indices are not resolved against index spaces, labels and names are
// not checked for (strong) uniqueness, canonopts may repeat or conflict,
// `own`/`borrow` may name a non-resource, and so on. Those are the
// validator's, with the spec's errors.
//
// Definitions are kept per kind (core_instances, types, canons, ...) in
// binary order; `order` lists the sections as they appeared, each naming the
// run of definitions it added, so the validator can rebuild the interleaved
// index spaces. Embedded core modules and value payloads are byte ranges
// into ComponentDecl::bytes (absolute offsets, so the core decoder can be run
// on them in place and errors name bytes of the whole file).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wasm/module.h"
#include "weft/weft.h"

// The AST has its own namespace, weft::component::ast: its syntax-level
// ValType/FuncType/ResourceType (with type indices) must not clash with the
// resolved types of include/weft/component_value.h that the validator
// produces from them. Decoder code: `namespace weft::component::ast {`.
namespace weft::component::ast {

using wasm::ByteRange;

// Nesting depth limit for components within components and type
// declarators within type declarators (component/instance/module types).
// Each level costs the decoder one C++ stack frame group, so this bounds
// its stack use on hostile input.
inline constexpr uint32_t kMaxNesting = 100;

// ---- sorts and indices ---------------------------------------------------

enum class CoreSort : uint8_t {
  Func = 0x00,
  Table = 0x01,
  Memory = 0x02,
  Global = 0x03,
  Tag = 0x04,
  Type = 0x10,
  Module = 0x11,
  Instance = 0x12,
};

enum class SortKind : uint8_t {
  Core = 0x00,
  Func = 0x01,
  Value = 0x02,  // 🪙
  Type = 0x03,
  Component = 0x04,
  Instance = 0x05,
};

struct Sort {
  SortKind kind = SortKind::Func;
  CoreSort core = CoreSort::Func;  // only if kind == Core
  bool operator==(const Sort&) const = default;
};

struct SortIdx {
  Sort sort;
  uint32_t index = 0;
};

struct CoreSortIdx {
  CoreSort sort = CoreSort::Func;
  uint32_t index = 0;
};

// ---- names ---------------------------------------------------------------

struct NameAttribute {
  enum class Kind : uint8_t { Implements = 0x00, VersionSuffix = 0x01, ExternalId = 0x02 };
  Kind kind = Kind::Implements;
  std::string value;
};

// `nameattributes`: an extern name (import/export) with its form byte
// (0x00 and 0x01 are the same plain form; 0x02 carries attributes).
struct ExternName {
  uint8_t form = 0x00;
  std::string name;
  std::vector<NameAttribute> attributes;
};

// ---- value types ---------------------------------------------------------

enum class PrimValType : uint8_t {
  Bool = 0x7F,
  S8 = 0x7E,
  U8 = 0x7D,
  S16 = 0x7C,
  U16 = 0x7B,
  S32 = 0x7A,
  U32 = 0x79,
  S64 = 0x78,
  U64 = 0x77,
  F32 = 0x76,
  F64 = 0x75,
  Char = 0x74,
  String = 0x73,
  ErrorContext = 0x64,  // 📝
};

const char* to_string(PrimValType type);

// `valtype`: a primitive or a type index. In the binary both are one s33:
// the primitives' opcodes are the negative one-byte values, an index is
// non-negative (so index 64 takes two bytes, 0xC0 0x00).
struct ValType {
  bool is_index = false;
  PrimValType prim = PrimValType::Bool;  // if !is_index
  uint32_t index = 0;                    // if is_index
  static ValType of(PrimValType p) { return ValType{false, p, 0}; }
  static ValType at(uint32_t i) { return ValType{true, PrimValType::Bool, i}; }
  bool operator==(const ValType&) const = default;
};

struct LabeledValType {
  std::string label;
  ValType type;
};

struct VariantCase {
  std::string label;
  std::optional<ValType> type;
};

enum class DefValKind : uint8_t {
  Prim,
  Record,     // 0x72 fields
  Variant,    // 0x71 cases
  List,       // 0x70 element
  FixedList,  // 0x67 element, length 🔧
  Tuple,      // 0x6f types
  Flags,      // 0x6e labels
  Enum,       // 0x6d labels
  Option,     // 0x6b element
  Result,     // 0x6a element (ok)?, error?
  Own,        // 0x69 index
  Borrow,     // 0x68 index
  Stream,     // 0x66 element? 🔀
  Future,     // 0x65 element? 🔀
  Map,        // 0x63 element (key), error (value) 🗺️
};

const char* to_string(DefValKind kind);

// `defvaltype`. Which fields are used depends on `kind` (see DefValKind).
struct DefValType {
  DefValKind kind = DefValKind::Prim;
  PrimValType prim = PrimValType::Bool;
  std::vector<LabeledValType> fields;
  std::vector<VariantCase> cases;
  std::vector<ValType> types;
  std::vector<std::string> labels;
  std::optional<ValType> element;
  std::optional<ValType> error;  // result's error type; map's value type
  uint32_t length = 0;           // fixed-length list
  uint32_t index = 0;            // own/borrow resource type index
};

// `functype`: 0x40, or 0x43 for an async function (🔀).
struct FuncType {
  bool is_async = false;
  std::vector<LabeledValType> params;
  std::optional<ValType> result;
};

// `resourcetype` (0x3f): representation (a core value type) and destructor.
struct ResourceType {
  weft::ValType rep = weft::ValType::I32;
  std::optional<uint32_t> dtor;  // core func index
};

// ---- extern types, imports and exports -----------------------------------

enum class ExternTypeKind : uint8_t {
  CoreModule = 0x00,  // index: core type index
  Func = 0x01,        // index: type index
  Value = 0x02,       // 🪙 value_bound
  Type = 0x03,        // type_bound_eq ? (eq index) : (sub resource)
  Component = 0x04,   // index: type index
  Instance = 0x05,    // index: type index
};

struct ExternType {
  ExternTypeKind kind = ExternTypeKind::Func;
  uint32_t index = 0;
  bool type_bound_eq = false;   // Type: (eq index) vs (sub resource)
  bool value_bound_eq = false;  // Value: (eq index) vs a valtype
  ValType value_type;           // Value, if !value_bound_eq
};

struct ImportDecl {
  uint32_t offset = 0;
  ExternName name;
  ExternType type;
};

// ---- core types ----------------------------------------------------------

enum class CoreExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3, Tag = 4 };

// ---- WebAssembly 3.0 (GC) core types, as `core:rectype` writes them ------

// `core:heaptype`'s abstract heap types, by their byte. As an s33 each is a
// negative one-byte value; a non-negative s33 is a type index instead.
enum class AbsHeapType : uint8_t {
  NoExn = 0x74,
  NoFunc = 0x73,
  NoExtern = 0x72,
  None = 0x71,
  Func = 0x70,
  Extern = 0x6F,
  Any = 0x6E,
  Eq = 0x6D,
  I31 = 0x6C,
  Struct = 0x6B,
  Array = 0x6A,
  Exn = 0x69,
};

// `core:valtype` with the reference types of WebAssembly 3.0: a number or
// vector type, or (ref null? ht). The one-byte shorthands (funcref, ...)
// decode to their nullable reference types.
struct CoreValType {
  bool is_ref = false;
  weft::ValType num = weft::ValType::I32;  // if !is_ref: I32, I64, F32, F64, V128
  bool nullable = false;                   // if is_ref
  bool heap_is_index = false;              // if is_ref
  AbsHeapType heap = AbsHeapType::Func;    // if is_ref && !heap_is_index
  uint32_t index = 0;                      // if is_ref && heap_is_index: a core type index
  bool operator==(const CoreValType&) const = default;
};

// `core:storagetype`: a value type or a packed type (0x78 i8, 0x77 i16).
enum class PackedType : uint8_t { None = 0, I8 = 0x78, I16 = 0x77 };

// `core:fieldtype`.
struct CoreFieldType {
  PackedType packed = PackedType::None;
  CoreValType type;  // if packed == None
  bool is_mutable = false;
};

// `core:comptype`: 0x60 func, 0x5F struct, 0x5E array.
struct CoreCompType {
  enum class Kind : uint8_t { Func = 0x60, Struct = 0x5F, Array = 0x5E };
  Kind kind = Kind::Func;
  std::vector<CoreValType> params;    // Func
  std::vector<CoreValType> results;   // Func
  std::vector<CoreFieldType> fields;  // Struct; Array: exactly one
};

// `core:subtype`: (sub final? x* ct). A bare comptype is final with no
// supertypes.
struct CoreSubType {
  uint32_t offset = 0;
  bool is_final = true;
  std::vector<uint32_t> supertypes;
  CoreCompType comp;
};

struct CoreExternType {
  CoreExternKind kind = CoreExternKind::Func;
  uint32_t type_index = 0;  // Func, Tag
  TableType table;
  MemoryType memory;
  GlobalType global;
  // Table, Global: set when the element or value type is a WebAssembly 3.0
  // reference type that weft::ValType has not ((ref $t), (ref null any),
  // ...); table.element / global.type are then unset (their defaults).
  std::optional<CoreValType> gc_type;
};

struct CoreType;

// `core:moduledecl`.
struct CoreModuleDecl {
  enum class Kind : uint8_t { Import = 0x00, Type = 0x01, Alias = 0x02, Export = 0x03 };
  Kind kind = Kind::Import;
  uint32_t offset = 0;
  std::string module;              // Import
  std::string name;                // Import, Export
  CoreExternType extern_type;      // Import, Export
  std::unique_ptr<CoreType> type;  // Type
  uint32_t outer_count = 0;        // Alias: (alias outer ct idx (type))
  uint32_t outer_index = 0;
};

// `core:type` (`core:deftype`): a core function type, a module type (0x50),
// or any other WebAssembly 3.0 type definition (Kind::Rec).
//
// Kind::Func is a bare 0x60 function type whose value types are all ones
// weft::ValType has (the MVP's); `func` holds it. Kind::Rec is a recursion
// group: an explicit one (0x4E, `is_rec_group`, any number of subtypes) or
// one subtype standing alone (0x4F sub final, 0x00 0x50 non-final sub, 0x5F
// struct, 0x5E array, or a 0x60 function type using reference types weft's
// engine has not). Each subtype defines one core type index.
struct CoreType {
  enum class Kind : uint8_t { Func, Module, Rec };
  Kind kind = Kind::Func;
  uint32_t offset = 0;
  weft::FuncType func;                // Func
  std::vector<CoreModuleDecl> decls;  // Module
  bool is_rec_group = false;          // Rec
  std::vector<CoreSubType> subtypes;  // Rec
};

// ---- types ---------------------------------------------------------------

struct Type;

// `alias`: (alias export i n (s)), (alias core export i n (s)) or
// (alias outer ct idx (s)).
struct Alias {
  enum class Target : uint8_t { Export = 0x00, CoreExport = 0x01, Outer = 0x02 };
  uint32_t offset = 0;
  Sort sort;
  Target target = Target::Export;
  uint32_t instance = 0;     // Export, CoreExport
  std::string name;          // Export, CoreExport
  uint32_t outer_count = 0;  // Outer
  uint32_t outer_index = 0;  // Outer
};

// `componentdecl` / `instancedecl`. Import only occurs in component types.
struct TypeDecl {
  enum class Kind : uint8_t {
    CoreType = 0x00,
    Type = 0x01,
    Alias = 0x02,
    Import = 0x03,
    Export = 0x04
  };
  Kind kind = Kind::Type;
  uint32_t offset = 0;
  std::unique_ptr<CoreType> core_type;  // CoreType
  std::unique_ptr<Type> type;           // Type
  Alias alias;                          // Alias
  ImportDecl import_export;             // Import, Export
};

// `type` (deftype).
struct Type {
  enum class Kind : uint8_t { DefVal, Func, Component, Instance, Resource };
  Kind kind = Kind::DefVal;
  uint32_t offset = 0;
  DefValType defval;
  FuncType func;
  std::vector<TypeDecl> decls;  // Component, Instance
  ResourceType resource;
};

// ---- instances -----------------------------------------------------------

struct CoreInstance {
  enum class Kind : uint8_t { Instantiate = 0x00, FromExports = 0x01 };
  struct Arg {
    std::string name;
    uint32_t instance = 0;  // the only sort core:instantiatearg has (0x12)
  };
  struct InlineExport {
    std::string name;
    CoreSortIdx item;
  };
  Kind kind = Kind::Instantiate;
  uint32_t offset = 0;
  uint32_t module = 0;  // Instantiate
  std::vector<Arg> args;
  std::vector<InlineExport> exports;  // FromExports
};

struct Instance {
  enum class Kind : uint8_t { Instantiate = 0x00, FromExports = 0x01 };
  struct Arg {
    std::string name;
    SortIdx item;
  };
  struct InlineExport {
    ExternName name;
    SortIdx item;
  };
  Kind kind = Kind::Instantiate;
  uint32_t offset = 0;
  uint32_t component = 0;  // Instantiate
  std::vector<Arg> args;
  std::vector<InlineExport> exports;  // FromExports
};

// ---- canonical definitions -----------------------------------------------

struct CanonOpt {
  enum class Kind : uint8_t {
    Utf8 = 0x00,
    Utf16 = 0x01,
    Latin1Utf16 = 0x02,
    Memory = 0x03,      // index: core memory
    Realloc = 0x04,     // index: core func
    PostReturn = 0x05,  // index: core func
    Async = 0x06,       // 🔀
    Callback = 0x07,    // 🔀 index: core func
  };
  Kind kind = Kind::Utf8;
  uint32_t index = 0;
};

// The `canon` opcodes of Binary.md, by their byte.
enum class CanonKind : uint8_t {
  Lift = 0x00,
  Lower = 0x01,
  ResourceNew = 0x02,
  ResourceDrop = 0x03,
  ResourceRep = 0x04,
  TaskCancel = 0x05,
  SubtaskCancel = 0x06,
  TaskReturn = 0x09,
  ContextGet = 0x0A,
  ContextSet = 0x0B,
  ThreadYield = 0x0C,
  SubtaskDrop = 0x0D,
  StreamNew = 0x0E,
  StreamRead = 0x0F,
  StreamWrite = 0x10,
  StreamCancelRead = 0x11,
  StreamCancelWrite = 0x12,
  StreamDropReadable = 0x13,
  StreamDropWritable = 0x14,
  FutureNew = 0x15,
  FutureRead = 0x16,
  FutureWrite = 0x17,
  FutureCancelRead = 0x18,
  FutureCancelWrite = 0x19,
  FutureDropReadable = 0x1A,
  FutureDropWritable = 0x1B,
  ErrorContextNew = 0x1C,
  ErrorContextDebugMessage = 0x1D,
  ErrorContextDrop = 0x1E,
  WaitableSetNew = 0x1F,
  WaitableSetWait = 0x20,
  WaitableSetPoll = 0x21,
  WaitableSetDrop = 0x22,
  WaitableJoin = 0x23,
  BackpressureInc = 0x24,
  BackpressureDec = 0x25,
  ThreadIndex = 0x26,
  ThreadNewIndirect = 0x27,
  ThreadResumeLater = 0x28,
  ThreadSuspend = 0x29,
  ThreadSuspendThenResume = 0x2A,
  ThreadYieldThenResume = 0x2B,
  ThreadSuspendThenPromote = 0x2C,
  ThreadYieldThenPromote = 0x2D,
  ThreadSpawnRef = 0x40,
  ThreadSpawnIndirect = 0x41,
  ThreadAvailableParallelism = 0x42,
};

// "lift", "resource.new", ...; nullptr for a byte that is no canon opcode.
const char* canon_name(uint8_t opcode);

// A canonical definition. Which immediates are used depends on `kind`:
//   Lift: func_index (core func), opts, type_index (func type)
//   Lower: func_index (func), opts
//   Resource*, Stream*/Future* (all but none): type_index
//   TaskReturn: result (the resultlist), opts
//   ContextGet/Set: core_type, index (slot)
//   SubtaskCancel, Stream/FutureCancel*: flag (async)
//   WaitableSetWait/Poll: flag (cancellable), index (core memory)
//   ThreadYield, ThreadSuspend*, Thread*Then*: flag (cancellable)
//   ThreadNewIndirect: type_index (core type), index (core table)
//   ThreadSpawnRef: flag (shared), type_index; ThreadSpawnIndirect: also
//   index (core table); ThreadAvailableParallelism: flag (shared)
//   Stream/FutureRead/Write, ErrorContextNew/DebugMessage: opts
struct Canon {
  CanonKind kind = CanonKind::Lift;
  uint32_t offset = 0;
  uint32_t func_index = 0;
  uint32_t type_index = 0;
  uint32_t index = 0;
  bool flag = false;
  weft::ValType core_type = weft::ValType::I32;
  std::optional<ValType> result;
  std::vector<CanonOpt> opts;
};

// ---- start, imports, exports, values --------------------------------------

// 🪙 (start f (value arg)* (result (value))^r)
struct Start {
  uint32_t offset = 0;
  uint32_t func = 0;
  std::vector<uint32_t> args;  // value indices
  uint32_t results = 0;
};

using Import = ImportDecl;

struct Export {
  uint32_t offset = 0;
  ExternName name;
  SortIdx item;
  std::optional<ExternType> type;  // the optional ascribed type
};

// 🪙 (value t v): the payload is kept undecoded; reading it needs the
// resolved type t, which is the validator's.
struct Value {
  uint32_t offset = 0;
  ValType type;
  ByteRange payload;
};

// ---- custom sections and names -------------------------------------------

struct CustomSection {
  std::string name;
  ByteRange contents;  // after the name
};

// The `component-name` custom section. Decoded best-effort: a malformed one
// is ignored (the spec says engines must not reject it), leaving `names`
// empty in the Component while the raw bytes stay in `customs`.
struct ComponentNames {
  struct SortNames {
    Sort sort;
    std::vector<std::pair<uint32_t, std::string>> names;
  };
  std::optional<std::string> component_name;
  std::vector<SortNames> sorts;
};

// ---- components ----------------------------------------------------------

// One section in binary order: its id and the run [first, first + count)
// of definitions it appended to the vector for that id (for id 4, one
// nested component; for id 1, one core module; for id 0, one custom
// section; for 9, one start).
struct SectionEntry {
  uint8_t id = 0;
  uint32_t offset = 0;  // the section's id byte
  ByteRange contents;
  uint32_t first = 0;
  uint32_t count = 0;
};

struct Component {
  ByteRange range;  // preamble .. last section
  std::vector<SectionEntry> order;
  std::vector<CustomSection> customs;
  std::vector<ByteRange> core_modules;  // whole embedded binaries, undecoded
  std::vector<CoreInstance> core_instances;
  std::vector<CoreType> core_types;
  std::vector<std::unique_ptr<Component>> components;
  std::vector<Instance> instances;
  std::vector<Alias> aliases;
  std::vector<Type> types;
  std::vector<Canon> canons;
  std::vector<Start> starts;
  std::vector<Import> imports;
  std::vector<Export> exports;
  std::vector<Value> values;
  std::optional<ComponentNames> names;
};

// A decoded component binary: its own copy of the bytes, which every
// ByteRange in the tree indexes, and the outermost component.
struct ComponentDecl {
  std::vector<uint8_t> bytes;
  Component root;
};

}  // namespace weft::component::ast
