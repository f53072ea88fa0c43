// The proxy-wasm host driven through real guest filters (C, compiled at
// test time): header maps, buffers, local responses, hostile pointers and
// actions, shared data CAS, properties, metrics, environment, timeouts.
#include <chrono>
#include <thread>

#include "serve/proxy_wasm_harness.h"

namespace weft::serve::proxy_wasm::testing {
namespace {

struct Chain {
  std::shared_ptr<ProxyWasmPlugin> plugin;
  int calls = 0;
  std::unique_ptr<FilterChainHandler> handler;
};

std::unique_ptr<Chain> chain(const std::string& config = "cfg") {
  auto chain = std::make_unique<Chain>();
  auto plugin = make_plugin("test_filter", config);
  if (!plugin) {
    ADD_FAILURE() << plugin.error().to_string();
    return chain;
  }
  chain->plugin = *plugin;
  chain->handler = std::make_unique<FilterChainHandler>(
      std::vector<std::shared_ptr<const ProxyWasmPlugin>>{chain->plugin},
      std::make_unique<EchoHandler>(&chain->calls));
  return chain;
}

Outcome run(Chain& c, Request request) {
  RequestControl control;
  return c.handler->handle(request, control);
}

TEST(ProxyWasmFilter, PluginConfigurationReachesTheGuest) {
  auto c = chain(R"({"k":"v"})");
  ASSERT_TRUE(c->handler);
  Outcome out = run(*c, make_request("echo-config"));
  EXPECT_EQ(out.response.status, 200u);
  EXPECT_EQ(out.response.body, R"({"k":"v"})");
  EXPECT_EQ(c->calls, 0);
}

TEST(ProxyWasmFilter, ModifiesRequestHeadersAndPath) {
  auto c = chain();
  ASSERT_TRUE(c->handler);
  Request request = make_request("modify");
  request.headers.emplace_back("X-Replace", "old");
  request.headers.emplace_back("X-Replace", "older");
  request.headers.emplace_back("X-Remove", "gone");
  Outcome out = run(*c, std::move(request));
  ASSERT_EQ(out.response.status, 200u) << out.note;
  EXPECT_EQ(c->calls, 1);
  const std::string& body = out.response.body;
  EXPECT_NE(body.find("GET /rewritten?q=1\n"), std::string::npos) << body;
  EXPECT_NE(body.find("x-replace: new\n"), std::string::npos) << body;
  EXPECT_EQ(body.find("older"), std::string::npos) << body;
  EXPECT_EQ(body.find("x-remove"), std::string::npos) << body;
  EXPECT_NE(body.find("x-added: yes\n"), std::string::npos) << body;
  EXPECT_NE(body.find("host: example.test\n"), std::string::npos) << body;
  // The response phase ran too.
  EXPECT_EQ(header_of(out.response, "x-filtered"), "1");
}

TEST(ProxyWasmFilter, UnmodifiedRequestKeepsHeaderCase) {
  auto c = chain();
  ASSERT_TRUE(c->handler);
  Outcome out = run(*c, make_request("nothing"));
  ASSERT_EQ(out.response.status, 200u);
  EXPECT_NE(out.response.body.find("X-Test: nothing\n"), std::string::npos) << out.response.body;
}

TEST(ProxyWasmFilter, HeaderPairsRoundTrip) {
  auto c = chain();
  ASSERT_TRUE(c->handler);
  Outcome out = run(*c, make_request("pairs"));
  EXPECT_EQ(out.response.body,
            "6::method=GET;:path=/p?x=1;:authority=example.test;:scheme=http;host=example.test;"
            "x-test=pairs;|set=0|x-k=v1");
}

TEST(ProxyWasmFilter, LocalResponseStopsTheChain) {
  auto first = make_plugin("test_filter", "", {}, "first");
  auto second = make_plugin("test_filter", "", {}, "second");
  ASSERT_TRUE(first && second);
  int calls = 0;
  FilterChainHandler handler({*first, *second}, std::make_unique<EchoHandler>(&calls));
  Request request = make_request("deny");
  RequestControl control;
  Outcome out = handler.handle(request, control);
  EXPECT_EQ(out.response.status, 401u);
  EXPECT_EQ(out.response.body, R"({"error":"denied"})");
  EXPECT_EQ(header_of(out.response, "content-type"), "application/json");
  EXPECT_EQ(calls, 0);
  EXPECT_NE(out.note.find("first answered 401"), std::string::npos) << out.note;
}

TEST(ProxyWasmFilter, HostileArgumentsGetStatusesNotCrashes) {
  auto c = chain();
  ASSERT_TRUE(c->handler);
  Outcome out = run(*c, make_request("bad-pointers"));
  // InvalidMemoryAccess x2, BadArgument (unknown map, bad pairs, CR/LF in a
  // name), Unimplemented (continuing a TCP stream).
  EXPECT_EQ(out.response.body, "6 6 2 2 2 12");
}

TEST(ProxyWasmFilter, UnknownActionIs500) {
  auto c = chain();
  ASSERT_TRUE(c->handler);
  Outcome out = run(*c, make_request("bad-action"));
  EXPECT_EQ(out.response.status, 500u);
  EXPECT_NE(out.note.find("unknown action 7"), std::string::npos) << out.note;
  EXPECT_EQ(c->calls, 0);
}

TEST(ProxyWasmFilter, TrapIs500AndThePluginKeepsServing) {
  auto c = chain();
  ASSERT_TRUE(c->handler);
  for (int i = 0; i < 20; ++i) {
    Outcome out = run(*c, make_request("trap"));
    EXPECT_EQ(out.response.status, 500u);
    EXPECT_NE(out.note.find("trap in proxy_on_request_headers"), std::string::npos) << out.note;
  }
  Outcome ok = run(*c, make_request("nothing"));
  EXPECT_EQ(ok.response.status, 200u);
}

TEST(ProxyWasmFilter, PauseWithoutLocalResponseContinues) {
  auto c = chain();
  ASSERT_TRUE(c->handler);
  Outcome out = run(*c, make_request("pause"));
  EXPECT_EQ(out.response.status, 200u);
  EXPECT_EQ(c->calls, 1);
}

TEST(ProxyWasmFilter, Properties) {
  auto c = chain();
  ASSERT_TRUE(c->handler);
  Outcome out = run(*c, make_request("props"));
  EXPECT_EQ(out.response.body, "0:/p?x=1|0:GET|0:10.0.0.1:1234|0:test|0:props|1:|set=0 get=0:v");
}

TEST(ProxyWasmFilter, SharedDataCompareAndSwap) {
  auto c = chain();
  ASSERT_TRUE(c->handler);
  Request request = make_request("shared");
  request.headers.emplace_back("x-key", "cas-test-key");
  Outcome out = run(*c, std::move(request));
  // get NotFound, set Ok, get Ok, set with a wrong cas → CasMismatch, with
  // the right cas → Ok, the same (now stale) cas again → CasMismatch.
  EXPECT_EQ(out.response.body, "1 0 0 8 0 8 0 c");
  auto shared = shared_data_get("cas-test-key");
  ASSERT_TRUE(shared);
  EXPECT_EQ(shared->value, "c");
  EXPECT_EQ(shared_data_set("cas-test-key", "x", shared->cas + 1), Status::CasMismatch);
  EXPECT_EQ(shared_data_set("cas-test-key", "x", shared->cas), Status::Ok);
}

TEST(ProxyWasmFilter, SharedDataIsThreadSafe) {
  // The key exists before the threads start: a set with cas 0 is
  // unconditional (proxy-wasm's rule), so a thread that had seen no key
  // would overwrite the others' increments.
  ASSERT_EQ(shared_data_set("counter", "0", 0), Status::Ok);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([] {
      for (int i = 0; i < 500; ++i) {
        while (true) {
          auto v = shared_data_get("counter");
          ASSERT_TRUE(v);
          ASSERT_NE(v->cas, 0u);
          if (shared_data_set("counter", std::to_string(std::stoi(v->value) + 1), v->cas) ==
              Status::Ok) {
            break;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(shared_data_get("counter")->value, "2000");
}

TEST(ProxyWasmFilter, MetricsAndTime) {
  auto c = chain();
  ASSERT_TRUE(c->handler);
  Outcome out = run(*c, make_request("metrics"));
  EXPECT_EQ(out.response.body, "0 0 same=1 0 2 0 value=2 1 time=0:1");
  bool found = false;
  for (const auto& m : metrics_snapshot()) {
    if (m.name == "test_requests") found = m.value >= 2;
  }
  EXPECT_TRUE(found);
}

TEST(ProxyWasmFilter, SecretEnvironmentOnly) {
  ::setenv("TEST_SECRET", "s3cret", 1);
  auto env = secret_environment(R"({"secret_env": "TEST_SECRET"})");
  ASSERT_TRUE(env);
  auto plugin = make_plugin("test_filter", "", *env);
  ASSERT_TRUE(plugin) << plugin.error().to_string();
  FilterChainHandler handler({*plugin}, std::make_unique<EchoHandler>());
  Request request = make_request("env");
  RequestControl control;
  EXPECT_EQ(handler.handle(request, control).response.body, "secret=s3cret home=(none)");

  auto missing = secret_environment(R"({"secret_env": ["NO_SUCH_VARIABLE_XYZ"]})");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("NO_SUCH_VARIABLE_XYZ"), std::string::npos);
  EXPECT_TRUE(secret_environment("not json")->empty());
}

TEST(ProxyWasmFilter, BodiesInBothDirections) {
  auto c = chain();
  ASSERT_TRUE(c->handler);
  Outcome out = run(*c, make_request("body", "abc"));
  ASSERT_EQ(out.response.status, 200u);
  EXPECT_EQ(out.response.body.substr(0, 1), ">");
  EXPECT_NE(out.response.body.find("body=ABC!"), std::string::npos) << out.response.body;
  EXPECT_NE(out.response.body.find("Content-Length: 4\n"), std::string::npos) << out.response.body;
}

TEST(ProxyWasmFilter, ResponseStatusAndLocalResponseInResponsePhase) {
  auto c = chain();
  ASSERT_TRUE(c->handler);
  EXPECT_EQ(run(*c, make_request("status")).response.status, 202u);
  Outcome denied = run(*c, make_request("resp-deny"));
  EXPECT_EQ(denied.response.status, 403u);
  EXPECT_EQ(denied.response.body, "no");
}

TEST(ProxyWasmFilter, GuestStdoutIsLogged) {
  std::vector<std::string> lines;
  set_log_sink([&](std::string_view plugin, LogLevel, std::string_view text) {
    lines.push_back(std::string(plugin) + ":" + std::string(text));
  });
  auto c = chain();
  ASSERT_TRUE(c->handler);
  run(*c, make_request("stdout"));
  set_log_sink(nullptr);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "test:hello from printf"), lines.end());
}

TEST(ProxyWasmFilter, TimeoutInterruptsTheGuest) {
  auto c = chain();
  ASSERT_TRUE(c->handler);
  Request request = make_request("loop");
  RequestControl control;
  std::thread timer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    control.time_out();
  });
  Outcome out = c->handler->handle(request, control);
  timer.join();
  EXPECT_EQ(out.response.status, 504u) << out.note;
}

TEST(ProxyWasmPlugin, TicksRunOnTheRootInstanceUntilDestroyed) {
  auto plugin = make_plugin("test_filter", "tick", {}, "ticker");
  ASSERT_TRUE(plugin) << plugin.error().to_string();
  int ticks = 0;
  for (int i = 0; i < 300 && ticks < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto value = shared_data_get("ticks");
    ticks = value ? std::stoi(value->value) : 0;
  }
  EXPECT_GE(ticks, 3);
  plugin->reset();  // stops the timer thread
  const std::string after = shared_data_get("ticks")->value;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(shared_data_get("ticks")->value, after);
}

TEST(ProxyWasmPlugin, ConfigurationRejectedAtStartup) {
  auto plugin = make_plugin("test_filter", "reject", {}, "auth");
  ASSERT_FALSE(plugin);
  EXPECT_NE(plugin.error().message.find("filter auth"), std::string::npos);
  EXPECT_NE(plugin.error().message.find("proxy_on_configure rejected"), std::string::npos)
      << plugin.error().message;
}

TEST(ProxyWasmPlugin, MissingAbiExportsAreNamed) {
  auto create = [](std::shared_ptr<const Module> module) {
    PluginOptions options;
    options.name = "bad";
    options.module = std::move(module);
    options.linker = proxy_wasm_linker();
    return ProxyWasmPlugin::create(std::move(options));
  };
  auto no_marker = create(wat_module("no_marker", R"((module
    (memory (export "memory") 1)
    (func (export "proxy_on_context_create") (param i32 i32))
    (func (export "malloc") (param i32) (result i32) (i32.const 8))))"));
  ASSERT_FALSE(no_marker);
  EXPECT_NE(no_marker.error().message.find("proxy_abi_version_0_2_1"), std::string::npos);

  auto no_alloc = create(wat_module("no_alloc", R"((module
    (memory (export "memory") 1)
    (func (export "proxy_abi_version_0_2_1"))
    (func (export "proxy_on_context_create") (param i32 i32))))"));
  ASSERT_FALSE(no_alloc);
  EXPECT_NE(no_alloc.error().message.find("malloc"), std::string::npos);

  auto bad_type = create(wat_module("bad_type", R"((module
    (memory (export "memory") 1)
    (func (export "proxy_abi_version_0_2_0"))
    (func (export "malloc") (param i32) (result i32) (i32.const 8))
    (func (export "proxy_on_context_create") (param i32 i32))
    (func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0))))"));
  ASSERT_FALSE(bad_type);
  EXPECT_NE(bad_type.error().message.find("proxy_on_request_headers"), std::string::npos);
}

TEST(ProxyWasmPlugin, HostileAllocatorIsInvalidMemoryAccess) {
  // malloc returns a pointer past the end of memory; the host must not
  // write there. The filter answers with the status it got.
  auto module = wat_module("hostile_alloc", R"((module
    (import "env" "proxy_get_header_map_pairs" (func $pairs (param i32 i32 i32) (result i32)))
    (import "env" "proxy_send_local_response"
      (func $respond (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "proxy_abi_version_0_2_1"))
    (func (export "malloc") (param i32) (result i32) (i32.const 65530))
    (func (export "proxy_on_context_create") (param i32 i32))
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (i32.store8 (i32.const 100) (i32.add (i32.const 48) (call $pairs (i32.const 0) (i32.const 0) (i32.const 4))))
      (drop (call $respond (i32.const 200) (i32.const 0) (i32.const 0) (i32.const 100) (i32.const 1)
                           (i32.const 0) (i32.const 0) (i32.const 0)))
      (i32.const 0))))");
  ASSERT_TRUE(module);
  PluginOptions options;
  options.name = "hostile";
  options.module = module;
  options.linker = proxy_wasm_linker();
  auto plugin = ProxyWasmPlugin::create(std::move(options));
  ASSERT_TRUE(plugin) << plugin.error().to_string();
  ProxyWasmHandler handler(*plugin);
  Request request = make_request("x");
  RequestControl control;
  Outcome out = handler.handle(request, control);
  EXPECT_EQ(out.response.status, 200u) << out.note;
  EXPECT_EQ(out.response.body, "6");
}

TEST(ProxyWasmHandler, AnswersWithLocalResponseOr500) {
  auto plugin = make_plugin("test_filter", "", {}, "svc");
  ASSERT_TRUE(plugin);
  ProxyWasmHandler handler(*plugin);
  RequestControl control;
  Request deny = make_request("deny");
  EXPECT_EQ(handler.handle(deny, control).response.status, 401u);
  Request none = make_request("nothing");
  Outcome out = handler.handle(none, control);
  EXPECT_EQ(out.response.status, 500u);
  EXPECT_NE(out.response.body.find("no response"), std::string::npos);
}

TEST(ProxyWasmPairs, SpecExample) {
  HeaderList map = {{"a", "1"}, {"b", "22"}};
  const std::string bytes = serialize_pairs(map);
  const std::string expected("\x02\0\0\0\x01\0\0\0\x01\0\0\0\x01\0\0\0\x02\0\0\0a\0001\0b\00022\0",
                             4 + 16 + 9);
  EXPECT_EQ(bytes, expected);
  auto back =
      deserialize_pairs(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, map);
}

TEST(ProxyWasmPairs, HostileInputs) {
  auto parse = [](const std::string& s) {
    return deserialize_pairs(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  EXPECT_TRUE(parse("")->empty());
  EXPECT_TRUE(parse(std::string(1, '\0'))->empty());
  EXPECT_FALSE(parse("\x01\x02"));
  EXPECT_FALSE(parse(std::string("\xff\xff\xff\xff", 4)));  // huge count, no bytes
  EXPECT_FALSE(
      parse(std::string("\x01\0\0\0\xff\xff\xff\xff\x01\0\0\0k\0v\0", 16)));    // key too long
  EXPECT_FALSE(parse(std::string("\x01\0\0\0\x01\0\0\0\x01\0\0\0kXv\0", 16)));  // missing NUL
  for (size_t cut = 0; cut < 29; ++cut) {
    const std::string full = serialize_pairs({{"a", "1"}, {"b", "22"}});
    parse(full.substr(0, cut));  // must not crash
  }
}

}  // namespace
}  // namespace weft::serve::proxy_wasm::testing
