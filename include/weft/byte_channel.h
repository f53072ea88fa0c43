// weft — a bounded byte channel between two threads, for bodies that
// stream: an HTTP request body from the server's event loop into a guest's
// input-stream, a guest's output-stream out to the socket, an outbound
// response from the HTTP client into the guest.
//
// One producer, one consumer, each on any thread. Backpressure: write()
// takes at most capacity() - buffered() bytes, so a producer that outruns
// its consumer is told to wait, and the bytes in flight never exceed the
// capacity (a 1 GiB body costs capacity bytes, never 1 GiB).
//
// Waiting: a side that may block (a guest's worker thread) calls
// wait_readable()/wait_writable() with a deadline and an interrupt check; a
// side that must not block (an event loop) registers a Waker, which the
// channel calls (from the other side's thread, outside the channel's lock)
// whenever there may be something to do: new bytes, free space, the end,
// an error, or the other side gone. A waker must be cheap and must not call
// back into the channel synchronously in a way that needs the other side:
// posting to an io_context or writing an eventfd are the intended uses.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft {

class Waker {
 public:
  virtual ~Waker() = default;
  virtual void wake() = 0;
};

class ByteChannel {
 public:
  static constexpr size_t kDefaultCapacity = 256 * 1024;
  explicit ByteChannel(size_t capacity = kDefaultCapacity);

  using Clock = std::chrono::steady_clock;
  using Trailers = std::vector<std::pair<std::string, std::string>>;

  // ---- producer ----
  // Appends up to writable() bytes of `bytes`; returns how many it took.
  // 0 when full, when finished or failed, or when the consumer is gone
  // (consumer_gone() tells which).
  size_t write(std::string_view bytes);
  size_t writable() const;
  // The end of the body, with optional trailers. Later writes take nothing.
  void finish(Trailers trailers = {});
  // The producer gave up (a guest trapped mid-body, an upstream reset):
  // the consumer sees failed() once the buffered bytes are read.
  void fail(std::string reason);
  bool consumer_gone() const;

  // ---- consumer ----
  // Takes up to `max` buffered bytes (fewer, or none, if fewer are there).
  std::string read(size_t max);
  size_t buffered() const;
  // Nothing buffered and the producer finished / failed.
  bool at_end() const;
  bool failed() const;
  std::string failure() const;
  // Trailers given to finish(), once at_end() (taken once).
  std::optional<Trailers> take_trailers();
  // The consumer will read no more (a guest dropped its stream, the
  // client hung up): writes take nothing from now on and the buffer is
  // discarded.
  void close_consumer();
  // Whether a producer has ever finished or failed (bytes may remain).
  bool producer_done() const;

  // ---- waiting ----
  // Blocks until readable (bytes, end or failure), `deadline` passes, or
  // `interrupted()` is true (checked at least every 50 ms). True if readable.
  bool wait_readable(Clock::time_point deadline, const std::function<bool()>& interrupted);
  // Blocks until writable (free space, or the consumer gone). True if so.
  bool wait_writable(Clock::time_point deadline, const std::function<bool()>& interrupted);
  bool readable() const;
  bool has_space() const;  // writable() > 0, or writes are pointless (done/gone)

  // Wakers for the non-blocking sides; the previous one is replaced.
  void set_reader_waker(std::shared_ptr<Waker> waker);
  void set_writer_waker(std::shared_ptr<Waker> waker);

  size_t capacity() const { return capacity_; }
  // Bytes ever written / ever read (for content-length checks and logs).
  uint64_t total_written() const;
  uint64_t total_read() const;

 private:
  bool readable_locked() const;
  bool has_space_locked() const;
  void wake_reader(std::unique_lock<std::mutex>& lock);
  void wake_writer(std::unique_lock<std::mutex>& lock);

  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  size_t front_offset_ = 0;  // bytes of chunks_.front() already read
  size_t buffered_ = 0;
  uint64_t written_ = 0, read_ = 0;
  bool finished_ = false;
  bool failed_ = false;
  bool consumer_gone_ = false;
  std::string failure_;
  std::optional<Trailers> trailers_;
  std::shared_ptr<Waker> reader_waker_, writer_waker_;
};

}  // namespace weft
