// weft — wasi:http 0.2 (the proxy world) on the Component Model.
//
// Two directions, both streaming through ByteChannels:
//   * incoming: the embedder (weft's server) gives a request — method,
//     target, headers and a body channel it fills — and calls
//     wasi:http/incoming-handler.handle; the guest's response comes back
//     through a ResponseSink: status and headers the moment the guest sets
//     the outparam, the body as a channel the guest fills while the server
//     drains it.
//   * outgoing: wasi:http/outgoing-handler.handle hands an OutgoingRequest
//     to an OutboundTransport (weft's is libcurl behind an allow-list,
//     src/serve/outbound); no transport means every request is
//     HTTP-request-denied.
//
// Per-store state: add_wasi_http(linker, lookup) defines the host functions
// once on a linker shared by every request; each call finds its request's
// HttpState through `lookup(store)`, so a fresh Store per request needs no
// new linker (and keeps the linker's link cache warm).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "weft/byte_channel.h"
#include "weft/component.h"
#include "weft/wasi_p2.h"

namespace weft::wasi::http {

using FieldList = std::vector<std::pair<std::string, std::string>>;

// wasi:http/types error-code, in WIT order (the discriminant).
enum class ErrorCode : uint8_t {
  DnsTimeout,
  DnsError,  // payload: rcode in `text`
  DestinationNotFound,
  DestinationUnavailable,
  DestinationIpProhibited,
  DestinationIpUnroutable,
  ConnectionRefused,
  ConnectionTerminated,
  ConnectionTimeout,
  ConnectionReadTimeout,
  ConnectionWriteTimeout,
  ConnectionLimitReached,
  TlsProtocolError,
  TlsCertificateError,
  TlsAlertReceived,  // payload: alert message in `text`
  HttpRequestDenied,
  HttpRequestLengthRequired,
  HttpRequestBodySize,  // payload: `size`
  HttpRequestMethodInvalid,
  HttpRequestUriInvalid,
  HttpRequestUriTooLong,
  HttpRequestHeaderSectionSize,  // `size`
  HttpRequestHeaderSize,         // field name in `text`, `size`
  HttpRequestTrailerSectionSize,
  HttpRequestTrailerSize,
  HttpResponseIncomplete,
  HttpResponseHeaderSectionSize,  // `size`
  HttpResponseHeaderSize,         // field name in `text`, `size`
  HttpResponseBodySize,           // `size`
  HttpResponseTrailerSectionSize,
  HttpResponseTrailerSize,
  HttpResponseTransferCoding,  // `text`
  HttpResponseContentCoding,   // `text`
  HttpResponseTimeout,
  HttpUpgradeFailed,
  HttpProtocolError,
  LoopDetected,
  ConfigurationError,
  InternalError,  // `text`
};
const char* label(ErrorCode code);

struct HttpError {
  ErrorCode code = ErrorCode::InternalError;
  std::optional<std::string> text;
  std::optional<uint64_t> size;
  std::string describe() const;  // "connection-refused", "internal-error: reason"
};

// ---- outgoing --------------------------------------------------------------

struct Timeouts {  // nanoseconds, as wasi:clocks durations; nullopt = default
  std::optional<uint64_t> connect_ns, first_byte_ns, between_bytes_ns;
};

struct OutgoingRequest {
  std::string method;     // "GET", or the guest's other(string)
  std::string scheme;     // "http", "https" (lower case)
  std::string authority;  // "host:port" or "host"
  std::string path_with_query = "/";
  FieldList headers;
  // The guest writes the request body here while the request is in
  // flight; the transport reads it (finish() = end of body).
  std::shared_ptr<ByteChannel> body;
  Timeouts timeouts;
};

struct IncomingResponse {
  uint16_t status = 0;
  FieldList headers;
  // The transport writes the response body (and finish()es it with any
  // trailers, or fail()s it); the guest reads it.
  std::shared_ptr<ByteChannel> body;
};

// A response on its way: the transport completes it once, from any
// thread; the guest polls it. Thread-safe.
class PendingResponse {
 public:
  void complete(IncomingResponse response);
  void fail(HttpError error);
  bool ready() const;
  // The guest dropped the future: a transport should stop (and drop the
  // request) when it sees this.
  void cancel();
  bool cancelled() const;
  // Once ready(): the response or the error (taken once; later calls get
  // nullopt).
  std::optional<std::pair<std::optional<IncomingResponse>, std::optional<HttpError>>> take();
  void set_waker(std::shared_ptr<Waker> waker);
  // Blocks until ready, the deadline, or interrupted (checked every 50 ms).
  bool wait(ByteChannel::Clock::time_point deadline, const std::function<bool()>& interrupted);

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool ready_ = false, taken_ = false, cancelled_ = false;
  std::optional<IncomingResponse> response_;
  std::optional<HttpError> error_;
  std::shared_ptr<Waker> waker_;
};

class OutboundTransport {
 public:
  virtual ~OutboundTransport() = default;
  // Starts the request; returns at once. An immediate refusal (a denied
  // origin, a malformed authority) may complete the result before
  // returning. Thread-safe.
  virtual std::shared_ptr<PendingResponse> send(OutgoingRequest request) = 0;
};

// ---- incoming ----------------------------------------------------------------

struct IncomingRequest {
  std::string method;           // as sent: "GET", "PURGE"
  std::string scheme = "http";  // "http" or "https"
  std::string authority;        // the Host header
  std::string path_with_query;  // the request target, "/a?b"
  FieldList headers;
  // The server fills it; nullptr or finished at once means no body.
  std::shared_ptr<ByteChannel> body;
};

// Where the guest's response goes. start() is called at most once, on the
// guest's thread, when the guest sets the outparam to a response: the
// server sends the head while the guest writes the body into `body`
// (content_length set when the guest gave a valid content-length header).
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void start(uint16_t status, FieldList headers, std::optional<uint64_t> content_length,
                     std::shared_ptr<ByteChannel> body) = 0;
  // The guest is about to block: a sink holding the head back (to send it
  // with the first bytes) must send it now.
  virtual void flush() {}
};

struct HttpLimits {
  size_t max_outbound_in_flight = 16;  // per instance; beyond: connection-limit-reached
  uint64_t default_connect_ns = 10'000'000'000ull;
  uint64_t default_first_byte_ns = 30'000'000'000ull;
  uint64_t default_between_bytes_ns = 30'000'000'000ull;
};

// One request's (one instance's) wasi:http state, beside its P2State.
class HttpState {
 public:
  HttpState(std::shared_ptr<P2State> p2, std::shared_ptr<OutboundTransport> transport,
            HttpLimits limits = {});
  ~HttpState();
  HttpState(const HttpState&) = delete;
  HttpState& operator=(const HttpState&) = delete;

  P2State& p2() { return *p2_; }
  const std::shared_ptr<P2State>& p2_ptr() const { return p2_; }

  // Makes the incoming-request and response-outparam resources for a call
  // of incoming-handler.handle: the two own handles' values to pass.
  Result<std::pair<component::Val, component::Val>> begin_incoming(IncomingRequest request,
                                                                   ResponseSink& sink);
  // After handle returned (or trapped): whether the guest set the outparam,
  // the error-code it set instead of a response, and whether its body
  // ended properly (finish called) or was abandoned.
  struct Outcome {
    bool responded = false;          // outparam set with a response
    std::optional<HttpError> error;  // outparam set with an error-code
    bool body_finished = false;      // outgoing-body.finish was called
  };
  Outcome outcome() const;
  // Ends the call: a body not finished is failed (the server closes the
  // connection), pending outbound requests are cancelled, and `sink` is
  // forgotten (the guest's blocking waits flush it until then).
  void end_incoming();

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::shared_ptr<P2State> p2_;
  std::unique_ptr<Impl> impl_;
};

// Finds the HttpState of the store a host function is called in.
using HttpStateLookup = std::function<HttpState*(Store&)>;

// Defines wasi:http/types, wasi:http/outgoing-handler (at 0.2.12; guests
// of any 0.2.x link by semver) on `linker`, plus every WASI 0.2 interface
// through add_wasi_p2 with the P2State of each HttpState.
void add_wasi_http(component::ComponentLinker& linker, HttpStateLookup lookup);

// incoming-handler's export name in `component`, e.g.
// "wasi:http/incoming-handler@0.2.10", or an error saying what it exports.
Result<std::string> incoming_handler_export(const component::Component& component);

}  // namespace weft::wasi::http
