// weft — CGI 1.1 as WAGI uses it: the request as environment variables in,
// "headers, blank line, body" out.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serve/http_types.h"
#include "weft/result.h"

namespace weft::serve {

using EnvList = std::vector<std::pair<std::string, std::string>>;

struct CgiServerInfo {
  std::string server_name;  // from the Host header, else the listen address
  std::string server_port;
};

// The CGI variables for a routed request (REQUEST_METHOD, PATH_INFO, ...,
// HTTP_* per header, X_MATCHED_ROUTE, X_FULL_URL, X_RAW_PATH_INFO), then
// `manifest_env` (which wins on a clash, as the manifest is the grant).
EnvList cgi_environment(const Request& request, const CgiServerInfo& server,
                        const EnvList& manifest_env);

// Parses a guest's stdout. Errors (→ 502) say what is wrong in a sentence.
Result<Response> parse_cgi_output(std::string_view output);

}  // namespace weft::serve
