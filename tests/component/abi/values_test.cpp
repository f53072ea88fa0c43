// Values through memory and through flat core values: round trips for
// every type, the exact bytes and core values for a few, and every trap.
#include "fake_guest.h"

namespace weft::component::abi {
namespace {

using namespace testing;

struct Harness {
  FakeGuest g;
  CanonicalOptions opts;
  ComponentInstance inst;
  std::shared_ptr<Task> task = std::make_shared<Task>();
  Subtask subtask;

  explicit Harness(StringEncoding e = StringEncoding::Utf8) : opts(g.options(e)) {}
  // Lowering into a callee (borrows become handles scoped to `task`).
  LiftLowerContext lower_cx() { return LiftLowerContext(opts, inst, task); }
  // Lifting from a caller (borrows lend to `subtask`).
  LiftLowerContext lift_cx() { return LiftLowerContext(opts, inst, nullptr, &subtask); }

  Result<std::vector<CoreValue>> lower(const Val& v, const ValTypePtr& t) {
    auto cx = lower_cx();
    std::vector<CoreValue> out;
    auto r = lower_flat(cx, v, *t, out);
    if (!r) return std::move(r).error();
    return out;
  }
  Result<Val> lift(std::vector<CoreValue> flat, const ValTypePtr& t) {
    auto cx = lift_cx();
    CoreValueIter vi(flat);
    auto v = lift_flat(cx, vi, *t);
    if (v.ok()) {
      EXPECT_TRUE(vi.done()) << "lift_flat left core values unread";
    }
    return v;
  }
  Result<void> store_at(const Val& v, const ValTypePtr& t, uint32_t ptr) {
    auto cx = lower_cx();
    return store(cx, v, *t, ptr);
  }
  Result<Val> load_at(uint32_t ptr, const ValTypePtr& t) {
    auto cx = lift_cx();
    return load(cx, ptr, *t);
  }
};

void expect_round_trips(const ValTypePtr& t, const Val& v) {
  SCOPED_TRACE(to_string(*t) + " " + to_string(v));
  {
    Harness h;
    auto flat = h.lower(v, t);
    ASSERT_TRUE(flat.ok()) << flat.error().to_string();
    auto types = flatten_type(*t);
    ASSERT_TRUE(types.has_value());
    ASSERT_EQ(flat->size(), types->size());
    for (size_t i = 0; i < flat->size(); ++i) EXPECT_EQ((*flat)[i].type, (*types)[i]);
    auto back = h.lift(*flat, t);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(*back, v);
  }
  {
    Harness h;
    uint32_t ptr = 1024;
    ASSERT_TRUE(h.store_at(v, t, ptr).ok());
    auto back = h.load_at(ptr, t);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(*back, v);
  }
}

TEST(Values, PrimitivesRoundTrip) {
  expect_round_trips(boolean(), Val::boolean(true));
  expect_round_trips(boolean(), Val::boolean(false));
  expect_round_trips(s8(), Val::s8(-128));
  expect_round_trips(u8(), Val::u8(255));
  expect_round_trips(prim(ValKind::S16), Val::s16(-2));
  expect_round_trips(u16(), Val::u16(65535));
  expect_round_trips(s32(), Val::s32(INT32_MIN));
  expect_round_trips(u32(), Val::u32(UINT32_MAX));
  expect_round_trips(prim(ValKind::S64), Val::s64(INT64_MIN));
  expect_round_trips(u64(), Val::u64(UINT64_MAX));
  expect_round_trips(f32(), Val::f32_bits(0x80000000));  // -0
  expect_round_trips(f32(), Val::f32_bits(0x7f800000));  // inf
  expect_round_trips(f64(), Val::f64_bits(0x3ff0000000000001));
  expect_round_trips(chr(), Val::character(0x1F370));
  expect_round_trips(chr(), Val::character(0xD7FF));
  expect_round_trips(chr(), Val::character(0xE000));
  expect_round_trips(str(), Val::string("h\xc3\xa9llo"));
}

TEST(Values, CompoundsRoundTrip) {
  expect_round_trips(list(u8()), Val::list({Val::u8(1), Val::u8(2), Val::u8(3)}));
  expect_round_trips(list(str()), Val::list({}));
  expect_round_trips(list(list(str())),
                     Val::list({Val::list({Val::string("a"), Val::string("")}), Val::list({})}));
  Val fl = Val::list({Val::u16(1), Val::u16(2), Val::u16(3)});
  fl.kind = ValKind::FixedList;
  expect_round_trips(fixed(u16(), 3), fl);
  expect_round_trips(record({{"a", u8()}, {"b", str()}, {"c", u64()}}),
                     Val::record({{"a", Val::u8(7)}, {"b", Val::string("x")}, {"c", Val::u64(9)}}));
  expect_round_trips(tuple({f32(), chr(), boolean()}),
                     Val::tuple({Val::f32(1.5f), Val::character('z'), Val::boolean(true)}));
  auto v = variant({{"a", nullptr}, {"b", f32()}, {"c", u64()}, {"d", str()}});
  expect_round_trips(v, Val::variant("a", std::nullopt, 0));
  expect_round_trips(v, Val::variant("b", Val::f32(-2.5f), 1));
  expect_round_trips(v, Val::variant("c", Val::u64(1ull << 40), 2));
  expect_round_trips(v, Val::variant("d", Val::string("payload"), 3));
  expect_round_trips(enumeration(3), Val::enumeration("e2", 2));
  expect_round_trips(enumeration(300), Val::enumeration("e299", 299));
  expect_round_trips(option(str()), Val::none());
  expect_round_trips(option(str()), Val::some(Val::string("s")));
  expect_round_trips(option(option(u8())), Val::some(Val::none()));
  expect_round_trips(result(u32(), str()), Val::ok(Val::u32(5)));
  expect_round_trips(result(u32(), str()), Val::err(Val::string("bad")));
  expect_round_trips(result(nullptr, nullptr), Val::err(std::nullopt));
  expect_round_trips(flags(3), Val::flags({"f0", "f2"}));
  expect_round_trips(flags(32), Val::flags({"f0", "f31"}));
  expect_round_trips(flags(9), Val::flags({}));
  auto nested =
      list(record({{"k", str()}, {"v", option(list(variant({{"x", f64()}, {"y", s8()}})))}}));
  expect_round_trips(
      nested,
      Val::list({Val::record({{"k", Val::string("one")},
                              {"v", Val::some(Val::list({Val::variant("x", Val::f64(0.25), 0),
                                                         Val::variant("y", Val::s8(-1), 1)}))}}),
                 Val::record({{"k", Val::string("")}, {"v", Val::none()}})}));
}

TEST(Values, VariantPayloadsUseTheJoinedSlots) {
  Harness h;
  auto t = variant({{"a", f32()}, {"b", u64()}});
  auto flat = h.lower(Val::variant("a", Val::f32_bits(0x3fc00000), 0), t);
  ASSERT_TRUE(flat.ok());
  // f32 in an i64 slot: its bits, zero-extended.
  EXPECT_EQ((*flat)[0].bits, 0u);
  EXPECT_EQ((*flat)[1].type, CoreType::I64);
  EXPECT_EQ((*flat)[1].bits, 0x3fc00000u);
  auto back = h.lift(*flat, t);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->items[0].bits, 0x3fc00000u);
  // A case without payload pads the slots with zeros of their types.
  auto t2 = variant({{"a", nullptr}, {"b", tuple({f64(), f32()})}});
  flat = h.lower(Val::variant("a", std::nullopt), t2);
  ASSERT_TRUE(flat.ok());
  ASSERT_EQ(flat->size(), 3u);
  EXPECT_EQ((*flat)[1].type, CoreType::F64);
  EXPECT_EQ((*flat)[2].type, CoreType::F32);
}

TEST(Values, ExactMemoryLayout) {
  Harness h;
  auto t = record({{"a", u8()}, {"b", u32()}, {"c", option(u16())}});
  ASSERT_TRUE(h.store_at(Val::record({{"a", Val::u8(0xaa)},
                                      {"b", Val::u32(0x11223344)},
                                      {"c", Val::some(Val::u16(0xbeef))}}),
                         t, 64)
                  .ok());
  EXPECT_EQ(h.g.bytes(64, 12), std::string("\xaa\0\0\0\x44\x33\x22\x11\x01\0\xef\xbe", 12));
}

TEST(Values, LiftingTruncatesAndSignExtends) {
  Harness h;
  auto v = h.lift({i32v(0x1ff)}, u8());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->bits, 0xffu);
  v = h.lift({i32v(0x80)}, s8());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->as_signed(), -128);
  v = h.lift({i32v(0xffffffff)}, s32());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->as_signed(), -1);
  v = h.lift({i32v(2)}, boolean());  // any nonzero i32 is true
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, Val::boolean(true));
  h.g.put(8, {0x7f});
  v = h.load_at(8, boolean());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, Val::boolean(true));
  auto flat = h.lower(Val::s8(-1), s8());
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ((*flat)[0].bits, 0xffffffffu);
}

TEST(Values, NansAreCanonicalized) {
  Harness h;
  auto v = h.lift({CoreValue{CoreType::F32, 0x7f800001}}, f32());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->bits, kCanonicalNan32);
  v = h.lift({CoreValue{CoreType::F64, 0xfff0000000000001}}, f64());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->bits, kCanonicalNan64);
  auto flat = h.lower(Val::f32_bits(0xffc00001), f32());
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ((*flat)[0].bits, kCanonicalNan32);
  h.g.put(16, {0x01, 0x00, 0x80, 0x7f});
  v = h.load_at(16, f32());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->bits, kCanonicalNan32);
  // A NaN through an i64 variant slot is canonicalized when lifted.
  auto t = variant({{"a", f32()}, {"b", u64()}});
  v = h.lift({i32v(0), i64v(0x7fa00000)}, t);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->items[0].bits, kCanonicalNan32);
}

TEST(Values, InvalidCharsTrap) {
  Harness h;
  for (uint32_t c : {0xD800u, 0xDFFFu, 0x110000u, 0xffffffffu}) {
    EXPECT_TRUE(Traps(h.lift({i32v(c)}, chr()), "invalid `char` bit pattern"));
    h.g.put_u32(32, c);
    EXPECT_TRUE(Traps(h.load_at(32, chr()), "invalid `char` bit pattern"));
  }
}

TEST(Values, BadDiscriminantsTrap) {
  Harness h;
  EXPECT_TRUE(Traps(h.lift({i32v(3)}, enumeration(3)), "invalid variant discriminant"));
  EXPECT_TRUE(Traps(h.lift({i32v(2), i32v(0)}, option(u8())), "invalid variant discriminant"));
  EXPECT_TRUE(
      Traps(h.lift({i32v(0x100), i32v(0)}, result(u8(), nullptr)), "invalid variant discriminant"));
  h.g.put(40, {2});
  EXPECT_TRUE(Traps(h.load_at(40, result(nullptr, nullptr)), "invalid variant discriminant"));
  h.g.put(40, {0x2c, 0x01});  // 300 in a u16 discriminant of 300 cases: one past
  EXPECT_TRUE(Traps(h.load_at(40, enumeration(300)), "invalid variant discriminant"));
}

TEST(Values, FlagsIgnoreBitsPastTheirLabels) {
  Harness h;
  auto v = h.lift({i32v(0xffffffff)}, flags(3));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, Val::flags({"f0", "f1", "f2"}));
}

TEST(Values, ListsAreBoundsCheckedBeforeAllocating) {
  Harness h;
  // A guest claiming 2^32 - 1 u64s (32 GiB): over MAX_LIST_BYTE_LENGTH.
  EXPECT_TRUE(Traps(h.lift({i32v(0), i32v(0xffffffff)}, list(u64())), "MAX_LIST_BYTE_LENGTH"));
  // 2^28 - 1 bytes is allowed by the maximum but not by a 64 KiB memory.
  EXPECT_TRUE(
      Traps(h.lift({i32v(0), i32v(kMaxListByteLength)}, list(u8())), "list content out-of-bounds"));
  EXPECT_TRUE(Traps(h.lift({i32v(0xfffffff0), i32v(4)}, list(u32())), "out of bounds"));
  EXPECT_TRUE(Traps(h.lift({i32v(2), i32v(1)}, list(u32())), "unaligned pointer"));
  EXPECT_TRUE(Traps(h.lift({i32v(2), i32v(0)}, list(u32())), "unaligned pointer"));
  auto v = h.lift({i32v(65536), i32v(0)}, list(u32()));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->items.empty());
  v = h.lift({i32v(65532), i32v(1)}, list(u32()));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(Traps(h.lift({i32v(65532), i32v(2)}, list(u32())), "list content out-of-bounds"));
}

TEST(Values, LiftingIsCappedInHostMemory) {
  Harness h;
  // A list of u32 costs a Val per element; a byte list (packed) a byte.
  h.opts.max_lifted_host_bytes = 100 * sizeof(Val);
  EXPECT_TRUE(h.lift({i32v(0), i32v(100)}, list(u32())).ok());
  auto r = h.lift({i32v(0), i32v(101)}, list(u32()));
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.error().is_trap());
  EXPECT_EQ(r.error().trap->kind, TrapKind::MemoryLimit);
  h.opts.max_lifted_host_bytes = 1000 + sizeof(Val);
  EXPECT_TRUE(h.lift({i32v(0), i32v(1000)}, list(u8())).ok());
  EXPECT_FALSE(h.lift({i32v(0), i32v(1001)}, list(u8())).ok());
  // The budget is per context: nested lists add up.
  h.opts.max_lifted_host_bytes = 10 * sizeof(Val);
  h.g.put_u32(100, 0);
  h.g.put_u32(104, 6);
  h.g.put_u32(108, 0);
  h.g.put_u32(112, 6);
  EXPECT_FALSE(h.lift({i32v(100), i32v(2)}, list(list(u32()))).ok());
}

TEST(Values, ByteListsLiftPackedAndLowerInEitherForm) {
  Harness h;
  h.g.memory[32] = 0x01;
  h.g.memory[33] = 0xff;
  auto lifted = h.lift({i32v(32), i32v(2)}, list(u8()));
  ASSERT_TRUE(lifted.ok()) << lifted.error().to_string();
  EXPECT_TRUE(lifted->byte_list);
  EXPECT_EQ(lifted->str, std::string("\x01\xff", 2));
  // Packed and items forms are the same value, and print the same.
  const Val items = Val::list({Val::u8(1), Val::u8(255)});
  EXPECT_EQ(*lifted, items);
  EXPECT_EQ(to_string(*lifted), to_string(items));
  EXPECT_NE(*lifted, Val::list({Val::u8(1), Val::u8(254)}));
  auto signed_bytes = h.lift({i32v(32), i32v(2)}, list(s8()));
  ASSERT_TRUE(signed_bytes.ok());
  EXPECT_EQ(signed_bytes->list_item(1), Val::s8(-1));
  EXPECT_NE(*signed_bytes, *lifted);  // element kinds differ
  Val unpacked = *signed_bytes;
  unpacked.unpack_bytes();
  EXPECT_FALSE(unpacked.byte_list);
  EXPECT_EQ(unpacked, Val::list({Val::s8(1), Val::s8(-1)}));
  // Lowering a packed list: one realloc of the byte length, then the bytes.
  auto flat = h.lower(Val::bytes("abc"), list(u8()));
  ASSERT_TRUE(flat.ok()) << flat.error().to_string();
  EXPECT_EQ(h.g.calls.back(), (ReallocCall{0, 0, 1, 3, (*flat)[0].as_u32()}));
  EXPECT_EQ((*flat)[1].as_u32(), 3u);
  EXPECT_EQ(h.g.bytes((*flat)[0].as_u32(), 3), "abc");
  // The element kind must be the type's, as for items.
  EXPECT_FALSE(h.lower(Val::bytes("abc"), list(s8())).ok());
  EXPECT_FALSE(h.lower(Val::bytes("abc"), list(u32())).ok());
  // A fixed-length list takes the packed form too.
  ValType fixed;
  fixed.kind = ValKind::FixedList;
  fixed.element = u8();
  fixed.length = 2;
  auto fixed_flat = h.lower(Val::bytes("xy"), make(fixed));
  ASSERT_TRUE(fixed_flat.ok()) << fixed_flat.error().to_string();
  EXPECT_EQ(fixed_flat->size(), 2u);
  EXPECT_FALSE(h.lower(Val::bytes("xyz"), make(fixed)).ok());
}

TEST(Values, ListsAlwaysCallRealloc) {
  Harness h;
  auto flat = h.lower(Val::list({}), list(u32()));
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(h.g.calls, (std::vector<ReallocCall>{{0, 0, 4, 0, 16}}));
  flat = h.lower(Val::list({Val::u64(1), Val::u64(2)}), list(u64()));
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(h.g.calls.back(), (ReallocCall{0, 0, 8, 16, 16}));
  EXPECT_EQ((*flat)[0].bits, 16u);
  EXPECT_EQ((*flat)[1].bits, 2u);
}

TEST(Values, ListReallocResultsAreChecked) {
  Harness h;
  h.g.forced_result = 0xfffffffc;
  EXPECT_TRUE(Traps(h.lower(Val::list({Val::u32(1), Val::u32(2)}), list(u32())),
                    "realloc return: beyond end of memory"));
  EXPECT_TRUE(Traps(h.lower(Val::list({}), list(u32())), "realloc return: beyond end of memory"));
  h.g.forced_result = 0xffffffff;
  auto r = h.lower(Val::list({Val::u32(1)}), list(u32()));
  EXPECT_TRUE(Traps(r, "realloc return: result not aligned"));
  EXPECT_TRUE(Traps(r, "unaligned pointer"));
  // list<u8> has alignment 1, so -1 fails the bounds check instead.
  EXPECT_TRUE(Traps(h.lower(Val::list({}), list(u8())), "list content out-of-bounds"));
}

TEST(Values, NoReallocOptionTraps) {
  Harness h;
  h.opts.realloc = nullptr;
  EXPECT_TRUE(Traps(h.lower(Val::string("x"), str()), "realloc"));
}

TEST(Values, HostValuesMustMatchTheirType) {
  Harness h;
  auto usage = [](const auto& r) { return !r.ok() && r.error().kind == ErrorKind::Usage; };
  EXPECT_TRUE(usage(h.lower(Val::u32(1), u8())));
  EXPECT_TRUE(usage(h.lower(Val::string("x"), u8())));
  EXPECT_TRUE(usage(h.lower(Val::character(0xD800), chr())));
  EXPECT_TRUE(usage(h.lower(Val::variant("zz", std::nullopt), variant({{"a", nullptr}}))));
  EXPECT_TRUE(usage(h.lower(Val::variant("a", std::nullopt), variant({{"a", u8()}}))));
  EXPECT_TRUE(usage(h.lower(Val::flags({"nope"}), flags(2))));
  EXPECT_TRUE(usage(h.lower(Val::tuple({Val::u8(1)}), tuple({u8(), u8()}))));
  EXPECT_TRUE(usage(h.lower(Val::record({{"b", Val::u8(1)}, {"a", Val::u8(2)}}),
                            record({{"a", u8()}, {"b", u8()}}))));
  EXPECT_TRUE(usage(h.lower(Val::list({Val::u8(1)}), fixed(u8(), 2))));
}

TEST(Values, LabelOnlyVariantsResolveTheirIndex) {
  Harness h;
  auto t = variant({{"a", nullptr}, {"b", u8()}});
  auto flat = h.lower(Val::variant("b", Val::u8(3)), t);
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ((*flat)[0].bits, 1u);
  flat = h.lower(Val::enumeration("e1"), enumeration(2));
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ((*flat)[0].bits, 1u);
}

TEST(Values, ManyValuesSpillToMemory) {
  Harness h;
  std::vector<ValTypePtr> ts(17, u32());
  std::vector<Val> vs;
  for (uint32_t i = 0; i < 17; ++i) vs.push_back(Val::u32(i * 3));
  auto cx = h.lower_cx();
  auto flat = lower_flat_values(cx, kMaxFlatParams, vs, ts);
  ASSERT_TRUE(flat.ok());
  ASSERT_EQ(flat->size(), 1u);
  EXPECT_EQ(h.g.calls, (std::vector<ReallocCall>{{0, 0, 4, 68, 16}}));
  EXPECT_EQ(h.g.u32(16 + 4 * 16), 48u);
  auto lcx = h.lift_cx();
  CoreValueIter vi(*flat);
  auto back = lift_flat_values(lcx, kMaxFlatParams, vi, ts);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, vs);
  // Sixteen stay flat.
  std::vector<ValTypePtr> ts16(16, u32());
  std::vector<Val> vs16(vs.begin(), vs.begin() + 16);
  flat = lower_flat_values(cx, kMaxFlatParams, vs16, ts16);
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(flat->size(), 16u);
}

TEST(Values, SpillPointersAreChecked) {
  Harness h;
  std::vector<ValTypePtr> ts{tuple({u32(), u32()})};
  std::vector<Val> vs{Val::tuple({Val::u32(1), Val::u32(2)})};
  auto cx = h.lower_cx();
  std::vector<CoreValue> retptr{i32v(2)};
  CoreValueIter out(retptr);
  EXPECT_TRUE(Traps(lower_flat_values(cx, kMaxFlatResults, vs, ts, &out), "unaligned pointer"));
  std::vector<CoreValue> far{i32v(65532)};
  CoreValueIter out2(far);
  EXPECT_TRUE(Traps(lower_flat_values(cx, kMaxFlatResults, vs, ts, &out2), "out of bounds"));
  CoreValueIter in(retptr);
  EXPECT_TRUE(Traps(lift_flat_values(cx, kMaxFlatResults, in, ts), "unaligned pointer"));
  h.g.forced_result = 1;
  EXPECT_TRUE(Traps(lower_flat_values(cx, 0, vs, ts), "unaligned pointer"));
  h.g.forced_result = 65532;
  EXPECT_TRUE(Traps(lower_flat_values(cx, 0, vs, ts), "realloc return: beyond end of memory"));
}

TEST(Values, CoreValuesMustHaveTheFlatTypes) {
  Harness h;
  EXPECT_FALSE(h.lift({i64v(1)}, u32()).ok());
  EXPECT_FALSE(h.lift({}, u32()).ok());
}

}  // namespace
}  // namespace weft::component::abi
