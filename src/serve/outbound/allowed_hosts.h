// weft — the outbound allow-list, in Spin's `allowed_outbound_hosts`
// syntax and with its semantics (spin-outbound-networking):
//
//   "http://127.0.0.1:8080"   one scheme, host and port
//   "https://api.example.com" the scheme's default port (http 80, https 443)
//   "https://*.example.com"   any subdomain (a.example.com, a.b.example.com),
//                             not example.com itself
//   "http://localhost:*"      any port
//   "*://example.com:443"     any scheme (a port is then required: "*" has
//                             no default port)
//   "*://*:*"                 anything
//   "http://10.0.0.0/8:80"    an IPv4 or IPv6 CIDR block (port required)
//   "http://example.com:8000..8100"   a port range, end excluded as in Spin
//   "http://self"             the app itself: parsed, but matches no
//                             absolute URL (relative requests are the
//                             host layer's business)
//
// A scheme is required; paths are not allowed; "insecure:allow-all" is
// refused as Spin refuses it. Host names compare case-insensitively.
// Beyond Spin: "[::1]" with no port takes the default port (Spin's
// parser splits inside the brackets and rejects it).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/result.h"

namespace weft::serve::outbound {

class AllowedHosts {
 public:
  // Errors are Usage errors naming the entry and what is wrong with it.
  static Result<AllowedHosts> parse(const std::vector<std::string>& entries);

  // `host` as in a URL authority: a name, an IPv4 address, or an IPv6
  // address with or without brackets. `scheme` lower case.
  bool allows(std::string_view scheme, std::string_view host, uint16_t port) const;

  bool empty() const { return entries_.empty(); }

  // Default port of a scheme Spin knows (http, https, postgres, mysql,
  // redis, mqtt), else nullopt.
  static std::optional<uint16_t> default_port(std::string_view scheme);

 private:
  struct Ip {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};
  };
  struct Entry {
    std::string original;
    std::optional<std::string> scheme;  // nullopt = any
    enum class HostKind { Any, Exact, Subdomain, Cidr, Self } host_kind = HostKind::Exact;
    std::string host;  // Exact: the name (lower case, no brackets); Subdomain: ".example.com"
    Ip net;            // Cidr
    unsigned prefix = 0;
    bool any_port = false;
    uint16_t port_lo = 0, port_hi = 0;  // [lo, hi]
  };
  static Result<Entry> parse_entry(const std::string& text);
  static std::optional<Ip> parse_ip(std::string_view text);

  std::vector<Entry> entries_;
};

}  // namespace weft::serve::outbound
