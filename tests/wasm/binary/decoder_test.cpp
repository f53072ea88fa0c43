// The binary decoder on hand-written modules: every section, every segment
// encoding, the spec's error texts with their offsets, hostile counts and
// truncations.
#include "wasm/binary/decoder.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace weft::wasm {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes leb(uint32_t v) {
  Bytes out;
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(b);
  } while (v);
  return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes str(const std::string& s) {
  Bytes out = leb(static_cast<uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

Bytes section(uint8_t id, const Bytes& content) {
  return cat({{id}, leb(static_cast<uint32_t>(content.size())), content});
}

const Bytes kHeader = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};

Bytes module(std::initializer_list<Bytes> sections) {
  Bytes out = kHeader;
  for (const Bytes& s : sections) out.insert(out.end(), s.begin(), s.end());
  return out;
}

// A module that uses every section.
Bytes full_module() {
  return module({
      section(1, cat({{0x02}, {0x60, 0x02, 0x7F, 0x7E, 0x01, 0x7D}, {0x60, 0x00, 0x00}})),
      section(2, cat({{0x04},
                      str("env"),
                      str("f"),
                      {0x00, 0x01},
                      str("env"),
                      str("t"),
                      {0x01, 0x6F, 0x00, 0x02},
                      str("env"),
                      str("m"),
                      {0x02, 0x01, 0x01, 0x02},
                      str("env"),
                      str("g"),
                      {0x03, 0x7F, 0x00}})),
      section(3, {0x02, 0x00, 0x01}),
      section(4, {0x01, 0x70, 0x01, 0x01, 0x10}),
      section(5, {0x01, 0x00, 0x03}),
      section(6,
              {0x02, 0x7E, 0x01, 0x42, 0x7F, 0x0B, 0x7F, 0x00, 0x23, 0x00, 0x41, 0x01, 0x6A, 0x0B}),
      section(7, cat({{0x02}, str("run"), {0x00, 0x02}, str("mem"), {0x02, 0x00}})),
      section(8, {0x02}),
      section(9, {0x01, 0x00, 0x41, 0x00, 0x0B, 0x02, 0x01, 0x02}),
      section(12, {0x01}),
      section(10, cat({{0x02},
                       {0x06, 0x01, 0x02, 0x7F, 0x20, 0x00, 0x0B},  // 2 i32 locals
                       {0x02, 0x00, 0x0B}})),
      section(11, {0x01, 0x00, 0x41, 0x10, 0x0B, 0x03, 'a', 'b', 'c'}),
      section(0, cat({str("name"),
                      {0x00},
                      leb(4),
                      str("mod"),
                      {0x01},
                      leb(6),
                      {0x01},
                      {0x02},
                      str("run")})),
  });
}

std::string error_of(const Result<ModuleDecl>& r) {
  return r.ok() ? std::string("<ok>") : r.error().message;
}

TEST(DecoderTest, EmptyModule) {
  auto m = decode_module(kHeader);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_TRUE(m->sections.empty());
  EXPECT_EQ(m->bytes, kHeader);
  EXPECT_EQ(m->defined_func_count(), 0u);
}

TEST(DecoderTest, Header) {
  auto short_input = decode_module(Bytes{0x00, 0x61, 0x73});
  EXPECT_EQ(error_of(short_input), "unexpected end");
  EXPECT_EQ(error_of(decode_module(Bytes{})), "unexpected end");
  auto bad_magic = decode_module(Bytes{0x00, 0x41, 0x53, 0x4D, 0x01, 0x00, 0x00, 0x00});
  EXPECT_EQ(error_of(bad_magic), "magic header not detected");
  EXPECT_EQ(bad_magic.error().offset, 0u);
  EXPECT_EQ(bad_magic.error().kind, ErrorKind::Malformed);
  EXPECT_EQ(error_of(decode_module(Bytes{0x00, 0x61, 0x73, 0x6D, 0x01})), "unexpected end");
  auto bad_version = decode_module(Bytes{0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00});
  EXPECT_EQ(error_of(bad_version), "unknown binary version");
  EXPECT_EQ(bad_version.error().offset, 4u);
}

TEST(DecoderTest, FullModule) {
  auto r = decode_module(full_module());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const ModuleDecl& m = *r;

  ASSERT_EQ(m.types.size(), 2u);
  EXPECT_EQ(m.types[0], (FuncType{{ValType::I32, ValType::I64}, {ValType::F32}}));
  EXPECT_EQ(m.types[1], FuncType{});

  ASSERT_EQ(m.imports.size(), 4u);
  EXPECT_EQ(m.imports[0].module, "env");
  EXPECT_EQ(m.imports[0].name, "f");
  EXPECT_EQ(m.imports[0].kind, ExternKind::Func);
  EXPECT_EQ(m.imports[0].func_type, 1u);
  EXPECT_EQ(m.imports[1].kind, ExternKind::Table);
  EXPECT_EQ(m.imports[1].table.element, ValType::ExternRef);
  EXPECT_EQ(m.imports[1].table.limits.min, 2u);
  EXPECT_FALSE(m.imports[1].table.limits.max.has_value());
  EXPECT_EQ(m.imports[2].kind, ExternKind::Memory);
  EXPECT_EQ(m.imports[2].memory.limits.min, 1u);
  EXPECT_EQ(m.imports[2].memory.limits.max, std::optional<uint64_t>(2));
  EXPECT_EQ(m.imports[3].kind, ExternKind::Global);
  EXPECT_EQ(m.imports[3].global.type, ValType::I32);
  EXPECT_FALSE(m.imports[3].global.is_mutable);

  EXPECT_EQ(m.func_types, (std::vector<uint32_t>{1, 0, 1}));
  EXPECT_EQ(m.funcs_imported, 1u);
  EXPECT_EQ(m.defined_func_count(), 2u);
  ASSERT_EQ(m.tables.size(), 2u);
  EXPECT_EQ(m.tables_imported, 1u);
  EXPECT_EQ(m.tables[1].element, ValType::FuncRef);
  EXPECT_EQ(m.tables[1].limits.max, std::optional<uint64_t>(16));
  ASSERT_EQ(m.memories.size(), 2u);
  EXPECT_EQ(m.memories_imported, 1u);
  EXPECT_EQ(m.memories[1].limits.min, 3u);

  ASSERT_EQ(m.global_types.size(), 3u);
  EXPECT_EQ(m.globals_imported, 1u);
  ASSERT_EQ(m.globals.size(), 2u);
  EXPECT_EQ(m.globals[0].type.type, ValType::I64);
  EXPECT_TRUE(m.globals[0].type.is_mutable);
  // i64.const -1; end
  const ByteRange g0 = m.globals[0].init.code;
  EXPECT_EQ(Bytes(m.bytes.begin() + g0.begin, m.bytes.begin() + g0.end), (Bytes{0x42, 0x7F, 0x0B}));
  // extended-const: global.get 0; i32.const 1; i32.add; end
  EXPECT_EQ(m.globals[1].init.code.size(), 6u);

  ASSERT_EQ(m.exports.size(), 2u);
  EXPECT_EQ(m.exports[0].name, "run");
  EXPECT_EQ(m.exports[0].kind, ExternKind::Func);
  EXPECT_EQ(m.exports[0].index, 2u);
  EXPECT_EQ(m.exports[1].kind, ExternKind::Memory);
  EXPECT_EQ(m.start, std::optional<uint32_t>(2));

  ASSERT_EQ(m.elems.size(), 1u);
  EXPECT_EQ(m.elems[0].mode, SegmentMode::Active);
  EXPECT_EQ(m.elems[0].func_indices, (std::vector<uint32_t>{1, 2}));

  EXPECT_EQ(m.data_count, std::optional<uint32_t>(1));
  ASSERT_EQ(m.datas.size(), 1u);
  const ByteRange init = m.datas[0].init;
  EXPECT_EQ(std::string(m.bytes.begin() + init.begin, m.bytes.begin() + init.end), "abc");
  EXPECT_EQ(m.datas[0].mode, SegmentMode::Active);

  ASSERT_EQ(m.bodies.size(), 2u);
  EXPECT_EQ(m.bodies[0].local_count, 2u);
  ASSERT_EQ(m.bodies[0].locals.size(), 1u);
  EXPECT_EQ(m.bodies[0].locals[0].type, ValType::I32);
  const ByteRange code = m.bodies[0].code;
  EXPECT_EQ(Bytes(m.bytes.begin() + code.begin, m.bytes.begin() + code.end),
            (Bytes{0x20, 0x00, 0x0B}));
  EXPECT_EQ(m.bodies[1].code.size(), 1u);

  EXPECT_EQ(m.names.module_name, "mod");
  ASSERT_EQ(m.names.function_names.count(2), 1u);
  EXPECT_EQ(m.names.function_names.at(2), "run");
  ASSERT_EQ(m.customs.size(), 1u);
  EXPECT_EQ(m.customs[0].name, "name");

  ASSERT_EQ(m.sections.size(), 13u);
  EXPECT_EQ(m.sections[0].id, 1);
  EXPECT_EQ(m.sections[0].name, "type");
  EXPECT_EQ(m.sections[0].offset, 10u);
  EXPECT_EQ(m.sections[9].name, "datacount");
  EXPECT_EQ(m.sections[12].id, 0);
  EXPECT_EQ(m.sections[12].name, "name");
}

TEST(DecoderTest, ValueTypesIncludingV128) {
  auto r = decode_module(module({section(1, {0x01, 0x60, 0x03, 0x7B, 0x70, 0x6F, 0x00})}));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->types[0].params,
            (std::vector<ValType>{ValType::V128, ValType::FuncRef, ValType::ExternRef}));
  auto bad = decode_module(module({section(1, {0x01, 0x60, 0x01, 0x7A, 0x00})}));
  EXPECT_EQ(error_of(bad), "malformed value type");
  EXPECT_EQ(bad.error().offset, 13u);
  EXPECT_EQ(error_of(decode_module(module({section(1, {0x01, 0x61, 0x00, 0x00})}))),
            "malformed function type");
}

TEST(DecoderTest, ElementEncodings) {
  const Bytes table = section(4, {0x01, 0x70, 0x00, 0x01});
  const Bytes funcs = cat({section(1, {0x01, 0x60, 0x00, 0x00}), section(3, {0x01, 0x00})});
  const Bytes code = section(10, {0x01, 0x02, 0x00, 0x0B});
  const Bytes elems = section(
      9, {
             0x08, 0x00, 0x41, 0x00, 0x0B, 0x01, 0x00,        // 0: active table 0, indices
             0x01, 0x00, 0x01, 0x00,                          // 1: passive, elemkind, indices
             0x02, 0x00, 0x41, 0x01, 0x0B, 0x00, 0x01, 0x00,  // 2: active table x, elemkind
             0x03, 0x00, 0x01, 0x00,                          // 3: declarative, indices
             0x04, 0x41, 0x00, 0x0B, 0x01, 0xD2, 0x00, 0x0B,  // 4: active table 0, exprs
             0x05, 0x6F, 0x01, 0xD0, 0x6F, 0x0B,              // 5: passive externref exprs
             0x06, 0x00, 0x41, 0x00, 0x0B, 0x70, 0x02, 0xD2, 0x00, 0x0B, 0xD0, 0x70, 0x0B,  // 6
             0x07, 0x70, 0x01, 0xD2, 0x00, 0x0B,  // 7: declarative exprs
         });
  Bytes bytes = kHeader;
  for (const Bytes* part : {&funcs, &table, &elems, &code}) {
    const Bytes& p = *part;
    // The order must be type, function, table, element, code.
    bytes.insert(bytes.end(), p.begin(), p.end());
  }
  auto r = decode_module(bytes);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const auto& e = r->elems;
  ASSERT_EQ(e.size(), 8u);
  const SegmentMode modes[] = {
      SegmentMode::Active, SegmentMode::Passive, SegmentMode::Active, SegmentMode::Declarative,
      SegmentMode::Active, SegmentMode::Passive, SegmentMode::Active, SegmentMode::Declarative};
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(e[i].mode, modes[i]) << i;
    EXPECT_EQ(e[i].uses_exprs, i >= 4) << i;
    EXPECT_EQ(e[i].size(), i == 6 ? 2u : 1u) << i;
  }
  EXPECT_EQ(e[5].type, ValType::ExternRef);
  EXPECT_EQ(e[6].type, ValType::FuncRef);
  EXPECT_EQ(e[0].offset.code.size(), 3u);
  EXPECT_EQ(e[4].exprs[0].code.size(), 3u);
  EXPECT_EQ(e[6].exprs[1].code.size(), 3u);

  auto bad_kind = decode_module(module({section(9, {0x01, 0x01, 0x01, 0x00})}));
  EXPECT_EQ(error_of(bad_kind), "malformed element kind");
  auto bad_flags = decode_module(module({section(9, {0x01, 0x08})}));
  EXPECT_EQ(error_of(bad_flags), "malformed elements segment kind");
  auto bad_ref = decode_module(module({section(9, {0x01, 0x05, 0x7F, 0x00})}));
  EXPECT_EQ(error_of(bad_ref), "malformed reference type");
}

TEST(DecoderTest, DataEncodings) {
  auto r = decode_module(module({
      section(5, {0x01, 0x00, 0x01}),
      section(12, {0x03}),
      section(11, {0x03, 0x00, 0x41, 0x00, 0x0B, 0x01, 'x', 0x01, 0x02, 'y', 'z', 0x02, 0x00, 0x41,
                   0x08, 0x0B, 0x00}),
  }));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->datas.size(), 3u);
  EXPECT_EQ(r->datas[0].mode, SegmentMode::Active);
  EXPECT_EQ(r->datas[1].mode, SegmentMode::Passive);
  EXPECT_EQ(r->datas[1].init.size(), 2u);
  EXPECT_EQ(r->datas[2].mode, SegmentMode::Active);
  EXPECT_EQ(r->datas[2].init.size(), 0u);

  EXPECT_EQ(error_of(decode_module(module({section(11, {0x01, 0x03})}))),
            "malformed data segment kind");
  EXPECT_EQ(error_of(decode_module(module({section(12, {0x02}), section(11, {0x01, 0x01, 0x00})}))),
            "data count and data section have inconsistent lengths");
  EXPECT_EQ(error_of(decode_module(module({section(12, {0x01})}))),
            "data count and data section have inconsistent lengths");
}

TEST(DecoderTest, SectionOrder) {
  const Bytes type = section(1, {0x00});
  EXPECT_EQ(error_of(decode_module(module({type, type}))), "unexpected content after last section");
  EXPECT_EQ(error_of(decode_module(module({section(3, {0x00}), type}))),
            "unexpected content after last section");
  // datacount goes before code, after element.
  EXPECT_TRUE(
      decode_module(module({section(9, {0x00}), section(12, {0x00}), section(10, {0x00})})).ok());
  EXPECT_FALSE(decode_module(module({section(10, {0x00}), section(12, {0x00})})).ok());
  // Custom sections may appear anywhere, any number of times.
  const Bytes custom = section(0, str("x"));
  EXPECT_TRUE(decode_module(module({custom, type, custom, custom})).ok());

  auto bad_id = decode_module(module({section(14, {})}));
  EXPECT_EQ(error_of(bad_id), "malformed section id");
  EXPECT_EQ(bad_id.error().offset, 8u);
}

// Exception handling: the tag section (13) sits between memory and global;
// tags are imported and exported with kind 4; each tag is attribute 0 and a
// type index.
TEST(DecoderTest, TagSection) {
  const Bytes type = section(1, {0x01, 0x60, 0x00, 0x00});  // [] -> []
  const Bytes tags = section(13, {0x02, 0x00, 0x00, 0x00, 0x00});
  auto ok = decode_module(module({type, section(5, {0x00}), tags, section(6, {0x00})}));
  ASSERT_TRUE(ok.ok()) << error_of(ok);
  EXPECT_EQ(ok->tag_types.size(), 2u);
  EXPECT_EQ(ok->tags_imported, 0u);
  EXPECT_EQ(ok->sections[2].name, "tag");
  EXPECT_EQ(error_of(decode_module(module({type, section(6, {0x00}), tags}))),
            "unexpected content after last section");
  EXPECT_EQ(error_of(decode_module(module({type, tags, section(5, {0x00})}))),
            "unexpected content after last section");
  auto attr = decode_module(module({type, section(13, {0x01, 0x01, 0x00})}));
  EXPECT_EQ(error_of(attr), "malformed tag attribute");
  EXPECT_EQ(attr.error().offset, 17u);
  auto imported =
      decode_module(module({type, section(2, cat({{0x01}, str("m"), str("t"), {0x04, 0x00, 0x00}})),
                            tags, section(7, cat({{0x01}, str("e"), {0x04, 0x02}}))}));
  ASSERT_TRUE(imported.ok()) << error_of(imported);
  EXPECT_EQ(imported->tag_types.size(), 3u);
  EXPECT_EQ(imported->tags_imported, 1u);
  EXPECT_EQ(imported->imports[0].kind, ExternKind::Tag);
  EXPECT_EQ(imported->exports[0].kind, ExternKind::Tag);
  EXPECT_EQ(error_of(decode_module(module({type, section(13, {0x02, 0x00, 0x00})}))),
            "unexpected end of section or function");
}

TEST(DecoderTest, SectionSizes) {
  // Size larger than the module.
  auto too_big = decode_module(cat({kHeader, {0x01, 0x10, 0x00}}));
  EXPECT_EQ(error_of(too_big), "length out of bounds");
  EXPECT_EQ(too_big.error().offset, 9u);
  // Content shorter than declared.
  EXPECT_EQ(error_of(decode_module(cat({kHeader, {0x01, 0x02, 0x00, 0x00}}))),
            "section size mismatch");
  // Content longer than declared: reads on into the next bytes.
  EXPECT_EQ(error_of(decode_module(cat({kHeader, {0x01, 0x01, 0x01, 0x60, 0x00, 0x00}}))),
            "section size mismatch");
  // A count beyond the end of the module.
  EXPECT_EQ(error_of(decode_module(cat({kHeader, {0x04, 0x01, 0x01}}))),
            "unexpected end of section or function");
  // A custom section's name must fit inside it.
  EXPECT_EQ(error_of(decode_module(cat({kHeader, {0x00, 0x00, 0x00, 0x05}}))), "unexpected end");
}

TEST(DecoderTest, HugeCountsAreRejectedWithoutAllocating) {
  const Bytes huge = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
  for (uint8_t id : {1, 2, 3, 4, 5, 6, 7, 9, 10, 11}) {
    auto r = decode_module(module({section(id, huge)}));
    EXPECT_FALSE(r.ok()) << int(id);
  }
  // Params, locals, element indices: all counted against the bytes left.
  EXPECT_FALSE(decode_module(module({section(1, cat({{0x01, 0x60}, huge, {0x00}}))})).ok());
  EXPECT_FALSE(decode_module(module({section(9, cat({{0x01, 0x01, 0x00}, huge}))})).ok());
}

TEST(DecoderTest, FunctionAndCodeMustAgree) {
  const Bytes type = section(1, {0x01, 0x60, 0x00, 0x00});
  EXPECT_EQ(error_of(decode_module(module({type, section(3, {0x01, 0x00})}))),
            "function and code section have inconsistent lengths");
  EXPECT_EQ(error_of(decode_module(module({type, section(10, {0x01, 0x02, 0x00, 0x0B})}))),
            "function and code section have inconsistent lengths");
  EXPECT_EQ(error_of(decode_module(module(
                {type, section(3, {0x02, 0x00, 0x00}), section(10, {0x01, 0x02, 0x00, 0x0B})}))),
            "function and code section have inconsistent lengths");
}

TEST(DecoderTest, Locals) {
  const Bytes type = section(1, {0x01, 0x60, 0x02, 0x7F, 0x7F, 0x00});  // two params
  const Bytes func = section(3, {0x01, 0x00});
  auto body = [&](const Bytes& locals) {
    Bytes b = cat({locals, {0x0B}});
    return module(
        {type, func, section(10, cat({{0x01}, leb(static_cast<uint32_t>(b.size())), b}))});
  };
  // 49998 locals + 2 params = the limit.
  auto ok = decode_module(body(cat({{0x02}, leb(49990), {0x7E}, leb(8), {0x7D}})));
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(ok->bodies[0].local_count, 49998u);
  EXPECT_EQ(ok->bodies[0].locals.size(), 2u);
  auto over = decode_module(body(cat({{0x01}, leb(49999), {0x7E}})));
  EXPECT_EQ(error_of(over), "too many locals");
  auto wrap = decode_module(body(cat({{0x02}, leb(0xFFFFFFFF), {0x7F}, leb(2), {0x7E}})));
  EXPECT_EQ(error_of(wrap), "too many locals");
  EXPECT_EQ(error_of(decode_module(body({0x01, 0x01, 0x40}))), "malformed value type");
}

TEST(DecoderTest, BodyWithoutEnd) {
  const Bytes type = section(1, {0x01, 0x60, 0x00, 0x00});
  const Bytes func = section(3, {0x01, 0x00});
  // At the end of the module: a truncation.
  EXPECT_EQ(
      error_of(decode_module(module({type, func, section(10, {0x01, 0x03, 0x00, 0x41, 0x01})}))),
      "unexpected end of section or function");
  // Followed by a data section starting with 0x0B.
  EXPECT_EQ(error_of(decode_module(module(
                {type, func, section(10, {0x01, 0x03, 0x00, 0x41, 0x01}), section(11, {0x00})}))),
            "section size mismatch");
}

TEST(DecoderTest, ImportAndTypeErrors) {
  auto kind = decode_module(module({section(2, cat({{0x01}, str("a"), str("b"), {0x05, 0x00}}))}));
  EXPECT_EQ(error_of(kind), "malformed import kind");
  EXPECT_EQ(kind.error().offset, 15u);
  EXPECT_EQ(error_of(decode_module(
                module({section(2, cat({{0x01}, str("a"), str("b"), {0x03, 0x7F, 0x02}}))}))),
            "malformed mutability");
  EXPECT_EQ(error_of(decode_module(module({section(6, {0x01, 0x7F, 0xFF, 0x41, 0x00, 0x0B})}))),
            "malformed mutability");
  EXPECT_EQ(error_of(decode_module(module({section(4, {0x01, 0x7F, 0x00, 0x00})}))),
            "malformed reference type");
  EXPECT_EQ(error_of(decode_module(module({section(5, {0x01, 0x02, 0x00})}))), "integer too large");
  EXPECT_EQ(error_of(decode_module(module({section(5, {0x01, 0x81, 0x00, 0x00})}))),
            "integer representation too long");
  EXPECT_EQ(error_of(decode_module(module({section(7, cat({{0x01}, str("e"), {0x05, 0x00}}))}))),
            "malformed export kind");
  Bytes bad_utf8 = {0x01, 0x01, 0xFF, 0x01, 'b', 0x00, 0x00};
  EXPECT_EQ(error_of(decode_module(module({section(2, bad_utf8)}))), "malformed UTF-8 encoding");
  EXPECT_EQ(error_of(decode_module(module({section(0, {0x01, 0xC0})}))),
            "malformed UTF-8 encoding");
}

TEST(DecoderTest, ConstantExpressions) {
  // Every constant instruction with its immediates.
  auto ok = decode_module(
      module({section(6, {
                             0x04, 0x7F, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x0B,
                             0x7D, 0x00, 0x43, 0x0B, 0x0B, 0x0B, 0x0B, 0x0B,  // f32 bytes = 0x0B
                             0x7C, 0x00, 0x44, 0x0B, 0x0B, 0x0B, 0x0B, 0x0B, 0x0B, 0x0B,
                             0x0B, 0x0B, 0x70, 0x00, 0xD0, 0x70, 0x0B,
                         })}));
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(ok->globals[1].init.code.size(), 6u);
  EXPECT_EQ(ok->globals[2].init.code.size(), 10u);

  auto nonconst = decode_module(module({section(6, {0x01, 0x7F, 0x00, 0x41, 0x00, 0x45, 0x0B})}));
  ASSERT_FALSE(nonconst.ok());
  EXPECT_EQ(nonconst.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(nonconst.error().message, "constant expression required");
  EXPECT_EQ(nonconst.error().offset, 15u);

  auto illegal = decode_module(module({section(6, {0x01, 0x7F, 0x00, 0xF3, 0x0B})}));
  EXPECT_EQ(illegal.error().kind, ErrorKind::Malformed);
  EXPECT_EQ(error_of(illegal), "illegal opcode");

  auto no_end = decode_module(module({section(6, {0x01, 0x7F, 0x00, 0x41, 0x00})}));
  EXPECT_EQ(error_of(no_end), "unexpected end of section or function");
}

TEST(DecoderTest, NameSection) {
  const Bytes types = section(1, {0x01, 0x60, 0x00, 0x00});
  // A broken name section does not fail the module and leaves names empty.
  auto broken = decode_module(module({types, section(0, cat({str("name"), {0x01, 0x09, 0x01}}))}));
  ASSERT_TRUE(broken.ok()) << broken.error().to_string();
  EXPECT_TRUE(broken->names.function_names.empty());
  EXPECT_EQ(broken->customs.size(), 1u);
  // Unknown subsections are skipped.
  auto skip = decode_module(module(
      {section(0, cat({str("name"), {0x02, 0x02, 0xAA, 0xBB}, {0x00}, leb(3), str("ab")}))}));
  ASSERT_TRUE(skip.ok());
  EXPECT_EQ(skip->names.module_name, "ab");
}

TEST(DecoderTest, TruncationsNeverCrash) {
  const Bytes full = full_module();
  for (size_t n = 0; n < full.size(); ++n) {
    Bytes prefix(full.begin(), full.begin() + n);
    auto r = decode_module(prefix);
    // Prefixes ending exactly at a section boundary are complete modules
    // only if no section is left wanting (the code section is).
    if (r.ok()) {
      EXPECT_GE(n, 8u);
    } else {
      EXPECT_LE(r.error().offset, n) << n;
    }
  }
}

TEST(DecoderTest, MutationsNeverCrash) {
  const Bytes full = full_module();
  std::mt19937 rng(1234);
  for (size_t i = 0; i < full.size(); ++i) {
    for (uint8_t v : {0x00, 0x01, 0x0B, 0x41, 0x7F, 0x80, 0xFF}) {
      Bytes b = full;
      b[i] = v;
      (void)decode_module(b);
    }
  }
  for (int round = 0; round < 2000; ++round) {
    Bytes b = full;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    auto r = decode_module(b);
    if (!r.ok()) {
      EXPECT_LE(r.error().offset, b.size());
    }
  }
}

// A module built by wabt at test time, when wat2wasm is installed.
TEST(DecoderTest, Wat2WasmModule) {
  if (std::system("wat2wasm --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no wat2wasm";
  const std::string dir = WEFT_BINARY_DIR;
  const std::string wat = dir + "/decoder_test_module.wat";
  const std::string wasm = dir + "/decoder_test_module.wasm";
  {
    std::ofstream out(wat);
    out << R"((module $demo
  (type $t (func (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (import "env" "mem" (memory 1))
  (global $g (mut i32) (i32.const 7))
  (table $tab 2 funcref)
  (elem (table $tab) (i32.const 0) func $double $log)
  (func $double (type $t) (local i64 f64) (i32.mul (local.get 0) (i32.const 2)))
  (func $copy (memory.copy (i32.const 0) (i32.const 1) (i32.const 2)))
  (data "hello")
  (export "double" (func $double))
  (start $copy))
)";
  }
  ASSERT_EQ(std::system(("wat2wasm --debug-names " + wat + " -o " + wasm).c_str()), 0);
  std::ifstream in(wasm, std::ios::binary);
  Bytes bytes((std::istreambuf_iterator<char>(in)), {});
  auto r = decode_module(bytes);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->funcs_imported, 1u);
  EXPECT_EQ(r->defined_func_count(), 2u);
  EXPECT_EQ(r->memories_imported, 1u);
  EXPECT_EQ(r->tables.size(), 1u);
  EXPECT_EQ(r->globals.size(), 1u);
  EXPECT_EQ(r->elems.size(), 1u);
  EXPECT_EQ(r->elems[0].size(), 2u);
  EXPECT_EQ(r->datas.size(), 1u);
  EXPECT_EQ(r->datas[0].mode, SegmentMode::Passive);
  EXPECT_EQ(r->start, std::optional<uint32_t>(2));
  EXPECT_EQ(r->bodies[0].local_count, 2u);
  EXPECT_EQ(r->names.module_name, "demo");
  ASSERT_EQ(r->names.function_names.count(1), 1u);
  EXPECT_EQ(r->names.function_names.at(1), "double");
  for (size_t n = 0; n < bytes.size(); ++n) {
    (void)decode_module(std::span<const uint8_t>(bytes.data(), n));
  }
}

}  // namespace
}  // namespace weft::wasm
