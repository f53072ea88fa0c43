#include "bindgen/descriptor.h"

#include <array>
#include <charconv>

namespace weft::bindgen {

namespace {

using T = TypeTag;

// The tag numbering of each wasm-bindgen release family (src/describe.rs,
// later crates/shared/src/tys.rs): tags are numbered by position, and new
// ones were inserted, so each insertion renumbers what follows.
constexpr std::array kTagsA{
    // up to 0.2.83 (Debian 12's crate)
    T::I8,     T::U8,         T::I16,    T::U16,      T::I32,      T::U32,       T::I64,
    T::U64,    T::F32,        T::F64,    T::Boolean,  T::Function, T::Closure,   T::CachedString,
    T::String, T::Ref,        T::RefMut, T::Slice,    T::Vector,   T::ExternRef, T::NamedExternRef,
    T::Enum,   T::RustStruct, T::Char,   T::Optional, T::Result,   T::Unit,      T::Clamped,
};
constexpr std::array kTagsB{
    // 0.2.84-0.2.91: LONGREF after REFMUT
    T::I8,        T::U8,
    T::I16,       T::U16,
    T::I32,       T::U32,
    T::I64,       T::U64,
    T::F32,       T::F64,
    T::Boolean,   T::Function,
    T::Closure,   T::CachedString,
    T::String,    T::Ref,
    T::RefMut,    T::LongRef,
    T::Slice,     T::Vector,
    T::ExternRef, T::NamedExternRef,
    T::Enum,      T::RustStruct,
    T::Char,      T::Optional,
    T::Result,    T::Unit,
    T::Clamped,
};
constexpr std::array kTagsC{
    // 0.2.92: NONNULL appended
    T::I8,        T::U8,
    T::I16,       T::U16,
    T::I32,       T::U32,
    T::I64,       T::U64,
    T::F32,       T::F64,
    T::Boolean,   T::Function,
    T::Closure,   T::CachedString,
    T::String,    T::Ref,
    T::RefMut,    T::LongRef,
    T::Slice,     T::Vector,
    T::ExternRef, T::NamedExternRef,
    T::Enum,      T::RustStruct,
    T::Char,      T::Optional,
    T::Result,    T::Unit,
    T::Clamped,   T::NonNull,
};
constexpr std::array kTagsD{
    // 0.2.93-0.2.95: STRING_ENUM after ENUM
    T::I8,         T::U8,
    T::I16,        T::U16,
    T::I32,        T::U32,
    T::I64,        T::U64,
    T::F32,        T::F64,
    T::Boolean,    T::Function,
    T::Closure,    T::CachedString,
    T::String,     T::Ref,
    T::RefMut,     T::LongRef,
    T::Slice,      T::Vector,
    T::ExternRef,  T::NamedExternRef,
    T::Enum,       T::StringEnum,
    T::RustStruct, T::Char,
    T::Optional,   T::Result,
    T::Unit,       T::Clamped,
    T::NonNull,
};
constexpr std::array kTagsE{
    // 0.2.96-0.2.118: I128/U128 after U64
    T::I8,      T::U8,         T::I16,        T::U16,          T::I32,       T::U32,
    T::I64,     T::U64,        T::I128,       T::U128,         T::F32,       T::F64,
    T::Boolean, T::Function,   T::Closure,    T::CachedString, T::String,    T::Ref,
    T::RefMut,  T::LongRef,    T::Slice,      T::Vector,       T::ExternRef, T::NamedExternRef,
    T::Enum,    T::StringEnum, T::RustStruct, T::Char,         T::Optional,  T::Result,
    T::Unit,    T::Clamped,    T::NonNull,
};
constexpr std::array kTagsF{
    // 0.2.119 on: I64_AS_F64/U64_AS_F64, DYNAMIC_UNION, RAW_POINTER
    T::I8,           T::U8,
    T::I16,          T::U16,
    T::I32,          T::U32,
    T::I64,          T::U64,
    T::I64AsF64,     T::U64AsF64,
    T::I128,         T::U128,
    T::F32,          T::F64,
    T::Boolean,      T::Function,
    T::Closure,      T::CachedString,
    T::String,       T::Ref,
    T::RefMut,       T::LongRef,
    T::Slice,        T::Vector,
    T::ExternRef,    T::NamedExternRef,
    T::Enum,         T::StringEnum,
    T::DynamicUnion, T::RustStruct,
    T::Char,         T::Optional,
    T::Result,       T::Unit,
    T::Clamped,      T::NonNull,
    T::RawPointer,
};

struct VersionedTable {
  // Inclusive range of 0.2.x patch versions this numbering covers.
  unsigned first_patch, last_patch;
  std::string_view versions;
  std::span<const TypeTag> codes;
  // ENUM carries its name (0.2.88 on) before the hole.
  bool named_enums;
};

constexpr VersionedTable kTables[] = {
    {0, 83, "0.2.83", kTagsA, false},
    {84, 87, "0.2.84-0.2.87", kTagsB, false},
    {88, 91, "0.2.88-0.2.91", kTagsB, true},
    {92, 92, "0.2.92", kTagsC, true},
    {93, 95, "0.2.93-0.2.95", kTagsD, true},
    {96, 118, "0.2.96-0.2.118", kTagsE, true},
    {119, 999, "0.2.119 and later", kTagsF, true},
};

// "0.2.83" → 83; anything not 0.2.N → nullopt.
std::optional<unsigned> patch_of(std::string_view version) {
  constexpr std::string_view prefix = "0.2.";
  if (version.substr(0, prefix.size()) != prefix) return std::nullopt;
  version.remove_prefix(prefix.size());
  unsigned patch = 0;
  auto [end, ec] = std::from_chars(version.data(), version.data() + version.size(), patch);
  if (ec != std::errc() || end == version.data()) return std::nullopt;
  return patch;
}

class Decoder {
 public:
  Decoder(std::span<const uint32_t> codes, const TagTable& table) : codes_(codes), table_(table) {}

  Result<uint32_t> next(const char* what) {
    if (pos_ >= codes_.size()) {
      return Error::malformed(pos_, "descriptor truncated after " + std::to_string(codes_.size()) +
                                        " codes (expected " + what + ")");
    }
    return codes_[pos_++];
  }

  Result<TypeTag> tag() {
    const size_t at = pos_;
    auto code = next("a type");
    if (!code) return std::move(code).error();
    if (*code >= table_.codes.size()) {
      return Error::malformed(at, "code " + std::to_string(at) + ": unknown type tag " +
                                      std::to_string(*code) + " (wasm-bindgen " +
                                      std::string(table_.versions) + ")");
    }
    return table_.codes[*code];
  }

  // A length-prefixed string of code points (struct and type names).
  Result<std::string> name() {
    const size_t at = pos_;
    auto length = next("a name's length");
    if (!length) return std::move(length).error();
    if (*length > codes_.size() - pos_ || *length > 4096) {
      return Error::malformed(at, "code " + std::to_string(at) + ": a name of " +
                                      std::to_string(*length) + " characters is longer than the " +
                                      "descriptor");
    }
    std::string out;
    for (uint32_t i = 0; i < *length; ++i) {
      uint32_t cp = codes_[pos_++];
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return Error::malformed(pos_ - 1, "code " + std::to_string(pos_ - 1) +
                                              ": not a Unicode scalar value in a name");
      }
      // UTF-8 encode.
      if (cp < 0x80) {
        out += static_cast<char>(cp);
      } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      }
    }
    return out;
  }

  Result<TypeDesc> type(size_t depth) {
    if (depth > kMaxDescriptorDepth) {
      return Error::malformed(pos_, "code " + std::to_string(pos_) + ": types nested deeper than " +
                                        std::to_string(kMaxDescriptorDepth));
    }
    auto t = tag();
    if (!t) return std::move(t).error();
    TypeDesc out;
    out.tag = *t;
    switch (*t) {
      case T::Ref:
      case T::RefMut:
      case T::LongRef:
      case T::Slice:
      case T::Vector:
      case T::Optional:
      case T::Result:
      case T::Clamped:
      case T::NonNull: {
        auto inner = type(depth + 1);
        if (!inner) return std::move(inner).error();
        out.inner.push_back(std::move(*inner));
        break;
      }
      case T::Function: {
        auto fn = function(depth + 1);
        if (!fn) return std::move(fn).error();
        out.inner = std::move(fn->args);
        out.inner.push_back(std::move(fn->ret));
        break;
      }
      case T::Closure: {
        // shim index, destructor index, REFMUT or not, then a FUNCTION.
        for (const char* what : {"a closure's shim index", "a closure's destructor index"}) {
          if (auto r = next(what); !r) return std::move(r).error();
        }
        auto mut_tag = tag();
        if (!mut_tag) return std::move(mut_tag).error();
        out.mutable_closure = *mut_tag == T::RefMut;
        auto fn_tag = tag();
        if (!fn_tag) return std::move(fn_tag).error();
        if (*fn_tag != T::Function) {
          return Error::malformed(pos_ - 1, "code " + std::to_string(pos_ - 1) +
                                                ": a closure's descriptor lacks its FUNCTION");
        }
        auto fn = function(depth + 1);
        if (!fn) return std::move(fn).error();
        out.inner = std::move(fn->args);
        out.inner.push_back(std::move(fn->ret));
        break;
      }
      case T::Enum: {
        if (table_.named_enums) {
          auto n = name();
          if (!n) return std::move(n).error();
          out.name = std::move(*n);
        }
        auto hole = next("an enum's hole");
        if (!hole) return std::move(hole).error();
        out.hole = *hole;
        break;
      }
      case T::NamedExternRef:
      case T::RustStruct: {
        auto n = name();
        if (!n) return std::move(n).error();
        out.name = std::move(*n);
        break;
      }
      case T::StringEnum: {
        // Its name, then the number of variants (passed as integers).
        auto n = name();
        if (!n) return std::move(n).error();
        out.name = std::move(*n);
        if (auto count = next("a string enum's variant count"); !count) {
          return std::move(count).error();
        }
        break;
      }
      case T::DynamicUnion:
        // Its payload is not settled upstream; refuse rather than misread
        // the rest of the stream.
        return Error::malformed(pos_ - 1, "code " + std::to_string(pos_ - 1) +
                                              ": DYNAMIC_UNION types are not supported");
      default:
        break;
    }
    return out;
  }

  // After the FUNCTION tag: shim index, argument count, the arguments, the
  // return type, the inner return type.
  Result<FunctionDesc> function(size_t depth) {
    if (auto shim = next("a function's shim index"); !shim) return std::move(shim).error();
    const size_t at = pos_;
    auto count = next("a function's argument count");
    if (!count) return std::move(count).error();
    if (*count > codes_.size() - pos_) {
      return Error::malformed(at, "code " + std::to_string(at) + ": " + std::to_string(*count) +
                                      " arguments, more than the descriptor holds");
    }
    FunctionDesc fn;
    for (uint32_t i = 0; i < *count; ++i) {
      auto arg = type(depth + 1);
      if (!arg) return std::move(arg).error();
      fn.args.push_back(std::move(*arg));
    }
    auto ret = type(depth + 1);
    if (!ret) return std::move(ret).error();
    fn.ret = std::move(*ret);
    auto inner_ret = type(depth + 1);
    if (!inner_ret) return std::move(inner_ret).error();
    fn.inner_ret = std::move(*inner_ret);
    return fn;
  }

  size_t pos() const { return pos_; }

 private:
  std::span<const uint32_t> codes_;
  const TagTable& table_;
  size_t pos_ = 0;
};

}  // namespace

const char* to_string(TypeTag tag) {
  switch (tag) {
    case T::I8:
      return "i8";
    case T::U8:
      return "u8";
    case T::I16:
      return "i16";
    case T::U16:
      return "u16";
    case T::I32:
      return "i32";
    case T::U32:
      return "u32";
    case T::I64:
      return "i64";
    case T::U64:
      return "u64";
    case T::I128:
      return "i128";
    case T::U128:
      return "u128";
    case T::F32:
      return "f32";
    case T::F64:
      return "f64";
    case T::Boolean:
      return "bool";
    case T::Function:
      return "FUNCTION";
    case T::Closure:
      return "CLOSURE";
    case T::CachedString:
      return "CACHED_STRING";
    case T::String:
      return "STRING";
    case T::Ref:
      return "REF";
    case T::RefMut:
      return "REFMUT";
    case T::LongRef:
      return "LONGREF";
    case T::Slice:
      return "SLICE";
    case T::Vector:
      return "VECTOR";
    case T::ExternRef:
      return "JsValue";
    case T::NamedExternRef:
      return "NAMED_EXTERNREF";
    case T::Enum:
      return "ENUM";
    case T::StringEnum:
      return "STRING_ENUM";
    case T::RustStruct:
      return "RUST_STRUCT";
    case T::Char:
      return "char";
    case T::Optional:
      return "OPTIONAL";
    case T::Result:
      return "RESULT";
    case T::Unit:
      return "()";
    case T::Clamped:
      return "CLAMPED";
    case T::NonNull:
      return "NONNULL";
    case T::I64AsF64:
      return "i64 (as f64)";
    case T::U64AsF64:
      return "u64 (as f64)";
    case T::DynamicUnion:
      return "DYNAMIC_UNION";
    case T::RawPointer:
      return "*const T";
  }
  return "?";
}

std::optional<TagTable> tag_table_for(std::string_view version) {
  auto patch = patch_of(version);
  if (!patch) return std::nullopt;
  for (const VersionedTable& t : kTables) {
    if (*patch >= t.first_patch && *patch <= t.last_patch) {
      return TagTable{t.versions, t.codes, t.named_enums};
    }
  }
  return std::nullopt;
}

std::string known_versions() { return "0.2.83 to 0.2.12x"; }

bool TypeDesc::is_string() const {
  if (tag == T::String || tag == T::CachedString) return true;
  return tag == T::Ref && inner.size() == 1 &&
         (inner[0].tag == T::String || inner[0].tag == T::CachedString);
}

bool TypeDesc::is_number() const {
  switch (tag) {
    case T::I8:
    case T::U8:
    case T::I16:
    case T::U16:
    case T::I32:
    case T::U32:
    case T::I64:
    case T::U64:
    case T::F32:
    case T::F64:
      return true;
    default:
      return false;
  }
}

std::string to_string(const TypeDesc& type) {
  auto inner = [&](size_t i) { return i < type.inner.size() ? to_string(type.inner[i]) : "?"; };
  switch (type.tag) {
    case T::String:
    case T::CachedString:
      return "String";
    case T::Ref:
      if (!type.inner.empty() &&
          (type.inner[0].tag == T::String || type.inner[0].tag == T::CachedString))
        return "&str";
      return "&" + inner(0);
    case T::RefMut:
      return "&mut " + inner(0);
    case T::LongRef:
      return "&" + inner(0);
    case T::Slice:
      return "[" + inner(0) + "]";
    case T::Vector:
      return "Vec<" + inner(0) + ">";
    case T::Optional:
      return "Option<" + inner(0) + ">";
    case T::Result:
      return "Result<" + inner(0) + ", JsValue>";
    case T::Clamped:
      return "Clamped<" + inner(0) + ">";
    case T::NonNull:
      return "NonNull<" + inner(0) + ">";
    case T::NamedExternRef:
      return type.name.empty() ? "JsValue" : type.name;
    case T::RustStruct:
      return type.name.empty() ? "struct" : type.name;
    case T::StringEnum:
      return type.name.empty() ? "enum" : type.name;
    case T::Enum:
      return "enum";
    case T::Function:
    case T::Closure: {
      std::string out = type.tag == T::Closure ? "closure(" : "fn(";
      for (size_t i = 0; i + 1 < type.inner.size(); ++i) {
        if (i > 0) out += ", ";
        out += to_string(type.inner[i]);
      }
      out += ")";
      if (!type.inner.empty() && type.inner.back().tag != T::Unit) {
        out += " -> " + to_string(type.inner.back());
      }
      return out;
    }
    default:
      return to_string(type.tag);
  }
}

std::string to_string(const FunctionDesc& fn) {
  std::string out = "fn(";
  for (size_t i = 0; i < fn.args.size(); ++i) {
    if (i > 0) out += ", ";
    out += to_string(fn.args[i]);
  }
  out += ")";
  if (fn.ret.tag != T::Unit) out += " -> " + to_string(fn.ret);
  return out;
}

Result<FunctionDesc> decode_function(std::span<const uint32_t> codes, const TagTable& table) {
  Decoder decoder(codes, table);
  auto head = decoder.tag();
  if (!head) return std::move(head).error();
  if (*head != T::Function) {
    return Error::malformed(0, std::string("code 0: expected FUNCTION, found ") + to_string(*head));
  }
  auto fn = decoder.function(0);
  if (!fn) return std::move(fn).error();
  if (decoder.pos() != codes.size()) {
    return Error::malformed(decoder.pos(), "code " + std::to_string(decoder.pos()) + ": " +
                                               std::to_string(codes.size() - decoder.pos()) +
                                               " codes after the function's descriptor");
  }
  return fn;
}

}  // namespace weft::bindgen
