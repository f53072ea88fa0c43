// Lexer edge cases, module encoding against bytes from wat2wasm, script
// commands, and robustness on hostile input.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "wasm/text/sexpr.h"
#include "wasm/text/wat.h"

namespace weft::text {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes wasm(std::string_view text) {
  auto r = wat_to_wasm(text, "t.wat");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : Bytes{};
}

std::string error_of(std::string_view text) {
  auto r = wat_to_wasm(text, "t.wat");
  return r.ok() ? "<ok>" : r.error().message;
}

TEST(Lexer, CommentsAndStrings) {
  auto r = read_sexprs(
      "(; a (; nested ;) block ;) (a ;; line\n \"\\n\\t\\\\\\'\\\"\\41\\u{1F600}\\u{4_1}\" $x)",
      "f");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  const Node& list = (*r)[0];
  ASSERT_EQ(list.items.size(), 3u);
  EXPECT_TRUE(list.items[0].is_keyword("a"));
  EXPECT_EQ(list.items[1].kind, AtomKind::String);
  EXPECT_EQ(list.items[1].str,
            "\n\t\\'\"A\xF0\x9F\x98\x80"
            "A");
  EXPECT_EQ(list.items[1].line, 2u);
  EXPECT_EQ(list.items[1].col, 2u);
  EXPECT_TRUE(list.items[2].is_atom(AtomKind::Id));
}

TEST(Lexer, Errors) {
  for (const char* bad : {"(; unterminated", "(a", "a)", "\"abc", "\"\\q\"", "\"\\u{D800}\"",
                          "\"\\u{110000}\"", "\"\\u{}\"", "\"\\4\"", "\"a\"\"b\"", "a\"b\"",
                          "\"\xC0\x80\"", "\"\xFF\"", "[", "(a ;bad)", "\"tab\there\""}) {
    EXPECT_FALSE(read_sexprs(bad, "f").ok()) << bad;
  }
}

TEST(Lexer, ErrorPosition) {
  auto r = read_sexprs("(module\n  (func \"\\q\"))", "dir/x.wat");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Malformed);
  EXPECT_EQ(r.error().message.rfind("dir/x.wat:2:", 0), 0u) << r.error().message;
}

TEST(Lexer, NestingIsBounded) {
  const std::string ok = std::string(kMaxDepth, '(') + std::string(kMaxDepth, ')');
  EXPECT_TRUE(read_sexprs(ok, "f").ok());
  const std::string deep = std::string(kMaxDepth + 1, '(') + std::string(kMaxDepth + 1, ')');
  EXPECT_FALSE(read_sexprs(deep, "f").ok());
  const std::string huge(1000000, '(');
  EXPECT_FALSE(read_sexprs(huge, "f").ok());
  EXPECT_FALSE(wat_to_wasm(huge, "f").ok());
}

TEST(Wat, Locals) {
  EXPECT_EQ(wasm(R"((module (func (export "f") (param $x i32) (result i32)
                      (local $y i64) (local f32 f32) local.get $x)))"),
            (Bytes{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01,
                   0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00,
                   0x00, 0x0a, 0x0a, 0x01, 0x08, 0x02, 0x01, 0x7e, 0x02, 0x7d, 0x20, 0x00, 0x0b}));
}

TEST(Wat, TableOpsWithDefaultIndex) {
  // wabt 1.0.32 cannot parse (table.get (local.get 0)) without an index.
  const Bytes expected = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60,
                          0x01, 0x7f, 0x01, 0x70, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x03, 0x02, 0x00,
                          0x01, 0x04, 0x04, 0x01, 0x70, 0x00, 0x02, 0x09, 0x07, 0x01, 0x00, 0x41,
                          0x01, 0x0b, 0x01, 0x00, 0x0a, 0x0e, 0x02, 0x06, 0x00, 0x20, 0x00, 0x25,
                          0x00, 0x0b, 0x05, 0x00, 0xfc, 0x10, 0x00, 0x0b};
  EXPECT_EQ(wasm(R"((module (table $t 2 funcref)
      (func $g (param i32) (result funcref) (table.get (local.get 0)))
      (func (result i32) (table.size))
      (elem (table $t) (i32.const 1) func $g)))"),
            expected);
  // Module fields without the (module) wrapper, plain instructions.
  EXPECT_EQ(wasm(R"((table $t 2 funcref)
      (func $g (param i32) (result funcref) local.get 0 table.get $t)
      (func (result i32) table.size 0)
      (elem (table $t) (offset i32.const 1) $g))"),
            expected);
}

TEST(Wat, ImplicitTypesInOrderOfUse) {
  EXPECT_EQ(
      wasm(R"((module (type (func (param i64)))
      (func (call_indirect (param i32) (result i32) (i32.const 0) (i32.const 1)) drop)
      (func (result i64 i64) (block $l (param i32) (result i64 i64)
          (br $l (i64.const 0) (i64.const 1))) (i32.const 0))
      (table 1 funcref) (memory 1) (data (i32.const 0) "hi")
      (func (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 0)))))"),
      (Bytes{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x18, 0x05, 0x60, 0x01, 0x7e,
             0x00, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x02, 0x7e, 0x7e,
             0x60, 0x01, 0x7f, 0x02, 0x7e, 0x7e, 0x03, 0x04, 0x03, 0x01, 0x03, 0x01, 0x04, 0x04,
             0x01, 0x70, 0x00, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01, 0x0c, 0x01, 0x01, 0x0a, 0x27,
             0x03, 0x0a, 0x00, 0x41, 0x00, 0x41, 0x01, 0x11, 0x02, 0x00, 0x1a, 0x0b, 0x0d, 0x00,
             0x02, 0x04, 0x42, 0x00, 0x42, 0x01, 0x0c, 0x00, 0x0b, 0x41, 0x00, 0x0b, 0x0c, 0x00,
             0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x00, 0x00, 0x0b, 0x0b, 0x08, 0x01,
             0x00, 0x41, 0x00, 0x0b, 0x02, 0x68, 0x69}));
}

TEST(Wat, BinaryAndQuoteModules) {
  EXPECT_EQ(wasm(R"((module $m binary "\00asm" "\01\00\00\00"))"),
            (Bytes{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}));
  EXPECT_EQ(wasm(R"w((module quote "(func" ")"))w"), wasm("(module (func))"));
}

TEST(Wat, MalformedModules) {
  EXPECT_NE(error_of("(module (func (br $nowhere)))").find("unknown label"), std::string::npos);
  EXPECT_NE(error_of("(module (func) (import \"m\" \"f\" (func)))").find("imports must occur"),
            std::string::npos);
  EXPECT_NE(error_of("(module (func $f) (func $f))").find("duplicate func"), std::string::npos);
  EXPECT_NE(error_of("(module (func i32.lod))").find("unknown operator"), std::string::npos);
  EXPECT_NE(error_of("(module (func block $a end $b))").find("mismatching label"),
            std::string::npos);
  EXPECT_NE(error_of("(module (type $t (func)) (func (type $t) (param i32)))")
                .find("inline function type"),
            std::string::npos);
  EXPECT_EQ(error_of("(module (func (i32.const 0x1_0000_0000)))").rfind("t.wat:1:", 0), 0u);
  EXPECT_FALSE(wat_to_wasm("(module (func end))", "t").ok());
  EXPECT_FALSE(wat_to_wasm("(module (func (block nop else)))", "t").ok());
  EXPECT_FALSE(wat_to_wasm("(module (func (i32.load align=3 (i32.const 0))))", "t").ok());
  EXPECT_FALSE(wat_to_wasm("(module (export \"\\ff\" (func 0)) (func))", "t").ok());
}

TEST(Wat, PlainBlockNestingIsBounded) {
  std::string deep = "(module (func";
  for (int i = 0; i < 100000; ++i) deep += " block";
  deep += "))";
  EXPECT_FALSE(wat_to_wasm(deep, "t").ok());
  // The deepest folded nesting the reader allows, with plain blocks inside:
  // a clean result either way (this runs under ASan in CI).
  std::string mixed = "(module (func";
  for (int i = 0; i < kMaxDepth - 2; ++i) mixed += " (block";
  for (int i = 0; i < 3000; ++i) mixed += " block";
  for (int i = 0; i < 3000; ++i) mixed += " end";
  for (int i = 0; i < kMaxDepth - 2; ++i) mixed += ")";
  mixed += "))";
  EXPECT_FALSE(wat_to_wasm(mixed, "t").ok());
  std::string operands = "(module (func (result i32)";
  for (int i = 0; i < kMaxDepth - 3; ++i) operands += " (i32.eqz";
  operands += " (i32.const 0)";
  for (int i = 0; i < kMaxDepth - 3; ++i) operands += ")";
  operands += "))";
  EXPECT_TRUE(wat_to_wasm(operands, "t").ok());
}

TEST(Wast, Commands) {
  auto r = parse_wast(R"w((module $M (func (export "f") (param i32) (result i32) local.get 0))
(register "m" $M)
(assert_return (invoke $M "f" (i32.const -1)) (i32.const -1))
(assert_return (invoke "g" (f32.const nan:0x200000) (ref.null extern) (ref.extern 3))
  (f32.const nan:canonical) (f64.const nan:arithmetic) (ref.null func) (ref.extern 7) (ref.func))
(assert_trap (invoke "t") "unreachable")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(assert_exhaustion (invoke "loop") "call stack exhausted")
(assert_malformed (module quote "(func" " i32.bogus)") "unknown operator")
(assert_malformed (module (func i32.bogus)) "unknown operator")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_unlinkable (module (import "m" "x" (func))) "unknown import")
(get "glob")
)w",
                      "s.wast");
  ASSERT_TRUE(r.ok()) << r.error().message;
  using K = wast::Command::Kind;
  const auto& c = r->commands;
  ASSERT_EQ(c.size(), 12u);
  EXPECT_EQ(c[0].kind, K::Module);
  EXPECT_EQ(c[0].name, "$M");
  EXPECT_EQ(c[0].module.kind, wast::ModuleSource::Kind::Binary);
  EXPECT_EQ(c[1].kind, K::Register);
  EXPECT_EQ(c[1].as, "m");
  EXPECT_EQ(c[1].name, "$M");
  EXPECT_EQ(c[2].kind, K::AssertReturn);
  EXPECT_EQ(c[2].line, 3u);
  EXPECT_EQ(c[2].action.module, "$M");
  EXPECT_EQ(c[2].action.args[0].bits, 0xFFFFFFFFu);
  EXPECT_EQ(c[2].expected[0].kind, wast::Expected::Kind::Exact);
  ASSERT_EQ(c[3].action.args.size(), 3u);
  EXPECT_EQ(c[3].action.args[0].bits, 0x7FA00000u);
  EXPECT_EQ(c[3].action.args[1].type, ValType::ExternRef);
  EXPECT_EQ(c[3].action.args[1].bits, 0u);
  EXPECT_EQ(c[3].action.args[2].bits, 4u);
  ASSERT_EQ(c[3].expected.size(), 5u);
  EXPECT_EQ(c[3].expected[0].kind, wast::Expected::Kind::CanonicalNan);
  EXPECT_EQ(c[3].expected[0].value.type, ValType::F32);
  EXPECT_EQ(c[3].expected[1].kind, wast::Expected::Kind::ArithmeticNan);
  EXPECT_EQ(c[3].expected[1].value.type, ValType::F64);
  EXPECT_EQ(c[3].expected[2].kind, wast::Expected::Kind::RefNull);
  EXPECT_EQ(c[3].expected[2].value.type, ValType::FuncRef);
  EXPECT_EQ(c[3].expected[3].kind, wast::Expected::Kind::RefExtern);
  EXPECT_EQ(c[3].expected[3].value.bits, 8u);
  EXPECT_EQ(c[3].expected[4].kind, wast::Expected::Kind::RefNonNull);
  EXPECT_EQ(c[4].kind, K::AssertTrap);
  EXPECT_EQ(c[4].text, "unreachable");
  EXPECT_EQ(c[5].kind, K::AssertUninstantiable);
  EXPECT_EQ(c[5].module.kind, wast::ModuleSource::Kind::Binary);
  EXPECT_EQ(c[6].kind, K::AssertExhaustion);
  EXPECT_EQ(c[7].kind, K::AssertMalformed);
  EXPECT_EQ(c[7].module.kind, wast::ModuleSource::Kind::Quote);
  EXPECT_EQ(c[7].module.text, "(func i32.bogus)");
  EXPECT_EQ(c[8].module.kind, wast::ModuleSource::Kind::Quote);
  EXPECT_FALSE(wat_to_wasm(c[8].module.text, "q").ok());
  EXPECT_EQ(c[9].kind, K::AssertInvalid);
  EXPECT_EQ(c[9].module.kind, wast::ModuleSource::Kind::Binary);
  EXPECT_EQ(c[10].kind, K::AssertUnlinkable);
  EXPECT_EQ(c[11].kind, K::Action);
  EXPECT_EQ(c[11].action.kind, wast::Action::Kind::Get);
  EXPECT_STREQ(wast::to_string(K::AssertUninstantiable), "assert_uninstantiable");
}

TEST(Wast, InvalidTextModuleIsAnError) {
  EXPECT_FALSE(parse_wast("(assert_invalid (module (func br $x)) \"unknown label\")", "s").ok());
  EXPECT_FALSE(parse_wast("(module (func br $x))", "s").ok());
  EXPECT_FALSE(parse_wast("(bogus)", "s").ok());
}

// Mutated and truncated inputs must give a result, never a crash or a hang.
TEST(Wast, HostileInputs) {
  const std::string seed = R"w((module $M (type $t (func (param i32) (result i32)))
  (import "spectest" "print" (func (param i32)))
  (table $tab 2 funcref) (memory 1 2) (global $g (mut i32) (i32.const 0))
  (func $f (export "f") (type $t) (local i64)
    (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))
    block $l (result i32) i32.const 3 br_table $l 0 end drop
    (call_indirect $tab (type $t) (i32.const 0) (i32.const 1)))
  (elem (table $tab) (offset (i32.const 0)) func $f)
  (data (memory 0) (i32.const 0) "a\00b\u{41}"))
(assert_return (invoke "f" (i32.const 1)) (i32.const 1))
(assert_malformed (module quote "(func (i32.const 0x1p3))") "unknown operator"))w";
  const char kAlphabet[] = "()$\";_ \n0123456789abcxp.-+=:\\{}u";
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text = seed;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % text.size();
      switch (rng() % 4) {
        case 0:
          text[pos] = kAlphabet[rng() % (sizeof kAlphabet - 1)];
          break;
        case 1:
          text.erase(pos, 1 + rng() % 8);
          break;
        case 2:
          text.insert(pos, 1, kAlphabet[rng() % (sizeof kAlphabet - 1)]);
          break;
        case 3:
          text.resize(pos);
          break;
      }
      if (text.empty()) text = "(";
    }
    auto script = parse_wast(text, "fuzz");
    if (script.ok()) {
      for (const auto& cmd : script->commands) {
        if (cmd.module.kind == wast::ModuleSource::Kind::Quote) {
          (void)wat_to_wasm(cmd.module.text, "fuzz");
        }
      }
    }
    (void)wat_to_wasm(text, "fuzz");
  }
}

}  // namespace
}  // namespace weft::text

namespace weft::text {
namespace {

// Block types by index are s33: index 64 is `c0 00`, 8192 is `80 c0 00`.
// The parser must write the multi-byte form, not a value-type byte.
TEST(Encoding, BlockTypeIndexAtLeb128Boundaries) {
  for (uint32_t filler : {63u, 64u, 127u, 128u, 8191u, 8192u}) {
    std::string text = "(module";
    for (uint32_t i = 0; i < filler; ++i) text += " (type (func))";
    text += " (type $bt (func (result i32 i32)))";
    text +=
        " (func (export \"f\") (result i32) (block (type $bt) (i32.const 7) (i32.const 35)) "
        "i32.add))";
    Bytes bytes = wasm(text);
    ASSERT_FALSE(bytes.empty()) << filler;
    Bytes s33;
    for (int64_t v = filler;;) {
      const uint8_t b = v & 0x7F;
      v >>= 7;
      const bool done = v == 0 && !(b & 0x40);
      s33.push_back(done ? b : static_cast<uint8_t>(b | 0x80));
      if (done) break;
    }
    // `block` (0x02) followed by the s33, then i32.const 7.
    Bytes needle = {0x02};
    needle.insert(needle.end(), s33.begin(), s33.end());
    needle.insert(needle.end(), {0x41, 0x07});
    EXPECT_NE(std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end()), bytes.end())
        << "type index " << filler;
  }
}

}  // namespace
}  // namespace weft::text
