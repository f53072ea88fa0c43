// Component values and resolved types: constructors, equality, printing.
#include <cmath>
#include <cstring>

#include "component/value/scalars.h"
#include "weft/component_value.h"

namespace weft::component {

const char* to_string(ValKind kind) {
  switch (kind) {
    case ValKind::Bool:
      return "bool";
    case ValKind::S8:
      return "s8";
    case ValKind::U8:
      return "u8";
    case ValKind::S16:
      return "s16";
    case ValKind::U16:
      return "u16";
    case ValKind::S32:
      return "s32";
    case ValKind::U32:
      return "u32";
    case ValKind::S64:
      return "s64";
    case ValKind::U64:
      return "u64";
    case ValKind::F32:
      return "f32";
    case ValKind::F64:
      return "f64";
    case ValKind::Char:
      return "char";
    case ValKind::String:
      return "string";
    case ValKind::ErrorContext:
      return "error-context";
    case ValKind::List:
      return "list";
    case ValKind::Map:
      return "map";
    case ValKind::FixedList:
      return "fixed-list";
    case ValKind::Record:
      return "record";
    case ValKind::Tuple:
      return "tuple";
    case ValKind::Variant:
      return "variant";
    case ValKind::Enum:
      return "enum";
    case ValKind::Option:
      return "option";
    case ValKind::Result:
      return "result";
    case ValKind::Flags:
      return "flags";
    case ValKind::Own:
      return "own";
    case ValKind::Borrow:
      return "borrow";
    case ValKind::Stream:
      return "stream";
    case ValKind::Future:
      return "future";
  }
  return "?";
}

ValTypePtr ValType::prim(ValKind kind) {
  // One shared instance per primitive kind (bool .. error-context).
  static const auto table = [] {
    std::vector<ValTypePtr> t;
    for (int k = 0; k <= static_cast<int>(ValKind::ErrorContext); ++k) {
      auto v = std::make_shared<ValType>();
      v->kind = static_cast<ValKind>(k);
      t.push_back(std::move(v));
    }
    return t;
  }();
  const auto k = static_cast<size_t>(kind);
  if (k < table.size()) return table[k];
  auto v = std::make_shared<ValType>();
  v->kind = kind;
  return v;
}

namespace {

bool same_ptr_type(const ValTypePtr& a, const ValTypePtr& b) {
  if (!a || !b) return !a && !b;
  return a == b || *a == *b;
}

}  // namespace

bool operator==(const ValType& a, const ValType& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ValKind::List:
    case ValKind::Map:
    case ValKind::Option:
    case ValKind::Stream:
    case ValKind::Future:
      return same_ptr_type(a.element, b.element);
    case ValKind::FixedList:
      return a.length == b.length && same_ptr_type(a.element, b.element);
    case ValKind::Result:
      return same_ptr_type(a.element, b.element) && same_ptr_type(a.error, b.error);
    case ValKind::Record:
    case ValKind::Tuple:
      if (a.fields.size() != b.fields.size()) return false;
      for (size_t i = 0; i < a.fields.size(); ++i) {
        if (a.fields[i].label != b.fields[i].label) return false;
        if (!same_ptr_type(a.fields[i].type, b.fields[i].type)) return false;
      }
      return true;
    case ValKind::Variant:
      if (a.cases.size() != b.cases.size()) return false;
      for (size_t i = 0; i < a.cases.size(); ++i) {
        if (a.cases[i].label != b.cases[i].label) return false;
        if (!same_ptr_type(a.cases[i].type, b.cases[i].type)) return false;
      }
      return true;
    case ValKind::Enum:
    case ValKind::Flags:
      return a.labels == b.labels;
    case ValKind::Own:
    case ValKind::Borrow:
      return a.resource == b.resource;
    default:
      return true;
  }
}

std::string to_string(const ValType& t) {
  auto sub = [](const ValTypePtr& p) { return p ? to_string(*p) : std::string("_"); };
  switch (t.kind) {
    case ValKind::List:
      return "list<" + sub(t.element) + ">";
    case ValKind::Map:
      if (t.element && t.element->fields.size() == 2)
        return "map<" + sub(t.element->fields[0].type) + ", " + sub(t.element->fields[1].type) +
               ">";
      return "map<_>";
    case ValKind::FixedList:
      return "list<" + sub(t.element) + ", " + std::to_string(t.length) + ">";
    case ValKind::Option:
      return "option<" + sub(t.element) + ">";
    case ValKind::Stream:
      return t.element ? "stream<" + sub(t.element) + ">" : "stream";
    case ValKind::Future:
      return t.element ? "future<" + sub(t.element) + ">" : "future";
    case ValKind::Result:
      if (!t.element && !t.error) return "result";
      return "result<" + sub(t.element) + ", " + sub(t.error) + ">";
    case ValKind::Tuple: {
      std::string s = "tuple<";
      for (size_t i = 0; i < t.fields.size(); ++i) s += (i ? ", " : "") + sub(t.fields[i].type);
      return s + ">";
    }
    case ValKind::Record: {
      std::string s = "record { ";
      for (size_t i = 0; i < t.fields.size(); ++i)
        s += (i ? ", " : "") + t.fields[i].label + ": " + sub(t.fields[i].type);
      return s + " }";
    }
    case ValKind::Variant: {
      std::string s = "variant { ";
      for (size_t i = 0; i < t.cases.size(); ++i) {
        s += (i ? ", " : "") + t.cases[i].label;
        if (t.cases[i].type) s += "(" + sub(t.cases[i].type) + ")";
      }
      return s + " }";
    }
    case ValKind::Enum:
    case ValKind::Flags: {
      std::string s = t.kind == ValKind::Enum ? "enum { " : "flags { ";
      for (size_t i = 0; i < t.labels.size(); ++i) s += (i ? ", " : "") + t.labels[i];
      return s + " }";
    }
    case ValKind::Own:
    case ValKind::Borrow: {
      std::string name = t.resource && !t.resource->name.empty() ? t.resource->name : "resource";
      return std::string(t.kind == ValKind::Own ? "own<" : "borrow<") + name + ">";
    }
    default:
      return to_string(t.kind);
  }
}

Val Val::boolean(bool b) {
  Val v;
  v.kind = ValKind::Bool;
  v.bits = b ? 1 : 0;
  return v;
}

namespace {
Val scalar(ValKind kind, uint64_t bits) {
  Val v;
  v.kind = kind;
  v.bits = bits;
  return v;
}
}  // namespace

Val Val::s8(int8_t x) {
  return scalar(ValKind::S8, static_cast<uint64_t>(static_cast<int64_t>(x)));
}
Val Val::u8(uint8_t x) { return scalar(ValKind::U8, x); }
Val Val::s16(int16_t x) {
  return scalar(ValKind::S16, static_cast<uint64_t>(static_cast<int64_t>(x)));
}
Val Val::u16(uint16_t x) { return scalar(ValKind::U16, x); }
Val Val::s32(int32_t x) {
  return scalar(ValKind::S32, static_cast<uint64_t>(static_cast<int64_t>(x)));
}
Val Val::u32(uint32_t x) { return scalar(ValKind::U32, x); }
Val Val::s64(int64_t x) { return scalar(ValKind::S64, static_cast<uint64_t>(x)); }
Val Val::u64(uint64_t x) { return scalar(ValKind::U64, x); }
Val Val::f32_bits(uint32_t b) { return scalar(ValKind::F32, b); }
Val Val::f64_bits(uint64_t b) { return scalar(ValKind::F64, b); }
Val Val::f32(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  return f32_bits(b);
}
Val Val::f64(double x) {
  uint64_t b;
  std::memcpy(&b, &x, 8);
  return f64_bits(b);
}
Val Val::character(uint32_t cp) { return scalar(ValKind::Char, cp); }
Val Val::string(std::string utf8) {
  Val v;
  v.kind = ValKind::String;
  v.str = std::move(utf8);
  return v;
}
Val Val::list(std::vector<Val> items) {
  Val v;
  v.kind = ValKind::List;
  v.items = std::move(items);
  return v;
}
Val Val::bytes(std::string data, ValKind element) {
  Val v;
  v.kind = ValKind::List;
  v.str = std::move(data);
  v.byte_list = true;
  v.discriminant = static_cast<uint32_t>(element);
  return v;
}
Val Val::list_item(size_t i) const {
  if (!byte_list) return items.at(i);
  const auto byte = static_cast<uint8_t>(str.at(i));
  if (static_cast<ValKind>(discriminant) == ValKind::S8) return Val::s8(static_cast<int8_t>(byte));
  return Val::u8(byte);
}
void Val::unpack_bytes() {
  if (!byte_list) return;
  std::vector<Val> out;
  out.reserve(str.size());
  for (size_t i = 0; i < str.size(); ++i) out.push_back(list_item(i));
  items = std::move(out);
  str.clear();
  byte_list = false;
  discriminant = 0;
}
Val Val::tuple(std::vector<Val> items) {
  Val v;
  v.kind = ValKind::Tuple;
  v.items = std::move(items);
  return v;
}
Val Val::record(std::vector<std::pair<std::string, Val>> fields) {
  Val v;
  v.kind = ValKind::Record;
  for (auto& [label, value] : fields) {
    v.labels.push_back(std::move(label));
    v.items.push_back(std::move(value));
  }
  return v;
}
Val Val::variant(std::string label, std::optional<Val> payload, uint32_t discriminant) {
  Val v;
  v.kind = ValKind::Variant;
  v.labels.push_back(std::move(label));
  if (payload) v.items.push_back(std::move(*payload));
  v.discriminant = discriminant;
  return v;
}
Val Val::enumeration(std::string label, uint32_t discriminant) {
  Val v;
  v.kind = ValKind::Enum;
  v.labels.push_back(std::move(label));
  v.discriminant = discriminant;
  return v;
}
Val Val::none() {
  Val v;
  v.kind = ValKind::Option;
  v.discriminant = 0;
  return v;
}
Val Val::some(Val x) {
  Val v;
  v.kind = ValKind::Option;
  v.discriminant = 1;
  v.items.push_back(std::move(x));
  return v;
}
Val Val::ok(std::optional<Val> x) {
  Val v;
  v.kind = ValKind::Result;
  v.discriminant = 0;
  if (x) v.items.push_back(std::move(*x));
  return v;
}
Val Val::err(std::optional<Val> x) {
  Val v;
  v.kind = ValKind::Result;
  v.discriminant = 1;
  if (x) v.items.push_back(std::move(*x));
  return v;
}
Val Val::flags(std::vector<std::string> set_labels) {
  Val v;
  v.kind = ValKind::Flags;
  v.labels = std::move(set_labels);
  return v;
}

bool operator==(const Val& a, const Val& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ValKind::String:
      return a.str == b.str;
    case ValKind::List:
    case ValKind::FixedList:
      if (a.byte_list && b.byte_list) return a.discriminant == b.discriminant && a.str == b.str;
      if (a.byte_list || b.byte_list) {
        if (a.list_size() != b.list_size()) return false;
        for (size_t i = 0; i < a.list_size(); ++i)
          if (!(a.list_item(i) == b.list_item(i))) return false;
        return true;
      }
      return a.items == b.items;
    case ValKind::Tuple:
      return a.items == b.items;
    case ValKind::Record:
      return a.labels == b.labels && a.items == b.items;
    case ValKind::Variant:
    case ValKind::Enum:
      // A label-only value (from a script) matches any discriminant.
      if (a.discriminant != UINT32_MAX && b.discriminant != UINT32_MAX &&
          a.discriminant != b.discriminant)
        return false;
      return a.labels == b.labels && a.items == b.items;
    case ValKind::Option:
    case ValKind::Result:
      return a.discriminant == b.discriminant && a.items == b.items;
    case ValKind::Flags:
      return a.labels == b.labels;
    default:
      return a.bits == b.bits;
  }
}

namespace {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += '\\';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string utf8_of(uint32_t cp) {
  std::string s;
  append_utf8(s, cp);
  return s;
}

std::string items_of(const Val& v) {
  std::string s;
  if (v.byte_list) {
    for (size_t i = 0; i < v.list_size(); ++i) s += " " + to_string(v.list_item(i));
    return s;
  }
  for (const auto& item : v.items) s += " " + to_string(item);
  return s;
}

}  // namespace

std::string to_string(const Val& v) {
  switch (v.kind) {
    case ValKind::Bool:
      return v.bits ? "(bool.const true)" : "(bool.const false)";
    case ValKind::S8:
    case ValKind::S16:
    case ValKind::S32:
    case ValKind::S64:
      return std::string("(") + to_string(v.kind) + ".const " + std::to_string(v.as_signed()) + ")";
    case ValKind::U8:
    case ValKind::U16:
    case ValKind::U32:
    case ValKind::U64:
      return std::string("(") + to_string(v.kind) + ".const " + std::to_string(v.bits) + ")";
    case ValKind::F32: {
      float f;
      const auto b = static_cast<uint32_t>(v.bits);
      std::memcpy(&f, &b, 4);
      if (std::isnan(f)) return "(f32.const nan)";
      return "(f32.const " + std::to_string(f) + ")";
    }
    case ValKind::F64: {
      double d;
      std::memcpy(&d, &v.bits, 8);
      if (std::isnan(d)) return "(f64.const nan)";
      return "(f64.const " + std::to_string(d) + ")";
    }
    case ValKind::Char:
      return "(char.const " + quote(utf8_of(static_cast<uint32_t>(v.bits))) + ")";
    case ValKind::String:
      return "(str.const " + quote(v.str) + ")";
    case ValKind::List:
    case ValKind::FixedList:
      return "(list.const" + items_of(v) + ")";
    case ValKind::Tuple:
      return "(tuple.const" + items_of(v) + ")";
    case ValKind::Record: {
      std::string s = "(record.const";
      for (size_t i = 0; i < v.items.size(); ++i)
        s += " (field " + quote(i < v.labels.size() ? v.labels[i] : "") + " " +
             to_string(v.items[i]) + ")";
      return s + ")";
    }
    case ValKind::Variant:
      return "(variant.const " + quote(v.labels.empty() ? "" : v.labels[0]) + items_of(v) + ")";
    case ValKind::Enum:
      return "(enum.const " + quote(v.labels.empty() ? "" : v.labels[0]) + ")";
    case ValKind::Option:
      return v.discriminant ? "(option.some" + items_of(v) + ")" : "(option.none)";
    case ValKind::Result:
      return std::string(v.discriminant ? "(result.err" : "(result.ok") + items_of(v) + ")";
    case ValKind::Flags: {
      std::string s = "(flags.const";
      for (const auto& l : v.labels) s += " " + quote(l);
      return s + ")";
    }
    case ValKind::Own:
      return "(own " + std::to_string(v.bits) + ")";
    case ValKind::Borrow:
      return "(borrow " + std::to_string(v.bits) + ")";
    default:
      return std::string("(") + to_string(v.kind) + " " + std::to_string(v.bits) + ")";
  }
}

}  // namespace weft::component
