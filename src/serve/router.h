// weft — the route table.
//
// Patterns: exact "/a/b", prefix "/a/..." (matches "/a" and everything
// beneath it), named segments "/items/:id". Precedence, whatever the file
// order: exact beats named segments beats prefix; among named-segment routes
// the one with more literal segments wins; among prefixes the longest wins;
// remaining ties go to the route listed first.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/result.h"

namespace weft::serve {

struct RouteMatch {
  size_t target = 0;              // what add() was given
  std::string pattern;            // the route as written ("/api/...")
  std::string script_name;        // the fixed part of the route ("/api")
  std::string raw_path_info;      // the request path after script_name, undecoded
  std::vector<std::pair<std::string, std::string>> params;  // named segments, decoded
};

class Router {
 public:
  Result<void> add(std::string_view pattern, size_t target);
  // `path` is the request path without the query, undecoded.
  std::optional<RouteMatch> match(std::string_view path) const;
  size_t size() const { return routes_.size(); }

 private:
  enum class Kind { Exact, Named, Prefix };
  struct Segment {
    std::string text;
    bool is_param = false;
  };
  struct Route {
    std::string pattern;
    Kind kind = Kind::Exact;
    std::vector<Segment> segments;  // for Exact/Named
    std::string prefix;             // for Prefix: "/api" ("" for "/...")
    size_t target = 0;
    size_t order = 0;
  };
  std::vector<Route> routes_;
};

// "%41b+c" → "Ab+c" ('+' is left alone: it only means space in forms).
// Invalid escapes are kept verbatim.
std::string percent_decode(std::string_view text);

}  // namespace weft::serve
