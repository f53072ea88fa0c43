// weft — a proxy-wasm ABI v0.2.1 host: Wasm filters in front of a service
// (the Envoy sidecar pattern) and proxy-wasm modules as route handlers.
//
// How the serve layer uses it:
//
//   Linker linker;  wasi::add_to_linker(linker);  proxy_wasm::add_to_linker(linker);
//   auto plugin = ProxyWasmPlugin::create({.name = "auth", .module = m, .config = "{...}",
//                                          .linker = shared_linker});     // at startup
//   // per request, on a worker thread:
//   FilterSession session;
//   if (auto answer = plugin->on_request(request, control, session)) return *answer;
//   Outcome out = inner_handler.handle(request, control);
//   if (auto replaced = plugin->on_response(out.response, control, session)) out = *replaced;
//   plugin->finish(control, session);
//
// FilterChainHandler does exactly that for a list of filters around a
// Handler; ProxyWasmHandler serves a route with a proxy-wasm module that
// answers with proxy_send_local_response.
//
// Isolation: every request gets a fresh Store and instance per filter
// (_initialize, proxy_on_vm_start, proxy_on_configure, the root context and
// one HTTP context, in that order). Nothing of one request's guest state is
// visible to another, except through the process-wide shared data store
// and metrics, which the ABI defines as shared.
//
// Guest environment: a filter's plugin configuration may name environment
// variables with "secret_env" (a string or an array of strings). weft reads
// them from its own process environment at startup (a missing one is a
// startup error) and hands the filter a WASI environment containing exactly
// those variables, nothing else; so a JWT secret never appears in the
// manifest. A proxy-wasm *handler* sees its service's `env` instead.
//
// Ticks: a plugin also keeps one long-lived root instance (created at
// startup, which also validates the configuration). If its
// proxy_on_vm_start/proxy_on_configure call proxy_set_tick_period_milliseconds,
// a timer thread calls its proxy_on_tick. Per-request instances may call
// proxy_set_tick_period_milliseconds too; it returns Ok and is ignored.
//
// Failures: a trap, a bad return action or a failed callback answers that
// request with 500 (504 if the request's deadline interrupted the guest) and
// a note for the access log; it never throws or crashes.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/manifest.h"
#include "serve/handler.h"
#include "serve/http_types.h"
#include "weft/result.h"
#include "weft/weft.h"

namespace weft::serve::proxy_wasm {

// proxy_status_t
enum class Status : uint32_t {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  SerializationFailure = 3,
  ParseFailure = 4,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  InternalFailure = 10,
  Unimplemented = 12,
};

enum class LogLevel : uint32_t {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5
};

// Registers every v0.2.1 host function (module "env") on the linker, so that
// modules built with any proxy-wasm SDK link; the ones weft does not support
// (HTTP/gRPC calls, shared queues, foreign functions, TCP streams) return
// Unimplemented. The functions are store-independent: they find the request
// they serve through a per-thread pointer set while the host calls into the
// guest, and return InternalFailure when called from a guest that is not a
// proxy-wasm plugin. Call once per Linker (after wasi::add_to_linker).
void add_to_linker(Linker& linker);

// Where guest log lines (proxy_log, and the guest's WASI stdout/stderr) go.
// Default: stderr, one line each: "proxy-wasm[NAME] LEVEL: message".
using LogSink = std::function<void(std::string_view plugin, LogLevel level, std::string_view text)>;
void set_log_sink(LogSink sink);
// Messages below this level are dropped; proxy_get_log_level reports it.
void set_log_level(LogLevel level);

// Pairs serialization of the ABI: u32 count, then u32 key size and u32
// value size per pair, then each key and value followed by '\0'
// (little-endian). An empty map may be "" or a single 0 byte.
std::string serialize_pairs(const HeaderList& pairs);
std::optional<HeaderList> deserialize_pairs(std::span<const uint8_t> bytes);

// The process-wide shared data store (proxy_get/set_shared_data), for tests
// and introspection. Thread-safe.
struct SharedValue {
  std::string value;
  uint32_t cas = 0;
};
std::optional<SharedValue> shared_data_get(std::string_view key);
// cas == 0 sets unconditionally; otherwise it must equal the current cas of
// an existing key. Returns Ok or CasMismatch.
Status shared_data_set(std::string_view key, std::string_view value, uint32_t cas);

// Metrics defined by guests (proxy_define_metric), process-wide, by name.
struct MetricSnapshot {
  std::string name;
  uint32_t type = 0;  // 0 counter, 1 gauge, 2 histogram (last recorded value)
  int64_t value = 0;
};
std::vector<MetricSnapshot> metrics_snapshot();

struct PluginOptions {
  std::string name;             // the filter's (or service's) name, for messages
  std::string role = "filter";  // "filter" or "service", for messages
  std::shared_ptr<const Module> module;
  std::string config;                    // plugin configuration (proxy_on_configure)
  std::string vm_config;                 // VM configuration (proxy_on_vm_start); usually empty
  std::shared_ptr<const Linker> linker;  // holds WASI and add_to_linker()'s functions
  StoreLimits limits;                    // per request instance
  std::vector<std::pair<std::string, std::string>> env;  // the guest's WASI environment
};

class FilterSession;

class ProxyWasmPlugin {
 public:
  // Checks the ABI exports (proxy_abi_version_0_2_1 or _0_2_0, proxy_on_context_create,
  // proxy_on_memory_allocate or malloc, and the types of every callback it
  // exports), that every import is on the linker, and runs the root
  // context once (vm_start + configure must succeed). Errors name the
  // plugin and what is wrong.
  static Result<std::shared_ptr<ProxyWasmPlugin>> create(PluginOptions options);
  ~ProxyWasmPlugin();
  ProxyWasmPlugin(const ProxyWasmPlugin&) = delete;
  ProxyWasmPlugin& operator=(const ProxyWasmPlugin&) = delete;

  const std::string& name() const;

  // Request phase: starts the session's instance and runs
  // proxy_on_request_headers (and proxy_on_request_body if there is a body).
  // The guest may change request headers (including ":method" and ":path",
  // which update method/target/path/query; routing is not redone) and the
  // body. Returns nullopt to continue, or the answer: the guest's local
  // response, or a 500/504 if it failed.
  std::optional<Outcome> on_request(Request& request, RequestControl& control,
                                    FilterSession& session) const;

  // Response phase (only for a session whose on_request returned nullopt):
  // proxy_on_response_headers/body may change status (":status"), headers
  // and body in place. Returns nullopt to keep the (possibly modified)
  // response, or an Outcome that replaces it (local response or failure).
  std::optional<Outcome> on_response(Response& response, RequestControl& control,
                                     FilterSession& session) const;

  // proxy_on_done, proxy_on_log, proxy_on_delete for the HTTP context; then
  // the instance is dropped. Failures here are logged only. Safe to call on
  // a session that never started.
  void finish(RequestControl& control, FilterSession& session) const;

  struct Impl;

 private:
  explicit ProxyWasmPlugin(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Per-request, per-plugin state (the store and instance); lives from
// on_request to finish. Move-only.
class FilterSession {
 public:
  FilterSession();
  ~FilterSession();
  FilterSession(FilterSession&&) noexcept;
  FilterSession& operator=(FilterSession&&) noexcept;

  struct State;
  std::unique_ptr<State> state;
};

// Runs `filters` in order before `inner`: the first filter that answers
// stops the chain (later filters and the handler don't run). The response
// then passes back through the response phase of the filters that let the
// request through, in reverse order.
class FilterChainHandler : public Handler {
 public:
  FilterChainHandler(std::vector<std::shared_ptr<const ProxyWasmPlugin>> filters,
                     std::unique_ptr<Handler> inner)
      : filters_(std::move(filters)), inner_(std::move(inner)) {}
  Outcome handle(Request& request, RequestControl& control) const override;

 private:
  std::vector<std::shared_ptr<const ProxyWasmPlugin>> filters_;
  std::unique_ptr<Handler> inner_;
};

// A proxy-wasm module as a route's handler: its answer is what it passes to
// proxy_send_local_response; no local response → 500 "no response".
class ProxyWasmHandler : public Handler {
 public:
  explicit ProxyWasmHandler(std::shared_ptr<const ProxyWasmPlugin> plugin)
      : plugin_(std::move(plugin)) {}
  Outcome handle(Request& request, RequestControl& control) const override;

 private:
  std::shared_ptr<const ProxyWasmPlugin> plugin_;
};

// The WASI environment a filter gets from its configuration's "secret_env"
// (see above), read from this process's environment. Not JSON, or no
// secret_env → empty. The error names the missing variable.
Result<std::vector<std::pair<std::string, std::string>>> secret_environment(
    std::string_view config);

// For AppHost: a manifest [filter.NAME] as a plugin (compiles its source,
// resolves secret_env, runs its root context once; 128 MiB per instance).
Result<std::shared_ptr<const ProxyWasmPlugin>> create_filter(const app::FilterSpec& spec,
                                                             std::shared_ptr<const Linker> linker);
// For AppHost: a service with executor = "proxy-wasm" (its env is the
// guest's WASI environment, its memory_limit the per-request cap).
Result<std::unique_ptr<Handler>> create_handler(const app::ServiceSpec& spec,
                                                std::shared_ptr<const Module> module,
                                                std::shared_ptr<const Linker> linker);

}  // namespace weft::serve::proxy_wasm
