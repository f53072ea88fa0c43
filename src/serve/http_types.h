// weft — the HTTP request/response model the executors see.
//
// Deliberately independent of the HTTP library: the server converts
// Beast's messages into these, so executors and filters are testable
// without sockets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::serve {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;       // "GET"
  std::string target;       // raw request target, "/a/b?x=1"
  std::string path;         // raw path, "/a/b"
  std::string query;        // raw query without '?', "x=1"
  std::string version = "HTTP/1.1";
  HeaderList headers;       // in arrival order, names as sent
  std::string body;
  std::string remote_addr;  // "127.0.0.1"
  uint16_t remote_port = 0;
  std::string local_addr;   // the address the connection came in on
  uint16_t local_port = 0;

  // Filled by routing.
  std::string matched_route;   // "/api/..."
  std::string script_name;     // "/api"
  std::string raw_path_info;   // "/x%20y"
  std::vector<std::pair<std::string, std::string>> params;

  // First value of a header, case-insensitively; empty if absent.
  std::string_view header(std::string_view name) const;
};

struct Response {
  unsigned status = 200;
  HeaderList headers;
  std::string body;
};

bool iequals(std::string_view a, std::string_view b);

// A small JSON error body: {"error":"<message>"} with the message escaped.
Response error_response(unsigned status, std::string_view message);

}  // namespace weft::serve
