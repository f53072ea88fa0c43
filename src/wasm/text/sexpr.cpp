#include "wasm/text/sexpr.h"

#include <utility>

namespace weft::text {

Error make_text_error(std::string_view filename, uint32_t line, uint32_t col,
                      std::string_view reason) {
  Error error;
  error.kind = ErrorKind::Malformed;
  error.message = std::string(filename) + ":" + std::to_string(line) + ":" + std::to_string(col) +
                  ": " + std::string(reason);
  return error;
}

bool is_valid_utf8(std::string_view bytes) {
  size_t i = 0;
  const size_t n = bytes.size();
  while (i < n) {
    const uint8_t b0 = static_cast<uint8_t>(bytes[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    int extra;
    uint32_t cp;
    if ((b0 & 0xE0) == 0xC0) {
      extra = 1;
      cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
      extra = 2;
      cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
      extra = 3;
      cp = b0 & 0x07;
    } else {
      return false;
    }
    if (n - i <= static_cast<size_t>(extra)) return false;
    for (int k = 1; k <= extra; ++k) {
      const uint8_t b = static_cast<uint8_t>(bytes[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr uint32_t kMinForLength[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

namespace {

bool is_idchar(char c) {
  if (c >= '0' && c <= '9') return true;
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '/':
    case ':':
    case '<':
    case '=':
    case '>':
    case '?':
    case '@':
    case '\\':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Reader {
 public:
  Reader(std::string_view src, std::string_view filename) : src_(src), filename_(filename) {}

  Result<std::vector<Node>> run() {
    // stack_[0] is a pseudo-list holding the top-level expressions.
    stack_.emplace_back();
    stack_.back().is_list = true;
    while (true) {
      if (!skip_space()) return take_error();
      if (pos_ >= src_.size()) break;
      const char c = src_[pos_];
      if (c == '(') {
        if (stack_.size() > static_cast<size_t>(kMaxDepth)) {
          return make_text_error(filename_, line_, col(), "nesting too deep");
        }
        Node list;
        list.is_list = true;
        list.line = line_;
        list.col = col();
        list.begin = pos_;
        ++pos_;
        stack_.push_back(std::move(list));
      } else if (c == ')') {
        if (stack_.size() == 1) return make_text_error(filename_, line_, col(), "unexpected ')'");
        ++pos_;
        Node list = std::move(stack_.back());
        stack_.pop_back();
        list.end = pos_;
        // Annotations (@id ...) are ignored.
        const bool annotation = !list.items.empty() && !list.items[0].is_list &&
                                list.items[0].text.size() > 0 && list.items[0].text[0] == '@';
        if (!annotation) stack_.back().items.push_back(std::move(list));
      } else {
        Node atom;
        if (!read_atom(atom)) return take_error();
        stack_.back().items.push_back(std::move(atom));
      }
    }
    if (stack_.size() != 1) {
      const Node& open = stack_.back();
      return make_text_error(filename_, open.line, open.col, "unclosed '('");
    }
    return std::move(stack_[0].items);
  }

 private:
  uint32_t col() const { return static_cast<uint32_t>(pos_ - line_start_ + 1); }

  bool fail(uint32_t line, uint32_t column, std::string_view reason) {
    error_ = make_text_error(filename_, line, column, reason);
    return false;
  }
  Error take_error() { return std::move(error_); }

  void newline_at(size_t newline_pos) {
    ++line_;
    line_start_ = newline_pos + 1;
  }

  // Skips whitespace and comments.
  bool skip_space() {
    while (pos_ < src_.size()) {
      const char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '\n') {
        newline_at(pos_);
        ++pos_;
      } else if (c == ';' && pos_ + 1 < src_.size() && src_[pos_ + 1] == ';') {
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
      } else if (c == '(' && pos_ + 1 < src_.size() && src_[pos_ + 1] == ';') {
        const uint32_t start_line = line_, start_col = col();
        pos_ += 2;
        size_t depth = 1;  // a counter, not recursion: nesting depth is unbounded but harmless
        while (depth > 0) {
          if (pos_ >= src_.size()) return fail(start_line, start_col, "unclosed block comment");
          if (src_[pos_] == '(' && pos_ + 1 < src_.size() && src_[pos_ + 1] == ';') {
            ++depth;
            pos_ += 2;
          } else if (src_[pos_] == ';' && pos_ + 1 < src_.size() && src_[pos_ + 1] == ')') {
            --depth;
            pos_ += 2;
          } else {
            if (src_[pos_] == '\n') newline_at(pos_);
            ++pos_;
          }
        }
      } else if (c == ';') {
        return fail(line_, col(), "unexpected character ';'");
      } else {
        return true;
      }
    }
    return true;
  }

  bool read_string(Node& atom) {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= src_.size()) return fail(atom.line, atom.col, "unterminated string");
      const char c = src_[pos_];
      const uint8_t u = static_cast<uint8_t>(c);
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c == '\n') return fail(line_, col(), "newline in string");
      if (u < 0x20 || u == 0x7F) return fail(line_, col(), "control character in string");
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= src_.size()) return fail(atom.line, atom.col, "unterminated string");
      const char e = src_[pos_ + 1];
      switch (e) {
        case 'n':
          out.push_back('\n');
          pos_ += 2;
          continue;
        case 't':
          out.push_back('\t');
          pos_ += 2;
          continue;
        case 'r':
          out.push_back('\r');
          pos_ += 2;
          continue;
        case '\\':
          out.push_back('\\');
          pos_ += 2;
          continue;
        case '\'':
          out.push_back('\'');
          pos_ += 2;
          continue;
        case '"':
          out.push_back('"');
          pos_ += 2;
          continue;
        case 'u': {
          size_t p = pos_ + 2;
          if (p >= src_.size() || src_[p] != '{') return fail(line_, col(), "bad \\u escape");
          ++p;
          uint32_t cp = 0;
          size_t digits = 0;
          bool last_was_digit = false;
          while (p < src_.size() && src_[p] != '}') {
            if (src_[p] == '_' && last_was_digit) {
              last_was_digit = false;
              ++p;
              continue;
            }
            const int h = hex_value(src_[p]);
            if (h < 0) return fail(line_, col(), "bad \\u escape");
            if (cp > 0x10FFFF) return fail(line_, col(), "\\u escape out of range");
            cp = cp * 16 + static_cast<uint32_t>(h);
            ++digits;
            last_was_digit = true;
            ++p;
          }
          if (p >= src_.size() || digits == 0 || !last_was_digit) {
            return fail(line_, col(), "bad \\u escape");
          }
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return fail(line_, col(), "\\u escape is not a Unicode scalar value");
          }
          append_utf8(out, cp);
          pos_ = p + 1;
          continue;
        }
        default: {
          const int h1 = hex_value(e);
          const int h2 = pos_ + 2 < src_.size() ? hex_value(src_[pos_ + 2]) : -1;
          if (h1 < 0 || h2 < 0) return fail(line_, col(), "unknown escape sequence");
          out.push_back(static_cast<char>(h1 * 16 + h2));
          pos_ += 3;
          continue;
        }
      }
    }
    // Raw source characters must be UTF-8; escapes may produce any bytes.
    if (!is_valid_utf8(src_.substr(atom.begin, pos_ - atom.begin))) {
      return fail(atom.line, atom.col, "malformed UTF-8 encoding");
    }
    atom.kind = AtomKind::String;
    atom.str = std::move(out);
    return true;
  }

  bool read_atom(Node& atom) {
    atom.line = line_;
    atom.col = col();
    atom.begin = pos_;
    const char c = src_[pos_];
    if (c == '"') {
      if (!read_string(atom)) return false;
    } else if (is_idchar(c)) {
      while (pos_ < src_.size() && is_idchar(src_[pos_])) ++pos_;
      if (c >= 'a' && c <= 'z') {
        atom.kind = AtomKind::Keyword;
      } else if (c == '$' && pos_ - atom.begin > 1) {
        atom.kind = AtomKind::Id;
      } else if ((c >= '0' && c <= '9') || c == '+' || c == '-') {
        atom.kind = AtomKind::Number;
      } else {
        atom.kind = AtomKind::Reserved;
      }
    } else {
      return fail(line_, col(), "unexpected character");
    }
    atom.end = pos_;
    atom.text = src_.substr(atom.begin, pos_ - atom.begin);
    // Tokens other than parentheses must be separated by space or comments.
    if (pos_ < src_.size() && (src_[pos_] == '"' || is_idchar(src_[pos_]))) {
      return fail(atom.line, atom.col, "unknown operator: tokens must be separated");
    }
    return true;
  }

  std::string_view src_;
  std::string_view filename_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
  std::vector<Node> stack_;
  Error error_;
};

}  // namespace

Result<std::vector<Node>> read_sexprs(std::string_view source, std::string_view filename) {
  Reader reader(source, filename);
  return reader.run();
}

}  // namespace weft::text
