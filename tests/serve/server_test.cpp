// The HTTP server with fake handlers: protocol behaviour, limits,
// timeouts, concurrency and graceful shutdown, over real sockets.
#include "serve/server.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <future>
#include <thread>

namespace weft::serve {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class EchoHandler : public Handler {
 public:
  Outcome handle(Request& request, RequestControl&) const override {
    Outcome out;
    out.response.headers.emplace_back("Content-Type", "text/plain");
    std::string upper = request.body;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.response.body = request.method + " " + request.path + " " + upper;
    return out;
  }
};

// Sleeps `ms`, or until the deadline fires (as an interrupted guest would).
class SleepHandler : public Handler {
 public:
  explicit SleepHandler(int ms) : ms_(ms) {}
  Outcome handle(Request&, RequestControl& control) const override {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms_);
    while (std::chrono::steady_clock::now() < end) {
      if (control.timed_out()) return Outcome{error_response(504, "timed out"), "timeout", {}};
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    Outcome out;
    out.response.body = "slept";
    return out;
  }

 private:
  int ms_;
};

// Burns CPU until the deadline or `ms`, as a guest in a loop would.
class SpinHandler : public Handler {
 public:
  explicit SpinHandler(int ms) : ms_(ms) {}
  Outcome handle(Request&, RequestControl& control) const override {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms_);
    volatile uint64_t x = 0;
    while (std::chrono::steady_clock::now() < end) {
      if (control.timed_out()) return Outcome{error_response(504, "timed out"), "timeout", {}};
      for (int i = 0; i < 1000; ++i) x = x + 1;
    }
    Outcome out;
    out.response.body = "spun";
    return out;
  }

 private:
  int ms_;
};

// Sleeps in one piece, announcing it first (as WASI 0.2's poll does) or not
// (as a preview1 sleep does).
class NapHandler : public Handler {
 public:
  NapHandler(int ms, bool announce) : ms_(ms), announce_(announce) {}
  Outcome handle(Request&, RequestControl& control) const override {
    if (announce_) control.before_block();
    std::this_thread::sleep_for(std::chrono::milliseconds(ms_));
    Outcome out;
    out.response.body = "napped";
    return out;
  }

 private:
  int ms_;
  bool announce_;
};

class FakeApp : public Dispatcher {
 public:
  std::optional<RoutedService> route(Request& request) const override {
    if (request.path == "/echo") return RoutedService{"echo", 5000, &echo_};
    if (request.path == "/slow") return RoutedService{"slow", 100, &slow_};
    if (request.path == "/block") return RoutedService{"block", 5000, &block_};
    if (request.path == "/spin") return RoutedService{"spin", 5000, &spin_};
    if (request.path == "/spin-past-deadline") return RoutedService{"spin", 100, &spin_long_};
    if (request.path == "/nap") return RoutedService{"nap", 5000, &nap_};
    if (request.path == "/announced-nap") return RoutedService{"nap", 5000, &announced_nap_};
    return std::nullopt;
  }

 private:
  EchoHandler echo_;
  SleepHandler slow_{3000};
  SleepHandler block_{600};
  SpinHandler spin_{500};
  SpinHandler spin_long_{5000};
  NapHandler nap_{500, false};
  NapHandler announced_nap_{500, true};
};

class ServerTest : public ::testing::Test {
 protected:
  virtual unsigned loops() const { return 2; }
  virtual unsigned workers() const { return 4; }
  virtual uint32_t busy_poll_us() const { return ServerOptions{}.busy_poll_us; }
  void SetUp() override {
    ServerOptions options;
    options.port = 0;
    options.loops = loops();
    options.workers = workers();
    options.busy_poll_us = busy_poll_us();
    options.body_limit_bytes = 1024;
    options.header_limit_bytes = 2048;
    options.handle_signals = false;
    options.access_log = false;
    server_ = std::make_unique<Server>(app_, options);
    ASSERT_TRUE(server_->listen().ok());
    runner_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop();
    runner_.join();
  }

  tcp::socket connect() {
    tcp::socket socket(io_);
    socket.connect({net::ip::make_address("127.0.0.1"), server_->port()});
    return socket;
  }

  // Sends raw bytes, reads one response (or reports the error).
  static http::response<http::string_body> exchange(tcp::socket& socket, const std::string& raw,
                                                    beast::flat_buffer& buffer,
                                                    beast::error_code& ec) {
    net::write(socket, net::buffer(raw), ec);
    http::response<http::string_body> response;
    if (!ec) http::read(socket, buffer, response, ec);
    return response;
  }

  http::response<http::string_body> request(const std::string& raw) {
    auto socket = connect();
    beast::flat_buffer buffer;
    beast::error_code ec;
    auto response = exchange(socket, raw, buffer, ec);
    EXPECT_FALSE(ec) << ec.message();
    return response;
  }

  static bool closed_by_peer(tcp::socket& socket, beast::flat_buffer& buffer) {
    beast::error_code ec;
    char byte;
    socket.read_some(net::buffer(&byte, 1), ec);
    (void)buffer;
    return ec == net::error::eof || ec == net::error::connection_reset;
  }

  FakeApp app_;
  net::io_context io_;
  std::unique_ptr<Server> server_;
  std::thread runner_;
};

TEST_F(ServerTest, KeepAliveServesSeveralRequests) {
  auto socket = connect();
  beast::flat_buffer buffer;
  for (int i = 0; i < 3; ++i) {
    beast::error_code ec;
    auto r = exchange(socket, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
                      buffer, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(r.result_int(), 200u);
    EXPECT_EQ(r.body(), "POST /echo ABC");
    EXPECT_TRUE(r.keep_alive());
  }
}

TEST_F(ServerTest, ChunkedBody) {
  auto r = request(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r.body(), "POST /echo ABCDE");
}

TEST_F(ServerTest, HeadHasNoBody) {
  auto socket = connect();
  beast::flat_buffer buffer;
  beast::error_code ec;
  net::write(socket, net::buffer(std::string("HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\n")), ec);
  ASSERT_FALSE(ec);
  http::response_parser<http::empty_body> parser;
  parser.skip(true);  // a HEAD response's Content-Length announces no body
  http::read(socket, buffer, parser, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(parser.get().result_int(), 200u);
  EXPECT_EQ(parser.get()[http::field::content_length], "11");
  // The next request on the connection parses cleanly: no stray body bytes.
  auto r = exchange(socket, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n", buffer, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.body(), "GET /echo ");
}

TEST_F(ServerTest, UnknownRouteIs404) {
  auto r = request("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.result_int(), 404u);
  EXPECT_EQ(r[http::field::content_type], "application/json");
}

TEST_F(ServerTest, OversizedHeadersAre431) {
  auto r =
      request("GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  EXPECT_EQ(r.result_int(), 431u);
  std::string many = "GET /echo HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 150; ++i) many += "A" + std::to_string(i) + ": b\r\n";
  auto r2 = request(many + "\r\n");
  // 150 short headers fit in 2 KiB only partly: either limit answers 431.
  EXPECT_EQ(r2.result_int(), 431u);
}

TEST_F(ServerTest, OversizedBodyIs413) {
  auto r = request("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" +
                   std::string(5000, 'a'));
  EXPECT_EQ(r.result_int(), 413u);
  auto chunked = request(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "800\r\n" +
      std::string(2048, 'a') + "\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.result_int(), 413u);
}

TEST_F(ServerTest, MalformedIs400AndClosed) {
  for (const char* raw :
       {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET /echo HTTP/1.1\r\nBad Header\r\n\r\n",
        "POST /echo HTTP/1.1\r\nContent-Length: zz\r\n\r\n"}) {
    auto socket = connect();
    beast::flat_buffer buffer;
    beast::error_code ec;
    auto r = exchange(socket, raw, buffer, ec);
    ASSERT_FALSE(ec) << raw << ": " << ec.message();
    EXPECT_EQ(r.result_int(), 400u) << raw;
    EXPECT_FALSE(r.keep_alive());
    EXPECT_TRUE(closed_by_peer(socket, buffer)) << raw;
  }
}

TEST_F(ServerTest, ThousandBadRequestsLeaveServerServing) {
  for (int i = 0; i < 1000; ++i) {
    auto socket = connect();
    beast::error_code ec;
    net::write(socket,
               net::buffer(std::string("\x01\x02 garbage ") + std::to_string(i) + "\r\n\r\n"), ec);
  }
  auto r = request("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.result_int(), 200u);
}

TEST_F(ServerTest, DeadlineAnswers504) {
  auto start = std::chrono::steady_clock::now();
  auto r = request("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.result_int(), 504u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2000));
}

TEST_F(ServerTest, SlowHandlerDoesNotStallOthers) {
  auto slow = std::async(std::launch::async, [this] {
    return request("GET /block HTTP/1.1\r\nHost: x\r\n\r\n").result_int();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(request("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n").result_int(), 200u);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  EXPECT_EQ(slow.get(), 200u);
}

TEST_F(ServerTest, GracefulStopFinishesInFlight) {
  auto idle = connect();  // an idle keep-alive connection must not hold shutdown
  auto inflight = std::async(std::launch::async,
                             [this] { return request("GET /block HTTP/1.1\r\nHost: x\r\n\r\n"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server_->stop();
  auto r = inflight.get();
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r.body(), "slept");
  EXPECT_FALSE(r.keep_alive());
  runner_.join();
  runner_ = std::thread([] {});  // TearDown joins again
  beast::error_code ec;
  tcp::socket late(io_);
  late.connect({net::ip::make_address("127.0.0.1"), server_->port()}, ec);
  EXPECT_TRUE(ec) << "still accepting after stop";
}

// One loop, so every connection shares the thread a guest runs on inline:
// the loop must be handed over whenever a guest holds it.
class OneLoopTest : public ServerTest {
 protected:
  unsigned loops() const override { return 1; }
  unsigned workers() const override { return 2; }

  // Five quick requests, each on a new connection, while `slow_path` runs.
  void quick_requests_beside(const std::string& slow_path, const std::string& expected_body) {
    auto slow = std::async(std::launch::async, [this, slow_path] {
      return request("GET " + slow_path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(request("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n").result_int(), 200u);
    }
    // The slow guest takes 500 ms; the quick ones must not wait for it.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300))
        << "the loop stayed with " << slow_path;
    auto r = slow.get();
    EXPECT_EQ(r.result_int(), 200u);
    EXPECT_EQ(r.body(), expected_body);
  }

  // One connection alternating quick and slow requests: whichever thread
  // drives the loop, the answers come back in order and whole.
  void keep_alive_in_order() {
    auto socket = connect();
    beast::flat_buffer buffer;
    for (int i = 0; i < 6; ++i) {
      beast::error_code ec;
      const std::string path = i % 3 == 0 ? "/echo" : i % 3 == 1 ? "/announced-nap" : "/spin";
      auto r = exchange(socket, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n", buffer, ec);
      ASSERT_FALSE(ec) << path << ": " << ec.message();
      EXPECT_EQ(r.result_int(), 200u) << path;
      EXPECT_EQ(r.body(), i % 3 == 0 ? "GET /echo " : i % 3 == 1 ? "napped" : "spun");
    }
  }
};

TEST_F(OneLoopTest, AGuestThatComputesGivesTheLoopUp) { quick_requests_beside("/spin", "spun"); }

TEST_F(OneLoopTest, AGuestAsleepWithoutSayingSoGivesTheLoopUp) {
  quick_requests_beside("/nap", "napped");
}

TEST_F(OneLoopTest, AGuestAboutToBlockGivesTheLoopUpAtOnce) {
  quick_requests_beside("/announced-nap", "napped");
}

TEST_F(OneLoopTest, ASpinningGuestStillMeetsItsDeadline) {
  auto start = std::chrono::steady_clock::now();
  auto r = request("GET /spin-past-deadline HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.result_int(), 504u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2000));
}

TEST_F(OneLoopTest, MoreSlowGuestsThanThreadsAllFinish) {
  // One loop and two workers allow four loop threads; ten guests asleep at
  // once overflow to the worker pool and still all answer.
  std::vector<std::future<unsigned>> naps;
  for (int i = 0; i < 10; ++i) {
    naps.push_back(std::async(std::launch::async, [this, i] {
      return request(std::string("GET ") + (i % 2 ? "/nap" : "/announced-nap") +
                     " HTTP/1.1\r\nHost: x\r\n\r\n")
          .result_int();
    }));
  }
  for (auto& nap : naps) EXPECT_EQ(nap.get(), 200u);
  EXPECT_EQ(request("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n").result_int(), 200u);
}

TEST_F(OneLoopTest, KeepAliveRequestsInlineAndHandedOverInterleave) { keep_alive_in_order(); }

// The loop's busy poll is only a way to wait: with none, and with one far
// longer than any gap between requests, a loop must serve the same answers,
// hand slow guests over and stop when asked.
class NoBusyPollTest : public OneLoopTest {
 protected:
  uint32_t busy_poll_us() const override { return 0; }
};

class LongBusyPollTest : public OneLoopTest {
 protected:
  uint32_t busy_poll_us() const override { return 10000; }
};

TEST_F(NoBusyPollTest, KeepAliveRequestsAreServed) { keep_alive_in_order(); }
TEST_F(LongBusyPollTest, KeepAliveRequestsAreServed) { keep_alive_in_order(); }
TEST_F(NoBusyPollTest, ASlowGuestDoesNotHoldTheLoop) { quick_requests_beside("/nap", "napped"); }
TEST_F(LongBusyPollTest, ASlowGuestDoesNotHoldTheLoop) { quick_requests_beside("/nap", "napped"); }

TEST_F(LongBusyPollTest, StopsPromptlyWhilePolling) {
  // Requests leave the loop polling; stop() must end it, not wait out the
  // poll or sleep in epoll.
  EXPECT_EQ(request("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n").result_int(), 200u);
  const auto start = std::chrono::steady_clock::now();
  server_->stop();
  runner_.join();
  runner_ = std::thread([] {});  // TearDown joins again
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
}

}  // namespace
}  // namespace weft::serve
