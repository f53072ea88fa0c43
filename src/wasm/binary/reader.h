// A bounds-checked cursor over a module's bytes: LEB128 integers, floats,
// names. Used by the decoder for sections and by the validator for
// instructions. Every read either succeeds or returns a Malformed error that
// carries the absolute byte offset; nothing reads past `end`.
//
// Offsets are absolute positions in the module (the reader is constructed
// over the whole binary plus a [pos, end) window), so errors from anywhere
// name the same byte a hex dump of the file shows.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "weft/result.h"

// Propagation helpers for Result<T>. `WEFT_TRY(auto x, expr);` declares x
// (or assigns an existing lvalue) from a successful result, or returns the
// error from the enclosing function. It expands to several statements: put
// braces around it under `if`/`case`. `WEFT_CHECK(expr);` only propagates.
#ifndef WEFT_TRY
#define WEFT_TRY_CONCAT_INNER(a, b) a##b
#define WEFT_TRY_CONCAT(a, b) WEFT_TRY_CONCAT_INNER(a, b)
#define WEFT_TRY_IMPL(tmp, lhs, expr)           \
  auto tmp = (expr);                            \
  if (!tmp.ok()) return std::move(tmp).error(); \
  lhs = std::move(tmp).value()
#define WEFT_TRY(lhs, expr) WEFT_TRY_IMPL(WEFT_TRY_CONCAT(weft_try_, __LINE__), lhs, expr)
#endif
#ifndef WEFT_CHECK
#define WEFT_CHECK(expr)                                                      \
  do {                                                                        \
    auto weft_check_result = (expr);                                          \
    if (!weft_check_result.ok()) return std::move(weft_check_result).error(); \
  } while (0)
#endif

namespace weft::wasm {

// True if `bytes` is well-formed UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF).
inline bool is_valid_utf8(std::span<const uint8_t> bytes) {
  size_t i = 0;
  const size_t n = bytes.size();
  while (i < n) {
    const uint8_t b = bytes[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    uint32_t min;
    if ((b & 0xE0) == 0xC0) {
      len = 2, cp = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3, cp = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4, cp = b & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const uint8_t c = bytes[i + k];
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

class Reader {
 public:
  static constexpr const char* kUnexpectedEnd = "unexpected end";
  static constexpr const char* kUnexpectedEndOfSection = "unexpected end of section or function";

  // Reads bytes[pos, end). `eof_message` is the error for reading past end.
  Reader(std::span<const uint8_t> bytes, size_t pos, size_t end,
         const char* eof_message = kUnexpectedEndOfSection)
      : data_(bytes.data()),
        pos_(pos),
        end_(end <= bytes.size() ? end : bytes.size()),
        eof_message_(eof_message) {
    if (pos_ > end_) pos_ = end_;
  }
  explicit Reader(std::span<const uint8_t> bytes, const char* eof_message = kUnexpectedEnd)
      : Reader(bytes, 0, bytes.size(), eof_message) {}

  size_t pos() const { return pos_; }
  size_t end() const { return end_; }
  size_t remaining() const { return end_ - pos_; }
  bool at_end() const { return pos_ >= end_; }
  const uint8_t* data() const { return data_; }
  void set_eof_message(const char* message) { eof_message_ = message; }
  const char* eof_message() const { return eof_message_; }

  // Moves the cursor; clamps to end.
  void seek(size_t pos) { pos_ = pos <= end_ ? pos : end_; }

  Error error(std::string message) const { return Error::malformed(pos_, std::move(message)); }
  Error error_at(size_t offset, std::string message) const {
    return Error::malformed(offset, std::move(message));
  }
  Error eof() const { return Error::malformed(pos_, eof_message_); }

  Result<uint8_t> peek_u8() const {
    if (pos_ >= end_) return eof();
    return data_[pos_];
  }

  Result<uint8_t> read_u8() {
    if (pos_ >= end_) return eof();
    return data_[pos_++];
  }

  // `n` raw bytes as a view (no copy).
  Result<std::span<const uint8_t>> read_bytes(size_t n) {
    if (n > remaining()) return eof();
    std::span<const uint8_t> out(data_ + pos_, n);
    pos_ += n;
    return out;
  }

  Result<void> skip(size_t n) {
    if (n > remaining()) return eof();
    pos_ += n;
    return {};
  }

  Result<uint32_t> read_u32() {
    WEFT_TRY(uint64_t v, read_leb<false>(32));
    return static_cast<uint32_t>(v);
  }
  Result<uint64_t> read_u64() { return read_leb<false>(64); }
  Result<int32_t> read_s32() {
    WEFT_TRY(uint64_t v, read_leb<true>(32));
    return static_cast<int32_t>(static_cast<uint32_t>(v));
  }
  // Block types: a negative value is a value type/empty, a non-negative one
  // a type index.
  Result<int64_t> read_s33() {
    WEFT_TRY(uint64_t v, read_leb<true>(33));
    return static_cast<int64_t>(v);
  }
  Result<int64_t> read_s64() {
    WEFT_TRY(uint64_t v, read_leb<true>(64));
    return static_cast<int64_t>(v);
  }

  // Floats as little-endian IEEE bit patterns (NaN payloads preserved).
  Result<uint32_t> read_f32_bits() {
    if (remaining() < 4) return eof();
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(data_[pos_ + i]) << (8 * i);
    pos_ += 4;
    return v;
  }
  Result<uint64_t> read_f64_bits() {
    if (remaining() < 8) return eof();
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
    pos_ += 8;
    return v;
  }

  // A u32 byte length (section, body, name) that must not exceed the bytes
  // left in the window.
  Result<uint32_t> read_length() {
    const size_t at = pos_;
    WEFT_TRY(uint32_t n, read_u32());
    if (n > remaining()) return error_at(at, "length out of bounds");
    return n;
  }

  // A vector's element count. Every element takes at least one byte, so a
  // count above the bytes left is an unexpected end (callers may then
  // reserve it).
  Result<uint32_t> read_count() {
    WEFT_TRY(uint32_t n, read_u32());
    if (n > remaining()) return eof();
    return n;
  }

  // A vector(byte) that must be valid UTF-8.
  Result<std::string> read_name() {
    const size_t at = pos_;
    WEFT_TRY(uint32_t n, read_length());
    WEFT_TRY(auto bytes, read_bytes(n));
    if (!is_valid_utf8(bytes)) return error_at(at, "malformed UTF-8 encoding");
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }

  // A one-byte flag that is 0 or 1 (LEB128-style rules: a set continuation
  // bit means a too-long encoding, other bits mean a too-large value).
  Result<uint8_t> read_flag_bit() {
    const size_t at = pos_;
    WEFT_TRY(uint8_t b, read_u8());
    if ((b & 0x7F) > 1) return error_at(at, "integer too large");
    if (b & 0x80) return error_at(at + 1, "integer representation too long");
    return b;
  }

  // A byte that must be zero (reserved memory/table index bytes).
  Result<void> expect_zero_byte() {
    const size_t at = pos_;
    WEFT_TRY(uint8_t b, read_u8());
    if (b != 0) return error_at(at, "zero byte expected");
    return {};
  }

 private:
  // LEB128 of at most ceil(bits/7) bytes. The unused high bits of the last
  // byte must be zero (unsigned) or copies of the sign bit (signed).
  template <bool kSigned>
  Result<uint64_t> read_leb(unsigned bits) {
    const unsigned max_bytes = (bits + 6) / 7;
    uint64_t result = 0;
    unsigned shift = 0;
    for (unsigned i = 0;; ++i) {
      if (i == max_bytes) return error("integer representation too long");
      if (pos_ >= end_) return eof();
      const uint8_t b = data_[pos_];
      if (i == max_bytes - 1) {
        // Bits of this byte that carry value: bits - 7*i (1..7).
        const unsigned used = bits - 7 * i;
        if (used < 7) {
          if constexpr (kSigned) {
            // Bits [used-1, 6] must all be equal (sign extension).
            const uint8_t mask = static_cast<uint8_t>((0x7F << (used - 1)) & 0x7F);
            const uint8_t top = b & mask;
            if (top != 0 && top != mask) return error("integer too large");
          } else {
            if ((b & 0x7F) >> used) return error("integer too large");
          }
        }
      }
      ++pos_;
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      shift += 7;
      if (!(b & 0x80)) {
        if constexpr (kSigned) {
          if (shift < 64 && (b & 0x40)) result |= ~uint64_t{0} << shift;
        }
        break;
      }
    }
    if constexpr (kSigned) {
      // Truncate to `bits` and sign-extend so callers can narrow directly.
      if (bits < 64) {
        const uint64_t sign = uint64_t{1} << (bits - 1);
        result &= (uint64_t{1} << bits) - 1;
        result = (result ^ sign) - sign;
      }
    }
    return result;
  }

  const uint8_t* data_;
  size_t pos_;
  size_t end_;
  const char* eof_message_;
};

}  // namespace weft::wasm
