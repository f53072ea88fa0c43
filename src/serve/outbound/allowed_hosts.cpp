#include "serve/outbound/allowed_hosts.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace weft::serve::outbound {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<uint32_t> parse_number(std::string_view s, uint32_t max) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return static_cast<uint32_t>(v);
}

std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

Error bad(const std::string& entry, const std::string& why) {
  return Error::usage("allowed_outbound_hosts entry \"" + entry + "\": " + why);
}

}  // namespace

std::optional<uint16_t> AllowedHosts::default_port(std::string_view scheme) {
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  if (scheme == "postgres") return 5432;
  if (scheme == "mysql") return 3306;
  if (scheme == "redis") return 6379;
  if (scheme == "mqtt") return 1883;
  return std::nullopt;
}

std::optional<AllowedHosts::Ip> AllowedHosts::parse_ip(std::string_view text) {
  std::string s(strip_brackets(text));
  Ip ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) return ip;
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) {
    ip.v6 = true;
    return ip;
  }
  return std::nullopt;
}

Result<AllowedHosts::Entry> AllowedHosts::parse_entry(const std::string& original) {
  std::string_view url = trim(original);
  Entry e;
  e.original = original;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    return bad(original, "no scheme (write e.g. \"http://\", \"https://\" or \"*://\")");
  }
  std::string_view scheme = url.substr(0, sep);
  std::string_view rest = url.substr(sep + 3);

  // Scheme: "*" or letters.
  if (scheme == "*") {
    e.scheme = std::nullopt;
  } else if (!scheme.empty() && scheme.front() == '{') {
    return bad(original, "scheme lists are not supported");
  } else if (scheme.empty() || !std::all_of(scheme.begin(), scheme.end(), [](char c) {
               return std::isalpha(static_cast<unsigned char>(c));
             })) {
    return bad(original, "scheme \"" + std::string(scheme) + "\" is not \"*\" or letters");
  } else {
    e.scheme = lower(scheme);
  }

  // Split host from port. A bracketed IPv6 address holds colons of its own.
  std::string_view host, port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad(original, "unclosed '[' in the host");
    host = rest.substr(0, close + 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty() && after.front() == ':') {
      port = after.substr(1);
    } else if (after.empty() || after == "/") {
      port = {};
    } else {
      return bad(original, "unexpected \"" + std::string(after) + "\" after the host");
    }
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      host = rest;
    } else {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
    }
  }
  if (size_t slash = port.find('/'); slash != std::string_view::npos) {
    if (slash + 1 != port.size()) return bad(original, "has a path, which is not allowed");
    port = port.substr(0, slash);
  }

  // Host.
  host = trim(host);
  if (host == "*") {
    e.host_kind = Entry::HostKind::Any;
  } else if (host == "self") {
    e.host_kind = Entry::HostKind::Self;
  } else if (!host.empty() && host.front() == '{') {
    return bad(original, "host lists are not supported");
  } else if (size_t slash = host.find('/'); slash != std::string_view::npos &&
                                            parse_ip(host.substr(0, slash)) &&
                                            host.front() != '[') {
    // A CIDR block, "10.0.0.0/8" or "ff00::/8".
    auto ip = parse_ip(host.substr(0, slash));
    auto prefix = parse_number(host.substr(slash + 1), ip->v6 ? 128 : 32);
    if (!prefix) {
      return bad(original, "CIDR prefix \"" + std::string(host.substr(slash + 1)) +
                               "\" is not a number up to " + (ip->v6 ? "128" : "32"));
    }
    e.host_kind = Entry::HostKind::Cidr;
    e.net = *ip;
    e.prefix = *prefix;
  } else {
    if (size_t slash = host.find('/'); slash != std::string_view::npos) {
      if (slash + 1 != host.size()) return bad(original, "has a path, which is not allowed");
      host = host.substr(0, slash);
    }
    if (host.empty()) return bad(original, "no host (write \"*\" for any host)");
    if (host.substr(0, 2) == "*.") {
      std::string_view domain = host.substr(2);
      if (domain.find('*') != std::string_view::npos) {
        return bad(original, "a wildcard is allowed only as the first label (\"*.example.com\")");
      }
      if (domain.empty() || !std::all_of(domain.begin(), domain.end(), name_char)) {
        return bad(original, "\"" + std::string(domain) + "\" is not a domain name");
      }
      e.host_kind = Entry::HostKind::Subdomain;
      e.host = "." + lower(domain);
    } else if (host.find('*') != std::string_view::npos) {
      return bad(original,
                 "a wildcard is allowed only as the whole host (\"*\") or as the first label "
                 "(\"*.example.com\")");
    } else if (host.front() == '[') {
      auto ip = parse_ip(host);
      if (!ip || !ip->v6)
        return bad(original, "\"" + std::string(host) + "\" is not an IPv6 address");
      e.host_kind = Entry::HostKind::Exact;
      e.host = lower(strip_brackets(host));
    } else {
      if (!std::all_of(host.begin(), host.end(), name_char)) {
        return bad(original, "\"" + std::string(host) + "\" is not a host name or IP address");
      }
      e.host_kind = Entry::HostKind::Exact;
      e.host = lower(host);
    }
  }

  // Port: the scheme's default, "*", "N" or "N..M" (M excluded, as Spin's
  // Rust range is).
  port = trim(port);
  if (port.empty()) {
    auto def = e.scheme ? default_port(*e.scheme) : std::nullopt;
    if (!def) {
      return bad(original, "no port, and scheme \"" + std::string(scheme) +
                               "\" has no default port (write e.g. \":443\" or \":*\")");
    }
    e.port_lo = e.port_hi = *def;
  } else if (port == "*") {
    e.any_port = true;
  } else if (port.front() == '{') {
    return bad(original, "port lists are not supported");
  } else if (size_t dots = port.find(".."); dots != std::string_view::npos) {
    auto lo = parse_number(port.substr(0, dots), 65535);
    auto hi = parse_number(port.substr(dots + 2), 65535);
    if (!lo || !hi) return bad(original, "port range \"" + std::string(port) + "\" is not N..M");
    if (*hi <= *lo) {
      return bad(original,
                 "port range \"" + std::string(port) + "\" is empty (the end is excluded)");
    }
    e.port_lo = static_cast<uint16_t>(*lo);
    e.port_hi = static_cast<uint16_t>(*hi - 1);
  } else {
    auto p = parse_number(port, 65535);
    if (!p) return bad(original, "port \"" + std::string(port) + "\" is not a number up to 65535");
    e.port_lo = e.port_hi = static_cast<uint16_t>(*p);
  }
  return e;
}

Result<AllowedHosts> AllowedHosts::parse(const std::vector<std::string>& entries) {
  AllowedHosts out;
  for (const std::string& text : entries) {
    if (trim(text) == "insecure:allow-all") {
      return bad(text, "not allowed; write \"*://*:*\" to allow all outbound traffic");
    }
    auto entry = parse_entry(text);
    if (!entry) return std::move(entry).error();
    out.entries_.push_back(std::move(entry.value()));
  }
  return out;
}

bool AllowedHosts::allows(std::string_view scheme, std::string_view host, uint16_t port) const {
  std::string name = lower(strip_brackets(host));
  if (name.empty()) return false;
  std::optional<Ip> ip = parse_ip(name);
  for (const Entry& e : entries_) {
    if (e.scheme && *e.scheme != scheme) continue;
    if (!e.any_port && (port < e.port_lo || port > e.port_hi)) continue;
    switch (e.host_kind) {
      case Entry::HostKind::Any:
        return true;
      case Entry::HostKind::Self:
        continue;
      case Entry::HostKind::Exact: {
        if (e.host == name) return true;
        auto want = parse_ip(e.host);
        if (want && ip && want->v6 == ip->v6 && want->bytes == ip->bytes) return true;
        continue;
      }
      case Entry::HostKind::Subdomain:
        if (!ip && name.size() > e.host.size() &&
            name.compare(name.size() - e.host.size(), e.host.size(), e.host) == 0) {
          return true;
        }
        continue;
      case Entry::HostKind::Cidr: {
        if (!ip || ip->v6 != e.net.v6) continue;
        unsigned full = e.prefix / 8, bits = e.prefix % 8;
        if (std::memcmp(ip->bytes.data(), e.net.bytes.data(), full) != 0) continue;
        if (bits != 0) {
          auto mask = static_cast<uint8_t>(0xff << (8 - bits));
          if ((ip->bytes[full] & mask) != (e.net.bytes[full] & mask)) continue;
        }
        return true;
      }
    }
  }
  return false;
}

}  // namespace weft::serve::outbound
