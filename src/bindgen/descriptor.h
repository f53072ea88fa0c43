// weft — wasm-bindgen's type descriptors.
//
// A `#[wasm_bindgen]` export `f` comes with an export
// `__wbindgen_describe_f` that, when run, calls the import
// `__wbindgen_placeholder__.__wbindgen_describe(u32)` once per code: a
// prefix-encoded type tree (FUNCTION, shim index, argument count, the
// arguments, the return type twice). The wasm-bindgen CLI runs these in an
// interpreter to learn each export's signature; weft does the same in its
// own engine, so a module built by cargo alone, never post-processed, can be
// served. The numbering of the tags grew between releases (I128/U128,
// LONGREF, STRING_ENUM, NONNULL were inserted, not appended), so a stream is
// decoded with the table of the module's wasm-bindgen version.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/result.h"

namespace weft::bindgen {

enum class TypeTag : uint8_t {
  I8,
  U8,
  I16,
  U16,
  I32,
  U32,
  I64,
  U64,
  I128,
  U128,
  F32,
  F64,
  Boolean,
  Function,
  Closure,
  CachedString,
  String,
  Ref,
  RefMut,
  LongRef,
  Slice,
  Vector,
  ExternRef,
  NamedExternRef,
  Enum,
  StringEnum,
  RustStruct,
  Char,
  Optional,
  Result,
  Unit,
  Clamped,
  NonNull,
  I64AsF64,  // memory64 builds (0.2.119 on): 64-bit integers carried as f64
  U64AsF64,
  DynamicUnion,
  RawPointer,
};
const char* to_string(TypeTag tag);

// One wasm-bindgen release family's numbering of the tags: codes[i] is the
// tag numbered i.
struct TagTable {
  std::string_view versions;  // "0.2.83" or "0.2.84-0.2.92", for messages
  std::span<const TypeTag> codes;
  bool named_enums = false;  // ENUM carries a name before its hole (0.2.88 on)
};

// The table for a wasm-bindgen version ("0.2.83", "0.2.100"), read from the
// module's __wasm_bindgen_unstable section. Unknown or unparsable versions
// get nullopt: the caller says which versions it knows.
std::optional<TagTable> tag_table_for(std::string_view version);
// "0.2.83 to 0.2.12x", for errors about versions outside the tables.
std::string known_versions();

struct TypeDesc {
  TypeTag tag = TypeTag::Unit;
  // Ref/RefMut/LongRef/Slice/Vector/Optional/Result/Clamped/NonNull: one;
  // Function/Closure: the arguments, then the return type.
  std::vector<TypeDesc> inner;
  std::string name;   // NamedExternRef, RustStruct, StringEnum: the Rust/JS name
  uint32_t hole = 0;  // Enum: the value that means None in an Option<Enum>
  bool mutable_closure = false;

  bool is(TypeTag t) const { return tag == t; }
  // &str, String and their cached (interned) forms.
  bool is_string() const;
  bool is_number() const;  // the integer and float tags, including 64-bit
};

// Rust-like text: "&str", "String", "Result<String, JsValue>", "Option<f64>",
// "fn(&str) -> String".
std::string to_string(const TypeDesc& type);

struct FunctionDesc {
  std::vector<TypeDesc> args;
  TypeDesc ret;
  TypeDesc inner_ret;  // differs from `ret` only for async functions
};
std::string to_string(const FunctionDesc& fn);

// Decodes one export's descriptor stream. Errors name the code index and
// what was expected ("code 7: unknown tag 91", "truncated after 3 codes").
// Nesting is bounded (kMaxDescriptorDepth).
inline constexpr size_t kMaxDescriptorDepth = 64;
Result<FunctionDesc> decode_function(std::span<const uint32_t> codes, const TagTable& table);

}  // namespace weft::bindgen
