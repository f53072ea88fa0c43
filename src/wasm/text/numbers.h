// Numeric literals of the WebAssembly text format (spec 6.3.1).
// Each parser returns false if `text` is not a literal of that kind or its
// value does not fit; underscores are allowed only between digits.
#pragma once

#include <cstdint>
#include <string_view>

namespace weft::text {

bool parse_u32(std::string_view text, uint32_t* out);
bool parse_u64(std::string_view text, uint64_t* out);
// iN: an unsigned or signed literal; negative values wrap to two's complement.
bool parse_i32(std::string_view text, uint32_t* out);
bool parse_i64(std::string_view text, uint64_t* out);
// fN, as IEEE bit patterns. Rounds to nearest-even; a finite literal that
// rounds to infinity is out of range (false). nan:0x payloads are kept.
bool parse_f32(std::string_view text, uint32_t* bits);
bool parse_f64(std::string_view text, uint64_t* bits);

}  // namespace weft::text
