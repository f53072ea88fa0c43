// Strings (CanonicalABI.md, "Loading" and "Storing" of strings): decoding
// the three guest encodings into UTF-8 and transcoding back, with the
// spec's allocation sequence (an optimistic size, a grow to the worst case
// on the first code point that needs it, and a shrink to fit).
#include <cstring>

#include "component/abi/abi.h"
#include "component/abi/util.h"
#include "component/value/scalars.h"

namespace weft::component::abi {

using detail::kReallocUnaligned;
using detail::kStringOob;
using detail::kUnaligned;
using detail::oob;
using detail::trap;

namespace {

// Where the first malformed UTF-8 sequence starts, and whether the input
// merely ended inside a sequence that could still have been valid.
struct Utf8Error {
  size_t index;
  bool incomplete;
};

// Unicode's table 3-7 of well-formed byte sequences: no overlongs, no
// surrogates, nothing past U+10FFFF (Python's strict decoder agrees).
std::optional<Utf8Error> validate_utf8(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    // ASCII runs eight bytes at a time: most strings crossing a boundary
    // are mostly ASCII, and this check is on every string lowered.
    while (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if (word & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    uint8_t b = p[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      return Utf8Error{i, false};
    }
    for (size_t k = 1; k < len; ++k) {
      if (i + k >= n) return Utf8Error{i, true};
      uint8_t c = p[i + k];
      if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) return Utf8Error{i, false};
    }
    i += len;
  }
  return std::nullopt;
}

Error utf8_error(const Utf8Error& e) {
  std::string at = " from index " + std::to_string(e.index);
  if (e.incomplete) return trap("invalid utf-8: incomplete utf-8 byte sequence" + at);
  return trap("invalid utf-8 sequence" + at);
}

// Decodes one code point of already-validated UTF-8 at s[i], advancing i.
uint32_t next_code_point(std::string_view s, size_t& i) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  uint32_t c = b(0);
  if (c < 0x80) {
    i += 1;
  } else if (c < 0xE0) {
    c = ((c & 0x1F) << 6) | (b(1) & 0x3F);
    i += 2;
  } else if (c < 0xF0) {
    c = ((c & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    i += 3;
  } else {
    c = ((c & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
    i += 4;
  }
  return c;
}

Result<std::string> decode_utf16(const uint8_t* p, size_t units) {
  std::string out;
  out.reserve(units);
  for (size_t i = 0; i < units; ++i) {
    uint32_t u = p[2 * i] | (p[2 * i + 1] << 8);
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units) {
      uint32_t v = p[2 * i + 2] | (p[2 * i + 3] << 8);
      if (v >= 0xDC00 && v <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00));
        ++i;
        continue;
      }
    }
    if (u >= 0xD800 && u <= 0xDFFF)
      return trap("invalid utf-16: unpaired surrogate at code unit " + std::to_string(i));
    append_utf8(out, u);
  }
  return out;
}

// A string value's text as the spec's (src, src_encoding, code units).
struct Source {
  std::string_view text;  // valid UTF-8
  StringSource kind;
  uint32_t code_units;
};

Result<Source> source_of(const Val& v) {
  if (v.kind != ValKind::String) return detail::mismatch(*ValType::prim(ValKind::String), v);
  Source s{v.str, StringSource::Utf8, 0};
  if (validate_utf8(reinterpret_cast<const uint8_t*>(v.str.data()), v.str.size()))
    return Error::usage("canonical ABI: string value is not valid UTF-8");
  if (v.discriminant > static_cast<uint32_t>(StringSource::Latin1Utf16Tagged))
    return s;  // not a remembered guest encoding: take it as UTF-8
  s.kind = static_cast<StringSource>(v.discriminant);
  uint64_t units = 0;
  switch (s.kind) {
    case StringSource::Utf8:
      units = v.str.size();
      break;
    case StringSource::Utf16:
    case StringSource::Latin1Utf16Tagged:
      for (size_t i = 0; i < v.str.size();) units += next_code_point(v.str, i) >= 0x10000 ? 2 : 1;
      break;
    case StringSource::Latin1:
      for (size_t i = 0; i < v.str.size();) {
        if (next_code_point(v.str, i) >= 0x100) {  // cannot have been latin1
          s.kind = StringSource::Utf8;
          units = v.str.size();
          break;
        }
        ++units;
      }
      break;
  }
  // Strings lifted from a guest are below this by construction; a host
  // string above it could overflow the worst-case sizes.
  if (units > kMaxStringByteLength) return trap("string too long to lower");
  s.code_units = static_cast<uint32_t>(units);
  return s;
}

std::vector<uint8_t> encode_utf16(std::string_view text) {
  std::vector<uint8_t> out;
  out.reserve(text.size() * 2);
  auto unit = [&](uint32_t u) {
    out.push_back(static_cast<uint8_t>(u));
    out.push_back(static_cast<uint8_t>(u >> 8));
  };
  for (size_t i = 0; i < text.size();) {
    uint32_t c = next_code_point(text, i);
    if (c >= 0x10000) {
      unit(0xD800 + ((c - 0x10000) >> 10));
      unit(0xDC00 + ((c - 0x10000) & 0x3FF));
    } else {
      unit(c);
    }
  }
  return out;
}

bool fits(LiftLowerContext& cx, uint64_t ptr, uint64_t len) {
  return ptr + len <= cx.memory().size();
}

Result<uint32_t> checked_alloc_result(LiftLowerContext& cx, Result<uint32_t> r, uint32_t align,
                                      uint64_t len) {
  if (!r) return r;
  uint32_t ptr = *r;
  if (ptr % align != 0) return oob(kReallocUnaligned);
  if (!fits(cx, ptr, len)) return oob(std::string(kStringOob) + ": " + detail::kReallocOob);
  return ptr;
}

// cx.reallocate followed by the spec's trap_ifs on its result.
Result<uint32_t> realloc_checked(LiftLowerContext& cx, uint32_t old_ptr, uint32_t old_size,
                                 uint32_t align, uint32_t new_size, bool check_align = true) {
  return checked_alloc_result(cx, cx.reallocate(old_ptr, old_size, align, new_size),
                              check_align ? align : 1, new_size);
}

void write(LiftLowerContext& cx, uint32_t ptr, const void* data, size_t n) {
  if (n) std::memcpy(cx.memory().data() + ptr, data, n);
}

Result<StoredString> store_string_copy(LiftLowerContext& cx, const Source& src, uint32_t unit_size,
                                       uint32_t align, StringEncoding dst) {
  uint32_t byte_length = unit_size * src.code_units;
  WEFT_ABI_ASSIGN(uint32_t ptr, realloc_checked(cx, 0, 0, align, byte_length));
  if (dst == StringEncoding::Utf8) {
    write(cx, ptr, src.text.data(), src.text.size());
  } else if (dst == StringEncoding::Utf16) {
    std::vector<uint8_t> e = encode_utf16(src.text);
    write(cx, ptr, e.data(), e.size());
  } else {  // latin1
    uint8_t* m = cx.memory().data() + ptr;
    for (size_t i = 0, j = 0; i < src.text.size();) m[j++] = next_code_point(src.text, i);
  }
  return StoredString{ptr, src.code_units};
}

Result<StoredString> store_string_to_utf8(LiftLowerContext& cx, const Source& src,
                                          uint32_t worst_case_size) {
  uint32_t units = src.code_units;
  WEFT_ABI_ASSIGN(uint32_t ptr, realloc_checked(cx, 0, 0, 1, units, false));
  // Code points below 0x80 are one UTF-8 byte, so the i-th code point of
  // an ASCII prefix is its i-th byte.
  const std::string_view& e = src.text;
  for (size_t i = 0; i < e.size(); ++i) {
    auto c = static_cast<uint8_t>(e[i]);
    if (c < 0x80) {
      cx.memory()[ptr + i] = c;
      continue;
    }
    WEFT_ABI_ASSIGN(ptr, realloc_checked(cx, ptr, units, 1, worst_case_size, false));
    write(cx, ptr + static_cast<uint32_t>(i), e.data() + i, e.size() - i);
    auto len = static_cast<uint32_t>(e.size());
    if (worst_case_size > len) {
      WEFT_ABI_ASSIGN(ptr, realloc_checked(cx, ptr, worst_case_size, 1, len, false));
    }
    return StoredString{ptr, len};
  }
  return StoredString{ptr, units};
}

Result<StoredString> store_utf8_to_utf16(LiftLowerContext& cx, const Source& src) {
  uint32_t worst_case_size = 2 * src.code_units;
  WEFT_ABI_ASSIGN(uint32_t ptr, realloc_checked(cx, 0, 0, 2, worst_case_size));
  std::vector<uint8_t> e = encode_utf16(src.text);
  write(cx, ptr, e.data(), e.size());
  auto len = static_cast<uint32_t>(e.size());
  if (len < worst_case_size) {
    WEFT_ABI_ASSIGN(ptr, realloc_checked(cx, ptr, worst_case_size, 2, len));
  }
  return StoredString{ptr, len / 2};
}

Result<StoredString> store_string_to_latin1_or_utf16(LiftLowerContext& cx, const Source& src) {
  uint32_t units = src.code_units;
  WEFT_ABI_ASSIGN(uint32_t ptr, realloc_checked(cx, 0, 0, 2, units));
  uint32_t dst_byte_length = 0;
  for (size_t i = 0; i < src.text.size();) {
    uint32_t usv = next_code_point(src.text, i);
    if (usv < 0x100) {
      cx.memory()[ptr + dst_byte_length] = static_cast<uint8_t>(usv);
      ++dst_byte_length;
      continue;
    }
    uint32_t worst_case_size = 2 * units;
    WEFT_ABI_ASSIGN(ptr, realloc_checked(cx, ptr, units, 2, worst_case_size));
    // Widen the latin1 prefix in place, back to front.
    uint8_t* m = cx.memory().data() + ptr;
    for (uint32_t j = dst_byte_length; j-- > 0;) {
      m[2 * j] = m[j];
      m[2 * j + 1] = 0;
    }
    std::vector<uint8_t> e = encode_utf16(src.text);
    write(cx, ptr + 2 * dst_byte_length, e.data() + 2 * dst_byte_length,
          e.size() - 2 * dst_byte_length);
    auto len = static_cast<uint32_t>(e.size());
    if (worst_case_size > len) {
      WEFT_ABI_ASSIGN(ptr, realloc_checked(cx, ptr, worst_case_size, 2, len));
    }
    return StoredString{ptr, (len / 2) | kUtf16Tag};
  }
  if (dst_byte_length < units) {
    WEFT_ABI_ASSIGN(ptr, realloc_checked(cx, ptr, units, 2, dst_byte_length));
  }
  return StoredString{ptr, dst_byte_length};
}

Result<StoredString> store_probably_utf16_to_latin1_or_utf16(LiftLowerContext& cx,
                                                             const Source& src) {
  uint32_t src_byte_length = 2 * src.code_units;
  WEFT_ABI_ASSIGN(uint32_t ptr, realloc_checked(cx, 0, 0, 2, src_byte_length));
  std::vector<uint8_t> e = encode_utf16(src.text);
  write(cx, ptr, e.data(), e.size());
  auto len = static_cast<uint32_t>(e.size());
  bool wide = false;
  for (size_t i = 0; i < src.text.size() && !wide;) wide = next_code_point(src.text, i) >= 0x100;
  if (wide) return StoredString{ptr, (len / 2) | kUtf16Tag};
  uint32_t latin1_size = len / 2;
  uint8_t* m = cx.memory().data() + ptr;
  for (uint32_t i = 0; i < latin1_size; ++i) m[i] = m[2 * i];
  WEFT_ABI_ASSIGN(ptr, realloc_checked(cx, ptr, src_byte_length, 1, latin1_size, false));
  return StoredString{ptr, latin1_size};
}

}  // namespace

Result<Val> load_string_from_range(LiftLowerContext& cx, uint32_t ptr, uint32_t tagged_code_units) {
  uint32_t align = 1;
  uint64_t byte_length = tagged_code_units;
  StringSource kind = StringSource::Utf8;
  switch (cx.opts.string_encoding) {
    case StringEncoding::Utf8:
      break;
    case StringEncoding::Utf16:
      align = 2;
      byte_length = 2ull * tagged_code_units;
      kind = StringSource::Utf16;
      break;
    case StringEncoding::Latin1Utf16:
      align = 2;
      if (tagged_code_units & kUtf16Tag) {
        byte_length = 2ull * (tagged_code_units ^ kUtf16Tag);
        kind = StringSource::Latin1Utf16Tagged;
      } else {
        kind = StringSource::Latin1;
      }
      break;
  }
  if (byte_length > kMaxStringByteLength)
    return trap("string content out-of-bounds: length exceeds MAX_STRING_BYTE_LENGTH");
  if (ptr % align != 0) return oob(kUnaligned);
  if (!fits(cx, ptr, byte_length)) return oob(kStringOob);
  // UTF-8 from latin1 or utf16 is at most twice or 1.5 times the bytes.
  WEFT_ABI_TRY(cx.charge(2 * byte_length));
  const uint8_t* p = cx.memory().data() + ptr;
  Val v;
  v.kind = ValKind::String;
  v.discriminant = static_cast<uint32_t>(kind);
  switch (kind) {
    case StringSource::Utf8:
      if (auto e = validate_utf8(p, byte_length)) return utf8_error(*e);
      v.str.assign(reinterpret_cast<const char*>(p), byte_length);
      break;
    case StringSource::Utf16:
    case StringSource::Latin1Utf16Tagged: {
      WEFT_ABI_ASSIGN(v.str, decode_utf16(p, byte_length / 2));
      break;
    }
    case StringSource::Latin1:
      v.str.reserve(byte_length);
      for (uint64_t i = 0; i < byte_length; ++i) append_utf8(v.str, p[i]);
      break;
  }
  return v;
}

Result<StoredString> store_string_into_range(LiftLowerContext& cx, const Val& v) {
  WEFT_ABI_ASSIGN(Source src, source_of(v));
  bool src_utf16 = src.kind == StringSource::Utf16 || src.kind == StringSource::Latin1Utf16Tagged;
  switch (cx.opts.string_encoding) {
    case StringEncoding::Utf8:
      if (src_utf16) return store_string_to_utf8(cx, src, src.code_units * 3);
      if (src.kind == StringSource::Latin1)
        return store_string_to_utf8(cx, src, src.code_units * 2);
      return store_string_copy(cx, src, 1, 1, StringEncoding::Utf8);
    case StringEncoding::Utf16:
      if (src.kind == StringSource::Utf8) return store_utf8_to_utf16(cx, src);
      return store_string_copy(cx, src, 2, 2, StringEncoding::Utf16);
    case StringEncoding::Latin1Utf16:
      if (src.kind == StringSource::Latin1)
        return store_string_copy(cx, src, 1, 2, StringEncoding::Latin1Utf16);
      if (src.kind == StringSource::Latin1Utf16Tagged)
        return store_probably_utf16_to_latin1_or_utf16(cx, src);
      return store_string_to_latin1_or_utf16(cx, src);
  }
  return trap("unknown string encoding");
}

}  // namespace weft::component::abi
