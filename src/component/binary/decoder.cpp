// The component binary decoder. One recursive-descent function per grammar
// rule of Binary.md; the recursive rules (nested components, component and
// instance types, core module types) carry a depth that is checked against
// kMaxNesting before descending, so the C++ stack use is bounded.
//
// Each section is read with a Reader bounded by the section's declared
// size, so nothing in a section can read into the next one; a section whose
// contents end early is a "section size mismatch".
#include "component/binary/decoder.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

#include "wasm/binary/reader.h"

namespace weft::component::ast {

namespace {

using wasm::Reader;

constexpr const char* kEndOfSection = "unexpected end of section";

constexpr uint8_t kMagic[4] = {0x00, 0x61, 0x73, 0x6D};
constexpr uint8_t kVersion[2] = {0x0D, 0x00};
constexpr uint8_t kLayer[2] = {0x01, 0x00};

std::string hex(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

ByteRange range(size_t begin, size_t end) {
  return ByteRange{static_cast<uint32_t>(begin), static_cast<uint32_t>(end)};
}

// Never reserve more elements than there are bytes left (each takes at
// least one), nor more than a few thousand up front: a bogus count must not
// cost count * sizeof(T) before the decoder finds the bytes missing (a Type
// is ~230 bytes). Beyond that the vector grows as elements really decode.
constexpr size_t kMaxReserve = 4096;
size_t reserve_hint(uint32_t count, const Reader& r) {
  return std::min<size_t>({count, r.remaining(), kMaxReserve});
}

// `vec(T)`: a count, then that many elements read by `element`, which
// returns Result<T>.
template <class T, class F>
Result<void> read_vec(Reader& r, std::vector<T>& out, F&& element) {
  WEFT_TRY(uint32_t count, r.read_count());
  out.reserve(out.size() + reserve_hint(count, r));
  for (uint32_t i = 0; i < count; ++i) {
    WEFT_TRY(T value, element());
    out.push_back(std::move(value));
  }
  return {};
}

// [first, last) of the definitions one section appended.
using Run = std::pair<size_t, size_t>;

bool is_prim(uint8_t b) { return (b >= 0x73 && b <= 0x7F) || b == 0x64; }

class Decoder {
 public:
  explicit Decoder(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  // A component (preamble and sections) filling exactly [begin, end).
  Result<void> component(size_t begin, size_t end, Component& out, uint32_t depth) {
    out.range = range(begin, end);
    Reader r(bytes_, begin, end, Reader::kUnexpectedEnd);
    WEFT_CHECK(preamble(r));
    while (!r.at_end()) {
      const size_t id_at = r.pos();
      WEFT_TRY(uint8_t id, r.read_u8());
      if (id > 12) return r.error_at(id_at, "malformed section id " + hex(id));
      WEFT_TRY(uint32_t size, r.read_length());
      const size_t start = r.pos();
      const size_t section_end = start + size;
      r.seek(section_end);
      SectionEntry entry;
      entry.id = id;
      entry.offset = static_cast<uint32_t>(id_at);
      entry.contents = range(start, section_end);
      Reader s(bytes_, start, section_end, kEndOfSection);
      WEFT_TRY(Run run, section(id, s, out, depth));
      entry.first = static_cast<uint32_t>(run.first);
      entry.count = static_cast<uint32_t>(run.second - run.first);
      if (!s.at_end()) return Error::malformed(start, "section size mismatch");
      out.order.push_back(entry);
    }
    return {};
  }

 private:
  Result<void> preamble(Reader& r) {
    const size_t at = r.pos();
    // Check the magic on whatever is there before complaining about length,
    // so a short non-wasm file is reported as not wasm.
    const size_t have = std::min<size_t>(r.remaining(), 8);
    const uint8_t* p = r.data() + at;
    if (!std::equal(p, p + std::min<size_t>(have, 4), kMagic))
      return r.error_at(at, "magic header not detected");
    if (have < 8) return r.error_at(at + have, "unexpected end");
    static constexpr uint8_t kCoreVersion[4] = {0x01, 0x00, 0x00, 0x00};
    if (std::equal(p + 4, p + 8, kCoreVersion))
      return r.error_at(at + 4, "not a component: a core module (layer 0)");
    if (p[6] != kLayer[0] || p[7] != kLayer[1])
      return r.error_at(at + 6, "unknown binary layer (0x01 0x00 expected)");
    if (p[4] != kVersion[0] || p[5] != kVersion[1])
      return r.error_at(at + 4, "unknown component binary version (0x0d 0x00 expected)");
    r.seek(at + 8);
    return {};
  }

  Result<void> check_depth(const Reader& r, uint32_t depth) {
    if (depth > kMaxNesting)
      return r.error("nesting too deep (more than " + std::to_string(kMaxNesting) + " levels)");
    return {};
  }

  // Decodes one section's contents; returns [first, last) of the
  // definitions it appended to the vector for `id`.
  Result<Run> section(uint8_t id, Reader& s, Component& c, uint32_t depth) {
    switch (id) {
      case 0: {
        const size_t first = c.customs.size();
        WEFT_CHECK(custom_section(s, c));
        return Run{first, c.customs.size()};
      }
      case 1: {
        // Kept undecoded: the validator runs the core decoder on it.
        const size_t first = c.core_modules.size();
        c.core_modules.push_back(range(s.pos(), s.end()));
        s.seek(s.end());
        return Run{first, first + 1};
      }
      case 2:
        return run(c.core_instances, s, [&] { return core_instance(s); });
      case 3:
        return run(c.core_types, s, [&] { return core_type(s, depth); });
      case 4: {
        WEFT_CHECK(check_depth(s, depth + 1));
        const size_t first = c.components.size();
        auto child = std::make_unique<Component>();
        WEFT_CHECK(component(s.pos(), s.end(), *child, depth + 1));
        s.seek(s.end());
        c.components.push_back(std::move(child));
        return Run{first, first + 1};
      }
      case 5:
        return run(c.instances, s, [&] { return instance(s); });
      case 6:
        return run(c.aliases, s, [&] { return alias(s); });
      case 7:
        return run(c.types, s, [&] { return type(s, depth); });
      case 8:
        return run(c.canons, s, [&] { return canon(s); });
      case 9: {
        const size_t first = c.starts.size();
        WEFT_TRY(Start st, start(s));
        c.starts.push_back(std::move(st));
        return Run{first, first + 1};
      }
      case 10:
        return run(c.imports, s, [&] { return import_decl(s); });
      case 11:
        return run(c.exports, s, [&] { return export_def(s); });
      default:  // 12; larger ids were rejected by the caller
        return run(c.values, s, [&] { return value(s); });
    }
  }

  template <class T, class F>
  Result<Run> run(std::vector<T>& out, Reader& s, F&& element) {
    const size_t first = out.size();
    WEFT_CHECK(read_vec(s, out, element));
    return Run{first, out.size()};
  }

  // ---- small pieces ------------------------------------------------------

  // A one-byte 0x00/0x01 immediate (async?, cancel?, sh?, ...).
  Result<bool> flag(Reader& r, const char* what) {
    const size_t at = r.pos();
    WEFT_TRY(uint8_t b, r.read_u8());
    if (b > 1) return r.error_at(at, std::string("malformed ") + what + " flag " + hex(b));
    return b == 1;
  }

  // `<T>?`: 0x00 (absent) or 0x01 followed by T. Returns whether present.
  Result<bool> optional(Reader& r, const char* what) {
    const size_t at = r.pos();
    WEFT_TRY(uint8_t b, r.read_u8());
    if (b > 1) return r.error_at(at, std::string("malformed optional ") + what + " " + hex(b));
    return b == 1;
  }

  // ---- sorts -------------------------------------------------------------

  Result<CoreSort> core_sort(Reader& r) {
    const size_t at = r.pos();
    WEFT_TRY(uint8_t b, r.read_u8());
    if (b <= 0x04 || (b >= 0x10 && b <= 0x12)) return static_cast<CoreSort>(b);
    return r.error_at(at, "malformed core sort " + hex(b));
  }

  Result<Sort> sort(Reader& r) {
    const size_t at = r.pos();
    WEFT_TRY(uint8_t b, r.read_u8());
    Sort s;
    if (b == 0x00) {
      s.kind = SortKind::Core;
      WEFT_TRY(s.core, core_sort(r));
      return s;
    }
    if (b > 0x05) return r.error_at(at, "malformed sort " + hex(b));
    s.kind = static_cast<SortKind>(b);
    return s;
  }

  Result<SortIdx> sort_idx(Reader& r) {
    SortIdx si;
    WEFT_TRY(si.sort, sort(r));
    WEFT_TRY(si.index, r.read_u32());
    return si;
  }

  // ---- names -------------------------------------------------------------

  Result<NameAttribute> name_attribute(Reader& r) {
    const size_t at = r.pos();
    WEFT_TRY(uint8_t b, r.read_u8());
    if (b > 0x02) return r.error_at(at, "malformed name attribute " + hex(b));
    NameAttribute a;
    a.kind = static_cast<NameAttribute::Kind>(b);
    WEFT_TRY(a.value, r.read_name());
    return a;
  }

  Result<ExternName> extern_name(Reader& r) {
    const size_t at = r.pos();
    ExternName n;
    WEFT_TRY(n.form, r.read_u8());
    if (n.form > 0x02) return r.error_at(at, "malformed extern name form " + hex(n.form));
    WEFT_TRY(n.name, r.read_name());
    if (n.form == 0x02) {
      WEFT_CHECK(read_vec(r, n.attributes, [&] { return name_attribute(r); }));
    }
    return n;
  }

  // ---- core types --------------------------------------------------------

  Result<weft::ValType> core_val_type(Reader& r) {
    const size_t at = r.pos();
    WEFT_TRY(uint8_t b, r.read_u8());
    switch (b) {
      case 0x7F:
        return weft::ValType::I32;
      case 0x7E:
        return weft::ValType::I64;
      case 0x7D:
        return weft::ValType::F32;
      case 0x7C:
        return weft::ValType::F64;
      case 0x7B:
        return weft::ValType::V128;
      case 0x70:
        return weft::ValType::FuncRef;
      case 0x6F:
        return weft::ValType::ExternRef;
      case 0x63:
      case 0x64:
        return r.error_at(at, "malformed value type: GC reference types are not supported");
      default:
        return r.error_at(at, "malformed value type " + hex(b));
    }
  }

  Result<Limits> limits(Reader& r) {
    const size_t at = r.pos();
    WEFT_TRY(uint8_t flags, r.read_u8());
    // Bit 1 (shared) and bit 2 (64-bit) belong to proposals weft's core
    // engine does not implement.
    if (flags > 1) return r.error_at(at, "malformed limits flags " + hex(flags));
    Limits lim;
    WEFT_TRY(uint32_t min, r.read_u32());
    lim.min = min;
    if (flags & 1) {
      WEFT_TRY(uint32_t max, r.read_u32());
      lim.max = max;
    }
    return lim;
  }

  // `core:importdesc` / `core:externtype`.
  Result<CoreExternType> core_extern_type(Reader& r) {
    const size_t at = r.pos();
    WEFT_TRY(uint8_t b, r.read_u8());
    CoreExternType t;
    switch (b) {
      case 0x00: {
        t.kind = CoreExternKind::Func;
        WEFT_TRY(t.type_index, r.read_u32());
        break;
      }
      case 0x01: {
        t.kind = CoreExternKind::Table;
        const size_t ref_at = r.pos();
        WEFT_TRY(CoreValType element, gc_val_type(r));
        if (!element.is_ref) return r.error_at(ref_at, "malformed reference type");
        if (auto mvp = mvp_type(element))
          t.table.element = *mvp;
        else
          t.gc_type = element;
        WEFT_TRY(t.table.limits, limits(r));
        break;
      }
      case 0x02: {
        t.kind = CoreExternKind::Memory;
        WEFT_TRY(t.memory.limits, limits(r));
        break;
      }
      case 0x03: {
        t.kind = CoreExternKind::Global;
        WEFT_TRY(CoreValType type, gc_val_type(r));
        if (auto mvp = mvp_type(type))
          t.global.type = *mvp;
        else
          t.gc_type = type;
        const size_t mut_at = r.pos();
        WEFT_TRY(uint8_t mut, r.read_u8());
        if (mut > 1) return r.error_at(mut_at, "malformed mutability");
        t.global.is_mutable = mut == 1;
        break;
      }
      case 0x04: {
        t.kind = CoreExternKind::Tag;
        WEFT_CHECK(r.expect_zero_byte());  // the tag attribute: exception
        WEFT_TRY(t.type_index, r.read_u32());
        break;
      }
      default:
        return r.error_at(at, "malformed import kind " + hex(b));
    }
    return t;
  }

  Result<CoreModuleDecl> core_module_decl(Reader& r, uint32_t depth) {
    CoreModuleDecl d;
    d.offset = static_cast<uint32_t>(r.pos());
    WEFT_TRY(uint8_t b, r.read_u8());
    switch (b) {
      case 0x00: {
        d.kind = CoreModuleDecl::Kind::Import;
        WEFT_TRY(d.module, r.read_name());
        WEFT_TRY(d.name, r.read_name());
        WEFT_TRY(d.extern_type, core_extern_type(r));
        break;
      }
      case 0x01: {
        d.kind = CoreModuleDecl::Kind::Type;
        WEFT_TRY(CoreType t, core_type(r, depth));
        d.type = std::make_unique<CoreType>(std::move(t));
        break;
      }
      case 0x02: {
        d.kind = CoreModuleDecl::Kind::Alias;
        const size_t sort_at = r.pos();
        WEFT_TRY(uint8_t s, r.read_u8());
        if (s != 0x10) return r.error_at(sort_at, "malformed core alias sort " + hex(s));
        const size_t target_at = r.pos();
        WEFT_TRY(uint8_t target, r.read_u8());
        if (target != 0x01)
          return r.error_at(target_at, "malformed core alias target " + hex(target));
        WEFT_TRY(d.outer_count, r.read_u32());
        WEFT_TRY(d.outer_index, r.read_u32());
        break;
      }
      case 0x03: {
        d.kind = CoreModuleDecl::Kind::Export;
        WEFT_TRY(d.name, r.read_name());
        WEFT_TRY(d.extern_type, core_extern_type(r));
        break;
      }
      default:
        return r.error_at(d.offset, "malformed module type declaration " + hex(b));
    }
    return d;
  }

  Result<CoreType> core_type(Reader& r, uint32_t depth) {
    CoreType t;
    t.offset = static_cast<uint32_t>(r.pos());
    WEFT_TRY(uint8_t b, r.read_u8());
    switch (b) {
      case 0x50:  // a bare 0x50 here is a module type, not a non-final sub
        t.kind = CoreType::Kind::Module;
        WEFT_CHECK(check_depth(r, depth + 1));
        WEFT_CHECK(read_vec(r, t.decls, [&] { return core_module_decl(r, depth + 1); }));
        return t;
      case 0x4E:  // rec: its subtypes write a non-final sub as a bare 0x50
        t.kind = CoreType::Kind::Rec;
        t.is_rec_group = true;
        WEFT_CHECK(read_vec(r, t.subtypes, [&] { return sub_type(r); }));
        return t;
      case 0x00: {  // 0x00 0x50: a non-final sub (the pre-1.0 escape)
        const size_t at = r.pos();
        WEFT_TRY(uint8_t sub, r.read_u8());
        if (sub != 0x50)
          return r.error_at(
              at, "malformed core type: 0x00 must be followed by 0x50 (sub), found " + hex(sub));
        r.seek(at);
        break;
      }
      case 0x4F:
      case 0x5E:
      case 0x5F:
      case 0x60:
        r.seek(t.offset);
        break;
      default:
        return r.error_at(t.offset, "malformed core type " + hex(b));
    }
    // One subtype standing alone: a recursion group of one.
    WEFT_TRY(CoreSubType st, sub_type(r));
    st.offset = t.offset;
    if (st.is_final && st.supertypes.empty() && st.comp.kind == CoreCompType::Kind::Func) {
      // A plain function type: keep it in the MVP form if it is one.
      weft::FuncType ft;
      bool mvp = true;
      for (const auto& p : st.comp.params)
        if (auto v = mvp_type(p))
          ft.params.push_back(*v);
        else
          mvp = false;
      for (const auto& p : st.comp.results)
        if (auto v = mvp_type(p))
          ft.results.push_back(*v);
        else
          mvp = false;
      if (mvp) {
        t.kind = CoreType::Kind::Func;
        t.func = std::move(ft);
        return t;
      }
    }
    t.kind = CoreType::Kind::Rec;
    t.subtypes.push_back(std::move(st));
    return t;
  }

  // ---- WebAssembly 3.0 types (core:rectype's pieces) ----------------------

  // The MVP type `t` is, if it is one: a number type, or a nullable func or
  // extern reference.
  static std::optional<weft::ValType> mvp_type(const CoreValType& t) {
    if (!t.is_ref) return t.num;
    if (!t.nullable || t.heap_is_index) return std::nullopt;
    if (t.heap == AbsHeapType::Func) return weft::ValType::FuncRef;
    if (t.heap == AbsHeapType::Extern) return weft::ValType::ExternRef;
    return std::nullopt;
  }

  static bool is_abs_heap(uint8_t b) { return b >= 0x69 && b <= 0x74; }

  // `core:heaptype`: an s33, negative for the abstract heap types' bytes.
  Result<CoreValType> heap_type(Reader& r, bool nullable) {
    const size_t at = r.pos();
    WEFT_TRY(int64_t v, r.read_s33());
    CoreValType t;
    t.is_ref = true;
    t.nullable = nullable;
    if (v >= 0) {
      t.heap_is_index = true;
      t.index = static_cast<uint32_t>(v);  // an s33 is below 2^32
      return t;
    }
    const uint8_t b = static_cast<uint8_t>(v + 0x80);
    if (v < -0x40 || !is_abs_heap(b)) return r.error_at(at, "malformed heap type");
    t.heap = static_cast<AbsHeapType>(b);
    return t;
  }

  // `core:valtype` with WebAssembly 3.0's reference types.
  Result<CoreValType> gc_val_type(Reader& r) {
    const size_t at = r.pos();
    WEFT_TRY(uint8_t b, r.read_u8());
    CoreValType t;
    if (b >= 0x7B && b <= 0x7F) {
      t.num = static_cast<weft::ValType>(b);
      return t;
    }
    if (b == 0x63 || b == 0x64) return heap_type(r, b == 0x63);
    if (is_abs_heap(b)) {  // the shorthand (ref null ht): funcref, anyref, ...
      t.is_ref = true;
      t.nullable = true;
      t.heap = static_cast<AbsHeapType>(b);
      return t;
    }
    return r.error_at(at, "malformed value type " + hex(b));
  }

  // `core:fieldtype`: a storage type (a value type or i8/i16), then mut.
  Result<CoreFieldType> field_type(Reader& r) {
    CoreFieldType f;
    const size_t at = r.pos();
    WEFT_TRY(uint8_t b, r.read_u8());
    if (b == 0x78 || b == 0x77) {
      f.packed = static_cast<PackedType>(b);
    } else {
      r.seek(at);
      WEFT_TRY(f.type, gc_val_type(r));
    }
    const size_t mut_at = r.pos();
    WEFT_TRY(uint8_t mut, r.read_u8());
    if (mut > 1) return r.error_at(mut_at, "malformed mutability");
    f.is_mutable = mut == 1;
    return f;
  }

  // `core:comptype`.
  Result<CoreCompType> comp_type(Reader& r) {
    const size_t at = r.pos();
    WEFT_TRY(uint8_t b, r.read_u8());
    CoreCompType c;
    switch (b) {
      case 0x60:
        c.kind = CoreCompType::Kind::Func;
        WEFT_CHECK(read_vec(r, c.params, [&] { return gc_val_type(r); }));
        WEFT_CHECK(read_vec(r, c.results, [&] { return gc_val_type(r); }));
        return c;
      case 0x5F:
        c.kind = CoreCompType::Kind::Struct;
        WEFT_CHECK(read_vec(r, c.fields, [&] { return field_type(r); }));
        return c;
      case 0x5E: {
        c.kind = CoreCompType::Kind::Array;
        WEFT_TRY(CoreFieldType f, field_type(r));
        c.fields.push_back(f);
        return c;
      }
      default:
        return r.error_at(at, "malformed composite type " + hex(b) +
                                  " (0x60 func, 0x5f struct or 0x5e array expected)");
    }
  }

  // `core:subtype`: 0x50 (sub) or 0x4F (sub final) with supertypes, or a
  // bare comptype.
  Result<CoreSubType> sub_type(Reader& r) {
    CoreSubType st;
    st.offset = static_cast<uint32_t>(r.pos());
    WEFT_TRY(uint8_t b, r.read_u8());
    if (b == 0x50 || b == 0x4F) {
      st.is_final = b == 0x4F;
      WEFT_CHECK(read_vec(r, st.supertypes, [&] { return r.read_u32(); }));
    } else {
      r.seek(st.offset);
    }
    WEFT_TRY(st.comp, comp_type(r));
    return st;
  }

  // ---- instances ---------------------------------------------------------

  Result<CoreInstance> core_instance(Reader& r) {
    CoreInstance inst;
    inst.offset = static_cast<uint32_t>(r.pos());
    WEFT_TRY(uint8_t b, r.read_u8());
    if (b == 0x00) {
      inst.kind = CoreInstance::Kind::Instantiate;
      WEFT_TRY(inst.module, r.read_u32());
      WEFT_CHECK(read_vec(r, inst.args, [&]() -> Result<CoreInstance::Arg> {
        CoreInstance::Arg arg;
        WEFT_TRY(arg.name, r.read_name());
        const size_t sort_at = r.pos();
        WEFT_TRY(uint8_t s, r.read_u8());
        if (s != 0x12)
          return r.error_at(sort_at, "malformed instantiation argument sort " + hex(s));
        WEFT_TRY(arg.instance, r.read_u32());
        return arg;
      }));
      return inst;
    }
    if (b == 0x01) {
      inst.kind = CoreInstance::Kind::FromExports;
      WEFT_CHECK(read_vec(r, inst.exports, [&]() -> Result<CoreInstance::InlineExport> {
        CoreInstance::InlineExport e;
        WEFT_TRY(e.name, r.read_name());
        WEFT_TRY(e.item.sort, core_sort(r));
        WEFT_TRY(e.item.index, r.read_u32());
        return e;
      }));
      return inst;
    }
    return r.error_at(inst.offset, "malformed core instance expression " + hex(b));
  }

  Result<Instance> instance(Reader& r) {
    Instance inst;
    inst.offset = static_cast<uint32_t>(r.pos());
    WEFT_TRY(uint8_t b, r.read_u8());
    if (b == 0x00) {
      inst.kind = Instance::Kind::Instantiate;
      WEFT_TRY(inst.component, r.read_u32());
      WEFT_CHECK(read_vec(r, inst.args, [&]() -> Result<Instance::Arg> {
        Instance::Arg arg;
        WEFT_TRY(arg.name, r.read_name());
        WEFT_TRY(arg.item, sort_idx(r));
        return arg;
      }));
      return inst;
    }
    if (b == 0x01) {
      inst.kind = Instance::Kind::FromExports;
      WEFT_CHECK(read_vec(r, inst.exports, [&]() -> Result<Instance::InlineExport> {
        Instance::InlineExport e;
        WEFT_TRY(e.name, extern_name(r));
        WEFT_TRY(e.item, sort_idx(r));
        return e;
      }));
      return inst;
    }
    return r.error_at(inst.offset, "malformed instance expression " + hex(b));
  }

  // ---- aliases -----------------------------------------------------------

  Result<Alias> alias(Reader& r) {
    Alias a;
    a.offset = static_cast<uint32_t>(r.pos());
    WEFT_TRY(a.sort, sort(r));
    const size_t target_at = r.pos();
    WEFT_TRY(uint8_t target, r.read_u8());
    switch (target) {
      case 0x00: {
        a.target = Alias::Target::Export;
        WEFT_TRY(a.instance, r.read_u32());
        WEFT_TRY(a.name, r.read_name());
        return a;
      }
      case 0x01: {
        a.target = Alias::Target::CoreExport;
        WEFT_TRY(a.instance, r.read_u32());
        WEFT_TRY(a.name, r.read_name());
        return a;
      }
      case 0x02: {
        // The grammar only has outer aliases of the outeraliassort sorts.
        const bool outer_sort =
            a.sort.kind == SortKind::Type || a.sort.kind == SortKind::Component ||
            (a.sort.kind == SortKind::Core &&
             (a.sort.core == CoreSort::Type || a.sort.core == CoreSort::Module));
        if (!outer_sort) return r.error_at(a.offset, "malformed outer alias sort");
        a.target = Alias::Target::Outer;
        WEFT_TRY(a.outer_count, r.read_u32());
        WEFT_TRY(a.outer_index, r.read_u32());
        return a;
      }
      default:
        return r.error_at(target_at, "malformed alias target " + hex(target));
    }
  }

  // ---- value types -------------------------------------------------------

  // `valtype`: a primitive type's opcode or a type index, both one s33 (the
  // opcodes are the negative one-byte values).
  Result<ValType> val_type(Reader& r) {
    const size_t at = r.pos();
    WEFT_TRY(uint8_t b, r.peek_u8());
    if (is_prim(b)) {
      r.seek(at + 1);
      return ValType::of(static_cast<PrimValType>(b));
    }
    WEFT_TRY(int64_t v, r.read_s33());
    if (v < 0) return r.error_at(at, "malformed value type " + hex(b));
    return ValType::at(static_cast<uint32_t>(v));
  }

  Result<std::optional<ValType>> optional_val_type(Reader& r) {
    WEFT_TRY(bool present, optional(r, "value type"));
    if (!present) return std::optional<ValType>{};
    WEFT_TRY(ValType t, val_type(r));
    return std::optional<ValType>{t};
  }

  Result<LabeledValType> labeled_val_type(Reader& r) {
    LabeledValType l;
    WEFT_TRY(l.label, r.read_name());
    WEFT_TRY(l.type, val_type(r));
    return l;
  }

  Result<std::string> label(Reader& r) { return r.read_name(); }

  // `resultlist`: 0x00 t, or 0x01 0x00 for none.
  Result<std::optional<ValType>> result_list(Reader& r) {
    const size_t at = r.pos();
    WEFT_TRY(uint8_t b, r.read_u8());
    if (b == 0x00) {
      WEFT_TRY(ValType t, val_type(r));
      return std::optional<ValType>{t};
    }
    if (b == 0x01) {
      const size_t zero_at = r.pos();
      WEFT_TRY(uint8_t z, r.read_u8());
      if (z != 0x00) return r.error_at(zero_at, "malformed result list: zero byte expected");
      return std::optional<ValType>{};
    }
    return r.error_at(at, "malformed result list " + hex(b));
  }

  // The defvaltype forms after their opcode `b` (already read).
  Result<void> def_val_type(Reader& r, uint8_t b, DefValType& d) {
    switch (b) {
      case 0x72:
        d.kind = DefValKind::Record;
        return read_vec(r, d.fields, [&] { return labeled_val_type(r); });
      case 0x71: {
        d.kind = DefValKind::Variant;
        return read_vec(r, d.cases, [&]() -> Result<VariantCase> {
          VariantCase c;
          WEFT_TRY(c.label, r.read_name());
          WEFT_TRY(c.type, optional_val_type(r));
          // Reserved (a future refines); must be zero.
          WEFT_CHECK(r.expect_zero_byte());
          return c;
        });
      }
      case 0x70: {
        d.kind = DefValKind::List;
        WEFT_TRY(d.element, val_type(r));
        return {};
      }
      case 0x67: {
        d.kind = DefValKind::FixedList;
        WEFT_TRY(d.element, val_type(r));
        WEFT_TRY(d.length, r.read_u32());
        return {};
      }
      case 0x6F:
        d.kind = DefValKind::Tuple;
        return read_vec(r, d.types, [&] { return val_type(r); });
      case 0x6E:
        d.kind = DefValKind::Flags;
        return read_vec(r, d.labels, [&] { return label(r); });
      case 0x6D:
        d.kind = DefValKind::Enum;
        return read_vec(r, d.labels, [&] { return label(r); });
      case 0x6B: {
        d.kind = DefValKind::Option;
        WEFT_TRY(d.element, val_type(r));
        return {};
      }
      case 0x6A: {
        d.kind = DefValKind::Result;
        WEFT_TRY(d.element, optional_val_type(r));
        WEFT_TRY(d.error, optional_val_type(r));
        return {};
      }
      case 0x69: {
        d.kind = DefValKind::Own;
        WEFT_TRY(d.index, r.read_u32());
        return {};
      }
      case 0x68: {
        d.kind = DefValKind::Borrow;
        WEFT_TRY(d.index, r.read_u32());
        return {};
      }
      case 0x66: {
        d.kind = DefValKind::Stream;
        WEFT_TRY(d.element, optional_val_type(r));
        return {};
      }
      case 0x65: {
        d.kind = DefValKind::Future;
        WEFT_TRY(d.element, optional_val_type(r));
        return {};
      }
      case 0x63: {
        d.kind = DefValKind::Map;
        WEFT_TRY(d.element, val_type(r));
        WEFT_TRY(d.error, val_type(r));
        return {};
      }
      default:
        return r.error_at(r.pos() - 1, "malformed type " + hex(b));
    }
  }

  // ---- types -------------------------------------------------------------

  Result<FuncType> func_type(Reader& r, bool is_async) {
    FuncType f;
    f.is_async = is_async;
    WEFT_CHECK(read_vec(r, f.params, [&] { return labeled_val_type(r); }));
    WEFT_TRY(f.result, result_list(r));
    return f;
  }

  Result<ExternType> extern_type(Reader& r) {
    const size_t at = r.pos();
    WEFT_TRY(uint8_t b, r.read_u8());
    ExternType t;
    switch (b) {
      case 0x00: {
        t.kind = ExternTypeKind::CoreModule;
        const size_t sort_at = r.pos();
        WEFT_TRY(uint8_t s, r.read_u8());
        if (s != 0x11) return r.error_at(sort_at, "malformed extern type: 0x11 expected");
        WEFT_TRY(t.index, r.read_u32());
        return t;
      }
      case 0x01:
      case 0x04:
      case 0x05: {
        t.kind = static_cast<ExternTypeKind>(b);
        WEFT_TRY(t.index, r.read_u32());
        return t;
      }
      case 0x02: {
        t.kind = ExternTypeKind::Value;
        const size_t bound_at = r.pos();
        WEFT_TRY(uint8_t bound, r.read_u8());
        if (bound == 0x00) {
          t.value_bound_eq = true;
          WEFT_TRY(t.index, r.read_u32());
        } else if (bound == 0x01) {
          WEFT_TRY(t.value_type, val_type(r));
        } else {
          return r.error_at(bound_at, "malformed value bound " + hex(bound));
        }
        return t;
      }
      case 0x03: {
        t.kind = ExternTypeKind::Type;
        const size_t bound_at = r.pos();
        WEFT_TRY(uint8_t bound, r.read_u8());
        if (bound == 0x00) {
          t.type_bound_eq = true;
          WEFT_TRY(t.index, r.read_u32());
        } else if (bound != 0x01) {
          return r.error_at(bound_at, "malformed type bound " + hex(bound));
        }
        return t;
      }
      default:
        return r.error_at(at, "malformed extern type " + hex(b));
    }
  }

  Result<ImportDecl> import_decl(Reader& r) {
    ImportDecl d;
    d.offset = static_cast<uint32_t>(r.pos());
    WEFT_TRY(d.name, extern_name(r));
    WEFT_TRY(d.type, extern_type(r));
    return d;
  }

  // `componentdecl` (in_component) or `instancedecl`.
  Result<TypeDecl> type_decl(Reader& r, uint32_t depth, bool in_component) {
    TypeDecl d;
    d.offset = static_cast<uint32_t>(r.pos());
    WEFT_TRY(uint8_t b, r.read_u8());
    switch (b) {
      case 0x00: {
        d.kind = TypeDecl::Kind::CoreType;
        WEFT_TRY(CoreType t, core_type(r, depth));
        d.core_type = std::make_unique<CoreType>(std::move(t));
        return d;
      }
      case 0x01: {
        d.kind = TypeDecl::Kind::Type;
        WEFT_TRY(Type t, type(r, depth));
        d.type = std::make_unique<Type>(std::move(t));
        return d;
      }
      case 0x02: {
        d.kind = TypeDecl::Kind::Alias;
        WEFT_TRY(d.alias, alias(r));
        return d;
      }
      case 0x03: {
        if (!in_component) break;
        d.kind = TypeDecl::Kind::Import;
        WEFT_TRY(d.import_export, import_decl(r));
        return d;
      }
      case 0x04: {
        d.kind = TypeDecl::Kind::Export;
        WEFT_TRY(d.import_export, import_decl(r));
        return d;
      }
      default:
        break;
    }
    return r.error_at(d.offset, std::string("malformed ") +
                                    (in_component ? "component" : "instance") +
                                    " type declaration " + hex(b));
  }

  Result<Type> type(Reader& r, uint32_t depth) {
    Type t;
    t.offset = static_cast<uint32_t>(r.pos());
    WEFT_TRY(uint8_t b, r.read_u8());
    if (is_prim(b)) {
      t.kind = Type::Kind::DefVal;
      t.defval.kind = DefValKind::Prim;
      t.defval.prim = static_cast<PrimValType>(b);
      return t;
    }
    switch (b) {
      case 0x40:
      case 0x43: {
        t.kind = Type::Kind::Func;
        WEFT_TRY(t.func, func_type(r, b == 0x43));
        return t;
      }
      case 0x41:
      case 0x42: {
        const bool in_component = b == 0x41;
        t.kind = in_component ? Type::Kind::Component : Type::Kind::Instance;
        WEFT_CHECK(check_depth(r, depth + 1));
        WEFT_CHECK(read_vec(r, t.decls, [&] { return type_decl(r, depth + 1, in_component); }));
        return t;
      }
      case 0x3F: {
        t.kind = Type::Kind::Resource;
        WEFT_TRY(t.resource.rep, core_val_type(r));
        WEFT_TRY(bool has_dtor, optional(r, "destructor"));
        if (has_dtor) {
          WEFT_TRY(uint32_t dtor, r.read_u32());
          t.resource.dtor = dtor;
        }
        return t;
      }
      default:
        t.kind = Type::Kind::DefVal;
        WEFT_CHECK(def_val_type(r, b, t.defval));
        return t;
    }
  }

  // ---- canonical definitions ---------------------------------------------

  Result<CanonOpt> canon_opt(Reader& r) {
    const size_t at = r.pos();
    WEFT_TRY(uint8_t b, r.read_u8());
    if (b > 0x07) return r.error_at(at, "malformed canonical option " + hex(b));
    CanonOpt o;
    o.kind = static_cast<CanonOpt::Kind>(b);
    switch (o.kind) {
      case CanonOpt::Kind::Memory:
      case CanonOpt::Kind::Realloc:
      case CanonOpt::Kind::PostReturn:
      case CanonOpt::Kind::Callback: {
        WEFT_TRY(o.index, r.read_u32());
        break;
      }
      default:
        break;
    }
    return o;
  }

  Result<void> canon_opts(Reader& r, Canon& c) {
    return read_vec(r, c.opts, [&] { return canon_opt(r); });
  }

  // The 0x00 that stands for the func sort after lift and lower.
  Result<void> func_sort_byte(Reader& r, const char* what) {
    const size_t at = r.pos();
    WEFT_TRY(uint8_t b, r.read_u8());
    if (b != 0x00) return r.error_at(at, std::string("malformed ") + what + ": 0x00 expected");
    return {};
  }

  Result<Canon> canon(Reader& r) {
    Canon c;
    c.offset = static_cast<uint32_t>(r.pos());
    WEFT_TRY(uint8_t op, r.read_u8());
    if (canon_name(op) == nullptr)
      return r.error_at(c.offset, "malformed canonical definition " + hex(op));
    c.kind = static_cast<CanonKind>(op);
    switch (c.kind) {
      case CanonKind::Lift: {
        WEFT_CHECK(func_sort_byte(r, "canon lift"));
        WEFT_TRY(c.func_index, r.read_u32());
        WEFT_CHECK(canon_opts(r, c));
        WEFT_TRY(c.type_index, r.read_u32());
        break;
      }
      case CanonKind::Lower: {
        WEFT_CHECK(func_sort_byte(r, "canon lower"));
        WEFT_TRY(c.func_index, r.read_u32());
        WEFT_CHECK(canon_opts(r, c));
        break;
      }
      case CanonKind::ResourceNew:
      case CanonKind::ResourceDrop:
      case CanonKind::ResourceRep:
      case CanonKind::StreamNew:
      case CanonKind::StreamDropReadable:
      case CanonKind::StreamDropWritable:
      case CanonKind::FutureNew:
      case CanonKind::FutureDropReadable:
      case CanonKind::FutureDropWritable: {
        WEFT_TRY(c.type_index, r.read_u32());
        break;
      }
      case CanonKind::StreamRead:
      case CanonKind::StreamWrite:
      case CanonKind::FutureRead:
      case CanonKind::FutureWrite: {
        WEFT_TRY(c.type_index, r.read_u32());
        WEFT_CHECK(canon_opts(r, c));
        break;
      }
      case CanonKind::StreamCancelRead:
      case CanonKind::StreamCancelWrite:
      case CanonKind::FutureCancelRead:
      case CanonKind::FutureCancelWrite: {
        WEFT_TRY(c.type_index, r.read_u32());
        WEFT_TRY(c.flag, flag(r, "async"));
        break;
      }
      case CanonKind::TaskReturn: {
        WEFT_TRY(c.result, result_list(r));
        WEFT_CHECK(canon_opts(r, c));
        break;
      }
      case CanonKind::ContextGet:
      case CanonKind::ContextSet: {
        WEFT_TRY(c.core_type, core_val_type(r));
        WEFT_TRY(c.index, r.read_u32());
        break;
      }
      case CanonKind::SubtaskCancel: {
        WEFT_TRY(c.flag, flag(r, "async"));
        break;
      }
      case CanonKind::ErrorContextNew:
      case CanonKind::ErrorContextDebugMessage:
        WEFT_CHECK(canon_opts(r, c));
        break;
      case CanonKind::WaitableSetWait:
      case CanonKind::WaitableSetPoll: {
        WEFT_TRY(c.flag, flag(r, "cancellable"));
        WEFT_TRY(c.index, r.read_u32());
        break;
      }
      case CanonKind::ThreadYield:
      case CanonKind::ThreadSuspend:
      case CanonKind::ThreadSuspendThenResume:
      case CanonKind::ThreadYieldThenResume:
      case CanonKind::ThreadSuspendThenPromote:
      case CanonKind::ThreadYieldThenPromote: {
        WEFT_TRY(c.flag, flag(r, "cancellable"));
        break;
      }
      case CanonKind::ThreadNewIndirect: {
        WEFT_TRY(c.type_index, r.read_u32());
        WEFT_TRY(c.index, r.read_u32());
        break;
      }
      case CanonKind::ThreadSpawnRef: {
        WEFT_TRY(c.flag, flag(r, "shared"));
        WEFT_TRY(c.type_index, r.read_u32());
        break;
      }
      case CanonKind::ThreadSpawnIndirect: {
        WEFT_TRY(c.flag, flag(r, "shared"));
        WEFT_TRY(c.type_index, r.read_u32());
        WEFT_TRY(c.index, r.read_u32());
        break;
      }
      case CanonKind::ThreadAvailableParallelism: {
        WEFT_TRY(c.flag, flag(r, "shared"));
        break;
      }
      case CanonKind::TaskCancel:
      case CanonKind::SubtaskDrop:
      case CanonKind::ErrorContextDrop:
      case CanonKind::WaitableSetNew:
      case CanonKind::WaitableSetDrop:
      case CanonKind::WaitableJoin:
      case CanonKind::BackpressureInc:
      case CanonKind::BackpressureDec:
      case CanonKind::ThreadIndex:
      case CanonKind::ThreadResumeLater:
        break;  // no immediates
    }
    return c;
  }

  // ---- start, import, export, value --------------------------------------

  Result<Start> start(Reader& r) {
    Start s;
    s.offset = static_cast<uint32_t>(r.pos());
    WEFT_TRY(s.func, r.read_u32());
    WEFT_CHECK(read_vec(r, s.args, [&] { return r.read_u32(); }));
    WEFT_TRY(s.results, r.read_u32());
    return s;
  }

  Result<Export> export_def(Reader& r) {
    Export e;
    e.offset = static_cast<uint32_t>(r.pos());
    WEFT_TRY(e.name, extern_name(r));
    WEFT_TRY(e.item, sort_idx(r));
    WEFT_TRY(bool has_type, optional(r, "extern type"));
    if (has_type) {
      WEFT_TRY(ExternType t, extern_type(r));
      e.type = t;
    }
    return e;
  }

  Result<Value> value(Reader& r) {
    Value v;
    v.offset = static_cast<uint32_t>(r.pos());
    WEFT_TRY(v.type, val_type(r));
    WEFT_TRY(uint32_t len, r.read_length());
    v.payload = range(r.pos(), r.pos() + len);
    WEFT_CHECK(r.skip(len));
    return v;
  }

  // ---- custom sections ---------------------------------------------------

  Result<void> custom_section(Reader& s, Component& c) {
    CustomSection custom;
    WEFT_TRY(custom.name, s.read_name());
    custom.contents = range(s.pos(), s.end());
    if (custom.name == "component-name") {
      ComponentNames names;
      Reader nr(bytes_, s.pos(), s.end(), kEndOfSection);
      // Best-effort: a malformed name section must not fail the component.
      if (component_names(nr, names).ok()) c.names = std::move(names);
    }
    s.seek(s.end());
    c.customs.push_back(std::move(custom));
    return {};
  }

  Result<void> component_names(Reader& r, ComponentNames& names) {
    while (!r.at_end()) {
      WEFT_TRY(uint8_t id, r.read_u8());
      WEFT_TRY(uint32_t size, r.read_length());
      const size_t end = r.pos() + size;
      Reader sub(bytes_, r.pos(), end, kEndOfSection);
      if (id == 0) {
        WEFT_TRY(std::string name, sub.read_name());
        names.component_name = std::move(name);
      } else if (id == 1) {
        ComponentNames::SortNames sn;
        WEFT_TRY(sn.sort, sort(sub));
        WEFT_CHECK(read_vec(sub, sn.names, [&]() -> Result<std::pair<uint32_t, std::string>> {
          WEFT_TRY(uint32_t index, sub.read_u32());
          WEFT_TRY(std::string name, sub.read_name());
          return std::pair<uint32_t, std::string>{index, std::move(name)};
        }));
        names.sorts.push_back(std::move(sn));
      }  // unknown subsections are skipped
      r.seek(end);
    }
    return {};
  }

  std::span<const uint8_t> bytes_;
};

}  // namespace

}  // namespace weft::component::ast

namespace weft::component {

bool is_component(std::span<const uint8_t> bytes) {
  using namespace ast;
  return bytes.size() >= 8 && std::equal(kMagic, kMagic + 4, bytes.begin()) &&
         std::equal(kVersion, kVersion + 2, bytes.begin() + 4) &&
         std::equal(kLayer, kLayer + 2, bytes.begin() + 6);
}

const char* section_name(uint8_t id) {
  switch (id) {
    case 0:
      return "custom";
    case 1:
      return "core module";
    case 2:
      return "core instance";
    case 3:
      return "core type";
    case 4:
      return "component";
    case 5:
      return "instance";
    case 6:
      return "alias";
    case 7:
      return "type";
    case 8:
      return "canon";
    case 9:
      return "start";
    case 10:
      return "import";
    case 11:
      return "export";
    case 12:
      return "value";
    default:
      return "unknown";
  }
}

Result<ast::ComponentDecl> decode_component(std::span<const uint8_t> bytes) {
  // Byte ranges and offsets in the tree are 32-bit.
  if (bytes.size() > UINT32_MAX) return Error::limit("component larger than 4 GiB");
  ast::ComponentDecl decl;
  decl.bytes.assign(bytes.begin(), bytes.end());
  ast::Decoder decoder(decl.bytes);
  Result<void> result = decoder.component(0, decl.bytes.size(), decl.root, 0);
  if (!result.ok()) return std::move(result).error();
  return decl;
}

}  // namespace weft::component
