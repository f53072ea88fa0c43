// Test support for the proxy-wasm host: builds guest filters written in C
// (tests/serve/proxy_wasm_guests/*.c, against sdk/proxy_wasm/proxy_wasm.h)
// with clang --target=wasm32-wasi on demand, and a linker with WASI and the
// proxy-wasm functions.
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "serve/proxy_wasm/proxy_wasm.h"
#include "serve/wagi.h"
#include "weft/wasi.h"

namespace weft::serve::proxy_wasm::testing {

namespace fs = std::filesystem;

inline fs::path guest_build_dir() { return fs::path(WEFT_BINARY_DIR) / "tests/proxy-wasm-guests"; }

// Compiles tests/serve/proxy_wasm_guests/<name>.c unless an up-to-date .wasm
// exists. A missing compiler is a test failure, never a skip.
inline fs::path build_guest(const std::string& name) {
  const fs::path src = fs::path(WEFT_SOURCE_DIR) / "tests/serve/proxy_wasm_guests" / (name + ".c");
  const fs::path sdk = fs::path(WEFT_SOURCE_DIR) / "sdk/proxy_wasm";
  const fs::path out = guest_build_dir() / (name + ".wasm");
  fs::create_directories(guest_build_dir());
  std::error_code ec;
  if (fs::exists(out, ec) && fs::last_write_time(out) >= fs::last_write_time(src) &&
      fs::last_write_time(out) >= fs::last_write_time(sdk / "proxy_wasm.h") &&
      fs::last_write_time(out) >=
          fs::last_write_time(fs::path(WEFT_SOURCE_DIR) / "scripts/wasm-cc")) {
    return out;
  }
  // ctest runs each TEST as its own process, in parallel: a per-process
  // temporary keeps two compilers from writing one file.
  const fs::path tmp = out.string() + "." + std::to_string(getpid()) + ".tmp";
  // scripts/wasm-cc: compile and link apart, so clang never runs wasm-opt.
  const std::string cmd = "'" WEFT_SOURCE_DIR
                          "/scripts/wasm-cc' clang --target=wasm32-wasi -O2 -mexec-model=reactor "
                          "-Wall -Werror -I'" +
                          sdk.string() + "' '" + src.string() + "' -o '" + tmp.string() + "' 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    ADD_FAILURE() << "building guest failed: " << cmd;
    return {};
  }
  fs::rename(tmp, out);
  return out;
}

// Assembles WAT text with wabt's wat2wasm.
inline std::shared_ptr<const Module> wat_module(const std::string& name, const std::string& wat) {
  fs::create_directories(guest_build_dir());
  const fs::path src = guest_build_dir() / (name + ".wat");
  const fs::path out = guest_build_dir() / (name + ".wasm");
  std::ofstream(src) << wat;
  const std::string cmd = "wat2wasm '" + src.string() + "' -o '" + out.string() + "' 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    ADD_FAILURE() << "wat2wasm failed: " << cmd;
    return nullptr;
  }
  auto module = compile_file(out);
  if (!module) {
    ADD_FAILURE() << module.error().to_string();
    return nullptr;
  }
  return *module;
}

inline std::shared_ptr<const Linker> proxy_wasm_linker() {
  static const std::shared_ptr<const Linker> linker = [] {
    auto l = std::make_shared<Linker>();
    wasi::add_to_linker(*l);
    add_to_linker(*l);
    return l;
  }();
  return linker;
}

inline std::shared_ptr<const Module> guest_module(const std::string& name) {
  static std::map<std::string, std::shared_ptr<const Module>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  const fs::path wasm = build_guest(name);
  if (wasm.empty()) return nullptr;
  auto module = compile_file(wasm);
  if (!module) {
    ADD_FAILURE() << module.error().to_string();
    return nullptr;
  }
  cache[name] = *module;
  return *module;
}

inline Result<std::shared_ptr<ProxyWasmPlugin>> make_plugin(
    const std::string& guest, const std::string& config = "",
    std::vector<std::pair<std::string, std::string>> env = {}, const std::string& name = "test") {
  PluginOptions options;
  options.name = name;
  options.module = guest_module(guest);
  options.config = config;
  options.linker = proxy_wasm_linker();
  options.limits.max_memory_bytes = 64u << 20;
  options.env = std::move(env);
  return ProxyWasmPlugin::create(std::move(options));
}

inline Request make_request(const std::string& test, std::string body = "") {
  Request r;
  r.method = body.empty() ? "GET" : "POST";
  r.target = "/p?x=1";
  r.path = "/p";
  r.query = "x=1";
  r.headers = {{"Host", "example.test"}, {"X-Test", test}};
  if (!body.empty()) r.headers.emplace_back("Content-Length", std::to_string(body.size()));
  r.body = std::move(body);
  r.remote_addr = "10.0.0.1";
  r.remote_port = 1234;
  r.local_addr = "127.0.0.1";
  r.local_port = 3000;
  return r;
}

// The inner handler: echoes what reached it, and counts calls.
class EchoHandler : public Handler {
 public:
  explicit EchoHandler(int* calls = nullptr) : calls_(calls) {}
  Outcome handle(Request& request, RequestControl&) const override {
    if (calls_ != nullptr) ++*calls_;
    Outcome out;
    out.response.status = 200;
    out.response.headers = {{"Content-Type", "text/plain"}};
    std::string body = request.method + " " + request.target + "\n";
    for (const auto& [k, v] : request.headers) body += k + ": " + v + "\n";
    body += "body=" + request.body;
    out.response.body = std::move(body);
    return out;
  }

 private:
  int* calls_;
};

inline std::string header_of(const Response& response, std::string_view name) {
  for (const auto& [k, v] : response.headers) {
    if (iequals(k, name)) return v;
  }
  return "(absent)";
}

}  // namespace weft::serve::proxy_wasm::testing
