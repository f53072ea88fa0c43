// Strings: decoding each guest encoding, and the spec's realloc sequence
// for every source/destination pair, worked out by hand.
#include "fake_guest.h"

namespace weft::component::abi {
namespace {

using namespace testing;

const std::string kSnowman = "\xe2\x98\x83";   // U+2603
const std::string kCake = "\xf0\x9f\x8d\xb0";  // U+1F370
const std::string kEAcute = "\xc3\xa9";        // U+00E9

struct Lowered {
  uint32_t ptr, units;
};

Lowered lower_string(FakeGuest& g, StringEncoding e, const Val& v) {
  CanonicalOptions opts = g.options(e);
  ComponentInstance inst;
  LiftLowerContext cx(opts, inst);
  std::vector<CoreValue> out;
  auto r = lower_flat(cx, v, *str(), out);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  if (!r.ok() || out.size() != 2) return {0, 0};
  return {out[0].as_u32(), out[1].as_u32()};
}

Result<Val> lift_string(FakeGuest& g, StringEncoding e, uint32_t ptr, uint32_t units) {
  CanonicalOptions opts = g.options(e);
  ComponentInstance inst;
  LiftLowerContext cx(opts, inst);
  std::vector<CoreValue> flat{i32v(ptr), i32v(units)};
  CoreValueIter vi(flat);
  return lift_flat(cx, vi, *str());
}

// A string as a guest of the given encoding would have handed it over.
Val from_guest(StringEncoding e, std::string utf8, bool tagged = false) {
  Val v = Val::string(std::move(utf8));
  v.discriminant = static_cast<uint32_t>(e == StringEncoding::Utf8    ? StringSource::Utf8
                                         : e == StringEncoding::Utf16 ? StringSource::Utf16
                                         : tagged ? StringSource::Latin1Utf16Tagged
                                                  : StringSource::Latin1);
  return v;
}

TEST(Strings, Utf8ToUtf8IsOneExactAllocation) {
  FakeGuest g;
  Lowered l = lower_string(g, StringEncoding::Utf8, Val::string("hello"));
  EXPECT_EQ(g.calls, (std::vector<ReallocCall>{{0, 0, 1, 5, 16}}));
  EXPECT_EQ(l.ptr, 16u);
  EXPECT_EQ(l.units, 5u);
  EXPECT_EQ(g.bytes(16, 5), "hello");
}

TEST(Strings, EmptyStringStillCallsRealloc) {
  FakeGuest g;
  Lowered l = lower_string(g, StringEncoding::Utf8, Val::string(""));
  EXPECT_EQ(g.calls, (std::vector<ReallocCall>{{0, 0, 1, 0, 16}}));
  EXPECT_EQ(l.units, 0u);
}

TEST(Strings, Utf8ToUtf16AllocatesTwiceTheBytesThenShrinks) {
  FakeGuest g;
  // "hé": 3 UTF-8 bytes, so 6 bytes first; 2 code units = 4 bytes after.
  Lowered l = lower_string(g, StringEncoding::Utf16, Val::string("h" + kEAcute));
  EXPECT_EQ(g.calls, (std::vector<ReallocCall>{{0, 0, 2, 6, 16}, {16, 6, 2, 4, 16}}));
  EXPECT_EQ(l.units, 2u);
  EXPECT_EQ(g.bytes(16, 4), std::string("h\0\xe9\0", 4));
}

TEST(Strings, NonBmpBecomesASurrogatePair) {
  FakeGuest g;
  Lowered l = lower_string(g, StringEncoding::Utf16, Val::string(kCake));
  EXPECT_EQ(g.calls, (std::vector<ReallocCall>{{0, 0, 2, 8, 16}, {16, 8, 2, 4, 16}}));
  EXPECT_EQ(l.units, 2u);
  EXPECT_EQ(g.bytes(16, 4), std::string("\x3c\xd8\x70\xdf", 4));
  auto back = lift_string(g, StringEncoding::Utf16, l.ptr, l.units);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->str, kCake);
}

TEST(Strings, Utf8ToLatin1WhenItFits) {
  FakeGuest g;
  Lowered l = lower_string(g, StringEncoding::Latin1Utf16, Val::string("h" + kEAcute));
  // src code units = 3 UTF-8 bytes; 2 latin1 bytes written; shrink to 2.
  EXPECT_EQ(g.calls, (std::vector<ReallocCall>{{0, 0, 2, 3, 16}, {16, 3, 2, 2, 16}}));
  EXPECT_EQ(l.units, 2u);  // untagged: latin1
  EXPECT_EQ(g.bytes(16, 2), "h\xe9");
}

TEST(Strings, Utf8ToLatin1Utf16FallsBackToUtf16) {
  FakeGuest g;
  Lowered l = lower_string(g, StringEncoding::Latin1Utf16, Val::string("h" + kSnowman));
  // 4 bytes for latin1; on the snowman grow to 2 * 4 = 8 (the bump
  // allocator moves it to 20), widen "h", then shrink to 2 code units.
  EXPECT_EQ(g.calls,
            (std::vector<ReallocCall>{{0, 0, 2, 4, 16}, {16, 4, 2, 8, 20}, {20, 8, 2, 4, 20}}));
  EXPECT_EQ(l.ptr, 20u);
  EXPECT_EQ(l.units, 2u | kUtf16Tag);
  EXPECT_EQ(g.bytes(20, 4), std::string("h\0\x03\x26", 4));
  auto back = lift_string(g, StringEncoding::Latin1Utf16, l.ptr, l.units);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->str, "h" + kSnowman);
}

TEST(Strings, Utf16SourceToUtf8GrowsToThreeTimesThenShrinks) {
  FakeGuest g;
  // 2 code units: 2 bytes; at the snowman 3 * 2 = 6; then the 4 real bytes.
  Lowered l =
      lower_string(g, StringEncoding::Utf8, from_guest(StringEncoding::Utf16, "h" + kSnowman));
  EXPECT_EQ(g.calls,
            (std::vector<ReallocCall>{{0, 0, 1, 2, 16}, {16, 2, 1, 6, 18}, {18, 6, 1, 4, 18}}));
  EXPECT_EQ(l.ptr, 18u);
  EXPECT_EQ(l.units, 4u);
  EXPECT_EQ(g.bytes(18, 4), "h" + kSnowman);
}

TEST(Strings, Utf16SourceAsciiToUtf8NeedsNoGrow) {
  FakeGuest g;
  Lowered l = lower_string(g, StringEncoding::Utf8, from_guest(StringEncoding::Utf16, "abc"));
  EXPECT_EQ(g.calls, (std::vector<ReallocCall>{{0, 0, 1, 3, 16}}));
  EXPECT_EQ(l.units, 3u);
}

TEST(Strings, Latin1SourceToUtf8GrowsToTwice) {
  FakeGuest g;
  Lowered l =
      lower_string(g, StringEncoding::Utf8, from_guest(StringEncoding::Latin1Utf16, kEAcute));
  // 1 unit: 1 byte; grow to 2 * 1 = 2, which is exact: no shrink.
  EXPECT_EQ(g.calls, (std::vector<ReallocCall>{{0, 0, 1, 1, 16}, {16, 1, 1, 2, 17}}));
  EXPECT_EQ(l.units, 2u);
  EXPECT_EQ(g.bytes(17, 2), kEAcute);
}

TEST(Strings, Latin1SourceCopiesIntoUtf16AndLatin1) {
  FakeGuest g;
  Lowered l = lower_string(g, StringEncoding::Utf16,
                           from_guest(StringEncoding::Latin1Utf16, "a" + kEAcute));
  EXPECT_EQ(g.calls, (std::vector<ReallocCall>{{0, 0, 2, 4, 16}}));
  EXPECT_EQ(l.units, 2u);
  EXPECT_EQ(g.bytes(16, 4), std::string("a\0\xe9\0", 4));
  FakeGuest h;
  l = lower_string(h, StringEncoding::Latin1Utf16,
                   from_guest(StringEncoding::Latin1Utf16, "a" + kEAcute));
  EXPECT_EQ(h.calls, (std::vector<ReallocCall>{{0, 0, 2, 2, 16}}));
  EXPECT_EQ(l.units, 2u);
  EXPECT_EQ(h.bytes(16, 2), "a\xe9");
}

TEST(Strings, Utf16SourceToLatin1Utf16) {
  // From plain utf16: optimistic latin1 of `units` bytes, as from utf8.
  FakeGuest g;
  Lowered l = lower_string(g, StringEncoding::Latin1Utf16, from_guest(StringEncoding::Utf16, "ab"));
  EXPECT_EQ(g.calls, (std::vector<ReallocCall>{{0, 0, 2, 2, 16}}));
  EXPECT_EQ(l.units, 2u);
  // From tagged utf16 with latin1-only text: written as utf16, then
  // compacted and shrunk (alignment 1) to latin1.
  FakeGuest h;
  l = lower_string(h, StringEncoding::Latin1Utf16,
                   from_guest(StringEncoding::Latin1Utf16, "a" + kEAcute, true));
  EXPECT_EQ(h.calls, (std::vector<ReallocCall>{{0, 0, 2, 4, 16}, {16, 4, 1, 2, 16}}));
  EXPECT_EQ(l.units, 2u);
  EXPECT_EQ(h.bytes(16, 2), "a\xe9");
  // Tagged utf16 that needs it stays utf16.
  FakeGuest k;
  l = lower_string(k, StringEncoding::Latin1Utf16,
                   from_guest(StringEncoding::Latin1Utf16, "a" + kSnowman, true));
  EXPECT_EQ(k.calls, (std::vector<ReallocCall>{{0, 0, 2, 4, 16}}));
  EXPECT_EQ(l.units, 2u | kUtf16Tag);
}

TEST(Strings, LiftRemembersTheSourceEncoding) {
  FakeGuest g;
  g.put(16, {'h', 0, 0x03, 0x26});
  auto v = lift_string(g, StringEncoding::Utf16, 16, 2);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->str, "h" + kSnowman);
  EXPECT_EQ(v->discriminant, static_cast<uint32_t>(StringSource::Utf16));
  EXPECT_EQ(*v, Val::string("h" + kSnowman));  // equality ignores it
  v = lift_string(g, StringEncoding::Latin1Utf16, 16, 2 | kUtf16Tag);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->discriminant, static_cast<uint32_t>(StringSource::Latin1Utf16Tagged));
  g.put(32, {'a', 0xe9, 0xff});
  v = lift_string(g, StringEncoding::Latin1Utf16, 32, 3);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->str, "a" + kEAcute + "\xc3\xbf");
  EXPECT_EQ(v->discriminant, static_cast<uint32_t>(StringSource::Latin1));
}

TEST(Strings, RoundTripsEveryEncodingPair) {
  const std::string samples[] = {"",
                                 "a",
                                 "hello world",
                                 "h" + kEAcute,
                                 "\xc3\xbf",
                                 kSnowman + "x",
                                 kCake,
                                 "a" + kEAcute + kSnowman + kCake,
                                 std::string("nul\0in", 6)};
  const StringEncoding encs[] = {StringEncoding::Utf8, StringEncoding::Utf16,
                                 StringEncoding::Latin1Utf16};
  for (const std::string& s : samples) {
    for (StringEncoding a : encs) {
      for (StringEncoding b : encs) {
        SCOPED_TRACE(s);
        FakeGuest ga, gb;
        Lowered la = lower_string(ga, a, Val::string(s));
        auto va = lift_string(ga, a, la.ptr, la.units);
        ASSERT_TRUE(va.ok());
        Lowered lb = lower_string(gb, b, *va);
        auto vb = lift_string(gb, b, lb.ptr, lb.units);
        ASSERT_TRUE(vb.ok());
        EXPECT_EQ(vb->str, s);
      }
    }
  }
}

TEST(Strings, InvalidUtf8Traps) {
  FakeGuest g;
  g.put(16, {0xff});
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Utf8, 16, 1), "invalid utf-8"));
  g.put(16, {0xc3});
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Utf8, 16, 1), "incomplete utf-8 byte sequence"));
  g.put(16, {0xc3, 0x41});  // continuation missing mid-string: invalid, not incomplete
  auto r = lift_string(g, StringEncoding::Utf8, 16, 2);
  EXPECT_TRUE(Traps(r, "invalid utf-8"));
  EXPECT_EQ(message(r.error()).find("incomplete"), std::string::npos);
  g.put(16, {0xc0, 0x80});  // overlong NUL
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Utf8, 16, 2), "invalid utf-8"));
  g.put(16, {0xed, 0xa0, 0x80});  // UTF-8-encoded surrogate
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Utf8, 16, 3), "invalid utf-8"));
  g.put(16, {0xf4, 0x90, 0x80, 0x80});  // past U+10FFFF
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Utf8, 16, 4), "invalid utf-8"));
  g.put(16, {0xf0, 0x9f, 0x8d});
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Utf8, 16, 3), "incomplete utf-8 byte sequence"));
}

TEST(Strings, UnpairedSurrogatesTrap) {
  FakeGuest g;
  g.put(16, {0x3c, 0xd8});  // high surrogate at the end
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Utf16, 16, 1), "unpaired surrogate"));
  g.put(16, {0x70, 0xdf, 'a', 0});  // low surrogate first
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Utf16, 16, 2), "unpaired surrogate"));
  g.put(16, {0x3c, 0xd8, 'a', 0});  // high surrogate then not a low one
  EXPECT_TRUE(
      Traps(lift_string(g, StringEncoding::Latin1Utf16, 16, 2 | kUtf16Tag), "unpaired surrogate"));
}

TEST(Strings, AlignmentIsCheckedEvenWhenEmpty) {
  FakeGuest g;
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Utf16, 1, 0), "unaligned pointer"));
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Latin1Utf16, 1, 0), "unaligned pointer"));
  EXPECT_TRUE(
      Traps(lift_string(g, StringEncoding::Latin1Utf16, 1, kUtf16Tag), "unaligned pointer"));
  EXPECT_TRUE(lift_string(g, StringEncoding::Utf8, 1, 0).ok());
}

TEST(Strings, BoundsAreCheckedEvenWhenEmpty) {
  FakeGuest g;
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Utf8, 0xdeadbeef, 0),
                    "string pointer/length out of bounds of memory"));
  EXPECT_TRUE(
      Traps(lift_string(g, StringEncoding::Utf8, 0x80000000, 1), "string content out-of-bounds"));
  EXPECT_TRUE(
      Traps(lift_string(g, StringEncoding::Utf8, 65535, 2), "string content out-of-bounds"));
  g.put(65534, {'o', 'k'});
  auto v = lift_string(g, StringEncoding::Utf8, 65534, 2);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->str, "ok");
  EXPECT_TRUE(lift_string(g, StringEncoding::Utf8, 65536, 0).ok());
  // utf16 lengths count code units: 2 units at 65534 need 4 bytes.
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Utf16, 65534, 2), "out-of-bounds"));
}

TEST(Strings, LengthsPastTheMaximumTrapBeforeTouchingMemory) {
  FakeGuest g;
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Utf8, 0, kMaxStringByteLength + 1),
                    "MAX_STRING_BYTE_LENGTH"));
  // 2^27 utf16 units are 2^28 bytes: one past the maximum.
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Utf16, 0, 1u << 27), "MAX_STRING_BYTE_LENGTH"));
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Latin1Utf16, 0, kUtf16Tag | 0x7fffffff),
                    "MAX_STRING_BYTE_LENGTH"));
  EXPECT_TRUE(Traps(lift_string(g, StringEncoding::Utf8, 0, 0xffffffff), "out-of-bounds"));
}

TEST(Strings, ReallocResultsAreChecked) {
  FakeGuest g;
  g.forced_result = 0xfffffffc;
  CanonicalOptions opts = g.options(StringEncoding::Utf8);
  ComponentInstance inst;
  LiftLowerContext cx(opts, inst);
  std::vector<CoreValue> out;
  auto r = lower_flat(cx, Val::string("abc"), *str(), out);
  EXPECT_TRUE(Traps(r, "string content out-of-bounds"));
  EXPECT_TRUE(Traps(r, "realloc return: beyond end of memory"));
  g.forced_result = 1;
  CanonicalOptions o16 = g.options(StringEncoding::Utf16);
  LiftLowerContext cx16(o16, inst);
  EXPECT_TRUE(Traps(lower_flat(cx16, Val::string("abc"), *str(), out), "unaligned pointer"));
  EXPECT_TRUE(Traps(lower_flat(cx16, Val::string("abc"), *str(), out),
                    "realloc return: result not aligned"));
  // utf8 destinations have alignment 1: an odd pointer is fine.
  LiftLowerContext cx8(opts, inst);
  EXPECT_TRUE(lower_flat(cx8, Val::string("abc"), *str(), out).ok());
}

TEST(Strings, MemoryThatMovesOnReallocIsRefetched) {
  FakeGuest g(64);
  g.grow_on_alloc = 4096;  // every realloc reallocates the vector's buffer
  Lowered l = lower_string(g, StringEncoding::Latin1Utf16, Val::string("ab" + kSnowman));
  EXPECT_EQ(g.calls.size(), 3u);
  auto back = lift_string(g, StringEncoding::Latin1Utf16, l.ptr, l.units);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->str, "ab" + kSnowman);
}

TEST(Strings, HostStringsMustBeUtf8) {
  FakeGuest g;
  CanonicalOptions opts = g.options();
  ComponentInstance inst;
  LiftLowerContext cx(opts, inst);
  std::vector<CoreValue> out;
  auto r = lower_flat(cx, Val::string("\xff"), *str(), out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Usage);
  EXPECT_TRUE(g.calls.empty());
}

}  // namespace
}  // namespace weft::component::abi
