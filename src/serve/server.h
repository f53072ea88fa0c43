// weft — the HTTP/1.1 server (Boost.Beast over Asio).
//
// Threads: one event loop (io_context) per core; an acceptor on the first
// loop hands connections out round-robin. A routed request's guest runs on
// the thread driving its loop (no hand-off to a worker and back); when the
// guest is about to block, or has run past ServerOptions::inline_budget_us,
// a standby thread takes the loop over and the guest finishes on its own
// thread. So a slow guest holds one thread, never a loop. A timer on the
// loop interrupts the guest's store at the service's deadline.
//
// Shutdown (SIGTERM/SIGINT or stop()): stop accepting, close idle
// connections, let in-flight requests finish and answer with
// "Connection: close", then return from run().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "serve/handler.h"
#include "weft/result.h"

namespace weft::serve {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 3000;
  unsigned loops = 0;                       // 0 = one per core
  unsigned workers = 0;                     // 0 = 4 per core, at least 8
  uint32_t header_limit_bytes = 16 * 1024;  // request line + headers → 431 beyond
  uint32_t max_header_count = 100;          // → 431 beyond
  uint64_t body_limit_bytes = 16u << 20;    // → 413 beyond
  uint32_t idle_timeout_ms = 60'000;        // keep-alive connection with no request
  uint32_t read_timeout_ms = 30'000;        // to receive one whole request
  uint32_t shutdown_grace_ms = 60'000;      // in-flight requests get this long
  // A guest runs on the event loop's thread until it blocks or has run
  // this long; then another thread takes the loop over (0: guests always
  // run on the worker pool).
  uint32_t inline_budget_us = 1000;
  // A loop that runs out of work polls its sockets this long before it
  // sleeps in epoll. A keep-alive client's next request usually comes
  // within it and is then served without the kernel waking the thread
  // (on a VM's idle vCPU that wake-up alone costs tens of microseconds,
  // and the sleep leaves the caches cold). It costs at most this much CPU
  // per idle period; under load a loop always has work and never polls.
  uint32_t busy_poll_us = 50;
  bool access_log = true;
  bool handle_signals = true;
};

class Server {
 public:
  Server(const Dispatcher& dispatcher, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; an error names the address.
  Result<void> listen();
  // The bound port (useful with port 0).
  uint16_t port() const;
  // Serves until shutdown; returns once every loop has finished.
  void run();
  // Begins a graceful shutdown; safe from any thread.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::serve
