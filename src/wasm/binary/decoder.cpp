// The binary decoder. It follows the section grammar of the spec's binary
// format and reports the spec test suite's texts for malformed modules.
//
// Non-custom sections are read with a cursor bounded by the end of the
// module rather than the end of the section, and the section's size is
// checked afterwards ("section size mismatch"): the reference interpreter
// does the same, so miscounted sections give the errors the tests expect.
// Custom sections are read within their declared size.
#include "wasm/binary/decoder.h"

#include <algorithm>
#include <cstdint>

#include "wasm/binary/reader.h"

namespace weft::wasm {

const char* section_name(uint8_t id) {
  switch (id) {
    case 0:
      return "custom";
    case 1:
      return "type";
    case 2:
      return "import";
    case 3:
      return "function";
    case 4:
      return "table";
    case 5:
      return "memory";
    case 6:
      return "global";
    case 7:
      return "export";
    case 8:
      return "start";
    case 9:
      return "element";
    case 10:
      return "code";
    case 11:
      return "data";
    case 12:
      return "datacount";
    case 13:
      return "tag";
    default:
      return "unknown";
  }
}

bool is_known_opcode(uint8_t op) {
  if (op <= 0x05) return true;                // unreachable .. else
  if (op >= 0x06 && op <= 0x0A) return true;  // try, catch, throw, rethrow, throw_ref
  if (op == 0x18 || op == 0x19) return true;  // delegate, catch_all (legacy)
  if (op >= 0x0B && op <= 0x11) return true;  // end .. call_indirect
  if (op == 0x1F) return true;                // try_table
  if (op >= 0x1A && op <= 0x1C) return true;  // drop, select, select t
  if (op >= 0x20 && op <= 0x26) return true;  // local/global/table get/set
  if (op >= 0x28 && op <= 0xC4) return true;  // memory, numeric, sign-extension
  if (op >= 0xD0 && op <= 0xD2) return true;  // ref.null, ref.is_null, ref.func
  return op == 0xFC;                          // saturating/bulk prefix
}

namespace {

// Position of each non-custom section in the required order (datacount sits
// between element and code, tag between memory and global).
int section_rank(uint8_t id) {
  switch (id) {
    case 13:
      return 2 * 5 + 1;
    case 12:
      return 2 * 9 + 1;
    default:
      return 2 * id;  // 1..11
  }
}

// Reserving for a count: never more than the bytes that could hold it.
size_t reserve_hint(uint32_t count, const Reader& r, size_t section_end) {
  const size_t left = section_end > r.pos() ? section_end - r.pos() : 0;
  return std::min<size_t>(count, left);
}

class Decoder {
 public:
  explicit Decoder(ModuleDecl& m) : m_(m), r_(m.bytes, Reader::kUnexpectedEnd) {}

  Result<void> run() {
    const size_t size = m_.bytes.size();
    // Byte ranges are 32-bit.
    if (size > UINT32_MAX) return Error::limit("module larger than 4 GiB");
    if (size < 4) return Error::malformed(size, "unexpected end");
    static constexpr uint8_t kMagic[4] = {0x00, 0x61, 0x73, 0x6D};
    if (!std::equal(kMagic, kMagic + 4, m_.bytes.begin()))
      return Error::malformed(0, "magic header not detected");
    if (size < 8) return Error::malformed(size, "unexpected end");
    static constexpr uint8_t kVersion[4] = {0x01, 0x00, 0x00, 0x00};
    if (!std::equal(kVersion, kVersion + 4, m_.bytes.begin() + 4))
      return Error::malformed(4, "unknown binary version");
    r_.seek(8);

    int last_rank = 0;
    while (!r_.at_end()) {
      const size_t id_at = r_.pos();
      r_.set_eof_message(Reader::kUnexpectedEnd);
      WEFT_TRY(uint8_t id, r_.read_u8());
      if (id > 13) return Error::malformed(id_at, "malformed section id");
      WEFT_TRY(uint32_t section_size, r_.read_length());
      const size_t start = r_.pos();
      const size_t end = start + section_size;
      m_.sections.push_back(SectionInfo{id, section_name(id), start, section_size});
      if (id == 0) {
        WEFT_CHECK(custom_section(start, end));
        r_.seek(end);
        continue;
      }
      const int rank = section_rank(id);
      if (rank <= last_rank)
        return Error::malformed(id_at, "unexpected content after last section");
      last_rank = rank;
      section_end_ = end;
      r_.set_eof_message(Reader::kUnexpectedEndOfSection);
      switch (id) {
        case 1:
          WEFT_CHECK(type_section());
          break;
        case 2:
          WEFT_CHECK(import_section());
          break;
        case 3:
          WEFT_CHECK(function_section());
          break;
        case 4:
          WEFT_CHECK(table_section());
          break;
        case 5:
          WEFT_CHECK(memory_section());
          break;
        case 6:
          WEFT_CHECK(global_section());
          break;
        case 7:
          WEFT_CHECK(export_section());
          break;
        case 8:
          WEFT_CHECK(start_section());
          break;
        case 9:
          WEFT_CHECK(element_section());
          break;
        case 10:
          WEFT_CHECK(code_section());
          break;
        case 11:
          WEFT_CHECK(data_section());
          break;
        case 12:
          WEFT_CHECK(data_count_section());
          break;
        case 13:
          WEFT_CHECK(tag_section());
          break;
      }
      if (r_.pos() != end) return Error::malformed(start, "section size mismatch");
    }

    if (!has_code_ && m_.defined_func_count() != 0)
      return Error::malformed(size, "function and code section have inconsistent lengths");
    if (m_.data_count && *m_.data_count != m_.datas.size())
      return Error::malformed(size, "data count and data section have inconsistent lengths");
    return {};
  }

 private:
  // ---- types -------------------------------------------------------------

  Result<ValType> val_type() {
    const size_t at = r_.pos();
    WEFT_TRY(uint8_t b, r_.read_u8());
    switch (b) {
      case 0x7F:
        return ValType::I32;
      case 0x7E:
        return ValType::I64;
      case 0x7D:
        return ValType::F32;
      case 0x7C:
        return ValType::F64;
      case 0x7B:
        return ValType::V128;
      case 0x70:
        return ValType::FuncRef;
      case 0x6F:
        return ValType::ExternRef;
      case 0x69:
        return ValType::ExnRef;
      default:
        return Error::malformed(at, "malformed value type");
    }
  }

  Result<ValType> ref_type() {
    const size_t at = r_.pos();
    WEFT_TRY(uint8_t b, r_.read_u8());
    if (b == 0x70) return ValType::FuncRef;
    if (b == 0x6F) return ValType::ExternRef;
    if (b == 0x69) return ValType::ExnRef;
    return Error::malformed(at, "malformed reference type");
  }

  Result<Limits> limits() {
    WEFT_TRY(uint8_t flag, r_.read_flag_bit());
    Limits lim;
    WEFT_TRY(lim.min, r_.read_u32());
    if (flag & 1) {
      WEFT_TRY(uint32_t max, r_.read_u32());
      lim.max = max;
    }
    return lim;
  }

  Result<TableType> table_type() {
    TableType t;
    WEFT_TRY(t.element, ref_type());
    WEFT_TRY(t.limits, limits());
    return t;
  }

  Result<MemoryType> memory_type() {
    MemoryType t;
    WEFT_TRY(t.limits, limits());
    return t;
  }

  Result<GlobalType> global_type() {
    GlobalType t;
    WEFT_TRY(t.type, val_type());
    const size_t at = r_.pos();
    WEFT_TRY(uint8_t mut, r_.read_u8());
    if (mut > 1) return Error::malformed(at, "malformed mutability");
    t.is_mutable = mut == 1;
    return t;
  }

  // Finds the end of a constant expression by skipping the immediates of
  // the instructions a constant expression may contain. Anything else is
  // rejected here, since its immediates' length is unknown to this scan.
  Result<ConstExpr> const_expr() {
    const size_t begin = r_.pos();
    for (;;) {
      const size_t op_at = r_.pos();
      WEFT_TRY(uint8_t op, r_.read_u8());
      switch (op) {
        case 0x0B:  // end
          return ConstExpr{
              ByteRange{static_cast<uint32_t>(begin), static_cast<uint32_t>(r_.pos())}};
        case 0x41:
          WEFT_CHECK(r_.read_s32());
          break;
        case 0x42:
          WEFT_CHECK(r_.read_s64());
          break;
        case 0x43:
          WEFT_CHECK(r_.skip(4));
          break;
        case 0x44:
          WEFT_CHECK(r_.skip(8));
          break;
        case 0x23:  // global.get
        case 0xD2:  // ref.func
          WEFT_CHECK(r_.read_u32());
          break;
        case 0xD0:
          WEFT_CHECK(ref_type());
          break;  // ref.null
        case 0x6A:
        case 0x6B:
        case 0x6C:  // i32.add/sub/mul (extended-const)
        case 0x7C:
        case 0x7D:
        case 0x7E:  // i64.add/sub/mul
          break;
        case 0xFC: {
          WEFT_TRY(uint32_t sub, r_.read_u32());
          if (sub > 17) return Error::malformed(op_at, "illegal opcode");
          return Error::invalid(op_at, "constant expression required");
        }
        default:
          if (!is_known_opcode(op)) return Error::malformed(op_at, "illegal opcode");
          return Error::invalid(op_at, "constant expression required");
      }
    }
  }

  // ---- sections ----------------------------------------------------------

  Result<void> type_section() {
    const size_t count_at = r_.pos();
    WEFT_TRY(uint32_t count, r_.read_count());
    if (count > kMaxTypes) {
      return Error::malformed(count_at, "too many types (" + std::to_string(count) + ", at most " +
                                            std::to_string(kMaxTypes) + ")");
    }
    m_.types.reserve(reserve_hint(count, r_, section_end_));
    for (uint32_t i = 0; i < count; ++i) {
      const size_t at = r_.pos();
      WEFT_TRY(uint8_t form, r_.read_u8());
      // The form is a signed LEB128 byte in the spec's grammar.
      if (form & 0x80) return Error::malformed(at + 1, "integer representation too long");
      if (form != 0x60) return Error::malformed(at, "malformed function type");
      FuncType type;
      WEFT_CHECK(val_types(type.params));
      WEFT_CHECK(val_types(type.results));
      m_.types.push_back(std::move(type));
    }
    return {};
  }

  Result<void> val_types(std::vector<ValType>& out) {
    WEFT_TRY(uint32_t count, r_.read_count());
    out.reserve(reserve_hint(count, r_, section_end_));
    for (uint32_t i = 0; i < count; ++i) {
      WEFT_TRY(ValType t, val_type());
      out.push_back(t);
    }
    return {};
  }

  Result<void> import_section() {
    WEFT_TRY(uint32_t count, r_.read_count());
    m_.imports.reserve(reserve_hint(count, r_, section_end_));
    for (uint32_t i = 0; i < count; ++i) {
      Import imp;
      imp.offset = static_cast<uint32_t>(r_.pos());
      WEFT_TRY(imp.module, r_.read_name());
      WEFT_TRY(imp.name, r_.read_name());
      const size_t kind_at = r_.pos();
      WEFT_TRY(uint8_t kind, r_.read_u8());
      switch (kind) {
        case 0: {
          imp.kind = ExternKind::Func;
          WEFT_TRY(imp.func_type, r_.read_u32());
          m_.func_types.push_back(imp.func_type);
          ++m_.funcs_imported;
          break;
        }
        case 1: {
          imp.kind = ExternKind::Table;
          WEFT_TRY(imp.table, table_type());
          m_.tables.push_back(imp.table);
          ++m_.tables_imported;
          break;
        }
        case 2: {
          imp.kind = ExternKind::Memory;
          WEFT_TRY(imp.memory, memory_type());
          m_.memories.push_back(imp.memory);
          ++m_.memories_imported;
          break;
        }
        case 3: {
          imp.kind = ExternKind::Global;
          WEFT_TRY(imp.global, global_type());
          m_.global_types.push_back(imp.global);
          ++m_.globals_imported;
          break;
        }
        case 4: {
          imp.kind = ExternKind::Tag;
          m_.tag_offsets.push_back(static_cast<uint32_t>(r_.pos()));
          WEFT_TRY(imp.tag_type, tag_type());
          m_.tag_types.push_back(imp.tag_type);
          ++m_.tags_imported;
          break;
        }
        default:
          return Error::malformed(kind_at, "malformed import kind");
      }
      m_.imports.push_back(std::move(imp));
    }
    return {};
  }

  Result<void> function_section() {
    WEFT_TRY(uint32_t count, r_.read_count());
    m_.func_types.reserve(m_.func_types.size() + reserve_hint(count, r_, section_end_));
    for (uint32_t i = 0; i < count; ++i) {
      WEFT_TRY(uint32_t type_index, r_.read_u32());
      m_.func_types.push_back(type_index);
    }
    return {};
  }

  Result<void> table_section() {
    WEFT_TRY(uint32_t count, r_.read_count());
    for (uint32_t i = 0; i < count; ++i) {
      WEFT_TRY(TableType t, table_type());
      m_.tables.push_back(t);
    }
    return {};
  }

  Result<void> memory_section() {
    WEFT_TRY(uint32_t count, r_.read_count());
    for (uint32_t i = 0; i < count; ++i) {
      WEFT_TRY(MemoryType t, memory_type());
      m_.memories.push_back(t);
    }
    return {};
  }

  Result<void> global_section() {
    WEFT_TRY(uint32_t count, r_.read_count());
    m_.globals.reserve(reserve_hint(count, r_, section_end_));
    for (uint32_t i = 0; i < count; ++i) {
      Global g;
      WEFT_TRY(g.type, global_type());
      WEFT_TRY(g.init, const_expr());
      m_.global_types.push_back(g.type);
      m_.globals.push_back(g);
    }
    return {};
  }

  Result<void> export_section() {
    WEFT_TRY(uint32_t count, r_.read_count());
    m_.exports.reserve(reserve_hint(count, r_, section_end_));
    for (uint32_t i = 0; i < count; ++i) {
      Export ex;
      ex.offset = static_cast<uint32_t>(r_.pos());
      WEFT_TRY(ex.name, r_.read_name());
      const size_t kind_at = r_.pos();
      WEFT_TRY(uint8_t kind, r_.read_u8());
      if (kind > 4) return Error::malformed(kind_at, "malformed export kind");
      ex.kind = static_cast<ExternKind>(kind);
      WEFT_TRY(ex.index, r_.read_u32());
      m_.exports.push_back(std::move(ex));
    }
    return {};
  }

  Result<void> start_section() {
    WEFT_TRY(uint32_t index, r_.read_u32());
    m_.start = index;
    return {};
  }

  Result<void> element_section() {
    WEFT_TRY(uint32_t count, r_.read_count());
    m_.elems.reserve(reserve_hint(count, r_, section_end_));
    for (uint32_t i = 0; i < count; ++i) {
      ElemSegment seg;
      seg.offset_in_binary = static_cast<uint32_t>(r_.pos());
      const size_t flags_at = r_.pos();
      WEFT_TRY(uint32_t flags, r_.read_u32());
      if (flags > 7) return Error::malformed(flags_at, "malformed elements segment kind");
      // bit 0: passive/declarative; bit 1: explicit table index (active) or
      // declarative; bit 2: elements are expressions.
      const bool not_active = flags & 1;
      const bool bit1 = flags & 2;
      seg.uses_exprs = flags & 4;
      if (not_active) {
        seg.mode = bit1 ? SegmentMode::Declarative : SegmentMode::Passive;
      } else {
        seg.mode = SegmentMode::Active;
        if (bit1) {
          WEFT_TRY(seg.table, r_.read_u32());
        }
        WEFT_TRY(seg.offset, const_expr());
      }
      // The compact active forms (0 and 4) imply funcref; the others spell
      // out an element kind (indices) or a reference type (expressions).
      if (not_active || bit1) {
        if (seg.uses_exprs) {
          WEFT_TRY(seg.type, ref_type());
        } else {
          const size_t kind_at = r_.pos();
          WEFT_TRY(uint8_t elem_kind, r_.read_u8());
          if (elem_kind != 0x00) return Error::malformed(kind_at, "malformed element kind");
          seg.type = ValType::FuncRef;
        }
      }
      WEFT_TRY(uint32_t n, r_.read_count());
      if (seg.uses_exprs) {
        seg.exprs.reserve(reserve_hint(n, r_, section_end_));
        for (uint32_t k = 0; k < n; ++k) {
          WEFT_TRY(ConstExpr e, const_expr());
          seg.exprs.push_back(e);
        }
      } else {
        seg.func_indices.reserve(reserve_hint(n, r_, section_end_));
        for (uint32_t k = 0; k < n; ++k) {
          WEFT_TRY(uint32_t index, r_.read_u32());
          seg.func_indices.push_back(index);
        }
      }
      m_.elems.push_back(std::move(seg));
    }
    return {};
  }

  Result<void> code_section() {
    has_code_ = true;
    const size_t count_at = r_.pos();
    WEFT_TRY(uint32_t count, r_.read_count());
    if (count != m_.defined_func_count())
      return Error::malformed(count_at, "function and code section have inconsistent lengths");
    m_.bodies.reserve(count);  // bounded by the function section's size
    for (uint32_t i = 0; i < count; ++i) {
      FunctionBody body;
      body.offset = static_cast<uint32_t>(r_.pos());
      WEFT_TRY(uint32_t body_size, r_.read_length());
      if (body_size > kMaxFunctionSize)
        return Error::malformed(body.offset, "function body too large");
      const size_t body_start = r_.pos();
      const size_t body_end = body_start + body_size;

      // Parameters count towards the locals limit; an out-of-range type
      // index is the validator's to report.
      uint64_t total = 0;
      const uint32_t type_index = m_.func_types[m_.funcs_imported + i];
      if (type_index < m_.types.size()) total = m_.types[type_index].params.size();

      const size_t locals_at = r_.pos();
      WEFT_TRY(uint32_t runs, r_.read_count());
      body.locals.reserve(reserve_hint(runs, r_, body_end));
      for (uint32_t k = 0; k < runs; ++k) {
        LocalDecl decl;
        WEFT_TRY(decl.count, r_.read_u32());
        WEFT_TRY(decl.type, val_type());
        total += decl.count;
        if (total > kMaxLocals) return Error::malformed(locals_at, "too many locals");
        body.local_count += decl.count;
        body.locals.push_back(decl);
      }
      if (r_.pos() > body_end) return Error::malformed(body_start, "section size mismatch");
      // Every body ends with `end`. If the last byte is not 0x0B the body
      // is missing it. The spec's decoder would read on into the next
      // bytes; name what it would most likely find there.
      if (r_.pos() == body_end || m_.bytes[body_end - 1] != 0x0B) {
        if (body_end >= m_.bytes.size())
          return Error::malformed(body_end, Reader::kUnexpectedEndOfSection);
        if (m_.bytes[body_end] == 0x0B)
          return Error::malformed(body_start, "section size mismatch");
        return Error::malformed(body_end, "END opcode expected");
      }
      body.code = ByteRange{static_cast<uint32_t>(r_.pos()), static_cast<uint32_t>(body_end)};
      m_.bodies.push_back(std::move(body));
      r_.seek(body_end);
    }
    return {};
  }

  Result<void> data_section() {
    WEFT_TRY(uint32_t count, r_.read_count());
    m_.datas.reserve(reserve_hint(count, r_, section_end_));
    for (uint32_t i = 0; i < count; ++i) {
      DataSegment seg;
      seg.offset_in_binary = static_cast<uint32_t>(r_.pos());
      const size_t flags_at = r_.pos();
      WEFT_TRY(uint32_t flags, r_.read_u32());
      switch (flags) {
        case 0: {
          seg.mode = SegmentMode::Active;
          WEFT_TRY(seg.offset, const_expr());
          break;
        }
        case 1:
          seg.mode = SegmentMode::Passive;
          break;
        case 2: {
          seg.mode = SegmentMode::Active;
          WEFT_TRY(seg.memory, r_.read_u32());
          WEFT_TRY(seg.offset, const_expr());
          break;
        }
        default:
          return Error::malformed(flags_at, "malformed data segment kind");
      }
      // Not read_length: the spec reports a short payload as an unexpected end.
      WEFT_TRY(uint32_t len, r_.read_u32());
      const size_t init_at = r_.pos();
      WEFT_CHECK(r_.skip(len));
      seg.init = ByteRange{static_cast<uint32_t>(init_at), static_cast<uint32_t>(r_.pos())};
      m_.datas.push_back(seg);
    }
    return {};
  }

  // A tag's type: the exception attribute (0, the only one) and a function
  // type index (checked by the validator).
  Result<uint32_t> tag_type() {
    const size_t at = r_.pos();
    WEFT_TRY(uint8_t attribute, r_.read_u8());
    if (attribute != 0) return Error::malformed(at, "malformed tag attribute");
    return r_.read_u32();
  }

  Result<void> tag_section() {
    WEFT_TRY(uint32_t count, r_.read_count());
    m_.tag_types.reserve(m_.tag_types.size() + reserve_hint(count, r_, section_end_));
    for (uint32_t i = 0; i < count; ++i) {
      m_.tag_offsets.push_back(static_cast<uint32_t>(r_.pos()));
      WEFT_TRY(uint32_t type_index, tag_type());
      m_.tag_types.push_back(type_index);
    }
    return {};
  }

  Result<void> data_count_section() {
    WEFT_TRY(uint32_t count, r_.read_u32());
    m_.data_count = count;
    return {};
  }

  Result<void> custom_section(size_t start, size_t end) {
    Reader cr(m_.bytes, start, end, Reader::kUnexpectedEnd);
    WEFT_TRY(std::string name, cr.read_name());
    m_.sections.back().name = name;
    CustomSection custom;
    custom.contents = ByteRange{static_cast<uint32_t>(cr.pos()), static_cast<uint32_t>(end)};
    if (name == "name") parse_name_section(cr.pos(), end);
    custom.name = std::move(name);
    m_.customs.push_back(std::move(custom));
    return {};
  }

  // Custom sections are not validated: a malformed name section is ignored.
  void parse_name_section(size_t start, size_t end) {
    NameSection names;
    if (read_names(start, end, names).ok()) m_.names = std::move(names);
  }

  Result<void> read_names(size_t start, size_t end, NameSection& names) {
    Reader nr(m_.bytes, start, end);
    while (!nr.at_end()) {
      WEFT_TRY(uint8_t id, nr.read_u8());
      WEFT_TRY(uint32_t size, nr.read_length());
      const size_t sub_end = nr.pos() + size;
      Reader sub(m_.bytes, nr.pos(), sub_end);
      if (id == 0) {
        WEFT_TRY(names.module_name, sub.read_name());
      } else if (id == 1) {
        WEFT_TRY(uint32_t count, sub.read_length());
        for (uint32_t i = 0; i < count; ++i) {
          WEFT_TRY(uint32_t index, sub.read_u32());
          WEFT_TRY(std::string name, sub.read_name());
          names.function_names[index] = std::move(name);
        }
      }
      nr.seek(sub_end);
    }
    return {};
  }

  ModuleDecl& m_;
  Reader r_;
  size_t section_end_ = 0;
  bool has_code_ = false;
};

}  // namespace

Result<ModuleDecl> decode_module(std::span<const uint8_t> bytes) {
  ModuleDecl module;
  module.bytes.assign(bytes.begin(), bytes.end());
  Decoder decoder(module);
  Result<void> result = decoder.run();
  if (!result.ok()) return std::move(result).error();
  return module;
}

}  // namespace weft::wasm
