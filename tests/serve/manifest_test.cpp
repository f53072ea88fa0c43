#include "app/manifest.h"

#include <gtest/gtest.h>

namespace weft::app {
namespace {

Result<Manifest> parse(std::string_view text) {
  return parse_manifest(text, "weft.toml", "/srv/app");
}

TEST(Manifest, FullShape) {
  auto m = parse(R"(
[app]
name = "shop"

[[route]]
path = "/api/..."
service = "api"

[[route]]
path = "/items/:id"
service = "api"

[service.api]
source = "api.wasm"
executor = "wagi"
filters = ["auth"]
env = { GREETING = "hi" }
files = [{ host = "static", guest = "/static" }]
timeout_ms = 1000
memory_limit = "64MiB"

[filter.auth]
source = "jwt_auth.wasm"
config = '{"secret_env": "JWT_SECRET"}'
)");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->app_name, "shop");
  ASSERT_EQ(m->routes.size(), 2u);
  EXPECT_EQ(m->routes[0].path, "/api/...");
  const ServiceSpec& api = m->services.at("api");
  EXPECT_EQ(api.source, "/srv/app/api.wasm");
  EXPECT_EQ(api.executor, Executor::Wagi);
  ASSERT_EQ(api.filters.size(), 1u);
  ASSERT_EQ(api.env.size(), 1u);
  EXPECT_EQ(api.env[0].first, "GREETING");
  EXPECT_EQ(api.env[0].second, "hi");
  ASSERT_EQ(api.files.size(), 1u);
  EXPECT_EQ(api.files[0].host_path, "/srv/app/static");
  EXPECT_EQ(api.files[0].guest_path, "/static");
  EXPECT_EQ(api.timeout_ms, 1000u);
  EXPECT_EQ(api.memory_limit, 64ull << 20);
  EXPECT_EQ(m->filters.at("auth").config, R"({"secret_env": "JWT_SECRET"})");
}

TEST(Manifest, Defaults) {
  auto m = parse("[[route]]\npath = \"/\"\nservice = \"s\"\n[service.s]\nsource = \"s.wasm\"\n");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  const ServiceSpec& s = m->services.at("s");
  EXPECT_EQ(s.timeout_ms, 30000u);
  EXPECT_EQ(s.memory_limit, 128ull << 20);
  EXPECT_EQ(s.executor, Executor::Wagi);
  EXPECT_FALSE(s.tier.has_value());  // the command line's --tier
}

void expect_error(std::string_view text, std::string_view fragment) {
  auto m = parse(text);
  ASSERT_FALSE(m.ok()) << "accepted: " << text;
  EXPECT_NE(m.error().message.find(fragment), std::string::npos) << m.error().message;
}

TEST(Manifest, TierPerService) {
  auto m = parse(
      "[[route]]\npath = \"/\"\nservice = \"s\"\n[service.s]\nsource = \"s.wasm\"\n"
      "tier = \"optimized\"\n[service.t]\nsource = \"t.wasm\"\ntier = \"interp\"\n");
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->services.at("s").tier, Tier::Optimized);
  EXPECT_EQ(m->services.at("t").tier, Tier::Interpreter);
  expect_error(
      "[[route]]\npath = \"/\"\nservice = \"s\"\n[service.s]\nsource = \"s\"\n"
      "tier = \"jit\"\n",
      "weft.toml:6: service.s.tier: unknown tier \"jit\"");
  expect_error(
      "[[route]]\npath = \"/\"\nservice = \"s\"\n[service.s]\nsource = \"s\"\n"
      "tier = 2\n",
      "weft.toml:6: service.s.tier");
}

TEST(Manifest, ErrorsNameFileLineAndKey) {
  expect_error(
      "[[route]]\npath = \"/\"\nservice = \"s\"\n[service.s]\nsource = \"s.wasm\"\n"
      "timeout_ms = \"soon\"\n",
      "weft.toml:6: service.s.timeout_ms");
  expect_error("[[route]]\npath = \"/\"\nservice = \"nope\"\n", "weft.toml:3: route.service");
  expect_error(
      "[[route]]\npath = \"/\"\nservice = \"s\"\n[service.s]\nsource = \"s.wasm\"\n"
      "memory_limit = \"12 parsecs\"\n",
      "weft.toml:6: service.s.memory_limit");
  expect_error("[[route]]\npath = \"/\"\nservice = \"s\"\n[service.s]\nsorce = \"s.wasm\"\n",
               "service.s.sorce: unknown key");
  expect_error("[[route]]\npath = \"/\"\nservice = \"s\"\n[service.s]\nexecutor = \"wagi\"\n",
               "service.s.source: missing required key");
  expect_error(
      "[[route]]\npath = \"/\"\nservice = \"s\"\n[service.s]\nsource = \"s.wasm\"\n"
      "filters = [\"auth\"]\n",
      "unknown filter \"auth\"");
  expect_error("[[route]]\npath = \"no-slash\"\nservice = \"s\"\n[service.s]\nsource = \"s\"\n",
               "weft.toml:2: route.path");
  expect_error("[[route]]\npath = \"/a/.../b\"\nservice = \"s\"\n[service.s]\nsource = \"s\"\n",
               "route.path");
  expect_error("[service.s]\nsource = \"s\"\n", "no [[route]]");
  expect_error("this is = = not toml", "weft.toml:1:");
  expect_error(
      "[[route]]\npath = \"/\"\nservice = \"s\"\n[service.s]\nsource = \"s\"\n"
      "executor = \"cgi\"\n",
      "service.s.executor");
}

TEST(Manifest, BadTableHeadersAreErrorsNotCrashes) {
  expect_error("[[[\n", "weft.toml:1: a table header needs a name");
  expect_error("[app]\nname = \"x\"\n\n[ ]\n", "weft.toml:4:");
  expect_error("[[ ]]\n", "weft.toml:1:");
  expect_error("[]\n", "weft.toml:1:");
  // Brackets inside values and strings are not headers.
  auto m = parse(
      "[[route]]\npath = \"/[[[\"\nservice = \"s\"\n[service.s]\nsource = '''\n[[[\n'''\n"
      "filters = [\n]\n");
  EXPECT_TRUE(m.ok()) << m.error().to_string();
}

// Deterministic mutations of a valid manifest: never crash or assert.
TEST(Manifest, MutationsNeverCrash) {
  const std::string base = R"([app]
name = "shop"
[[route]]
path = "/api/..."
service = "api"
[service.api]
source = "api.wasm"
filters = ["auth"]
env = { GREETING = "hi" }
files = [{ host = "static", guest = "/static" }]
timeout_ms = 1000
memory_limit = "64MiB"
[filter.auth]
source = "jwt_auth.wasm"
config = '{"secret_env": "JWT_SECRET"}'
)";
  const char alphabet[] = "[]{}\"'=.,#\n \\abc019:-_\x00\xff";
  uint64_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(seed >> 33);
  };
  for (int iteration = 0; iteration < 5000; ++iteration) {
    std::string text = base;
    int edits = 1 + next() % 4;
    for (int e = 0; e < edits; ++e) {
      size_t pos = next() % (text.size() + 1);
      char c = alphabet[next() % (sizeof(alphabet) - 1)];
      switch (next() % 3) {
        case 0:
          text.insert(pos, 1, c);
          break;
        case 1:
          if (pos < text.size()) text[pos] = c;
          break;
        default:
          if (pos < text.size()) text.erase(pos, 1 + next() % 8);
          break;
      }
    }
    auto m = parse(text);
    (void)m;
  }
}

TEST(Manifest, ByteSizes) {
  EXPECT_EQ(*parse_byte_size("64MiB"), 64ull << 20);
  EXPECT_EQ(*parse_byte_size("1GiB"), 1ull << 30);
  EXPECT_EQ(*parse_byte_size("512KiB"), 512ull << 10);
  EXPECT_EQ(*parse_byte_size("1000"), 1000u);
  EXPECT_EQ(*parse_byte_size("10MB"), 10'000'000u);
  EXPECT_FALSE(parse_byte_size("").ok());
  EXPECT_FALSE(parse_byte_size("MiB").ok());
  EXPECT_FALSE(parse_byte_size("5 furlongs").ok());
  EXPECT_FALSE(parse_byte_size("99999999999999999999999GiB").ok());
  EXPECT_FALSE(parse_byte_size("17179869184GiB").ok());
}

}  // namespace
}  // namespace weft::app
