// Test doubles for the canonical ABI: a guest memory in a vector, a bump
// realloc that records its calls, and shorthands for building types.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "component/abi/abi.h"

namespace weft::component::abi::testing {

struct ReallocCall {
  uint32_t old_ptr, old_size, align, new_size, result;
  bool operator==(const ReallocCall&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const ReallocCall& c) {
  return os << "realloc(" << c.old_ptr << ", " << c.old_size << ", " << c.align << ", "
            << c.new_size << ") -> " << c.result;
}

// A guest: memory, a bump allocator (shrinks in place, grows by copying,
// like run_tests.py's Heap, but starting at `next`), and a log.
struct FakeGuest {
  std::vector<uint8_t> memory;
  uint32_t next = 16;
  std::vector<ReallocCall> calls;
  // When set, realloc returns this instead of allocating.
  std::optional<uint32_t> forced_result;
  // Grow the memory by this many bytes on each allocation (moves it).
  uint32_t grow_on_alloc = 0;

  explicit FakeGuest(size_t size = 1 << 16) : memory(size) {}

  Result<uint32_t> realloc(uint32_t old_ptr, uint32_t old_size, uint32_t align, uint32_t new_size) {
    uint32_t r;
    if (forced_result) {
      r = *forced_result;
    } else if (old_ptr != 0 && new_size <= old_size) {
      r = old_ptr;
    } else {
      r = (next + align - 1) / align * align;
      if (uint64_t{r} + new_size > memory.size())
        return Error::make_trap(TrapKind::Unreachable, "fake realloc: out of memory");
      next = r + new_size;
      if (old_ptr) std::memmove(memory.data() + r, memory.data() + old_ptr, old_size);
    }
    if (grow_on_alloc) memory.resize(memory.size() + grow_on_alloc);  // reallocates the buffer
    calls.push_back({old_ptr, old_size, align, new_size, r});
    return r;
  }

  CanonicalOptions options(StringEncoding e = StringEncoding::Utf8) {
    CanonicalOptions o;
    o.string_encoding = e;
    o.memory = [this] { return std::span<uint8_t>(memory); };
    o.realloc = [this](uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
      return realloc(a, b, c, d);
    };
    return o;
  }

  void put(uint32_t ptr, std::initializer_list<uint8_t> bytes) {
    std::copy(bytes.begin(), bytes.end(), memory.begin() + ptr);
  }
  void put_bytes(uint32_t ptr, std::string_view bytes) {
    std::memcpy(memory.data() + ptr, bytes.data(), bytes.size());
  }
  void put_u32(uint32_t ptr, uint32_t v) {
    for (int i = 0; i < 4; ++i) memory[ptr + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  uint32_t u32(uint32_t ptr) const {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{memory[ptr + i]} << (8 * i);
    return v;
  }
  std::string bytes(uint32_t ptr, uint32_t n) const {
    return std::string(reinterpret_cast<const char*>(memory.data() + ptr), n);
  }
};

// ---- type shorthands ----------------------------------------------------------

inline ValTypePtr prim(ValKind k) { return ValType::prim(k); }
inline ValTypePtr u8() { return prim(ValKind::U8); }
inline ValTypePtr u16() { return prim(ValKind::U16); }
inline ValTypePtr u32() { return prim(ValKind::U32); }
inline ValTypePtr u64() { return prim(ValKind::U64); }
inline ValTypePtr s8() { return prim(ValKind::S8); }
inline ValTypePtr s32() { return prim(ValKind::S32); }
inline ValTypePtr f32() { return prim(ValKind::F32); }
inline ValTypePtr f64() { return prim(ValKind::F64); }
inline ValTypePtr str() { return prim(ValKind::String); }
inline ValTypePtr chr() { return prim(ValKind::Char); }
inline ValTypePtr boolean() { return prim(ValKind::Bool); }

inline ValTypePtr make(ValType t) { return std::make_shared<ValType>(std::move(t)); }
inline ValTypePtr list(ValTypePtr e) {
  ValType t;
  t.kind = ValKind::List;
  t.element = std::move(e);
  return make(std::move(t));
}
inline ValTypePtr fixed(ValTypePtr e, uint32_t n) {
  ValType t;
  t.kind = ValKind::FixedList;
  t.element = std::move(e);
  t.length = n;
  return make(std::move(t));
}
inline ValTypePtr tuple(std::vector<ValTypePtr> ts) {
  ValType t;
  t.kind = ValKind::Tuple;
  for (auto& e : ts) t.fields.push_back(Field{"", e});
  return make(std::move(t));
}
inline ValTypePtr record(std::vector<std::pair<std::string, ValTypePtr>> fs) {
  ValType t;
  t.kind = ValKind::Record;
  for (auto& [l, e] : fs) t.fields.push_back(Field{l, e});
  return make(std::move(t));
}
inline ValTypePtr variant(std::vector<std::pair<std::string, ValTypePtr>> cs) {
  ValType t;
  t.kind = ValKind::Variant;
  for (auto& [l, e] : cs) t.cases.push_back(Case{l, e});
  return make(std::move(t));
}
inline ValTypePtr enumeration(size_t n) {
  ValType t;
  t.kind = ValKind::Enum;
  for (size_t i = 0; i < n; ++i) t.labels.push_back("e" + std::to_string(i));
  return make(std::move(t));
}
inline ValTypePtr flags(size_t n) {
  ValType t;
  t.kind = ValKind::Flags;
  for (size_t i = 0; i < n; ++i) t.labels.push_back("f" + std::to_string(i));
  return make(std::move(t));
}
inline ValTypePtr option(ValTypePtr e) {
  ValType t;
  t.kind = ValKind::Option;
  t.element = std::move(e);
  return make(std::move(t));
}
inline ValTypePtr result(ValTypePtr ok, ValTypePtr err) {
  ValType t;
  t.kind = ValKind::Result;
  t.element = std::move(ok);
  t.error = std::move(err);
  return make(std::move(t));
}
inline ValTypePtr own(const std::shared_ptr<const ResourceType>& rt) {
  ValType t;
  t.kind = ValKind::Own;
  t.resource = rt;
  return make(std::move(t));
}
inline ValTypePtr borrow(const std::shared_ptr<const ResourceType>& rt) {
  ValType t;
  t.kind = ValKind::Borrow;
  t.resource = rt;
  return make(std::move(t));
}

inline FuncType func(std::vector<ValTypePtr> params, ValTypePtr result = nullptr) {
  FuncType ft;
  for (size_t i = 0; i < params.size(); ++i)
    ft.params.push_back(Field{"p" + std::to_string(i), params[i]});
  ft.result = std::move(result);
  return ft;
}

inline CoreValue i32v(uint32_t v) { return CoreValue{CoreType::I32, v}; }
inline CoreValue i64v(uint64_t v) { return CoreValue{CoreType::I64, v}; }

inline std::string message(const Error& e) { return e.trap ? e.trap->message : e.message; }

// Asserts `r` failed with a trap whose message contains `substring`.
template <class T>
::testing::AssertionResult Traps(const Result<T>& r, std::string_view substring) {
  if (r.ok()) return ::testing::AssertionFailure() << "did not fail";
  if (!r.error().is_trap())
    return ::testing::AssertionFailure() << "not a trap: " << r.error().to_string();
  if (message(r.error()).find(substring) == std::string::npos)
    return ::testing::AssertionFailure()
           << "message \"" << message(r.error()) << "\" lacks \"" << substring << "\"";
  return ::testing::AssertionSuccess();
}

}  // namespace weft::component::abi::testing
