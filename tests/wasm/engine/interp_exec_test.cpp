// Execution tests for the interpreter through the public API.
#include <gtest/gtest.h>

#include <cmath>

#include "interp_test_util.h"

namespace weft {
namespace {
using testing::Instantiated;

using testing::instantiate_wat;

Value call1(const Instantiated& inst, const char* name, std::vector<Value> args) {
  auto f = inst.instance.get_func(name);
  EXPECT_TRUE(f.has_value()) << name;
  auto r = f->call(args);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  if (!r.ok() || r->empty()) return Value{};
  return (*r)[0];
}

Error call_err(const Instantiated& inst, const char* name, std::vector<Value> args) {
  auto f = inst.instance.get_func(name);
  EXPECT_TRUE(f.has_value()) << name;
  auto r = f->call(args);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return Error{};
  return r.error();
}

TEST(InterpExec, FibRecursive) {
  auto inst = instantiate_wat(R"((module
    (func $fib (export "fib") (param i32) (result i32)
      (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
        (then (local.get 0))
        (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                       (call $fib (i32.sub (local.get 0) (i32.const 2))))))))
  )");
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  EXPECT_EQ(call1(*inst, "fib", {Value::i32(20)}).as_i32(), 6765);
}

TEST(InterpExec, LoopsAndLocals) {
  auto inst = instantiate_wat(R"((module
    (func (export "sum") (param i32) (result i64) (local i64 i32)
      (block $done
        (loop $l
          (br_if $done (i32.ge_s (local.get 2) (local.get 0)))
          (local.set 1 (i64.add (local.get 1) (i64.extend_i32_s (local.get 2))))
          (local.set 2 (i32.add (local.get 2) (i32.const 1)))
          (br $l)))
      (local.get 1))
    (func (export "swap") (param i32 i32) (result i32 i32)
      (local.get 1) (local.get 0))
    (func (export "tee") (param i32) (result i32) (local i32)
      (local.get 0)
      (local.set 0 (i32.const 5))
      (local.tee 1 (i32.add (local.get 0) (i32.const 1)))
      (i32.add)
      (local.get 1)
      (i32.mul))
    (func (export "aliased") (param i32) (result i32)
      (local.get 0)
      (local.set 0 (i32.add (local.get 0) (i32.const 100)))
      (local.get 0)
      (i32.sub))
  ))");
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  EXPECT_EQ(call1(*inst, "sum", {Value::i32(100)}).as_i64(), 4950);
  auto f = inst->instance.get_func("swap");
  auto r = f->call(std::vector<Value>{Value::i32(1), Value::i32(2)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].as_i32(), 2);
  EXPECT_EQ((*r)[1].as_i32(), 1);
  // (x + 6) * 6 where x = 3
  EXPECT_EQ(call1(*inst, "tee", {Value::i32(3)}).as_i32(), 54);
  EXPECT_EQ(call1(*inst, "aliased", {Value::i32(7)}).as_i32(), -100);
}

TEST(InterpExec, MultiValueBlocksAndBrTable) {
  auto inst = instantiate_wat(R"((module
    (func (export "bt") (param i32) (result i32)
      (block $a (result i32)
        (block $b (result i32)
          (block $c (result i32)
            (i32.const 10)
            (br_table $a $b $c (local.get 0)))
          (i32.const 1) (i32.add))
        (i32.const 2) (i32.add)))
    (func (export "mv") (param i32) (result i32)
      (i32.const 3)
      (block (param i32) (result i32 i32)
        (local.get 0) (br_if 0 (i32.eqz (local.get 0))) (drop) (i32.const 7))
      (i32.add))
    (func (export "ifmv") (param i32 i32) (result i32)
      (local.get 1)
      (if (param i32) (result i32) (local.get 0)
        (then (i32.const 1) (i32.add))
        (else (i32.const 2) (i32.mul))))
  ))");
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  EXPECT_EQ(call1(*inst, "bt", {Value::i32(0)}).as_i32(), 10);
  EXPECT_EQ(call1(*inst, "bt", {Value::i32(1)}).as_i32(), 12);
  EXPECT_EQ(call1(*inst, "bt", {Value::i32(2)}).as_i32(), 13);
  EXPECT_EQ(call1(*inst, "bt", {Value::i32(99)}).as_i32(), 13);
  EXPECT_EQ(call1(*inst, "mv", {Value::i32(0)}).as_i32(), 3);
  EXPECT_EQ(call1(*inst, "mv", {Value::i32(5)}).as_i32(), 10);
  EXPECT_EQ(call1(*inst, "ifmv", {Value::i32(1), Value::i32(5)}).as_i32(), 6);
  EXPECT_EQ(call1(*inst, "ifmv", {Value::i32(0), Value::i32(5)}).as_i32(), 10);
}

TEST(InterpExec, MemoryAndTraps) {
  auto inst = instantiate_wat(R"((module
    (memory 1)
    (data (i32.const 16) "\01\02\03\04")
    (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
    (func (export "load8s") (param i32) (result i32) (i32.load8_s offset=1 (local.get 0)))
    (func (export "store") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "size") (result i32) (memory.size))
    (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
    (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
    (func (export "loadm4") (param i32) (result i32) (i32.load offset=1 (i32.add (local.get 0) (i32.const -4))))
    (func (export "storem4") (param i32 i32)
      (i32.store8 (i32.add (local.get 0) (i32.const -4)) (local.get 1)))
  ))");
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  EXPECT_EQ(call1(*inst, "load", {Value::i32(16)}).as_u32(), 0x04030201u);
  EXPECT_EQ(call1(*inst, "load8s", {Value::i32(65534)}).as_i32(), 0);
  Error e = call_err(*inst, "load", {Value::i32(65533)});
  ASSERT_TRUE(e.trap);
  EXPECT_EQ(e.trap->kind, TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(call1(*inst, "grow", {Value::i32(1)}).as_i32(), 1);
  EXPECT_EQ(call1(*inst, "size", {}).as_i32(), 2);
  EXPECT_EQ(call1(*inst, "load", {Value::i32(65533)}).as_i32(), 0);
  EXPECT_EQ(call1(*inst, "grow", {Value::i32(70000)}).as_i32(), -1);
  e = call_err(*inst, "div", {Value::i32(1), Value::i32(0)});
  EXPECT_EQ(e.trap->kind, TrapKind::IntegerDivideByZero);
  e = call_err(*inst, "div", {Value::i32(INT32_MIN), Value::i32(-1)});
  EXPECT_EQ(e.trap->kind, TrapKind::IntegerOverflow);
  // Folded address arithmetic still wraps at 32 bits.
  EXPECT_EQ(call1(*inst, "loadm4", {Value::i32(19)}).as_u32(), 0x04030201u);
  e = call_err(*inst, "loadm4", {Value::i32(2)});
  EXPECT_EQ(e.trap->kind, TrapKind::MemoryOutOfBounds);
  e = call_err(*inst, "storem4", {Value::i32(3), Value::i32(1)});
  EXPECT_EQ(e.trap->kind, TrapKind::MemoryOutOfBounds);
  call1(*inst, "storem4", {Value::i32(20), Value::i32(9)});
  EXPECT_EQ(call1(*inst, "load", {Value::i32(16)}).as_u32(), 0x04030209u);
  e = call_err(*inst, "fill", {Value::i32(131000), Value::i32(1), Value::i32(100)});
  EXPECT_EQ(e.trap->kind, TrapKind::MemoryOutOfBounds);
}

TEST(InterpExec, FloatSemantics) {
  auto inst = instantiate_wat(R"((module
    (func (export "min") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
    (func (export "nearest") (param f32) (result f32) (f32.nearest (local.get 0)))
    (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
    (func (export "sat") (param f64) (result i32) (i32.trunc_sat_f64_u (local.get 0)))
  ))");
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  Value m = call1(*inst, "min", {Value::f64(0.0), Value::f64(-0.0)});
  EXPECT_EQ(m.bits, 0x8000000000000000ull);
  EXPECT_EQ(call1(*inst, "nearest", {Value::f32(2.5f)}).as_f32(), 2.0f);
  EXPECT_EQ(call1(*inst, "nearest", {Value::f32(-3.5f)}).as_f32(), -4.0f);
  EXPECT_EQ(call1(*inst, "trunc", {Value::f64(-2147483648.9)}).as_i32(), INT32_MIN);
  Error e = call_err(*inst, "trunc", {Value::f64(2147483648.0)});
  EXPECT_EQ(e.trap->kind, TrapKind::IntegerOverflow);
  e = call_err(*inst, "trunc", {Value::f64(NAN)});
  EXPECT_EQ(e.trap->kind, TrapKind::InvalidConversion);
  EXPECT_EQ(call1(*inst, "sat", {Value::f64(-5.0)}).as_i32(), 0);
  EXPECT_EQ(call1(*inst, "sat", {Value::f64(1e20)}).as_u32(), 0xFFFFFFFFu);
}

TEST(InterpExec, CallIndirectAndTables) {
  auto inst = instantiate_wat(R"((module
    (type $ii (func (param i32) (result i32)))
    (table 4 funcref)
    (elem (i32.const 0) $inc $dbl)
    (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    (func $dbl (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
    (func $nop)
    (func (export "ci") (param i32 i32) (result i32)
      (call_indirect (type $ii) (local.get 1) (local.get 0)))
    (func (export "size") (result i32) (table.size 0))
    (func (export "grow") (result i32) (table.grow 0 (ref.null func) (i32.const 2)))
    (func (export "isnull") (param i32) (result i32) (ref.is_null (table.get 0 (local.get 0))))
  ))");
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  EXPECT_EQ(call1(*inst, "ci", {Value::i32(0), Value::i32(5)}).as_i32(), 6);
  EXPECT_EQ(call1(*inst, "ci", {Value::i32(1), Value::i32(5)}).as_i32(), 10);
  Error e = call_err(*inst, "ci", {Value::i32(2), Value::i32(5)});
  EXPECT_EQ(e.trap->kind, TrapKind::UninitializedElement);
  e = call_err(*inst, "ci", {Value::i32(9), Value::i32(5)});
  EXPECT_EQ(e.message, "undefined element");
  EXPECT_EQ(call1(*inst, "size", {}).as_i32(), 4);
  EXPECT_EQ(call1(*inst, "grow", {}).as_i32(), 4);
  EXPECT_EQ(call1(*inst, "isnull", {Value::i32(0)}).as_i32(), 0);
  EXPECT_EQ(call1(*inst, "isnull", {Value::i32(5)}).as_i32(), 1);
}

TEST(InterpExec, TrapBacktraceAndStackExhaustion) {
  auto inst = instantiate_wat(R"((module
    (func $inner (unreachable))
    (func $outer (export "outer") (call $inner))
    (func $rec (export "rec") (param i32) (result i32)
      (i32.add (call $rec (local.get 0)) (i32.const 1)))
  ))");
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  Error e = call_err(*inst, "outer", {});
  ASSERT_TRUE(e.trap);
  EXPECT_EQ(e.trap->kind, TrapKind::Unreachable);
  ASSERT_EQ(e.trap->backtrace.size(), 2u);
  EXPECT_EQ(e.trap->backtrace[0].func_index, 0u);
  EXPECT_EQ(e.trap->backtrace[1].func_index, 1u);
  e = call_err(*inst, "rec", {Value::i32(0)});
  EXPECT_EQ(e.trap->kind, TrapKind::StackExhausted);
}

TEST(InterpExec, InterruptAndFuel) {
  auto inst = instantiate_wat(R"((module
    (func (export "spin") (loop $l (br $l)))
  ))");
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  inst->store->interrupt_handle().interrupt();
  Error e = call_err(*inst, "spin", {});
  EXPECT_EQ(e.trap->kind, TrapKind::Interrupted);
  inst->store->clear_interrupt();
  inst->store->set_fuel(1000);
  e = call_err(*inst, "spin", {});
  EXPECT_EQ(e.trap->kind, TrapKind::OutOfFuel);
}

TEST(InterpExec, HostCallsAndReentry) {
  std::vector<uint8_t> bytes = testing::wat2wasm(R"((module
    (import "env" "twice" (func $twice (param i32) (result i32)))
    (func (export "f") (param i32) (result i32) (i32.add (call $twice (local.get 0)) (i32.const 1)))
    (func (export "g") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
  ))");
  auto module = Module::compile(bytes);
  ASSERT_TRUE(module.ok()) << module.error().to_string();
  Store store;
  Instance self;
  Linker linker;
  linker.func(
      "env", "twice", FuncType{{ValType::I32}, {ValType::I32}},
      [&self](Caller&, std::span<const Value> args, std::span<Value> results) -> Result<void> {
        // Re-enter wasm: g(x) = 3x, then return 2 * that.
        auto g = self.get_func("g");
        auto r = g->call(std::vector<Value>{args[0]});
        if (!r) return r.error();
        results[0] = Value::i32((*r)[0].as_i32() * 2);
        return {};
      });
  auto inst = linker.instantiate(store, *module);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  self = *inst;
  auto f = self.get_func("f");
  auto r = f->call(std::vector<Value>{Value::i32(5)});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_i32(), 31);
}

TEST(InterpExec, MultiMemoryBoundsEveryMemory) {
  // Memory 0 has two pages, memory 1 one: each access is checked against
  // its own memory's size, including both sides of a copy.
  auto inst = instantiate_wat(R"((module
    (memory $a 2)
    (memory $b 1)
    (data (memory $b) (i32.const 8) "\0a\0b\0c\0d")
    (data $p "\11\22\33")
    (func (export "load_a") (param i32) (result i32) (i32.load $a (local.get 0)))
    (func (export "load_b") (param i32) (result i32) (i32.load $b (local.get 0)))
    (func (export "load8_b") (param i32) (result i32) (i32.load8_u $b offset=2 (local.get 0)))
    (func (export "store_b") (param i32 i64) (i64.store $b (local.get 0) (local.get 1)))
    (func (export "size_b") (result i32) (memory.size $b))
    (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
    (func (export "copy_ab") (param i32 i32 i32)
      (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
    (func (export "copy_bb") (param i32 i32 i32)
      (memory.copy $b $b (local.get 0) (local.get 1) (local.get 2)))
    (func (export "fill_b") (param i32 i32 i32)
      (memory.fill $b (local.get 0) (local.get 1) (local.get 2)))
    (func (export "init_b") (param i32 i32 i32)
      (memory.init $b $p (local.get 0) (local.get 1) (local.get 2)))
  ))");
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  EXPECT_EQ(call1(*inst, "load_b", {Value::i32(8)}).as_u32(), 0x0d0c0b0au);
  EXPECT_EQ(call1(*inst, "load_a", {Value::i32(8)}).as_u32(), 0u);
  EXPECT_EQ(call1(*inst, "load8_b", {Value::i32(8)}).as_u32(), 0x0cu);
  // 65532 is in bounds of both; 65533 only of memory 0.
  EXPECT_EQ(call1(*inst, "load_b", {Value::i32(65532)}).as_u32(), 0u);
  EXPECT_EQ(call1(*inst, "load_a", {Value::i32(65533)}).as_u32(), 0u);
  auto expect_oob = [&](const char* name, std::vector<Value> args) {
    Error e = call_err(*inst, name, std::move(args));
    ASSERT_TRUE(e.trap) << name;
    EXPECT_EQ(e.trap->kind, TrapKind::MemoryOutOfBounds) << name;
  };
  expect_oob("load_b", {Value::i32(65533)});
  expect_oob("load8_b", {Value::i32(65534)});
  expect_oob("store_b", {Value::i32(65529), Value::i64(1)});
  expect_oob("copy_ab", {Value::i32(131070), Value::i32(0), Value::i32(16)});  // a too small
  expect_oob("copy_ab", {Value::i32(0), Value::i32(65530), Value::i32(16)});   // b too small
  expect_oob("copy_bb", {Value::i32(65530), Value::i32(0), Value::i32(16)});
  expect_oob("fill_b", {Value::i32(65530), Value::i32(1), Value::i32(16)});
  expect_oob("init_b", {Value::i32(65534), Value::i32(0), Value::i32(3)});
  // Copies between memories move the bytes from the source memory.
  call1(*inst, "copy_ab", {Value::i32(100000), Value::i32(8), Value::i32(4)});
  EXPECT_EQ(call1(*inst, "load_a", {Value::i32(100000)}).as_u32(), 0x0d0c0b0au);
  call1(*inst, "copy_bb", {Value::i32(9), Value::i32(8), Value::i32(4)});
  EXPECT_EQ(call1(*inst, "load_b", {Value::i32(9)}).as_u32(), 0x0d0c0b0au);
  call1(*inst, "init_b", {Value::i32(65533), Value::i32(0), Value::i32(3)});
  EXPECT_EQ(call1(*inst, "load8_b", {Value::i32(65531)}).as_u32(), 0x11u);
  call1(*inst, "fill_b", {Value::i32(0), Value::i32(0xee), Value::i32(4)});
  EXPECT_EQ(call1(*inst, "load_b", {Value::i32(0)}).as_u32(), 0xeeeeeeeeu);
  EXPECT_EQ(call1(*inst, "load_a", {Value::i32(0)}).as_u32(), 0u);
  // Growing memory 1 leaves memory 0 alone.
  EXPECT_EQ(call1(*inst, "size_b", {}).as_i32(), 1);
  EXPECT_EQ(call1(*inst, "grow_b", {Value::i32(1)}).as_i32(), 1);
  EXPECT_EQ(call1(*inst, "size_b", {}).as_i32(), 2);
  EXPECT_EQ(call1(*inst, "load_b", {Value::i32(65536)}).as_u32(), 0u);
  expect_oob("load_b", {Value::i32(131069)});
  expect_oob("load_a", {Value::i32(131069)});
}

TEST(InterpExec, MultiMemoryAliasedGrowReachesMemoryZero) {
  // One memory imported as both index 0 and index 1: a grow through index 1
  // must show in memory 0's accesses within the same call.
  auto exporter = testing::wat2wasm(R"((module (memory (export "m") 1)))");
  auto importer = testing::wat2wasm(R"((module
    (import "x" "m" (memory $a 1))
    (import "x" "m" (memory $b 1))
    (func (export "grow_then_load") (param i32) (result i32)
      (drop (memory.grow $b (i32.const 1)))
      (i32.store $b (local.get 0) (i32.const 7))
      (i32.add (i32.load $a (local.get 0)) (memory.size $a)))
  ))");
  auto m1 = Module::compile(exporter);
  auto m2 = Module::compile(importer);
  ASSERT_TRUE(m1.ok() && m2.ok());
  Store store;
  Linker linker;
  auto x = linker.instantiate(store, *m1);
  ASSERT_TRUE(x.ok()) << x.error().to_string();
  linker.define_instance("x", *x);
  auto inst = linker.instantiate(store, *m2);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  auto f = inst->get_func("grow_then_load");
  auto r = f->call(std::vector<Value>{Value::i32(70000)});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_i32(), 7 + 2);
}

}  // namespace
}  // namespace weft
