#include "serve/cgi.h"

#include <charconv>

#include "serve/router.h"

namespace weft::serve {

namespace {

constexpr size_t kMaxCgiHeaderBytes = 64 * 1024;
constexpr size_t kMaxCgiHeaders = 100;

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool has_control_char(std::string_view value) {
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string env_name_for_header(std::string_view name) {
  std::string out = "HTTP_";
  for (char c : name) {
    if (c == '-') {
      out.push_back('_');
    } else if (c >= 'a' && c <= 'z') {
      out.push_back(static_cast<char>(c - 'a' + 'A'));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void set_env(EnvList& env, std::string name, std::string value) {
  for (auto& [key, existing] : env) {
    if (key == name) {
      existing = std::move(value);
      return;
    }
  }
  env.emplace_back(std::move(name), std::move(value));
}

}  // namespace

EnvList cgi_environment(const Request& request, const CgiServerInfo& server,
                        const EnvList& manifest_env) {
  EnvList env;
  env.reserve(24 + request.headers.size() + manifest_env.size());
  std::string path_info = percent_decode(request.raw_path_info);
  env.emplace_back("GATEWAY_INTERFACE", "CGI/1.1");
  env.emplace_back("SERVER_SOFTWARE", "weft/0.1");
  env.emplace_back("SERVER_PROTOCOL", request.version);
  env.emplace_back("SERVER_NAME", server.server_name);
  env.emplace_back("SERVER_PORT", server.server_port);
  env.emplace_back("REQUEST_METHOD", request.method);
  env.emplace_back("REQUEST_URI", request.target);
  env.emplace_back("SCRIPT_NAME", request.script_name);
  env.emplace_back("PATH_INFO", path_info);
  env.emplace_back("PATH_TRANSLATED", path_info);
  env.emplace_back("QUERY_STRING", request.query);
  env.emplace_back("REMOTE_ADDR", request.remote_addr);
  env.emplace_back("REMOTE_HOST", request.remote_addr);
  env.emplace_back("AUTH_TYPE", "");
  env.emplace_back("REMOTE_USER", "");
  env.emplace_back("CONTENT_TYPE", std::string(request.header("Content-Type")));
  env.emplace_back("CONTENT_LENGTH", std::to_string(request.body.size()));
  env.emplace_back("X_MATCHED_ROUTE", request.matched_route);
  env.emplace_back("X_RAW_PATH_INFO", request.raw_path_info);
  std::string host(request.header("Host"));
  if (host.empty()) host = server.server_name + ":" + server.server_port;
  env.emplace_back("X_FULL_URL", "http://" + host + request.target);
  for (const auto& [name, value] : request.params) {
    std::string var = "X_PARAM_";
    for (char c : name) {
      var.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A')
                                         : (c == '-' ? '_' : c));
    }
    if (value.find('\0') == std::string::npos) set_env(env, std::move(var), value);
  }
  for (const auto& [name, value] : request.headers) {
    if (iequals(name, "Content-Type") || iequals(name, "Content-Length")) continue;
    if (value.find('\0') != std::string::npos) continue;
    std::string var = env_name_for_header(name);
    bool merged = false;
    for (auto& [key, existing] : env) {
      if (key == var) {  // a repeated header: CGI joins the values
        existing += ", ";
        existing += value;
        merged = true;
        break;
      }
    }
    if (!merged) env.emplace_back(std::move(var), value);
  }
  for (const auto& [name, value] : manifest_env) set_env(env, name, value);
  return env;
}

Result<Response> parse_cgi_output(std::string_view output) {
  Response response;
  response.status = 0;
  size_t pos = 0;
  size_t header_count = 0;
  bool saw_content_type = false;
  bool saw_location = false;
  bool ended = false;
  while (pos < output.size()) {
    if (pos > kMaxCgiHeaderBytes) {
      return Error::usage("CGI header section longer than 64 KiB");
    }
    size_t newline = output.find('\n', pos);
    if (newline == std::string_view::npos) break;
    std::string_view line = output.substr(pos, newline - pos);
    pos = newline + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      ended = true;
      break;
    }
    if (++header_count > kMaxCgiHeaders) return Error::usage("more than 100 CGI headers");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Error::usage("CGI header line without a name and ':'");
    }
    std::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (!is_token_char(c)) return Error::usage("CGI header name has an invalid character");
    }
    std::string_view value = trim(line.substr(colon + 1));
    if (has_control_char(value)) return Error::usage("CGI header value has a control character");
    if (iequals(name, "Status")) {
      unsigned code = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), code);
      bool three_digits = ptr == value.data() + 3 && (ptr == value.data() + value.size() ||
                                                     *ptr == ' ');
      if (ec != std::errc() || !three_digits || code < 200 || code > 599) {
        return Error::usage("CGI Status is not a 3-digit code from 200 to 599");
      }
      response.status = code;
      continue;
    }
    if (iequals(name, "Location")) saw_location = true;
    if (iequals(name, "Content-Type")) saw_content_type = true;
    // The server owns framing and connection management.
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
        iequals(name, "Connection") || iequals(name, "Keep-Alive") ||
        iequals(name, "Upgrade") || iequals(name, "Trailer")) {
      continue;
    }
    response.headers.emplace_back(std::string(name), std::string(value));
  }
  if (!ended) {
    return Error::usage(output.empty() ? "the guest wrote nothing to stdout"
                                       : "CGI headers are not ended by a blank line");
  }
  if (header_count == 0) return Error::usage("the CGI output has no headers");
  if (response.status == 0) response.status = saw_location && !saw_content_type ? 302 : 200;
  response.body = std::string(output.substr(pos));
  return response;
}

}  // namespace weft::serve
