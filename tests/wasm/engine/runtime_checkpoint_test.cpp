// Store::checkpoint / Store::restore: after a restore the store must read
// exactly as at its checkpoint (every memory byte and size, tables, globals,
// dropped segments, exceptions, fuel), whatever the guest did in between,
// with and without memory images and pagemap-selective resets; a store
// that gained objects since must refuse.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "wasm/runtime/objects.h"
#include "wasm/runtime/runtime.h"
#include "wasm/text/wat.h"
#include "weft/weft.h"

namespace weft {
namespace {

// weft's own text format (wabt's wat2wasm lacks try_table).
std::vector<uint8_t> wat_to_wasm(const std::string& text) {
  auto bytes = text::wat_to_wasm(text, "checkpoint.wat");
  if (!bytes) {
    ADD_FAILURE() << bytes.error().to_string();
    return {};
  }
  return *bytes;
}

// Data in two pages, a start function that writes more (so some pages are
// private at the checkpoint), a mutable global, a funcref table, passive
// segments, and functions to change all of it.
const char* kModule = R"(
(module
  (memory (export "memory") 3 16)
  (global $g (export "g") (mut i32) (i32.const 7))
  (table $t (export "t") 4 8 funcref)
  (func $a (result i32) (i32.const 1))
  (func $b (result i32) (i32.const 2))
  (elem (table $t) (i32.const 0) func $a)
  (elem $passive_elem func $b $a)
  (data (i32.const 16) "initial data")
  (data (i32.const 70000) "second page data")
  (data $passive "passive!")
  (tag $e (param i32))
  (func $start
    (i32.store (i32.const 131072) (i32.const 0x5eed5eed))
    (global.set $g (i32.const 9)))
  (start $start)
  (func (export "scribble") (param $seed i32)
    (local $i i32)
    ;; every 4 KiB page of the three wasm pages, plus the data
    (loop $l
      (i32.store (i32.mul (local.get $i) (i32.const 4096))
                 (i32.add (local.get $seed) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 48))))
    (i32.store (i32.const 16) (local.get $seed))
    (global.set $g (local.get $seed))
    (table.set $t (i32.const 1) (ref.func $b))
    (drop (table.grow $t (ref.func $a) (i32.const 2)))
    (drop (memory.grow (i32.const 2)))
    (i32.store (i32.const 200000) (local.get $seed))
    (memory.init $passive (i32.const 300) (i32.const 0) (i32.const 8))
    (data.drop $passive)
    (table.init $t $passive_elem (i32.const 2) (i32.const 0) (i32.const 2))
    (elem.drop $passive_elem))
  (func (export "throw_caught") (param i32)
    (block $h (result i32)
      (try_table (catch $e $h) (throw $e (local.get 0)))
      (i32.const 0))
    drop)
  (func (export "init_passive") (memory.init $passive (i32.const 400) (i32.const 0) (i32.const 8)))
  (func (export "elem_init") (table.init $t $passive_elem (i32.const 3) (i32.const 0) (i32.const 1)))
  (func (export "call_slot") (param i32) (result i32)
    (call_indirect (result i32) (local.get 0)))
)
)";

struct State {
  std::vector<uint8_t> memory;
  uint64_t pages = 0;
  int32_t global = 0;
  uint64_t table_size = 0;
  std::vector<uint64_t> table_bits;
  bool operator==(const State&) const = default;
};

State observe(const Instance& inst) {
  State s;
  auto mem = std::get<Memory>(*inst.get_export("memory"));
  s.memory.assign(mem.data(), mem.data() + mem.size_bytes());
  s.pages = mem.pages();
  s.global = std::get<Global>(*inst.get_export("g")).get().as_i32();
  auto table = std::get<Table>(*inst.get_export("t"));
  s.table_size = table.size();
  for (uint64_t i = 0; i < table.size(); ++i) s.table_bits.push_back(table.get(i)->bits);
  return s;
}

Result<std::vector<Value>> call(const Instance& inst, const char* name,
                                std::vector<Value> args = {}) {
  auto f = std::get<Func>(*inst.get_export(name));
  return f.call(args);
}

class RuntimeCheckpoint : public ::testing::TestWithParam<std::tuple<bool, bool>> {
 protected:
  void SetUp() override {
    const auto [with_image, selective] = GetParam();
    detail::set_memory_image_min_bytes(with_image ? 0 : UINT64_MAX);
    detail::set_memory_image_selective_reset(selective);
    auto module = Module::compile(wat_to_wasm(kModule));
    ASSERT_TRUE(module) << module.error().to_string();
    module_ = *module;
    detail::set_memory_image_min_bytes(detail::kDefaultMemoryImageMinBytes);
  }
  void TearDown() override {
    detail::set_memory_image_min_bytes(detail::kDefaultMemoryImageMinBytes);
    detail::set_memory_image_selective_reset(true);
  }
  std::shared_ptr<const Module> module_;
};

TEST_P(RuntimeCheckpoint, RestoreUndoesEverythingTheGuestChanged) {
  Store store;
  auto inst = Instance::create(store, module_, {});
  ASSERT_TRUE(inst) << inst.error().to_string();
  const State fresh = observe(*inst);
  ASSERT_EQ(fresh.global, 9);  // the start function ran
  ASSERT_TRUE(store.checkpoint());
  const size_t exceptions = store.impl().exceptions.size();
  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(call(*inst, "scribble", {Value::i32(1000 + round)}));
    ASSERT_TRUE(call(*inst, "throw_caught", {Value::i32(round)}));
    State dirty = observe(*inst);
    ASSERT_NE(dirty, fresh);
    EXPECT_EQ(dirty.pages, 5u);
    EXPECT_GT(store.impl().exceptions.size(), exceptions);
    ASSERT_TRUE(store.restore()) << "round " << round;
    EXPECT_EQ(store.impl().exceptions.size(), exceptions);
    State back = observe(*inst);
    EXPECT_EQ(back.pages, fresh.pages);
    EXPECT_EQ(back.global, fresh.global);
    EXPECT_EQ(back.table_bits, fresh.table_bits);
    ASSERT_EQ(back.memory.size(), fresh.memory.size());
    EXPECT_TRUE(back.memory == fresh.memory) << "memory differs after restore, round " << round;
    // Dropped segments are live again, as in a new instance.
    EXPECT_TRUE(call(*inst, "init_passive")) << "data segment still dropped";
    EXPECT_TRUE(call(*inst, "elem_init")) << "elem segment still dropped";
    ASSERT_TRUE(store.restore());
    EXPECT_TRUE(observe(*inst) == fresh);
    // The grown pages are gone: inaccessible again, and zero when regrown.
    auto mem = std::get<Memory>(*inst->get_export("memory"));
    EXPECT_FALSE(mem.slice(200000, 4));
  }
  auto mem = std::get<Memory>(*inst->get_export("memory"));
  ASSERT_TRUE(mem.grow(2));
  auto grown = mem.slice(3 * 65536, 2 * 65536);
  ASSERT_TRUE(grown);
  for (uint8_t b : *grown) ASSERT_EQ(b, 0);
  // The original table slot works again.
  ASSERT_TRUE(store.restore());
  auto r = call(*inst, "call_slot", {Value::i32(0)});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].as_i32(), 1);
}

TEST_P(RuntimeCheckpoint, MemoryAccountingAndFuelComeBack) {
  StoreLimits limits;
  limits.max_memory_bytes = 6 * 65536;
  limits.fuel = 1'000'000;
  Store store(limits);
  auto inst = Instance::create(store, module_, {});
  ASSERT_TRUE(inst);
  const auto fuel = store.fuel_remaining();
  ASSERT_TRUE(store.checkpoint());
  for (int round = 0; round < 10; ++round) {
    // Without the accounting restored, the grows would hit the cap.
    ASSERT_TRUE(call(*inst, "scribble", {Value::i32(round)}));
    EXPECT_EQ(std::get<Memory>(*inst->get_export("memory")).pages(), 5u);
    ASSERT_TRUE(store.restore());
    EXPECT_EQ(store.fuel_remaining(), fuel);
  }
}

TEST_P(RuntimeCheckpoint, RefusesWithoutCheckpointOrWithNewObjects) {
  Store store;
  auto inst = Instance::create(store, module_, {});
  ASSERT_TRUE(inst);
  EXPECT_FALSE(store.restore());
  ASSERT_TRUE(store.checkpoint());
  EXPECT_TRUE(store.restore());
  ASSERT_TRUE(store.create_global({ValType::I32, true}, Value::i32(0)));
  EXPECT_FALSE(store.restore());
  Store other;
  auto inst2 = Instance::create(other, module_, {});
  ASSERT_TRUE(inst2);
  ASSERT_TRUE(other.checkpoint());
  ASSERT_TRUE(Instance::create(other, module_, {}));
  EXPECT_FALSE(other.restore());
}

// More pages written than a restore copies back (1 MiB): the rest are
// dropped to the mapping under them, and must read as they did.
TEST_P(RuntimeCheckpoint, ManyPagesWrittenSince) {
  std::string wat = kModule;
  auto replace = [&](const std::string& from, const std::string& to) {
    size_t at = wat.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    wat.replace(at, from.size(), to);
  };
  replace(R"((memory (export "memory") 3 16))", R"((memory (export "memory") 24 32))");
  replace("(i32.const 48)", "(i32.const 384)");
  replace("(i32.const 200000)", "(i32.const 1600000)");
  auto module = Module::compile(wat_to_wasm(wat));
  ASSERT_TRUE(module) << module.error().to_string();
  Store store;
  auto inst = Instance::create(store, *module, {});
  ASSERT_TRUE(inst) << inst.error().to_string();
  const State fresh = observe(*inst);
  ASSERT_TRUE(store.checkpoint());
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(call(*inst, "scribble", {Value::i32(7 + round)}));
    ASSERT_TRUE(store.restore());
    EXPECT_TRUE(observe(*inst) == fresh) << "round " << round;
  }
}

// What lets a server tell a start function that asked the host for
// something (which a checkpoint would replay) from one that did not.
TEST(RuntimeCheckpointHostCalls, CountsCallsIntoTheHost) {
  auto module = Module::compile(wat_to_wasm(R"(
    (module
      (import "host" "entropy" (func $entropy (result i32)))
      (global $seed (mut i32) (i32.const 0))
      (func $start (global.set $seed (call $entropy)))
      (start $start)
      (func (export "again") (result i32) (call $entropy)))
  )"));
  ASSERT_TRUE(module) << module.error().to_string();
  Linker linker;
  int answers = 0;
  linker.func("host", "entropy", FuncType{{}, {ValType::I32}},
              [&](Caller&, std::span<const Value>, std::span<Value> results) -> Result<void> {
                results[0] = Value::i32(++answers);
                return {};
              });
  Store store;
  EXPECT_EQ(store.host_calls(), 0u);
  auto inst = linker.instantiate(store, *module);
  ASSERT_TRUE(inst) << inst.error().to_string();
  EXPECT_EQ(store.host_calls(), 1u);  // the start function's
  ASSERT_TRUE(inst->get_func("again")->call({}));
  EXPECT_EQ(store.host_calls(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Modes, RuntimeCheckpoint,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) ? "Image" : "Copied") +
                                  (std::get<1>(info.param) ? "Selective" : "Whole");
                         });

}  // namespace
}  // namespace weft
