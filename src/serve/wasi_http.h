// weft — the wasi-http executor: each request calls
// wasi:http/incoming-handler.handle on a fresh component instance (or, with
// instance_reuse = N, on an instance that has served fewer than N requests,
// one at a time), with bodies streaming both ways through ByteChannels.
//
// "Fresh" is what the guest sees, not how it is made: after a request that
// returned, an instance's store is restored to its checkpoint taken right
// after instantiation (Store::restore: memory, tables, globals, fuel), its
// ABI state reset (no handles, ComponentInstance::reset) and its host state
// (WASI and wasi:http resources, stdout) made anew, so the next request
// starts from exactly the state a new instance would have. An instance
// that trapped, timed out, left its body unfinished or cannot be restored
// is discarded.
//
// Failures: a trap before the response head → 500 (504 after the
// deadline, 500 at the memory cap); a trap or an unfinished body after the
// head → the connection is closed, so the client cannot take a cut body for
// a whole one. A guest that returns without setting the outparam → 500;
// one that sets it to an error-code → 500 naming the code. Each is logged
// with the service name.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/manifest.h"
#include "serve/handler.h"
#include "weft/component.h"
#include "weft/result.h"
#include "weft/wasi_http.h"

namespace weft::serve {

// A component a handler's import is satisfied with, compiled once.
struct PreparedDependency {
  const app::DependencySpec* spec = nullptr;
  std::shared_ptr<const component::Component> component;
  std::shared_ptr<wasi::http::OutboundTransport> transport;  // its own grant; may be null
  std::shared_ptr<component::ComponentLinker> linker;        // its host interfaces
  std::string export_name;  // the provider's export satisfying the import
  std::string import_name;  // the handler's import
};

class WasiHttpHandler : public Handler {
 public:
  // Checks that the component exports wasi:http/incoming-handler and that
  // every import resolves (to a host interface or a dependency), so a bad
  // service fails at start-up. `transport` is the service's outbound grant
  // (null: every outbound request is HTTP-request-denied).
  static Result<std::unique_ptr<WasiHttpHandler>> create(
      const app::ServiceSpec& spec, std::shared_ptr<const component::Component> component,
      std::shared_ptr<wasi::http::OutboundTransport> transport,
      std::vector<PreparedDependency> dependencies);
  ~WasiHttpHandler() override;

  bool streams() const override { return true; }
  // Buffered (behind proxy-wasm filters, which see whole bodies): the
  // response body is collected up to kMaxBufferedResponse.
  Outcome handle(Request& request, RequestControl& control) const override;
  Outcome handle_stream(Request& request, std::shared_ptr<ByteChannel> body,
                        ResponseStream& response, RequestControl& control) const override;

  static constexpr size_t kMaxBufferedResponse = 64u << 20;

  struct Live;  // a store with its instances and states

 private:
  WasiHttpHandler() = default;
  Outcome run(Request& request, std::shared_ptr<ByteChannel> body, wasi::http::ResponseSink& sink,
              RequestControl& control) const;
  Result<std::unique_ptr<Live>> instantiate() const;

  app::ServiceSpec spec_;
  std::shared_ptr<const component::Component> component_;
  std::shared_ptr<wasi::http::OutboundTransport> transport_;
  std::vector<PreparedDependency> dependencies_;
  std::shared_ptr<component::ComponentLinker> linker_;
  std::string export_name_;
  // Sets up the per-request host states of `live` anew (the handler's and
  // each dependency's), pointing the store's context at them.
  Result<void> fresh_states(Live& live) const;

  // instance_reuse > 1: instances that may serve again. Otherwise:
  // instances restored to their checkpoint, with new host states, waiting
  // for a request.
  struct Pool {
    std::mutex mutex;
    std::vector<std::unique_ptr<Live>> lives;
    uint64_t bytes = 0;  // the restored ones' retained_bytes()
  };
  std::shared_ptr<Pool> pool_;  // made by create(), where Live is complete
  // Restored instances kept at most (one per loop thread is what a busy
  // server uses; more only hold memory).
  static constexpr size_t kMaxRecycled = 8;
  static constexpr uint64_t kMaxRecycledBytes = 512ull << 20;
};

// For a service granted no outbound hosts: every request is
// HTTP-request-denied, with a log line naming the service and the origin.
std::shared_ptr<wasi::http::OutboundTransport> denying_transport(std::string who);

// Reads, decodes and validates a component; errors name the file.
// `options` apply to its core modules.
Result<std::shared_ptr<const component::Component>> compile_component_file(
    const std::filesystem::path& path, const CompileOptions& options = {});

}  // namespace weft::serve
