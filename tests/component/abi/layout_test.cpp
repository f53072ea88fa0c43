// Alignment, size and flattening, each expected value worked out by hand
// from CanonicalABI.md.
#include "fake_guest.h"

namespace weft::component::abi {
namespace {

using namespace testing;
using CT = CoreType;

void expect_layout(const ValTypePtr& t, uint32_t align, uint64_t size, std::vector<CT> flat) {
  SCOPED_TRACE(to_string(*t));
  EXPECT_EQ(alignment(*t), align);
  EXPECT_EQ(elem_size(*t), size);
  auto f = flatten_type(*t);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(*f, flat);
  EXPECT_EQ(flat_count(*t, 100), flat.size());
  if (!flat.empty()) {
    EXPECT_EQ(flat_count(*t, flat.size() - 1), flat.size());  // limit + 1: "more"
  }
}

TEST(Layout, Primitives) {
  expect_layout(boolean(), 1, 1, {CT::I32});
  expect_layout(u8(), 1, 1, {CT::I32});
  expect_layout(s8(), 1, 1, {CT::I32});
  expect_layout(u16(), 2, 2, {CT::I32});
  expect_layout(u32(), 4, 4, {CT::I32});
  expect_layout(s32(), 4, 4, {CT::I32});
  expect_layout(u64(), 8, 8, {CT::I64});
  expect_layout(f32(), 4, 4, {CT::F32});
  expect_layout(f64(), 8, 8, {CT::F64});
  expect_layout(chr(), 4, 4, {CT::I32});
  expect_layout(str(), 4, 8, {CT::I32, CT::I32});
  expect_layout(list(u64()), 4, 8, {CT::I32, CT::I32});
  auto rt = std::make_shared<const ResourceType>();
  expect_layout(own(rt), 4, 4, {CT::I32});
  expect_layout(borrow(rt), 4, 4, {CT::I32});
}

TEST(Layout, RecordsPadFieldsAndTheEnd) {
  // u8 at 0, u32 at 4, u8 at 8: 9 bytes, rounded up to the alignment 4.
  expect_layout(record({{"a", u8()}, {"b", u32()}, {"c", u8()}}), 4, 12,
                {CT::I32, CT::I32, CT::I32});
  expect_layout(tuple({u8(), u64()}), 8, 16, {CT::I32, CT::I64});
  expect_layout(tuple({u16(), u8()}), 2, 4, {CT::I32, CT::I32});
  expect_layout(tuple({str(), f64()}), 8, 16, {CT::I32, CT::I32, CT::F64});
}

TEST(Layout, VariantsJoinTheirPayloadSlots) {
  // Discriminant u8, payload aligned to 8 at offset 8.
  expect_layout(variant({{"a", u8()}, {"b", u64()}}), 8, 16, {CT::I32, CT::I64});
  expect_layout(variant({{"a", f32()}, {"b", u32()}}), 4, 8, {CT::I32, CT::I32});
  expect_layout(variant({{"a", f32()}, {"b", f64()}}), 8, 16, {CT::I32, CT::I64});
  expect_layout(variant({{"a", f32()}}), 4, 8, {CT::I32, CT::F32});
  expect_layout(variant({{"a", f32()}, {"b", nullptr}}), 4, 8, {CT::I32, CT::F32});
  // Payload at 8; the larger case, tuple<f32, u64>, is 16 bytes.
  expect_layout(variant({{"a", tuple({u32(), f32()})}, {"b", tuple({f32(), u64()})}}), 8, 24,
                {CT::I32, CT::I32, CT::I64});
  expect_layout(variant({{"a", nullptr}}), 1, 1, {CT::I32});
  expect_layout(option(str()), 4, 12, {CT::I32, CT::I32, CT::I32});
  expect_layout(option(u8()), 1, 2, {CT::I32, CT::I32});
  expect_layout(result(nullptr, nullptr), 1, 1, {CT::I32});
  expect_layout(result(u64(), f32()), 8, 16, {CT::I32, CT::I64});
  expect_layout(result(f32(), f32()), 4, 8, {CT::I32, CT::F32});
}

TEST(Layout, DiscriminantWidthFollowsTheCaseCount) {
  EXPECT_EQ(discriminant_type(1), ValKind::U8);
  EXPECT_EQ(discriminant_type(256), ValKind::U8);
  EXPECT_EQ(discriminant_type(257), ValKind::U16);
  EXPECT_EQ(discriminant_type(65536), ValKind::U16);
  EXPECT_EQ(discriminant_type(65537), ValKind::U32);
  expect_layout(enumeration(256), 1, 1, {CT::I32});
  expect_layout(enumeration(257), 2, 2, {CT::I32});
  expect_layout(enumeration(65537), 4, 4, {CT::I32});
}

TEST(Layout, FlagsAndFixedLists) {
  expect_layout(flags(1), 1, 1, {CT::I32});
  expect_layout(flags(8), 1, 1, {CT::I32});
  expect_layout(flags(9), 2, 2, {CT::I32});
  expect_layout(flags(16), 2, 2, {CT::I32});
  expect_layout(flags(17), 4, 4, {CT::I32});
  expect_layout(flags(32), 4, 4, {CT::I32});
  expect_layout(fixed(u16(), 3), 2, 6, {CT::I32, CT::I32, CT::I32});
  expect_layout(fixed(tuple({u8(), f64()}), 2), 8, 32, {CT::I32, CT::F64, CT::I32, CT::F64});
}

TEST(Layout, HugeTypesNeitherWrapNorFlattenWithoutLimit) {
  auto big = fixed(u8(), 268435455);
  EXPECT_EQ(elem_size(*big), 268435455u);
  EXPECT_FALSE(flatten_type(*big).has_value());
  EXPECT_FALSE(flatten_type(*big, 16).has_value());
  EXPECT_EQ(flat_count(*big, 16), 17u);
  EXPECT_EQ(flat_count(*fixed(big, 1000), SIZE_MAX - 1), 268435455000u);
  // 2^29 u64s: 2^32 bytes, which a 32-bit product would wrap to 0.
  EXPECT_EQ(elem_size(*fixed(u64(), 1u << 29)), uint64_t{1} << 32);
  auto nested = fixed(fixed(fixed(u64(), 1u << 20), 1u << 20), 1u << 20);
  EXPECT_GE(elem_size(*nested), uint64_t{1} << 40);
}

TEST(Layout, JoinIsTheSpecs) {
  EXPECT_EQ(join(CT::I32, CT::I32), CT::I32);
  EXPECT_EQ(join(CT::F32, CT::F32), CT::F32);
  EXPECT_EQ(join(CT::I32, CT::F32), CT::I32);
  EXPECT_EQ(join(CT::F32, CT::I32), CT::I32);
  EXPECT_EQ(join(CT::I32, CT::I64), CT::I64);
  EXPECT_EQ(join(CT::F32, CT::F64), CT::I64);
  EXPECT_EQ(join(CT::F64, CT::F64), CT::F64);
  EXPECT_EQ(join(CT::I64, CT::F64), CT::I64);
}

TEST(Layout, FlattenFunctypeSpillsParamsPastSixteen) {
  std::vector<ValTypePtr> sixteen(16, u32());
  auto ft = func(sixteen);
  EXPECT_EQ(flatten_functype(ft, FlattenContext::Lift).params, std::vector<CT>(16, CT::I32));
  std::vector<ValTypePtr> seventeen(17, u32());
  ft = func(seventeen);
  EXPECT_EQ(flatten_functype(ft, FlattenContext::Lift), (CoreFuncType{{CT::I32}, {}}));
  EXPECT_EQ(flatten_functype(ft, FlattenContext::Lower), (CoreFuncType{{CT::I32}, {}}));
  // Eight strings are 16 flat values: no spill; a ninth string spills.
  ft = func(std::vector<ValTypePtr>(8, str()));
  EXPECT_EQ(flatten_functype(ft, FlattenContext::Lift).params.size(), 16u);
  ft = func({fixed(u8(), 1000)});
  EXPECT_EQ(flatten_functype(ft, FlattenContext::Lift).params, std::vector<CT>{CT::I32});
}

TEST(Layout, FlattenFunctypeSpillsResultsPastOne) {
  auto ft = func({u32()}, u64());
  EXPECT_EQ(flatten_functype(ft, FlattenContext::Lift), (CoreFuncType{{CT::I32}, {CT::I64}}));
  EXPECT_EQ(flatten_functype(ft, FlattenContext::Lower), (CoreFuncType{{CT::I32}, {CT::I64}}));
  ft = func({u32()}, str());
  EXPECT_EQ(flatten_functype(ft, FlattenContext::Lift), (CoreFuncType{{CT::I32}, {CT::I32}}));
  EXPECT_EQ(flatten_functype(ft, FlattenContext::Lower), (CoreFuncType{{CT::I32, CT::I32}, {}}));
  ft = func({}, nullptr);
  EXPECT_EQ(flatten_functype(ft, FlattenContext::Lift), (CoreFuncType{{}, {}}));
  // Spilled params and a spilled result: argptr then retptr.
  ft = func(std::vector<ValTypePtr>(17, u8()), tuple({u8(), u8()}));
  EXPECT_EQ(flatten_functype(ft, FlattenContext::Lower), (CoreFuncType{{CT::I32, CT::I32}, {}}));
}

}  // namespace
}  // namespace weft::component::abi
