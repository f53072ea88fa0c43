// Helpers for building component binaries byte by byte in tests.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace weft::component::test {

using Bytes = std::vector<uint8_t>;

inline Bytes leb(uint64_t v) {
  Bytes out;
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(b);
  } while (v);
  return out;
}

// Concatenation of byte pieces.
inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A name: its length, then its bytes.
inline Bytes str(std::string_view s) {
  Bytes out = leb(s.size());
  // push_back rather than insert: GCC 12 reports a false -Warray-bounds on
  // the inlined memcpy of a short insert.
  for (char c : s) out.push_back(static_cast<uint8_t>(c));
  return out;
}

inline Bytes section(uint8_t id, const Bytes& contents) {
  return cat({Bytes{id}, leb(contents.size()), contents});
}

inline const Bytes kPreamble = {0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00};
inline const Bytes kCoreModule = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};

inline Bytes component(std::initializer_list<Bytes> sections) {
  Bytes out = kPreamble;
  for (const Bytes& s : sections) out.insert(out.end(), s.begin(), s.end());
  return out;
}

}  // namespace weft::component::test
