// Small helpers on component scalars shared by the value, text and ABI
// code: UTF-8 encoding of a code point and the bit width of an integer kind.
#pragma once

#include <cstdint>
#include <string>

#include "weft/component_value.h"

namespace weft::component {

// Appends `cp` (a Unicode scalar value) to `out` as UTF-8.
inline void append_utf8(std::string& out, uint32_t cp) {
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

// 8, 16, 32 or 64 for the integer kinds (64 for any other kind).
inline unsigned int_width(ValKind k) {
  switch (k) {
    case ValKind::S8:
    case ValKind::U8:
      return 8;
    case ValKind::S16:
    case ValKind::U16:
      return 16;
    case ValKind::S32:
    case ValKind::U32:
      return 32;
    default:
      return 64;
  }
}

}  // namespace weft::component
