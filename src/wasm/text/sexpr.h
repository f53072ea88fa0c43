// Lexer and s-expression reader for the WebAssembly text format.
//
// The reader turns source text into a tree of lists and atoms; the module and
// script parsers then walk that tree. Reading the whole tree first keeps the
// later passes simple (a module needs two passes for forward references) and
// puts the nesting-depth bound in one place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "weft/result.h"

namespace weft::text {

enum class AtomKind : uint8_t {
  Keyword,   // starts with a lower-case letter: `func`, `i32.add`, `offset=4`, `nan:0x1`
  Id,        // `$name`
  Number,    // starts with a digit or a sign; validated when used
  String,    // "..." with escapes decoded into Node::str
  Reserved,  // any other run of id characters; an error wherever it is used
};

struct Node {
  bool is_list = false;
  AtomKind kind = AtomKind::Reserved;
  std::string_view text;  // atoms: the raw source text
  std::string str;        // String atoms: the decoded bytes
  uint32_t line = 0;
  uint32_t col = 0;
  size_t begin = 0;  // byte range in the source ('(' .. ')' for lists)
  size_t end = 0;
  std::vector<Node> items;  // lists only

  bool is_atom(AtomKind k) const { return !is_list && kind == k; }
  bool is_keyword(std::string_view kw) const {
    return !is_list && kind == AtomKind::Keyword && text == kw;
  }
  // A list whose first item is the keyword `kw`.
  bool is_list_of(std::string_view kw) const {
    return is_list && !items.empty() && items[0].is_keyword(kw);
  }
  // The first item's keyword text of a list, or "".
  std::string_view head() const {
    return (is_list && !items.empty() && items[0].is_atom(AtomKind::Keyword)) ? items[0].text
                                                                              : std::string_view();
  }
};

// Deeper nesting than this is rejected (fuzz safety: recursion stays bounded).
inline constexpr int kMaxDepth = 1000;

// Reads every top-level s-expression of `source`. Errors are Malformed with
// "FILE:LINE:COL: reason".
Result<std::vector<Node>> read_sexprs(std::string_view source, std::string_view filename);

// A Malformed error at a position.
Error make_text_error(std::string_view filename, uint32_t line, uint32_t col,
                      std::string_view reason);

// True if `bytes` is well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

}  // namespace weft::text
