// WAVE text for component values (weft/component_value.h): what
// `weft run --invoke` reads and prints, in Wasmtime's syntax.
#include <gtest/gtest.h>

#include "weft/component_value.h"

namespace weft::component {
namespace {

ValTypePtr prim(ValKind k) { return ValType::prim(k); }
ValTypePtr make(ValType t) { return std::make_shared<const ValType>(std::move(t)); }
ValTypePtr list_of(ValTypePtr e) {
  ValType t;
  t.kind = ValKind::List;
  t.element = std::move(e);
  return make(std::move(t));
}
ValTypePtr option_of(ValTypePtr e) {
  ValType t;
  t.kind = ValKind::Option;
  t.element = std::move(e);
  return make(std::move(t));
}

// Parses `text` as `t`, prints it back, and expects `printed` (default: the same text).
void round_trip(const ValTypePtr& t, const std::string& text, const std::string& printed = "") {
  SCOPED_TRACE(to_string(*t) + " " + text);
  auto v = parse_wave(text, *t);
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(to_wave(*v, *t), printed.empty() ? text : printed);
}

TEST(Wave, Scalars) {
  round_trip(prim(ValKind::Bool), "true");
  round_trip(prim(ValKind::S8), "-128");
  round_trip(prim(ValKind::U64), "18446744073709551615");
  round_trip(prim(ValKind::S64), "-9223372036854775808");
  round_trip(prim(ValKind::F64), "1.5");
  round_trip(prim(ValKind::F64), "3", "3.0");
  round_trip(prim(ValKind::F32), "0.1");
  round_trip(prim(ValKind::F64), "-inf");
  round_trip(prim(ValKind::F64), "nan");
  round_trip(prim(ValKind::Char), "'x'");
  round_trip(prim(ValKind::Char), "'\\''");
  round_trip(prim(ValKind::Char), "'\\u{1f600}'", "'\xF0\x9F\x98\x80'");
  round_trip(prim(ValKind::String), "\"a\\nb \\\"q\\\" \xE2\x9C\x93\"");
  round_trip(prim(ValKind::String), "\"\\u{7}\"");
}

TEST(Wave, Compounds) {
  round_trip(list_of(prim(ValKind::U8)), "[1, 2, 255]");
  round_trip(list_of(prim(ValKind::U8)), "[ 1 ,2, ]", "[1, 2]");
  round_trip(list_of(prim(ValKind::String)), "[]");
  ValType tuple;
  tuple.kind = ValKind::Tuple;
  tuple.fields = {{"", prim(ValKind::U32)}, {"", prim(ValKind::String)}};
  round_trip(make(tuple), "(1, \"a\")");
  ValType record;
  record.kind = ValKind::Record;
  record.fields = {{"x", prim(ValKind::U32)}, {"maybe", option_of(prim(ValKind::U32))}};
  round_trip(make(record), "{x: 1, maybe: some(2)}");
  // An option field may be left out, and fields come in any order.
  round_trip(make(record), "{x: 1}", "{x: 1, maybe: none}");
  round_trip(make(record), "{maybe: none, x: 3}", "{x: 3, maybe: none}");
  ValType variant;
  variant.kind = ValKind::Variant;
  variant.cases = {{"circle", prim(ValKind::F64)}, {"none", nullptr}};
  round_trip(make(variant), "circle(2.5)");
  // A label that is a keyword is escaped with `%`.
  round_trip(make(variant), "%none");
  ValType enumeration;
  enumeration.kind = ValKind::Enum;
  enumeration.labels = {"red", "green"};
  round_trip(make(enumeration), "green");
  ValType result;
  result.kind = ValKind::Result;
  result.element = prim(ValKind::U32);
  round_trip(make(result), "ok(7)");
  round_trip(make(result), "err");
  ValType flags;
  flags.kind = ValKind::Flags;
  flags.labels = {"read", "write", "exec"};
  round_trip(make(flags), "{exec, read}", "{read, exec}");
  round_trip(make(flags), "{}");
}

TEST(Wave, PackedByteListsPrintAsLists) {
  EXPECT_EQ(to_wave(Val::bytes("\x01\xff"), *list_of(prim(ValKind::U8))), "[1, 255]");
}

TEST(Wave, BadTextNamesTheOffset) {
  struct Case {
    ValTypePtr type;
    const char* text;
    const char* message;
  };
  ValType record;
  record.kind = ValKind::Record;
  record.fields = {{"x", prim(ValKind::U32)}};
  const Case cases[] = {
      {prim(ValKind::U8), "256", "integer out of range"},
      {prim(ValKind::U8), "-1", "a negative value for an unsigned type"},
      {prim(ValKind::S8), "-129", "integer out of range"},
      {prim(ValKind::U64), "99999999999999999999", "integer out of range"},
      {prim(ValKind::U32), "1 2", "unexpected text after the value"},
      {prim(ValKind::String), "\"open", "unterminated string"},
      {prim(ValKind::String), "\"\\q\"", "unknown escape \\q"},
      {prim(ValKind::Char), "'\\u{d800}'", "not a Unicode scalar value"},
      {prim(ValKind::Bool), "yes", "expected `true` or `false`"},
      {list_of(prim(ValKind::U8)), "[1 2]", "expected `,` or `]`"},
      {make(record), "{x: 1, x: 2}", "field `x` given twice"},
      {make(record), "{}", "missing field `x`"},
      {make(record), "{y: 1}", "no field `y`"},
      {option_of(prim(ValKind::U8)), "some", "needs a payload"},
  };
  for (const Case& c : cases) {
    auto v = parse_wave(c.text, *c.type);
    ASSERT_FALSE(v.ok()) << c.text;
    EXPECT_EQ(v.error().kind, ErrorKind::Usage);
    EXPECT_NE(v.error().message.find(c.message), std::string::npos)
        << c.text << ": " << v.error().message;
    EXPECT_NE(v.error().message.find("offset"), std::string::npos) << v.error().message;
  }
  // Deep nesting is refused, not a stack overflow.
  ValTypePtr deep = prim(ValKind::U8);
  std::string text = "1";
  for (int i = 0; i < 200; ++i) {
    deep = list_of(deep);
    text = "[" + text + "]";
  }
  auto v = parse_wave(text, *deep);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("nested too deeply"), std::string::npos);
}

TEST(Wave, Calls) {
  FuncType ft;
  ft.params = {{"a", prim(ValKind::U32)}, {"b", prim(ValKind::String)}};
  auto lookup = [&](std::string_view name) -> const FuncType* {
    return name == "f" ? &ft : nullptr;
  };
  auto call = parse_wave_call("f(1, \"x\")", lookup);
  ASSERT_TRUE(call.ok()) << call.error().to_string();
  EXPECT_EQ(call->name, "f");
  ASSERT_EQ(call->args.size(), 2u);
  EXPECT_EQ(call->args[0], Val::u32(1));
  EXPECT_EQ(call->args[1], Val::string("x"));
  EXPECT_FALSE(parse_wave_call("g()", lookup).ok());
  EXPECT_FALSE(parse_wave_call("f(1)", lookup).ok());
  EXPECT_FALSE(parse_wave_call("f(1, \"x\", 2)", lookup).ok());
  EXPECT_FALSE(parse_wave_call("f(1, \"x\"", lookup).ok());
  EXPECT_FALSE(parse_wave_call("f", lookup).ok());
}

}  // namespace
}  // namespace weft::component
