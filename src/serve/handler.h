// weft — what a route leads to: something that turns a Request into a
// Response on a worker thread, under a deadline.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "serve/http_types.h"
#include "weft/weft.h"

namespace weft::serve {

// Shared between the event loop (whose timer calls time_out) and the worker
// running the guest (which attaches the store's interrupt handle). Either
// order works: a handle attached after the deadline is interrupted at once.
class RequestControl {
 public:
  void attach(const InterruptHandle& handle) {
    std::lock_guard lock(mutex_);
    handle_ = handle;
    if (timed_out_) handle.interrupt();
  }
  void detach() {
    std::lock_guard lock(mutex_);
    handle_.reset();
  }
  void time_out() {
    std::lock_guard lock(mutex_);
    timed_out_ = true;
    if (handle_) handle_->interrupt();
  }
  bool timed_out() const {
    std::lock_guard lock(mutex_);
    return timed_out_;
  }

 private:
  mutable std::mutex mutex_;
  std::optional<InterruptHandle> handle_;
  bool timed_out_ = false;
};

struct Outcome {
  Response response;
  std::string note;    // short, goes on the access-log line ("trap: unreachable")
  std::string detail;  // multi-line (a backtrace, guest stderr), logged separately
};

class Handler {
 public:
  virtual ~Handler() = default;
  // Runs on a worker thread; must not throw; must return even if the guest
  // misbehaves (traps, loops until interrupted, writes garbage).
  virtual Outcome handle(Request& request, RequestControl& control) const = 0;
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
