// Internal to src/wasi/http: the host objects behind wasi:http resources.
// They live in the WASI 0.2 resource table as Extensions (wasi/p2/state.h),
// so reps stay unique across wasi:io's and wasi:http's types, and a
// destructor is where a resource's drop takes effect (an outgoing body
// dropped without finish fails its channel; a dropped future cancels).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wasi/p2/state.h"
#include "weft/wasi_http.h"

namespace weft::wasi::http {

// Header names are kept lower-case (as wasmtime's http::HeaderMap does),
// values as bytes.
struct FieldsObj {
  std::shared_ptr<FieldList> list;
  bool immutable = false;
};

struct IncomingRequestObj {
  std::string method, scheme, authority, path_with_query;
  std::shared_ptr<FieldList> headers;
  std::shared_ptr<ByteChannel> body;
  bool consumed = false;
};

// What an incoming body needs when its stream goes: nothing to report,
// but the server learns the guest will read no more.
struct IncomingBodyObj {
  std::shared_ptr<ByteChannel> channel;
  bool stream_taken = false;
  std::shared_ptr<bool> stream_alive;  // the child input-stream, until dropped
};

struct FutureTrailersObj {
  std::shared_ptr<ByteChannel> channel;
  bool taken = false;
};

// Shared by an outgoing body and whoever waits for it to end.
struct BodyProgress {
  bool finished = false;
};

struct OutgoingBodyObj {
  std::shared_ptr<ByteChannel> channel;
  std::shared_ptr<BodyProgress> progress;
  std::optional<uint64_t> content_length;
  bool is_request = false;  // which error-code a wrong length gets
  bool stream_taken = false;
  std::shared_ptr<bool> stream_alive;  // the child output-stream, until dropped
  ~OutgoingBodyObj() {
    // Dropped without finish: the body is corrupt, so the reader must not
    // take what it got for the whole (the server closes the connection).
    if (channel && !progress->finished) channel->fail("body dropped without outgoing-body.finish");
  }
};

struct OutgoingResponseObj {
  uint16_t status = 200;
  std::shared_ptr<FieldList> headers;
  std::shared_ptr<ByteChannel> body;  // made by body()
  std::shared_ptr<BodyProgress> progress;
  std::optional<uint64_t> content_length;
  bool body_taken = false;
};

struct ResponseOutparamObj {
  bool set = false;
};

struct OutgoingRequestObj {
  std::string method = "GET";
  std::optional<std::string> scheme;  // "http", "https", or another
  std::optional<std::string> authority;
  std::optional<std::string> path_with_query;
  std::shared_ptr<FieldList> headers;
  std::shared_ptr<ByteChannel> body;  // made by body()
  std::shared_ptr<BodyProgress> progress;
  std::optional<uint64_t> content_length;
  bool body_taken = false;
};

struct RequestOptionsObj {
  Timeouts timeouts;
  bool immutable = false;
};

struct FutureResponseObj {
  std::shared_ptr<PendingResponse> pending;
  bool taken = false;
  ~FutureResponseObj() {
    if (pending && !pending->ready()) pending->cancel();
  }
};

struct IncomingResponseObj {
  uint16_t status = 0;
  std::shared_ptr<FieldList> headers;
  std::shared_ptr<ByteChannel> body;
  bool consumed = false;
};

}  // namespace weft::wasi::http
