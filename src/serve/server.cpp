#include "serve/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace weft::serve {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

using Clock = std::chrono::steady_clock;

bool is_http_parse_error(const beast::error_code& ec) {
  static const boost::system::error_category& category =
      http::make_error_code(http::error::bad_target).category();
  return ec.category() == category;
}

std::string sanitize_for_log(std::string_view text, size_t max = 256) {
  std::string out;
  for (char c : text.substr(0, max)) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f || c == '"' ? '?' : c);
  }
  if (text.size() > max) out += "...";
  return out;
}

// The head of a response whose body is whole: the bytes Beast's serializer
// writes, without its per-field buffer sequence machinery (a tenth of a
// small response's cost under load). The body follows it in the same
// gather write, uncopied.
void serialize_head(const http::response_header<>& head, std::string& out) {
  out.clear();
  const unsigned version = head.version();
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10 % 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
  out += ' ';
  out += std::to_string(head.result_int());
  out += ' ';
  const auto reason = head.reason();
  const auto text = reason.empty() ? http::obsolete_reason(head.result()) : reason;
  out.append(text.data(), text.size());
  out += "\r\n";
  for (const auto& field : head) {
    out.append(field.name_string().data(), field.name_string().size());
    out += ": ";
    out.append(field.value().data(), field.value().size());
    out += "\r\n";
  }
  out += "\r\n";
}

}  // namespace

class Session;

// What the watchdog reads of a loop thread: its CPU clock, and its state
// in /proc (running, or asleep in the kernel).
struct LoopThreadInfo {
  clockid_t cpu_clock{};
  bool has_cpu_clock = false;
  int stat_fd = -1;  // /proc/self/task/TID/stat, kept open
  ~LoopThreadInfo() {
    if (stat_fd >= 0) ::close(stat_fd);
  }
  void init() {
    has_cpu_clock = pthread_getcpuclockid(pthread_self(), &cpu_clock) == 0;
    std::string path = "/proc/self/task/" + std::to_string(::gettid()) + "/stat";
    stat_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  int64_t cpu_ns() const {
    struct timespec ts {};
    if (!has_cpu_clock || clock_gettime(cpu_clock, &ts) != 0) return -1;
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  }
  // Asleep (S) or in uninterruptible wait (D). Unknown (no /proc, as in
  // some sandboxes) counts as asleep: the watchdog then hands a guest's loop
  // over after a tick of wall time, rather than never for a guest that
  // sleeps without saying so (which would also keep its deadline from
  // firing).
  bool sleeping() const {
    if (stat_fd < 0) return true;
    char buf[512];
    ssize_t n = ::pread(stat_fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return true;
    buf[n] = 0;
    const char* close_paren = std::strrchr(buf, ')');  // the name may hold spaces and parens
    if (!close_paren || close_paren[1] != ' ') return true;
    return close_paren[2] == 'S' || close_paren[2] == 'D';
  }
};

// An event loop and the threads that take turns driving it. A routed
// request's guest runs on the thread driving the loop, so a quick request
// costs no hand-off to another thread and back. While a guest runs there,
// the loop waits; so when the guest is about to block (its GuestLease is
// released by the handler) or has run longer than the inline budget
// (released by the watchdog), a standby thread takes over the loop and the
// guest's thread finishes the request as a worker would, then becomes a
// standby itself. Exactly one thread drives a loop at a time: the io_context
// is never run by two threads outside a released guest.
struct Loop {
  net::io_context ctx;  // default concurrency hint: threads hand it over
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard;

  std::mutex mutex;
  std::condition_variable cv;
  bool driver_free = false;  // a released guest gave the loop up; a standby takes it
  bool finished = false;     // ctx ran out of work (or was stopped)
  unsigned standbys = 0;     // threads waiting in cv for driver_free

  // The guest running inline: (ticket << 1) | 1, or ticket << 1 when none
  // (or released). Tickets tell a released guest from the next one.
  std::atomic<uint64_t> guest{0};
  std::atomic<LoopThreadInfo*> guest_thread{nullptr};
  uint64_t next_ticket = 0;  // the driving thread's
  // The watchdog's: the running guest it saw last, and that thread's CPU
  // time then.
  uint64_t watched_token = 0;
  int64_t watched_cpu_ns = 0;
};

namespace {

// Set on a guest's thread when its lease turned out released: the thread
// stops driving once its current handler returns.
thread_local bool t_loop_released = false;
thread_local LoopThreadInfo* t_loop_thread = nullptr;

}  // namespace

// A guest running on its loop's driving thread.
class GuestLease {
 public:
  GuestLease(Server::Impl& server, Loop& loop, uint64_t token)
      : server_(server), loop_(loop), token_(token) {}
  // Hands the loop to a standby if this guest still holds it (the guest
  // is about to block). Any thread; idempotent.
  void release();
  // The guest has returned: true if this thread still drives the loop (the
  // request's tail may run here), false if the loop was handed over.
  bool end() {
    uint64_t expected = token_;
    if (loop_.guest.compare_exchange_strong(expected, token_ & ~uint64_t{1})) return true;
    t_loop_released = true;
    return false;
  }

 private:
  Server::Impl& server_;
  Loop& loop_;
  uint64_t token_;
};

struct Server::Impl {
  Impl(const Dispatcher& dispatcher, ServerOptions opts)
      : app(dispatcher), options(std::move(opts)) {
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    if (options.loops == 0) options.loops = cores;
    if (options.workers == 0) options.workers = std::max(8u, 4 * cores);
    for (unsigned i = 0; i < options.loops; ++i) {
      loops.push_back(std::make_unique<Loop>());
      loops.back()->guard.emplace(net::make_work_guard(loops.back()->ctx));
    }
    // Two per loop (driver, standby) beside the guests released at once.
    max_loop_threads = 2 * options.loops + options.workers;
    workers = std::make_unique<net::thread_pool>(options.workers);
    acceptor = std::make_unique<tcp::acceptor>(loops[0]->ctx);
    signals = std::make_unique<net::signal_set>(loops[0]->ctx);
  }
  // Sessions still queued in a loop unregister themselves on destruction,
  // so the loops go first, while the registry and its mutex are alive.
  ~Impl() {
    for (auto& loop : loops) loop->guard.reset();
    workers->join();
    workers.reset();
    signals.reset();
    acceptor.reset();
    loops.clear();
  }

  void do_accept();
  void begin_stop();
  void log_line(const std::string& line) {
    if (!options.access_log) return;
    std::lock_guard lock(log_mutex);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
  }
  void log_error(const std::string& text) {
    std::lock_guard lock(log_mutex);
    std::fwrite(text.data(), 1, text.size(), stderr);
    if (!text.empty() && text.back() != '\n') std::fputc('\n', stderr);
    std::fflush(stderr);
  }

  // Runs `job(lease)` for a routed request: inline on this loop's driving
  // thread (lease set) when a standby can take the loop over, else on the
  // worker pool (lease null). Called on the loop's driving thread.
  template <class Job>
  void run_guest(Loop& loop, Job&& job) {
    if (options.inline_budget_us == 0 || !reserve_standby(loop)) {
      net::post(*workers, [job = std::forward<Job>(job)]() mutable { job(nullptr); });
      return;
    }
    const uint64_t token = (++loop.next_ticket << 1) | 1;
    loop.guest_thread.store(t_loop_thread, std::memory_order_relaxed);
    loop.guest.store(token);  // seq_cst: ordered before the parked check
    if (watchdog_parked.load()) wake_watchdog();
    GuestLease lease(*this, loop, token);
    job(&lease);
  }
  // A standby is waiting (or was just started) to take the loop over.
  bool reserve_standby(Loop& loop);
  void release_loop(Loop& loop, uint64_t token);
  void spawn_loop_thread(Loop& loop, bool drive_first);
  void loop_thread(Loop& loop, bool drive_first);
  void watchdog();
  void wake_watchdog();

  const Dispatcher& app;
  ServerOptions options;
  std::vector<std::unique_ptr<Loop>> loops;
  std::unique_ptr<net::thread_pool> workers;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<net::signal_set> signals;
  uint16_t bound_port = 0;
  size_t next_loop = 0;

  std::mutex threads_mutex;
  std::vector<std::thread> loop_threads;
  std::deque<LoopThreadInfo> thread_infos;  // stable: the watchdog reads them
  unsigned max_loop_threads = 0;

  std::mutex watchdog_mutex;
  std::condition_variable watchdog_cv;
  std::atomic<bool> watchdog_parked{false};
  bool watchdog_stop = false;

  std::atomic<bool> stopping{false};
  std::mutex state_mutex;
  std::condition_variable state_cv;
  unsigned loops_finished = 0;
  bool stop_requested = false;

  std::mutex sessions_mutex;
  std::map<Session*, std::weak_ptr<Session>> sessions;

  std::mutex log_mutex;
};

void GuestLease::release() { server_.release_loop(loop_, token_); }

bool Server::Impl::reserve_standby(Loop& loop) {
  {
    std::lock_guard lock(loop.mutex);
    if (loop.standbys > 0) return true;
  }
  {
    std::lock_guard lock(threads_mutex);
    if (loop_threads.size() >= max_loop_threads) return false;
  }
  spawn_loop_thread(loop, /*drive_first=*/false);
  return true;
}

void Server::Impl::spawn_loop_thread(Loop& loop, bool drive_first) {
  if (!drive_first) {
    std::lock_guard lock(loop.mutex);
    ++loop.standbys;  // counted now, so a release before it waits finds it
  }
  std::lock_guard lock(threads_mutex);
  LoopThreadInfo* info = &thread_infos.emplace_back();
  loop_threads.emplace_back([this, &loop, drive_first, info] {
    info->init();
    t_loop_thread = info;
    loop_thread(loop, drive_first);
  });
}

void Server::Impl::release_loop(Loop& loop, uint64_t token) {
  uint64_t expected = token;
  if (!loop.guest.compare_exchange_strong(expected, token & ~uint64_t{1})) return;
  {
    std::lock_guard lock(loop.mutex);
    loop.driver_free = true;
  }
  loop.cv.notify_one();
}

void Server::Impl::loop_thread(Loop& loop, bool drive_first) {
  std::unique_lock lock(loop.mutex);
  for (;;) {
    if (!drive_first) {
      loop.cv.wait(lock, [&] { return loop.driver_free || loop.finished; });
      --loop.standbys;
      if (loop.finished) return;
      loop.driver_free = false;
    }
    drive_first = false;
    lock.unlock();
    t_loop_released = false;
    bool out_of_work = false;
    for (;;) {
      // Out of ready work: poll for a while before sleeping (see
      // ServerOptions::busy_poll_us).
      size_t ran = loop.ctx.poll_one();
      if (ran == 0 && options.busy_poll_us > 0) {
        const auto until =
            std::chrono::steady_clock::now() + std::chrono::microseconds(options.busy_poll_us);
        while ((ran = loop.ctx.poll_one()) == 0 && !loop.ctx.stopped() &&
               std::chrono::steady_clock::now() < until) {
        }
      }
      if (ran == 0 && loop.ctx.run_one() == 0) {
        out_of_work = true;
        break;
      }
      if (t_loop_released) break;  // another thread drives now
    }
    lock.lock();
    if (out_of_work) {
      const bool first = !loop.finished;
      loop.finished = true;
      lock.unlock();
      loop.cv.notify_all();
      if (first) {
        {
          std::lock_guard state_lock(state_mutex);
          ++loops_finished;
        }
        state_cv.notify_all();
      }
      return;
    }
    ++loop.standbys;
  }
}

// Releases guests that hold their loop: one that has used the inline
// budget's CPU time (a long computation), or one asleep in the kernel (a
// sleep, a wait the handler did not announce), so the loop's other
// connections and timers, the guest's own deadline among them, keep
// running. A guest merely preempted (more runnable threads than cores)
// keeps the loop: handing it over would not make it run sooner. Ticks
// every millisecond while guests run and parks after a while without any.
void Server::Impl::watchdog() {
  const int64_t budget_ns = int64_t{options.inline_budget_us} * 1000;
  std::unique_lock lock(watchdog_mutex);
  unsigned quiet_ticks = 0;
  auto scan = [&] {
    bool any = false;
    for (auto& loop_ptr : loops) {
      Loop& loop = *loop_ptr;
      const uint64_t token = loop.guest.load();
      if (!(token & 1)) continue;
      any = true;
      const LoopThreadInfo* thread = loop.guest_thread.load(std::memory_order_relaxed);
      if (loop.guest.load() != token) continue;  // a new guest: its thread is not read yet
      const int64_t cpu = thread ? thread->cpu_ns() : -1;
      if (token != loop.watched_token) {  // first seen: measure from here
        loop.watched_token = token;
        loop.watched_cpu_ns = cpu;
        continue;
      }
      const bool computed =
          cpu >= 0 && loop.watched_cpu_ns >= 0 && cpu - loop.watched_cpu_ns >= budget_ns;
      if (computed || !thread || thread->sleeping()) release_loop(loop, token);
    }
    return any;
  };
  while (!watchdog_stop) {
    watchdog_cv.wait_for(lock, std::chrono::milliseconds(1));
    if (watchdog_stop) break;
    if (scan()) {
      quiet_ticks = 0;
      continue;
    }
    if (++quiet_ticks < 200) continue;
    // Park. A guest that starts after this store sees it and wakes us; one
    // that started before it is found by the scan after it.
    watchdog_parked.store(true);
    if (scan()) {
      watchdog_parked.store(false);
      continue;
    }
    watchdog_cv.wait(lock, [&] { return !watchdog_parked.load() || watchdog_stop; });
    quiet_ticks = 0;
  }
}

void Server::Impl::wake_watchdog() {
  {
    std::lock_guard lock(watchdog_mutex);
    watchdog_parked.store(false);
  }
  watchdog_cv.notify_one();
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server::Impl& server, Loop& loop)
      : server_(server), loop_(loop), stream_(std::move(socket)) {
    beast::error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      remote_addr_ = remote.address().to_string();
      remote_port_ = remote.port();
    }
    auto local = stream_.socket().local_endpoint(ec);
    if (!ec) {
      local_addr_ = local.address().to_string();
      local_port_ = local.port();
    }
  }
  ~Session() {
    std::lock_guard lock(server_.sessions_mutex);
    server_.sessions.erase(this);
  }

  void start() {
    {
      std::lock_guard lock(server_.sessions_mutex);
      server_.sessions.emplace(this, weak_from_this());
    }
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  // Runs on the session's loop.
  void close_if_idle() {
    if (idle_) do_close();
  }

  net::any_io_executor executor() { return stream_.get_executor(); }

 private:
  void do_read() {
    if (server_.stopping.load()) return do_close();
    parser_.emplace();
    parser_->header_limit(server_.options.header_limit_bytes);
    // The body limit is set once the request is routed: a streaming
    // handler takes bodies of any size (Beast would refuse a large
    // Content-Length while parsing the header). Not boost::none: Beast
    // 1.74 compares the length with the optional, and any length is
    // greater than none.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    idle_ = true;
    stream_.expires_after(std::chrono::milliseconds(server_.options.idle_timeout_ms));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    idle_ = false;
    if (ec) return on_read_error(ec);
    started_ = Clock::now();
    const auto& message = parser_->get();
    size_t count = 0;
    for (auto it = message.begin(); it != message.end(); ++it) ++count;
    if (count > server_.options.max_header_count) {
      return send_error(431, "too many request headers");
    }
    stream_.expires_after(std::chrono::milliseconds(server_.options.read_timeout_ms));
    keep_alive_ = message.keep_alive();
    is_head_ = message.method() == http::verb::head;
    method_ = std::string(message.method_string());
    std::string_view target(message.target().data(), message.target().size());
    if (target.empty() || target[0] != '/') {
      path_ = sanitize_for_log(target);
      return send_error(400, "request target must be an absolute path");
    }
    request_ = std::make_shared<Request>();
    Request& request = *request_;
    request.method = method_;
    request.target = std::string(target);
    size_t question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos)
      request.query = std::string(target.substr(question + 1));
    request.version = message.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
    request.headers.reserve(8);
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.remote_addr = remote_addr_;
    request.remote_port = remote_port_;
    request.local_addr = local_addr_;
    request.local_port = local_port_;
    path_ = sanitize_for_log(request.path);
    routed_ = server_.app.route(request);
    const bool streaming = routed_ && routed_->handler->streams();

    if (!streaming) {
      const uint64_t limit = server_.options.body_limit_bytes;
      if (auto length = parser_->content_length(); length && *length > limit) {
        return send_error(413, "request body too large");
      }
      parser_->body_limit(limit);
    }
    auto next = [self = shared_from_this(), streaming] {
      if (streaming) return self->start_streaming();
      self->read_body();
    };
    if (!streaming && parser_->is_done()) return on_request();
    auto expect = message[http::field::expect];
    if (!parser_->is_done() &&
        iequals(std::string_view(expect.data(), expect.size()), "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont, next](beast::error_code ec, size_t) {
                          if (ec) return self->do_close();
                          next();
                        });
      return;
    }
    next();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->on_read_error(ec);
                       self->on_request();
                     });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::eof) {
      return do_close();
    }
    if (ec == http::error::header_limit) return send_error(431, "request headers too large");
    if (ec == http::error::body_limit) return send_error(413, "request body too large");
    if (is_http_parse_error(ec)) return send_error(400, "malformed request: " + ec.message());
    do_close();
  }

  void on_request() {
    auto message = parser_->release();
    parser_.reset();
    auto request = std::move(request_);
    request->body = std::move(message.body());
    auto routed = std::move(routed_);
    routed_.reset();
    if (!routed) {
      service_.clear();
      Outcome out;
      out.response = error_response(404, "no route for " + request->path);
      return send(std::move(out));
    }
    service_ = std::string(routed->service_name);

    auto control = std::make_shared<RequestControl>();
    auto timer = std::make_shared<net::steady_timer>(stream_.get_executor());
    timer->expires_after(std::chrono::milliseconds(routed->timeout_ms));
    timer->async_wait([control](beast::error_code ec) {
      if (!ec) control->time_out();
    });
    server_.run_guest(loop_, [self = shared_from_this(), request, handler = routed->handler,
                              control, timer](GuestLease* lease) mutable {
      if (lease) control->set_before_block([lease] { lease->release(); });
      Outcome out;
      try {
        out = handler->handle(*request, *control);
      } catch (const std::exception& e) {  // bad_alloc and the like: answer, don't die
        out = Outcome{
            error_response(500, "internal error"), std::string("exception: ") + e.what(), {}};
      }
      if (lease) control->set_before_block(nullptr);
      if (lease && lease->end()) {  // still on the loop's driving thread
        timer->cancel();
        return self->send(std::move(out));
      }
      auto executor = self->executor();
      net::post(executor,
                [self = std::move(self), timer = std::move(timer), out = std::move(out)]() mutable {
                  timer->cancel();
                  self->send(std::move(out));
                });
    });
  }

  // ---- streaming (a handler that streams(): wasi:http) ----------------------
  //
  // The request body goes from the socket into a ByteChannel as the guest
  // takes it (a read is issued only when the channel has room); the
  // response head is written when the guest sets it and the body as the
  // guest writes it. The exchange ends when both the response is written
  // and the worker has returned; a request body the guest left unread
  // closes the connection then, as does a failed response body.

  // Posts `fn` to the loop when the other side of a channel moves, once
  // per arm(): a guest reading byte by byte must not flood the loop.
  class LoopWaker : public Waker {
   public:
    LoopWaker(std::weak_ptr<Session> session, void (Session::*fn)())
        : session_(std::move(session)), fn_(fn) {}
    void arm() { armed_.store(true); }
    void wake() override {
      if (!armed_.exchange(false)) return;
      if (auto s = session_.lock()) {
        auto executor = s->executor();
        net::post(executor, [s = std::move(s), fn = fn_] { ((*s).*fn)(); });
      }
    }

   private:
    std::weak_ptr<Session> session_;
    void (Session::*fn_)();
    std::atomic<bool> armed_{false};
  };

  // The worker's side of a streamed response. The head is held until the
  // guest first writes to the body, ends it, or returns, and then posted to
  // the loop once: a head that waits for the first bytes goes out with them
  // in one write, and a response costs one wake of the loop, not two.
  class StreamSink : public ResponseStream {
   public:
    explicit StreamSink(std::shared_ptr<Session> session) : state_(std::make_shared<State>()) {
      state_->session = std::move(session);
    }
    struct Head {
      unsigned status = 0;
      HeaderList headers;
      std::optional<uint64_t> content_length;
      std::shared_ptr<ByteChannel> body;
    };
    void start(unsigned status, HeaderList headers, std::optional<uint64_t> content_length,
               std::shared_ptr<ByteChannel> body) override {
      {
        std::lock_guard lock(state_->mutex);
        state_->head = Head{status, std::move(headers), content_length, body};
      }
      // Called on the guest's thread when it writes or ends the body (or at
      // once, if it already has); the loop replaces it when the head is out.
      // It shares the state, not the sink: it may outlive the call.
      struct FirstWrite : Waker {
        std::shared_ptr<State> state;
        explicit FirstWrite(std::shared_ptr<State> s) : state(std::move(s)) {}
        void wake() override { post_head(*state); }
      };
      body->set_reader_waker(std::make_shared<FirstWrite>(state_));
    }
    void flush() override { post_head(*state_); }
    // The head not posted yet, for the worker's last post.
    std::optional<Head> take_head() { return take(*state_); }

   private:
    struct State {
      std::shared_ptr<Session> session;
      std::mutex mutex;
      std::optional<Head> head;
    };
    static std::optional<Head> take(State& st) {
      std::lock_guard lock(st.mutex);
      std::optional<Head> head = std::move(st.head);
      st.head.reset();
      return head;
    }
    static void post_head(State& st) {
      std::optional<Head> head = take(st);
      if (!head) return;
      auto executor = st.session->executor();
      net::post(executor, [s = st.session, head = std::move(*head)]() mutable {
        s->start_stream_response(head.status, std::move(head.headers), head.content_length,
                                 std::move(head.body));
      });
    }
    std::shared_ptr<State> state_;
  };

  void start_streaming() {
    auto request = std::move(request_);
    auto routed = *routed_;
    routed_.reset();
    service_ = std::string(routed.service_name);
    stream_parser_.emplace(std::move(*parser_));
    parser_.reset();
    // The body is the guest's to read at its pace: no size cap but the
    // guest's own, and no read timeout while the guest is not reading.
    stream_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    request_channel_ = std::make_shared<ByteChannel>();
    request_waker_ = std::make_shared<LoopWaker>(weak_from_this(), &Session::stream_read_body);
    request_channel_->set_writer_waker(request_waker_);
    reading_body_ = !stream_parser_->is_done();
    if (!reading_body_) request_channel_->finish();
    stream_started_ = false;
    stream_written_ = false;
    worker_done_ = false;

    auto control = std::make_shared<RequestControl>();
    auto timer = std::make_shared<net::steady_timer>(stream_.get_executor());
    timer->expires_after(std::chrono::milliseconds(routed.timeout_ms));
    timer->async_wait([control](beast::error_code ec) {
      if (!ec) control->time_out();
    });
    stream_timer_ = timer;
    // The body read starts first: a guest running inline that waits for
    // its body releases the loop, which then reads it.
    if (reading_body_) stream_read_body();
    server_.run_guest(loop_, [self = shared_from_this(), request, handler = routed.handler, control,
                              body = request_channel_](GuestLease* lease) mutable {
      if (lease) control->set_before_block([lease] { lease->release(); });
      Outcome out;
      StreamSink sink(self);
      try {
        out = handler->handle_stream(*request, body, sink, *control);
      } catch (const std::exception& e) {
        out = Outcome{error_response(500, "internal error"),
                      std::string("exception: ") + e.what(),
                      {},
                      false};
      }
      if (lease) control->set_before_block(nullptr);
      std::optional<StreamSink::Head> head = sink.take_head();
      std::shared_ptr<void> release = std::move(out.release_after);
      auto executor = self->executor();
      auto finish = [self = std::move(self), out = std::move(out),
                     head = std::move(head)]() mutable {
        if (head) {
          self->start_stream_response(head->status, std::move(head->headers), head->content_length,
                                      std::move(head->body));
        }
        self->on_stream_worker_done(std::move(out));
      };
      // Posted even when this thread still drives the loop: a head the
      // sink posted while the guest ran must be taken first.
      net::post(executor, std::move(finish));
      if (lease && lease->end()) {
        // Teardown after the response is on its way, not before.
        net::post(executor, [release = std::move(release)]() mutable { release.reset(); });
      } else {
        release.reset();  // on this thread, once the loop has the outcome
      }
    });
  }

  void stream_read_body() {
    if (closed_ || !reading_body_ || read_in_flight_) return;
    ByteChannel& ch = *request_channel_;
    if (ch.consumer_gone()) {  // the guest will read no more
      reading_body_ = false;
      return;
    }
    size_t room = ch.writable();
    if (room == 0) {
      request_waker_->arm();
      if (ch.writable() == 0 && !ch.consumer_gone()) return;  // the waker calls back
      room = ch.writable();
      if (room == 0) return stream_read_body();
    }
    read_buffer_.resize(std::min<size_t>(room, 64 * 1024));
    auto& body = stream_parser_->get().body();
    body.data = read_buffer_.data();
    body.size = read_buffer_.size();
    read_in_flight_ = true;
    stream_.expires_after(std::chrono::milliseconds(server_.options.read_timeout_ms));
    http::async_read_some(
        stream_, buffer_, *stream_parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_stream_read(ec); });
  }

  void on_stream_read(beast::error_code ec) {
    read_in_flight_ = false;
    if (ec == http::error::need_buffer) ec = {};
    auto& body = stream_parser_->get().body();
    const size_t got = read_buffer_.size() - body.size;
    if (got > 0) request_channel_->write(std::string_view(read_buffer_.data(), got));
    if (ec) {
      reading_body_ = false;
      request_channel_->fail("the client's request body ended early: " + ec.message());
      close_after_ = true;
      return maybe_finish_stream();
    }
    if (stream_parser_->is_done()) {
      reading_body_ = false;
      request_channel_->finish();
      return maybe_finish_stream();
    }
    stream_read_body();
  }

  void start_stream_response(unsigned status, HeaderList headers,
                             std::optional<uint64_t> content_length,
                             std::shared_ptr<ByteChannel> body) {
    if (closed_ || stream_started_) return;
    stream_started_ = true;
    stream_status_ = status;
    response_channel_ = std::move(body);
    stream_response_.emplace();
    auto& res = *stream_response_;
    res.version(11);
    res.result(status);
    res.set(http::field::server, "weft");
    for (auto& [name, value] : headers) {
      // The server owns the framing; a guest's content-length is honoured
      // through `content_length`.
      if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
      res.insert(name, value);
    }
    const bool no_body = status == 204 || status == 304 || (status >= 100 && status < 200);
    discard_body_ = is_head_ || no_body;
    head_content_length_ = content_length;
    head_no_body_ = no_body;
    // The head waits (at most 1 ms) for the body's first bytes or its end:
    // a guest sets the outparam and then writes, and a head sent alone costs
    // a write and a packet of its own. A guest that computes before writing
    // still gets its head out within the millisecond.
    if (!discard_body_ && !response_channel_->readable()) {
      auto waker = std::make_shared<LoopWaker>(weak_from_this(), &Session::send_stream_head);
      waker->arm();
      response_waker_ = waker;
      head_timer_ = std::make_shared<net::steady_timer>(stream_.get_executor());
      head_timer_->expires_after(std::chrono::milliseconds(1));
      head_timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->send_stream_head();
      });
      response_channel_->set_reader_waker(waker);
      return;
    }
    send_stream_head();
  }

  void send_stream_head() {
    if (closed_ || !stream_started_ || head_sent_) return;
    head_sent_ = true;
    if (head_timer_) head_timer_->cancel();
    head_timer_.reset();
    response_waker_ = std::make_shared<LoopWaker>(weak_from_this(), &Session::stream_write_body);
    response_channel_->set_reader_waker(response_waker_);
    auto& res = *stream_response_;
    const bool no_body = head_no_body_;
    const std::optional<uint64_t> content_length = head_content_length_;
    // A guest that wrote (or finished) its body before this ran: the head
    // goes out with the first bytes in one write, and a body already whole
    // gets a Content-Length instead of chunks. One send instead of three
    // for the common small response.
    bool whole = false;
    out_chunk_.clear();
    if (!discard_body_ && response_channel_->readable()) {
      out_chunk_ = response_channel_->read(64 * 1024);
      whole = response_channel_->at_end() && !response_channel_->failed();
    }
    if (content_length && !no_body) {
      res.content_length(*content_length);
    } else if (whole) {
      res.content_length(out_chunk_.size());
    } else if (!no_body && !is_head_) {
      res.chunked(true);
    }
    res.keep_alive(keep_alive_ && !close_after_ && !server_.stopping.load());
    write_in_flight_ = true;
    stream_.expires_after(std::chrono::milliseconds(server_.options.read_timeout_ms));
    if (whole) {
      serialize_head(res.base(), wire_head_);
      whole_write_ = true;
      const std::array<net::const_buffer, 2> wire{net::buffer(wire_head_), net::buffer(out_chunk_)};
      net::async_write(stream_, wire, [self = shared_from_this()](beast::error_code ec, size_t) {
        self->on_stream_write(ec);
      });
      return;
    }
    res.body().data = out_chunk_.empty() ? nullptr : out_chunk_.data();
    res.body().size = out_chunk_.size();
    res.body().more = !whole;
    stream_serializer_.emplace(res);
    auto done = [self = shared_from_this()](beast::error_code ec, size_t) {
      self->on_stream_write(ec);
    };
    if (out_chunk_.empty() && !whole) {
      http::async_write_header(stream_, *stream_serializer_, std::move(done));
    } else {
      http::async_write(stream_, *stream_serializer_, std::move(done));
    }
  }

  void stream_write_body() {
    if (closed_ || !head_sent_ || write_in_flight_ || stream_written_ || !response_channel_) return;
    ByteChannel& ch = *response_channel_;
    for (;;) {
      out_chunk_ = ch.read(64 * 1024);
      if (out_chunk_.empty() || !discard_body_) break;
    }
    auto& body = stream_response_->body();
    if (!out_chunk_.empty()) {
      body.data = out_chunk_.data();
      body.size = out_chunk_.size();
      body.more = true;
    } else if (ch.failed()) {
      stream_failure_ = ch.failure();
      stream_written_ = true;
      close_after_ = true;
      do_close();  // no last chunk: the client sees the body cut off
      return maybe_finish_stream();
    } else if (ch.at_end()) {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    } else {
      response_waker_->arm();
      if (ch.readable()) return stream_write_body();
      return;  // the waker calls back
    }
    write_in_flight_ = true;
    stream_.expires_after(std::chrono::milliseconds(server_.options.read_timeout_ms));
    http::async_write(
        stream_, *stream_serializer_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_stream_write(ec); });
  }

  void on_stream_write(beast::error_code ec) {
    write_in_flight_ = false;
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {  // the client went away: the guest's writes now go nowhere
      response_channel_->close_consumer();
      stream_written_ = true;
      stream_failure_ = "client: " + ec.message();
      close_after_ = true;
      do_close();
      return maybe_finish_stream();
    }
    if (whole_write_ || stream_serializer_->is_done()) {
      stream_written_ = true;
      return maybe_finish_stream();
    }
    stream_write_body();
  }

  void on_stream_worker_done(Outcome out) {
    worker_done_ = true;
    if (stream_timer_) stream_timer_->cancel();
    stream_timer_.reset();
    stream_outcome_ = std::move(out);
    if (!stream_started_ && !closed_) {
      // The guest never sent a head: the outcome's response is the answer.
      // A body still arriving cannot be read past it: close after.
      if (reading_body_ || read_in_flight_ || !stream_parser_->is_done()) close_after_ = true;
      stream_parser_.reset();
      streaming_fallback_ = true;
      request_channel_->close_consumer();
      return send(std::move(stream_outcome_));
    }
    maybe_finish_stream();
  }

  void maybe_finish_stream() {
    if (!worker_done_ || !(stream_written_ || closed_) || streaming_fallback_) return;
    if (finished_stream_) return;
    finished_stream_ = true;
    Outcome& out = stream_outcome_;
    std::string note = out.note;
    if (!stream_failure_.empty() && note.empty()) note = stream_failure_;
    log_access(stream_status_, note, out.detail);
    request_channel_->close_consumer();
    const bool body_unread =
        reading_body_ || read_in_flight_ || !stream_parser_ || !stream_parser_->is_done();
    const bool keep =
        !closed_ && keep_alive_ && !close_after_ && !body_unread && !server_.stopping.load();
    response_channel_.reset();
    stream_serializer_.reset();
    stream_response_.reset();
    if (!keep) return do_close();
    stream_parser_.reset();
    reset_request_state();
    do_read();
  }

  void log_access(unsigned status, const std::string& note, const std::string& detail) {
    auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_).count();
    std::string line = remote_addr_ + " " +
                       (method_.empty() ? "-" : sanitize_for_log(method_, 16)) + " " +
                       (path_.empty() ? "-" : path_) + " " + std::to_string(status) + " " +
                       std::to_string(micros) + "us " + (service_.empty() ? "-" : service_);
    if (!note.empty()) line += " \"" + sanitize_for_log(note) + "\"";
    line += "\n";
    server_.log_line(line);
    if (!detail.empty()) {
      server_.log_error("[" + (service_.empty() ? std::string("-") : service_) + "] " + method_ +
                        " " + path_ + ": " + detail);
    }
  }

  void send_error(unsigned status, const std::string& message) {
    close_after_ = true;
    if (started_ == Clock::time_point()) started_ = Clock::now();
    Outcome out;
    out.response = error_response(status, message);
    send(std::move(out));
  }

  void send(Outcome out) {
    response_ = {};
    response_.version(11);
    response_.result(out.response.status);
    response_.set(http::field::server, "weft");
    for (auto& [name, value] : out.response.headers) response_.insert(name, value);
    bool keep_alive = keep_alive_ && !close_after_ && !server_.stopping.load();
    response_.keep_alive(keep_alive);
    unsigned status = out.response.status;
    if (status == 204 || status == 304) {
      // No body allowed, no Content-Length needed.
    } else if (is_head_) {
      response_.content_length(out.response.body.size());
    } else {
      response_.body() = std::move(out.response.body);
      response_.prepare_payload();
    }

    log_access(status, out.note, out.detail);

    stream_.expires_after(std::chrono::milliseconds(server_.options.read_timeout_ms));
    serialize_head(response_.base(), wire_head_);
    const std::array<net::const_buffer, 2> wire{net::buffer(wire_head_),
                                                net::buffer(response_.body())};
    net::async_write(stream_, wire,
                     [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                       if (ec || !keep_alive) return self->do_close();
                       self->reset_request_state();
                       self->do_read();
                     });
  }

  void reset_request_state() {
    method_.clear();
    path_.clear();
    service_.clear();
    started_ = {};
    request_.reset();
    routed_.reset();
    stream_parser_.reset();
    request_channel_.reset();
    response_channel_.reset();
    stream_failure_.clear();
    stream_started_ = stream_written_ = worker_done_ = false;
    head_sent_ = false;
    whole_write_ = false;
    head_timer_.reset();
    streaming_fallback_ = finished_stream_ = false;
    reading_body_ = read_in_flight_ = write_in_flight_ = false;
  }

  void do_close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  Server::Impl& server_;
  Loop& loop_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::string remote_addr_, local_addr_;
  uint16_t remote_port_ = 0, local_port_ = 0;
  bool idle_ = false;
  bool keep_alive_ = true;
  bool close_after_ = false;
  bool is_head_ = false;
  bool closed_ = false;
  std::string method_, path_, service_;
  Clock::time_point started_{};

  std::shared_ptr<Request> request_;
  std::optional<RoutedService> routed_;
  // Streaming state.
  std::optional<http::request_parser<http::buffer_body>> stream_parser_;
  std::shared_ptr<ByteChannel> request_channel_, response_channel_;
  std::shared_ptr<LoopWaker> request_waker_, response_waker_;
  std::optional<http::response<http::buffer_body>> stream_response_;
  std::optional<http::response_serializer<http::buffer_body>> stream_serializer_;
  std::shared_ptr<net::steady_timer> stream_timer_;
  std::vector<char> read_buffer_;
  std::string out_chunk_;
  Outcome stream_outcome_;
  std::string stream_failure_;
  unsigned stream_status_ = 0;
  bool stream_started_ = false, stream_written_ = false, worker_done_ = false;
  bool streaming_fallback_ = false, finished_stream_ = false, discard_body_ = false;
  bool reading_body_ = false, read_in_flight_ = false, write_in_flight_ = false;
  bool head_sent_ = false, head_no_body_ = false, whole_write_ = false;
  std::string wire_head_;  // a whole response's head while it is written
  std::optional<uint64_t> head_content_length_;
  std::shared_ptr<net::steady_timer> head_timer_;
};

void Server::Impl::do_accept() {
  Loop* target = loops[next_loop].get();
  next_loop = (next_loop + 1) % loops.size();
  acceptor->async_accept(target->ctx, [this, target](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || stopping.load()) return;
      // EMFILE and friends: keep accepting rather than going deaf.
      log_error(std::string("accept: ") + ec.message());
    } else if (stopping.load()) {
      beast::error_code ignored;
      socket.close(ignored);
      return;
    } else {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Session>(std::move(socket), *this, *target)->start();
    }
    do_accept();
  });
}

void Server::Impl::begin_stop() {
  if (stopping.exchange(true)) return;
  net::post(loops[0]->ctx, [this] {
    beast::error_code ec;
    acceptor->close(ec);
    signals->cancel(ec);
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mutex);
    for (auto& [raw, weak] : sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live) {
    auto executor = session->executor();
    net::post(executor, [session] { session->close_if_idle(); });
  }
  live.clear();
  for (auto& loop : loops) loop->guard.reset();
  {
    std::lock_guard lock(state_mutex);
    stop_requested = true;
  }
  state_cv.notify_all();
}

Server::Server(const Dispatcher& app, ServerOptions options)
    : impl_(std::make_unique<Impl>(app, std::move(options))) {}

Server::~Server() = default;

Result<void> Server::listen() {
  Impl& s = *impl_;
  std::string where = s.options.address + ":" + std::to_string(s.options.port);
  beast::error_code ec;
  auto address = net::ip::make_address(s.options.address, ec);
  if (ec) return Error::usage("--listen " + where + ": invalid address");
  tcp::endpoint endpoint(address, s.options.port);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Error::io("cannot listen on " + where + ": " + ec.message());
  s.bound_port = s.acceptor->local_endpoint(ec).port();
  return {};
}

uint16_t Server::port() const { return impl_->bound_port; }

void Server::stop() { impl_->begin_stop(); }

void Server::run() {
  Impl& s = *impl_;
  if (s.options.handle_signals) {
    s.signals->add(SIGINT);
    s.signals->add(SIGTERM);
    s.signals->async_wait([&s](beast::error_code ec, int) {
      if (!ec) s.begin_stop();
    });
  }
  s.do_accept();
  std::thread watchdog;
  if (s.options.inline_budget_us > 0) watchdog = std::thread([&s] { s.watchdog(); });
  for (auto& loop : s.loops) s.spawn_loop_thread(*loop, /*drive_first=*/true);
  {
    std::unique_lock lock(s.state_mutex);
    s.state_cv.wait(lock, [&] { return s.stop_requested; });
    bool drained = s.state_cv.wait_for(lock, std::chrono::milliseconds(s.options.shutdown_grace_ms),
                                       [&] { return s.loops_finished == s.loops.size(); });
    if (!drained) {
      s.log_error("shutdown: in-flight requests did not finish in time; closing them");
      for (auto& loop : s.loops) loop->ctx.stop();
    }
  }
  // Threads may still be started while the last guests finish: join until
  // none is left.
  for (;;) {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(s.threads_mutex);
      threads.swap(s.loop_threads);
    }
    if (threads.empty()) break;
    for (auto& thread : threads) thread.join();
  }
  s.workers->join();
  if (watchdog.joinable()) {
    {
      std::lock_guard lock(s.watchdog_mutex);
      s.watchdog_stop = true;
    }
    s.watchdog_cv.notify_all();
    watchdog.join();
  }
}

}  // namespace weft::serve
