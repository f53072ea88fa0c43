// Component Model values and their (resolved) types, as the embedding API,
// the canonical ABI and `weft wast` see them.
//
// A resolved type has no indices left: a record's field types are trees of
// ValType, and `own`/`borrow` point at the resource type they name. Resource
// types are generative, so they compare by identity (the ResourceType
// object), never structurally; everything else compares structurally.
//
// A Val carries its kind and, for the labelled kinds (record, variant, enum,
// flags), the labels, so a value can be printed, compared and checked
// against a type without the type at hand.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/result.h"

namespace weft {
enum class ValType : uint8_t;  // a core value type (weft/weft.h)
}  // namespace weft

namespace weft::component {

enum class ValKind : uint8_t {
  Bool,
  S8,
  U8,
  S16,
  U16,
  S32,
  U32,
  S64,
  U64,
  F32,
  F64,
  Char,
  String,
  ErrorContext,
  List,
  FixedList,
  Record,
  Tuple,
  Variant,
  Enum,
  Option,
  Result,
  Flags,
  Own,
  Borrow,
  Stream,
  Future,
  Map,  // 🗺️ map<K, V>: `element` is tuple<K, V>; values are lists of tuples
};
const char* to_string(ValKind kind);  // "bool", "u32", "list", ...

// ---- types ---------------------------------------------------------------

// A resource type: defined by a component (`(type (resource (rep i32)
// (dtor f)))`) or by the host. Identity is the object's address.
struct ResourceType {
  std::string name;  // for messages: the export/import name it was found under, or ""
  // Set for a host-defined resource: the host's destructor gets the rep.
  bool host_defined = false;
};

struct ValType;
using ValTypePtr = std::shared_ptr<const ValType>;

struct Field {
  std::string label;  // "" in tuples
  ValTypePtr type;
};

struct Case {
  std::string label;
  ValTypePtr type;  // nullptr: the case carries no payload
};

struct ValType {
  ValKind kind = ValKind::Bool;
  // List, FixedList and Option: the element; Map: tuple<K, V>; Result: the ok type (nullable);
  // Stream/Future: the payload (nullable).
  ValTypePtr element;
  ValTypePtr error;                              // Result: the error type (nullable)
  uint32_t length = 0;                           // FixedList
  std::vector<Field> fields;                     // Record, Tuple
  std::vector<Case> cases;                       // Variant
  std::vector<std::string> labels;               // Enum, Flags
  std::shared_ptr<const ResourceType> resource;  // Own, Borrow

  static ValTypePtr prim(ValKind kind);  // shared instances of the primitive types

  // The canonical ABI's alignment and size of this type, computed once on
  // first use (every lift and lower asks, and a variant of 39 cases is not
  // cheap to ask about). Atomic because types are shared across threads;
  // every thread computes the same numbers. A copy starts empty: a copied
  // type is usually about to be changed.
  struct LayoutCache {
    mutable std::atomic<uint32_t> alignment{0};  // 0: not computed
    mutable std::atomic<uint64_t> size{0};
    mutable std::atomic<bool> size_known{false};
    // The flattened core types (a variant's lift and lower ask every
    // time), and their count; made once, owned here.
    mutable std::atomic<const std::vector<::weft::ValType>*> flat{nullptr};
    mutable std::atomic<bool> flat_too_long{false};
    mutable std::atomic<uint64_t> flat_count{0};  // + 1; 0: not computed
    LayoutCache() = default;
    LayoutCache(const LayoutCache&) {}
    LayoutCache& operator=(const LayoutCache&) {
      alignment.store(0, std::memory_order_relaxed);
      size_known.store(false, std::memory_order_relaxed);
      delete flat.exchange(nullptr);
      flat_too_long.store(false, std::memory_order_relaxed);
      flat_count.store(0, std::memory_order_relaxed);
      return *this;
    }
    ~LayoutCache() { delete flat.load(); }
  };
  LayoutCache layout;
};

// Structural equality; resources by identity.
bool operator==(const ValType& a, const ValType& b);
// In WIT syntax: "list<u8>", "record { a: u32 }", "own<file>", ...
std::string to_string(const ValType& type);

struct FuncType {
  std::vector<Field> params;
  ValTypePtr result;  // nullptr: no result
  bool is_async = false;
};

// ---- values --------------------------------------------------------------

struct Val {
  ValKind kind = ValKind::Bool;
  // Bool (0/1), integers (signed kinds sign-extended to 64 bits), Char (the
  // code point), F32/F64 (the IEEE bits: f32 in the low 32, so NaN payloads
  // survive), Own/Borrow (the host's handle to the resource: see the
  // embedding API).
  uint64_t bits = 0;
  std::string str;  // String: UTF-8
  // List/FixedList/Tuple/Record: the elements or fields in order; Variant,
  // Option and Result: the payload, if any (0 or 1 element).
  std::vector<Val> items;
  // Record: the field labels (parallel to items); Flags: the labels that
  // are set, in type order; Variant/Enum: the case label in labels[0].
  std::vector<std::string> labels;
  // Variant/Enum: the case index; Option: 0 none, 1 some; Result: 0 ok, 1 err.
  uint32_t discriminant = 0;
  // A list<u8> or list<s8> may be packed (Val::bytes): its bytes in `str`,
  // `items` empty, and the element kind in `discriminant`. The ABI lifts
  // byte lists this way (a byte each instead of a Val each) and WASI's
  // streams use it; whatever takes a Val takes either form.
  bool byte_list = false;

  static Val boolean(bool b);
  static Val s8(int8_t v);
  static Val u8(uint8_t v);
  static Val s16(int16_t v);
  static Val u16(uint16_t v);
  static Val s32(int32_t v);
  static Val u32(uint32_t v);
  static Val s64(int64_t v);
  static Val u64(uint64_t v);
  static Val f32_bits(uint32_t bits);
  static Val f64_bits(uint64_t bits);
  static Val f32(float v);
  static Val f64(double v);
  static Val character(uint32_t code_point);
  static Val string(std::string utf8);
  static Val list(std::vector<Val> items);
  // A packed list of `element` (U8 or S8) holding `data`.
  static Val bytes(std::string data, ValKind element = ValKind::U8);
  static Val tuple(std::vector<Val> items);
  static Val record(std::vector<std::pair<std::string, Val>> fields);
  // `discriminant` may be unknown (UINT32_MAX) when built from a label only,
  // as `weft wast` does; the ABI resolves it against the type.
  static Val variant(std::string label, std::optional<Val> payload,
                     uint32_t discriminant = UINT32_MAX);
  static Val enumeration(std::string label, uint32_t discriminant = UINT32_MAX);
  static Val none();
  static Val some(Val v);
  static Val ok(std::optional<Val> v);
  static Val err(std::optional<Val> v);
  static Val flags(std::vector<std::string> set_labels);

  int64_t as_signed() const { return static_cast<int64_t>(bits); }
  // A list's length and elements in either form.
  size_t list_size() const { return byte_list ? str.size() : items.size(); }
  Val list_item(size_t i) const;
  // Turns a packed byte list into the items form (other values: no-op).
  void unpack_bytes();
  uint32_t as_u32() const { return static_cast<uint32_t>(bits); }
};

// Equality as `assert_return` uses it: same kind, same bits (floats
// bitwise), same strings, labels and items recursively. NaNs compare by
// payload; callers that want "any NaN" check first.
bool operator==(const Val& a, const Val& b);
// In the wast syntax: (u32.const 1), (str.const "hi"), (record.const ...).
std::string to_string(const Val& value);

// WAVE, the WebAssembly Value Encoding of Wasmtime's `--invoke`, typed by
// `type`: 42, "hi", [1, 2], {x: 1, y: none}, some(1), ok("x"), red, ...
std::string to_wave(const Val& value, const ValType& type);
// Errors are usage errors naming the offset in `text`.
Result<Val> parse_wave(std::string_view text, const ValType& type);
// A call `name(arg, ...)`: `lookup` gives the type of the function `name`.
struct WaveCall {
  std::string name;
  std::vector<Val> args;
};
Result<WaveCall> parse_wave_call(std::string_view text,
                                 const std::function<const FuncType*(std::string_view)>& lookup);

}  // namespace weft::component
