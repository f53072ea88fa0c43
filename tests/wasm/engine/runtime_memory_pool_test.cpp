// Reservation pooling: a destroyed memory's range is scrubbed and reused by
// the next store, so it must come back all zero and with only its new size
// accessible.
#include <gtest/gtest.h>

#include "wasm/runtime/objects.h"
#include "wasm/runtime/runtime.h"
#include "weft/weft.h"

namespace weft {
namespace {

constexpr uint64_t kPage = 65536;

class RuntimeMemoryPool : public ::testing::Test {
 protected:
  // Start from an empty pool so the next memory reuses our range.
  void SetUp() override {
    detail::set_memory_pooling(false);
    detail::set_memory_pooling(true);
  }
};

uint8_t* dirty_memory(uint64_t initial_pages, uint64_t grow_pages) {
  Store store;
  auto mem = store.create_memory(MemoryType{Limits{initial_pages, std::nullopt}});
  EXPECT_TRUE(mem);
  if (!mem) return nullptr;
  EXPECT_TRUE(mem->grow(grow_pages));
  uint8_t* base = mem->data();
  uint64_t size = mem->size_bytes();
  for (uint64_t i = 0; i < size; i += 4096 * 3) base[i] = 0xAB;  // every third 4 KiB page
  base[size - 1] = 0xCD;
  return base;
}

bool all_zero(const uint8_t* p, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

TEST_F(RuntimeMemoryPool, ReusedRangeIsZeroed) {
  uint8_t* old_base = dirty_memory(2, 3);  // 5 pages used
  ASSERT_NE(old_base, nullptr);
  Store store;
  auto mem = store.create_memory(MemoryType{Limits{5, std::nullopt}});
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->data(), old_base);  // reused
  EXPECT_TRUE(all_zero(mem->data(), mem->size_bytes()));
  ASSERT_TRUE(mem->grow(3));
  EXPECT_TRUE(all_zero(mem->data(), mem->size_bytes()));
}

TEST_F(RuntimeMemoryPool, SmallerNextMemorySeesOnlyItsSize) {
  uint8_t* old_base = dirty_memory(1, 7);  // 8 pages used
  ASSERT_NE(old_base, nullptr);
  Store store;
  auto mem = store.create_memory(MemoryType{Limits{2, std::nullopt}});
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->data(), old_base);
  EXPECT_EQ(mem->size_bytes(), 2 * kPage);
  EXPECT_TRUE(all_zero(mem->data(), mem->size_bytes()));
  // Past the size the range is PROT_NONE again.
  EXPECT_DEATH({ mem->data()[2 * kPage + 5] = 1; }, "");
  ASSERT_TRUE(mem->grow(10));
  EXPECT_TRUE(all_zero(mem->data(), mem->size_bytes()));
  mem->data()[12 * kPage - 1] = 9;
}

TEST_F(RuntimeMemoryPool, LargerNextMemoryIsZeroed) {
  uint8_t* old_base = dirty_memory(1, 1);
  ASSERT_NE(old_base, nullptr);
  Store store;
  auto mem = store.create_memory(MemoryType{Limits{6, std::nullopt}});
  ASSERT_TRUE(mem);
  EXPECT_EQ(mem->data(), old_base);
  EXPECT_TRUE(all_zero(mem->data(), mem->size_bytes()));
  EXPECT_EQ(store.impl().memory_bytes_in_use, 6 * kPage);
}

TEST_F(RuntimeMemoryPool, DifferentReservationSizesDoNotMix) {
  {
    Store store;
    ASSERT_TRUE(store.create_memory(MemoryType{Limits{1, 2}}));
  }
  Store store;
  auto mem = store.create_memory(MemoryType{Limits{1, 4}});
  ASSERT_TRUE(mem);
  EXPECT_GE(mem->raw()->reserved_bytes, 4 * kPage);
  EXPECT_TRUE(mem->grow(3));
  EXPECT_TRUE(all_zero(mem->data(), mem->size_bytes()));
}

TEST_F(RuntimeMemoryPool, DisabledPoolStillWorks) {
  detail::set_memory_pooling(false);
  uint8_t* old_base = dirty_memory(1, 1);
  ASSERT_NE(old_base, nullptr);
  Store store;
  auto mem = store.create_memory(MemoryType{Limits{2, std::nullopt}});
  ASSERT_TRUE(mem);
  EXPECT_TRUE(all_zero(mem->data(), mem->size_bytes()));
  detail::set_memory_pooling(true);
}

}  // namespace
}  // namespace weft
