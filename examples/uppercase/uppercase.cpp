// The seed's service: POST a body, get it back upper-cased in JSON:
//   {"status":"success","data":"<BODY UPPERCASED>","timestamp":<unix seconds>}
// A WAGI handler: the body is stdin, the response (CGI headers, blank line,
// body) is stdout, and the time comes from the WASI clock.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace {

std::string read_body() {
  std::string body;
  char chunk[4096];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, stdin)) > 0) body.append(chunk, n);
  return body;
}

// Upper-cases ASCII letters; other bytes (UTF-8 included) pass through.
std::string uppercase(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", u);
          out += escape;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace

int main() {
  const char* method = std::getenv("REQUEST_METHOD");
  if (method == nullptr || std::strcmp(method, "POST") != 0) {
    std::printf("Status: 405 Method Not Allowed\nContent-Type: application/json\nAllow: POST\n\n");
    std::printf("{\"status\":\"error\",\"error\":\"POST a body to upper-case it\"}\n");
    return 0;
  }
  std::string data = uppercase(read_body());
  long long now = static_cast<long long>(std::time(nullptr));
  std::printf("Content-Type: application/json\n\n");
  std::printf("{\"status\":\"success\",\"data\":%s,\"timestamp\":%lld}", json_string(data).c_str(),
              now);
  return 0;
}
