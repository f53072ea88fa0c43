// CurlTransport against a local HTTP/1.1 server written here on blocking
// Boost.Asio sockets (one thread per connection), so each test scripts the
// upstream byte by byte: well-behaved, slow, silent, resetting, hostile.
//
// Time bounds are generous (a 300 ms timeout must end within 10 s); no
// test passes or fails on speed.
#include "serve/outbound/curl_transport.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

namespace weft::serve::outbound {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using wasi::http::ErrorCode;
using wasi::http::HttpError;
using wasi::http::IncomingResponse;
using wasi::http::OutgoingRequest;
using wasi::http::PendingResponse;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// ---- the upstream ----------------------------------------------------------

struct Request {
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool chunked = false;
  std::string header(std::string_view name) const {
    for (auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  }
  bool has(std::string_view name) const {
    return std::any_of(headers.begin(), headers.end(), [&](auto& h) { return h.first == name; });
  }
};

class Conn {
 public:
  Conn(tcp::socket s, const std::atomic<bool>& stop) : sock_(std::move(s)), stop_(stop) {}
  tcp::socket& socket() { return sock_; }

  // Bytes until `delim`, or nullopt at EOF.
  std::optional<std::string> read_until(std::string_view delim) {
    for (;;) {
      size_t at = buf_.find(delim);
      if (at != std::string::npos) {
        std::string out = buf_.substr(0, at + delim.size());
        buf_.erase(0, at + delim.size());
        return out;
      }
      if (!fill()) return std::nullopt;
    }
  }
  std::optional<std::string> read_exact(size_t n) {
    while (buf_.size() < n) {
      if (!fill()) return std::nullopt;
    }
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }
  // Reads one request, its body included (content-length or chunked).
  std::optional<Request> read_request() {
    auto head = read_until("\r\n\r\n");
    if (!head) return std::nullopt;
    Request r;
    size_t eol = head->find("\r\n");
    std::string line = head->substr(0, eol);
    size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
    r.method = line.substr(0, sp1);
    r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t pos = eol + 2;
    while (pos < head->size() - 2) {
      size_t end = head->find("\r\n", pos);
      std::string field = head->substr(pos, end - pos);
      pos = end + 2;
      size_t colon = field.find(':');
      std::string name = field.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      std::string value = field.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers.emplace_back(name, value);
    }
    if (r.header("transfer-encoding") == "chunked") {
      r.chunked = true;
      for (;;) {
        auto size_line = read_until("\r\n");
        if (!size_line) return std::nullopt;
        size_t n = std::stoul(*size_line, nullptr, 16);
        if (n == 0) {
          if (!read_until("\r\n")) return std::nullopt;  // no trailers from curl
          break;
        }
        auto data = read_exact(n + 2);
        if (!data) return std::nullopt;
        r.body += data->substr(0, n);
      }
    } else if (r.has("content-length")) {
      auto data = read_exact(std::stoul(r.header("content-length")));
      if (!data) return std::nullopt;
      r.body = *data;
    }
    return r;
  }
  bool write(std::string_view bytes) {
    boost::system::error_code ec;
    net::write(sock_, net::buffer(bytes.data(), bytes.size()), ec);
    return !ec;
  }
  // Blocks until the peer closes (true) or the server stops (false).
  bool wait_closed() {
    for (;;) {
      if (stop_) return false;
      pollfd p{sock_.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        char c[4096];
        ssize_t n = ::recv(sock_.native_handle(), c, sizeof c, 0);
        if (n <= 0) return true;
      }
    }
  }
  // Closes with an RST instead of a FIN.
  void reset() {
    sock_.set_option(net::socket_base::linger(true, 0));
    boost::system::error_code ec;
    sock_.close(ec);
  }

 private:
  bool fill() {
    for (;;) {
      if (stop_) return false;
      pollfd p{sock_.native_handle(), POLLIN, 0};
      int r = ::poll(&p, 1, 50);
      if (r == 0) continue;
      char c[65536];
      ssize_t n = ::recv(sock_.native_handle(), c, sizeof c, 0);
      if (n <= 0) return false;
      buf_.append(c, static_cast<size_t>(n));
      return true;
    }
  }
  tcp::socket sock_;
  const std::atomic<bool>& stop_;
  std::string buf_;
};

class Upstream {
 public:
  using Handler = std::function<void(Conn&)>;
  explicit Upstream(Handler handler)
      : handler_(std::move(handler)),
        acceptor_(io_, tcp::endpoint(net::ip::address_v4::loopback(), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~Upstream() {
    stop_ = true;
    {  // unblock accept
      boost::system::error_code ec;
      net::io_context io;
      tcp::socket s(io);
      s.connect(tcp::endpoint(net::ip::address_v4::loopback(), port_), ec);
    }
    thread_.join();
    std::lock_guard lock(mutex_);
    for (auto& t : conns_) t.join();
  }
  uint16_t port() const { return port_; }
  int connections() const { return accepted_.load(); }
  int closed_by_peer() const { return closed_.load(); }
  void note_closed() { ++closed_; }

 private:
  void accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s(io_);
      acceptor_.accept(s, ec);
      if (stop_ || ec) return;
      ++accepted_;
      std::lock_guard lock(mutex_);
      conns_.emplace_back([this, s = std::move(s)]() mutable {
        Conn c(std::move(s), stop_);
        handler_(c);
      });
    }
  }

  Handler handler_;
  net::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0}, closed_{0};
  std::mutex mutex_;
  std::list<std::thread> conns_;
  std::thread thread_;
};

// ---- the client side -------------------------------------------------------

struct Logs {
  std::mutex mutex;
  std::vector<std::string> lines;
  bool contains(std::string_view s) {
    std::lock_guard lock(mutex);
    return std::any_of(lines.begin(), lines.end(),
                       [&](auto& l) { return l.find(s) != std::string::npos; });
  }
};

CurlTransportOptions local_options(std::shared_ptr<Logs> logs = nullptr) {
  CurlTransportOptions o;
  o.allowed = AllowedHosts::parse({"http://127.0.0.1:*"}).value();
  if (logs) {
    o.log = [logs](std::string_view line) {
      std::lock_guard lock(logs->mutex);
      logs->lines.emplace_back(line);
    };
  }
  return o;
}

OutgoingRequest get(uint16_t port, std::string path = "/") {
  OutgoingRequest r;
  r.method = "GET";
  r.scheme = "http";
  r.authority = "127.0.0.1:" + std::to_string(port);
  r.path_with_query = std::move(path);
  return r;
}

struct Outcome {
  std::optional<IncomingResponse> response;
  std::optional<HttpError> error;
};

Outcome await(const std::shared_ptr<PendingResponse>& p, std::chrono::seconds limit = 10s) {
  Outcome out;
  if (!p->wait(Clock::now() + limit, {})) {
    ADD_FAILURE() << "no response within " << limit.count() << " s";
    return out;
  }
  auto taken = p->take();
  if (taken) {
    out.response = std::move(taken->first);
    out.error = std::move(taken->second);
  }
  return out;
}

ErrorCode await_error(const std::shared_ptr<PendingResponse>& p) {
  Outcome o = await(p);
  if (!o.error) {
    ADD_FAILURE() << "expected an error, got status " << (o.response ? o.response->status : 0);
    return ErrorCode::InternalError;
  }
  return o.error->code;
}

// Reads a body to its end; a failure's reason goes to *failure.
std::string read_body(ByteChannel& body, std::string* failure = nullptr,
                      std::chrono::seconds limit = 10s) {
  std::string out;
  auto deadline = Clock::now() + limit;
  while (!body.at_end()) {
    if (!body.wait_readable(deadline, {})) {
      ADD_FAILURE() << "body not done within " << limit.count() << " s";
      break;
    }
    out += body.read(1 << 20);
  }
  if (body.failed() && failure) *failure = body.failure();
  return out;
}

bool eventually(const std::function<bool()>& pred, std::chrono::seconds limit = 10s) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

std::string pattern(size_t offset, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (offset + i) % 26);
  return s;
}

// A port nothing listens on: bound, then closed.
uint16_t closed_port() {
  net::io_context io;
  tcp::acceptor a(io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
  uint16_t port = a.local_endpoint().port();
  a.close();
  return port;
}

// ---- tests -----------------------------------------------------------------

TEST(CurlTransport, GetWithHeadersAndStatus) {
  std::mutex m;
  Request seen;
  Upstream up([&](Conn& c) {
    auto r = c.read_request();
    if (!r) return;
    {
      std::lock_guard lock(m);
      seen = *r;
    }
    c.write(
        "HTTP/1.1 201 Created\r\nX-Reply: yes\r\nX-Multi: 1\r\nX-Multi: 2\r\n"
        "Content-Length: 5\r\n\r\nhello");
  });
  CurlTransport transport(local_options());
  OutgoingRequest req = get(up.port(), "/a/../b?q=1%202");
  req.headers = {{"X-Custom", "one"}, {"x-empty", ""}};
  Outcome o = await(transport.send(std::move(req)));
  ASSERT_TRUE(o.response) << (o.error ? o.error->describe() : "");
  EXPECT_EQ(o.response->status, 201);
  auto& h = o.response->headers;
  EXPECT_NE(std::find(h.begin(), h.end(), std::pair<std::string, std::string>{"X-Reply", "yes"}),
            h.end());
  EXPECT_EQ(std::count_if(h.begin(), h.end(), [](auto& f) { return f.first == "X-Multi"; }), 2);
  EXPECT_EQ(read_body(*o.response->body), "hello");
  EXPECT_TRUE(o.response->body->at_end());
  EXPECT_FALSE(o.response->body->failed());

  std::lock_guard lock(m);
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/a/../b?q=1%202");  // as given: no dot-segment squashing
  EXPECT_EQ(seen.header("host"), "127.0.0.1:" + std::to_string(up.port()));
  EXPECT_EQ(seen.header("x-custom"), "one");
  EXPECT_TRUE(seen.has("x-empty"));
  // Nothing the guest did not send (hyper, Wasmtime's client, adds none).
  EXPECT_FALSE(seen.has("user-agent"));
  EXPECT_FALSE(seen.has("accept"));
  EXPECT_FALSE(seen.has("expect"));
  EXPECT_FALSE(seen.has("transfer-encoding"));
}

TEST(CurlTransport, GuestAcceptAndUserAgentPassThrough) {
  std::mutex m;
  Request seen;
  Upstream up([&](Conn& c) {
    auto r = c.read_request();
    if (!r) return;
    std::lock_guard lock(m);
    seen = *r;
    c.write("HTTP/1.1 204 No Content\r\n\r\n");
  });
  CurlTransport transport(local_options());
  OutgoingRequest req = get(up.port());
  req.headers = {{"Accept", "text/plain"}, {"User-Agent", "guest/1"}};
  Outcome o = await(transport.send(std::move(req)));
  ASSERT_TRUE(o.response);
  EXPECT_EQ(o.response->status, 204);
  EXPECT_EQ(read_body(*o.response->body), "");
  std::lock_guard lock(m);
  EXPECT_EQ(seen.header("accept"), "text/plain");
  EXPECT_EQ(seen.header("user-agent"), "guest/1");
}

TEST(CurlTransport, HeadAndNoRedirects) {
  Upstream up([&](Conn& c) {
    while (auto r = c.read_request()) {
      if (r->method == "HEAD") {
        c.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
      } else {
        c.write("HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n");
      }
    }
  });
  CurlTransport transport(local_options());
  OutgoingRequest head = get(up.port());
  head.method = "HEAD";
  Outcome o = await(transport.send(std::move(head)));
  ASSERT_TRUE(o.response);
  EXPECT_EQ(o.response->status, 200);
  EXPECT_EQ(read_body(*o.response->body), "");

  Outcome r = await(transport.send(get(up.port())));
  ASSERT_TRUE(r.response);
  EXPECT_EQ(r.response->status, 302);  // not followed
  EXPECT_EQ(read_body(*r.response->body), "");
}

TEST(CurlTransport, StreamedDownloadReadSlowlyStaysWithinCapacity) {
  constexpr size_t kTotal = 64u << 20;
  Upstream up([&](Conn& c) {
    if (!c.read_request()) return;
    if (!c.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kTotal) + "\r\n\r\n")) {
      return;
    }
    const std::string block = pattern(0, 26 * 2521);  // a multiple of 26: blocks line up
    size_t sent = 0;
    while (sent < kTotal) {
      size_t n = std::min(block.size(), kTotal - sent);
      if (!c.write(std::string_view(block).substr(0, n))) return;
      sent += n;
    }
  });
  CurlTransportOptions options = local_options();
  options.response_body_capacity = 64 * 1024;
  // Pauses by the reader are not stalls: a 2 s nap below must not trip this.
  options.default_between_bytes_ns = 1'000'000'000;
  CurlTransport transport(std::move(options));
  Outcome o = await(transport.send(get(up.port())));
  ASSERT_TRUE(o.response);
  ByteChannel& body = *o.response->body;
  EXPECT_EQ(body.capacity(), 64u * 1024);

  size_t got = 0, max_buffered = 0, mismatches = 0;
  auto deadline = Clock::now() + 120s;
  bool napped = false;
  while (!body.at_end() && Clock::now() < deadline) {
    max_buffered = std::max(max_buffered, body.buffered());
    if (!body.wait_readable(deadline, {})) break;
    std::string chunk = body.read(16 * 1024);
    if (chunk != pattern(got, chunk.size())) ++mismatches;
    got += chunk.size();
    if (got % (8u << 20) < chunk.size()) std::this_thread::sleep_for(20ms);  // slow reader
    if (!napped && got > (32u << 20)) {
      napped = true;
      std::this_thread::sleep_for(2s);  // the channel fills; curl is paused
      max_buffered = std::max(max_buffered, body.buffered());
    }
  }
  EXPECT_FALSE(body.failed()) << body.failure();
  EXPECT_EQ(got, kTotal);
  EXPECT_EQ(mismatches, 0u);
  EXPECT_LE(max_buffered, body.capacity());
  EXPECT_TRUE(eventually([&] { return transport.in_flight() == 0; }));
}

// Uploads 1 MiB written in pieces (with pauses, so curl's read callback
// finds the channel empty and pauses the upload), chunked or with a length.
void upload(bool with_length) {
  constexpr size_t kTotal = 1u << 20;
  std::mutex m;
  Request seen;
  Upstream up([&](Conn& c) {
    auto r = c.read_request();
    if (!r) return;
    {
      std::lock_guard lock(m);
      seen = *r;
    }
    std::string reply =
        std::to_string(r->body.size()) + (r->body == pattern(0, kTotal) ? " ok" : " bad");
    c.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(reply.size()) + "\r\n\r\n" +
            reply);
  });
  CurlTransport transport(local_options());
  OutgoingRequest req = get(up.port(), "/upload");
  req.method = "POST";
  if (with_length) req.headers = {{"Content-Length", std::to_string(kTotal)}};
  auto body = std::make_shared<ByteChannel>(32 * 1024);
  req.body = body;
  auto pending = transport.send(std::move(req));
  size_t written = 0;
  auto deadline = Clock::now() + 30s;
  while (written < kTotal && Clock::now() < deadline) {
    if (!body->wait_writable(deadline, {})) break;
    size_t n = body->write(pattern(written, std::min<size_t>(7000, kTotal - written)));
    written += n;
    if (written < 100'000) std::this_thread::sleep_for(2ms);  // let curl run dry
  }
  body->finish();
  Outcome o = await(pending, 30s);
  ASSERT_TRUE(o.response) << (o.error ? o.error->describe() : "");
  EXPECT_EQ(read_body(*o.response->body), std::to_string(kTotal) + " ok");
  std::lock_guard lock(m);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.chunked, !with_length);
  EXPECT_EQ(seen.has("content-length"), with_length);
  EXPECT_FALSE(seen.has("expect"));
}

TEST(CurlTransport, StreamedUploadChunked) { upload(false); }
TEST(CurlTransport, StreamedUploadWithContentLength) { upload(true); }

TEST(CurlTransport, EmptyFinishedBodyIsNoBody) {
  std::mutex m;
  Request seen;
  Upstream up([&](Conn& c) {
    auto r = c.read_request();
    if (!r) return;
    std::lock_guard lock(m);
    seen = *r;
    c.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  });
  CurlTransport transport(local_options());
  OutgoingRequest req = get(up.port());
  req.body = std::make_shared<ByteChannel>();
  req.body->finish();
  Outcome o = await(transport.send(std::move(req)));
  ASSERT_TRUE(o.response);
  std::lock_guard lock(m);
  EXPECT_EQ(seen.method, "GET");
  EXPECT_FALSE(seen.has("transfer-encoding"));
}

TEST(CurlTransport, RequestBodyFailureFailsTheRequest) {
  Upstream up([&](Conn& c) { c.read_request(); });
  CurlTransport transport(local_options());
  OutgoingRequest req = get(up.port());
  req.method = "PUT";
  auto body = std::make_shared<ByteChannel>();
  req.body = body;
  auto pending = transport.send(std::move(req));
  body->write("partial");
  std::this_thread::sleep_for(50ms);
  body->fail("HTTP-request-body-size: guest wrote 7 of 10 bytes");
  EXPECT_EQ(await_error(pending), ErrorCode::HttpRequestBodySize);
}

// The host's outgoing-body.finish fails a body shorter or longer than its
// content-length with a reason of its own: with a length, that is
// HTTP-request-body-size; without, internal-error naming the reason.
TEST(CurlTransport, RequestBodyFailureWithALength) {
  Upstream up([&](Conn& c) {
    c.read_request();
    c.wait_closed();
  });
  CurlTransport transport(local_options());
  for (bool with_length : {true, false}) {
    OutgoingRequest req = get(up.port());
    req.method = "PUT";
    if (with_length) req.headers = {{"content-length", "10"}};
    auto body = std::make_shared<ByteChannel>();
    req.body = body;
    auto pending = transport.send(std::move(req));
    body->write("seven b");
    std::this_thread::sleep_for(50ms);
    body->fail("body of 7 bytes, content-length 10");
    Outcome o = await(pending);
    ASSERT_TRUE(o.error);
    if (with_length) {
      EXPECT_EQ(o.error->code, ErrorCode::HttpRequestBodySize) << o.error->describe();
      EXPECT_EQ(o.error->size, 7u);
    } else {
      EXPECT_EQ(o.error->code, ErrorCode::InternalError);
      EXPECT_NE(o.error->describe().find("content-length 10"), std::string::npos);
    }
  }
}

TEST(CurlTransport, DeniedOriginIsLoggedAndRefusedAtOnce) {
  auto logs = std::make_shared<Logs>();
  CurlTransportOptions options = local_options(logs);
  options.allowed = AllowedHosts::parse({"http://127.0.0.1:1"}).value();
  CurlTransport transport(std::move(options));
  auto pending = transport.send(get(4321));
  EXPECT_TRUE(pending->ready());
  EXPECT_EQ(await_error(pending), ErrorCode::HttpRequestDenied);
  EXPECT_TRUE(logs->contains("http://127.0.0.1:4321"));

  OutgoingRequest https = get(443);
  https.scheme = "https";
  https.authority = "127.0.0.1";
  EXPECT_EQ(await_error(transport.send(std::move(https))), ErrorCode::HttpRequestDenied);
  EXPECT_TRUE(logs->contains("https://127.0.0.1:443"));
  EXPECT_EQ(transport.in_flight(), 0u);
}

TEST(CurlTransport, NoAllowListDeniesEverything) {
  CurlTransportOptions options;
  CurlTransport transport(std::move(options));
  EXPECT_EQ(await_error(transport.send(get(80))), ErrorCode::HttpRequestDenied);
}

TEST(CurlTransport, BadSchemeAuthorityMethodPath) {
  auto logs = std::make_shared<Logs>();
  CurlTransportOptions options = local_options(logs);
  options.allowed = AllowedHosts::parse({"*://*:*"}).value();
  CurlTransport transport(std::move(options));
  OutgoingRequest ftp = get(21);
  ftp.scheme = "ftp";
  EXPECT_EQ(await_error(transport.send(std::move(ftp))), ErrorCode::HttpRequestDenied);
  EXPECT_TRUE(logs->contains("ftp"));
  for (std::string authority :
       {"", "user@127.0.0.1:80", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:99999", "127.0.0.1:8x",
        "[::1", "[zz]:80", "a b", "host/path", ":80"}) {
    OutgoingRequest r = get(80);
    r.authority = authority;
    EXPECT_EQ(await_error(transport.send(std::move(r))), ErrorCode::HttpRequestUriInvalid)
        << authority;
  }
  OutgoingRequest space = get(80, "/a b");
  EXPECT_EQ(await_error(transport.send(std::move(space))), ErrorCode::HttpRequestUriInvalid);
  OutgoingRequest method = get(80);
  method.method = "GE T";
  EXPECT_EQ(await_error(transport.send(std::move(method))), ErrorCode::HttpRequestMethodInvalid);
  EXPECT_EQ(transport.in_flight(), 0u);
}

TEST(CurlTransport, ClosedPortIsConnectionRefused) {
  CurlTransport transport(local_options());
  EXPECT_EQ(await_error(transport.send(get(closed_port()))), ErrorCode::ConnectionRefused);
  EXPECT_TRUE(eventually([&] { return transport.in_flight() == 0; }));
}

TEST(CurlTransport, DnsFailure) {
  CurlTransportOptions options = local_options();
  options.allowed = AllowedHosts::parse({"http://*.invalid"}).value();
  CurlTransport transport(std::move(options));
  OutgoingRequest r = get(80);
  r.authority = "no-such-host.invalid";
  r.timeouts.connect_ns = 5'000'000'000;
  ErrorCode code = await_error(transport.send(std::move(r)));
  EXPECT_TRUE(code == ErrorCode::DnsError || code == ErrorCode::DnsTimeout)
      << wasi::http::label(code);
}

TEST(CurlTransport, SilentUpstreamEndsAtFirstByteTimeout) {
  Upstream up([&](Conn& c) {
    c.read_request();
    c.wait_closed();
  });
  CurlTransport transport(local_options());
  OutgoingRequest r = get(up.port());
  r.timeouts.first_byte_ns = 300'000'000;
  auto start = Clock::now();
  Outcome o = await(transport.send(std::move(r)));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, ErrorCode::HttpResponseTimeout) << o.error->describe();
  EXPECT_LT(Clock::now() - start, 10s);
  EXPECT_GE(Clock::now() - start, 250ms);
}

TEST(CurlTransport, DefaultFirstByteTimeoutApplies) {
  Upstream up([&](Conn& c) {
    c.read_request();
    c.wait_closed();
  });
  CurlTransportOptions options = local_options();
  options.default_first_byte_ns = 200'000'000;
  CurlTransport transport(std::move(options));
  EXPECT_EQ(await_error(transport.send(get(up.port()))), ErrorCode::HttpResponseTimeout);
}

TEST(CurlTransport, StalledBodyEndsAtBetweenBytesTimeout) {
  Upstream up([&](Conn& c) {
    if (!c.read_request()) return;
    c.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst");
    c.wait_closed();
  });
  CurlTransport transport(local_options());
  OutgoingRequest r = get(up.port());
  r.timeouts.between_bytes_ns = 300'000'000;
  Outcome o = await(transport.send(std::move(r)));
  ASSERT_TRUE(o.response);
  std::string failure;
  EXPECT_EQ(read_body(*o.response->body, &failure), "first");
  EXPECT_EQ(failure.rfind("connection-read-timeout", 0), 0u) << failure;
}

TEST(CurlTransport, ResetMidBodyFailsTheChannel) {
  Upstream up([&](Conn& c) {
    if (!c.read_request()) return;
    c.write("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n");
    c.write(pattern(0, 100'000));
    std::this_thread::sleep_for(100ms);
    c.reset();
  });
  CurlTransport transport(local_options());
  Outcome o = await(transport.send(get(up.port())));
  ASSERT_TRUE(o.response);
  std::string failure;
  std::string got = read_body(*o.response->body, &failure);
  EXPECT_TRUE(o.response->body->failed());
  EXPECT_LE(got.size(), 100'000u);
  EXPECT_TRUE(failure.rfind("connection-terminated", 0) == 0 ||
              failure.rfind("HTTP-response-incomplete", 0) == 0)
      << failure;
}

TEST(CurlTransport, ShortBodyIsIncomplete) {
  Upstream up([&](Conn& c) {
    if (!c.read_request()) return;
    c.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
  });  // then a clean close
  CurlTransport transport(local_options());
  Outcome o = await(transport.send(get(up.port())));
  ASSERT_TRUE(o.response);
  std::string failure;
  EXPECT_EQ(read_body(*o.response->body, &failure), "only this");
  EXPECT_EQ(failure.rfind("HTTP-response-incomplete", 0), 0u) << failure;
}

TEST(CurlTransport, ResetBeforeTheHeadIsConnectionTerminated) {
  Upstream up([&](Conn& c) {
    if (!c.read_request()) return;
    c.reset();
  });
  CurlTransport transport(local_options());
  ErrorCode code = await_error(transport.send(get(up.port())));
  EXPECT_EQ(code, ErrorCode::ConnectionTerminated) << wasi::http::label(code);
}

TEST(CurlTransport, CancelAbortsTheTransfer) {
  Upstream up([&](Conn& c) {
    c.read_request();
    if (c.wait_closed()) {
    }
  });
  CurlTransport transport(local_options());
  auto pending = transport.send(get(up.port()));
  ASSERT_TRUE(eventually([&] { return up.connections() == 1; }));
  std::this_thread::sleep_for(50ms);
  pending->cancel();
  EXPECT_TRUE(eventually([&] { return transport.in_flight() == 0; }));
}

TEST(CurlTransport, DroppedBodyAbortsTheTransfer) {
  std::atomic<bool> peer_closed{false};
  Upstream up([&](Conn& c) {
    if (!c.read_request()) return;
    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (size_t i = 0; i < 100000; ++i) {  // endless, slowly
      if (!c.write("1000\r\n" + pattern(0, 0x1000) + "\r\n")) {
        peer_closed = true;
        return;
      }
      std::this_thread::sleep_for(1ms);
    }
  });
  CurlTransport transport(local_options());
  Outcome o = await(transport.send(get(up.port())));
  ASSERT_TRUE(o.response);
  ASSERT_TRUE(o.response->body->wait_readable(Clock::now() + 10s, {}));
  o.response->body->read(100);
  o.response->body->close_consumer();
  EXPECT_TRUE(eventually([&] { return transport.in_flight() == 0; }));
  EXPECT_TRUE(eventually([&] { return peer_closed.load(); }));
}

TEST(CurlTransport, ForgottenResponseBodyAbortsTheTransfer) {
  Upstream up([&](Conn& c) {
    if (!c.read_request()) return;
    c.write("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n");
    std::string block(1 << 16, 'x');
    while (c.write(block)) {
    }
  });
  CurlTransport transport(local_options());
  {
    Outcome o = await(transport.send(get(up.port())));
    ASSERT_TRUE(o.response);
    ASSERT_TRUE(o.response->body->wait_readable(Clock::now() + 10s, {}));
  }  // dropped without close_consumer(): nobody can read it now
  EXPECT_TRUE(eventually([&] { return transport.in_flight() == 0; }));
}

TEST(CurlTransport, ForgottenRequestBodyFailsTheRequest) {
  Upstream up([&](Conn& c) {
    c.read_request();
    c.wait_closed();
  });
  CurlTransport transport(local_options());
  OutgoingRequest put = get(up.port());
  put.method = "PUT";
  auto body = std::make_shared<ByteChannel>();
  put.body = body;
  auto pending = transport.send(std::move(put));
  body->write("some");
  body.reset();  // neither finished nor failed, and gone
  Outcome o = await(pending);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, ErrorCode::InternalError) << o.error->describe();
}

TEST(CurlTransport, DestructionFailsTransfersInFlight) {
  Upstream silent([&](Conn& c) {
    c.read_request();
    c.wait_closed();
  });
  Upstream streaming([&](Conn& c) {
    if (!c.read_request()) return;
    c.write("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\nstart");
    c.wait_closed();
  });
  std::vector<std::shared_ptr<PendingResponse>> silent_pending;
  std::shared_ptr<ByteChannel> streaming_body;
  std::shared_ptr<ByteChannel> upload = std::make_shared<ByteChannel>();
  auto start = Clock::now();
  {
    CurlTransport transport(local_options());
    for (int i = 0; i < 3; ++i) silent_pending.push_back(transport.send(get(silent.port())));
    OutgoingRequest put = get(silent.port());
    put.method = "PUT";
    put.body = upload;
    silent_pending.push_back(transport.send(std::move(put)));
    Outcome o = await(transport.send(get(streaming.port())));
    ASSERT_TRUE(o.response);
    streaming_body = o.response->body;
    ASSERT_TRUE(eventually([&] { return silent.connections() == 4; }));
  }
  for (auto& p : silent_pending) {
    EXPECT_TRUE(p->ready());
    EXPECT_EQ(await_error(p), ErrorCode::ConnectionTerminated);
  }
  std::string failure;
  EXPECT_EQ(read_body(*streaming_body, &failure), "start");
  EXPECT_EQ(failure.rfind("connection-terminated", 0), 0u) << failure;
  EXPECT_TRUE(upload->consumer_gone());  // the guest's further writes go nowhere
  EXPECT_EQ(upload->write("more"), 0u);
  EXPECT_LT(Clock::now() - start, 10s);
}

TEST(CurlTransport, ConcurrencyCap) {
  Upstream up([&](Conn& c) {
    c.read_request();
    c.wait_closed();
  });
  CurlTransportOptions options = local_options();
  options.max_in_flight = 2;
  CurlTransport transport(std::move(options));
  auto a = transport.send(get(up.port()));
  auto b = transport.send(get(up.port()));
  auto c = transport.send(get(up.port()));
  EXPECT_TRUE(c->ready());
  EXPECT_EQ(await_error(c), ErrorCode::ConnectionLimitReached);
  EXPECT_FALSE(a->ready());
  EXPECT_EQ(transport.in_flight(), 2u);
  a->cancel();
  ASSERT_TRUE(eventually([&] { return transport.in_flight() == 1; }));
  auto d = transport.send(get(up.port()));
  EXPECT_FALSE(d->ready());
  EXPECT_EQ(transport.in_flight(), 2u);
}

TEST(CurlTransport, ManyConcurrentRequests) {
  Upstream up([&](Conn& c) {
    while (auto r = c.read_request()) {
      std::string body = "echo " + r->target;
      c.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
              body);
    }
  });
  CurlTransport transport(local_options());
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string path = "/" + std::to_string(t) + "/" + std::to_string(i);
        Outcome o = await(transport.send(get(up.port(), path)));
        if (o.response && read_body(*o.response->body) == "echo " + path) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 40);
}

TEST(CurlTransport, InformationalResponsesAreSkipped) {
  Upstream up([&](Conn& c) {
    if (!c.read_request()) return;
    c.write(
        "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
        "HTTP/1.1 200 OK\r\nX-Final: 1\r\nContent-Length: 2\r\n\r\nok");
  });
  CurlTransport transport(local_options());
  Outcome o = await(transport.send(get(up.port())));
  ASSERT_TRUE(o.response);
  EXPECT_EQ(o.response->status, 200);
  ASSERT_EQ(o.response->headers.size(), 2u);
  EXPECT_EQ(o.response->headers[0].first, "X-Final");
  EXPECT_EQ(read_body(*o.response->body), "ok");
}

TEST(CurlTransport, ChunkedResponseWithTrailers) {
  Upstream up([&](Conn& c) {
    if (!c.read_request()) return;
    c.write(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n");
  });
  CurlTransport transport(local_options());
  Outcome o = await(transport.send(get(up.port())));
  ASSERT_TRUE(o.response);
  EXPECT_EQ(read_body(*o.response->body), "hello world");
  auto trailers = o.response->body->take_trailers();
  ASSERT_TRUE(trailers);
  ASSERT_EQ(trailers->size(), 1u);
  EXPECT_EQ((*trailers)[0], (std::pair<std::string, std::string>{"X-Sum", "42"}));
}

// ---- hostile upstreams -----------------------------------------------------

TEST(CurlTransport, HugeHeaderSectionIsRefused) {
  Upstream up([&](Conn& c) {
    if (!c.read_request()) return;
    c.write("HTTP/1.1 200 OK\r\n");
    std::string field = "X-Pad: " + std::string(1000, 'p') + "\r\n";
    for (int i = 0; i < 10000; ++i) {  // 10 MB of headers, unless stopped
      if (!c.write(field)) return;
    }
  });
  CurlTransport transport(local_options());
  Outcome o = await(transport.send(get(up.port())));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, ErrorCode::HttpResponseHeaderSectionSize) << o.error->describe();
}

TEST(CurlTransport, OneHugeHeaderLineIsRefused) {
  Upstream up([&](Conn& c) {
    if (!c.read_request()) return;
    c.write("HTTP/1.1 200 OK\r\nX-Big: " + std::string(300'000, 'b') + "\r\n\r\n");
  });
  CurlTransport transport(local_options());
  Outcome o = await(transport.send(get(up.port())));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, ErrorCode::HttpResponseHeaderSectionSize) << o.error->describe();
}

TEST(CurlTransport, TricklingHeadEndsAtFirstByteTimeout) {
  Upstream up([&](Conn& c) {
    if (!c.read_request()) return;
    std::string head = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 1000; ++i) head += "X-Slow-" + std::to_string(i) + ": 1\r\n";
    for (char ch : head) {  // a byte every 20 ms: always progress, never a head
      if (!c.write(std::string_view(&ch, 1))) return;
      std::this_thread::sleep_for(20ms);
    }
  });
  CurlTransport transport(local_options());
  OutgoingRequest r = get(up.port());
  r.timeouts.first_byte_ns = 300'000'000;
  auto start = Clock::now();
  EXPECT_EQ(await_error(transport.send(std::move(r))), ErrorCode::HttpResponseTimeout);
  EXPECT_LT(Clock::now() - start, 10s);
}

TEST(CurlTransport, BogusStatusLineIsProtocolError) {
  for (std::string reply :
       {"FOO BAR\r\n\r\n", "HTTP/1.1 abc Nope\r\n\r\n", "HTTP/1.1 2000 Long\r\n\r\n", "\r\n\r\n"}) {
    Upstream up([&](Conn& c) {
      if (!c.read_request()) return;
      c.write(reply);
    });
    CurlTransport transport(local_options());
    Outcome o = await(transport.send(get(up.port())));
    ASSERT_TRUE(o.error) << reply;
    EXPECT_EQ(o.error->code, ErrorCode::HttpProtocolError) << reply << o.error->describe();
  }
}

TEST(CurlTransport, BodyLongerThanContentLengthIsCut) {
  Upstream up([&](Conn& c) {
    if (!c.read_request()) return;
    c.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA BYTES THAT DO NOT BELONG");
    c.wait_closed();
  });
  CurlTransport transport(local_options());
  Outcome o = await(transport.send(get(up.port())));
  ASSERT_TRUE(o.response);
  std::string failure;
  EXPECT_EQ(read_body(*o.response->body, &failure), "hello");
  EXPECT_EQ(failure, "");
}

TEST(CurlTransport, GarbageAfterTheHeadIsHandled) {
  Upstream up([&](Conn& c) {
    if (!c.read_request()) return;
    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz-not-a-size\r\n");
    c.wait_closed();
  });
  CurlTransport transport(local_options());
  Outcome o = await(transport.send(get(up.port())));
  ASSERT_TRUE(o.response);
  std::string failure;
  read_body(*o.response->body, &failure);
  EXPECT_TRUE(o.response->body->failed());
  EXPECT_FALSE(failure.empty());
}

// ---- TLS ---------------------------------------------------------------------

// `openssl s_server -www` on 127.0.0.1 with a fresh self-signed certificate
// for "localhost" (DNS name only, so 127.0.0.1 does not match it).
class TlsUpstream {
 public:
  TlsUpstream() {
    char tmpl[] = "/tmp/weft-outbound-tls-XXXXXX";
    if (!mkdtemp(tmpl)) return;
    dir_ = tmpl;
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost -days 2 -keyout " +
        dir_ + "/key.pem -out " + dir_ + "/cert.pem >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return;
    port_ = closed_port();
    std::string accept = "127.0.0.1:" + std::to_string(port_);
    std::string cert = dir_ + "/cert.pem", key = dir_ + "/key.pem";
    pid_ = fork();
    if (pid_ == 0) {
      freopen("/dev/null", "w", stdout);
      freopen("/dev/null", "w", stderr);
      execlp("openssl", "openssl", "s_server", "-accept", accept.c_str(), "-cert", cert.c_str(),
             "-key", key.c_str(), "-www", static_cast<char*>(nullptr));
      _exit(127);
    }
    auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
      net::io_context io;
      tcp::socket s(io);
      boost::system::error_code ec;
      s.connect(tcp::endpoint(net::ip::address_v4::loopback(), port_), ec);
      if (!ec) {
        ready_ = true;
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
  }
  ~TlsUpstream() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  bool ready() const { return ready_; }
  uint16_t port() const { return port_; }
  std::string cert() const { return dir_ + "/cert.pem"; }

 private:
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool ready_ = false;
};

OutgoingRequest https_get(const std::string& host, uint16_t port) {
  OutgoingRequest r = get(port);
  r.scheme = "https";
  r.authority = host + ":" + std::to_string(port);
  return r;
}

CurlTransportOptions tls_options(std::string ca_file = {}) {
  CurlTransportOptions o;
  o.allowed = AllowedHosts::parse({"https://localhost:*", "https://127.0.0.1:*"}).value();
  o.ca_file = std::move(ca_file);
  return o;
}

TEST(CurlTransport, HttpsWithTrustedCa) {
  TlsUpstream up;
  if (!up.ready()) GTEST_SKIP() << "openssl s_server did not start";
  CurlTransport transport(tls_options(up.cert()));
  Outcome o = await(transport.send(https_get("localhost", up.port())));
  ASSERT_TRUE(o.response) << (o.error ? o.error->describe() : "");
  EXPECT_EQ(o.response->status, 200);
  EXPECT_NE(read_body(*o.response->body).find("s_server"), std::string::npos);
}

TEST(CurlTransport, HttpsUntrustedCertificate) {
  TlsUpstream up;
  if (!up.ready()) GTEST_SKIP() << "openssl s_server did not start";
  CurlTransport transport(tls_options());  // the system CAs: self-signed is untrusted
  Outcome o = await(transport.send(https_get("localhost", up.port())));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, ErrorCode::TlsCertificateError) << o.error->describe();
}

TEST(CurlTransport, HttpsNameMismatch) {
  TlsUpstream up;
  if (!up.ready()) GTEST_SKIP() << "openssl s_server did not start";
  CurlTransport transport(tls_options(up.cert()));
  Outcome o = await(transport.send(https_get("127.0.0.1", up.port())));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, ErrorCode::TlsCertificateError) << o.error->describe();
}

TEST(CurlTransport, HttpsToPlainHttpIsTlsProtocolError) {
  Upstream up([&](Conn& c) {
    c.read_exact(5);  // the start of a ClientHello; answer in clear text
    c.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  });
  CurlTransport transport(tls_options());
  Outcome o = await(transport.send(https_get("127.0.0.1", up.port())));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, ErrorCode::TlsProtocolError) << o.error->describe();
}

}  // namespace
}  // namespace weft::serve::outbound
