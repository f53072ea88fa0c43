// LEB128 and primitive reads of the shared byte reader.
#include "wasm/binary/reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace weft::wasm {
namespace {

using Bytes = std::vector<uint8_t>;

template <class T>
std::string error_of(const Result<T>& r) {
  return r.ok() ? std::string("<ok>") : r.error().message;
}

TEST(ReaderTest, U32Values) {
  struct Case {
    Bytes bytes;
    uint32_t value;
  } cases[] = {
      {{0x00}, 0},
      {{0x7F}, 127},
      {{0x80, 0x01}, 128},
      {{0xE5, 0x8E, 0x26}, 624485},
      {{0x80, 0x00}, 0},                    // non-minimal is allowed
      {{0x82, 0x80, 0x80, 0x80, 0x00}, 2},  // five bytes, non-minimal
      {{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 0xFFFFFFFFu},
  };
  for (const Case& c : cases) {
    Reader r(c.bytes);
    auto v = r.read_u32();
    ASSERT_TRUE(v.ok()) << error_of(v);
    EXPECT_EQ(*v, c.value);
    EXPECT_TRUE(r.at_end());
  }
}

TEST(ReaderTest, U32Errors) {
  {
    Bytes b = {0xFF, 0xFF, 0xFF, 0xFF, 0x1F};  // a 33rd bit
    Reader r(b);
    auto v = r.read_u32();
    EXPECT_EQ(error_of(v), "integer too large");
    EXPECT_EQ(v.error().offset, 4u);
  }
  {
    Bytes b = {0xFF, 0xFF, 0xFF, 0xFF, 0x70};  // unused bits set
    Reader r(b);
    EXPECT_EQ(error_of(r.read_u32()), "integer too large");
  }
  {
    Bytes b = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};  // six bytes
    Reader r(b);
    auto v = r.read_u32();
    EXPECT_EQ(error_of(v), "integer representation too long");
    EXPECT_EQ(v.error().offset, 5u);
  }
  {
    Bytes b = {0x80, 0x80};  // truncated
    Reader r(b, Reader::kUnexpectedEnd);
    auto v = r.read_u32();
    EXPECT_EQ(error_of(v), "unexpected end");
    EXPECT_EQ(v.error().offset, 2u);
    EXPECT_EQ(v.error().kind, ErrorKind::Malformed);
  }
}

TEST(ReaderTest, S32) {
  struct Case {
    Bytes bytes;
    int32_t value;
  } cases[] = {
      {{0x00}, 0},
      {{0x7F}, -1},
      {{0x3F}, 63},
      {{0x40}, -64},
      {{0x80, 0x7F}, -128},
      {{0xFF, 0x7F}, -1},  // non-minimal
      {{0xFF, 0xFF, 0xFF, 0xFF, 0x07}, std::numeric_limits<int32_t>::max()},
      {{0x80, 0x80, 0x80, 0x80, 0x78}, std::numeric_limits<int32_t>::min()},
      {{0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, -1},
  };
  for (const Case& c : cases) {
    Reader r(c.bytes);
    auto v = r.read_s32();
    ASSERT_TRUE(v.ok()) << error_of(v);
    EXPECT_EQ(*v, c.value);
  }
  for (Bytes bad : {Bytes{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, Bytes{0x80, 0x80, 0x80, 0x80, 0x70},
                    Bytes{0x80, 0x80, 0x80, 0x80, 0x08}}) {
    Reader r(bad);
    EXPECT_EQ(error_of(r.read_s32()), "integer too large");
  }
  Bytes too_long = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
  Reader r(too_long);
  EXPECT_EQ(error_of(r.read_s32()), "integer representation too long");
}

TEST(ReaderTest, S33BlockTypes) {
  struct Case {
    Bytes bytes;
    int64_t value;
  } cases[] = {
      {{0x40}, -64},                                   // empty block type
      {{0x7F}, -1},                                    // i32
      {{0x00}, 0},                                     // type index 0
      {{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 0xFFFFFFFFll},  // largest type index
      {{0x80, 0x80, 0x80, 0x80, 0x70}, -(1ll << 32)},  // smallest s33
  };
  for (const Case& c : cases) {
    Reader r(c.bytes);
    auto v = r.read_s33();
    ASSERT_TRUE(v.ok()) << error_of(v);
    EXPECT_EQ(*v, c.value);
  }
  Bytes bad = {0xFF, 0xFF, 0xFF, 0xFF, 0x1F};
  Reader r(bad);
  EXPECT_EQ(error_of(r.read_s33()), "integer too large");
}

TEST(ReaderTest, S64AndU64Extremes) {
  Bytes min = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F};
  Bytes max = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
  Bytes minus_one = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
  {
    Reader r(min);
    auto v = r.read_s64();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, std::numeric_limits<int64_t>::min());
  }
  {
    Reader r(max);
    auto v = r.read_s64();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, std::numeric_limits<int64_t>::max());
  }
  {
    Reader r(minus_one);
    auto v = r.read_s64();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, -1);
  }
  {
    Bytes bad = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    Reader r(bad);
    EXPECT_EQ(error_of(r.read_s64()), "integer too large");
  }
  {
    Bytes bad = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    Reader r(bad);
    EXPECT_EQ(error_of(r.read_s64()), "integer representation too long");
  }
  {
    Bytes umax = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    Reader r(umax);
    auto v = r.read_u64();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, std::numeric_limits<uint64_t>::max());
  }
  {
    Bytes bad = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02};
    Reader r(bad);
    EXPECT_EQ(error_of(r.read_u64()), "integer too large");
  }
}

TEST(ReaderTest, FloatsAreLittleEndianBits) {
  Bytes b = {0x00, 0x00, 0xC0, 0x7F, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x7F};
  Reader r(b);
  auto f = r.read_f32_bits();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, 0x7FC00000u);
  auto d = r.read_f64_bits();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, 0x7FF8000000000001ull);
  EXPECT_FALSE(r.read_f32_bits().ok());
}

TEST(ReaderTest, Names) {
  {
    Bytes b = {0x06, 'h', 0xC3, 0xA9, 'l', 'l', 'o'};
    Reader r(b);
    auto n = r.read_name();
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, "h\xC3\xA9llo");
  }
  for (Bytes bad : {
           Bytes{0x02, 0xC0, 0x80},              // overlong NUL
           Bytes{0x03, 0xED, 0xA0, 0x80},        // surrogate
           Bytes{0x04, 0xF4, 0x90, 0x80, 0x80},  // above U+10FFFF
           Bytes{0x02, 0xE2, 0x82},              // truncated sequence
           Bytes{0x01, 0x80},                    // lone continuation
           Bytes{0x01, 0xFF},
       }) {
    Reader r(bad);
    auto n = r.read_name();
    EXPECT_EQ(error_of(n), "malformed UTF-8 encoding");
    EXPECT_EQ(n.error().offset, 0u);
  }
  Bytes too_long = {0x05, 'a', 'b'};
  Reader r(too_long);
  EXPECT_EQ(error_of(r.read_name()), "length out of bounds");
}

TEST(ReaderTest, LengthsAndCounts) {
  Bytes b = {0x03, 0x01, 0x02};
  {
    Reader r(b);
    EXPECT_EQ(error_of(r.read_length()), "length out of bounds");
  }
  {
    Reader r(b, 0, b.size(), Reader::kUnexpectedEndOfSection);
    EXPECT_EQ(error_of(r.read_count()), "unexpected end of section or function");
  }
  Bytes huge = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
  Reader r(huge);
  EXPECT_FALSE(r.read_count().ok());
}

TEST(ReaderTest, WindowIsRespected) {
  Bytes b = {0x01, 0x02, 0x03, 0x04};
  Reader r(b, 1, 3);
  EXPECT_EQ(r.pos(), 1u);
  EXPECT_EQ(*r.read_u8(), 2);
  EXPECT_EQ(*r.peek_u8(), 3);
  EXPECT_EQ(*r.read_u8(), 3);
  auto past = r.read_u8();
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.error().offset, 3u);
  // An end beyond the buffer is clamped.
  Reader clamped(b, 0, 100);
  EXPECT_EQ(clamped.end(), 4u);
  EXPECT_FALSE(clamped.skip(5).ok());
  EXPECT_TRUE(clamped.skip(4).ok());
}

TEST(ReaderTest, FlagBitAndZeroByte) {
  for (uint8_t ok : {0x00, 0x01}) {
    Bytes b = {ok};
    Reader r(b);
    EXPECT_TRUE(r.read_flag_bit().ok());
  }
  {
    Bytes b = {0x02};
    Reader r(b);
    EXPECT_EQ(error_of(r.read_flag_bit()), "integer too large");
  }
  {
    Bytes b = {0x81, 0x00};
    Reader r(b);
    EXPECT_EQ(error_of(r.read_flag_bit()), "integer representation too long");
  }
  Bytes b = {0x00, 0x01};
  Reader r(b);
  EXPECT_TRUE(r.expect_zero_byte().ok());
  EXPECT_EQ(error_of(r.expect_zero_byte()), "zero byte expected");
}

}  // namespace
}  // namespace weft::wasm
