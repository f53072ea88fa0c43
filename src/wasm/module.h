// The decoded form of a module: what the binary decoder produces and the
// validator/compiler consume. Function bodies and constant expressions are
// kept as byte ranges into `bytes` (the module's own copy of its binary), so
// the validator reads each instruction exactly once, while compiling it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "weft/weft.h"

namespace weft::wasm {

// A byte range [begin, end) into ModuleDecl::bytes.
struct ByteRange {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t size() const { return end - begin; }
};

// A constant expression: the bytes of its instructions including the final
// `end` opcode. Validated by the validator, evaluated at instantiation.
struct ConstExpr {
  ByteRange code;
};

struct Import {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t func_type = 0;  // type index, kind == Func
  TableType table;
  MemoryType memory;
  GlobalType global;
  uint32_t tag_type = 0;  // type index, kind == Tag
  uint32_t offset = 0;    // byte offset of the import entry, for errors
};

struct Export {
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;
  uint32_t offset = 0;
};

struct Global {
  GlobalType type;
  ConstExpr init;
};

struct LocalDecl {
  uint32_t count = 0;
  ValType type = ValType::I32;
};

struct FunctionBody {
  std::vector<LocalDecl> locals;  // as declared (runs), total checked ≤ limit
  uint32_t local_count = 0;       // sum of locals[].count (params excluded)
  ByteRange code;                 // first instruction .. past the final `end`
  uint32_t offset = 0;            // byte offset of the body's size field
};

enum class SegmentMode : uint8_t { Active, Passive, Declarative };

struct ElemSegment {
  SegmentMode mode = SegmentMode::Passive;
  uint32_t table = 0;  // Active only
  ConstExpr offset;    // Active only
  ValType type = ValType::FuncRef;
  // Exactly one of these is used: plain function indices (the compact
  // encodings 0..3) or one constant expression per element (4..7).
  std::vector<uint32_t> func_indices;
  std::vector<ConstExpr> exprs;
  bool uses_exprs = false;
  uint32_t offset_in_binary = 0;
  uint32_t size() const {
    return uses_exprs ? static_cast<uint32_t>(exprs.size())
                      : static_cast<uint32_t>(func_indices.size());
  }
};

struct DataSegment {
  SegmentMode mode = SegmentMode::Passive;  // Active or Passive
  uint32_t memory = 0;
  ConstExpr offset;  // Active only
  ByteRange init;    // the data bytes
  uint32_t offset_in_binary = 0;
};

struct CustomSection {
  std::string name;
  ByteRange contents;  // after the name
};

struct NameSection {
  std::string module_name;
  std::unordered_map<uint32_t, std::string> function_names;
};

struct ModuleDecl {
  std::vector<uint8_t> bytes;  // the whole binary; ranges point into it

  std::vector<FuncType> types;
  std::vector<Import> imports;
  // Index spaces: imports first, then definitions. The *_imported counts say
  // where definitions start.
  std::vector<uint32_t> func_types;  // type index of every function (imported + defined)
  uint32_t funcs_imported = 0;
  std::vector<TableType> tables;  // every table (imported + defined)
  uint32_t tables_imported = 0;
  std::vector<MemoryType> memories;  // every memory (imported + defined)
  uint32_t memories_imported = 0;
  std::vector<GlobalType> global_types;  // every global (imported + defined)
  uint32_t globals_imported = 0;
  std::vector<Global> globals;  // defined globals only (with initialisers)
  // Exception tags: the type index of every tag (imported + defined).
  std::vector<uint32_t> tag_types;
  uint32_t tags_imported = 0;
  std::vector<uint32_t> tag_offsets;  // byte offset of each tag's entry, for errors

  std::vector<Export> exports;
  std::optional<uint32_t> start;
  std::vector<ElemSegment> elems;
  std::optional<uint32_t> data_count;
  std::vector<FunctionBody> bodies;  // defined functions only, same order as code section
  std::vector<DataSegment> datas;

  std::vector<CustomSection> customs;
  NameSection names;
  std::vector<SectionInfo> sections;  // every section in order, for `weft inspect`

  uint32_t defined_func_count() const {
    return static_cast<uint32_t>(func_types.size()) - funcs_imported;
  }
};

// Implementation limits (counts are also checked against bytes left).
inline constexpr uint32_t kMaxLocals = 50000;  // per function, params + locals
inline constexpr uint32_t kMaxPages = 65536;   // 4 GiB of 64 KiB pages
inline constexpr uint32_t kMaxTableSize = 10'000'000;
inline constexpr uint32_t kMaxFunctionSize = 7654321;  // bytes, as in V8
inline constexpr uint32_t kMaxParams = 1000;
inline constexpr uint32_t kMaxResults = 1000;
// Types per module: the JS API's limit, which V8, SpiderMonkey and
// Wasmtime share, so a module one engine accepts the others accept.
inline constexpr uint32_t kMaxTypes = 1'000'000;

}  // namespace weft::wasm
