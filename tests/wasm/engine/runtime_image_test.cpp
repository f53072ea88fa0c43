// Copy-on-write memory images: instantiation maps a module's initial memory
// instead of copying its data segments. The memory must read exactly as if
// the segments had been copied, no instance may see another's writes, and
// every case the image cannot express must fall back to copying with the
// spec's traps.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "runtime_test_util.h"
#include "wasm/runtime/objects.h"
#include "wasm/runtime/runtime.h"
#include "weft/weft.h"

namespace weft {
namespace {

using runtime_test::wat_to_wasm;

constexpr uint64_t kPage = 65536;

class RuntimeImage : public ::testing::Test {
 protected:
  void SetUp() override {
    // Images even for tiny modules, and a pool without earlier ranges.
    detail::set_memory_image_min_bytes(0);
    detail::set_memory_image_selective_reset(true);
    detail::set_memory_pooling(false);
    detail::set_memory_pooling(true);
  }
  void TearDown() override {
    detail::set_memory_image_min_bytes(detail::kDefaultMemoryImageMinBytes);
    detail::set_memory_image_selective_reset(true);
  }

  static std::shared_ptr<const Module> compile(const std::string& wat, bool with_image) {
    detail::set_memory_image_min_bytes(with_image ? 0 : UINT64_MAX);
    std::vector<uint8_t> bytes = wat_to_wasm(wat);
    auto module = Module::compile(bytes);
    detail::set_memory_image_min_bytes(0);
    if (!module) {
      ADD_FAILURE() << module.error().to_string();
      return nullptr;
    }
    return *module;
  }
};

// Overlapping segments, extended-const offsets, a page-crossing segment, an
// all-zero one past the last nonzero byte and a passive one.
const char* kDataModule = R"(
(module
  (memory (export "memory") 3 8)
  (data (i32.const 0) "\01\02\03")
  (data (i32.const 100) "hello")
  (data (i32.add (i32.const 4000) (i32.const 90)) "crosses the 4 KiB page boundary")
  (data (i32.const 102) "XY")
  (data (i32.const 65536) "second wasm page")
  (data (i32.mul (i32.const 2) (i32.const 70000)) "\00\00\00\00")
  (data $passive "passive!")
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "init_active") (param i32)
    (memory.init 1 (i32.const 0) (i32.const 0) (local.get 0)))
  (func (export "init_passive") (memory.init $passive (i32.const 200) (i32.const 0) (i32.const 8)))
  (func (export "drop_passive") (data.drop $passive))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)
)";

std::vector<uint8_t> snapshot(const Memory& mem) {
  return std::vector<uint8_t>(mem.data(), mem.data() + mem.size_bytes());
}

Result<std::vector<Value>> call(const Instance& inst, const char* name,
                                std::vector<Value> args = {}) {
  auto func = inst.get_func(name);
  if (!func) return Error::usage(std::string("no export ") + name);
  return func->call(args);
}

int32_t load(const Instance& inst, int32_t addr) {
  auto r = call(inst, "load", {Value::i32(addr)});
  EXPECT_TRUE(r) << r.error().to_string();
  return r ? (*r)[0].as_i32() : -1;
}

TEST_F(RuntimeImage, ImageIsBuiltOnlyWhenAllowed) {
  auto imaged = compile(kDataModule, true);
  auto copied = compile(kDataModule, false);
  ASSERT_TRUE(imaged && copied);
  ASSERT_NE(imaged->impl().memory_image, nullptr);
  EXPECT_EQ(copied->impl().memory_image, nullptr);
  // Up to the last nonzero byte, in whole host pages.
  EXPECT_EQ(imaged->impl().memory_image->bytes % 4096, 0u);
  EXPECT_GE(imaged->impl().memory_image->bytes, kPage + 16);
  EXPECT_LE(imaged->impl().memory_image->bytes, 2 * kPage);
}

TEST_F(RuntimeImage, ContentsEqualCopiedSegments) {
  auto imaged = compile(kDataModule, true);
  auto copied = compile(kDataModule, false);
  ASSERT_TRUE(imaged && copied);
  Linker linker;
  Store store_a, store_b;
  auto a = linker.instantiate(store_a, imaged);
  auto b = linker.instantiate(store_b, copied);
  ASSERT_TRUE(a && b);
  ASSERT_NE(a->get_memory("memory")->raw()->image, nullptr);
  EXPECT_EQ(b->get_memory("memory")->raw()->image, nullptr);
  std::vector<uint8_t> image_bytes = snapshot(*a->get_memory("memory"));
  std::vector<uint8_t> copy_bytes = snapshot(*b->get_memory("memory"));
  ASSERT_EQ(image_bytes.size(), 3 * kPage);
  EXPECT_TRUE(image_bytes == copy_bytes);
  EXPECT_EQ(std::memcmp(image_bytes.data() + 100, "heXYo", 5), 0);
  EXPECT_EQ(load(*a, 4095), 'e');  // "crosses the 4 KiB ..." starts at 4090
}

TEST_F(RuntimeImage, WritesStayInTheirInstance) {
  auto module = compile(kDataModule, true);
  ASSERT_TRUE(module);
  Linker linker;
  std::vector<uint8_t> pristine;
  uint8_t* first_bases[2] = {nullptr, nullptr};
  {
    Store store_a, store_b;
    auto a = linker.instantiate(store_a, module);
    auto b = linker.instantiate(store_b, module);
    ASSERT_TRUE(a && b);
    Memory mem_a = *a->get_memory("memory");
    first_bases[0] = mem_a.data();
    first_bases[1] = b->get_memory("memory")->data();
    pristine = snapshot(mem_a);
    // From wasm and from the host, in the image and past it.
    ASSERT_TRUE(call(*a, "store", {Value::i32(100), Value::i32('J')}));
    ASSERT_TRUE(call(*a, "store", {Value::i32(2 * kPage + 5), Value::i32(7)}));
    mem_a.data()[kPage] = 'Z';
    std::memset(mem_a.data() + 8192, 0xEE, 4096);
    EXPECT_EQ(load(*a, 100), 'J');
    EXPECT_EQ(load(*b, 100), 'h');
    EXPECT_EQ(load(*b, kPage), 's');
    EXPECT_TRUE(snapshot(*b->get_memory("memory")) == pristine);
  }
  // Later instances reuse the pooled ranges: reset, never the old writes.
  for (bool selective : {true, false}) {
    detail::set_memory_image_selective_reset(selective);
    for (int round = 0; round < 3; ++round) {
      Store store;
      auto c = linker.instantiate(store, module);
      ASSERT_TRUE(c);
      Memory mem = *c->get_memory("memory");
      EXPECT_TRUE(snapshot(mem) == pristine) << "selective=" << selective << " round=" << round;
      // Dirty it again for the next round.
      mem.data()[100] = 'Q';
      mem.data()[kPage + 1] = 'Q';
      mem.data()[2 * kPage + 9] = 'Q';
    }
  }
  Store store;
  auto d = linker.instantiate(store, module);
  ASSERT_TRUE(d);
  uint8_t* base = d->get_memory("memory")->data();
  EXPECT_TRUE(base == first_bases[0] || base == first_bases[1]);  // the pool served it
  EXPECT_TRUE(snapshot(*d->get_memory("memory")) == pristine);
}

TEST_F(RuntimeImage, PooledImageRangeServesOtherMemoriesZeroed) {
  auto module = compile(kDataModule, true);
  ASSERT_TRUE(module);
  Linker linker;
  uint8_t* base = nullptr;
  {
    Store store;
    auto inst = linker.instantiate(store, module);
    ASSERT_TRUE(inst);
    base = inst->get_memory("memory")->data();
    inst->get_memory("memory")->data()[5] = 1;
  }
  Store store;
  auto mem = store.create_memory(MemoryType{Limits{3, 8}});  // same reservation size
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->data(), base);
  EXPECT_EQ(mem->raw()->image, nullptr);
  std::vector<uint8_t> bytes = snapshot(*mem);
  EXPECT_TRUE(std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; }));
}

TEST_F(RuntimeImage, GrowPastTheImage) {
  auto module = compile(kDataModule, true);
  ASSERT_TRUE(module);
  Linker linker;
  std::vector<uint8_t> pristine;
  {
    Store store;
    auto inst = linker.instantiate(store, module);
    ASSERT_TRUE(inst);
    pristine = snapshot(*inst->get_memory("memory"));
    auto grown = call(*inst, "grow", {Value::i32(2)});
    ASSERT_TRUE(grown);
    EXPECT_EQ((*grown)[0].as_i32(), 3);
    EXPECT_EQ(load(*inst, 100), 'h');
    EXPECT_EQ(load(*inst, 5 * kPage - 1), 0);
    ASSERT_TRUE(call(*inst, "store", {Value::i32(5 * kPage - 1), Value::i32(9)}));
    ASSERT_TRUE(call(*inst, "store", {Value::i32(101), Value::i32(9)}));
  }
  Store store;
  auto inst = linker.instantiate(store, module);
  ASSERT_TRUE(inst);
  EXPECT_EQ(inst->get_memory("memory")->pages(), 3u);
  EXPECT_TRUE(snapshot(*inst->get_memory("memory")) == pristine);
  auto grown = call(*inst, "grow", {Value::i32(2)});
  ASSERT_TRUE(grown);
  EXPECT_EQ(load(*inst, 5 * kPage - 1), 0);  // the old grown page came back zero
}

TEST_F(RuntimeImage, ActiveSegmentsAreDroppedPassiveOnesAreNot) {
  auto module = compile(kDataModule, true);
  ASSERT_TRUE(module);
  Linker linker;
  Store store;
  auto inst = linker.instantiate(store, module);
  ASSERT_TRUE(inst);
  // An active segment is dropped by instantiation: length 0 is fine, 1 traps.
  EXPECT_TRUE(call(*inst, "init_active", {Value::i32(0)}));
  auto trapped = call(*inst, "init_active", {Value::i32(1)});
  ASSERT_FALSE(trapped);
  ASSERT_TRUE(trapped.error().is_trap());
  EXPECT_EQ(trapped.error().trap->kind, TrapKind::MemoryOutOfBounds);
  // The passive one still initialises, until dropped.
  ASSERT_TRUE(call(*inst, "init_passive"));
  EXPECT_EQ(std::memcmp(inst->get_memory("memory")->data() + 200, "passive!", 8), 0);
  ASSERT_TRUE(call(*inst, "drop_passive"));
  EXPECT_FALSE(call(*inst, "init_passive"));
}

TEST_F(RuntimeImage, GlobalOffsetFallsBackToCopying) {
  const char* wat = R"(
(module
  (global $base (import "env" "base") i32)
  (memory (export "memory") 1)
  (data (i32.const 0) "fixed")
  (data (global.get $base) "moved"))
)";
  auto module = compile(wat, true);
  ASSERT_TRUE(module);
  EXPECT_EQ(module->impl().memory_image, nullptr);
  for (int32_t base : {16, 4096}) {
    Store store;
    auto global = store.create_global(GlobalType{ValType::I32, false}, Value::i32(base));
    ASSERT_TRUE(global);
    Linker linker;
    linker.define("env", "base", *global);
    auto inst = linker.instantiate(store, module);
    ASSERT_TRUE(inst);
    uint8_t* data = inst->get_memory("memory")->data();
    EXPECT_EQ(std::memcmp(data, "fixed", 5), 0);
    EXPECT_EQ(std::memcmp(data + base, "moved", 5), 0);
  }
}

TEST_F(RuntimeImage, OutOfBoundsSegmentStillTrapsInOrder) {
  // The first segment is written into the imported memory, then the second
  // traps: the memory keeps the first one (2.0 semantics).
  const char* importer = R"(
(module
  (memory (import "env" "mem") 1)
  (data (i32.const 0) "first")
  (data (i32.const 65534) "past the end"))
)";
  const char* definer = R"(
(module
  (memory 1)
  (data (i32.const 0) "first")
  (data (i32.const 65534) "past the end"))
)";
  auto defined = compile(definer, true);
  ASSERT_TRUE(defined);
  EXPECT_EQ(defined->impl().memory_image, nullptr);
  {
    Store store;
    Linker linker;
    auto result = linker.instantiate(store, defined);
    ASSERT_FALSE(result);
    ASSERT_TRUE(result.error().is_trap());
    EXPECT_EQ(result.error().trap->kind, TrapKind::MemoryOutOfBounds);
  }
  auto imported = compile(importer, true);
  ASSERT_TRUE(imported);
  EXPECT_EQ(imported->impl().memory_image, nullptr);
  Store store;
  auto mem = store.create_memory(MemoryType{Limits{1, std::nullopt}});
  ASSERT_TRUE(mem);
  Linker linker;
  linker.define("env", "mem", *mem);
  auto result = linker.instantiate(store, imported);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().trap->kind, TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(std::memcmp(mem->data(), "first", 5), 0);
}

TEST_F(RuntimeImage, ElemTrapBeforeDataLeavesMemoryZero) {
  // The first elem segment puts $peek in the imported table; the second one
  // traps when $at is past the table, before any data segment: $peek must
  // then see a zero memory, even when the range came from the pool already
  // holding this module's image.
  const char* wat = R"(
(module
  (table (import "env" "table") 4 funcref)
  (global $at (import "env" "at") i32)
  (memory 1)
  (func $peek (result i32) (i32.load8_u (i32.const 8)))
  (elem (i32.const 0) $peek)
  (elem (global.get $at) $peek)
  (data (i32.const 8) "\2a"))
)";
  auto module = compile(wat, true);
  ASSERT_TRUE(module);
  ASSERT_NE(module->impl().memory_image, nullptr);
  for (int32_t at : {1, 100, 2, 100}) {
    Store store;
    auto table = store.create_table(TableType{ValType::FuncRef, Limits{4, std::nullopt}},
                                    Value::null(ValType::FuncRef));
    auto global = store.create_global(GlobalType{ValType::I32, false}, Value::i32(at));
    ASSERT_TRUE(table && global);
    Linker linker;
    linker.define("env", "table", *table);
    linker.define("env", "at", *global);
    auto inst = linker.instantiate(store, module);
    EXPECT_EQ(static_cast<bool>(inst), at < 4);
    auto peek = table->get(0);
    ASSERT_TRUE(peek && !peek->is_null());
    auto result = Func(reinterpret_cast<detail::FuncInst*>(peek->bits)).call({});
    ASSERT_TRUE(result);
    EXPECT_EQ((*result)[0].as_i32(), at < 4 ? 42 : 0) << "at=" << at;
  }
}

TEST_F(RuntimeImage, AllZeroSegmentsNeedNoMapping) {
  auto module =
      compile(R"((module (memory (export "memory") 1) (data (i32.const 10) "\00\00")))", true);
  ASSERT_TRUE(module);
  ASSERT_NE(module->impl().memory_image, nullptr);
  EXPECT_EQ(module->impl().memory_image->bytes, 0u);
  Store store;
  Linker linker;
  auto inst = linker.instantiate(store, module);
  ASSERT_TRUE(inst);
  std::vector<uint8_t> bytes = snapshot(*inst->get_memory("memory"));
  EXPECT_TRUE(std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; }));
}

TEST_F(RuntimeImage, ThreadsShareOneImage) {
  auto module = compile(kDataModule, true);
  ASSERT_TRUE(module);
  std::vector<uint8_t> pristine;
  {
    Store store;
    auto inst = Linker().instantiate(store, module);
    ASSERT_TRUE(inst);
    pristine = snapshot(*inst->get_memory("memory"));
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Linker linker;
      for (int i = 0; i < 50; ++i) {
        Store store;
        auto inst = linker.instantiate(store, module);
        if (!inst || snapshot(*inst->get_memory("memory")) != pristine) ++mismatches;
        if (inst) std::memset(inst->get_memory("memory")->data() + 96, t + 1, 8192);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_F(RuntimeImage, SmallModulesCopyByDefault) {
  detail::set_memory_image_min_bytes(detail::kDefaultMemoryImageMinBytes);
  std::vector<uint8_t> bytes = wat_to_wasm(kDataModule);
  auto module = Module::compile(bytes);
  ASSERT_TRUE(module);
  EXPECT_EQ((*module)->impl().memory_image, nullptr);
}

}  // namespace
}  // namespace weft
