// weft — what a route leads to: something that turns a Request into a
// Response on a worker thread, under a deadline.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "serve/http_types.h"
#include "weft/byte_channel.h"
#include "weft/weft.h"

namespace weft::serve {

// Shared between the event loop (whose timer calls time_out) and the worker
// running the guest (which attaches the store's interrupt handle). Either
// order works: a handle attached after the deadline is interrupted at once.
class RequestControl {
 public:
  // `also` runs beside the store's interrupt: a guest blocked in a host
  // call (WASI 0.2's poll, a body read) waits on its WASI state's flag,
  // not on the store's.
  void attach(const InterruptHandle& handle, std::function<void()> also = {}) {
    std::lock_guard lock(mutex_);
    handle_ = handle;
    also_ = std::move(also);
    if (timed_out_) {
      handle.interrupt();
      if (also_) also_();
    }
  }
  void detach() {
    std::lock_guard lock(mutex_);
    handle_.reset();
    also_ = nullptr;
  }
  void time_out() {
    std::lock_guard lock(mutex_);
    timed_out_ = true;
    if (handle_) handle_->interrupt();
    if (also_) also_();
  }
  bool timed_out() const {
    std::lock_guard lock(mutex_);
    return timed_out_;
  }
  // The guest is about to wait (WASI 0.2's poll, a body stream with no
  // data or no room): a guest running on an event loop's thread gives the
  // loop to another thread first. Set and called on the guest's thread.
  void set_before_block(std::function<void()> fn) { before_block_ = std::move(fn); }
  void before_block() const {
    if (before_block_) before_block_();
  }

 private:
  mutable std::mutex mutex_;
  std::optional<InterruptHandle> handle_;
  std::function<void()> also_;
  bool timed_out_ = false;
  std::function<void()> before_block_;
};

struct Outcome {
  Response response;
  std::string note;    // short, goes on the access-log line ("trap: unreachable")
  std::string detail;  // multi-line (a backtrace, guest stderr), logged separately
  // A streaming handler started its response (ResponseStream::start):
  // `response` is not sent; a body channel that failed closes the
  // connection instead of ending the body.
  bool streamed = false;
  // What the handler wants destroyed only after the server has the
  // outcome (a request's store and instances): teardown then overlaps the
  // next request on the connection instead of delaying it.
  std::shared_ptr<void> release_after = nullptr;
};

// Where a streaming handler sends its response head, from its worker
// thread, at most once; the server writes the head at once and the body
// as it arrives in `body` (chunked when there is no content length),
// draining it at the client's pace so that the guest feels backpressure.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual void start(unsigned status, HeaderList headers, std::optional<uint64_t> content_length,
                     std::shared_ptr<ByteChannel> body) = 0;
  // The handler is about to wait (on its guest's I/O): a head held back
  // must go out now.
  virtual void flush() {}
};

class Handler {
 public:
  virtual ~Handler() = default;
  // Runs on a worker thread; must not throw; must return even if the guest
  // misbehaves (traps, loops until interrupted, writes garbage). The
  // request body is whole in request.body.
  virtual Outcome handle(Request& request, RequestControl& control) const = 0;

  // A handler that streams bodies both ways says so; the server then calls
  // handle_stream instead, with request.body empty and the body arriving
  // in `body` while the guest runs (finished at its end, failed if the
  // client goes away).
  virtual bool streams() const { return false; }
  virtual Outcome handle_stream(Request& request, std::shared_ptr<ByteChannel> body,
                                ResponseStream& response, RequestControl& control) const {
    (void)body;
    (void)response;
    return handle(request, control);
  }
};

// What routing yields: the handler and the limits the server enforces
// around it.
struct RoutedService {
  std::string_view service_name;  // lives as long as the dispatcher
  uint32_t timeout_ms = 30'000;
  const Handler* handler = nullptr;
};

// Routes a request (filling its routing fields); nullopt → 404. Called on
// an event loop, so it must be quick and must not run guest code.
class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  virtual std::optional<RoutedService> route(Request& request) const = 0;
};

}  // namespace weft::serve
