// The component binary decoder on hand-built byte sequences: each section's
// forms and each malformed case, with the byte offset the error names.
#include "component/binary/decoder.h"

#include <gtest/gtest.h>

#include <string>

#include "component/binary/bytes.h"

namespace weft::component {
namespace {

using namespace ast;
using namespace test;

ComponentDecl decode_ok(const Bytes& bytes) {
  auto result = decode_component(bytes);
  EXPECT_TRUE(result.ok()) << result.error().to_string();
  if (!result.ok()) return {};
  return std::move(result).value();
}

// Expects a Malformed error at `offset` whose message contains `text`.
void expect_malformed(const Bytes& bytes, uint64_t offset, const std::string& text) {
  auto result = decode_component(bytes);
  ASSERT_FALSE(result.ok()) << "decoded, expected: " << text;
  EXPECT_EQ(result.error().kind, ErrorKind::Malformed);
  EXPECT_EQ(result.error().offset, offset) << result.error().to_string();
  EXPECT_NE(result.error().message.find(text), std::string::npos) << result.error().to_string();
}

// The offset of the first byte of section contents when the section is the
// first one after the preamble and its size fits one LEB byte.
constexpr uint64_t kFirst = 10;

// ---- preamble ------------------------------------------------------------

TEST(ComponentPreamble, Empty) {
  auto decl = decode_ok(kPreamble);
  EXPECT_TRUE(decl.root.order.empty());
  EXPECT_EQ(decl.root.range.begin, 0u);
  EXPECT_EQ(decl.root.range.end, 8u);
}

TEST(ComponentPreamble, Errors) {
  expect_malformed({}, 0, "unexpected end");
  expect_malformed({0x00, 0x61}, 2, "unexpected end");
  expect_malformed({0x00, 0x61, 0x73, 0x6D, 0x0D}, 5, "unexpected end");
  expect_malformed({0x00, 0x41, 0x53, 0x4D, 0x0D, 0x00, 0x01, 0x00}, 0, "magic header");
  expect_malformed({0x01}, 0, "magic header");
  expect_malformed(kCoreModule, 4, "core module");
  expect_malformed({0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x00, 0x00}, 6, "layer");
  expect_malformed({0x00, 0x61, 0x73, 0x6D, 0x0C, 0x00, 0x01, 0x00}, 4, "version");
  expect_malformed({0x00, 0x61, 0x73, 0x6D, 0x0E, 0x00, 0x01, 0x00}, 4, "version");
  expect_malformed({0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x02, 0x00}, 6, "layer");
  expect_malformed({0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x01}, 6, "layer");
}

TEST(ComponentPreamble, IsComponent) {
  EXPECT_TRUE(is_component(kPreamble));
  EXPECT_TRUE(is_component(component({section(7, {0x00})})));
  EXPECT_FALSE(is_component(kCoreModule));
  EXPECT_FALSE(is_component(Bytes(kPreamble.begin(), kPreamble.end() - 1)));
  EXPECT_FALSE(is_component({}));
}

// ---- sections ------------------------------------------------------------

TEST(ComponentSections, Errors) {
  expect_malformed(component({{0x0D, 0x00}}), 8, "malformed section id");
  expect_malformed(component({{0xFF}}), 8, "malformed section id");
  expect_malformed(component({{0x07}}), 9, "unexpected end");
  expect_malformed(component({{0x07, 0x03, 0x00}}), 9, "length out of bounds");
  expect_malformed(component({{0x07, 0x81, 0x80, 0x80, 0x80, 0x70, 0x00}}), 13,
                   "integer too large");
  // Declared 3 bytes, the one type takes 1 after the count.
  expect_malformed(component({{0x07, 0x03, 0x01, 0x73, 0x73}}), kFirst, "section size mismatch");
  // A count larger than the bytes left.
  expect_malformed(component({section(7, {0xBF, 0x84, 0x3D, 0x73})}), kFirst + 3,
                   "unexpected end of section");
  expect_malformed(component({section(7, {0x02, 0x73})}), kFirst + 1, "unexpected end of section");
}

TEST(ComponentSections, OverlongLebIsFine) {
  auto decl = decode_ok(component({{0x07, 0x81, 0x80, 0x80, 0x80, 0x00, 0x00}}));
  ASSERT_EQ(decl.root.order.size(), 1u);
  EXPECT_EQ(decl.root.order[0].contents.begin, 14u);
}

TEST(ComponentSections, OrderRecordsRuns) {
  auto decl = decode_ok(component({
      section(7, {0x02, 0x73, 0x7F}),              // 2 types
      section(0, str("between")),                  // custom
      section(6, {0x01, 0x03, 0x02, 0x00, 0x00}),  // 1 alias
      section(7, {0x01, 0x70, 0x01}),              // 1 type
      section(1, kCoreModule),                     // core module
  }));
  const auto& order = decl.root.order;
  ASSERT_EQ(order.size(), 5u);
  EXPECT_EQ(order[0].id, 7);
  EXPECT_EQ(order[0].offset, 8u);
  EXPECT_EQ(order[0].first, 0u);
  EXPECT_EQ(order[0].count, 2u);
  EXPECT_EQ(order[1].id, 0);
  EXPECT_EQ(order[1].count, 1u);
  EXPECT_EQ(order[2].id, 6);
  EXPECT_EQ(order[3].first, 2u);
  EXPECT_EQ(order[3].count, 1u);
  EXPECT_EQ(order[4].id, 1);
  ASSERT_EQ(decl.root.types.size(), 3u);
  EXPECT_EQ(decl.root.types[2].defval.kind, DefValKind::List);
  EXPECT_EQ(*decl.root.types[2].defval.element, ValType::at(1));
  ASSERT_EQ(decl.root.core_modules.size(), 1u);
  const ByteRange m = decl.root.core_modules[0];
  EXPECT_EQ(m.size(), 8u);
  EXPECT_EQ(decl.bytes[m.begin + 4], 0x01);
  EXPECT_EQ(m.end, decl.bytes.size());
}

// ---- custom sections and names -------------------------------------------

TEST(ComponentCustom, NameAndContents) {
  auto decl = decode_ok(component({section(0, cat({str("hi"), {0xAA, 0xBB}}))}));
  ASSERT_EQ(decl.root.customs.size(), 1u);
  EXPECT_EQ(decl.root.customs[0].name, "hi");
  EXPECT_EQ(decl.root.customs[0].contents.begin, kFirst + 3);
  EXPECT_EQ(decl.root.customs[0].contents.size(), 2u);
  EXPECT_FALSE(decl.root.names.has_value());
}

TEST(ComponentCustom, Errors) {
  expect_malformed(component({{0x00, 0x03, 0x05, 0x61, 0x62}}), kFirst, "length out of bounds");
  expect_malformed(component({{0x00, 0x03, 0x02, 0xFF, 0xFE}}), kFirst, "UTF-8");
  expect_malformed(component({{0x00, 0x00}}), kFirst, "unexpected end");
}

TEST(ComponentCustom, ComponentNames) {
  Bytes names = cat({str("component-name"), section(0, str("top")),
                     section(1, cat({{0x01}, {0x02}, leb(0), str("f"), leb(3), str("g")})),
                     section(1, cat({{0x00, 0x11}, {0x01}, leb(0), str("m")})),
                     section(9, {0x01, 0x02, 0x03})});  // unknown subsection: skipped
  auto decl = decode_ok(component({section(0, names)}));
  ASSERT_TRUE(decl.root.names.has_value());
  EXPECT_EQ(decl.root.names->component_name, "top");
  ASSERT_EQ(decl.root.names->sorts.size(), 2u);
  EXPECT_EQ(decl.root.names->sorts[0].sort.kind, SortKind::Func);
  ASSERT_EQ(decl.root.names->sorts[0].names.size(), 2u);
  EXPECT_EQ(decl.root.names->sorts[0].names[1].first, 3u);
  EXPECT_EQ(decl.root.names->sorts[0].names[1].second, "g");
  EXPECT_EQ(decl.root.names->sorts[1].sort.kind, SortKind::Core);
  EXPECT_EQ(decl.root.names->sorts[1].sort.core, CoreSort::Module);
}

TEST(ComponentCustom, BrokenComponentNamesAreIgnored) {
  for (const Bytes& garbage :
       {Bytes{0xFF, 0xFE, 0x01}, Bytes{0x01, 0x05, 0x01}, Bytes{0x00, 0x02, 0x01, 0xFF},
        Bytes{0x01, 0x03, 0x09, 0x00, 0x00}}) {
    auto decl = decode_ok(component({section(0, cat({str("component-name"), garbage}))}));
    EXPECT_FALSE(decl.root.names.has_value());
    EXPECT_EQ(decl.root.customs.size(), 1u);
  }
}

// ---- core instances ------------------------------------------------------

TEST(ComponentCoreInstance, Forms) {
  auto decl = decode_ok(component({section(2, cat({{0x02},
                                                   {0x00, 0x01, 0x01},
                                                   str("i"),
                                                   {0x12, 0x00},  // instantiate 1 (with "i" 0)
                                                   {0x01, 0x02},
                                                   str("f"),
                                                   {0x00, 0x05},
                                                   str("t"),
                                                   {0x10, 0x07}}))}));
  const auto& is = decl.root.core_instances;
  ASSERT_EQ(is.size(), 2u);
  EXPECT_EQ(is[0].kind, CoreInstance::Kind::Instantiate);
  EXPECT_EQ(is[0].offset, kFirst + 1);
  EXPECT_EQ(is[0].module, 1u);
  ASSERT_EQ(is[0].args.size(), 1u);
  EXPECT_EQ(is[0].args[0].name, "i");
  EXPECT_EQ(is[1].kind, CoreInstance::Kind::FromExports);
  ASSERT_EQ(is[1].exports.size(), 2u);
  EXPECT_EQ(is[1].exports[0].item.sort, CoreSort::Func);
  EXPECT_EQ(is[1].exports[0].item.index, 5u);
  EXPECT_EQ(is[1].exports[1].item.sort, CoreSort::Type);
}

TEST(ComponentCoreInstance, Errors) {
  expect_malformed(component({section(2, {0x01, 0x02, 0x00, 0x00})}), kFirst + 1,
                   "core instance expression");
  expect_malformed(component({section(2, cat({{0x01, 0x00, 0x00, 0x01}, str("i"), {0x00, 0x00}}))}),
                   kFirst + 6, "instantiation argument sort");
  expect_malformed(component({section(2, cat({{0x01, 0x01, 0x01}, str("f"), {0x05, 0x00}}))}),
                   kFirst + 5, "core sort");
}

// ---- core types ----------------------------------------------------------

TEST(ComponentCoreType, FuncAndModule) {
  Bytes module_type =
      cat({{0x50, 0x05},
           {0x01, 0x60, 0x01, 0x7F, 0x01, 0x7E},  // type (func (param i32) (result i64))
           {0x00},
           str("env"),
           str("f"),
           {0x00, 0x00},  // import func type 0
           {0x00},
           str("env"),
           str("t"),
           {0x01, 0x70, 0x01, 0x01, 0x02},  // table
           {0x02, 0x10, 0x01, 0x01, 0x00},  // alias outer 1 0 (type)
           {0x03},
           str("g"),
           {0x03, 0x7C, 0x01}});  // export global mut f64
  auto decl = decode_ok(component({section(3, cat({{0x02, 0x60, 0x00, 0x00}, module_type}))}));
  const auto& ts = decl.root.core_types;
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_EQ(ts[0].kind, CoreType::Kind::Func);
  EXPECT_EQ(ts[1].kind, CoreType::Kind::Module);
  const auto& ds = ts[1].decls;
  ASSERT_EQ(ds.size(), 5u);
  EXPECT_EQ(ds[0].kind, CoreModuleDecl::Kind::Type);
  ASSERT_TRUE(ds[0].type);
  EXPECT_EQ(ds[0].type->func.params, std::vector<weft::ValType>{weft::ValType::I32});
  EXPECT_EQ(ds[0].type->func.results, std::vector<weft::ValType>{weft::ValType::I64});
  EXPECT_EQ(ds[1].kind, CoreModuleDecl::Kind::Import);
  EXPECT_EQ(ds[1].module, "env");
  EXPECT_EQ(ds[1].extern_type.kind, CoreExternKind::Func);
  EXPECT_EQ(ds[2].extern_type.kind, CoreExternKind::Table);
  EXPECT_EQ(ds[2].extern_type.table.limits.min, 1u);
  EXPECT_EQ(ds[2].extern_type.table.limits.max, 2u);
  EXPECT_EQ(ds[3].kind, CoreModuleDecl::Kind::Alias);
  EXPECT_EQ(ds[3].outer_count, 1u);
  EXPECT_EQ(ds[4].kind, CoreModuleDecl::Kind::Export);
  EXPECT_EQ(ds[4].extern_type.global.type, weft::ValType::F64);
  EXPECT_TRUE(ds[4].extern_type.global.is_mutable);
}

TEST(ComponentCoreType, MemoryAndTag) {
  auto decl = decode_ok(component({section(3, cat({{0x01, 0x50, 0x02},
                                                   {0x00},
                                                   str("m"),
                                                   str("mem"),
                                                   {0x02, 0x00, 0x01},
                                                   {0x03},
                                                   str("e"),
                                                   {0x04, 0x00, 0x03}}))}));
  const auto& ds = decl.root.core_types[0].decls;
  EXPECT_EQ(ds[0].extern_type.kind, CoreExternKind::Memory);
  EXPECT_FALSE(ds[0].extern_type.memory.limits.max.has_value());
  EXPECT_EQ(ds[1].extern_type.kind, CoreExternKind::Tag);
  EXPECT_EQ(ds[1].extern_type.type_index, 3u);
}

TEST(ComponentCoreType, Errors) {
  expect_malformed(component({section(3, {0x01, 0x61})}), kFirst + 1, "malformed core type");
  expect_malformed(component({section(3, {0x01, 0x60, 0x01, 0x40, 0x00})}), kFirst + 3,
                   "malformed value type");
  expect_malformed(component({section(3, {0x01, 0x50, 0x01, 0x04, 0x60, 0x00, 0x00})}), kFirst + 3,
                   "module type declaration");
  expect_malformed(component({section(3, {0x01, 0x50, 0x01, 0x02, 0x00, 0x01, 0x01, 0x00})}),
                   kFirst + 4, "core alias sort");
  expect_malformed(component({section(3, {0x01, 0x50, 0x01, 0x02, 0x10, 0x00, 0x01, 0x00})}),
                   kFirst + 5, "core alias target");
  expect_malformed(
      component({section(3, cat({{0x01, 0x50, 0x01, 0x00}, str("a"), str("b"), {0x05, 0x00}}))}),
      kFirst + 8, "import kind");
  expect_malformed(
      component(
          {section(3, cat({{0x01, 0x50, 0x01, 0x00}, str("a"), str("b"), {0x02, 0x04, 0x01}}))}),
      kFirst + 9, "limits");
  expect_malformed(
      component({section(3, cat({{0x01, 0x50, 0x01, 0x03}, str("g"), {0x03, 0x7F, 0x02}}))}),
      kFirst + 8, "mutability");
}

// ---- WebAssembly 3.0 (GC) core types ---------------------------------------

TEST(ComponentCoreType, NonFinalSubNeedsTheZeroPrefix) {
  // 0x00 0x50: a non-final sub standing alone (a bare 0x50 is a module type).
  auto decl = decode_ok(component({section(3, {0x01, 0x00, 0x50, 0x00, 0x60, 0x00, 0x00})}));
  const auto& t = decl.root.core_types.at(0);
  EXPECT_EQ(t.kind, CoreType::Kind::Rec);
  EXPECT_FALSE(t.is_rec_group);
  ASSERT_EQ(t.subtypes.size(), 1u);
  EXPECT_FALSE(t.subtypes[0].is_final);
  EXPECT_TRUE(t.subtypes[0].supertypes.empty());
  EXPECT_EQ(t.subtypes[0].comp.kind, CoreCompType::Kind::Func);
  EXPECT_EQ(t.subtypes[0].offset, kFirst + 1);
}

TEST(ComponentCoreType, RecGroupOfStructAndArray) {
  auto decl = decode_ok(component({section(3, {0x01, 0x4E, 0x02,
                                               // sub (struct (field i8) (field (mut (ref null 1))))
                                               0x50, 0x00, 0x5F, 0x02, 0x78, 0x00, 0x63, 0x01, 0x01,
                                               // sub final 0 (array (mut i32))
                                               0x4F, 0x01, 0x00, 0x5E, 0x7F, 0x01})}));
  const auto& t = decl.root.core_types.at(0);
  EXPECT_EQ(t.kind, CoreType::Kind::Rec);
  EXPECT_TRUE(t.is_rec_group);
  ASSERT_EQ(t.subtypes.size(), 2u);
  const CoreSubType& s0 = t.subtypes[0];
  EXPECT_FALSE(s0.is_final);
  EXPECT_EQ(s0.comp.kind, CoreCompType::Kind::Struct);
  ASSERT_EQ(s0.comp.fields.size(), 2u);
  EXPECT_EQ(s0.comp.fields[0].packed, PackedType::I8);
  EXPECT_FALSE(s0.comp.fields[0].is_mutable);
  EXPECT_EQ(s0.comp.fields[1].packed, PackedType::None);
  EXPECT_TRUE(s0.comp.fields[1].is_mutable);
  EXPECT_TRUE(s0.comp.fields[1].type.is_ref);
  EXPECT_TRUE(s0.comp.fields[1].type.nullable);
  EXPECT_TRUE(s0.comp.fields[1].type.heap_is_index);
  EXPECT_EQ(s0.comp.fields[1].type.index, 1u);
  const CoreSubType& s1 = t.subtypes[1];
  EXPECT_TRUE(s1.is_final);
  EXPECT_EQ(s1.supertypes, std::vector<uint32_t>{0});
  EXPECT_EQ(s1.comp.kind, CoreCompType::Kind::Array);
  ASSERT_EQ(s1.comp.fields.size(), 1u);
  EXPECT_EQ(s1.comp.fields[0].type.num, weft::ValType::I32);
  EXPECT_EQ(s1.offset, kFirst + 12);
}

TEST(ComponentCoreType, FunctionTypesStayPlainWhenTheyCan) {
  // (ref null func) written out is funcref: still a plain function type.
  auto plain = decode_ok(component({section(3, {0x01, 0x60, 0x02, 0x63, 0x70, 0x6F, 0x00})}));
  EXPECT_EQ(plain.root.core_types.at(0).kind, CoreType::Kind::Func);
  EXPECT_EQ(plain.root.core_types.at(0).func.params,
            (std::vector<weft::ValType>{weft::ValType::FuncRef, weft::ValType::ExternRef}));
  // (ref func), anyref and (ref null 64) are not MVP types.
  for (const Bytes& param : {Bytes{0x64, 0x70}, Bytes{0x6E}, Bytes{0x63, 0xC0, 0x00}}) {
    auto gc = decode_ok(component({section(3, cat({{0x01, 0x60, 0x01}, param, {0x00}}))}));
    const auto& t = gc.root.core_types.at(0);
    ASSERT_EQ(t.kind, CoreType::Kind::Rec);
    ASSERT_EQ(t.subtypes.at(0).comp.params.size(), 1u);
    EXPECT_TRUE(t.subtypes[0].comp.params[0].is_ref);
  }
  auto idx = decode_ok(component({section(3, {0x01, 0x60, 0x01, 0x63, 0xC0, 0x00, 0x00})}));
  EXPECT_EQ(idx.root.core_types.at(0).subtypes.at(0).comp.params.at(0).index, 64u);
  auto any = decode_ok(component({section(3, {0x01, 0x60, 0x00, 0x01, 0x6E})}));
  EXPECT_EQ(any.root.core_types.at(0).subtypes.at(0).comp.results.at(0).heap, AbsHeapType::Any);
}

TEST(ComponentCoreType, ModuleTypesHoldGcTypes) {
  Bytes module_type = cat({{0x50, 0x03},
                           {0x01, 0x5F, 0x00},  // type (struct)
                           {0x00},
                           str("m"),
                           str("t"),
                           {0x01, 0x63, 0x00, 0x00, 0x01},  // table 1 (ref null 0)
                           {0x03},
                           str("g"),
                           {0x03, 0x7F, 0x00}});  // export global i32
  auto decl = decode_ok(component({section(3, cat({{0x01}, module_type}))}));
  const auto& ds = decl.root.core_types.at(0).decls;
  ASSERT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds[0].type->kind, CoreType::Kind::Rec);
  ASSERT_TRUE(ds[1].extern_type.gc_type.has_value());
  EXPECT_EQ(ds[1].extern_type.gc_type->index, 0u);
  EXPECT_FALSE(ds[2].extern_type.gc_type.has_value());
}

TEST(ComponentCoreType, MalformedGcTypes) {
  auto one = [](const Bytes& type) { return component({section(3, cat({{0x01}, type}))}); };
  // 0x00 escapes only 0x50.
  expect_malformed(one({0x00, 0x60, 0x00, 0x00}), kFirst + 2, "0x00 must be followed by 0x50");
  // Inside a rec group there is no 0x00 escape, and no module type.
  expect_malformed(one({0x4E, 0x01, 0x00, 0x50, 0x00, 0x60, 0x00, 0x00}), kFirst + 3,
                   "malformed composite type");
  expect_malformed(one({0x4E, 0x01, 0x50, 0x00, 0x50, 0x00}), kFirst + 5,
                   "malformed composite type");
  expect_malformed(one({0x4F, 0x00, 0x61}), kFirst + 3, "malformed composite type");
  // Storage types: a value type or i8/i16; then mutability 0 or 1.
  expect_malformed(one({0x5F, 0x01, 0x79, 0x00}), kFirst + 3, "malformed value type");
  expect_malformed(one({0x5F, 0x01, 0x7F, 0x02}), kFirst + 4, "malformed mutability");
  expect_malformed(one({0x5E, 0x77}), kFirst + 3, "unexpected end");
  // Heap types: an abstract one's byte, or a non-negative index.
  expect_malformed(one({0x60, 0x01, 0x63, 0x40, 0x00}), kFirst + 4, "malformed heap type");
  expect_malformed(one({0x60, 0x01, 0x64, 0x7F, 0x00}), kFirst + 4, "malformed heap type");
  expect_malformed(one({0x60, 0x01, 0x64, 0x80, 0x7F, 0x00}), kFirst + 4, "malformed heap type");
  expect_malformed(one({0x60, 0x01, 0x64, 0x80, 0x80, 0x80, 0x80, 0x20, 0x00}), kFirst + 8,
                   "integer too large");
  // Counts are checked against the bytes left before anything is reserved.
  for (const Bytes& huge :
       {Bytes{0x4E, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, Bytes{0x50, 0x50, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F},
        Bytes{0x5F, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, Bytes{0x4F, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}}) {
    auto result = decode_component(one(huge));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::Malformed) << result.error().to_string();
    EXPECT_NE(result.error().offset, Error::kNoOffset);
  }
}

TEST(ComponentCoreType, NestedModuleTypesAreSyntax) {
  // A module type inside a module type is the validator's to reject.
  auto decl = decode_ok(component({section(3, {0x01, 0x50, 0x01, 0x01, 0x50, 0x00})}));
  ASSERT_TRUE(decl.root.core_types[0].decls[0].type);
  EXPECT_EQ(decl.root.core_types[0].decls[0].type->kind, CoreType::Kind::Module);
}

// ---- nested components and nesting limits ---------------------------------

TEST(ComponentNested, Ranges) {
  Bytes inner = component({section(7, {0x01, 0x73})});
  auto decl = decode_ok(component({section(7, {0x00}), section(4, inner)}));
  ASSERT_EQ(decl.root.components.size(), 1u);
  const Component& c = *decl.root.components[0];
  EXPECT_EQ(c.range.begin, 13u);
  EXPECT_EQ(c.range.end, decl.bytes.size());
  ASSERT_EQ(c.order.size(), 1u);
  EXPECT_EQ(c.order[0].offset, 21u);
  ASSERT_EQ(c.types.size(), 1u);
  EXPECT_EQ(c.types[0].offset, 24u);
}

TEST(ComponentNested, InnerErrorsNameAbsoluteOffsets) {
  expect_malformed(component({section(4, kCoreModule)}), 14, "core module");
  expect_malformed(component({section(4, component({section(7, {0x01, 0x62})}))}), 21,
                   "malformed type");
  // The inner component's sections are bounded by the outer section.
  expect_malformed(component({section(4, cat({kPreamble, {0x07, 0x05, 0x00}})), Bytes{0x00, 0x00}}),
                   19, "length out of bounds");
}

Bytes nested_components(int levels) {
  Bytes c = kPreamble;
  for (int i = 0; i < levels; ++i) c = component({section(4, c)});
  return c;
}

TEST(ComponentNested, DepthLimit) {
  decode_ok(nested_components(kMaxNesting));
  auto result = decode_component(nested_components(kMaxNesting + 1));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("nesting too deep"), std::string::npos);
}

// `levels` nested declarator lists: one type, `open` repeated, then `innermost`.
Bytes nested(uint8_t id, const Bytes& open, const Bytes& innermost, int levels) {
  Bytes t = {0x01};
  for (int i = 1; i < levels; ++i) t.insert(t.end(), open.begin(), open.end());
  t.insert(t.end(), innermost.begin(), innermost.end());
  return component({section(id, t)});
}

// (type (instance (type (instance ... )))) `levels` deep.
Bytes nested_instance_types(int levels) {
  return nested(7, {0x42, 0x01, 0x01}, {0x42, 0x00}, levels);
}

// (core type (module (type (module ...)))) `levels` deep.
Bytes nested_module_types(int levels) {
  return nested(3, {0x50, 0x01, 0x01}, {0x50, 0x00}, levels);
}

TEST(ComponentNested, TypeDepthLimit) {
  decode_ok(nested_instance_types(kMaxNesting));
  decode_ok(nested_module_types(kMaxNesting));
  for (const Bytes& deep :
       {nested_instance_types(kMaxNesting + 1), nested_module_types(kMaxNesting + 1),
        nested_instance_types(100000), nested_module_types(100000)}) {
    auto result = decode_component(deep);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("nesting too deep"), std::string::npos);
  }
}

// ---- instances and aliases -----------------------------------------------

TEST(ComponentInstance, Forms) {
  auto decl = decode_ok(component({section(5, cat({{0x02, 0x00, 0x03, 0x02},
                                                   str("x"),
                                                   {0x01, 0x00},
                                                   str("c"),
                                                   {0x00, 0x11, 0x04},
                                                   {0x01, 0x01, 0x02},
                                                   str("g"),
                                                   {0x01, 0x00},
                                                   str("my:dep/i"),
                                                   {0x05, 0x09}}))}));
  const auto& is = decl.root.instances;
  ASSERT_EQ(is.size(), 2u);
  EXPECT_EQ(is[0].component, 3u);
  ASSERT_EQ(is[0].args.size(), 2u);
  EXPECT_EQ(is[0].args[0].item.sort.kind, SortKind::Func);
  EXPECT_EQ(is[0].args[1].item.sort.kind, SortKind::Core);
  EXPECT_EQ(is[0].args[1].item.sort.core, CoreSort::Module);
  EXPECT_EQ(is[0].args[1].item.index, 4u);
  ASSERT_EQ(is[1].exports.size(), 1u);
  EXPECT_EQ(is[1].exports[0].name.form, 0x02);
  ASSERT_EQ(is[1].exports[0].name.attributes.size(), 1u);
  EXPECT_EQ(is[1].exports[0].name.attributes[0].kind, NameAttribute::Kind::Implements);
  EXPECT_EQ(is[1].exports[0].name.attributes[0].value, "my:dep/i");
  EXPECT_EQ(is[1].exports[0].item.sort.kind, SortKind::Instance);
}

TEST(ComponentInstance, Errors) {
  expect_malformed(component({section(5, {0x01, 0x02, 0x00, 0x00})}), kFirst + 1,
                   "instance expression");
  expect_malformed(component({section(5, cat({{0x01, 0x00, 0x00, 0x01}, str("x"), {0x06, 0x00}}))}),
                   kFirst + 6, "malformed sort");
}

TEST(ComponentAlias, Forms) {
  auto decl =
      decode_ok(component({section(6, cat({{0x05},
                                           {0x01, 0x00, 0x02},
                                           str("g"),  // func export of instance 2
                                           {0x00, 0x02, 0x01, 0x00},
                                           str("mem"),                      // core memory export
                                           {0x00, 0x11, 0x02, 0x01, 0x00},  // outer core module
                                           {0x00, 0x10, 0x02, 0x00, 0x03},  // outer core type
                                           {0x04, 0x02, 0x02, 0x01}}))}));  // outer component
  const auto& as = decl.root.aliases;
  ASSERT_EQ(as.size(), 5u);
  EXPECT_EQ(as[0].target, Alias::Target::Export);
  EXPECT_EQ(as[0].instance, 2u);
  EXPECT_EQ(as[0].name, "g");
  EXPECT_EQ(as[1].target, Alias::Target::CoreExport);
  EXPECT_EQ(as[1].sort.core, CoreSort::Memory);
  EXPECT_EQ(as[2].target, Alias::Target::Outer);
  EXPECT_EQ(as[2].sort.core, CoreSort::Module);
  EXPECT_EQ(as[3].outer_index, 3u);
  EXPECT_EQ(as[4].sort.kind, SortKind::Component);
  EXPECT_EQ(as[4].outer_count, 2u);
}

TEST(ComponentAlias, Errors) {
  expect_malformed(component({section(6, {0x01, 0x03, 0x03, 0x00, 0x00})}), kFirst + 2,
                   "alias target");
  expect_malformed(component({section(6, {0x01, 0x06, 0x02, 0x00, 0x00})}), kFirst + 1,
                   "malformed sort");
  expect_malformed(component({section(6, {0x01, 0x00, 0x13, 0x02, 0x00, 0x00})}), kFirst + 2,
                   "core sort");
  // Outer aliases only of core type, core module, type and component.
  expect_malformed(component({section(6, {0x01, 0x05, 0x02, 0x00, 0x00})}), kFirst + 1,
                   "outer alias sort");
  expect_malformed(component({section(6, {0x01, 0x01, 0x02, 0x00, 0x00})}), kFirst + 1,
                   "outer alias sort");
  expect_malformed(component({section(6, {0x01, 0x00, 0x00, 0x02, 0x00, 0x00})}), kFirst + 1,
                   "outer alias sort");
}

// ---- types ---------------------------------------------------------------

TEST(ComponentType, Primitives) {
  Bytes prims = {0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x7A, 0x79,
                 0x78, 0x77, 0x76, 0x75, 0x74, 0x73, 0x64};
  auto decl = decode_ok(component({section(7, cat({leb(prims.size()), prims}))}));
  ASSERT_EQ(decl.root.types.size(), prims.size());
  for (size_t i = 0; i < prims.size(); ++i) {
    EXPECT_EQ(decl.root.types[i].kind, Type::Kind::DefVal);
    EXPECT_EQ(decl.root.types[i].defval.kind, DefValKind::Prim);
    EXPECT_EQ(static_cast<uint8_t>(decl.root.types[i].defval.prim), prims[i]);
  }
  EXPECT_STREQ(to_string(PrimValType::ErrorContext), "error-context");
  EXPECT_STREQ(to_string(PrimValType::String), "string");
}

TEST(ComponentType, DefinedValueTypes) {
  Bytes types = cat({
      {0x72, 0x02},
      str("a"),
      {0x7F},
      str("b"),
      {0x7D},  // record
      {0x71, 0x02},
      str("x"),
      {0x01, 0x7E, 0x00},
      str("y"),
      {0x00, 0x00},              // variant
      {0x70, 0x7B},              // list u16
      {0x67, 0x7D, 0x03},        // list u8 3
      {0x6F, 0x02, 0x7C, 0x79},  // tuple
      {0x6E, 0x02},
      str("f1"),
      str("f2"),  // flags
      {0x6D, 0x01},
      str("e1"),                       // enum
      {0x6B, 0x7A},                    // option s32
      {0x6A, 0x00, 0x00},              // result
      {0x6A, 0x01, 0x76, 0x01, 0x75},  // result f32 (error f64)
      {0x69, 0x00},
      {0x68, 0x05},  // own, borrow
      {0x66, 0x01, 0x7D},
      {0x66, 0x00},  // stream
      {0x65, 0x01, 0x73},
      {0x65, 0x00},        // future
      {0x63, 0x73, 0x79},  // map string u32
      {0x70, 0xC0, 0x00},  // list <type 64>: s33
  });
  auto decl = decode_ok(component({section(7, cat({{0x12}, types}))}));
  const auto& t = decl.root.types;
  ASSERT_EQ(t.size(), 18u);
  EXPECT_EQ(t[0].defval.kind, DefValKind::Record);
  ASSERT_EQ(t[0].defval.fields.size(), 2u);
  EXPECT_EQ(t[0].defval.fields[1].label, "b");
  EXPECT_EQ(t[0].defval.fields[1].type, ValType::of(PrimValType::U8));
  EXPECT_EQ(t[1].defval.kind, DefValKind::Variant);
  ASSERT_EQ(t[1].defval.cases.size(), 2u);
  EXPECT_EQ(t[1].defval.cases[0].type, ValType::of(PrimValType::S8));
  EXPECT_FALSE(t[1].defval.cases[1].type.has_value());
  EXPECT_EQ(t[2].defval.kind, DefValKind::List);
  EXPECT_EQ(t[3].defval.kind, DefValKind::FixedList);
  EXPECT_EQ(t[3].defval.length, 3u);
  EXPECT_EQ(t[4].defval.types.size(), 2u);
  EXPECT_EQ(t[5].defval.kind, DefValKind::Flags);
  EXPECT_EQ(t[5].defval.labels, (std::vector<std::string>{"f1", "f2"}));
  EXPECT_EQ(t[6].defval.kind, DefValKind::Enum);
  EXPECT_EQ(t[7].defval.kind, DefValKind::Option);
  EXPECT_EQ(t[8].defval.kind, DefValKind::Result);
  EXPECT_FALSE(t[8].defval.element.has_value());
  EXPECT_FALSE(t[8].defval.error.has_value());
  EXPECT_EQ(t[9].defval.element, ValType::of(PrimValType::F32));
  EXPECT_EQ(t[9].defval.error, ValType::of(PrimValType::F64));
  EXPECT_EQ(t[10].defval.kind, DefValKind::Own);
  EXPECT_EQ(t[11].defval.kind, DefValKind::Borrow);
  EXPECT_EQ(t[11].defval.index, 5u);
  EXPECT_EQ(t[12].defval.kind, DefValKind::Stream);
  EXPECT_TRUE(t[12].defval.element.has_value());
  EXPECT_FALSE(t[13].defval.element.has_value());
  EXPECT_EQ(t[14].defval.kind, DefValKind::Future);
  EXPECT_EQ(t[16].defval.kind, DefValKind::Map);
  EXPECT_EQ(t[16].defval.element, ValType::of(PrimValType::String));
  EXPECT_EQ(t[16].defval.error, ValType::of(PrimValType::U32));
  EXPECT_EQ(t[17].defval.element, ValType::at(64));
  EXPECT_STREQ(to_string(DefValKind::Map), "map");
}

TEST(ComponentType, FuncResourceComponentInstance) {
  Bytes types = cat({
      {0x40, 0x00, 0x01, 0x00},  // (func)
      {0x40, 0x01},
      str("p"),
      {0x7F, 0x00, 0x79},        // (func (param "p" bool) (result u32))
      {0x43, 0x00, 0x01, 0x00},  // (func async)
      {0x3F, 0x7F, 0x00},        // (resource (rep i32))
      {0x3F, 0x7F, 0x01, 0x04},  // (resource (rep i32) (dtor 4))
      {0x41, 0x04, 0x01, 0x73, 0x03, 0x00},
      str("a"),
      {0x03, 0x00, 0x00},
      {0x01, 0x40, 0x00, 0x01, 0x00, 0x04, 0x00},
      str("b"),
      {0x01, 0x02},
      {0x42, 0x03, 0x00, 0x60, 0x00, 0x00, 0x02, 0x03, 0x02, 0x01, 0x00, 0x04, 0x00},
      str("t"),
      {0x03, 0x01},
  });
  auto decl = decode_ok(component({section(7, cat({{0x07}, types}))}));
  const auto& t = decl.root.types;
  ASSERT_EQ(t.size(), 7u);
  EXPECT_EQ(t[0].kind, Type::Kind::Func);
  EXPECT_FALSE(t[0].func.result.has_value());
  ASSERT_EQ(t[1].func.params.size(), 1u);
  EXPECT_EQ(t[1].func.params[0].label, "p");
  EXPECT_EQ(t[1].func.result, ValType::of(PrimValType::U32));
  EXPECT_TRUE(t[2].func.is_async);
  EXPECT_EQ(t[3].kind, Type::Kind::Resource);
  EXPECT_FALSE(t[3].resource.dtor.has_value());
  EXPECT_EQ(t[4].resource.dtor, 4u);
  EXPECT_EQ(t[5].kind, Type::Kind::Component);
  ASSERT_EQ(t[5].decls.size(), 4u);
  EXPECT_EQ(t[5].decls[0].kind, TypeDecl::Kind::Type);
  EXPECT_EQ(t[5].decls[1].kind, TypeDecl::Kind::Import);
  EXPECT_EQ(t[5].decls[1].import_export.name.name, "a");
  EXPECT_EQ(t[5].decls[1].import_export.type.kind, ExternTypeKind::Type);
  EXPECT_TRUE(t[5].decls[1].import_export.type.type_bound_eq);
  EXPECT_EQ(t[5].decls[3].kind, TypeDecl::Kind::Export);
  EXPECT_EQ(t[5].decls[3].import_export.type.index, 2u);
  EXPECT_EQ(t[6].kind, Type::Kind::Instance);
  ASSERT_EQ(t[6].decls.size(), 3u);
  EXPECT_EQ(t[6].decls[0].kind, TypeDecl::Kind::CoreType);
  EXPECT_EQ(t[6].decls[1].kind, TypeDecl::Kind::Alias);
  EXPECT_EQ(t[6].decls[1].alias.outer_count, 1u);
  EXPECT_FALSE(t[6].decls[2].import_export.type.type_bound_eq);
}

TEST(ComponentType, Errors) {
  for (uint8_t b : {0x62, 0x44, 0x3E, 0x60, 0x00}) {
    expect_malformed(component({section(7, {0x01, b})}), kFirst + 1, "malformed type");
  }
  // variant case's trailing byte must be zero
  expect_malformed(component({section(7, cat({{0x01, 0x71, 0x01}, str("c"), {0x00, 0x01}}))}),
                   kFirst + 6, "zero byte expected");
  expect_malformed(component({section(7, {0x01, 0x40, 0x00, 0x01, 0x01})}), kFirst + 4,
                   "result list");
  expect_malformed(component({section(7, {0x01, 0x40, 0x00, 0x02, 0x00})}), kFirst + 3,
                   "result list");
  expect_malformed(component({section(7, {0x01, 0x6A, 0x02})}), kFirst + 2, "optional");
  expect_malformed(component({section(7, {0x01, 0x3F, 0x7F, 0x02})}), kFirst + 3, "optional");
  // 0x40 is s33 -64: neither a primitive nor a type index.
  expect_malformed(component({section(7, {0x01, 0x70, 0x40})}), kFirst + 2, "value type");
  expect_malformed(component({section(7, {0x01, 0x41, 0x01, 0x05, 0x73})}), kFirst + 3,
                   "component type declaration");
  expect_malformed(
      component({section(7, cat({{0x01, 0x42, 0x01, 0x03, 0x00}, str("a"), {0x03, 0x01}}))}),
      kFirst + 3, "instance type declaration");
  expect_malformed(component({section(7, {0x01, 0x72, 0x01, 0x01, 0xC0, 0x73})}), kFirst + 3,
                   "UTF-8");
}

// ---- canonical definitions -----------------------------------------------

TEST(ComponentCanon, EveryOpcode) {
  struct Case {
    Bytes bytes;
    CanonKind kind;
  };
  const std::vector<Case> cases = {
      {{0x00, 0x00, 0x01, 0x03, 0x00, 0x03, 0x00, 0x04, 0x05, 0x02}, CanonKind::Lift},
      {{0x01, 0x00, 0x00, 0x02, 0x06, 0x07, 0x03}, CanonKind::Lower},
      {{0x02, 0x05}, CanonKind::ResourceNew},
      {{0x03, 0x05}, CanonKind::ResourceDrop},
      {{0x04, 0x05}, CanonKind::ResourceRep},
      {{0x05}, CanonKind::TaskCancel},
      {{0x06, 0x01}, CanonKind::SubtaskCancel},
      {{0x09, 0x00, 0x79, 0x01, 0x01}, CanonKind::TaskReturn},
      {{0x0A, 0x7F, 0x00}, CanonKind::ContextGet},
      {{0x0B, 0x7F, 0x01}, CanonKind::ContextSet},
      {{0x0C, 0x01}, CanonKind::ThreadYield},
      {{0x0D}, CanonKind::SubtaskDrop},
      {{0x0E, 0x03}, CanonKind::StreamNew},
      {{0x0F, 0x03, 0x01, 0x03, 0x00}, CanonKind::StreamRead},
      {{0x10, 0x03, 0x00}, CanonKind::StreamWrite},
      {{0x11, 0x03, 0x00}, CanonKind::StreamCancelRead},
      {{0x12, 0x03, 0x01}, CanonKind::StreamCancelWrite},
      {{0x13, 0x03}, CanonKind::StreamDropReadable},
      {{0x14, 0x03}, CanonKind::StreamDropWritable},
      {{0x15, 0x04}, CanonKind::FutureNew},
      {{0x16, 0x04, 0x00}, CanonKind::FutureRead},
      {{0x17, 0x04, 0x00}, CanonKind::FutureWrite},
      {{0x18, 0x04, 0x00}, CanonKind::FutureCancelRead},
      {{0x19, 0x04, 0x01}, CanonKind::FutureCancelWrite},
      {{0x1A, 0x04}, CanonKind::FutureDropReadable},
      {{0x1B, 0x04}, CanonKind::FutureDropWritable},
      {{0x1C, 0x01, 0x00}, CanonKind::ErrorContextNew},
      {{0x1D, 0x00}, CanonKind::ErrorContextDebugMessage},
      {{0x1E}, CanonKind::ErrorContextDrop},
      {{0x1F}, CanonKind::WaitableSetNew},
      {{0x20, 0x00, 0x00}, CanonKind::WaitableSetWait},
      {{0x21, 0x01, 0x02}, CanonKind::WaitableSetPoll},
      {{0x22}, CanonKind::WaitableSetDrop},
      {{0x23}, CanonKind::WaitableJoin},
      {{0x24}, CanonKind::BackpressureInc},
      {{0x25}, CanonKind::BackpressureDec},
      {{0x26}, CanonKind::ThreadIndex},
      {{0x27, 0x00, 0x01}, CanonKind::ThreadNewIndirect},
      {{0x28}, CanonKind::ThreadResumeLater},
      {{0x29, 0x00}, CanonKind::ThreadSuspend},
      {{0x2A, 0x00}, CanonKind::ThreadSuspendThenResume},
      {{0x2B, 0x01}, CanonKind::ThreadYieldThenResume},
      {{0x2C, 0x00}, CanonKind::ThreadSuspendThenPromote},
      {{0x2D, 0x01}, CanonKind::ThreadYieldThenPromote},
      {{0x40, 0x01, 0x02}, CanonKind::ThreadSpawnRef},
      {{0x41, 0x00, 0x02, 0x03}, CanonKind::ThreadSpawnIndirect},
      {{0x42, 0x01}, CanonKind::ThreadAvailableParallelism},
  };
  Bytes all = leb(cases.size());
  for (const Case& c : cases) all.insert(all.end(), c.bytes.begin(), c.bytes.end());
  auto decl = decode_ok(component({section(8, all)}));
  const auto& cs = decl.root.canons;
  ASSERT_EQ(cs.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(cs[i].kind, cases[i].kind) << i;
    EXPECT_NE(canon_name(static_cast<uint8_t>(cases[i].kind)), nullptr);
  }
  // Spot checks of the immediates.
  EXPECT_EQ(cs[0].func_index, 1u);
  ASSERT_EQ(cs[0].opts.size(), 3u);
  EXPECT_EQ(cs[0].opts[1].kind, CanonOpt::Kind::Memory);
  EXPECT_EQ(cs[0].opts[2].kind, CanonOpt::Kind::Realloc);
  EXPECT_EQ(cs[0].opts[2].index, 5u);
  EXPECT_EQ(cs[0].type_index, 2u);
  ASSERT_EQ(cs[1].opts.size(), 2u);
  EXPECT_EQ(cs[1].opts[0].kind, CanonOpt::Kind::Async);
  EXPECT_EQ(cs[1].opts[1].kind, CanonOpt::Kind::Callback);
  EXPECT_EQ(cs[1].opts[1].index, 3u);
  EXPECT_TRUE(cs[6].flag);
  EXPECT_EQ(cs[7].result, ValType::of(PrimValType::U32));
  EXPECT_EQ(cs[7].opts[0].kind, CanonOpt::Kind::Utf16);
  EXPECT_EQ(cs[9].core_type, weft::ValType::I32);
  EXPECT_EQ(cs[9].index, 1u);
  EXPECT_EQ(cs[31].index, 2u);
  EXPECT_TRUE(cs[31].flag);
  EXPECT_EQ(cs[37].type_index, 0u);
  EXPECT_EQ(cs[37].index, 1u);
  EXPECT_TRUE(cs[44].flag);
  EXPECT_EQ(cs[44].type_index, 2u);
  EXPECT_EQ(cs[45].index, 3u);
  EXPECT_STREQ(canon_name(0x2D), "thread.yield-then-promote");
}

TEST(ComponentCanon, Errors) {
  for (uint8_t op : {0x07, 0x08, 0x2E, 0x3F, 0x43, 0xFF}) {
    EXPECT_EQ(canon_name(op), nullptr);
    expect_malformed(component({section(8, {0x01, op})}), kFirst + 1, "canonical definition");
  }
  expect_malformed(component({section(8, {0x01, 0x00, 0x01, 0x00, 0x00, 0x00})}), kFirst + 2,
                   "canon lift");
  expect_malformed(component({section(8, {0x01, 0x01, 0x01, 0x00, 0x00})}), kFirst + 2,
                   "canon lower");
  expect_malformed(component({section(8, {0x01, 0x01, 0x00, 0x00, 0x01, 0x0A})}), kFirst + 5,
                   "canonical option");
  expect_malformed(component({section(8, {0x01, 0x0C, 0x02})}), kFirst + 2, "cancellable flag");
  expect_malformed(component({section(8, {0x01, 0x20, 0x02, 0x00})}), kFirst + 2,
                   "cancellable flag");
  expect_malformed(component({section(8, {0x01, 0x06, 0x02})}), kFirst + 2, "async flag");
  expect_malformed(component({section(8, {0x01, 0x42, 0x02})}), kFirst + 2, "shared flag");
  expect_malformed(component({section(8, {0x01, 0x0A, 0x73, 0x00})}), kFirst + 2, "value type");
}

// ---- start, imports, exports, values -------------------------------------

TEST(ComponentStart, Form) {
  auto decl = decode_ok(
      component({section(9, {0x02, 0x02, 0x00, 0x01, 0x01}), section(9, {0x00, 0x00, 0x00})}));
  ASSERT_EQ(decl.root.starts.size(), 2u);
  EXPECT_EQ(decl.root.starts[0].func, 2u);
  EXPECT_EQ(decl.root.starts[0].args, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(decl.root.starts[0].results, 1u);
  EXPECT_EQ(decl.root.order[1].first, 1u);
  expect_malformed(component({section(9, {0x00, 0x00, 0x00, 0x00})}), kFirst,
                   "section size mismatch");
}

TEST(ComponentImport, Forms) {
  Bytes imports = cat({{0x07},
                       {0x00},
                       str("m"),
                       {0x00, 0x11, 0x00},
                       {0x01},
                       str("f"),
                       {0x01, 0x00},
                       {0x00},
                       str("v"),
                       {0x02, 0x00, 0x01},
                       {0x00},
                       str("w"),
                       {0x02, 0x01, 0x73},
                       {0x00},
                       str("t"),
                       {0x03, 0x01},
                       {0x00},
                       str("c"),
                       {0x04, 0x02},
                       {0x02},
                       str("i"),
                       {0x02, 0x01},
                       str("1.2"),
                       {0x02},
                       str("id"),
                       {0x05, 0x03}});
  auto decl = decode_ok(component({section(10, imports)}));
  const auto& is = decl.root.imports;
  ASSERT_EQ(is.size(), 7u);
  EXPECT_EQ(is[0].offset, kFirst + 1);
  EXPECT_EQ(is[0].type.kind, ExternTypeKind::CoreModule);
  EXPECT_EQ(is[1].name.form, 0x01);
  EXPECT_EQ(is[1].type.kind, ExternTypeKind::Func);
  EXPECT_EQ(is[2].type.kind, ExternTypeKind::Value);
  EXPECT_TRUE(is[2].type.value_bound_eq);
  EXPECT_EQ(is[2].type.index, 1u);
  EXPECT_FALSE(is[3].type.value_bound_eq);
  EXPECT_EQ(is[3].type.value_type, ValType::of(PrimValType::String));
  EXPECT_EQ(is[4].type.kind, ExternTypeKind::Type);
  EXPECT_FALSE(is[4].type.type_bound_eq);
  EXPECT_EQ(is[5].type.kind, ExternTypeKind::Component);
  EXPECT_EQ(is[6].type.kind, ExternTypeKind::Instance);
  ASSERT_EQ(is[6].name.attributes.size(), 2u);
  EXPECT_EQ(is[6].name.attributes[0].kind, NameAttribute::Kind::VersionSuffix);
  EXPECT_EQ(is[6].name.attributes[1].kind, NameAttribute::Kind::ExternalId);
  EXPECT_EQ(is[6].name.attributes[1].value, "id");
}

TEST(ComponentImport, Errors) {
  expect_malformed(component({section(10, cat({{0x01, 0x03}, str("f"), {0x01, 0x00}}))}),
                   kFirst + 1, "extern name form");
  expect_malformed(
      component({section(10, cat({{0x01, 0x02}, str("f"), {0x01, 0x03}, str("x"), {0x01, 0x00}}))}),
      kFirst + 5, "name attribute");
  expect_malformed(component({section(10, cat({{0x01, 0x00}, str("t"), {0x03, 0x02}}))}),
                   kFirst + 5, "type bound");
  expect_malformed(component({section(10, cat({{0x01, 0x00}, str("v"), {0x02, 0x02}}))}),
                   kFirst + 5, "value bound");
  expect_malformed(component({section(10, cat({{0x01, 0x00}, str("f"), {0x06, 0x00}}))}),
                   kFirst + 4, "extern type");
  expect_malformed(component({section(10, cat({{0x01, 0x00}, str("m"), {0x00, 0x00, 0x00}}))}),
                   kFirst + 5, "0x11 expected");
  expect_malformed(component({section(10, {0x01, 0x00, 0x7F, 0x61, 0x62})}), kFirst + 2,
                   "length out of bounds");
  expect_malformed(component({section(10, {0x01, 0x00, 0x02, 0xC3, 0x28, 0x01, 0x00})}), kFirst + 2,
                   "UTF-8");
}

TEST(ComponentExport, Forms) {
  auto decl =
      decode_ok(component({section(11, cat({{0x02, 0x00},
                                            str("e1"),
                                            {0x01, 0x00, 0x00},
                                            {0x00},
                                            str("e2"),
                                            {0x00, 0x11, 0x03, 0x01, 0x00, 0x11, 0x07}}))}));
  const auto& es = decl.root.exports;
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0].item.sort.kind, SortKind::Func);
  EXPECT_FALSE(es[0].type.has_value());
  EXPECT_EQ(es[1].item.sort.core, CoreSort::Module);
  EXPECT_EQ(es[1].item.index, 3u);
  ASSERT_TRUE(es[1].type.has_value());
  EXPECT_EQ(es[1].type->kind, ExternTypeKind::CoreModule);
  EXPECT_EQ(es[1].type->index, 7u);
  expect_malformed(component({section(11, cat({{0x01, 0x00}, str("e"), {0x01, 0x00, 0x02}}))}),
                   kFirst + 6, "optional extern type");
}

TEST(ComponentValue, Forms) {
  auto decl =
      decode_ok(component({section(12, cat({{0x02, 0x79, 0x01, 0x2A, 0x73, 0x04}, str("hey")}))}));
  const auto& vs = decl.root.values;
  ASSERT_EQ(vs.size(), 2u);
  EXPECT_EQ(vs[0].type, ValType::of(PrimValType::U32));
  EXPECT_EQ(vs[0].payload.begin, kFirst + 3);
  EXPECT_EQ(vs[0].payload.size(), 1u);
  EXPECT_EQ(decl.bytes[vs[0].payload.begin], 0x2A);
  EXPECT_EQ(vs[1].payload.size(), 4u);
  EXPECT_EQ(vs[1].type, ValType::of(PrimValType::String));
  expect_malformed(component({section(12, {0x01, 0x79, 0x05, 0x00})}), kFirst + 2,
                   "length out of bounds");
}

TEST(ComponentSectionNames, All) {
  EXPECT_STREQ(section_name(1), "core module");
  EXPECT_STREQ(section_name(8), "canon");
  EXPECT_STREQ(section_name(12), "value");
  EXPECT_STREQ(section_name(13), "unknown");
}

}  // namespace
}  // namespace weft::component
