// weft — WASI 0.2 (preview 2) host interfaces for the Component Model.
//
// Usage by an embedder (like wasmtime_wasi::add_to_linker_sync):
//   weft::wasi::Config config;                       // the preview1 config type
//   config.args = {"prog.wasm", "x"};
//   config.preopens.push_back({"/srv/data", "/data", /*read_only=*/true});
//   auto state = weft::wasi::P2State::create(std::move(config));   // Result
//   weft::component::ComponentLinker linker;
//   weft::wasi::add_wasi_p2(linker, *state);          // every interface, 0.2.x
//   auto instance = linker.instantiate(store, component);
//   instance->call("wasi:cli/run@0.2.0", "run", {});  // Error::exit(code) on exit
//
// Interfaces: wasi:cli (environment, exit, stdin/stdout/stderr,
// terminal-*), wasi:io (error, poll, streams), wasi:clocks (monotonic-clock,
// wall-clock), wasi:random (random, insecure, insecure-seed),
// wasi:filesystem (types, preopens) and wasi:sockets (every interface,
// every operation denied: no network is granted). Each is defined once at
// kWasiP2Version; the linker's semver matching serves guests built against
// any 0.2.x. The @unstable clocks timezone is not defined; exit-with-code
// and sockets network-error-code are (jco's WIT has them ungated), as is
// the `[method]network.noop` of jco's 0.2.10 sockets WIT.
//
// Sandbox: the same as preview1's (weft/wasi.h), through the same
// wasi::Context: the guest sees only its preopens, every path resolves
// beneath one (openat2 RESOLVE_BENEATH; an escape is not-permitted) and a
// read-only preopen refuses every write and mutation with not-permitted
// (write-via-stream and append-via-stream with bad-descriptor), as
// wasmtime does.
//
// Traps, never undefined behaviour: a handle that names no live object of
// its type, an argument of the wrong shape (host functions are untyped, so
// each checks what it gets), a write past check-write's permit, more than
// 4096 bytes to a blocking-*-and-flush call, get-random-bytes over 1 MiB,
// poll of an empty list, more than 65536 live resources. Reads return at
// most 64 KiB per call.
//
// One state per component instance. add_wasi_p2(linker, state) binds the
// linker to that one state; add_wasi_p2(linker, lookup) makes a linker
// that any number of stores share, each call finding its store's state.
// A state is not thread-safe, like a Store.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "weft/component.h"
#include "weft/result.h"
#include "weft/wasi.h"

namespace weft::wasi {

inline constexpr const char* kWasiP2Version = "0.2.12";

namespace p2 {
struct HostState;  // resource tables and stream state (src/wasi/p2/state.h)
}

class P2State {
 public:
  // Opens the preopens (an Io error names a missing directory), like
  // Context::create.
  static Result<std::shared_ptr<P2State>> create(Config config);
  ~P2State();
  P2State(const P2State&) = delete;
  P2State& operator=(const P2State&) = delete;

  // The preview1 context holding the configuration, the preopened
  // directories and the captured stdio buffers.
  Context& context();
  const Config& config() const;

  // Captured output (Config::Stdio::Buffer); each call returns what was
  // written since the last one.
  std::string take_stdout();
  std::string take_stderr();

  // Makes a blocking call (poll, blocking reads, pollable.block) trap with
  // TrapKind::Interrupted at its next check (within 50 ms). Any thread.
  void interrupt();

  // Live host resources (streams, pollables, descriptors, ...): for leak
  // checks in tests and for metrics.
  size_t resource_count() const;

  p2::HostState& host() { return *host_; }

  explicit P2State(std::unique_ptr<Context> context);

 private:
  std::unique_ptr<p2::HostState> host_;
};

// Defines every WASI 0.2 function and resource on `linker` for `state`.
void add_wasi_p2(component::ComponentLinker& linker, std::shared_ptr<P2State> state);

// For a linker shared by many stores (a server's, one store per request):
// each call and each resource drop finds its state with `lookup(store)`
// (typically through Store::user_data); a store without one traps.
void add_wasi_p2(component::ComponentLinker& linker, std::function<P2State*(Store&)> lookup);

// Both steps at once; the state is returned for take_stdout() and the like.
Result<std::shared_ptr<P2State>> add_wasi_p2(component::ComponentLinker& linker, Config config);

}  // namespace weft::wasi
