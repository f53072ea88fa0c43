// The shared helpers of src/wasm/common: messages, printing, values.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "weft/result.h"
#include "weft/weft.h"

namespace weft {
namespace {

TEST(CommonTest, TrapMessagesAreTheSpecTexts) {
  EXPECT_STREQ(trap_message(TrapKind::Unreachable), "unreachable");
  EXPECT_STREQ(trap_message(TrapKind::MemoryOutOfBounds), "out of bounds memory access");
  EXPECT_STREQ(trap_message(TrapKind::TableOutOfBounds), "out of bounds table access");
  EXPECT_STREQ(trap_message(TrapKind::UninitializedElement), "uninitialized element");
  EXPECT_STREQ(trap_message(TrapKind::IndirectCallTypeMismatch), "indirect call type mismatch");
  EXPECT_STREQ(trap_message(TrapKind::IntegerDivideByZero), "integer divide by zero");
  EXPECT_STREQ(trap_message(TrapKind::IntegerOverflow), "integer overflow");
  EXPECT_STREQ(trap_message(TrapKind::InvalidConversion), "invalid conversion to integer");
  EXPECT_STREQ(trap_message(TrapKind::StackExhausted), "call stack exhausted");
  EXPECT_STREQ(trap_message(TrapKind::Interrupted), "interrupted");
  EXPECT_STREQ(trap_message(TrapKind::OutOfFuel), "out of fuel");
  EXPECT_STREQ(trap_message(TrapKind::MemoryLimit), "memory limit exceeded");
  EXPECT_STREQ(trap_message(TrapKind::HostError), "host error");
  EXPECT_STREQ(trap_message(TrapKind::Exit), "exit");
}

TEST(CommonTest, ErrorToString) {
  EXPECT_EQ(Error::malformed(0x1f, "unexpected end").to_string(),
            "malformed at byte 0x1f: unexpected end");
  EXPECT_EQ(Error::invalid(0x2a, "type mismatch", 3).to_string(),
            "invalid in function 3 at byte 0x2a: type mismatch");
  EXPECT_EQ(Error::invalid(0x2a, "type mismatch").to_string(),
            "invalid at byte 0x2a: type mismatch");
  Error link = Error::link("unknown import");
  EXPECT_EQ(link.kind, ErrorKind::Link);
  EXPECT_EQ(link.offset, Error::kNoOffset);
  EXPECT_EQ(link.to_string(), "link error: unknown import");
  EXPECT_EQ(Error::io("x").kind, ErrorKind::Io);
  EXPECT_EQ(Error::usage("x").kind, ErrorKind::Usage);
  EXPECT_EQ(Error::limit("x").kind, ErrorKind::Limit);
}

TEST(CommonTest, Traps) {
  Error e = Error::make_trap(TrapKind::IntegerDivideByZero);
  ASSERT_TRUE(e.is_trap());
  ASSERT_TRUE(e.trap);
  EXPECT_EQ(e.message, "integer divide by zero");
  EXPECT_EQ(e.trap->kind, TrapKind::IntegerDivideByZero);
  EXPECT_EQ(e.to_string(), "trap: integer divide by zero");

  Trap t;
  t.kind = TrapKind::Unreachable;
  t.backtrace.push_back({3, "fib", ""});
  t.backtrace.push_back({0, "", ""});
  Error bt = Error::from_trap(t);
  EXPECT_EQ(bt.message, "unreachable");
  EXPECT_EQ(bt.to_string(), "trap: unreachable\n  0: func[3] fib\n  1: func[0]");

  Error ex = Error::exit(7);
  ASSERT_TRUE(ex.trap);
  EXPECT_EQ(ex.trap->kind, TrapKind::Exit);
  EXPECT_EQ(ex.trap->exit_code, 7);

  Error custom = Error::make_trap(TrapKind::HostError, "boom");
  EXPECT_EQ(custom.message, "boom");
}

TEST(CommonTest, TypeNames) {
  EXPECT_STREQ(to_string(ValType::I32), "i32");
  EXPECT_STREQ(to_string(ValType::I64), "i64");
  EXPECT_STREQ(to_string(ValType::F32), "f32");
  EXPECT_STREQ(to_string(ValType::F64), "f64");
  EXPECT_STREQ(to_string(ValType::V128), "v128");
  EXPECT_STREQ(to_string(ValType::FuncRef), "funcref");
  EXPECT_STREQ(to_string(ValType::ExternRef), "externref");
  EXPECT_STREQ(to_string(ExternKind::Func), "func");
  EXPECT_STREQ(to_string(ExternKind::Table), "table");
  EXPECT_STREQ(to_string(ExternKind::Memory), "memory");
  EXPECT_STREQ(to_string(ExternKind::Global), "global");
  FuncType ft{{ValType::I32, ValType::I64}, {ValType::F32}};
  EXPECT_EQ(ft.to_string(), "(i32, i64) -> (f32)");
  EXPECT_EQ(FuncType{}.to_string(), "() -> ()");
}

TEST(CommonTest, Values) {
  EXPECT_EQ(Value::i32(-5).to_string(), "i32:-5");
  EXPECT_EQ(Value::i64(1ll << 40).to_string(), "i64:1099511627776");
  EXPECT_EQ(Value::f64(1.5).to_string(), "f64:1.5");
  EXPECT_EQ(Value::f32(0.1f).to_string(), "f32:0.1");
  EXPECT_EQ(Value::null(ValType::FuncRef).to_string(), "funcref:null");
  EXPECT_EQ(Value::extern_ref(42).to_string(), "externref:42");
  EXPECT_EQ(Value::f32(-0.0f).bits, 0x80000000u);
  EXPECT_EQ(Value::f32_bits(0x7FC00001).to_string(), "f32:nan:0x400001");
  EXPECT_EQ(Value::f64_bits(0xFFF8000000000000ull).to_string(), "f64:-nan:0x8000000000000");
  EXPECT_EQ(Value::f32_bits(0x7FA00000).as_f32() != Value::f32_bits(0x7FA00000).as_f32(), true);
  EXPECT_EQ(Value::f64(3.25).as_f64(), 3.25);
  EXPECT_EQ(Value::f32(3.25f).as_f32(), 3.25f);
  EXPECT_EQ(Value::f64(std::numeric_limits<double>::infinity()).to_string(), "f64:inf");
}

TEST(CommonTest, KindOfExtern) {
  EXPECT_EQ(kind_of(Extern{Func{}}), ExternKind::Func);
  EXPECT_EQ(kind_of(Extern{Table{}}), ExternKind::Table);
  EXPECT_EQ(kind_of(Extern{Memory{}}), ExternKind::Memory);
  EXPECT_EQ(kind_of(Extern{Global{}}), ExternKind::Global);
}

}  // namespace
}  // namespace weft
