// Store-level objects: memories, tables, globals, limits, type interning.
#include <gtest/gtest.h>

#include <limits>
#include <thread>

#include "wasm/runtime/objects.h"
#include "weft/weft.h"

namespace weft {
namespace {

constexpr uint64_t kPage = 65536;

TEST(RuntimeMemory, StartsZeroedAndGrowsInPlace) {
  Store store;
  auto mem = store.create_memory(MemoryType{Limits{1, 4}});
  ASSERT_TRUE(mem) << mem.error().to_string();
  EXPECT_EQ(mem->pages(), 1u);
  EXPECT_EQ(mem->size_bytes(), kPage);
  uint8_t* base = mem->data();
  for (uint64_t i = 0; i < kPage; i += 4096) EXPECT_EQ(base[i], 0);
  base[kPage - 1] = 7;

  auto old = mem->grow(2);
  ASSERT_TRUE(old);
  EXPECT_EQ(*old, 1u);
  EXPECT_EQ(mem->pages(), 3u);
  EXPECT_EQ(mem->data(), base);  // the base never moves
  EXPECT_EQ(base[kPage - 1], 7);
  EXPECT_EQ(base[3 * kPage - 1], 0);
  base[3 * kPage - 1] = 1;  // writable

  EXPECT_FALSE(mem->grow(2));  // 5 > max 4
  auto same = mem->grow(0);
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, 3u);
  ASSERT_TRUE(mem->grow(1));
  EXPECT_EQ(mem->pages(), 4u);
  EXPECT_FALSE(mem->grow(1));
  EXPECT_EQ(mem->type().limits.min, 4u);  // current size
  EXPECT_EQ(mem->type().limits.max, 4u);
}

TEST(RuntimeMemory, GrowRejectsHugeDeltas) {
  Store store;
  auto mem = store.create_memory(MemoryType{Limits{0, std::nullopt}});
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->pages(), 0u);
  EXPECT_FALSE(mem->grow(65537));
  EXPECT_FALSE(mem->grow(std::numeric_limits<uint64_t>::max()));
  EXPECT_FALSE(mem->grow(std::numeric_limits<uint64_t>::max() / kPage + 1));
  EXPECT_EQ(mem->raw()->grow(std::numeric_limits<uint64_t>::max()),
            std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(mem->pages(), 0u);
  ASSERT_TRUE(mem->grow(1));
  EXPECT_EQ(mem->pages(), 1u);
}

TEST(RuntimeMemory, ZeroMaxMemory) {
  Store store;
  auto mem = store.create_memory(MemoryType{Limits{0, 0}});
  ASSERT_TRUE(mem);
  EXPECT_NE(mem->data(), nullptr);
  EXPECT_FALSE(mem->grow(1));
  auto empty = mem->slice(0, 0);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->size(), 0u);
  EXPECT_FALSE(mem->slice(0, 1));
}

TEST(RuntimeMemory, StoreMemoryCapIsSummedOverMemories) {
  StoreLimits limits;
  limits.max_memory_bytes = 3 * kPage;
  Store store(limits);
  auto a = store.create_memory(MemoryType{Limits{2, std::nullopt}});
  ASSERT_TRUE(a);
  auto b = store.create_memory(MemoryType{Limits{1, std::nullopt}});
  ASSERT_TRUE(b);
  EXPECT_EQ(store.impl().memory_bytes_in_use, 3 * kPage);
  EXPECT_FALSE(a->grow(1));
  EXPECT_FALSE(b->grow(1));
  auto c = store.create_memory(MemoryType{Limits{1, std::nullopt}});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::Limit);
  // A zero-page memory still fits.
  EXPECT_TRUE(store.create_memory(MemoryType{Limits{0, std::nullopt}}));
}

TEST(RuntimeMemory, CreateRejectsBadTypes) {
  Store store;
  EXPECT_FALSE(store.create_memory(MemoryType{Limits{65537, std::nullopt}}));
  EXPECT_FALSE(store.create_memory(MemoryType{Limits{2, 1}}));
  EXPECT_FALSE(store.create_memory(MemoryType{Limits{0, 70000}}));
}

TEST(RuntimeMemory, FullSizeMemoryReservation) {
  Store store;
  auto mem = store.create_memory(MemoryType{Limits{1, 65536}});
  ASSERT_TRUE(mem);
  EXPECT_GE(mem->raw()->reserved_bytes, 65536 * kPage);
}

TEST(RuntimeMemory, SliceBoundsAndOverflow) {
  Store store;
  auto mem = store.create_memory(MemoryType{Limits{1, std::nullopt}});
  ASSERT_TRUE(mem);
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  auto whole = mem->slice(0, kPage);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->size(), kPage);
  EXPECT_EQ(whole->data(), mem->data());
  auto last = mem->slice(kPage - 1, 1);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->data(), mem->data() + kPage - 1);
  EXPECT_TRUE(mem->slice(kPage, 0));  // empty at the end is in bounds
  EXPECT_FALSE(mem->slice(kPage, 1));
  EXPECT_FALSE(mem->slice(kPage + 1, 0));
  EXPECT_FALSE(mem->slice(0, kPage + 1));
  EXPECT_FALSE(mem->slice(1, kMax));  // addr + len wraps to 0
  EXPECT_FALSE(mem->slice(kMax, 1));  // wraps to 0
  EXPECT_FALSE(mem->slice(kMax, kMax));
  EXPECT_FALSE(mem->slice(kPage - 1, kMax - kPage + 2));  // wraps to 0
  EXPECT_FALSE(mem->slice(0x100000000ull, 0));
}

TEST(RuntimeTable, GrowWithMaxAndStoreCap) {
  StoreLimits limits;
  limits.max_table_elements = 10;
  Store store(limits);
  auto table =
      store.create_table(TableType{ValType::FuncRef, Limits{2, 8}}, Value::null(ValType::FuncRef));
  ASSERT_TRUE(table) << table.error().to_string();
  EXPECT_EQ(table->size(), 2u);
  EXPECT_EQ(table->raw()->grow(3, 0), 2u);
  EXPECT_EQ(table->size(), 5u);
  EXPECT_EQ(table->raw()->grow(4, 0), std::numeric_limits<uint32_t>::max());  // 9 > max 8
  EXPECT_EQ(table->raw()->grow(0, 0), 5u);
  EXPECT_EQ(table->raw()->grow(std::numeric_limits<uint32_t>::max(), 0),
            std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(table->type().limits.min, 5u);

  auto unbounded = store.create_table(TableType{ValType::ExternRef, Limits{0, std::nullopt}},
                                      Value::extern_ref(41));
  ASSERT_TRUE(unbounded);
  EXPECT_EQ(unbounded->raw()->grow(10, Value::extern_ref(5).bits), 0u);
  EXPECT_EQ(unbounded->raw()->grow(1, 0), std::numeric_limits<uint32_t>::max());  // store cap
  auto v = unbounded->get(9);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->type, ValType::ExternRef);
  EXPECT_EQ(v->extern_payload(), 5u);

  auto too_big = store.create_table(TableType{ValType::FuncRef, Limits{11, std::nullopt}},
                                    Value::null(ValType::FuncRef));
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().kind, ErrorKind::Limit);
}

TEST(RuntimeTable, GetSetChecksBoundsAndTypes) {
  Store store;
  auto table = store.create_table(TableType{ValType::ExternRef, Limits{3, std::nullopt}},
                                  Value::null(ValType::ExternRef));
  ASSERT_TRUE(table);
  EXPECT_TRUE(table->get(0)->is_null());
  EXPECT_FALSE(table->get(3));
  EXPECT_FALSE(table->get(std::numeric_limits<uint64_t>::max()));
  EXPECT_TRUE(table->set(2, Value::extern_ref(0)));
  EXPECT_EQ(table->get(2)->bits, 1u);
  EXPECT_FALSE(table->set(3, Value::extern_ref(0)));
  auto wrong = table->set(0, Value::i32(1));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().kind, ErrorKind::Usage);
  EXPECT_FALSE(table->set(0, Value::null(ValType::FuncRef)));

  EXPECT_FALSE(store.create_table(TableType{ValType::FuncRef, Limits{1, std::nullopt}},
                                  Value::null(ValType::ExternRef)));
  EXPECT_FALSE(store.create_table(TableType{ValType::I32, Limits{1, std::nullopt}}, Value::i32(0)));
}

TEST(RuntimeTable, RejectsFuncFromAnotherStore) {
  Store a, b;
  Func f = a.create_host_func(
      FuncType{}, [](Caller&, std::span<const Value>, std::span<Value>) { return Result<void>(); });
  auto table = b.create_table(TableType{ValType::FuncRef, Limits{1, std::nullopt}},
                              Value::null(ValType::FuncRef));
  ASSERT_TRUE(table);
  Value ref{ValType::FuncRef, reinterpret_cast<uint64_t>(f.raw())};
  EXPECT_FALSE(table->set(0, ref));
  auto in_a = a.create_table(TableType{ValType::FuncRef, Limits{1, std::nullopt}}, ref);
  ASSERT_TRUE(in_a);
  EXPECT_EQ(in_a->get(0)->bits, ref.bits);
}

TEST(RuntimeGlobal, GetSetAndMutability) {
  Store store;
  auto constant = store.create_global(GlobalType{ValType::I32, false}, Value::i32(-5));
  ASSERT_TRUE(constant);
  EXPECT_EQ(constant->get().as_i32(), -5);
  auto err = constant->set(Value::i32(1));
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().kind, ErrorKind::Usage);
  EXPECT_EQ(constant->get().as_i32(), -5);

  auto var = store.create_global(GlobalType{ValType::F64, true}, Value::f64(1.5));
  ASSERT_TRUE(var);
  EXPECT_TRUE(var->set(Value::f64(2.5)));
  EXPECT_EQ(var->get().as_f64(), 2.5);
  EXPECT_EQ(var->get().type, ValType::F64);
  auto wrong = var->set(Value::f32(2.5f));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().kind, ErrorKind::Usage);
  EXPECT_TRUE(var->type().is_mutable);

  EXPECT_FALSE(store.create_global(GlobalType{ValType::I64, false}, Value::i32(0)));
  auto ref =
      store.create_global(GlobalType{ValType::ExternRef, true}, Value::null(ValType::ExternRef));
  ASSERT_TRUE(ref);
  EXPECT_TRUE(ref->get().is_null());
  EXPECT_TRUE(ref->set(Value::extern_ref(9)));
  EXPECT_EQ(ref->get().extern_payload(), 9u);
}

TEST(RuntimeStore, FuelAndInterrupt) {
  StoreLimits limits;
  limits.fuel = 100;
  Store store(limits);
  EXPECT_EQ(store.fuel_remaining(), 100u);
  store.set_fuel(std::nullopt);
  EXPECT_FALSE(store.fuel_remaining());
  store.set_fuel(7);
  EXPECT_EQ(store.fuel_remaining(), 7u);
  EXPECT_TRUE(store.impl().fuel_enabled);

  Store unmetered;
  EXPECT_FALSE(unmetered.fuel_remaining());
  InterruptHandle handle = unmetered.interrupt_handle();
  std::thread([&] { handle.interrupt(); }).join();
  EXPECT_TRUE(unmetered.impl().interrupt->load());
  unmetered.clear_interrupt();
  EXPECT_FALSE(unmetered.impl().interrupt->load());
  EXPECT_EQ(unmetered.impl().owner, &unmetered);
}

TEST(RuntimeIntern, EqualTypesShareAnId) {
  FuncType a{{ValType::I32, ValType::I64}, {ValType::F32}};
  FuncType b{{ValType::I32}, {ValType::I64, ValType::F32}};  // same bytes, different split
  FuncType c{{}, {}};
  uint32_t ia = detail::intern_func_type(a);
  uint32_t ib = detail::intern_func_type(b);
  uint32_t ic = detail::intern_func_type(c);
  EXPECT_NE(ia, ib);
  EXPECT_NE(ia, ic);
  EXPECT_EQ(detail::intern_func_type(FuncType{{ValType::I32, ValType::I64}, {ValType::F32}}), ia);
  EXPECT_EQ(detail::interned_func_type(ia), a);
  EXPECT_EQ(detail::interned_func_type(ib), b);
  const FuncType* address = &detail::interned_func_type(ia);
  for (int i = 0; i < 200; ++i) {
    detail::intern_func_type(FuncType{std::vector<ValType>(i, ValType::F64), {}});
  }
  EXPECT_EQ(&detail::interned_func_type(ia), address);  // stable addresses
}

TEST(RuntimeIntern, ThreadSafe) {
  std::vector<std::thread> threads;
  std::vector<uint32_t> ids(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &ids] {
      for (int i = 0; i < 100; ++i) {
        detail::intern_func_type(
            FuncType{{ValType::ExternRef}, std::vector<ValType>(i % 17, ValType::I32)});
      }
      ids[t] = detail::intern_func_type(FuncType{{ValType::ExternRef, ValType::FuncRef}, {}});
    });
  }
  for (auto& th : threads) th.join();
  for (uint32_t id : ids) EXPECT_EQ(id, ids[0]);
}

TEST(RuntimeHostFunc, TypeIsInterned) {
  Store store;
  FuncType type{{ValType::I32}, {ValType::I32}};
  Func f = store.create_host_func(
      type, [](Caller&, std::span<const Value> args, std::span<Value> results) -> Result<void> {
        results[0] = Value::i32(args[0].as_i32() + 1);
        return {};
      });
  EXPECT_EQ(f.type(), type);
  EXPECT_EQ(f.raw()->type_id, detail::intern_func_type(type));
  EXPECT_TRUE(f.raw()->is_host());
  EXPECT_EQ(Func().type(), FuncType{});
}

TEST(RuntimeFuncCall, TypeChecksArguments) {
  Store store;
  FuncType type{{ValType::I32, ValType::F64}, {}};
  Func f = store.create_host_func(
      type, [](Caller&, std::span<const Value>, std::span<Value>) { return Result<void>(); });
  auto few = f.call(std::vector<Value>{Value::i32(1)});
  ASSERT_FALSE(few);
  EXPECT_EQ(few.error().kind, ErrorKind::Usage);
  auto wrong = f.call(std::vector<Value>{Value::i32(1), Value::f32(1)});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().kind, ErrorKind::Usage);
  auto null = Func().call({});
  ASSERT_FALSE(null);
  EXPECT_EQ(null.error().kind, ErrorKind::Usage);
}

}  // namespace
}  // namespace weft
