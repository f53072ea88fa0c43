// Validator tests: invalid modules produce ErrorKind::Invalid with the spec
// testsuite's message; valid edge cases (unreachable code) are accepted.
#include <gtest/gtest.h>

#include "interp_test_util.h"

namespace weft {
namespace {

Error compile_error(const std::string& wat) {
  std::vector<uint8_t> bytes = testing::wat2wasm(wat);
  EXPECT_FALSE(bytes.empty()) << wat;
  auto m = Module::compile(bytes);
  EXPECT_FALSE(m.ok()) << wat;
  if (m.ok()) return Error{};
  return m.error();
}

void expect_invalid(const std::string& wat, const std::string& message) {
  Error e = compile_error(wat);
  EXPECT_EQ(e.kind, ErrorKind::Invalid) << wat << "\n" << e.to_string();
  EXPECT_NE(e.message.find(message), std::string::npos) << wat << "\n" << e.to_string();
}

void expect_valid(const std::string& wat) {
  std::vector<uint8_t> bytes = testing::wat2wasm(wat);
  ASSERT_FALSE(bytes.empty()) << wat;
  auto m = Module::compile(bytes);
  EXPECT_TRUE(m.ok()) << wat << "\n" << m.error().to_string();
}

TEST(ValidateErrors, OperandTypes) {
  expect_invalid("(module (func (result i32) (i64.const 1)))", "type mismatch");
  expect_invalid("(module (func (i32.add (i32.const 1))))", "type mismatch");
  expect_invalid("(module (func (result i32) (i32.const 1) (i32.const 2)))", "type mismatch");
  expect_invalid("(module (func (select (i32.const 1) (i64.const 1) (i32.const 0)) (drop)))",
                 "type mismatch");
  expect_invalid("(module (func (block (result i32) (br 0 (f32.const 0))) (drop)))",
                 "type mismatch");
}

TEST(ValidateErrors, Indices) {
  expect_invalid("(module (func (local.get 3) (drop)))", "unknown local");
  expect_invalid("(module (func (br 1)))", "unknown label");
  expect_invalid("(module (func (call 7)))", "unknown function");
  expect_invalid("(module (func (global.get 0) (drop)))", "unknown global");
  expect_invalid("(module (func (i32.load (i32.const 0)) (drop)))", "unknown memory");
  expect_invalid("(module (func (table.size 0) (drop)))", "unknown table");
  expect_invalid("(module (memory 1) (data \"\") (func (data.drop 1)))", "unknown data segment");
  expect_invalid("(module (func (elem.drop 0)))", "unknown elem segment");
}

TEST(ValidateErrors, MultiMemoryIsAnOption) {
  // On by default (WebAssembly 3.0); off is 2.0's single memory, where a
  // memory index in an instruction is too large an alignment or a nonzero
  // reserved byte.
  CompileOptions single;
  single.multi_memory = false;
  auto compile = [](const std::string& wat, const CompileOptions& options) {
    std::vector<uint8_t> bytes = testing::wat2wasm(wat);
    EXPECT_FALSE(bytes.empty()) << wat;
    return Module::compile(bytes, options);
  };
  const std::string two = "(module (memory 1) (memory 1))";
  EXPECT_TRUE(compile(two, {}).ok());
  auto e = compile(two, single);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().kind, ErrorKind::Invalid);
  EXPECT_NE(e.error().message.find("multiple memories"), std::string::npos);
  const std::string load1 =
      "(module (memory 1) (memory 1) (func (drop (i32.load 1 (i32.const 0)))))";
  EXPECT_TRUE(compile(load1, {}).ok());
  EXPECT_FALSE(compile(load1, single).ok());
  const std::string one = "(module (memory 1) (func (drop (memory.size))))";
  EXPECT_TRUE(compile(one, single).ok());

  expect_invalid("(module (memory 1) (func (drop (i32.load 1 (i32.const 0)))))",
                 "unknown memory 1");
  expect_invalid("(module (memory 1) (func (drop (memory.size 1))))", "unknown memory 1");
  expect_invalid("(module (memory 1) (func (drop (memory.grow 2 (i32.const 0)))))",
                 "unknown memory 2");
  expect_invalid(
      "(module (memory 1) (func (memory.copy 0 1 (i32.const 0) (i32.const 0) (i32.const 0))))",
      "unknown memory 1");
  expect_invalid(
      "(module (memory 1) (func (memory.fill 1 (i32.const 0) (i32.const 0) (i32.const 0))))",
      "unknown memory 1");
  expect_invalid("(module (memory 1) (data (memory 1) (i32.const 0) \"\"))", "unknown memory 1");
  // The memory index sits between the alignment and the offset, and the
  // alignment is still bounded by the natural one.
  expect_invalid("(module (memory 1) (memory 1) (func (drop (i32.load 1 align=8 (i32.const 0)))))",
                 "alignment must not be larger than natural");
}

TEST(ValidateErrors, ModuleLevel) {
  expect_invalid("(module (memory 2 1))", "size minimum must not be greater than maximum");
  expect_invalid("(module (memory 65537))", "memory size must be at most 65536 pages");
  expect_invalid("(module (func) (export \"a\" (func 0)) (export \"a\" (func 0)))",
                 "duplicate export name");
  expect_invalid("(module (func (param i32)) (start 0))", "start function");
  expect_invalid("(module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))",
                 "global is immutable");
  expect_invalid("(module (global i32 (i32.clz (i32.const 0))))", "constant expression required");
  expect_invalid("(module (global i32 (i64.const 0)))", "type mismatch");
  expect_invalid("(module (func $f) (func (ref.func $f) (drop)))", "undeclared function reference");
  expect_invalid("(module (memory 1) (func (i32.load align=8 (i32.const 0)) (drop)))",
                 "alignment must not be larger than natural");
  expect_invalid(
      "(module (func (select (result i32 i32) (i32.const 0) (i32.const 0) (i32.const 0))))",
      "invalid result arity");
}

TEST(ValidateErrors, AcceptsUnreachableAndExtendedConst) {
  expect_valid("(module (func (result i32) (unreachable) (i32.add)))");
  expect_valid(
      "(module (func (result f64) (block (result f32) (unreachable) (br_table 0 0 (i32.const 0))) "
      "(drop) (f64.const 0)))");
  expect_valid("(module (func $f) (elem declare func $f) (func (ref.func $f) (drop)))");
  expect_valid(
      "(module (global (import \"a\" \"b\") i32) (global i32 (i32.add (global.get 0) (i32.mul "
      "(i32.const 2) (i32.const 3)))))");
}

}  // namespace
}  // namespace weft
