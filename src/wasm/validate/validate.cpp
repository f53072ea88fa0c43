// Module-level validation (index spaces, limits, exports, start, segments,
// constant expressions) and the entry point that compiles every body.
#include <string>
#include <unordered_set>
#include <vector>

#include "wasm/binary/reader.h"
#include "wasm/interp/code.h"
#include "wasm/validate/compile_func.h"

namespace weft::interp {
namespace {

using validate::ModuleContext;
using wasm::ModuleDecl;

constexpr ValType kNoType = static_cast<ValType>(0);

Error invalid(uint64_t offset, std::string message) {
  return Error::invalid(offset, std::move(message));
}

Result<void> check_value_type(ValType t, uint64_t offset) {
  if (t == ValType::V128) return invalid(offset, "SIMD (v128) is not supported");
  return {};
}

Result<void> check_table_type(const TableType& t, uint64_t offset) {
  WEFT_CHECK(check_value_type(t.element, offset));
  if (t.limits.max && t.limits.min > *t.limits.max) {
    return invalid(offset, "size minimum must not be greater than maximum");
  }
  return {};
}

Result<void> check_memory_type(const MemoryType& m, uint64_t offset) {
  if (m.limits.min > wasm::kMaxPages || (m.limits.max && *m.limits.max > wasm::kMaxPages)) {
    return invalid(offset, "memory size must be at most 65536 pages (4GiB)");
  }
  if (m.limits.max && m.limits.min > *m.limits.max) {
    return invalid(offset, "size minimum must not be greater than maximum");
  }
  return {};
}

// Validates a constant expression of type `expected`. Functions it names
// become "declared" (usable by ref.func in bodies).
Result<void> check_const_expr(ModuleContext& ctx, const wasm::ConstExpr& expr, ValType expected) {
  const ModuleDecl& decl = ctx.decl;
  wasm::Reader r(decl.bytes, expr.code.begin, expr.code.end, wasm::Reader::kUnexpectedEnd);
  std::vector<ValType> stack;
  auto pop2 = [&](ValType t, uint64_t at) -> Result<void> {
    if (stack.size() < 2 || stack[stack.size() - 1] != t || stack[stack.size() - 2] != t) {
      return invalid(at, "type mismatch");
    }
    stack.pop_back();
    return {};
  };
  for (;;) {
    const uint64_t at = r.pos();
    WEFT_TRY(uint8_t op, r.read_u8());
    switch (op) {
      case 0x0B:
        if (stack.size() != 1 || stack[0] != expected) return invalid(at, "type mismatch");
        if (!r.at_end()) return Error::malformed(r.pos(), "END opcode expected");
        return {};
      case 0x41: {
        WEFT_TRY(int32_t v, r.read_s32());
        (void)v;
        stack.push_back(ValType::I32);
        break;
      }
      case 0x42: {
        WEFT_TRY(int64_t v, r.read_s64());
        (void)v;
        stack.push_back(ValType::I64);
        break;
      }
      case 0x43: {
        WEFT_TRY(uint32_t v, r.read_f32_bits());
        (void)v;
        stack.push_back(ValType::F32);
        break;
      }
      case 0x44: {
        WEFT_TRY(uint64_t v, r.read_f64_bits());
        (void)v;
        stack.push_back(ValType::F64);
        break;
      }
      case 0xD0: {
        WEFT_TRY(uint8_t t, r.read_u8());
        if (t != 0x70 && t != 0x6F && t != 0x69) {
          return Error::malformed(at, "malformed reference type");
        }
        stack.push_back(static_cast<ValType>(t));
        break;
      }
      case 0xD2: {
        WEFT_TRY(uint32_t f, r.read_u32());
        if (f >= decl.func_types.size())
          return invalid(at, "unknown function " + std::to_string(f));
        ctx.declared_funcs[f] = 1;
        stack.push_back(ValType::FuncRef);
        break;
      }
      case 0x23: {
        WEFT_TRY(uint32_t g, r.read_u32());
        // WebAssembly 2.0: only imported globals are visible here.
        if (g >= decl.globals_imported) return invalid(at, "unknown global " + std::to_string(g));
        if (decl.global_types[g].is_mutable) return invalid(at, "constant expression required");
        stack.push_back(decl.global_types[g].type);
        break;
      }
      case 0x6A:
      case 0x6B:
      case 0x6C:
        WEFT_CHECK(pop2(ValType::I32, at));
        break;
      case 0x7C:
      case 0x7D:
      case 0x7E:
        WEFT_CHECK(pop2(ValType::I64, at));
        break;
      default:
        return invalid(at, "constant expression required");
    }
  }
}

// A tag's type: a function type with no results.
Result<void> check_tag_type(const ModuleDecl& decl, uint32_t type_index, uint64_t offset) {
  if (type_index >= decl.types.size()) {
    return invalid(offset, "unknown type " + std::to_string(type_index));
  }
  if (!decl.types[type_index].results.empty()) return invalid(offset, "non-empty tag result type");
  return {};
}

Result<void> validate_module(ModuleContext& ctx) {
  const ModuleDecl& decl = ctx.decl;
  for (const FuncType& t : decl.types) {
    for (ValType v : t.params) WEFT_CHECK(check_value_type(v, 0));
    for (ValType v : t.results) WEFT_CHECK(check_value_type(v, 0));
  }
  for (const wasm::Import& imp : decl.imports) {
    switch (imp.kind) {
      case ExternKind::Func:
        if (imp.func_type >= decl.types.size()) return invalid(imp.offset, "unknown type");
        break;
      case ExternKind::Table:
        WEFT_CHECK(check_table_type(imp.table, imp.offset));
        break;
      case ExternKind::Memory:
        WEFT_CHECK(check_memory_type(imp.memory, imp.offset));
        break;
      case ExternKind::Global:
        WEFT_CHECK(check_value_type(imp.global.type, imp.offset));
        break;
      case ExternKind::Tag:
        break;  // with the defined tags below
    }
  }
  for (size_t i = 0; i < decl.tag_types.size(); ++i) {
    const uint64_t at = i < decl.tag_offsets.size() ? decl.tag_offsets[i] : Error::kNoOffset;
    WEFT_CHECK(check_tag_type(decl, decl.tag_types[i], at));
  }
  for (uint32_t t : decl.func_types) {
    if (t >= decl.types.size()) return invalid(Error::kNoOffset, "unknown type");
  }
  for (size_t i = decl.tables_imported; i < decl.tables.size(); ++i) {
    WEFT_CHECK(check_table_type(decl.tables[i], Error::kNoOffset));
  }
  if (!ctx.multi_memory && decl.memories.size() > 1) {
    return invalid(Error::kNoOffset, "multiple memories");
  }
  for (size_t i = decl.memories_imported; i < decl.memories.size(); ++i) {
    WEFT_CHECK(check_memory_type(decl.memories[i], Error::kNoOffset));
  }
  for (const wasm::Global& g : decl.globals) {
    WEFT_CHECK(check_value_type(g.type.type, g.init.code.begin));
    WEFT_CHECK(check_const_expr(ctx, g.init, g.type.type));
  }
  std::unordered_set<std::string> export_names;
  for (const wasm::Export& e : decl.exports) {
    if (!export_names.insert(e.name).second) return invalid(e.offset, "duplicate export name");
    switch (e.kind) {
      case ExternKind::Func:
        if (e.index >= decl.func_types.size()) {
          return invalid(e.offset, "unknown function " + std::to_string(e.index));
        }
        ctx.declared_funcs[e.index] = 1;
        break;
      case ExternKind::Table:
        if (e.index >= decl.tables.size()) {
          return invalid(e.offset, "unknown table " + std::to_string(e.index));
        }
        break;
      case ExternKind::Memory:
        if (e.index >= decl.memories.size()) {
          return invalid(e.offset, "unknown memory " + std::to_string(e.index));
        }
        break;
      case ExternKind::Global:
        if (e.index >= decl.global_types.size()) {
          return invalid(e.offset, "unknown global " + std::to_string(e.index));
        }
        break;
      case ExternKind::Tag:
        if (e.index >= decl.tag_types.size()) {
          return invalid(e.offset, "unknown tag " + std::to_string(e.index));
        }
        break;
    }
  }
  if (decl.start) {
    if (*decl.start >= decl.func_types.size()) {
      return invalid(Error::kNoOffset, "unknown function " + std::to_string(*decl.start));
    }
    const FuncType& t = decl.types[decl.func_types[*decl.start]];
    if (!t.params.empty() || !t.results.empty()) return invalid(Error::kNoOffset, "start function");
  }
  for (const wasm::ElemSegment& seg : decl.elems) {
    const uint64_t at = seg.offset_in_binary;
    WEFT_CHECK(check_value_type(seg.type, at));
    if (seg.mode == wasm::SegmentMode::Active) {
      if (seg.table >= decl.tables.size()) {
        return invalid(at, "unknown table " + std::to_string(seg.table));
      }
      WEFT_CHECK(check_const_expr(ctx, seg.offset, ValType::I32));
      if (decl.tables[seg.table].element != seg.type) return invalid(at, "type mismatch");
    }
    if (seg.uses_exprs) {
      for (const wasm::ConstExpr& e : seg.exprs) WEFT_CHECK(check_const_expr(ctx, e, seg.type));
    } else {
      for (uint32_t f : seg.func_indices) {
        if (f >= decl.func_types.size())
          return invalid(at, "unknown function " + std::to_string(f));
        ctx.declared_funcs[f] = 1;
      }
    }
  }
  for (const wasm::DataSegment& seg : decl.datas) {
    if (seg.mode == wasm::SegmentMode::Active) {
      if (seg.memory >= decl.memories.size()) {
        return invalid(seg.offset_in_binary, "unknown memory " + std::to_string(seg.memory));
      }
      WEFT_CHECK(check_const_expr(ctx, seg.offset, ValType::I32));
    }
  }
  if (decl.bodies.size() != decl.defined_func_count()) {
    return Error::malformed(Error::kNoOffset,
                            "function and code section have inconsistent lengths");
  }
  (void)kNoType;
  return {};
}

}  // namespace

Result<void> validate_and_compile(detail::ModuleImpl& module, bool multi_memory) {
  ModuleContext ctx{module.decl, std::vector<uint8_t>(module.decl.func_types.size(), 0),
                    multi_memory};
  WEFT_CHECK(validate_module(ctx));
  module.code.clear();
  module.code.reserve(module.decl.bodies.size());
  const uint32_t first = module.decl.funcs_imported;
  for (uint32_t i = 0; i < module.decl.bodies.size(); ++i) {
    WEFT_TRY(auto compiled, validate::compile_function(ctx, first + i));
    module.code.push_back(std::move(compiled));
  }
  return {};
}

}  // namespace weft::interp
