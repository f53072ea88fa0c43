#include "wasm/text/numbers.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

namespace weft::text {
namespace {

int digit_value(char c, bool hex) {
  if (c >= '0' && c <= '9') return c - '0';
  if (hex && c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (hex && c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Scans digit (_? digit)* at text[*pos]; appends the digits to `clean`.
// Returns false if there is no digit or an underscore is misplaced.
bool scan_digits(std::string_view text, size_t* pos, bool hex, std::string* clean) {
  size_t p = *pos;
  if (p >= text.size() || digit_value(text[p], hex) < 0) return false;
  while (p < text.size()) {
    if (digit_value(text[p], hex) >= 0) {
      clean->push_back(text[p]);
      ++p;
    } else if (text[p] == '_') {
      if (p + 1 >= text.size() || digit_value(text[p + 1], hex) < 0) return false;
      ++p;
    } else {
      break;
    }
  }
  *pos = p;
  return true;
}

// Unsigned magnitude (no sign) into a uint64 with overflow detection.
bool parse_magnitude(std::string_view text, uint64_t* out) {
  bool hex = false;
  size_t pos = 0;
  if (text.size() >= 2 && text[0] == '0' && text[1] == 'x') {
    hex = true;
    pos = 2;
  }
  std::string digits;
  if (!scan_digits(text, &pos, hex, &digits) || pos != text.size()) return false;
  uint64_t value = 0;
  const uint64_t base = hex ? 16 : 10;
  for (char c : digits) {
    const uint64_t d = static_cast<uint64_t>(digit_value(c, hex));
    if (value > (UINT64_MAX - d) / base) return false;
    value = value * base + d;
  }
  *out = value;
  return true;
}

bool parse_int(std::string_view text, unsigned bits, uint64_t* out) {
  bool negative = false;
  bool has_sign = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    has_sign = true;
    text.remove_prefix(1);
  }
  uint64_t magnitude;
  if (!parse_magnitude(text, &magnitude)) return false;
  const uint64_t unsigned_max = bits == 64 ? UINT64_MAX : ((uint64_t{1} << bits) - 1);
  const uint64_t signed_neg_max = uint64_t{1} << (bits - 1);
  if (negative) {
    if (magnitude > signed_neg_max) return false;
    *out = (~magnitude + 1) & unsigned_max;
  } else {
    if (has_sign && magnitude > signed_neg_max - 1) return false;
    if (magnitude > unsigned_max) return false;
    *out = magnitude;
  }
  return true;
}

// Validates a float literal magnitude (no sign) and rewrites it without
// underscores in a form strtod accepts. Sets *kind: 0 number, 1 inf, 2 nan, 3 nan:0x.
bool clean_float(std::string_view text, std::string* clean, int* kind, uint64_t* payload) {
  if (text == "inf") {
    *kind = 1;
    return true;
  }
  if (text == "nan") {
    *kind = 2;
    return true;
  }
  if (text.substr(0, 6) == "nan:0x") {
    *kind = 3;
    size_t pos = 6;
    std::string digits;
    if (!scan_digits(text, &pos, true, &digits) || pos != text.size()) return false;
    uint64_t value = 0;
    for (char c : digits) {
      if (value >> 60) return false;
      value = value * 16 + static_cast<uint64_t>(digit_value(c, true));
    }
    *payload = value;
    return true;
  }
  *kind = 0;
  bool hex = false;
  size_t pos = 0;
  if (text.size() >= 2 && text[0] == '0' && text[1] == 'x') {
    hex = true;
    pos = 2;
    clean->append("0x");
  }
  if (!scan_digits(text, &pos, hex, clean)) return false;
  if (pos < text.size() && text[pos] == '.') {
    clean->push_back('.');
    ++pos;
    if (pos < text.size() && digit_value(text[pos], hex) >= 0) {
      if (!scan_digits(text, &pos, hex, clean)) return false;
    }
  }
  if (pos < text.size()) {
    const char e = text[pos];
    const bool is_exp = hex ? (e == 'p' || e == 'P') : (e == 'e' || e == 'E');
    if (!is_exp) return false;
    clean->push_back(e);
    ++pos;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      clean->push_back(text[pos]);
      ++pos;
    }
    if (!scan_digits(text, &pos, false, clean)) return false;
  }
  return pos == text.size();
}

template <class Bits>
bool parse_float(std::string_view text, bool is_f32, Bits* bits) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  std::string clean;
  int kind;
  uint64_t payload = 0;
  if (!clean_float(text, &clean, &kind, &payload)) return false;
  const unsigned mantissa_bits = is_f32 ? 23 : 52;
  const unsigned total_bits = is_f32 ? 32 : 64;
  const uint64_t sign = negative ? (uint64_t{1} << (total_bits - 1)) : 0;
  const uint64_t exponent_all_ones = (is_f32 ? uint64_t{0xFF} : uint64_t{0x7FF}) << mantissa_bits;
  if (kind == 1) {
    *bits = static_cast<Bits>(sign | exponent_all_ones);
    return true;
  }
  if (kind == 2 || kind == 3) {
    if (kind == 2) payload = uint64_t{1} << (mantissa_bits - 1);
    if (payload == 0 || payload >= (uint64_t{1} << mantissa_bits)) return false;
    *bits = static_cast<Bits>(sign | exponent_all_ones | payload);
    return true;
  }
  if (negative) clean.insert(clean.begin(), '-');
  // glibc's strtod/strtof round correctly (to nearest-even) for decimal and
  // hex input of any length. The process never calls setlocale, so '.' is the
  // radix character.
  errno = 0;
  char* end = nullptr;
  if (is_f32) {
    const float value = std::strtof(clean.c_str(), &end);
    if (end != clean.c_str() + clean.size() || std::isinf(value)) return false;
    uint32_t b;
    std::memcpy(&b, &value, sizeof b);
    *bits = static_cast<Bits>(b);
  } else {
    const double value = std::strtod(clean.c_str(), &end);
    if (end != clean.c_str() + clean.size() || std::isinf(value)) return false;
    uint64_t b;
    std::memcpy(&b, &value, sizeof b);
    *bits = static_cast<Bits>(b);
  }
  return true;
}

}  // namespace

bool parse_u32(std::string_view text, uint32_t* out) {
  uint64_t v;
  if (!parse_magnitude(text, &v) || v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool parse_u64(std::string_view text, uint64_t* out) { return parse_magnitude(text, out); }

bool parse_i32(std::string_view text, uint32_t* out) {
  uint64_t v;
  if (!parse_int(text, 32, &v)) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool parse_i64(std::string_view text, uint64_t* out) { return parse_int(text, 64, out); }

bool parse_f32(std::string_view text, uint32_t* bits) { return parse_float(text, true, bits); }
bool parse_f64(std::string_view text, uint64_t* bits) { return parse_float(text, false, bits); }

}  // namespace weft::text
