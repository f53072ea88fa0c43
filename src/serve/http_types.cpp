#include "serve/http_types.h"

#include <cstdio>

namespace weft::serve {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

Response error_response(unsigned status, std::string_view message) {
  Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  std::string body = "{\"error\":\"";
  for (char c : message) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      body.push_back('\\');
      body.push_back(c);
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      body += buf;
    } else {
      body.push_back(c);
    }
  }
  body += "\"}\n";
  response.body = std::move(body);
  return response;
}

}  // namespace weft::serve
