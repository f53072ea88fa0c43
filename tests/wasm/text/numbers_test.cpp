// Numeric literals: integer ranges and underscores, float rounding, NaN payloads.
#include <gtest/gtest.h>

#include "wasm/text/numbers.h"

namespace weft::text {
namespace {

uint32_t i32(const char* s) {
  uint32_t v = 0xDEADBEEF;
  EXPECT_TRUE(parse_i32(s, &v)) << s;
  return v;
}
uint64_t i64(const char* s) {
  uint64_t v = 0xDEADBEEF;
  EXPECT_TRUE(parse_i64(s, &v)) << s;
  return v;
}
uint32_t f32(const char* s) {
  uint32_t v = 0xDEADBEEF;
  EXPECT_TRUE(parse_f32(s, &v)) << s;
  return v;
}
uint64_t f64(const char* s) {
  uint64_t v = 0xDEADBEEF;
  EXPECT_TRUE(parse_f64(s, &v)) << s;
  return v;
}
bool bad_i32(const char* s) {
  uint32_t v;
  return !parse_i32(s, &v);
}
bool bad_f32(const char* s) {
  uint32_t v;
  return !parse_f32(s, &v);
}
bool bad_f64(const char* s) {
  uint64_t v;
  return !parse_f64(s, &v);
}

TEST(Numbers, Integers) {
  EXPECT_EQ(i32("0"), 0u);
  EXPECT_EQ(i32("0xffffffff"), 0xFFFFFFFFu);
  EXPECT_EQ(i32("4294967295"), 0xFFFFFFFFu);
  EXPECT_EQ(i32("-0x80000000"), 0x80000000u);
  EXPECT_EQ(i32("-1"), 0xFFFFFFFFu);
  EXPECT_EQ(i32("+0x7fffffff"), 0x7FFFFFFFu);
  EXPECT_EQ(i32("1_000_000"), 1000000u);
  EXPECT_EQ(i32("0xAb_cD"), 0xABCDu);
  EXPECT_TRUE(bad_i32("4294967296"));
  EXPECT_TRUE(bad_i32("-2147483649"));
  EXPECT_TRUE(bad_i32("+0x80000000"));
  EXPECT_TRUE(bad_i32("1__0"));
  EXPECT_TRUE(bad_i32("_1"));
  EXPECT_TRUE(bad_i32("1_"));
  EXPECT_TRUE(bad_i32("0x"));
  EXPECT_TRUE(bad_i32("0x_1"));
  EXPECT_TRUE(bad_i32(""));
  EXPECT_TRUE(bad_i32("-"));
  EXPECT_TRUE(bad_i32("1a"));
  EXPECT_TRUE(bad_i32("0X1"));
  EXPECT_EQ(i64("-9223372036854775808"), 0x8000000000000000u);
  EXPECT_EQ(i64("18446744073709551615"), ~uint64_t{0});
  EXPECT_EQ(i64("0xffff_ffff_ffff_ffff"), ~uint64_t{0});
  uint64_t v;
  EXPECT_FALSE(parse_i64("18446744073709551616", &v));
  EXPECT_FALSE(parse_i64("0x1_0000_0000_0000_0000", &v));
  EXPECT_FALSE(parse_i64("-9223372036854775809", &v));
  uint32_t u;
  EXPECT_FALSE(parse_u32("-1", &u));
  EXPECT_FALSE(parse_u32("+1", &u));
  EXPECT_TRUE(parse_u32("0x1_0", &u));
  EXPECT_EQ(u, 16u);
}

TEST(Numbers, FloatSpecials) {
  EXPECT_EQ(f32("-0"), 0x80000000u);
  EXPECT_EQ(f32("+0.0"), 0u);
  EXPECT_EQ(f64("-0x0p0"), 0x8000000000000000u);
  EXPECT_EQ(f32("inf"), 0x7F800000u);
  EXPECT_EQ(f32("-inf"), 0xFF800000u);
  EXPECT_EQ(f64("+inf"), 0x7FF0000000000000u);
  EXPECT_EQ(f32("nan"), 0x7FC00000u);
  EXPECT_EQ(f32("-nan"), 0xFFC00000u);
  EXPECT_EQ(f64("nan"), 0x7FF8000000000000u);
  EXPECT_EQ(f32("nan:0x1"), 0x7F800001u);
  EXPECT_EQ(f32("-nan:0x7f_ffff"), 0xFFFFFFFFu);
  EXPECT_EQ(f64("nan:0xfffffffffffff"), 0x7FFFFFFFFFFFFFFFu);
  EXPECT_EQ(f64("nan:0x4000000000000"), 0x7FF4000000000000u);
  EXPECT_TRUE(bad_f32("nan:0x0"));
  EXPECT_TRUE(bad_f32("nan:0x800000"));
  EXPECT_TRUE(bad_f64("nan:0x10000000000000"));
  EXPECT_TRUE(bad_f32("nan:1"));
  EXPECT_TRUE(bad_f32("infinity"));
  EXPECT_TRUE(bad_f32("NaN"));
}

TEST(Numbers, FloatSyntax) {
  EXPECT_EQ(f32("1"), 0x3F800000u);
  EXPECT_EQ(f32("1."), 0x3F800000u);
  EXPECT_EQ(f32("1.e0"), 0x3F800000u);
  EXPECT_EQ(f32("1_0.0_0e0_1"), 0x42C80000u);  // 100
  EXPECT_EQ(f32("0x1p3"), 0x41000000u);
  EXPECT_EQ(f32("0x1.8p3"), 0x41400000u);  // 12
  EXPECT_EQ(f32("0x1.P1"), 0x40000000u);
  EXPECT_EQ(f32("0x1_0p-4"), 0x3F800000u);
  EXPECT_TRUE(bad_f32("1._5"));
  EXPECT_TRUE(bad_f32("1e+_5"));
  EXPECT_TRUE(bad_f32(".5"));
  EXPECT_TRUE(bad_f32("0x.8"));
  EXPECT_TRUE(bad_f32("1e"));
  EXPECT_EQ(f32("0x1e"), 0x41F00000u);  // e is a hex digit: 30
}

TEST(Numbers, FloatRounding) {
  // Hex: ties go to even, bits beyond the mantissa are sticky.
  EXPECT_EQ(f32("0x1.000001p0"), 0x3F800000u);
  EXPECT_EQ(f32("0x1.000003p0"), 0x3F800002u);
  EXPECT_EQ(f32("0x1.00000100000000000000000000000001p0"), 0x3F800001u);
  EXPECT_EQ(f32("0x1.fffffep127"), 0x7F7FFFFFu);
  EXPECT_TRUE(bad_f32("0x1.ffffffp127"));  // rounds to infinity
  EXPECT_TRUE(bad_f32("0x1p128"));
  EXPECT_EQ(f32("0x1p-149"), 0x00000001u);
  EXPECT_EQ(f32("0x1p-150"), 0x00000000u);  // tie, to even (zero)
  EXPECT_EQ(f32("0x1.8p-150"), 0x00000001u);
  EXPECT_EQ(f64("0x1.00000000000008p0"), 0x3FF0000000000000u);
  EXPECT_EQ(f64("0x1.00000000000018p0"), 0x3FF0000000000002u);
  EXPECT_EQ(f64("0x1p-1074"), 1u);
  EXPECT_TRUE(bad_f64("0x1p1024"));
  // Decimal: correctly rounded straight to f32 (no double rounding).
  EXPECT_EQ(f32("16777217"), 0x4B800000u);
  EXPECT_EQ(f32("16777219"), 0x4B800002u);
  EXPECT_EQ(f32("1.00000005960464477539062500000000000001"), 0x3F800001u);
  EXPECT_EQ(f32("1.000000059604644775390625"), 0x3F800000u);
  EXPECT_EQ(f32("3.4028234663852886e38"), 0x7F7FFFFFu);
  EXPECT_TRUE(bad_f32("1e39"));
  EXPECT_TRUE(bad_f64("1e309"));
  EXPECT_EQ(f64("0.1"), 0x3FB999999999999Au);
  EXPECT_EQ(f64("1e-400"), 0u);
}

}  // namespace
}  // namespace weft::text
