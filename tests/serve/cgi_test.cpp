#include "serve/cgi.h"

#include <gtest/gtest.h>

namespace weft::serve {
namespace {

std::string find(const EnvList& env, std::string_view name) {
  for (const auto& [k, v] : env) {
    if (k == name) return v;
  }
  return "<unset>";
}

TEST(Cgi, Environment) {
  Request r;
  r.method = "POST";
  r.target = "/api/a%20b?x=1";
  r.path = "/api/a%20b";
  r.query = "x=1";
  r.headers = {{"Host", "example.com:3000"}, {"Content-Type", "text/plain"},
               {"X-Thing", "one"}, {"x-thing", "two"}, {"Accept", "*/*"}};
  r.body = "hello";
  r.remote_addr = "127.0.0.1";
  r.matched_route = "/api/...";
  r.script_name = "/api";
  r.raw_path_info = "/a%20b";
  r.params = {{"id", "7"}};
  EnvList env = cgi_environment(r, {"example.com", "3000"}, {{"GREETING", "hi"}, {"QUERY_STRING", "manifest"}});
  EXPECT_EQ(find(env, "REQUEST_METHOD"), "POST");
  EXPECT_EQ(find(env, "PATH_INFO"), "/a b");
  EXPECT_EQ(find(env, "X_RAW_PATH_INFO"), "/a%20b");
  EXPECT_EQ(find(env, "X_MATCHED_ROUTE"), "/api/...");
  EXPECT_EQ(find(env, "X_FULL_URL"), "http://example.com:3000/api/a%20b?x=1");
  EXPECT_EQ(find(env, "SERVER_NAME"), "example.com");
  EXPECT_EQ(find(env, "SERVER_PORT"), "3000");
  EXPECT_EQ(find(env, "CONTENT_TYPE"), "text/plain");
  EXPECT_EQ(find(env, "CONTENT_LENGTH"), "5");
  EXPECT_EQ(find(env, "HTTP_X_THING"), "one, two");
  EXPECT_EQ(find(env, "HTTP_ACCEPT"), "*/*");
  EXPECT_EQ(find(env, "HTTP_CONTENT_TYPE"), "<unset>");
  EXPECT_EQ(find(env, "GREETING"), "hi");
  EXPECT_EQ(find(env, "QUERY_STRING"), "manifest");  // the manifest wins
  EXPECT_EQ(find(env, "X_PARAM_ID"), "7");
}

TEST(Cgi, ParsesHeadersAndBody) {
  auto r = parse_cgi_output("Content-Type: text/plain\nX-Extra:  yes \n\nhello\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200u);
  ASSERT_EQ(r->headers.size(), 2u);
  EXPECT_EQ(r->headers[1].second, "yes");
  EXPECT_EQ(r->body, "hello\n");

  auto s = parse_cgi_output("Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\n");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->status, 404u);
  EXPECT_EQ(s->body, "");

  auto loc = parse_cgi_output("Location: /elsewhere\n\n");
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(loc->status, 302u);

  auto framing = parse_cgi_output("Content-Type: a/b\nContent-Length: 999\nConnection: close\n\nx");
  ASSERT_TRUE(framing.ok());
  EXPECT_EQ(framing->headers.size(), 1u);
}

TEST(Cgi, RejectsMalformed) {
  EXPECT_FALSE(parse_cgi_output("").ok());
  EXPECT_FALSE(parse_cgi_output("hello world").ok());
  EXPECT_FALSE(parse_cgi_output("Content-Type: text/plain\nno blank line").ok());
  EXPECT_FALSE(parse_cgi_output("not a header\n\nbody").ok());
  EXPECT_FALSE(parse_cgi_output("\nbody").ok());
  EXPECT_FALSE(parse_cgi_output("Status: abc\n\n").ok());
  EXPECT_FALSE(parse_cgi_output("Status: 99\n\n").ok());
  EXPECT_FALSE(parse_cgi_output("Status: 600\n\n").ok());
  EXPECT_FALSE(parse_cgi_output("Status: 101 Switching\n\n").ok());
  EXPECT_FALSE(parse_cgi_output("Bad Name: x\n\n").ok());
  EXPECT_FALSE(parse_cgi_output(std::string("X: a\0b\n\n", 8)).ok());
  std::string many;
  for (int i = 0; i < 200; ++i) many += "X-" + std::to_string(i) + ": v\n";
  EXPECT_FALSE(parse_cgi_output(many + "\n").ok());
  EXPECT_FALSE(parse_cgi_output(std::string(100000, 'a') + "\n\n").ok());
}

}  // namespace
}  // namespace weft::serve
