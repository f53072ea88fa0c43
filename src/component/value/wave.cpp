// WAVE, the WebAssembly Value Encoding that Wasmtime's `--invoke` uses:
// component values as text, typed by the component's own types.
//   true  -12  1.5  nan  'x'  "a\nb"  [1, 2]  (1, "a")  {a: 1, b: none}
//   red  circle(2.5)  some(1)  none  ok  ok(1)  err("e")  {read, write}
// A label that is also a keyword is written with a leading `%`.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "component/value/scalars.h"
#include "wasm/binary/reader.h"  // WEFT_TRY, WEFT_CHECK
#include "weft/component_value.h"

namespace weft::component {

namespace {

constexpr uint32_t kMaxWaveDepth = 100;

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool is_keyword(std::string_view s) {
  return s == "true" || s == "false" || s == "some" || s == "none" || s == "ok" || s == "err" ||
         s == "inf" || s == "nan";
}

// Escapes for a character inside quotes `q` (' or ").
void append_escaped(std::string& out, uint32_t cp, char q) {
  switch (cp) {
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      break;
  }
  if (cp == static_cast<uint32_t>(q)) {
    out += '\\';
    out += q;
    return;
  }
  if (cp < 0x20 || cp == 0x7F) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "\\u{%x}", cp);
    out += buf;
    return;
  }
  append_utf8(out, cp);
}

std::string label_text(const std::string& label) { return is_keyword(label) ? "%" + label : label; }

// The shortest text that reads back to the same value (as an f32 when
// `single`).
std::string float_text(double d, bool single) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (single ? std::strtof(buf, nullptr) == static_cast<float>(d)
               : std::strtod(buf, nullptr) == d)
      break;
  }
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // reads as a float
  return s;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<Val> value(const ValType& t, uint32_t depth = 0);
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool at_end() {
    skip_space();
    return pos_ >= text_.size();
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  Error error(const std::string& what) const {
    return Error::usage("WAVE value at offset " + std::to_string(pos_) + ": " + what);
  }
  Result<std::string> label() {
    skip_space();
    const bool escaped = pos_ < text_.size() && text_[pos_] == '%';
    if (escaped) ++pos_;
    const size_t start = pos_;
    while (pos_ < text_.size() && is_label_char(text_[pos_])) ++pos_;
    if (pos_ == start) return error("expected a label");
    return std::string(text_.substr(start, pos_ - start));
  }
  size_t pos() const { return pos_; }

 private:
  Result<uint64_t> integer(bool is_signed, int bits);
  Result<double> number();
  Result<uint32_t> quoted_char(char q);
  Result<std::string> quoted_string();
  // `[a, b, ...]`, `(a, b)` or `{a, b}` items, each parsed by `item`.
  template <class F>
  Result<void> sequence(char open, char close, F&& item);
  // A case label and its payload in parentheses, if the case has one.
  Result<std::optional<Val>> payload(const ValTypePtr& t, const std::string& label, uint32_t depth);

  std::string_view text_;
  size_t pos_ = 0;
};

template <class F>
Result<void> Parser::sequence(char open, char close, F&& item) {
  if (!eat(open)) return error(std::string("expected `") + open + "`");
  if (eat(close)) return {};
  while (true) {
    WEFT_CHECK(item());
    if (eat(close)) return {};
    if (!eat(',')) return error(std::string("expected `,` or `") + close + "`");
    if (eat(close)) return {};  // a trailing comma
  }
}

Result<uint64_t> Parser::integer(bool is_signed, int bits) {
  skip_space();
  const size_t start = pos_;
  const bool negative = pos_ < text_.size() && text_[pos_] == '-';
  if (negative) ++pos_;
  const size_t digits = pos_;
  unsigned long long magnitude = 0;
  while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
    const unsigned d = static_cast<unsigned>(text_[pos_] - '0');
    if (magnitude > (std::numeric_limits<unsigned long long>::max() - d) / 10)
      return error("integer out of range");
    magnitude = magnitude * 10 + d;
    ++pos_;
  }
  if (pos_ == digits) {
    pos_ = start;
    return error("expected an integer");
  }
  if (is_signed) {
    const unsigned long long limit = 1ull << (bits - 1);  // |min|
    if (negative ? magnitude > limit : magnitude >= limit) return error("integer out of range");
    const int64_t v =
        negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
    return static_cast<uint64_t>(v);
  }
  if (negative && magnitude != 0) return error("a negative value for an unsigned type");
  if (bits < 64 && magnitude >= (1ull << bits)) return error("integer out of range");
  return static_cast<uint64_t>(magnitude);
}

Result<double> Parser::number() {
  skip_space();
  const size_t start = pos_;
  auto word = [&](std::string_view w) {
    if (text_.substr(pos_, w.size()) != w) return false;
    const size_t end = pos_ + w.size();
    if (end < text_.size() && is_label_char(text_[end])) return false;
    pos_ = end;
    return true;
  };
  const bool negative = pos_ < text_.size() && text_[pos_] == '-';
  if (negative) ++pos_;
  if (word("nan")) {
    if (negative) {
      pos_ = start;
      return error("expected a number");
    }
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (word("inf")) return negative ? -HUGE_VAL : HUGE_VAL;
  while (pos_ < text_.size() && ((text_[pos_] >= '0' && text_[pos_] <= '9') || text_[pos_] == '.' ||
                                 text_[pos_] == 'e' || text_[pos_] == 'E' ||
                                 ((text_[pos_] == '+' || text_[pos_] == '-') &&
                                  (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E'))))
    ++pos_;
  const std::string digits(text_.substr(start, pos_ - start));
  char* end = nullptr;
  const double d = std::strtod(digits.c_str(), &end);
  if (digits.empty() || end != digits.c_str() + digits.size()) {
    pos_ = start;
    return error("expected a number");
  }
  return d;
}

Result<uint32_t> Parser::quoted_char(char q) {
  if (pos_ >= text_.size()) return error("unterminated quote");
  const auto c = static_cast<unsigned char>(text_[pos_]);
  if (c == '\\') {
    if (++pos_ >= text_.size()) return error("unterminated escape");
    const char e = text_[pos_++];
    switch (e) {
      case 'n':
        return uint32_t{'\n'};
      case 'r':
        return uint32_t{'\r'};
      case 't':
        return uint32_t{'\t'};
      case '\\':
      case '\'':
      case '"':
        return static_cast<uint32_t>(e);
      case 'u': {
        if (pos_ >= text_.size() || text_[pos_] != '{') return error("expected `{` after \\u");
        ++pos_;
        uint32_t cp = 0;
        size_t n = 0;
        while (pos_ < text_.size() && text_[pos_] != '}') {
          const char h = text_[pos_++];
          int v = (h >= '0' && h <= '9')   ? h - '0'
                  : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                  : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                           : -1;
          if (v < 0 || ++n > 6) return error("bad \\u{...} escape");
          cp = cp * 16 + static_cast<uint32_t>(v);
        }
        if (pos_ >= text_.size() || n == 0) return error("bad \\u{...} escape");
        ++pos_;
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
          return error("not a Unicode scalar value");
        return cp;
      }
      default:
        return error(std::string("unknown escape \\") + e);
    }
  }
  if (c == static_cast<unsigned char>(q)) return error("empty quote");
  // One UTF-8 encoded scalar value.
  const size_t len = c < 0x80           ? 1
                     : (c >> 5) == 0x6  ? 2
                     : (c >> 4) == 0xE  ? 3
                     : (c >> 3) == 0x1E ? 4
                                        : 0;
  if (len == 0 || pos_ + len > text_.size()) return error("invalid UTF-8");
  uint32_t cp = len == 1 ? c : c & (0x7F >> len);
  for (size_t i = 1; i < len; ++i) {
    const auto cc = static_cast<unsigned char>(text_[pos_ + i]);
    if ((cc & 0xC0) != 0x80) return error("invalid UTF-8");
    cp = (cp << 6) | (cc & 0x3F);
  }
  const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return error("invalid UTF-8");
  pos_ += len;
  return cp;
}

Result<std::string> Parser::quoted_string() {
  if (!eat('"')) return error("expected a string");
  std::string out;
  while (true) {
    if (pos_ >= text_.size()) return error("unterminated string");
    if (text_[pos_] == '"') {
      ++pos_;
      return out;
    }
    WEFT_TRY(uint32_t cp, quoted_char('"'));
    append_utf8(out, cp);
  }
}

Result<std::optional<Val>> Parser::payload(const ValTypePtr& t, const std::string& label,
                                           uint32_t depth) {
  if (!t) {
    if (peek('(')) return error("case `" + label + "` has no payload");
    return std::optional<Val>();
  }
  if (!eat('(')) return error("case `" + label + "` needs a payload in parentheses");
  WEFT_TRY(Val v, value(*t, depth + 1));
  if (!eat(')')) return error("expected `)`");
  return std::optional<Val>(std::move(v));
}

Result<Val> Parser::value(const ValType& t, uint32_t depth) {
  if (depth > kMaxWaveDepth) return error("nested too deeply");
  skip_space();
  const size_t start = pos_;
  switch (t.kind) {
    case ValKind::Bool: {
      WEFT_TRY(std::string w, label());
      if (w != "true" && w != "false") return error("expected `true` or `false`");
      return Val::boolean(w == "true");
    }
    case ValKind::S8:
    case ValKind::S16:
    case ValKind::S32:
    case ValKind::S64:
    case ValKind::U8:
    case ValKind::U16:
    case ValKind::U32:
    case ValKind::U64: {
      const bool is_signed = t.kind == ValKind::S8 || t.kind == ValKind::S16 ||
                             t.kind == ValKind::S32 || t.kind == ValKind::S64;
      WEFT_TRY(uint64_t bits, integer(is_signed, static_cast<int>(int_width(t.kind))));
      Val v;
      v.kind = t.kind;
      v.bits = bits;
      return v;
    }
    case ValKind::F32: {
      WEFT_TRY(double d, number());
      return Val::f32(static_cast<float>(d));
    }
    case ValKind::F64: {
      WEFT_TRY(double d, number());
      return Val::f64(d);
    }
    case ValKind::Char: {
      if (!eat('\'')) return error("expected a char in single quotes");
      WEFT_TRY(uint32_t cp, quoted_char('\''));
      if (pos_ >= text_.size() || text_[pos_] != '\'') return error("expected `'`");
      ++pos_;
      return Val::character(cp);
    }
    case ValKind::String: {
      WEFT_TRY(std::string s, quoted_string());
      return Val::string(std::move(s));
    }
    case ValKind::List:
    case ValKind::FixedList: {
      std::vector<Val> items;
      WEFT_CHECK(sequence('[', ']', [&]() -> Result<void> {
        WEFT_TRY(Val v, value(*t.element, depth + 1));
        items.push_back(std::move(v));
        return {};
      }));
      if (t.kind == ValKind::FixedList && items.size() != t.length) {
        pos_ = start;
        return error("expected " + std::to_string(t.length) + " elements");
      }
      Val v = Val::list(std::move(items));
      v.kind = t.kind;
      return v;
    }
    case ValKind::Tuple: {
      std::vector<Val> items;
      size_t i = 0;
      WEFT_CHECK(sequence('(', ')', [&]() -> Result<void> {
        if (i >= t.fields.size()) return error("too many tuple elements");
        WEFT_TRY(Val v, value(*t.fields[i++].type, depth + 1));
        items.push_back(std::move(v));
        return {};
      }));
      if (items.size() != t.fields.size()) return error("too few tuple elements");
      return Val::tuple(std::move(items));
    }
    case ValKind::Record: {
      std::vector<std::optional<Val>> got(t.fields.size());
      WEFT_CHECK(sequence('{', '}', [&]() -> Result<void> {
        WEFT_TRY(std::string name, label());
        size_t k = 0;
        while (k < t.fields.size() && t.fields[k].label != name) ++k;
        if (k == t.fields.size()) return error("no field `" + name + "`");
        if (got[k]) return error("field `" + name + "` given twice");
        if (!eat(':')) return error("expected `:` after `" + name + "`");
        WEFT_TRY(Val v, value(*t.fields[k].type, depth + 1));
        got[k] = std::move(v);
        return {};
      }));
      std::vector<std::pair<std::string, Val>> fields;
      for (size_t k = 0; k < t.fields.size(); ++k) {
        if (!got[k]) {
          // An option field may be left out: it is none.
          if (t.fields[k].type->kind != ValKind::Option)
            return error("missing field `" + t.fields[k].label + "`");
          got[k] = Val::none();
        }
        fields.emplace_back(t.fields[k].label, std::move(*got[k]));
      }
      return Val::record(std::move(fields));
    }
    case ValKind::Variant: {
      WEFT_TRY(std::string name, label());
      for (uint32_t k = 0; k < t.cases.size(); ++k) {
        if (t.cases[k].label != name) continue;
        WEFT_TRY(std::optional<Val> p, payload(t.cases[k].type, name, depth));
        return Val::variant(name, std::move(p), k);
      }
      pos_ = start;
      return error("no case `" + name + "`");
    }
    case ValKind::Enum: {
      WEFT_TRY(std::string name, label());
      for (uint32_t k = 0; k < t.labels.size(); ++k)
        if (t.labels[k] == name) return Val::enumeration(name, k);
      pos_ = start;
      return error("no case `" + name + "`");
    }
    case ValKind::Option: {
      WEFT_TRY(std::string name, label());
      if (name == "none") return Val::none();
      if (name != "some") return error("expected `some(...)` or `none`");
      WEFT_TRY(std::optional<Val> p, payload(t.element, name, depth));
      return Val::some(std::move(*p));
    }
    case ValKind::Result: {
      WEFT_TRY(std::string name, label());
      if (name != "ok" && name != "err") return error("expected `ok` or `err`");
      const ValTypePtr& pt = name == "ok" ? t.element : t.error;
      WEFT_TRY(std::optional<Val> p, payload(pt, name, depth));
      return name == "ok" ? Val::ok(std::move(p)) : Val::err(std::move(p));
    }
    case ValKind::Flags: {
      std::vector<bool> set(t.labels.size());
      WEFT_CHECK(sequence('{', '}', [&]() -> Result<void> {
        WEFT_TRY(std::string name, label());
        size_t k = 0;
        while (k < t.labels.size() && t.labels[k] != name) ++k;
        if (k == t.labels.size()) return error("no flag `" + name + "`");
        if (set[k]) return error("flag `" + name + "` given twice");
        set[k] = true;
        return {};
      }));
      std::vector<std::string> labels;
      for (size_t k = 0; k < t.labels.size(); ++k)
        if (set[k]) labels.push_back(t.labels[k]);
      return Val::flags(std::move(labels));
    }
    default:
      return error(to_string(t) + " values have no WAVE text");
  }
}

void print(std::string& out, const Val& v, const ValType& t, uint32_t depth);

void print_items(std::string& out, const Val& v, const ValType& elem, uint32_t depth) {
  for (size_t i = 0; i < v.list_size(); ++i) {
    if (i) out += ", ";
    print(out, v.list_item(i), elem, depth + 1);
  }
}

void print(std::string& out, const Val& v, const ValType& t, uint32_t depth) {
  if (depth > kMaxWaveDepth) {
    out += "...";
    return;
  }
  switch (t.kind) {
    case ValKind::Bool:
      out += v.bits ? "true" : "false";
      return;
    case ValKind::S8:
    case ValKind::S16:
    case ValKind::S32:
    case ValKind::S64:
      out += std::to_string(v.as_signed());
      return;
    case ValKind::U8:
    case ValKind::U16:
    case ValKind::U32:
    case ValKind::U64:
      out += std::to_string(v.bits);
      return;
    case ValKind::F32: {
      float f;
      const auto b = static_cast<uint32_t>(v.bits);
      std::memcpy(&f, &b, 4);
      out += float_text(f, true);
      return;
    }
    case ValKind::F64: {
      double d;
      std::memcpy(&d, &v.bits, 8);
      out += float_text(d, false);
      return;
    }
    case ValKind::Char:
      out += '\'';
      append_escaped(out, static_cast<uint32_t>(v.bits), '\'');
      out += '\'';
      return;
    case ValKind::String: {
      out += '"';
      // Strings are valid UTF-8: escapes are per byte for ASCII only.
      for (unsigned char c : v.str) {
        if (c < 0x80)
          append_escaped(out, c, '"');
        else
          out += static_cast<char>(c);
      }
      out += '"';
      return;
    }
    case ValKind::List:
    case ValKind::FixedList:
      out += '[';
      print_items(out, v, *t.element, depth);
      out += ']';
      return;
    case ValKind::Tuple:
      out += '(';
      for (size_t i = 0; i < v.items.size() && i < t.fields.size(); ++i) {
        if (i) out += ", ";
        print(out, v.items[i], *t.fields[i].type, depth + 1);
      }
      out += ')';
      return;
    case ValKind::Record:
      out += '{';
      for (size_t i = 0; i < v.items.size() && i < t.fields.size(); ++i) {
        if (i) out += ", ";
        out += label_text(t.fields[i].label) + ": ";
        print(out, v.items[i], *t.fields[i].type, depth + 1);
      }
      out += '}';
      return;
    case ValKind::Variant: {
      if (v.discriminant >= t.cases.size()) break;
      const Case& c = t.cases[v.discriminant];
      out += label_text(c.label);
      if (c.type && !v.items.empty()) {
        out += '(';
        print(out, v.items[0], *c.type, depth + 1);
        out += ')';
      }
      return;
    }
    case ValKind::Enum:
      if (v.discriminant >= t.labels.size()) break;
      out += label_text(t.labels[v.discriminant]);
      return;
    case ValKind::Option:
      if (v.discriminant == 0 || v.items.empty()) {
        out += "none";
        return;
      }
      out += "some(";
      print(out, v.items[0], *t.element, depth + 1);
      out += ')';
      return;
    case ValKind::Result: {
      const bool ok = v.discriminant == 0;
      out += ok ? "ok" : "err";
      const ValTypePtr& pt = ok ? t.element : t.error;
      if (pt && !v.items.empty()) {
        out += '(';
        print(out, v.items[0], *pt, depth + 1);
        out += ')';
      }
      return;
    }
    case ValKind::Flags:
      out += '{';
      for (size_t i = 0; i < v.labels.size(); ++i) {
        if (i) out += ", ";
        out += label_text(v.labels[i]);
      }
      out += '}';
      return;
    default:
      break;
  }
  // Resources and async values have no WAVE form: the wast text says what it is.
  out += to_string(v);
}

}  // namespace

std::string to_wave(const Val& value, const ValType& type) {
  std::string out;
  print(out, value, type, 0);
  return out;
}

Result<Val> parse_wave(std::string_view text, const ValType& type) {
  Parser p(text);
  WEFT_TRY(Val v, p.value(type));
  if (!p.at_end()) return p.error("unexpected text after the value");
  return v;
}

Result<WaveCall> parse_wave_call(std::string_view text,
                                 const std::function<const FuncType*(std::string_view)>& lookup) {
  const size_t open = text.find('(');
  if (open == std::string_view::npos || text.empty() || text.back() != ')')
    return Error::usage("expected a call `name(arg, ...)`, not `" + std::string(text) + "`");
  std::string_view name = text.substr(0, open);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  const FuncType* ft = lookup(name);
  if (!ft) return Error::usage("no exported function `" + std::string(name) + "`");
  WaveCall call;
  call.name = std::string(name);
  Parser p(text.substr(open));
  size_t i = 0;
  if (!p.eat('(')) return p.error("expected `(`");
  if (!p.eat(')')) {
    while (true) {
      if (i >= ft->params.size())
        return p.error("`" + call.name + "` takes " + std::to_string(ft->params.size()) +
                       " arguments");
      WEFT_TRY(Val v, p.value(*ft->params[i++].type));
      call.args.push_back(std::move(v));
      if (p.eat(')')) break;
      if (!p.eat(',')) return p.error("expected `,` or `)`");
      if (p.eat(')')) break;
    }
  }
  if (!p.at_end()) return p.error("unexpected text after the call");
  if (call.args.size() != ft->params.size())
    return Error::usage("`" + call.name + "` takes " + std::to_string(ft->params.size()) +
                        " arguments, " + std::to_string(call.args.size()) + " given");
  return call;
}

}  // namespace weft::component
