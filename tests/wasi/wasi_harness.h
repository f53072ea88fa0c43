// Test support for the WASI host: builds guest programs (C with clang
// --target=wasm32-wasi, Rust with Debian's rustc) on demand and runs them
// through the engine with a wasi::Context.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "weft/wasi.h"
#include "weft/weft.h"

namespace weft::wasi::testing {

namespace fs = std::filesystem;

inline fs::path guest_source_dir() { return fs::path(WEFT_SOURCE_DIR) / "tests/wasi/guests"; }
inline fs::path guest_build_dir() { return fs::path(WEFT_BINARY_DIR) / "tests/wasi-guests"; }

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void write_file(const fs::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

// Compiles tests/wasi/guests/<source> (".c" or ".rs") unless an up-to-date
// .wasm exists. A missing compiler is a test failure, never a skip.
inline fs::path build_guest(const std::string& source) {
  const fs::path src = guest_source_dir() / source;
  const fs::path out = guest_build_dir() / (fs::path(source).stem().string() + ".wasm");
  fs::create_directories(guest_build_dir());
  std::error_code ec;
  const bool fresh =
      fs::exists(out, ec) && fs::last_write_time(out) >= fs::last_write_time(src) &&
      fs::last_write_time(out) >= fs::last_write_time(guest_source_dir() / "check.h") &&
      fs::last_write_time(out) >=
          fs::last_write_time(fs::path(WEFT_SOURCE_DIR) / "scripts/wasm-cc");
  if (fresh) return out;
  // Unique per process: ctest runs several test processes at once.
  const fs::path tmp = out.string() + "." + std::to_string(getpid()) + ".tmp";
  std::string cmd;
  if (src.extension() == ".rs") {
    cmd = "/usr/bin/rustc --target wasm32-wasi -O -C strip=debuginfo '" + src.string() + "' -o '" +
          tmp.string() + "'";
  } else {
    // scripts/wasm-cc links without -O, so clang never runs wasm-opt (which
    // would strip the name section) even when binaryen is installed.
    cmd = "'" WEFT_SOURCE_DIR "/scripts/wasm-cc' clang --target=wasm32-wasi -O2 -Wall -Werror '" +
          src.string() + "' -o '" + tmp.string() + "'";
  }
  const int status = std::system((cmd + " 2>&1").c_str());
  if (status != 0) {
    ADD_FAILURE() << "building guest failed (" << status << "): " << cmd;
    return {};
  }
  fs::rename(tmp, out, ec);
  if (ec) ADD_FAILURE() << "cannot move " << tmp << " to " << out << ": " << ec.message();
  return out;
}

struct RunResult {
  bool ok = false;  // ran to completion or proc_exit
  int exit_code = 0;
  std::string error;  // engine error text when !ok
  std::string out;    // captured stdout
  std::string err;    // captured stderr
};

// Runs `_start` of the guest with the given config.
inline RunResult run_guest(const fs::path& wasm, Config config) {
  RunResult result;
  const std::string bytes = read_file(wasm);
  auto module = Module::compile(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  if (!module) {
    result.error = module.error().to_string();
    return result;
  }
  auto ctx = Context::create(std::move(config));
  if (!ctx) {
    result.error = ctx.error().to_string();
    return result;
  }
  Linker linker;
  add_to_linker(linker);
  Store store;
  store.set_user_data(ctx->get());
  auto instance = linker.instantiate(store, *module);
  if (!instance) {
    result.error = instance.error().to_string();
    return result;
  }
  auto start = instance->get_func("_start");
  if (!start) {
    result.error = "no _start export";
    return result;
  }
  auto call = start->call({});
  if (call) {
    result.ok = true;
  } else if (call.error().is_trap() && call.error().trap &&
             call.error().trap->kind == TrapKind::Exit) {
    result.ok = true;
    result.exit_code = call.error().trap->exit_code;
  } else {
    result.error = call.error().to_string();
  }
  result.out = (*ctx)->take_stdout();
  result.err = (*ctx)->take_stderr();
  return result;
}

inline Config buffered_config() {
  Config config;
  config.stdin_mode = Config::Stdio::Buffer;
  config.stdout_mode = Config::Stdio::Buffer;
  config.stderr_mode = Config::Stdio::Buffer;
  return config;
}

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "weft-wasi-XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    if (made) path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace weft::wasi::testing
