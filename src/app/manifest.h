// weft — the application manifest (`weft.toml`).
//
// The manifest is the whole grant: which routes exist, which .wasm serves
// each, what environment, files, time and memory each service gets, and
// which proxy-wasm filters run in front of it. Loading checks the shape and
// every cross-reference (route → service, service → filter) so that a bad
// manifest fails before the server listens; errors name file:line and key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/result.h"
#include "weft/weft.h"

namespace weft::app {

enum class Executor : uint8_t { Wagi, ProxyWasm, WasiHttp, WasmBindgen };

// What a wasm-bindgen service's string argument is made of.
enum class BindgenInput : uint8_t { Body, Path, RequestJson };
const char* to_string(Executor executor);

struct FileGrant {
  std::string host_path;   // absolute (resolved against the manifest's directory)
  std::string guest_path;  // what the guest sees, e.g. "/static"
};

// A component that satisfies one of a wasi-http service's imports
// ([service.NAME.dependencies]). Its own imports get host interfaces with
// its own grants only: by default none (no outbound hosts, no env).
struct DependencySpec {
  std::string interface_name;    // "example:auth/verify" or "example:db/store@0.1.0"
  std::filesystem::path source;  // absolute
  std::vector<std::string> allowed_outbound_hosts;
  std::vector<std::pair<std::string, std::string>> env;
  std::string location;  // "weft.toml:14"
};

struct ServiceSpec {
  std::string name;
  std::filesystem::path source;  // absolute path of the .wasm
  Executor executor = Executor::Wagi;
  std::vector<std::string> filters;                      // names in [filter.*], in order
  std::vector<std::pair<std::string, std::string>> env;  // the only environment the guest sees
  std::vector<FileGrant> files;                          // read-only preopens
  uint32_t timeout_ms = 30'000;
  uint64_t memory_limit = 128ull << 20;
  std::string location;  // "weft.toml:12" of the [service.NAME] table, for messages
  // `tier = "interp" | "optimized" | "auto"`: the service's modules (a
  // component's core modules and its dependencies' too); unset: the
  // command line's --tier.
  std::optional<Tier> tier;
  // wasi-http: Spin's syntax ("https://api.example.com", "http://127.0.0.1:*"),
  // checked when the app is built; empty = no outbound HTTP.
  std::vector<std::string> allowed_outbound_hosts;
  std::string allowed_outbound_hosts_location;
  // wasi-http: one instance serves up to this many requests, one at a
  // time (1 = a fresh instance per request, the default).
  uint32_t instance_reuse = 1;
  std::vector<DependencySpec> dependencies;  // in file order
  // wasm-bindgen: the #[wasm_bindgen] function to call (empty: the module's
  // only one), the response's Content-Type, and what its &str argument is:
  // the body, the path with its query, or the whole request as JSON.
  std::string bindgen_export;
  std::string content_type = "text/plain";
  BindgenInput bindgen_input = BindgenInput::Body;
};

struct FilterSpec {
  std::string name;
  std::filesystem::path source;
  std::string config;  // handed to proxy_on_configure as plugin configuration
  std::string location;
};

struct RouteSpec {
  std::string path;  // "/a/b", "/a/...", "/items/:id"
  std::string service;
  std::string location;
};

struct Manifest {
  std::filesystem::path file;  // the manifest itself
  std::filesystem::path dir;   // its directory; relative paths resolve here
  std::string app_name;
  std::vector<RouteSpec> routes;  // in file order
  std::map<std::string, ServiceSpec> services;
  std::map<std::string, FilterSpec> filters;
};

// Parses manifest text. `file_name` is used in messages; relative paths
// resolve against `base_dir`.
Result<Manifest> parse_manifest(std::string_view text, const std::filesystem::path& file_name,
                                const std::filesystem::path& base_dir);

// `target` is a directory (reads DIR/weft.toml) or a .toml file.
Result<Manifest> load_manifest(const std::filesystem::path& target);

// "64MiB", "1GiB", "512KiB", "1000000" (bytes), "10MB" (decimal units).
Result<uint64_t> parse_byte_size(std::string_view text);

}  // namespace weft::app
