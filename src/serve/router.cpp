#include "serve/router.h"

namespace weft::serve {

namespace {

std::vector<std::string_view> split_segments(std::string_view path) {
  // "/a/b" → {"a","b"}; "/" → {""}; "/a/" → {"a",""}.
  std::vector<std::string_view> out;
  if (path.empty() || path[0] != '/') return out;
  size_t start = 1;
  while (true) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      break;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

Result<void> Router::add(std::string_view pattern, size_t target) {
  if (pattern.empty() || pattern[0] != '/') return Error::usage("route must start with '/'");
  Route route;
  route.pattern = std::string(pattern);
  route.target = target;
  route.order = routes_.size();
  if (pattern.size() >= 4 && pattern.substr(pattern.size() - 4) == "/...") {
    route.kind = Kind::Prefix;
    route.prefix = std::string(pattern.substr(0, pattern.size() - 4));
    if (route.prefix.find(':') != std::string::npos) {
      // Keep prefixes literal: a named segment inside a prefix would make
      // precedence ambiguous.
      for (auto seg : split_segments(route.prefix)) {
        if (!seg.empty() && seg[0] == ':') {
          return Error::usage("named segments cannot be combined with '/...'");
        }
      }
    }
  } else {
    route.kind = Kind::Exact;
    for (auto seg : split_segments(pattern)) {
      Segment s;
      if (!seg.empty() && seg[0] == ':') {
        s.is_param = true;
        s.text = std::string(seg.substr(1));
        route.kind = Kind::Named;
      } else {
        s.text = std::string(seg);
      }
      route.segments.push_back(std::move(s));
    }
  }
  routes_.push_back(std::move(route));
  return {};
}

std::optional<RouteMatch> Router::match(std::string_view path) const {
  const Route* best = nullptr;
  int best_rank = -1;
  size_t best_weight = 0;
  std::vector<std::string_view> request_segments = split_segments(path);
  for (const Route& route : routes_) {
    int rank = 0;
    size_t weight = 0;
    switch (route.kind) {
      case Kind::Exact:
        if (path != route.pattern) continue;
        rank = 3;
        break;
      case Kind::Named: {
        if (request_segments.size() != route.segments.size()) continue;
        bool ok = true;
        for (size_t i = 0; i < route.segments.size() && ok; ++i) {
          const Segment& seg = route.segments[i];
          if (seg.is_param) {
            ok = !request_segments[i].empty();
          } else {
            ok = seg.text == request_segments[i];
            weight += ok ? 1 : 0;
          }
        }
        if (!ok) continue;
        rank = 2;
        break;
      }
      case Kind::Prefix: {
        const std::string& prefix = route.prefix;
        if (path.substr(0, prefix.size()) != prefix) continue;
        // "/api/..." matches "/api" and "/api/x" but not "/apix".
        if (path.size() > prefix.size() && path[prefix.size()] != '/') continue;
        rank = 1;
        weight = prefix.size();
        break;
      }
    }
    if (rank > best_rank || (rank == best_rank && weight > best_weight)) {
      best = &route;
      best_rank = rank;
      best_weight = weight;
    }
  }
  if (best == nullptr) return std::nullopt;

  RouteMatch m;
  m.target = best->target;
  m.pattern = best->pattern;
  if (best->kind == Kind::Prefix) {
    m.script_name = best->prefix;
    m.raw_path_info = std::string(path.substr(best->prefix.size()));
  } else {
    m.script_name = std::string(path);
    if (best->kind == Kind::Named) {
      for (size_t i = 0; i < best->segments.size(); ++i) {
        if (best->segments[i].is_param) {
          m.params.emplace_back(best->segments[i].text, percent_decode(request_segments[i]));
        }
      }
    }
  }
  return m;
}

}  // namespace weft::serve
