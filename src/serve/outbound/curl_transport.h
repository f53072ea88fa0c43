// weft — the outbound HTTP transport behind wasi:http/outgoing-handler:
// libcurl's multi interface on one background thread per transport.
//
// send() checks the request against the allow-list and the concurrency cap
// and hands it to the thread; it never blocks on the network. The thread
// runs curl_multi_poll and moves bytes between curl and the two
// ByteChannels: the guest's request body (READFUNCTION pulls, pausing the
// upload when the channel is empty) and the response body (WRITEFUNCTION
// pushes, pausing the download when the channel is full). The channels'
// wakers only set a flag and call curl_multi_wakeup; the thread unpauses
// (curl_easy_pause is not safe off the multi thread).
//
// Memory per transfer is bounded: the response channel's capacity, one
// curl buffer of spill (a write callback's chunk that did not fit), curl's
// own receive buffer, and at most max_response_header_bytes of headers.
//
// Errors are wasi:http error codes: the PendingResponse fails with an
// HttpError before the response head, and the response body channel fails
// with a reason that starts with the error's label (HttpError::describe(),
// e.g. "connection-read-timeout: no body bytes for 300 ms") after it.
//
// Wire behaviour follows Wasmtime's default client (hyper): headers go out
// as the guest gave them, with Host from the authority and nothing added —
// no User-Agent, no Accept, no Expect: 100-continue. A request body is
// sent chunked unless the guest gave a content-length. No redirects, no
// proxies from the environment, no cookies, no content decoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "serve/outbound/allowed_hosts.h"
#include "weft/wasi_http.h"

namespace weft::serve::outbound {

struct CurlTransportOptions {
  AllowedHosts allowed;  // empty: every request is HTTP-request-denied
  // Requests in flight at once (from send() until the response body ends);
  // beyond: connection-limit-reached.
  size_t max_in_flight = 64;
  // Used where the request's Timeouts leave a value unset.
  uint64_t default_connect_ns = 10'000'000'000ull;
  uint64_t default_first_byte_ns = 30'000'000'000ull;
  uint64_t default_between_bytes_ns = 30'000'000'000ull;
  // Status line and header fields of one response, together; beyond:
  // HTTP-response-header-section-size.
  size_t max_response_header_bytes = 64 * 1024;
  size_t response_body_capacity = ByteChannel::kDefaultCapacity;
  // A PEM file of CAs to trust instead of the system's (empty: the
  // system's, /etc/ssl/certs through OpenSSL).
  std::string ca_file;
  // One line per event worth an operator's attention (a denied origin).
  // Called from send()'s thread or the transport's; may be empty.
  std::function<void(std::string_view)> log;
};

class CurlTransport final : public wasi::http::OutboundTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options);
  // Aborts transfers still in flight (their PendingResponse or body
  // channel fails with connection-terminated) and joins the thread.
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  std::shared_ptr<wasi::http::PendingResponse> send(wasi::http::OutgoingRequest request) override;

  // Requests accepted and not yet finished (for tests and metrics).
  size_t in_flight() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::serve::outbound
