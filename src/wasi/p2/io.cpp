// wasi:io — error, poll and streams — over stdio (inherited fds, captured
// buffers or null, as wasi::Config says) and files.
//
// Writes complete before they return (the host has no background I/O), so
// an output stream is always ready, flush has nothing to wait for, and a
// write error is reported by the write itself; the stream is closed after
// it, as the WIT's "last-operation-failed" implies.
#include <fcntl.h>
#include <poll.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "wasi/p2/state.h"

namespace weft::wasi::p2 {

namespace {

using component::HostCall;

// check-write's permit: how much one write may carry. Writes finish
// synchronously, so this only bounds what one call moves.
constexpr uint64_t kWritePermit = 64 * 1024;
// The WIT's limit for the blocking convenience calls.
constexpr uint64_t kBlockingLimit = 4096;

struct timespec to_timespec(uint64_t ns) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000ull);
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000ull);
  return ts;
}

constexpr uint64_t kWaitSliceNs = 50'000'000;

Error interrupted_trap() {
  return Error::make_trap(TrapKind::Interrupted, "interrupted while blocked in WASI");
}

bool fd_readable_now(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;  // an error counts as ready: the read reports it
}

bool pollable_ready(const Pollable& p, uint64_t now) {
  switch (p.kind) {
    case Pollable::Kind::Ready:
      return true;
    case Pollable::Kind::Timer:
      return now >= p.deadline_ns;
    case Pollable::Kind::FdReadable:
      return fd_readable_now(p.fd);
    case Pollable::Kind::Custom:
      return !p.ready || p.ready();
  }
  return true;
}

// Blocks until at least one pollable is ready; their indices, in order.
Result<std::vector<uint32_t>> wait_any(HostState& host, const std::vector<const Pollable*>& ps) {
  for (;;) {
    if (host.ctx->interrupted()) return interrupted_trap();
    const uint64_t now = monotonic_now_ns();
    std::vector<uint32_t> ready;
    uint64_t next_deadline = UINT64_MAX;
    std::vector<struct pollfd> fds;
    bool custom_pending = false;
    // Drained before the checks: a wake that comes after them leaves the
    // counter set, so ppoll returns at once and nothing is missed.
    if (host.waker) host.waker->drain();
    for (size_t i = 0; i < ps.size(); ++i) {
      const Pollable& p = *ps[i];
      if (p.kind == Pollable::Kind::Custom) {
        if (pollable_ready(p, now))
          ready.push_back(static_cast<uint32_t>(i));
        else
          custom_pending = true;
      } else if (p.kind == Pollable::Kind::FdReadable) {
        fds.push_back({p.fd, POLLIN, 0});
        if (fd_readable_now(p.fd)) ready.push_back(static_cast<uint32_t>(i));
      } else if (pollable_ready(p, now)) {
        ready.push_back(static_cast<uint32_t>(i));
      } else {
        next_deadline = std::min(next_deadline, p.deadline_ns);
      }
    }
    if (!ready.empty()) return ready;
    if (host.before_block) host.before_block();
    if (custom_pending) fds.push_back({host.guest_waker()->fd(), POLLIN, 0});
    const uint64_t left = next_deadline - now;  // next_deadline > now here
    const struct timespec ts = to_timespec(std::min(left, kWaitSliceNs));
    ppoll(fds.data(), fds.size(), &ts, nullptr);
  }
}

// ---- output -------------------------------------------------------------------

struct Outcome {
  bool ok = true;
  std::string message;
  std::optional<ErrorCode> code;
  bool closed = false;   // not an error: the other side is gone
  std::any detail = {};  // for ErrorObj::detail
};

Outcome failure(int e) { return {false, std::strerror(e), code_of_errno(e)}; }

// write(2) until done; a non-blocking fd (an inherited pipe, say) is waited
// on, until the state is interrupted.
Outcome write_fd(HostState& host, int fd, const uint8_t* data, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::write(fd, data + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        if (host.ctx->interrupted()) return failure(EINTR);
        struct pollfd p = {fd, POLLOUT, 0};
        ::poll(&p, 1, 100);
        continue;
      }
      return failure(errno);
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

// Into a body channel, waiting for room (a write within check-write's
// permit never waits: only this stream adds to the channel).
Outcome write_channel(HostState& host, OutputStream& s, const uint8_t* data, size_t len) {
  ByteChannel& ch = *s.channel;
  if (len > s.limit - std::min(s.limit, ch.total_written())) {
    Outcome out{false, "body longer than its content-length of " + std::to_string(s.limit), {}};
    out.detail = s.limit_error;
    ch.fail(out.message);
    return out;
  }
  std::string_view rest(reinterpret_cast<const char*>(data), len);
  while (!rest.empty()) {
    rest.remove_prefix(ch.write(rest));
    if (rest.empty()) break;
    if (ch.consumer_gone() || ch.producer_done()) return Outcome{true, {}, {}, true, {}};
    if (host.before_block) host.before_block();
    ch.wait_writable(ByteChannel::Clock::time_point::max(), [&] { return host.interrupted(); });
    if (host.interrupted()) return failure(EINTR);
  }
  return {};
}

Outcome write_stream(HostState& host, OutputStream& s, const uint8_t* data, size_t len) {
  if (len == 0) return {};
  switch (s.kind) {
    case OutputStream::Kind::Channel:
      return write_channel(host, s, data, len);
    case OutputStream::Kind::Stdout:
    case OutputStream::Kind::Stderr: {
      const int stream = s.kind == OutputStream::Kind::Stdout ? 1 : 2;
      const Config& config = host.ctx->config();
      switch (stream == 1 ? config.stdout_mode : config.stderr_mode) {
        case Config::Stdio::Inherit:
          return write_fd(host, stream, data, len);
        case Config::Stdio::Null:
          return {};
        case Config::Stdio::Buffer:
          if (host.ctx->append_output(stream, data, len) < len) {
            // Past the capture limit the guest sees a full disk, as in preview1.
            return {false, "captured output exceeds its limit", ErrorCode::FileTooLarge};
          }
          return {};
      }
      return {};
    }
    case OutputStream::Kind::File: {
      size_t done = 0;
      while (done < len) {
        ssize_t n =
            pwrite(s.file->fd.get(), data + done, len - done, static_cast<off_t>(s.position));
        if (n < 0) {
          if (errno == EINTR) continue;
          return failure(errno);
        }
        done += static_cast<size_t>(n);
        s.position += static_cast<uint64_t>(n);
      }
      return {};
    }
    case OutputStream::Kind::Append: {
      size_t done = 0;
      while (done < len) {
        struct iovec iov = {const_cast<uint8_t*>(data + done), len - done};
        // RWF_APPEND appends whatever the fd's own O_APPEND says.
        ssize_t n = pwritev2(s.file->fd.get(), &iov, 1, -1, RWF_APPEND);
        if (n < 0) {
          if (errno == EINTR) continue;
          return failure(errno);
        }
        done += static_cast<size_t>(n);
      }
      return {};
    }
  }
  return {};
}

// Writes and turns the outcome into result<_, stream-error>.
HostResult finish_write(HostState& host, OutputStream& s, const uint8_t* data, size_t len) {
  Outcome out = write_stream(host, s, data, len);
  if (out.closed) {
    s.closed = true;
    return Val::err(stream_closed());
  }
  if (out.ok) return unit_ok();
  s.closed = true;
  auto failed = push_own(host, ErrorObj{std::move(out.message), out.code, std::move(out.detail)});
  if (!failed) return std::move(failed).error();
  return Val::err(Val::variant("last-operation-failed", std::move(failed).value(), 0));
}

// ---- input ----------------------------------------------------------------------

struct ReadOutcome {
  std::string data;
  bool closed = false;
  Outcome error;  // ok unless the read failed
};

Result<ReadOutcome> read_channel(HostState& host, InputStream& s, size_t want, bool blocking) {
  ByteChannel& ch = *s.channel;
  ReadOutcome out;
  if (blocking && !ch.readable()) {
    if (host.before_block) host.before_block();
    ch.wait_readable(ByteChannel::Clock::time_point::max(), [&] { return host.interrupted(); });
    if (host.interrupted()) return interrupted_trap();
  }
  out.data = ch.read(want);
  if (!out.data.empty()) return out;
  if (ch.failed()) {
    out.error = Outcome{false, ch.failure(), {}};
    out.error.detail = std::string("channel-failed");
  } else if (ch.at_end()) {
    out.closed = true;
  }
  return out;
}

Result<ReadOutcome> read_stream(HostState& host, InputStream& s, uint64_t len, bool blocking) {
  ReadOutcome out;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(len, kMaxReadBytes));
  if (want == 0) return out;
  if (s.kind == InputStream::Kind::Channel) return read_channel(host, s, want, blocking);
  if (s.kind == InputStream::Kind::File) {
    out.data.resize(want);
    ssize_t n;
    do {
      n = pread(s.file->fd.get(), out.data.data(), want, static_cast<off_t>(s.position));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      out.error = failure(errno);
      out.data.clear();
      return out;
    }
    out.data.resize(static_cast<size_t>(n));
    s.position += static_cast<uint64_t>(n);
    out.closed = n == 0;
    return out;
  }
  switch (host.ctx->config().stdin_mode) {
    case Config::Stdio::Null:
      out.closed = true;
      return out;
    case Config::Stdio::Buffer: {
      out.data.resize(want);
      const size_t n = host.ctx->read_stdin(reinterpret_cast<uint8_t*>(out.data.data()), want);
      out.data.resize(n);
      out.closed = n == 0;
      return out;
    }
    case Config::Stdio::Inherit:
      break;
  }
  if (blocking) {
    auto readable = wait_readable(host, 0, UINT64_MAX);
    if (!readable) return std::move(readable).error();
  } else if (!fd_readable_now(0)) {
    return out;  // nothing yet: an empty read, not an end
  }
  out.data.resize(want);
  ssize_t n;
  do {
    n = ::read(0, out.data.data(), want);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    out.data.clear();
    if (errno != EAGAIN) out.error = failure(errno);
    return out;
  }
  out.data.resize(static_cast<size_t>(n));
  out.closed = n == 0;
  return out;
}

// read/blocking-read/skip/blocking-skip: the stream-error cases shared.
Result<std::optional<Val>> stream_error_result(HostState& host, InputStream& s,
                                               const ReadOutcome& r) {
  if (!r.error.ok) {
    s.closed = true;
    auto failed = push_own(host, ErrorObj{r.error.message, r.error.code, r.error.detail});
    if (!failed) return std::move(failed).error();
    return std::optional<Val>(
        Val::err(Val::variant("last-operation-failed", std::move(failed).value(), 0)));
  }
  if (r.closed) {
    s.closed = true;
    return std::optional<Val>(Val::err(stream_closed()));
  }
  return std::optional<Val>();
}

HostResult input_read(HostState& host, std::vector<Val>& args, bool blocking, bool skip) {
  auto s = lookup<InputStream>(host, args[0], "input-stream");
  if (!s) return std::move(s).error();
  InputStream& stream = **s;
  if (stream.closed) return Val::err(stream_closed());
  auto r = read_stream(host, stream, args[1].bits, blocking);
  if (!r) return std::move(r).error();
  auto error = stream_error_result(host, stream, *r);
  if (!error) return std::move(error).error();
  if (error->has_value()) return std::move(error).value();
  if (skip) return Val::ok(Val::u64(r->data.size()));
  return Val::ok(bytes_val(reinterpret_cast<const uint8_t*>(r->data.data()), r->data.size()));
}

HostResult output_write(HostState& host, std::vector<Val>& args, bool blocking) {
  auto s = lookup<OutputStream>(host, args[0], "output-stream");
  if (!s) return std::move(s).error();
  OutputStream& stream = **s;
  const uint64_t len = args[1].list_size();
  if (blocking && len > kBlockingLimit) {
    return trap("blocking-write-and-flush of " + std::to_string(len) +
                " bytes: at most 4096 per call");
  }
  if (stream.closed) return Val::err(stream_closed());
  if (!blocking) {
    if (len > stream.permit) {
      return trap("output-stream.write of " + std::to_string(len) +
                  " bytes exceeds the check-write permit of " + std::to_string(stream.permit));
    }
    stream.permit -= len;
  }
  auto bytes = bytes_arg(args[1]);
  if (!bytes) return std::move(bytes).error();
  return finish_write(host, stream, reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
}

HostResult output_zeroes(HostState& host, std::vector<Val>& args, bool blocking) {
  auto s = lookup<OutputStream>(host, args[0], "output-stream");
  if (!s) return std::move(s).error();
  OutputStream& stream = **s;
  const uint64_t len = args[1].bits;
  if (blocking && len > kBlockingLimit) {
    return trap("blocking-write-zeroes-and-flush of " + std::to_string(len) +
                " bytes: at most 4096 per call");
  }
  if (stream.closed) return Val::err(stream_closed());
  if (!blocking) {
    if (len > stream.permit) {
      return trap("output-stream.write-zeroes of " + std::to_string(len) +
                  " bytes exceeds the check-write permit of " + std::to_string(stream.permit));
    }
    stream.permit -= len;
  }
  const std::string zeroes(static_cast<size_t>(len), '\0');
  return finish_write(host, stream, reinterpret_cast<const uint8_t*>(zeroes.data()), zeroes.size());
}

HostResult output_splice(HostState& host, std::vector<Val>& args, bool blocking) {
  auto dst = lookup<OutputStream>(host, args[0], "output-stream");
  if (!dst) return std::move(dst).error();
  auto src = lookup<InputStream>(host, args[1], "input-stream");
  if (!src) return std::move(src).error();
  OutputStream& out = **dst;
  InputStream& in = **src;
  if (out.closed) return Val::err(stream_closed());
  if (in.closed) return Val::err(stream_closed());
  // As much as a check-write would permit, without needing one.
  auto r = read_stream(host, in, std::min<uint64_t>(args[2].bits, kWritePermit), blocking);
  if (!r) return std::move(r).error();
  auto error = stream_error_result(host, in, *r);
  if (!error) return std::move(error).error();
  if (error->has_value()) return std::move(error).value();
  auto written =
      finish_write(host, out, reinterpret_cast<const uint8_t*>(r->data.data()), r->data.size());
  if (!written) return written;
  if (written->has_value() && (*written)->discriminant == 1) return written;
  return Val::ok(Val::u64(r->data.size()));
}

HostResult subscribe_ready(HostState& host) {
  auto p = push_own(host, Pollable{});
  if (!p) return std::move(p).error();
  return std::move(p).value();
}

}  // namespace

void define_io(Definitions& defs) {
  const std::string error = "wasi:io/error";
  const std::string poll = "wasi:io/poll";
  const std::string streams = "wasi:io/streams";
  using K = ValKind;

  // ---- wasi:io/error
  defs.resource<ErrorObj>(error, "error");
  defs.func(error, "[method]error.to-debug-string", {K::Borrow},
            [](HostState& host, std::vector<Val>& args) -> HostResult {
              auto e = lookup<ErrorObj>(host, args[0], "error");
              if (!e) return std::move(e).error();
              return Val::string((*e)->message);
            });

  // ---- wasi:io/poll
  defs.resource<Pollable>(poll, "pollable");
  defs.func(poll, "[method]pollable.ready", {K::Borrow},
            [](HostState& host, std::vector<Val>& args) -> HostResult {
              auto p = lookup<Pollable>(host, args[0], "pollable");
              if (!p) return std::move(p).error();
              return Val::boolean(pollable_ready(**p, monotonic_now_ns()));
            });
  defs.func(poll, "[method]pollable.block", {K::Borrow},
            [](HostState& host, std::vector<Val>& args) -> HostResult {
              auto p = lookup<Pollable>(host, args[0], "pollable");
              if (!p) return std::move(p).error();
              auto ready = wait_any(host, {*p});
              if (!ready) return std::move(ready).error();
              return std::optional<Val>();
            });
  defs.func(poll, "poll", {K::List}, [](HostState& host, std::vector<Val>& args) -> HostResult {
    const auto& items = args[0].items;
    if (items.empty()) return trap("wasi:io/poll.poll called with no pollables");
    if (items.size() > UINT32_MAX) return trap("wasi:io/poll.poll: too many pollables");
    std::vector<const Pollable*> ps;
    ps.reserve(items.size());
    for (const Val& item : items) {
      if (item.kind != K::Borrow && item.kind != K::Own) {
        return trap(std::string("wasi:io/poll.poll: list element is ") +
                    component::to_string(item.kind));
      }
      auto p = lookup<Pollable>(host, item, "pollable");
      if (!p) return std::move(p).error();
      ps.push_back(*p);
    }
    auto ready = wait_any(host, ps);
    if (!ready) return std::move(ready).error();
    std::vector<Val> out;
    out.reserve(ready->size());
    for (uint32_t i : *ready) out.push_back(Val::u32(i));
    return Val::list(std::move(out));
  });

  // ---- wasi:io/streams: input-stream
  defs.resource<InputStream>(streams, "input-stream");
  defs.func(
      streams, "[method]input-stream.read", {K::Borrow, K::U64},
      [](HostState& host, std::vector<Val>& args) { return input_read(host, args, false, false); });
  defs.func(
      streams, "[method]input-stream.blocking-read", {K::Borrow, K::U64},
      [](HostState& host, std::vector<Val>& args) { return input_read(host, args, true, false); });
  defs.func(
      streams, "[method]input-stream.skip", {K::Borrow, K::U64},
      [](HostState& host, std::vector<Val>& args) { return input_read(host, args, false, true); });
  defs.func(
      streams, "[method]input-stream.blocking-skip", {K::Borrow, K::U64},
      [](HostState& host, std::vector<Val>& args) { return input_read(host, args, true, true); });
  defs.func(streams, "[method]input-stream.subscribe", {K::Borrow},
            [](HostState& host, std::vector<Val>& args) -> HostResult {
              auto s = lookup<InputStream>(host, args[0], "input-stream");
              if (!s) return std::move(s).error();
              Pollable p;
              if ((*s)->kind == InputStream::Kind::Channel) {
                p.kind = Pollable::Kind::Custom;
                p.ready = [ch = (*s)->channel] { return ch->readable(); };
              } else if ((*s)->kind == InputStream::Kind::Stdin &&
                         host.ctx->config().stdin_mode == Config::Stdio::Inherit) {
                p.kind = Pollable::Kind::FdReadable;
                p.fd = 0;
              }
              auto rep = push_own(host, p);
              if (!rep) return std::move(rep).error();
              return std::move(rep).value();
            });

  // ---- wasi:io/streams: output-stream
  defs.resource<OutputStream>(streams, "output-stream");
  defs.func(streams, "[method]output-stream.check-write", {K::Borrow},
            [](HostState& host, std::vector<Val>& args) -> HostResult {
              auto s = lookup<OutputStream>(host, args[0], "output-stream");
              if (!s) return std::move(s).error();
              if ((*s)->closed) return Val::err(stream_closed());
              if ((*s)->kind == OutputStream::Kind::Channel) {
                ByteChannel& ch = *(*s)->channel;
                if (ch.consumer_gone()) {
                  (*s)->closed = true;
                  return Val::err(stream_closed());
                }
                (*s)->permit = std::min<uint64_t>(ch.writable(), kWritePermit);
                return Val::ok(Val::u64((*s)->permit));
              }
              (*s)->permit = kWritePermit;
              return Val::ok(Val::u64(kWritePermit));
            });
  defs.func(
      streams, "[method]output-stream.write", {K::Borrow, K::List},
      [](HostState& host, std::vector<Val>& args) { return output_write(host, args, false); });
  defs.func(streams, "[method]output-stream.blocking-write-and-flush", {K::Borrow, K::List},
            [](HostState& host, std::vector<Val>& args) { return output_write(host, args, true); });
  for (const char* name : {"[method]output-stream.flush", "[method]output-stream.blocking-flush"}) {
    defs.func(streams, name, {K::Borrow},
              [](HostState& host, std::vector<Val>& args) -> HostResult {
                auto s = lookup<OutputStream>(host, args[0], "output-stream");
                if (!s) return std::move(s).error();
                if ((*s)->closed) return Val::err(stream_closed());
                return unit_ok();
              });
  }
  defs.func(streams, "[method]output-stream.subscribe", {K::Borrow},
            [](HostState& host, std::vector<Val>& args) -> HostResult {
              auto s = lookup<OutputStream>(host, args[0], "output-stream");
              if (!s) return std::move(s).error();
              if ((*s)->kind == OutputStream::Kind::Channel) {
                Pollable p;
                p.kind = Pollable::Kind::Custom;
                p.ready = [ch = (*s)->channel] { return ch->has_space(); };
                auto rep = push_own(host, std::move(p));
                if (!rep) return std::move(rep).error();
                return std::move(rep).value();
              }
              return subscribe_ready(host);
            });
  defs.func(
      streams, "[method]output-stream.write-zeroes", {K::Borrow, K::U64},
      [](HostState& host, std::vector<Val>& args) { return output_zeroes(host, args, false); });
  defs.func(
      streams, "[method]output-stream.blocking-write-zeroes-and-flush", {K::Borrow, K::U64},
      [](HostState& host, std::vector<Val>& args) { return output_zeroes(host, args, true); });
  defs.func(
      streams, "[method]output-stream.splice", {K::Borrow, K::Borrow, K::U64},
      [](HostState& host, std::vector<Val>& args) { return output_splice(host, args, false); });
  defs.func(
      streams, "[method]output-stream.blocking-splice", {K::Borrow, K::Borrow, K::U64},
      [](HostState& host, std::vector<Val>& args) { return output_splice(host, args, true); });
}

}  // namespace weft::wasi::p2
