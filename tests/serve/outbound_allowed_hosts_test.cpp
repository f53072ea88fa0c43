// The outbound allow-list: every form of Spin's allowed_outbound_hosts, the
// defaults, and entries it refuses (with a message naming the entry).
#include "serve/outbound/allowed_hosts.h"

#include <gtest/gtest.h>

namespace weft::serve::outbound {
namespace {

AllowedHosts parse_ok(std::vector<std::string> entries) {
  auto r = AllowedHosts::parse(entries);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? std::move(r.value()) : AllowedHosts{};
}

std::string parse_error(const std::string& entry) {
  auto r = AllowedHosts::parse({entry});
  EXPECT_FALSE(r.ok()) << entry << " parsed";
  return r.ok() ? "" : r.error().message;
}

TEST(AllowedHosts, EmptyAllowsNothing) {
  auto a = parse_ok({});
  EXPECT_TRUE(a.empty());
  EXPECT_FALSE(a.allows("http", "127.0.0.1", 80));
}

TEST(AllowedHosts, ExactHostAndPort) {
  auto a = parse_ok({"http://127.0.0.1:8080"});
  EXPECT_TRUE(a.allows("http", "127.0.0.1", 8080));
  EXPECT_FALSE(a.allows("http", "127.0.0.1", 8081));
  EXPECT_FALSE(a.allows("https", "127.0.0.1", 8080));
  EXPECT_FALSE(a.allows("http", "127.0.0.2", 8080));
}

TEST(AllowedHosts, DefaultPorts) {
  auto a = parse_ok({"https://api.example.com", "http://plain.example.com"});
  EXPECT_TRUE(a.allows("https", "api.example.com", 443));
  EXPECT_FALSE(a.allows("https", "api.example.com", 8443));
  EXPECT_FALSE(a.allows("http", "api.example.com", 80));
  EXPECT_TRUE(a.allows("http", "plain.example.com", 80));
  EXPECT_FALSE(a.allows("http", "plain.example.com", 443));
  // A trailing slash is no path.
  auto b = parse_ok({"http://example.com/", "http://example.org:81/"});
  EXPECT_TRUE(b.allows("http", "example.com", 80));
  EXPECT_TRUE(b.allows("http", "example.org", 81));
}

TEST(AllowedHosts, HostNamesAreCaseInsensitive) {
  auto a = parse_ok({"HTTPS://API.Example.COM"});
  EXPECT_TRUE(a.allows("https", "api.example.com", 443));
  EXPECT_TRUE(a.allows("https", "Api.Example.Com", 443));
}

TEST(AllowedHosts, SubdomainWildcard) {
  auto a = parse_ok({"https://*.example.com", "http://*.example2.com:8383"});
  EXPECT_TRUE(a.allows("https", "a.example.com", 443));
  EXPECT_TRUE(a.allows("https", "a.b.example.com", 443));
  EXPECT_FALSE(a.allows("https", "example.com", 443));  // not the apex, as in Spin
  EXPECT_FALSE(a.allows("https", "myexample.com", 443));
  EXPECT_FALSE(a.allows("https", "a.example.com.evil.net", 443));
  EXPECT_TRUE(a.allows("http", "a.b.example2.com", 8383));
  EXPECT_FALSE(a.allows("http", "a.b.example2.com", 80));
}

TEST(AllowedHosts, AnyPort) {
  auto a = parse_ok({"http://localhost:*"});
  EXPECT_TRUE(a.allows("http", "localhost", 1));
  EXPECT_TRUE(a.allows("http", "localhost", 65535));
  EXPECT_FALSE(a.allows("https", "localhost", 443));
  EXPECT_FALSE(a.allows("http", "localhost.example", 80));
}

TEST(AllowedHosts, AnyScheme) {
  auto a = parse_ok({"*://example.com:443"});
  EXPECT_TRUE(a.allows("https", "example.com", 443));
  EXPECT_TRUE(a.allows("http", "example.com", 443));
  EXPECT_FALSE(a.allows("https", "example.com", 80));
}

TEST(AllowedHosts, AllowAll) {
  auto a = parse_ok({"*://*:*"});
  EXPECT_TRUE(a.allows("http", "anything.example", 1234));
  EXPECT_TRUE(a.allows("https", "10.1.2.3", 443));
  EXPECT_TRUE(a.allows("https", "[::1]", 8443));
  EXPECT_FALSE(a.allows("https", "", 443));
}

TEST(AllowedHosts, AnyHostOnePort) {
  auto a = parse_ok({"https://*:8443"});
  EXPECT_TRUE(a.allows("https", "x.example", 8443));
  EXPECT_FALSE(a.allows("https", "x.example", 443));
}

TEST(AllowedHosts, PortRangeExcludesItsEnd) {
  auto a = parse_ok({"http://spin.example:4444..5555"});
  EXPECT_FALSE(a.allows("http", "spin.example", 4443));
  EXPECT_TRUE(a.allows("http", "spin.example", 4444));
  EXPECT_TRUE(a.allows("http", "spin.example", 5554));
  EXPECT_FALSE(a.allows("http", "spin.example", 5555));
}

TEST(AllowedHosts, IpAddresses) {
  auto a = parse_ok({"http://192.168.1.1", "http://[::1]:8001", "https://[2001:db8::1]"});
  EXPECT_TRUE(a.allows("http", "192.168.1.1", 80));
  EXPECT_FALSE(a.allows("http", "192.168.1.1", 81));
  EXPECT_TRUE(a.allows("http", "[::1]", 8001));
  EXPECT_TRUE(a.allows("http", "::1", 8001));
  EXPECT_TRUE(a.allows("http", "[0:0::1]", 8001));  // the same address, written longer
  EXPECT_FALSE(a.allows("http", "[::2]", 8001));
  EXPECT_TRUE(a.allows("https", "[2001:DB8::1]", 443));
}

TEST(AllowedHosts, Cidr) {
  auto a = parse_ok({"*://127.0.0.0/24:80", "*://ff00::/8:80", "http://10.0.0.0/9:*"});
  EXPECT_TRUE(a.allows("http", "127.0.0.1", 80));
  EXPECT_TRUE(a.allows("https", "127.0.0.255", 80));
  EXPECT_FALSE(a.allows("http", "127.0.1.1", 80));
  EXPECT_FALSE(a.allows("http", "127.0.0.1", 81));
  EXPECT_TRUE(a.allows("http", "[ff12::3]", 80));
  EXPECT_FALSE(a.allows("http", "[fe12::3]", 80));
  EXPECT_TRUE(a.allows("http", "10.127.255.255", 5));
  EXPECT_FALSE(a.allows("http", "10.128.0.0", 5));
  EXPECT_FALSE(a.allows("http", "localhost", 80));  // a name is not in a block
}

TEST(AllowedHosts, SelfMatchesNoAbsoluteUrl) {
  auto a = parse_ok({"http://self"});
  EXPECT_FALSE(a.allows("http", "self", 80));
  EXPECT_FALSE(a.allows("http", "localhost", 80));
}

TEST(AllowedHosts, SeveralEntries) {
  auto a = parse_ok({"*://spin.example:443", "http://example.com:8383"});
  EXPECT_TRUE(a.allows("http", "example.com", 8383));
  EXPECT_TRUE(a.allows("https", "spin.example", 443));
  EXPECT_FALSE(a.allows("http", "example.com", 80));
  EXPECT_FALSE(a.allows("http", "google.com", 80));
}

TEST(AllowedHosts, DefaultPortTable) {
  EXPECT_EQ(AllowedHosts::default_port("http"), 80);
  EXPECT_EQ(AllowedHosts::default_port("https"), 443);
  EXPECT_EQ(AllowedHosts::default_port("redis"), 6379);
  EXPECT_EQ(AllowedHosts::default_port("gopher"), std::nullopt);
  auto a = parse_ok({"redis://cache.internal"});
  EXPECT_TRUE(a.allows("redis", "cache.internal", 6379));
}

TEST(AllowedHosts, BadEntries) {
  struct Case {
    const char* entry;
    const char* why;  // a part of the message
  };
  const Case cases[] = {
      {"example.com", "no scheme"},
      {"example.com:80", "no scheme"},
      {"localhost", "no scheme"},
      {"insecure:allow-all", "*://*:*"},
      {"*://example.com", "no default port"},
      {"gopher://example.com", "no default port"},
      {"*://127.0.0.0/24", "no default port"},
      {"http://example.com/a", "path"},
      {"http://example.com:6666/a/b", "path"},
      {"http://*.example.com/a", "path"},
      {"http://ex*ample.com", "wildcard"},
      {"http://*.*.example.com", "wildcard"},
      {"http://a.*.example.com", "wildcard"},
      {"http://example.com:http", "not a number"},
      {"http://example.com:65536", "not a number"},
      {"http://example.com:-1", "not a number"},
      {"http://example.com:10..x", "N..M"},
      {"http://example.com:10..10", "empty"},
      {"http://example.com:{80,81}", "port lists"},
      {"{http,https}://example.com", "scheme lists"},
      {"ht-tp://example.com", "letters"},
      {"://example.com", "letters"},
      {"http://{a,b}.com", "host lists"},
      {"http://", "no host"},
      {"http://:80", "no host"},
      {"http://[::1", "unclosed"},
      {"http://[nope]:80", "IPv6"},
      {"http://[::1]x", "after the host"},
      {"http://exa mple.com", "not a host name"},
      {"http://user@example.com", "not a host name"},
      {"http://10.0.0.0/33:80", "CIDR prefix"},
  };
  for (const Case& c : cases) {
    std::string message = parse_error(c.entry);
    EXPECT_NE(message.find(std::string("\"") + c.entry + "\""), std::string::npos)
        << c.entry << ": " << message;
    EXPECT_NE(message.find(c.why), std::string::npos) << c.entry << ": " << message;
  }
}

TEST(AllowedHosts, OneBadEntryFailsTheList) {
  auto r = AllowedHosts::parse({"http://ok.example", "nope.example"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nope.example"), std::string::npos);
  EXPECT_EQ(r.error().kind, ErrorKind::Usage);
}

TEST(AllowedHosts, BracketedIpv6TakesTheDefaultPort) {
  // Spin rejects "http://[::1]" (its parser splits inside the brackets);
  // weft takes the scheme's port, as for any other host.
  auto a = parse_ok({"http://[::1]"});
  EXPECT_TRUE(a.allows("http", "[::1]", 80));
  EXPECT_FALSE(a.allows("http", "[::1]", 8080));
}

}  // namespace
}  // namespace weft::serve::outbound
