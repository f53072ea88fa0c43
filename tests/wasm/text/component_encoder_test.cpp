// The component encoder on forms whose expected bytes come from jco parse
// (wasm-tools, custom sections stripped), and on the text errors it reports.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wasm/text/wat.h"

namespace {

std::string hex(const std::vector<uint8_t>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::string encode_hex(const std::string& source) {
  bool is_component = false;
  auto bytes = weft::text::wat_to_wasm(source, "c.wat", &is_component);
  EXPECT_TRUE(bytes.ok()) << (bytes.ok() ? "" : bytes.error().message);
  EXPECT_TRUE(is_component);
  return bytes.ok() ? hex(bytes.value()) : std::string();
}

std::string error_of(const std::string& source) {
  auto bytes = weft::text::wat_to_wasm(source, "c.wat");
  return bytes.ok() ? std::string() : bytes.error().message;
}

struct Case {
  const char* source;
  const char* expected;
};

// Inline exports at the end, inline aliases and types just before their
// user, implicit outer aliases, module types, attributes, resources.
constexpr Case kCases[] = {
    {"(component\n"
     "  (core module $m (func (export \"f\")) (memory (export \"m\") 1))\n"
     "  (core instance $i (instantiate $m))\n"
     "  (func $g (export \"y\") (param \"a\" u32) (result u32) (canon lift (core func $i \"f\") "
     "(memory (core memory $i \"m\")) string-encoding=utf16))\n"
     ")\n",
     "0061736d0d00010001280061736d0100000001040160000003020100050301000107090201660000016d02000a040"
     "102000b02040100000007080140010161790079060d0200000100016600020100016d08090100000002030001000b"
     "0701000179010000"},
    {"(component $C\n"
     "  (type $t (record (field \"a\" u32) (field \"b\" (list (option u8)))))\n"
     "  (import \"i\" (instance $i (export \"r\" (type (sub resource))) (export \"f\" (func (param "
     "\"x\" $t)))))\n"
     "  (component $D (alias outer $C $t (type)) (import \"y\" (func (param \"q\" $t))))\n"
     "  (instance $x (instantiate $D (with \"y\" (func $i \"f\"))))\n"
     "  (core func $d (canon resource.drop (type $i \"r\")))\n"
     "  (export \"z\" (instance $x))\n"
     ")\n",
     "0061736d0d0001000728046b7d7000720201617901620142040400017203010203020102014001017801010004000"
     "16601020a0601000169050304250061736d0d0001000609020302010203020102070801400101710101000a060100"
     "01790102060601010000016605080100000101790100060601030000017208030103040b070100017a050100"},
    {"(component\n"
     "  (core type $mt (module (import \"a\" \"b\" (func (param i32))) (export \"c\" (func (param "
     "i32))) (export \"m\" (memory 1))))\n"
     "  (import \"m\" (core module $m (type $mt)))\n"
     "  (core instance $inner (instantiate $m))\n"
     "  (core instance $a (export \"f\" (func $inner \"g\")) (export \"t\" (table $inner \"t\")))\n"
     ")\n",
     "0061736d0d000100031f0150050160017f00000161016200000160017f00030163000103016d0200010a070100016"
     "d001100020401000000060d02000001000167000101000174020b0101020166000001740100"},
    {"(component\n"
     "  (type $r (resource (rep i32)))\n"
     "  (core func $n (canon resource.new $r))\n"
     "  (type $f (func (param \"x\" (own $r)) (result (result u32 (error string)))))\n"
     "  (import \"a\" (implements \"a:b/c\") (instance))\n"
     ")\n",
     "0061736d0d0001000704013f7f00080301020007110469006a017901734001017801000242000a0e0102016101000"
     "5613a622f630504"},
};

TEST(ComponentEncoder, MatchesWasmTools) {
  for (const Case& c : kCases) EXPECT_EQ(encode_hex(c.source), c.expected) << c.source;
}

TEST(ComponentEncoder, SmallForms) {
  EXPECT_EQ(encode_hex("(component)"), "0061736d0d000100");
  // Consecutive definitions of one kind share a section; an export takes an index.
  EXPECT_EQ(encode_hex("(component (type u8) (type u16) (export \"a\" (type 0)))"),
            "0061736d0d000100"      // preamble
            "0703027d7b"            // types: u8, u16
            "0b0701000161030000");  // export "a" (type 0)
  // Type indices in value types are s33s: 64 needs two bytes.
  std::string many = "(component";
  for (int i = 0; i < 65; ++i) many += " (type u8)";
  many += " (type (list 64)))";
  const std::string bytes = encode_hex(many);
  EXPECT_EQ(bytes.substr(bytes.size() - 6), "70c000");
  // binary and quote forms.
  EXPECT_EQ(encode_hex("(component binary \"\\00asm\\0d\\00\\01\\00\")"), "0061736d0d000100");
  EXPECT_EQ(encode_hex("(component quote \"(type u8)\")"), "0061736d0d0001000702017d");
  EXPECT_EQ(encode_hex("(component definition $c (type u8))"), "0061736d0d0001000702017d");
}

// As in wasm-tools, a name may be used before its definition (and then
// shadows a name of an enclosing scope).
TEST(ComponentEncoder, ForwardReferences) {
  EXPECT_EQ(encode_hex("(component\n"
                       "  (core module $m (func (export \"f\")))\n"
                       "  (func $f (canon lift (core func $i \"f\")))\n"
                       "  (core instance $i (instantiate $m)))"),
            "0061736d0d000100011f0061736d0100000001040160000003020100070501016600000a040102000b07"
            "0501400001000607010000010001660806010000000000020401000000");
  EXPECT_EQ(encode_hex("(component $O (type $t u8) (component (type (list $t)) (type $t u16)))"),
            "0061736d0d0001000702017d040e0061736d0d00010007040270017b");
  EXPECT_EQ(encode_hex("(component\n"
                       "  (core module $m (func (export \"g\")))\n"
                       "  (core instance $i (instantiate $m))\n"
                       "  (func $f (canon lift (core func $x)))\n"
                       "  (core func $y (alias core export $i \"g\"))\n"
                       "  (core func $x (alias core export $i \"g\")))"),
            "0061736d0d000100011f0061736d0100000001040160000003020100070501016700000a040102000b02"
            "0401000000070501400001000806010000010000060d02000001000167000001000167");
}

// Each use of an enclosing scope's name gets its own outer alias.
TEST(ComponentEncoder, OuterAliasPerUse) {
  EXPECT_EQ(
      encode_hex("(component $O (type $t u8) (component (type (list $t)) (type (option $t))))"),
      "0061736d0d0001000702017d0420"  // (type u8), the nested component
      "0061736d0d000100"
      "06050103020100"  // alias outer 1 0 (type)
      "0703017000"      // (list 0)
      "06050103020100"  // alias outer 1 0 (type), again
      "0703016b02");    // (option 2)
}

TEST(ComponentEncoder, TextErrors) {
  EXPECT_NE(error_of("(component (export \"a\" (func $nope)))").find("c.wat:1:30: unknown func"),
            std::string::npos);
  EXPECT_NE(error_of("(component (type $t u8) (type $t u8))").find("duplicate type"),
            std::string::npos);
  // Only modules, types and components can be aliased from an outer scope.
  EXPECT_NE(error_of("(component (import \"x\" (func $x)) (component (export \"x\" (func $x))))")
                .find("outer item `x` is not a module, type, or component"),
            std::string::npos);
  EXPECT_NE(error_of("(component (import \"a\" (implements \"a:b/c\") (implements \"a:b/c\") "
                     "(instance)))"),
            "");
  EXPECT_NE(error_of("(component (alias outer $nope 0 (type)))").find("outer component"),
            std::string::npos);
  EXPECT_NE(error_of("(component (type (func (result u8) (result u8))))"), "");
  EXPECT_NE(error_of("(component (canon frobnicate (core func)))"), "");
  // wasm-tools no longer takes `cancellable` (component-model#716).
  EXPECT_NE(error_of("(component (canon thread.yield cancellable (core func)))"), "");
  EXPECT_NE(error_of("(component (core module (func (result i32) (i32.const))))"), "");
  // Deep nesting is an error, not a crash.
  std::string deep;
  for (int i = 0; i < 400; ++i) deep += "(component ";
  for (int i = 0; i < 400; ++i) deep += ")";
  EXPECT_TRUE(weft::text::wat_to_wasm(deep, "c.wat").ok());
  std::string deeper = "(component (type (list ";
  for (int i = 0; i < 2000; ++i) deeper += "(list ";
  deeper += "u8";
  for (int i = 0; i < 2000; ++i) deeper += ")";
  deeper += ")))";
  EXPECT_FALSE(weft::text::wat_to_wasm(deeper, "c.wat").ok());
}

}  // namespace
