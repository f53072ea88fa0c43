#include "bindgen/bindgen.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <unordered_map>

namespace weft::bindgen {

namespace {

constexpr std::string_view kPlaceholderModule = "__wbindgen_placeholder__";
constexpr std::string_view kExternrefModule = "__wbindgen_externref_xform__";
constexpr std::string_view kDescribePrefix = "__wbindgen_describe_";

// The raw module's JsValue indices: undefined, null, true, false sit at
// JSIDX_OFFSET+0..3, where the offset was 32 (0.2.83), 128, then 1024
// (0.2.109). Heap values are handed out from above all three, so one host
// serves every version.
constexpr uint32_t kFirstHeapIndex = 1028;
std::optional<JsValue> reserved_value(uint32_t idx) {
  for (uint32_t offset : {32u, 128u, 1024u}) {
    if (idx >= offset && idx < offset + 4) {
      switch (idx - offset) {
        case 0:
          return JsValue::undefined();
        case 1:
          return JsValue::null();
        case 2:
          return JsValue::of_bool(true);
        default:
          return JsValue::of_bool(false);
      }
    }
  }
  return std::nullopt;
}

enum class Intrinsic : uint8_t {
  Describe,
  StringNew,
  NumberNew,
  ErrorNew,
  Throw,
  Rethrow,
  CloneRef,
  DropRef,
  IsUndefined,
  IsNull,
  IsString,
  BooleanGet,
  TableGrow,
  TableSetNull,
};

struct IntrinsicSpec {
  std::string_view module;
  std::string_view name;
  Intrinsic which;
  FuncType type;
};

const std::vector<IntrinsicSpec>& intrinsic_specs() {
  using V = ValType;
  static const std::vector<IntrinsicSpec> specs = {
      {kPlaceholderModule, "__wbindgen_describe", Intrinsic::Describe, {{V::I32}, {}}},
      {kPlaceholderModule,
       "__wbindgen_string_new",
       Intrinsic::StringNew,
       {{V::I32, V::I32}, {V::I32}}},
      {kPlaceholderModule, "__wbindgen_number_new", Intrinsic::NumberNew, {{V::F64}, {V::I32}}},
      {kPlaceholderModule,
       "__wbindgen_error_new",
       Intrinsic::ErrorNew,
       {{V::I32, V::I32}, {V::I32}}},
      {kPlaceholderModule, "__wbindgen_throw", Intrinsic::Throw, {{V::I32, V::I32}, {}}},
      {kPlaceholderModule, "__wbindgen_rethrow", Intrinsic::Rethrow, {{V::I32}, {}}},
      {kPlaceholderModule,
       "__wbindgen_object_clone_ref",
       Intrinsic::CloneRef,
       {{V::I32}, {V::I32}}},
      {kPlaceholderModule, "__wbindgen_object_drop_ref", Intrinsic::DropRef, {{V::I32}, {}}},
      {kPlaceholderModule, "__wbindgen_is_undefined", Intrinsic::IsUndefined, {{V::I32}, {V::I32}}},
      {kPlaceholderModule, "__wbindgen_is_null", Intrinsic::IsNull, {{V::I32}, {V::I32}}},
      {kPlaceholderModule, "__wbindgen_is_string", Intrinsic::IsString, {{V::I32}, {V::I32}}},
      {kPlaceholderModule, "__wbindgen_boolean_get", Intrinsic::BooleanGet, {{V::I32}, {V::I32}}},
      {kExternrefModule,
       "__wbindgen_externref_table_grow",
       Intrinsic::TableGrow,
       {{V::I32}, {V::I32}}},
      {kExternrefModule,
       "__wbindgen_externref_table_set_null",
       Intrinsic::TableSetNull,
       {{V::I32}, {}}},
  };
  return specs;
}

// Newer releases (about 0.2.104 on) declare most intrinsics as ordinary
// imports, named `__wbg_<name>_<16 hex digits>`: the name without them.
std::string_view self_hosted_base(std::string_view name) {
  constexpr std::string_view prefix = "__wbg_";
  if (name.substr(0, prefix.size()) != prefix || name.size() < prefix.size() + 17) return name;
  std::string_view hash = name.substr(name.size() - 16);
  if (name[name.size() - 17] != '_') return name;
  for (char c : hash) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return name;
  }
  return name.substr(prefix.size(), name.size() - prefix.size() - 17);
}

std::string format_number(double n) {
  if (std::isnan(n)) return "NaN";
  if (std::isinf(n)) return n > 0 ? "Infinity" : "-Infinity";
  if (n == 0) return "0";
  if (std::trunc(n) == n && std::fabs(n) < 1e21) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n, std::chars_format::fixed, 0);
    return ec == std::errc() ? std::string(buf, end) : std::to_string(n);
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(n);
}

uint32_t align_up(uint32_t value, uint32_t align) { return (value + align - 1) / align * align; }

// ---- the calling convention --------------------------------------------

// A type passed as one or two core values (an argument, or a field of a
// returned struct).
enum class Prim : uint8_t { I32, I64, F32, F64 };
ValType val_type(Prim p) {
  switch (p) {
    case Prim::I32:
      return ValType::I32;
    case Prim::I64:
      return ValType::I64;
    case Prim::F32:
      return ValType::F32;
    case Prim::F64:
      return ValType::F64;
  }
  return ValType::I32;
}
uint32_t size_of(Prim p) { return p == Prim::I32 || p == Prim::F32 ? 4 : 8; }

bool is_i32_like(const TypeDesc& t) {
  switch (t.tag) {
    case TypeTag::I8:
    case TypeTag::U8:
    case TypeTag::I16:
    case TypeTag::U16:
    case TypeTag::I32:
    case TypeTag::U32:
    case TypeTag::Boolean:
    case TypeTag::Char:
    case TypeTag::Enum:
      return true;
    default:
      return false;
  }
}
bool is_js_value(const TypeDesc& t) {
  return t.tag == TypeTag::ExternRef || t.tag == TypeTag::NamedExternRef;
}
bool is_optional_string(const TypeDesc& t) {
  return t.tag == TypeTag::Optional && t.inner.size() == 1 && t.inner[0].is_string();
}

// The core values a type travels as; nullopt when weft cannot pass it.
std::optional<std::vector<Prim>> prims_of(const TypeDesc& t) {
  if (t.is_string() || is_optional_string(t)) return std::vector<Prim>{Prim::I32, Prim::I32};
  if (is_i32_like(t) || is_js_value(t)) return std::vector<Prim>{Prim::I32};
  switch (t.tag) {
    case TypeTag::I64:
    case TypeTag::U64:
      return std::vector<Prim>{Prim::I64};
    case TypeTag::F32:
      return std::vector<Prim>{Prim::F32};
    case TypeTag::F64:
      return std::vector<Prim>{Prim::F64};
    case TypeTag::Unit:
      return std::vector<Prim>{};
    default:
      return std::nullopt;
  }
}

struct Field {
  Prim prim;
  uint32_t offset;
};
// repr(C) layout of the prims, then (for a Result) err and is_err.
std::vector<Field> layout(const std::vector<Prim>& prims, bool result) {
  std::vector<Field> out;
  uint32_t at = 0;
  auto add = [&](Prim p) {
    at = align_up(at, size_of(p));
    out.push_back({p, at});
    at += size_of(p);
  };
  for (Prim p : prims) add(p);
  if (result) {
    add(Prim::I32);
    add(Prim::I32);
  }
  return out;
}

bool returns_directly(const TypeDesc& ret) {
  return ret.tag == TypeTag::Unit || is_i32_like(ret) || is_js_value(ret) || ret.is_number();
}

// The core type the descriptor implies, or why weft cannot call it.
Result<std::pair<FuncType, bool>> expected_core_type(const FunctionDesc& fn) {
  FuncType type;
  bool through_pointer = false;
  const TypeDesc& ret = fn.ret;
  if (returns_directly(ret)) {
    if (ret.tag != TypeTag::Unit) type.results.push_back(val_type((*prims_of(ret))[0]));
  } else if (ret.is_string() || is_optional_string(ret)) {
    through_pointer = true;
  } else if (ret.tag == TypeTag::Result && ret.inner.size() == 1 && prims_of(ret.inner[0]) &&
             !is_optional_string(ret.inner[0])) {
    through_pointer = true;
  } else {
    return Error::usage("returns " + to_string(ret) + ", which weft cannot receive");
  }
  if (through_pointer) type.params.push_back(ValType::I32);
  for (size_t i = 0; i < fn.args.size(); ++i) {
    auto prims = prims_of(fn.args[i]);
    if (!prims || fn.args[i].tag == TypeTag::Unit) {
      return Error::usage("argument " + std::to_string(i + 1) + " is " + to_string(fn.args[i]) +
                          ", which weft cannot pass");
    }
    for (Prim p : *prims) type.params.push_back(val_type(p));
  }
  return std::make_pair(std::move(type), through_pointer);
}

// The __wasm_bindgen_unstable sections: chunks of u32le length + JSON
// {"schema_version":"S","version":"V"} + u32le length + program. The
// version is V up to its first space ("0.2.100 (206d0254f)").
std::string find_version(const Module& module, std::span<const uint8_t> bytes) {
  for (const SectionInfo& section : module.sections()) {
    if (section.id != 0 || section.name != "__wasm_bindgen_unstable") continue;
    if (section.offset > bytes.size() || section.size > bytes.size() - section.offset) continue;
    std::span<const uint8_t> data = bytes.subspan(section.offset, section.size);
    size_t pos = 0;
    // The section's contents start with its name (a LEB128 length and the bytes).
    uint64_t name_len = 0;
    for (unsigned shift = 0; pos < data.size() && shift < 35; shift += 7) {
      const uint8_t b = data[pos++];
      name_len |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) break;
    }
    if (name_len > data.size() - pos) continue;
    pos += name_len;
    auto u32 = [&](uint32_t& out) {
      if (data.size() - pos < 4) return false;
      out = static_cast<uint32_t>(data[pos]) | static_cast<uint32_t>(data[pos + 1]) << 8 |
            static_cast<uint32_t>(data[pos + 2]) << 16 | static_cast<uint32_t>(data[pos + 3]) << 24;
      pos += 4;
      return true;
    };
    uint32_t json_len = 0;
    if (!u32(json_len) || json_len > data.size() - pos) continue;
    std::string_view json(reinterpret_cast<const char*>(data.data() + pos), json_len);
    constexpr std::string_view key = "\"version\":\"";
    const size_t at = json.find(key);
    if (at == std::string_view::npos) continue;
    std::string_view rest = json.substr(at + key.size());
    rest = rest.substr(0, std::min(rest.find('"'), rest.find(' ')));
    if (!rest.empty()) return std::string(rest);
  }
  return {};
}

}  // namespace

// ---- JsValue ----------------------------------------------------------

JsValue JsValue::null() {
  JsValue v;
  v.kind = Kind::Null;
  return v;
}
JsValue JsValue::of_bool(bool b) {
  JsValue v;
  v.kind = Kind::Bool;
  v.boolean = b;
  return v;
}
JsValue JsValue::of_number(double n) {
  JsValue v;
  v.kind = Kind::Number;
  v.number = n;
  return v;
}
JsValue JsValue::big_int(std::string digits) {
  JsValue v;
  v.kind = Kind::BigInt;
  v.text = std::move(digits);
  return v;
}
JsValue JsValue::string(std::string s) {
  JsValue v;
  v.kind = Kind::String;
  v.text = std::move(s);
  return v;
}
JsValue JsValue::error(std::string message) {
  JsValue v;
  v.kind = Kind::Error;
  v.text = std::move(message);
  return v;
}

std::string JsValue::to_display() const {
  switch (kind) {
    case Kind::Undefined:
      return "undefined";
    case Kind::Null:
      return "null";
    case Kind::Bool:
      return boolean ? "true" : "false";
    case Kind::Number:
      return format_number(number);
    case Kind::BigInt:
    case Kind::String:
      return text;
    case Kind::Error:
      return "Error: " + text;
  }
  return {};
}

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// ---- per-instance state -----------------------------------------------

struct BindgenInstance::State {
  Limits limits;
  std::unordered_map<uint32_t, JsValue> heap;
  std::vector<uint32_t> free_indices;
  uint32_t next_index = kFirstHeapIndex;
  uint32_t table_size = 0;
  // While a describe export runs: where its codes go.
  std::vector<uint32_t>* recording = nullptr;
  std::optional<JsValue> thrown;
  // The bytes the heap's strings hold: host memory a guest makes us spend,
  // held to the guest's own memory cap.
  uint64_t heap_bytes = 0;
  // Codes recorded over all describe exports of the module.
  size_t total_codes = 0;

  // Whether `len` more bytes of strings fit under the cap.
  bool room_for(uint64_t len) const {
    return heap_bytes <= limits.memory_bytes && len <= limits.memory_bytes - heap_bytes;
  }

  Result<uint32_t> add(JsValue value) {
    if (!room_for(value.text.size())) {
      return Error::make_trap(
          TrapKind::HostError,
          "JsValues would hold more than " + std::to_string(limits.memory_bytes) + " bytes");
    }
    if (heap.size() >= limits.max_heap_values) {
      return Error::make_trap(
          TrapKind::HostError,
          "more than " + std::to_string(limits.max_heap_values) + " live JsValues");
    }
    uint32_t idx;
    if (!free_indices.empty()) {
      idx = free_indices.back();
      free_indices.pop_back();
    } else {
      idx = next_index++;
    }
    heap_bytes += value.text.size();
    heap.emplace(idx, std::move(value));
    return idx;
  }
  Result<const JsValue*> get(uint32_t idx) const {
    static const JsValue kConstants[4] = {JsValue::undefined(), JsValue::null(),
                                          JsValue::of_bool(true), JsValue::of_bool(false)};
    if (auto constant = reserved_value(idx)) {
      switch (constant->kind) {
        case JsValue::Kind::Undefined:
          return &kConstants[0];
        case JsValue::Kind::Null:
          return &kConstants[1];
        default:
          return &kConstants[constant->boolean ? 2 : 3];
      }
    }
    auto it = heap.find(idx);
    if (it == heap.end()) {
      return Error::make_trap(TrapKind::HostError,
                              "JsValue index " + std::to_string(idx) + " is not live");
    }
    return &it->second;
  }
  Result<JsValue> take(uint32_t idx) {
    if (auto constant = reserved_value(idx)) return *constant;
    auto it = heap.find(idx);
    if (it == heap.end()) {
      return Error::make_trap(TrapKind::HostError,
                              "JsValue index " + std::to_string(idx) + " is not live");
    }
    JsValue value = std::move(it->second);
    heap_bytes -= value.text.size();
    heap.erase(it);
    free_indices.push_back(idx);
    return value;
  }
  void drop(uint32_t idx) {
    auto it = heap.find(idx);
    if (it == heap.end()) return;
    heap_bytes -= it->second.text.size();
    heap.erase(it);
    free_indices.push_back(idx);
  }
};

struct BindgenModule::Impl {
  struct Import {
    Intrinsic which;
    FuncType type;
    bool self_hosted;  // a __wbg___wbindgen_NAME_<hash> import (about 0.2.104 on)
  };
  std::vector<Import> imports;  // in Module::imports() order
};

BindgenModule::~BindgenModule() = default;
BindgenInstance::~BindgenInstance() = default;

namespace {

Result<std::string> read_guest_string(Caller& caller, const BindgenInstance::State& state,
                                      uint32_t ptr, uint32_t len, const char* what) {
  if (!state.room_for(len)) {
    return Error::make_trap(TrapKind::HostError,
                            std::string(what) + ": JsValues would hold more than " +
                                std::to_string(state.limits.memory_bytes) + " bytes");
  }
  auto memory = caller.memory();
  if (!memory) return Error::make_trap(TrapKind::HostError, std::string(what) + ": no memory");
  auto bytes = memory->slice(ptr, len);
  if (!bytes) {
    return Error::make_trap(TrapKind::HostError,
                            std::string(what) + ": string at " + std::to_string(ptr) + " (" +
                                std::to_string(len) + " bytes) is outside memory");
  }
  std::string out(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  if (!is_valid_utf8(out)) {
    return Error::make_trap(TrapKind::HostError, std::string(what) + ": string is not UTF-8");
  }
  return out;
}

// At most this much of a guest's text goes into a trap message.
constexpr size_t kMaxMessageBytes = 4096;
std::string clipped(const std::string& text) {
  if (text.size() <= kMaxMessageBytes) return text;
  return text.substr(0, kMaxMessageBytes) + "...(truncated)";
}

HostFunc intrinsic_func(Intrinsic which, bool self_hosted,
                        std::shared_ptr<BindgenInstance::State> state) {
  using S = BindgenInstance::State;
  S* st = state.get();
  auto keep = std::move(state);
  switch (which) {
    case Intrinsic::Describe:
      return [st, keep](Caller&, std::span<const Value> args, std::span<Value>) -> Result<void> {
        if (st->recording == nullptr)
          return {};  // outside a describe export: a no-op, as in the CLI's output
        if (st->recording->size() >= st->limits.max_descriptor_codes) {
          return Error::make_trap(TrapKind::HostError,
                                  "descriptor longer than " +
                                      std::to_string(st->limits.max_descriptor_codes) + " codes");
        }
        if (++st->total_codes > st->limits.max_total_descriptor_codes) {
          return Error::make_trap(TrapKind::HostError,
                                  "the module's descriptors are longer than " +
                                      std::to_string(st->limits.max_total_descriptor_codes) +
                                      " codes in all");
        }
        st->recording->push_back(args[0].as_u32());
        return {};
      };
    case Intrinsic::StringNew:
    case Intrinsic::ErrorNew:
      return [st, keep, which](Caller& caller, std::span<const Value> args,
                               std::span<Value> results) -> Result<void> {
        auto text = read_guest_string(
            caller, *st, args[0].as_u32(), args[1].as_u32(),
            which == Intrinsic::StringNew ? "__wbindgen_string_new" : "__wbindgen_error_new");
        if (!text) return std::move(text).error();
        auto idx = st->add(which == Intrinsic::StringNew ? JsValue::string(std::move(*text))
                                                         : JsValue::error(std::move(*text)));
        if (!idx) return std::move(idx).error();
        results[0] = Value::i32(static_cast<int32_t>(*idx));
        return {};
      };
    case Intrinsic::NumberNew:
      return [st, keep](Caller&, std::span<const Value> args,
                        std::span<Value> results) -> Result<void> {
        auto idx = st->add(JsValue::of_number(args[0].as_f64()));
        if (!idx) return std::move(idx).error();
        results[0] = Value::i32(static_cast<int32_t>(*idx));
        return {};
      };
    case Intrinsic::Throw:
      return [st, keep](Caller& caller, std::span<const Value> args,
                        std::span<Value>) -> Result<void> {
        auto text =
            read_guest_string(caller, *st, args[0].as_u32(), args[1].as_u32(), "__wbindgen_throw");
        if (!text) return std::move(text).error();
        std::string message = "thrown: Error: " + clipped(*text);
        st->thrown = JsValue::error(std::move(*text));
        return Error::make_trap(TrapKind::HostError, std::move(message));
      };
    case Intrinsic::Rethrow:
      return [st, keep](Caller&, std::span<const Value> args, std::span<Value>) -> Result<void> {
        auto value = st->take(args[0].as_u32());
        if (!value) return std::move(value).error();
        std::string message = "thrown: " + clipped(value->to_display());
        st->thrown = std::move(*value);
        return Error::make_trap(TrapKind::HostError, std::move(message));
      };
    case Intrinsic::CloneRef:
      return [st, keep](Caller&, std::span<const Value> args,
                        std::span<Value> results) -> Result<void> {
        auto value = st->get(args[0].as_u32());
        if (!value) return std::move(value).error();
        auto idx = st->add(**value);
        if (!idx) return std::move(idx).error();
        results[0] = Value::i32(static_cast<int32_t>(*idx));
        return {};
      };
    case Intrinsic::DropRef:
      return [st, keep](Caller&, std::span<const Value> args, std::span<Value>) -> Result<void> {
        st->drop(args[0].as_u32());
        return {};
      };
    case Intrinsic::IsUndefined:
    case Intrinsic::IsNull:
    case Intrinsic::IsString:
    case Intrinsic::BooleanGet:
      return [st, keep, which, self_hosted](Caller&, std::span<const Value> args,
                                            std::span<Value> results) -> Result<void> {
        auto found = st->get(args[0].as_u32());
        if (!found) return std::move(found).error();
        const JsValue* value = *found;
        int32_t answer = 0;
        switch (which) {
          case Intrinsic::IsUndefined:
            answer = value->kind == JsValue::Kind::Undefined;
            break;
          case Intrinsic::IsNull:
            answer = value->kind == JsValue::Kind::Null;
            break;
          case Intrinsic::IsString:
            answer = value->kind == JsValue::Kind::String;
            break;
          default:
            // boolean_get: 0 false, 1 true; not a boolean is 2 in the raw
            // intrinsic and Option<bool>'s None (0xFFFFFF) in the self-hosted one.
            answer = value->kind != JsValue::Kind::Bool ? (self_hosted ? 0xFFFFFF : 2)
                     : value->boolean                   ? 1
                                                        : 0;
        }
        results[0] = Value::i32(answer);
        return {};
      };
    case Intrinsic::TableGrow:
      // The externref table exists only after the CLI's transform; the
      // raw module's slab asks for room and gets indices that nothing reads.
      return [st, keep](Caller&, std::span<const Value> args,
                        std::span<Value> results) -> Result<void> {
        const uint32_t delta = args[0].as_u32();
        if (delta > st->limits.max_heap_values -
                        std::min<size_t>(st->table_size, st->limits.max_heap_values)) {
          results[0] = Value::i32(-1);
          return {};
        }
        results[0] = Value::i32(static_cast<int32_t>(st->table_size));
        st->table_size += delta;
        return {};
      };
    case Intrinsic::TableSetNull:
      return [st, keep](Caller&, std::span<const Value> args, std::span<Value>) -> Result<void> {
        if (args[0].as_u32() >= st->table_size) {
          return Error::make_trap(TrapKind::HostError, "externref table index out of bounds");
        }
        return {};
      };
  }
  return nullptr;
}

Result<Instance> instantiate(Store& store, const BindgenModule& module,
                             const std::shared_ptr<BindgenInstance::State>& state) {
  std::vector<Extern> imports;
  imports.reserve(module.impl().imports.size());
  for (const auto& import : module.impl().imports) {
    imports.emplace_back(store.create_host_func(
        import.type, intrinsic_func(import.which, import.self_hosted, state)));
  }
  return Instance::create(store, module.module(), imports);
}

// Finds an exported function or says which is missing.
std::optional<Func> export_func(const Instance& instance, std::string_view name) {
  return instance.get_func(name);
}

}  // namespace

// ---- BindgenModule ----------------------------------------------------

bool BindgenModule::looks_like_bindgen(const Module& module) {
  for (const ImportInfo& import : module.imports()) {
    if (import.module == kPlaceholderModule || import.module == kExternrefModule) return true;
  }
  for (const ExportInfo& e : module.exports()) {
    if (e.kind == ExternKind::Func && e.name.rfind(kDescribePrefix, 0) == 0) return true;
  }
  return false;
}

const ExportedFunction* BindgenModule::function(std::string_view name) const {
  for (const ExportedFunction& f : functions_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Result<std::shared_ptr<const BindgenModule>> BindgenModule::inspect(
    std::shared_ptr<const Module> module, std::span<const uint8_t> bytes, const std::string& name,
    const Limits& limits) {
  auto fail = [&](const std::string& message) { return Error::link(name + ": " + message); };
  std::shared_ptr<BindgenModule> out(new BindgenModule());
  out->name_ = name;
  out->module_ = module;
  out->limits_ = limits;
  out->impl_ = std::make_unique<Impl>();
  out->version_ = find_version(*module, bytes);

  for (const ImportInfo& import : module->imports()) {
    const std::string what = "import " + import.module + "." + import.name;
    if (import.kind != ExternKind::Func) {
      return fail(what + " (" + to_string(import.kind) + "): weft provides no such import");
    }
    const std::string_view base = self_hosted_base(import.name);
    const IntrinsicSpec* spec = nullptr;
    for (const IntrinsicSpec& s : intrinsic_specs()) {
      if (s.module == import.module && s.name == base) spec = &s;
    }
    if (spec == nullptr) {
      return fail(what +
                  " is not a wasm-bindgen intrinsic weft provides (JavaScript imports, "
                  "js-sys and web-sys cannot run without a JavaScript host)");
    }
    if (!(spec->type == import.func)) {
      return fail(what + " has type " + import.func.to_string() + ", weft's " +
                  std::string(spec->name) + " has " + spec->type.to_string());
    }
    out->impl_->imports.push_back({spec->which, spec->type, base != import.name});
  }

  // The allocator, from the exports' types.
  if (auto malloc = module->export_func_type("__wbindgen_malloc")) {
    out->allocator_.malloc_takes_align = malloc->params.size() == 2;
    const bool ok = (malloc->params.size() == 1 || malloc->params.size() == 2) &&
                    std::all_of(malloc->params.begin(), malloc->params.end(),
                                [](ValType t) { return t == ValType::I32; }) &&
                    malloc->results == std::vector<ValType>{ValType::I32};
    if (!ok) return fail("export __wbindgen_malloc has type " + malloc->to_string());
  }
  if (auto realloc = module->export_func_type("__wbindgen_realloc")) {
    out->allocator_.realloc_present = true;
  }
  if (auto free = module->export_func_type("__wbindgen_free")) {
    const bool ok = (free->params.size() == 2 || free->params.size() == 3) &&
                    std::all_of(free->params.begin(), free->params.end(),
                                [](ValType t) { return t == ValType::I32; }) &&
                    free->results.empty();
    if (!ok) return fail("export __wbindgen_free has type " + free->to_string());
    out->allocator_.free_present = true;
    out->allocator_.free_takes_align = free->params.size() == 3;
  }

  // Run each describe export with a recording __wbindgen_describe.
  StoreLimits store_limits;
  store_limits.max_memory_bytes = limits.memory_bytes;
  store_limits.fuel = limits.describe_fuel;
  Store store(store_limits);
  auto state = std::make_shared<BindgenInstance::State>();
  state->limits = limits;
  auto instance = instantiate(store, *out, state);
  if (!instance) {
    return fail("cannot instantiate it to read its descriptors: " + instance.error().to_string());
  }
  struct Described {
    std::string name;
    FuncType core_type;
    std::vector<uint32_t> codes;
  };
  std::vector<Described> described;
  for (const ExportInfo& e : module->exports()) {
    if (e.kind != ExternKind::Func || e.name.rfind(kDescribePrefix, 0) != 0) continue;
    std::string target = e.name.substr(kDescribePrefix.size());
    // Newer releases describe their self-hosted imports too
    // (__wbindgen_describe___wbg_...): only exported functions matter here.
    auto target_type = module->export_func_type(target);
    if (!target_type) continue;
    if (!e.func.params.empty() || !e.func.results.empty()) {
      return fail("export " + e.name + " has type " + e.func.to_string() + ", expected () -> ()");
    }
    Described d;
    d.name = std::move(target);
    d.core_type = *target_type;
    // One fuel budget (the store's) for the start function and every
    // describe export together: thousands of exports get no more.
    state->recording = &d.codes;
    auto fn = export_func(*instance, e.name);
    auto ran = fn ? fn->call({}) : Result<std::vector<Value>>(Error::link("missing"));
    state->recording = nullptr;
    if (!ran) {
      const Error& error = ran.error();
      std::string why = error.to_string();
      if (error.is_trap() && error.trap && error.trap->kind == TrapKind::OutOfFuel) {
        why = "it did not finish within " + std::to_string(limits.describe_fuel) +
              " fuel (a loop, or far too long)";
      } else if (error.is_trap() && error.trap) {
        why = error.trap->message;
      }
      return fail("export \"" + d.name + "\": describing it failed: " + why);
    }
    described.push_back(std::move(d));
  }
  if (described.empty()) {
    return fail("exports no #[wasm_bindgen] functions (no __wbindgen_describe_* exports)");
  }

  // Decode with the version's table; a module without its version (its
  // custom sections stripped) gets whichever table decodes every
  // descriptor, as long as the candidates agree.
  auto decode_all = [&](const TagTable& table) -> Result<std::vector<ExportedFunction>> {
    std::vector<ExportedFunction> fns;
    for (const Described& d : described) {
      auto fn = decode_function(d.codes, table);
      if (!fn) return Error::link("export \"" + d.name + "\": " + fn.error().message);
      ExportedFunction f;
      f.name = d.name;
      f.desc = std::move(*fn);
      f.core_type = d.core_type;
      fns.push_back(std::move(f));
    }
    return fns;
  };
  if (!out->version_.empty()) {
    auto table = tag_table_for(out->version_);
    if (!table) {
      return fail("built by wasm-bindgen " + out->version_ + "; weft reads the descriptors of " +
                  known_versions());
    }
    auto fns = decode_all(*table);
    if (!fns) return fail(fns.error().message + " (wasm-bindgen " + out->version_ + ")");
    out->tags_ = *table;
    out->functions_ = std::move(*fns);
  } else {
    // One representative version per table, oldest first.
    std::optional<std::string> first_error;
    std::vector<std::pair<TagTable, std::vector<ExportedFunction>>> fits;
    // Alignment arguments to malloc came with 0.2.87: they rule tables in or out.
    struct Candidate {
      const char* version;
      bool aligned_malloc;
    };
    for (Candidate c :
         {Candidate{"0.2.83", false}, Candidate{"0.2.84", false}, Candidate{"0.2.87", true},
          Candidate{"0.2.88", true}, Candidate{"0.2.92", true}, Candidate{"0.2.93", true},
          Candidate{"0.2.96", true}, Candidate{"0.2.119", true}}) {
      auto table = tag_table_for(c.version);
      if (module->export_func_type("__wbindgen_malloc") &&
          out->allocator_.malloc_takes_align != c.aligned_malloc) {
        continue;
      }
      auto fns = decode_all(*table);
      if (!fns) {
        if (!first_error) first_error = fns.error().message;
        continue;
      }
      fits.emplace_back(*table, std::move(*fns));
    }
    if (fits.empty()) {
      return fail(first_error.value_or("no descriptor table fits") +
                  " (the module names no wasm-bindgen version)");
    }
    auto signature = [](const std::vector<ExportedFunction>& fns) {
      std::string s;
      for (const auto& f : fns) s += f.name + ":" + to_string(f.desc) + ";";
      return s;
    };
    for (const auto& fit : fits) {
      if (signature(fit.second) != signature(fits.front().second)) {
        return fail(
            "the module names no wasm-bindgen version, and its descriptors read "
            "differently under " +
            std::string(fits.front().first.versions) + " and " + std::string(fit.first.versions));
      }
    }
    out->tags_ = fits.front().first;
    out->functions_ = std::move(fits.front().second);
  }

  // Work out each function's calling convention; one weft cannot call is
  // kept (its signature prints) and refused when called.
  for (ExportedFunction& f : out->functions_) {
    auto expected = expected_core_type(f.desc);
    if (!expected) continue;
    if (!(expected->first == f.core_type)) continue;
    f.returns_through_pointer = expected->second;
  }
  return std::shared_ptr<const BindgenModule>(std::move(out));
}

Result<void> callable(const ExportedFunction& f) {
  // Why weft cannot call it, if it cannot.
  auto expected = expected_core_type(f.desc);
  if (!expected)
    return Error::usage("export \"" + f.name + "\" " + to_string(f.desc) + ": " +
                        expected.error().message);
  if (!(expected->first == f.core_type)) {
    return Error::usage("export \"" + f.name + "\" " + to_string(f.desc) + " has core type " +
                        f.core_type.to_string() + ", not the " + expected->first.to_string() +
                        " its descriptor implies");
  }
  return {};
}

// ---- BindgenInstance --------------------------------------------------

Result<std::unique_ptr<BindgenInstance>> BindgenInstance::create(
    Store& store, std::shared_ptr<const BindgenModule> module) {
  std::unique_ptr<BindgenInstance> out(new BindgenInstance());
  out->state_ = std::make_shared<State>();
  out->state_->limits = module->limits();
  auto instance = instantiate(store, *module, out->state_);
  if (!instance) return std::move(instance).error();
  out->instance_ = *instance;
  out->module_ = std::move(module);
  return out;
}

size_t BindgenInstance::live_values() const { return state_->heap.size(); }

namespace {

// malloc(size[, align]) in the guest.
Result<uint32_t> guest_malloc(const Instance& instance, const AllocatorAbi& abi, uint32_t size,
                              uint32_t align) {
  auto malloc = instance.get_func("__wbindgen_malloc");
  if (!malloc) return Error::link("the module exports no __wbindgen_malloc to pass a string");
  std::vector<Value> args{Value::i32(static_cast<int32_t>(size))};
  if (abi.malloc_takes_align) args.push_back(Value::i32(static_cast<int32_t>(align)));
  auto r = malloc->call(args);
  if (!r) return std::move(r).error();
  return (*r)[0].as_u32();
}

Result<Value> number_arg(const TypeDesc& type, const JsValue& v, size_t index) {
  auto bad = [&](const std::string& what) {
    return Error::usage("argument " + std::to_string(index + 1) + " (" + to_string(type) +
                        "): " + what);
  };
  if (type.tag == TypeTag::Boolean) {
    if (v.kind != JsValue::Kind::Bool) return bad("expected true or false");
    return Value::i32(v.boolean ? 1 : 0);
  }
  if (type.tag == TypeTag::Char) {
    if (v.kind != JsValue::Kind::String || v.text.empty() || !is_valid_utf8(v.text)) {
      return bad("expected one character");
    }
    // Decode the first (only) UTF-8 character.
    const auto* s = reinterpret_cast<const unsigned char*>(v.text.data());
    uint32_t cp = s[0];
    size_t n = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
    if (n != v.text.size()) return bad("expected one character");
    if (n > 1) {
      cp &= 0x3F >> (n - 1);
      for (size_t k = 1; k < n; ++k) cp = cp << 6 | (s[k] & 0x3F);
    }
    return Value::i32(static_cast<int32_t>(cp));
  }
  if (type.tag == TypeTag::I64 || type.tag == TypeTag::U64) {
    std::string digits = v.kind == JsValue::Kind::BigInt || v.kind == JsValue::Kind::String
                             ? v.text
                             : (v.kind == JsValue::Kind::Number ? format_number(v.number) : "");
    if (type.tag == TypeTag::I64) {
      int64_t x = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), x);
      if (ec != std::errc() || end != digits.data() + digits.size()) return bad("expected an i64");
      return Value::i64(x);
    }
    uint64_t x = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), x);
    if (ec != std::errc() || end != digits.data() + digits.size()) return bad("expected a u64");
    return Value::i64(static_cast<int64_t>(x));
  }
  if (v.kind != JsValue::Kind::Number) return bad("expected a number");
  const double d = v.number;
  switch (type.tag) {
    case TypeTag::F32:
      return Value::f32(static_cast<float>(d));
    case TypeTag::F64:
      return Value::f64(d);
    default:
      break;
  }
  // Integers: JavaScript's glue truncates; weft refuses what does not fit.
  struct Range {
    double lo, hi;
  };
  Range range{0, 0};
  switch (type.tag) {
    case TypeTag::I8:
      range = {-128, 127};
      break;
    case TypeTag::U8:
      range = {0, 255};
      break;
    case TypeTag::I16:
      range = {-32768, 32767};
      break;
    case TypeTag::U16:
      range = {0, 65535};
      break;
    case TypeTag::I32:
      range = {-2147483648.0, 2147483647.0};
      break;
    case TypeTag::U32:
    case TypeTag::Enum:
      range = {0, 4294967295.0};
      break;
    default:
      return bad("cannot be passed");
  }
  if (!(d >= range.lo && d <= range.hi) || std::trunc(d) != d) {
    return bad("expected an integer from " + format_number(range.lo) + " to " +
               format_number(range.hi));
  }
  return Value::i32(static_cast<int32_t>(static_cast<int64_t>(d)));
}

JsValue number_result(const TypeDesc& type, Value v) {
  switch (type.tag) {
    case TypeTag::Boolean:
      return JsValue::of_bool(v.as_u32() != 0);
    case TypeTag::Char: {
      uint32_t cp = v.as_u32();
      // A guest's char that is no Unicode scalar value comes back as U+FFFD.
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
      std::string s;
      if (cp < 0x80) {
        s += static_cast<char>(cp);
      } else if (cp < 0x800) {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        s += static_cast<char>(0xE0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        s += static_cast<char>(0xF0 | ((cp >> 18) & 0x07));
        s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
      }
      return JsValue::string(std::move(s));
    }
    case TypeTag::I8:
      return JsValue::of_number(static_cast<int8_t>(v.as_u32()));
    case TypeTag::U8:
      return JsValue::of_number(static_cast<uint8_t>(v.as_u32()));
    case TypeTag::I16:
      return JsValue::of_number(static_cast<int16_t>(v.as_u32()));
    case TypeTag::U16:
      return JsValue::of_number(static_cast<uint16_t>(v.as_u32()));
    case TypeTag::I32:
      return JsValue::of_number(v.as_i32());
    case TypeTag::U32:
    case TypeTag::Enum:
      return JsValue::of_number(v.as_u32());
    case TypeTag::I64:
      return JsValue::big_int(std::to_string(v.as_i64()));
    case TypeTag::U64:
      return JsValue::big_int(std::to_string(static_cast<uint64_t>(v.as_i64())));
    case TypeTag::F32:
      return JsValue::of_number(v.as_f32());
    case TypeTag::F64:
      return JsValue::of_number(v.as_f64());
    default:
      return JsValue::undefined();
  }
}

}  // namespace

Result<CallOutcome> BindgenInstance::call(std::string_view name, std::span<const JsValue> args) {
  const ExportedFunction* f = module_->function(name);
  if (f == nullptr) {
    return Error::usage("no #[wasm_bindgen] function \"" + std::string(name) + "\"");
  }
  if (auto ok = callable(*f); !ok) return std::move(ok).error();
  if (args.size() != f->desc.args.size()) {
    return Error::usage("\"" + f->name + "\" " + to_string(f->desc) + " takes " +
                        std::to_string(f->desc.args.size()) + " argument(s), " +
                        std::to_string(args.size()) + " given");
  }
  auto func = instance_.get_func(f->name);
  if (!func) return Error::link("no exported function " + f->name);
  auto memory = instance_.get_memory("memory");
  const AllocatorAbi& abi = module_->allocator();
  const Limits& limits = module_->limits();

  std::vector<Value> core_args;
  uint32_t retptr = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    const TypeDesc& type = f->desc.args[i];
    const JsValue& v = args[i];
    if (type.is_string() || is_optional_string(type)) {
      if (is_optional_string(type) &&
          (v.kind == JsValue::Kind::Undefined || v.kind == JsValue::Kind::Null)) {
        core_args.push_back(Value::i32(0));
        core_args.push_back(Value::i32(0));
        continue;
      }
      if (v.kind != JsValue::Kind::String) {
        return Error::usage("argument " + std::to_string(i + 1) + " (" + to_string(type) +
                            "): expected a string");
      }
      if (v.text.size() > limits.memory_bytes || v.text.size() > UINT32_MAX) {
        return Error::limit("argument " + std::to_string(i + 1) + " is larger than the memory cap");
      }
      const auto len = static_cast<uint32_t>(v.text.size());
      auto ptr = guest_malloc(instance_, abi, len, 1);
      if (!ptr) return std::move(ptr).error();
      if (!memory) return Error::link("the module exports no memory");
      auto dest = memory->slice(*ptr, len);
      if (!dest) {
        return Error::make_trap(TrapKind::HostError,
                                "__wbindgen_malloc returned " + std::to_string(*ptr) +
                                    ", outside memory for " + std::to_string(len) + " bytes");
      }
      if (len > 0) std::memcpy(dest->data(), v.text.data(), len);
      core_args.push_back(Value::i32(static_cast<int32_t>(*ptr)));
      core_args.push_back(Value::i32(static_cast<int32_t>(len)));
    } else if (is_js_value(type)) {
      auto idx = state_->add(v);
      if (!idx) return std::move(idx).error();
      core_args.push_back(Value::i32(static_cast<int32_t>(*idx)));
    } else {
      auto value = number_arg(type, v, i);
      if (!value) return std::move(value).error();
      core_args.push_back(*value);
    }
  }

  // The return area, once the arguments are known to be good.
  if (f->returns_through_pointer) {
    auto scratch = guest_malloc(instance_, abi, 16, 8);
    if (!scratch) return std::move(scratch).error();
    retptr = *scratch;
    core_args.insert(core_args.begin(), Value::i32(static_cast<int32_t>(retptr)));
  }
  state_->thrown.reset();
  auto results = func->call(core_args);
  // The return area goes back once read (at scope exit, on every path).
  struct FreeScratch {
    BindgenInstance* self;
    uint32_t ptr;
    bool armed;
    ~FreeScratch() {
      if (!armed || !self->module_->allocator().free_present) return;
      auto free = self->instance_.get_func("__wbindgen_free");
      if (!free) return;
      std::vector<Value> a{Value::i32(static_cast<int32_t>(ptr)), Value::i32(16)};
      if (self->module_->allocator().free_takes_align) a.push_back(Value::i32(8));
      (void)free->call(a);
    }
  } free_scratch{this, retptr, f->returns_through_pointer && static_cast<bool>(results)};
  if (!results) {
    if (state_->thrown) {
      CallOutcome out;
      out.kind = CallOutcome::Kind::Thrown;
      out.value = std::move(*state_->thrown);
      state_->thrown.reset();
      return out;
    }
    return std::move(results).error();
  }

  // Reads a string the guest returned and gives its buffer back.
  auto take_string = [&](uint32_t ptr, uint32_t len) -> Result<std::string> {
    if (len > limits.max_return_bytes) {
      return Error::limit("\"" + f->name + "\" returned a string of " + std::to_string(len) +
                          " bytes, more than the limit of " +
                          std::to_string(limits.max_return_bytes));
    }
    if (!memory) return Error::link("the module exports no memory");
    auto bytes = memory->slice(ptr, len);
    if (!bytes) {
      return Error::make_trap(TrapKind::HostError,
                              "\"" + f->name + "\" returned a string at " + std::to_string(ptr) +
                                  " (" + std::to_string(len) + " bytes), outside its memory");
    }
    std::string text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    if (!is_valid_utf8(text)) {
      return Error::make_trap(TrapKind::HostError,
                              "\"" + f->name + "\" returned a string that is not UTF-8");
    }
    if (abi.free_present && len > 0) {
      auto free = instance_.get_func("__wbindgen_free");
      if (!free) return Error::link("the module exports no __wbindgen_free");
      std::vector<Value> free_args{Value::i32(static_cast<int32_t>(ptr)),
                                   Value::i32(static_cast<int32_t>(len))};
      if (abi.free_takes_align) free_args.push_back(Value::i32(1));
      if (auto freed = free->call(free_args); !freed) return std::move(freed).error();
    }
    return text;
  };

  CallOutcome out;
  const TypeDesc& ret = f->desc.ret;
  if (!f->returns_through_pointer) {
    if (ret.tag == TypeTag::Unit) return out;
    if (is_js_value(ret)) {
      auto value = state_->take((*results)[0].as_u32());
      if (!value) return std::move(value).error();
      out.value = std::move(*value);
      return out;
    }
    out.value = number_result(ret, (*results)[0]);
    return out;
  }

  // Through the return pointer: the fields, read with bounds checks.
  const bool is_result = ret.tag == TypeTag::Result;
  const TypeDesc& payload = is_result ? ret.inner[0] : ret;
  auto prims = prims_of(payload);
  std::vector<Field> fields = layout(*prims, is_result);
  if (!memory) return Error::link("the module exports no memory");
  auto area = memory->slice(retptr, 16);
  if (!area) return Error::make_trap(TrapKind::HostError, "return area outside memory");
  auto field = [&](size_t i) {
    Value v;
    uint64_t bits = 0;
    std::memcpy(&bits, area->data() + fields[i].offset, size_of(fields[i].prim));
    v.type = val_type(fields[i].prim);
    v.bits = bits;
    return v;
  };
  if (is_result) {
    const size_t err_at = fields.size() - 2;
    if (field(err_at + 1).as_u32() != 0) {
      auto value = state_->take(field(err_at).as_u32());
      if (!value) return std::move(value).error();
      out.kind = CallOutcome::Kind::Err;
      out.value = std::move(*value);
      return out;
    }
  }
  if (payload.is_string() || is_optional_string(payload)) {
    const uint32_t ptr = field(0).as_u32();
    const uint32_t len = field(1).as_u32();
    if (is_optional_string(payload) && ptr == 0) return out;  // None: undefined
    auto text = take_string(ptr, len);
    if (!text) return std::move(text).error();
    out.value = JsValue::string(std::move(*text));
    return out;
  }
  if (payload.tag == TypeTag::Unit) return out;
  if (is_js_value(payload)) {
    auto value = state_->take(field(0).as_u32());
    if (!value) return std::move(value).error();
    out.value = std::move(*value);
    return out;
  }
  out.value = number_result(payload, field(0));
  return out;
}

Result<JsValue> parse_argument(const TypeDesc& type, std::string_view text) {
  if (type.is_string() || is_optional_string(type) || type.tag == TypeTag::Char) {
    return JsValue::string(std::string(text));
  }
  if (type.tag == TypeTag::Boolean) {
    if (text == "true") return JsValue::of_bool(true);
    if (text == "false") return JsValue::of_bool(false);
    return Error::usage("expected true or false, got \"" + std::string(text) + "\"");
  }
  if (type.tag == TypeTag::I64 || type.tag == TypeTag::U64) {
    return JsValue::big_int(std::string(text));
  }
  if (type.is_number() || type.tag == TypeTag::Enum) {
    double d = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return Error::usage("expected a number, got \"" + std::string(text) + "\"");
    }
    return JsValue::of_number(d);
  }
  if (is_js_value(type)) return JsValue::string(std::string(text));
  return Error::usage(to_string(type) + " cannot be given on the command line");
}

}  // namespace weft::bindgen
