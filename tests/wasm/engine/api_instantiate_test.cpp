// Linking and instantiation through the public API: import resolution and
// its errors, segment initialisation order (partial init on trap), globals'
// constant expressions, host functions with Caller, many stores on many
// threads sharing one compiled module.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "runtime_test_util.h"
#include "wasm/runtime/objects.h"
#include "weft/weft.h"

namespace weft {
namespace {

using runtime_test::compile_wat;

Result<void> noop(Caller&, std::span<const Value>, std::span<Value>) { return {}; }

TEST(ApiInstantiate, ExportsAndCall) {
  auto module = compile_wat(R"((module
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    (memory (export "mem") 1 2)
    (global (export "g") (mut i64) (i64.const -3))
    (table (export "t") 2 funcref)))");
  ASSERT_TRUE(module);
  EXPECT_EQ(module->exports().size(), 4u);
  ASSERT_TRUE(module->export_func_type("add"));
  EXPECT_EQ(module->export_func_type("add")->params.size(), 2u);
  EXPECT_FALSE(module->export_func_type("mem"));
  EXPECT_EQ(module->memories().size(), 1u);
  EXPECT_EQ(module->tables().size(), 1u);

  Store store;
  Linker linker;
  auto inst = linker.instantiate(store, module);
  ASSERT_TRUE(inst) << inst.error().to_string();
  auto add = inst->get_func("add");
  ASSERT_TRUE(add);
  auto r = add->call(std::vector<Value>{Value::i32(40), Value::i32(2)});
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].as_i32(), 42);
  auto bad = add->call(std::vector<Value>{Value::i32(1), Value::i64(2)});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::Usage);

  EXPECT_EQ(inst->get_memory("mem")->pages(), 1u);
  EXPECT_EQ(inst->get_global("g")->get().as_i64(), -3);
  EXPECT_EQ(inst->get_table("t")->size(), 2u);
  EXPECT_FALSE(inst->get_func("mem"));
  EXPECT_FALSE(inst->get_export("nope"));
  auto exports = inst->exports();
  ASSERT_EQ(exports.size(), 4u);
  EXPECT_EQ(exports[0].first, "add");
  EXPECT_EQ(exports[3].first, "t");
}

TEST(ApiInstantiate, UnknownImport) {
  auto module = compile_wat(R"((module (import "env" "f" (func))))");
  ASSERT_TRUE(module);
  ASSERT_EQ(module->imports().size(), 1u);
  EXPECT_EQ(module->imports()[0].module, "env");
  Store store;
  auto inst = Linker().instantiate(store, module);
  ASSERT_FALSE(inst);
  EXPECT_EQ(inst.error().kind, ErrorKind::Link);
  EXPECT_EQ(inst.error().message, "unknown import: \"env\" \"f\"");
}

TEST(ApiInstantiate, IncompatibleImports) {
  Store store;
  Linker linker;
  linker.func("env", "f", FuncType{{ValType::I32}, {}}, noop);
  auto mem = store.create_memory(MemoryType{Limits{1, 2}});
  ASSERT_TRUE(mem);
  linker.define("env", "mem", *mem);
  auto table = store.create_table(TableType{ValType::FuncRef, Limits{3, std::nullopt}},
                                  Value::null(ValType::FuncRef));
  ASSERT_TRUE(table);
  linker.define("env", "table", *table);
  auto global = store.create_global(GlobalType{ValType::I32, true}, Value::i32(0));
  ASSERT_TRUE(global);
  linker.define("env", "global", *global);

  auto expect_link = [&](const std::string& wat, const char* message) {
    auto module = compile_wat(wat);
    ASSERT_TRUE(module);
    auto inst = linker.instantiate(store, module);
    ASSERT_FALSE(inst) << wat;
    EXPECT_EQ(inst.error().kind, ErrorKind::Link) << wat;
    EXPECT_EQ(inst.error().message, message) << wat;
  };
  auto expect_ok = [&](const std::string& wat) {
    auto module = compile_wat(wat);
    ASSERT_TRUE(module);
    auto inst = linker.instantiate(store, module);
    EXPECT_TRUE(inst) << wat << ": " << inst.error().to_string();
  };
  const char* kIncompatible = "incompatible import type";
  expect_ok(R"((module (import "env" "f" (func (param i32)))))");
  expect_link(R"((module (import "env" "f" (func (param i64)))))", kIncompatible);
  expect_link(R"((module (import "env" "f" (func (param i32) (result i32)))))", kIncompatible);
  expect_link(R"((module (import "env" "f" (global i32))))", kIncompatible);
  expect_link(R"((module (import "env" "mem" (func))))", kIncompatible);

  expect_ok(R"((module (import "env" "mem" (memory 1))))");
  expect_ok(R"((module (import "env" "mem" (memory 0 2))))");
  expect_ok(R"((module (import "env" "mem" (memory 1 3))))");
  expect_link(R"((module (import "env" "mem" (memory 2))))", kIncompatible);
  expect_link(R"((module (import "env" "mem" (memory 1 1))))", kIncompatible);
  expect_link(R"((module (import "env" "mem" (table 1 funcref))))", kIncompatible);

  expect_ok(R"((module (import "env" "table" (table 3 funcref))))");
  expect_link(R"((module (import "env" "table" (table 4 funcref))))", kIncompatible);
  expect_link(R"((module (import "env" "table" (table 1 10 funcref))))", kIncompatible);
  expect_link(R"((module (import "env" "table" (table 1 externref))))", kIncompatible);

  expect_ok(R"((module (import "env" "global" (global (mut i32)))))");
  expect_link(R"((module (import "env" "global" (global i32))))", kIncompatible);
  expect_link(R"((module (import "env" "global" (global (mut i64)))))", kIncompatible);

  // The memory grows: the imported minimum is checked against the current size.
  ASSERT_TRUE(mem->grow(1));
  expect_ok(R"((module (import "env" "mem" (memory 2))))");
}

TEST(ApiInstantiate, ExternFromAnotherStoreIsALinkError) {
  Store a, b;
  auto mem = a.create_memory(MemoryType{Limits{1, std::nullopt}});
  ASSERT_TRUE(mem);
  Linker linker;
  linker.define("env", "mem", *mem);
  auto module = compile_wat(R"((module (import "env" "mem" (memory 1))))");
  ASSERT_TRUE(module);
  auto inst = linker.instantiate(b, module);
  ASSERT_FALSE(inst);
  EXPECT_EQ(inst.error().kind, ErrorKind::Link);
  EXPECT_TRUE(linker.instantiate(a, module));
}

TEST(ApiInstantiate, PositionalImports) {
  // Instance::create takes one extern per import, in Module::imports()
  // order, with the same checks as the Linker and errors naming the import.
  auto module = compile_wat(R"((module
    (import "env" "mem" (memory 1))
    (import "env" "f" (func $f (param i32) (result i32)))
    (func (export "g") (param i32) (result i32) (call $f (local.get 0)))
    (export "mem2" (memory 0))))");
  ASSERT_TRUE(module);
  Store store;
  auto mem = store.create_memory(MemoryType{Limits{1, std::nullopt}});
  ASSERT_TRUE(mem);
  Func twice = store.create_host_func(
      FuncType{{ValType::I32}, {ValType::I32}},
      [](Caller&, std::span<const Value> a, std::span<Value> r) -> Result<void> {
        r[0] = Value::i32(a[0].as_i32() * 2);
        return {};
      });
  const Extern good[] = {*mem, twice};
  auto inst = Instance::create(store, module, good);
  ASSERT_TRUE(inst) << inst.error().to_string();
  const Value arg[] = {Value::i32(21)};
  auto r = inst->get_func("g")->call(arg);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_i32(), 42);
  // export_list is in declaration order and agrees with lookups by name.
  ASSERT_EQ(inst->export_list().size(), 2u);
  EXPECT_TRUE(std::holds_alternative<Memory>(inst->export_list()[1]));
  EXPECT_EQ(std::get<Memory>(inst->export_list()[1]).raw(), mem->raw());
  EXPECT_FALSE(inst->get_export("nope"));

  const Extern too_few[] = {*mem};
  auto e1 = Instance::create(store, module, too_few);
  ASSERT_FALSE(e1);
  EXPECT_EQ(e1.error().kind, ErrorKind::Link);
  EXPECT_NE(e1.error().message.find("2 imports, 1 given"), std::string::npos) << e1.error().message;

  const Extern swapped[] = {twice, *mem};
  auto e2 = Instance::create(store, module, swapped);
  ASSERT_FALSE(e2);
  EXPECT_NE(e2.error().message.find("\"env\" \"mem\""), std::string::npos) << e2.error().message;
  EXPECT_NE(e2.error().message.find("incompatible import type"), std::string::npos);

  Store other;
  auto e3 = Instance::create(other, module, good);
  ASSERT_FALSE(e3);
  EXPECT_NE(e3.error().message.find("belongs to another store"), std::string::npos);
  EXPECT_FALSE(Instance::create(store, nullptr, good));
}

TEST(ApiInstantiate, DefineInstanceSharesState) {
  Store store;
  Linker linker;
  auto producer = compile_wat(R"((module
    (memory (export "mem") 1)
    (global (export "counter") (mut i32) (i32.const 10))
    (func (export "bump") global.get 0 i32.const 1 i32.add global.set 0)))");
  ASSERT_TRUE(producer);
  auto p = linker.instantiate(store, producer);
  ASSERT_TRUE(p) << p.error().to_string();
  linker.define_instance("prod", *p);
  auto consumer = compile_wat(R"((module
    (import "prod" "mem" (memory 1))
    (import "prod" "counter" (global (mut i32)))
    (import "prod" "bump" (func $bump))
    (data (i32.const 100) "hi")
    (func (export "run") (result i32) call $bump global.get 0)))");
  ASSERT_TRUE(consumer);
  auto c = linker.instantiate(store, consumer);
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(std::memcmp(p->get_memory("mem")->data() + 100, "hi", 2), 0);
  auto r = c->get_func("run")->call({});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_i32(), 11);
  EXPECT_EQ(p->get_global("counter")->get().as_i32(), 11);
}

TEST(ApiInstantiate, GlobalInitialisers) {
  Store store;
  Linker linker;
  auto base = store.create_global(GlobalType{ValType::I32, false}, Value::i32(100));
  ASSERT_TRUE(base);
  linker.define("env", "base", *base);
  auto module = compile_wat(R"((module
    (import "env" "base" (global $base i32))
    (global (export "a") i32 (i32.const -7))
    (global (export "b") i64 (i64.const 0x7fffffffffffffff))
    (global (export "c") f32 (f32.const 1.5))
    (global (export "d") f64 (f64.const -0.25))
    (global (export "e") i32 (global.get $base))
    (global (export "f") i32 (i32.add (global.get $base) (i32.mul (i32.const 3) (i32.const 4))))
    (global (export "g") i64 (i64.sub (i64.const 1) (i64.const 2)))
    (global (export "h") funcref (ref.func $fn))
    (global (export "i") externref (ref.null extern))
    (func $fn (export "fn"))))");
  ASSERT_TRUE(module);
  auto inst = linker.instantiate(store, module);
  ASSERT_TRUE(inst) << inst.error().to_string();
  EXPECT_EQ(inst->get_global("a")->get().as_i32(), -7);
  EXPECT_EQ(inst->get_global("b")->get().as_i64(), 0x7fffffffffffffffll);
  EXPECT_EQ(inst->get_global("c")->get().as_f32(), 1.5f);
  EXPECT_EQ(inst->get_global("d")->get().as_f64(), -0.25);
  EXPECT_EQ(inst->get_global("e")->get().as_i32(), 100);
  EXPECT_EQ(inst->get_global("f")->get().as_i32(), 112);
  EXPECT_EQ(inst->get_global("g")->get().as_i64(), -1);
  EXPECT_EQ(inst->get_global("h")->get().bits,
            reinterpret_cast<uint64_t>(inst->get_func("fn")->raw()));
  EXPECT_TRUE(inst->get_global("i")->get().is_null());
  EXPECT_EQ(inst->get_global("i")->get().type, ValType::ExternRef);
}

TEST(ApiInstantiate, PartialInitialisationOnTrap) {
  Store store;
  Linker linker;
  auto shared = compile_wat(R"((module
    (memory (export "mem") 1)
    (table (export "tab") 10 funcref)))");
  ASSERT_TRUE(shared);
  auto s = linker.instantiate(store, shared);
  ASSERT_TRUE(s);
  linker.define_instance("S", *s);

  // Elem segment 0 fits, segment 1 is out of bounds: segment 0's writes stay,
  // the data segments are never reached.
  auto bad_elem = compile_wat(R"((module
    (import "S" "mem" (memory 1))
    (import "S" "tab" (table 10 funcref))
    (func $f)
    (elem (i32.const 0) $f $f)
    (elem (i32.const 9) $f $f)
    (data (i32.const 0) "x")))");
  ASSERT_TRUE(bad_elem);
  auto r = linker.instantiate(store, bad_elem);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::Trap);
  ASSERT_TRUE(r.error().trap);
  EXPECT_EQ(r.error().trap->kind, TrapKind::TableOutOfBounds);
  EXPECT_EQ(r.error().message, "out of bounds table access");
  Table tab = *s->get_table("tab");
  EXPECT_FALSE(tab.get(0)->is_null());
  EXPECT_FALSE(tab.get(1)->is_null());
  EXPECT_TRUE(tab.get(9)->is_null());
  EXPECT_EQ(s->get_memory("mem")->data()[0], 0);

  // Data segment 0 lands, segment 1 traps.
  auto bad_data = compile_wat(R"((module
    (import "S" "mem" (memory 1))
    (data (i32.const 10) "ab")
    (data (i32.const 65535) "cd")))");
  ASSERT_TRUE(bad_data);
  r = linker.instantiate(store, bad_data);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().trap->kind, TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(r.error().message, "out of bounds memory access");
  EXPECT_EQ(std::memcmp(s->get_memory("mem")->data() + 10, "ab", 2), 0);
  EXPECT_EQ(s->get_memory("mem")->data()[65535], 0);

  // Empty segments at exactly the end are fine; past the end they trap.
  auto edge = compile_wat(R"((module
    (import "S" "mem" (memory 1))
    (import "S" "tab" (table 10 funcref))
    (elem (i32.const 10) func)
    (data (i32.const 65536) "")))");
  ASSERT_TRUE(edge);
  EXPECT_TRUE(linker.instantiate(store, edge));
  auto past = compile_wat(R"((module
    (import "S" "mem" (memory 1))
    (data (i32.const 65537) "")))");
  ASSERT_TRUE(past);
  EXPECT_FALSE(linker.instantiate(store, past));
  auto negative = compile_wat(R"((module
    (import "S" "mem" (memory 1))
    (data (i32.const -1) "a")))");
  ASSERT_TRUE(negative);
  EXPECT_FALSE(linker.instantiate(store, negative));
}

TEST(ApiInstantiate, StartFunctionRunsAfterSegmentsAndCanTrap) {
  Store store;
  Linker linker;
  auto module = compile_wat(R"((module
    (memory (export "mem") 1)
    (data (i32.const 0) "\05")
    (global (export "seen") (mut i32) (i32.const 0))
    (func $start (global.set 0 (i32.load8_u (i32.const 0))))
    (start $start)))");
  ASSERT_TRUE(module);
  auto inst = linker.instantiate(store, module);
  ASSERT_TRUE(inst) << inst.error().to_string();
  EXPECT_EQ(inst->get_global("seen")->get().as_i32(), 5);

  auto trapping = compile_wat(R"((module (func $s unreachable) (start $s)))");
  ASSERT_TRUE(trapping);
  auto r = linker.instantiate(store, trapping);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::Trap);
  EXPECT_EQ(r.error().trap->kind, TrapKind::Unreachable);
}

TEST(ApiInstantiate, ElemSegmentsAndTableCalls) {
  Store store;
  Linker linker;
  auto module = compile_wat(R"((module
    (type $ret (func (result i32)))
    (table $t 5 funcref)
    (func $one (result i32) i32.const 1)
    (func $two (result i32) i32.const 2)
    (elem (table $t) (i32.add (i32.const 1) (i32.const 1)) funcref (ref.func $one) (ref.null func) (ref.func $two))
    (elem $passive funcref (ref.func $two))
    (elem declare func $one)
    (func (export "call") (param i32) (result i32) (call_indirect $t (type $ret) (local.get 0)))
    (func (export "init") (table.init $t $passive (i32.const 0) (i32.const 0) (i32.const 1)))))");
  ASSERT_TRUE(module);
  auto inst = linker.instantiate(store, module);
  ASSERT_TRUE(inst) << inst.error().to_string();
  detail::InstanceImpl* impl = inst->raw();
  ASSERT_EQ(impl->elem_values.size(), 3u);
  EXPECT_TRUE(impl->elem_values[0].empty());   // active: dropped
  EXPECT_EQ(impl->elem_values[1].size(), 1u);  // passive: kept
  EXPECT_TRUE(impl->elem_values[2].empty());   // declarative: dropped
  EXPECT_EQ(impl->elem_dropped, (std::vector<uint8_t>{1, 0, 1}));
  auto call = inst->get_func("call");
  auto r = call->call(std::vector<Value>{Value::i32(2)});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_i32(), 1);
  r = call->call(std::vector<Value>{Value::i32(4)});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_i32(), 2);
  r = call->call(std::vector<Value>{Value::i32(3)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().trap->kind, TrapKind::UninitializedElement);
  ASSERT_TRUE(inst->get_func("init")->call({}));
  r = call->call(std::vector<Value>{Value::i32(0)});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_i32(), 2);
}

TEST(ApiHostFunc, CallerSeesTheCallingInstancesMemory) {
  Linker linker;
  linker.func(
      "env", "sum", FuncType{{ValType::I32, ValType::I32}, {ValType::I32}},
      [](Caller& caller, std::span<const Value> args, std::span<Value> results) -> Result<void> {
        auto mem = caller.memory();
        if (!mem) return Error::usage("no memory");
        auto bytes = mem->slice(args[0].as_u32(), args[1].as_u32());
        if (!bytes) return Error::make_trap(TrapKind::MemoryOutOfBounds);
        int32_t sum = 0;
        for (uint8_t b : *bytes) sum += b;
        results[0] = Value::i32(sum);
        EXPECT_TRUE(caller.get_export("sum_of"));
        EXPECT_FALSE(caller.get_export("nothing"));
        return {};
      });
  auto module = compile_wat(R"((module
    (import "env" "sum" (func $sum (param i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 8) "\01\02\03\04")
    (func (export "sum_of") (param i32 i32) (result i32)
      (call $sum (local.get 0) (local.get 1)))))");
  ASSERT_TRUE(module);
  Store store;
  auto inst = linker.instantiate(store, module);
  ASSERT_TRUE(inst) << inst.error().to_string();
  auto f = inst->get_func("sum_of");
  auto r = f->call(std::vector<Value>{Value::i32(8), Value::i32(4)});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_i32(), 10);
  r = f->call(std::vector<Value>{Value::i32(65535), Value::i32(2)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::Trap);
  r = f->call(std::vector<Value>{Value::i32(-1), Value::i32(-1)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::Trap);
}

TEST(ApiHostFunc, LinkerHostFuncTypeMismatch) {
  Linker linker;
  linker.func("env", "f", FuncType{{}, {ValType::I32}}, noop);
  auto module = compile_wat(R"((module (import "env" "f" (func (result i64)))))");
  ASSERT_TRUE(module);
  Store store;
  auto inst = linker.instantiate(store, module);
  ASSERT_FALSE(inst);
  EXPECT_EQ(inst.error().message, "incompatible import type");
  auto as_memory = compile_wat(R"((module (import "env" "f" (memory 1))))");
  ASSERT_TRUE(as_memory);
  inst = linker.instantiate(store, as_memory);
  ASSERT_FALSE(inst);
  EXPECT_EQ(inst.error().message, "incompatible import type");
}

TEST(ApiThreads, OneModuleManyStoresManyThreads) {
  auto module = compile_wat(R"((module
    (import "env" "id" (func $id (result i32)))
    (memory 1)
    (global $g (mut i32) (i32.const 0))
    (data (i32.const 0) "\2a")
    (func (export "run") (param i32) (result i32)
      (local $i i32)
      (global.set $g (call $id))
      (block $done (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get 0)))
        (i32.store (i32.const 4) (i32.add (i32.load (i32.const 4)) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
      (i32.add (i32.add (i32.load (i32.const 4)) (i32.load8_u (i32.const 0))) (global.get $g)))))");
  ASSERT_TRUE(module);
  Linker linker;
  std::atomic<int> next_id{0};
  linker.func(
      "env", "id", FuncType{{}, {ValType::I32}},
      [&next_id](Caller&, std::span<const Value>, std::span<Value> results) -> Result<void> {
        results[0] = Value::i32(1000 * (next_id.fetch_add(1) + 1));
        return {};
      });
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        Store store;
        auto inst = linker.instantiate(store, module);
        if (!inst) {
          failures++;
          continue;
        }
        auto r = inst->get_func("run")->call(std::vector<Value>{Value::i32(100)});
        // sum 0..99 = 4950, + 42, + a multiple of 1000 from the host.
        if (!r || ((*r)[0].as_i32() - 4950 - 42) % 1000 != 0 || (*r)[0].as_i32() < 5992) {
          failures++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(next_id.load(), 100);
}

TEST(ApiLimits, StoreCapsApplyToInstantiationAndGrow) {
  auto module = runtime_test::compile_wat(R"((module
    (memory (export "mem") 2)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))))");
  ASSERT_TRUE(module);
  StoreLimits limits;
  limits.max_memory_bytes = 3 * 65536;
  Store store(limits);
  Linker linker;
  auto inst = linker.instantiate(store, module);
  ASSERT_TRUE(inst) << inst.error().to_string();
  auto grow = inst->get_func("grow");
  auto r = grow->call(std::vector<Value>{Value::i32(2)});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].as_i32(), -1);  // 4 pages > 3-page cap
  r = grow->call(std::vector<Value>{Value::i32(1)});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].as_i32(), 2);
  // A second instance does not fit.
  auto second = linker.instantiate(store, module);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, ErrorKind::Limit);

  auto table_module = runtime_test::compile_wat(R"((module (table 100 funcref)))");
  ASSERT_TRUE(table_module);
  StoreLimits table_limits;
  table_limits.max_table_elements = 50;
  Store small(table_limits);
  auto t = linker.instantiate(small, table_module);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, ErrorKind::Limit);
}

TEST(ApiFuncCall, RejectsFuncrefFromAnotherStore) {
  auto module = runtime_test::compile_wat(R"((module
    (func (export "id") (param funcref) (result funcref) (local.get 0))))");
  ASSERT_TRUE(module);
  Store a, b;
  Linker linker;
  auto ia = linker.instantiate(a, module);
  auto ib = linker.instantiate(b, module);
  ASSERT_TRUE(ia);
  ASSERT_TRUE(ib);
  Func fa = *ia->get_func("id");
  Func fb = *ib->get_func("id");
  Value ref_b{ValType::FuncRef, reinterpret_cast<uint64_t>(fb.raw())};
  auto r = fa.call(std::vector<Value>{ref_b});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::Usage);
  Value ref_a{ValType::FuncRef, reinterpret_cast<uint64_t>(fa.raw())};
  r = fa.call(std::vector<Value>{ref_a});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ((*r)[0].bits, ref_a.bits);
  EXPECT_EQ((*r)[0].type, ValType::FuncRef);
}

TEST(ApiModule, CompileErrors) {
  std::vector<uint8_t> garbage = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};
  auto r = Module::compile(garbage);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::Malformed);
  auto empty = Module::compile({});
  EXPECT_FALSE(empty);
  // Well-formed but invalid: a function returning i32 with an empty body.
  auto bytes = runtime_test::wat_to_wasm(R"((module (func (result i32) i32.const 0)))");
  ASSERT_FALSE(bytes.empty());
  // Patch i32.const 0 (0x41 0x00) to nop nop (0x01 0x01).
  for (size_t i = bytes.size() - 3; i > 0; --i) {
    if (bytes[i] == 0x41 && bytes[i + 1] == 0x00 && bytes[i + 2] == 0x0b) {
      bytes[i] = 0x01;
      bytes[i + 1] = 0x01;
      break;
    }
  }
  auto invalid = Module::compile(bytes);
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().kind, ErrorKind::Invalid);
}

}  // namespace
}  // namespace weft
