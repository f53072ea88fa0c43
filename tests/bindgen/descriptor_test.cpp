// The descriptor decoder against each wasm-bindgen release family's
// numbering: the same Rust signatures, as each family encodes them.
#include "bindgen/descriptor.h"

#include <gtest/gtest.h>

namespace weft::bindgen {
namespace {

std::string decode(std::string_view version, std::vector<uint32_t> codes) {
  auto table = tag_table_for(version);
  if (!table) return "no table";
  auto fn = decode_function(codes, *table);
  return fn ? to_string(*fn) : fn.error().message;
}

TEST(BindgenDescriptor, StringToStringInEveryFamily) {
  EXPECT_EQ(decode("0.2.83", {11, 0, 1, 15, 14, 14, 14}), "fn(&str) -> String");
  EXPECT_EQ(decode("0.2.90", {11, 0, 1, 15, 14, 14, 14}), "fn(&str) -> String");
  EXPECT_EQ(decode("0.2.100", {13, 0, 1, 17, 16, 16, 16}), "fn(&str) -> String");
  EXPECT_EQ(decode("0.2.120", {15, 0, 1, 19, 18, 18, 18}), "fn(&str) -> String");
}

TEST(BindgenDescriptor, ResultInEveryFamily) {
  const std::string want = "fn(&str) -> Result<String, JsValue>";
  EXPECT_EQ(decode("0.2.83", {11, 0, 1, 15, 14, 25, 14, 25, 14}), want);
  EXPECT_EQ(decode("0.2.84", {11, 0, 1, 15, 14, 26, 14, 26, 14}), want);
  EXPECT_EQ(decode("0.2.92", {11, 0, 1, 15, 14, 26, 14, 26, 14}), want);
  EXPECT_EQ(decode("0.2.93", {11, 0, 1, 15, 14, 27, 14, 27, 14}), want);
  EXPECT_EQ(decode("0.2.96", {13, 0, 1, 17, 16, 29, 16, 29, 16}), want);
  EXPECT_EQ(decode("0.2.119", {15, 0, 1, 19, 18, 32, 18, 32, 18}), want);
}

TEST(BindgenDescriptor, NumbersOptionsAndNames) {
  // fn(u32, Option<f64>, bool, char, MyStruct) -> ()   (0.2.83)
  EXPECT_EQ(decode("0.2.83", {11, 0, 5, 5, 24, 9, 10, 23, 22, 2, 'M', 'y', 26, 26}),
            "fn(u32, Option<f64>, bool, char, My)");
  // An enum is named from 0.2.88 on: ENUM, name, hole.
  EXPECT_EQ(decode("0.2.88", {11, 0, 1, 22, 1, 'E', 3, 27, 27}), "fn(enum)");
  EXPECT_EQ(decode("0.2.83", {11, 0, 1, 21, 3, 26, 26}), "fn(enum)");
}

TEST(BindgenDescriptor, HostileStreams) {
  EXPECT_EQ(decode("0.2.83", {}), "descriptor truncated after 0 codes (expected a type)");
  EXPECT_EQ(decode("0.2.83", {14}), "code 0: expected FUNCTION, found STRING");
  EXPECT_EQ(decode("0.2.83", {11, 0, 1, 28}), "code 3: unknown type tag 28 (wasm-bindgen 0.2.83)");
  EXPECT_EQ(decode("0.2.83", {11, 0, 4000000000u}),
            "code 2: 4000000000 arguments, more than the descriptor holds");
  EXPECT_EQ(decode("0.2.83", {11, 0, 0, 26, 26, 26}),
            "code 5: 1 codes after the function's descriptor");
  // A name longer than the stream, and one that is not Unicode.
  EXPECT_NE(decode("0.2.83", {11, 0, 1, 22, 100, 'a'}).find("longer than the descriptor"),
            std::string::npos);
  EXPECT_NE(decode("0.2.83", {11, 0, 1, 22, 1, 0xD800, 26, 26}).find("not a Unicode scalar"),
            std::string::npos);
  // Nesting is bounded: Option<Option<...>> 1000 deep.
  std::vector<uint32_t> deep{11, 0, 1};
  for (int i = 0; i < 1000; ++i) deep.push_back(24);
  deep.push_back(5);
  EXPECT_NE(decode("0.2.83", deep).find("nested deeper than 64"), std::string::npos);
}

TEST(BindgenDescriptor, Versions) {
  EXPECT_FALSE(tag_table_for("1.0.0"));
  EXPECT_FALSE(tag_table_for("0.2.x"));
  EXPECT_EQ(tag_table_for("0.2.83")->versions, "0.2.83");
  EXPECT_EQ(tag_table_for("0.2.100")->versions, "0.2.96-0.2.118");
}

}  // namespace
}  // namespace weft::bindgen
