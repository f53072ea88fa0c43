#include "serve/outbound/curl_transport.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace weft::serve::outbound {

using wasi::http::ErrorCode;
using wasi::http::FieldList;
using wasi::http::HttpError;
using wasi::http::IncomingResponse;
using wasi::http::OutgoingRequest;
using wasi::http::PendingResponse;
using Clock = std::chrono::steady_clock;

namespace {

HttpError make_error(ErrorCode code, std::optional<std::string> text = std::nullopt,
                     std::optional<uint64_t> size = std::nullopt) {
  HttpError e;
  e.code = code;
  e.text = std::move(text);
  e.size = size;
  return e;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool has_header(const FieldList& fields, std::string_view name) {
  return std::any_of(fields.begin(), fields.end(),
                     [&](const auto& f) { return iequals(f.first, name); });
}

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// A channel failure reason that names an error code ("HTTP-request-body-size:
// ..."): that code; anything else is internal-error with the reason.
HttpError error_from_reason(const std::string& reason) {
  for (unsigned i = 0; i <= static_cast<unsigned>(ErrorCode::InternalError); ++i) {
    auto code = static_cast<ErrorCode>(i);
    std::string_view lbl = wasi::http::label(code);
    if (reason.size() >= lbl.size() && reason.compare(0, lbl.size(), lbl) == 0 &&
        (reason.size() == lbl.size() || reason[lbl.size()] == ':' || reason[lbl.size()] == ' ')) {
      return make_error(code,
                        code == ErrorCode::InternalError ? std::optional(reason) : std::nullopt);
    }
  }
  return make_error(ErrorCode::InternalError, "request body failed: " + reason);
}

// The request body channel failed: with a content-length, that is a body of
// the wrong size (what the host's outgoing-body.finish checks); else the
// reason's own label, if it starts with one.
HttpError request_body_error(const ByteChannel& body, bool has_length) {
  std::string reason = body.failure();
  HttpError e = error_from_reason(reason);
  if (e.code == ErrorCode::InternalError && has_length) {
    return make_error(ErrorCode::HttpRequestBodySize, std::nullopt, body.total_written());
  }
  return e;
}

struct Authority {
  std::string host;  // brackets kept for IPv6, as in a URL
  uint16_t port = 0;
};

// "host", "host:port", "[v6]", "[v6]:port"; no userinfo.
std::optional<Authority> parse_authority(std::string_view text, uint16_t default_port) {
  Authority a;
  std::string_view port;
  if (text.empty()) return std::nullopt;
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string inner(text.substr(1, close - 1));
    unsigned char buf[16];
    if (inet_pton(AF_INET6, inner.c_str(), buf) != 1) return std::nullopt;
    a.host = std::string(text.substr(0, close + 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else {
    size_t colon = text.find(':');
    std::string_view host = text.substr(0, colon);
    if (host.empty()) return std::nullopt;
    for (char c : host) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
        return std::nullopt;
      }
    }
    a.host = std::string(host);
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
  }
  if (port.empty()) {
    a.port = default_port;
    return a;
  }
  if (port.size() > 5) return std::nullopt;
  uint32_t v = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535) return std::nullopt;
  a.port = static_cast<uint16_t>(v);
  return a;
}

bool valid_path(std::string_view p) {
  if (p.empty()) return true;
  if (p.front() != '/' && p != "*") return false;
  return std::all_of(p.begin(), p.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '#';
  });
}

uint64_t ms_of(uint64_t ns) { return std::max<uint64_t>(1, (ns + 999'999) / 1'000'000); }

// Set by a channel's waker; the loop looks at the transfer next time round.
struct Poke {
  std::atomic<bool> flag{false};
};

}  // namespace

// What the wakers hold: it outlives the transport's thread, so a waker that
// fires late (a guest reading a body after the transport is gone) finds
// `multi` null instead of a freed handle.
struct Shared {
  std::mutex mutex;
  CURLM* multi = nullptr;
  void wake() {
    std::lock_guard lock(mutex);
    if (multi) curl_multi_wakeup(multi);
  }
};

namespace {

class TransferWaker final : public Waker {
 public:
  TransferWaker(std::shared_ptr<Shared> shared, std::shared_ptr<Poke> poke)
      : shared_(std::move(shared)), poke_(std::move(poke)) {}
  void wake() override {
    poke_->flag.store(true, std::memory_order_release);
    shared_->wake();
  }

 private:
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<Poke> poke_;
};

}  // namespace

struct Transfer {
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  char error_buffer[CURL_ERROR_SIZE] = {};
  std::string url;
  std::shared_ptr<PendingResponse> pending;
  std::shared_ptr<ByteChannel> request_body;   // may be null
  std::shared_ptr<ByteChannel> response_body;  // once the head is in
  bool has_length = false;                     // the guest gave a content-length
  std::shared_ptr<Poke> poke = std::make_shared<Poke>();
  std::shared_ptr<Waker> waker;
  const CurlTransportOptions* options = nullptr;

  // Response head.
  uint16_t status = 0;
  FieldList fields;
  FieldList trailers;
  size_t header_bytes = 0;
  bool head_done = false;

  // Flow control: paused by us (not by the network).
  bool send_paused = false, recv_paused = false;
  std::string spill;  // response bytes curl gave us that the channel had no room for

  // Timing.
  bool connected = false;
  Clock::time_point connected_at{}, last_progress{};
  uint64_t first_byte_ns = 0, between_bytes_ns = 0;

  // An error a callback or a timer decided on (curl's own code is then
  // only the way out), or a quiet end (the guest no longer listens).
  std::optional<HttpError> error;
  bool quiet = false;
  bool draining = false;  // curl is done; spill still to hand to the channel

  void fail(HttpError e) {
    if (!error) error = std::move(e);
  }
};

struct CurlTransport::Impl {
  explicit Impl(CurlTransportOptions o) : options(std::move(o)) {}

  CurlTransportOptions options;
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  std::atomic<size_t> in_flight{0};

  std::mutex mutex;  // guards incoming and stop
  std::vector<std::unique_ptr<Transfer>> incoming;
  bool stop = false;

  std::list<std::unique_ptr<Transfer>> active;  // the thread's only
  std::thread thread;

  void log(const std::string& line) const {
    if (options.log) options.log(line);
  }

  void run();
  void start(std::unique_ptr<Transfer> t);
  void service(Transfer& t);
  void check_timers(Transfer& t, Clock::time_point now);
  void unpause(Transfer& t);
  // Ends a transfer curl is done with (or that we abort): fails or ends
  // its response, releases the curl handle. Returns false while spill
  // remains to be delivered (the transfer stays, draining).
  bool finish(Transfer& t, CURLcode code);
  void release(Transfer& t);
  HttpError map_error(Transfer& t, CURLcode code);
  bool drain_spill(Transfer& t);
};

namespace {

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  t.header_bytes += len;
  if (t.header_bytes > t.options->max_response_header_bytes) {
    t.fail(make_error(t.head_done ? ErrorCode::HttpResponseTrailerSectionSize
                                  : ErrorCode::HttpResponseHeaderSectionSize,
                      std::nullopt, t.header_bytes));
    return 0;
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (t.head_done) {  // trailers, after a chunked body
    if (line.empty()) return len;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return len;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    t.trailers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    return len;
  }
  if (line.substr(0, 5) == "HTTP/") {  // a status line: a new response (after a 1xx)
    size_t sp = line.find(' ');
    std::string_view code =
        sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1, 3);
    if (code.size() != 3 ||
        !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        code[0] == '0') {
      t.fail(make_error(ErrorCode::HttpProtocolError,
                        "bad status line \"" + std::string(line.substr(0, 64)) + "\""));
      return 0;
    }
    t.status =
        static_cast<uint16_t>((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
    t.fields.clear();
    return len;
  }
  if (t.status == 0) {  // a field before any status line
    t.fail(make_error(ErrorCode::HttpProtocolError, "response without a status line"));
    return 0;
  }
  if (line.empty()) {                                                      // end of a head
    if (t.status >= 100 && t.status < 200 && t.status != 101) return len;  // informational
    t.head_done = true;
    t.last_progress = Clock::now();
    t.response_body = std::make_shared<ByteChannel>(t.options->response_body_capacity);
    t.response_body->set_writer_waker(t.waker);
    IncomingResponse response;
    response.status = t.status;
    response.headers = std::move(t.fields);
    response.body = t.response_body;
    t.fields.clear();
    t.pending->complete(std::move(response));
    return len;
  }
  if (line.front() == ' ' || line.front() == '\t') {  // obsolete line folding
    if (t.fields.empty()) {
      t.fail(make_error(ErrorCode::HttpProtocolError, "continuation line before any field"));
      return 0;
    }
    std::string_view more = line;
    while (!more.empty() && (more.front() == ' ' || more.front() == '\t')) more.remove_prefix(1);
    t.fields.back().second += " ";
    t.fields.back().second += more;
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0 ||
      !std::all_of(line.begin(), line.begin() + static_cast<ptrdiff_t>(colon), token_char)) {
    t.fail(make_error(ErrorCode::HttpProtocolError,
                      "bad header line \"" + std::string(line.substr(0, 64)) + "\""));
    return 0;
  }
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  t.fields.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return len;
}

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  size_t len = size * n;
  if (!t.head_done || !t.response_body) {  // curl gives the head first; be safe
    t.fail(make_error(ErrorCode::HttpProtocolError, "body before the response head"));
    return 0;
  }
  if (t.response_body->consumer_gone()) {
    t.quiet = true;
    return 0;
  }
  t.last_progress = Clock::now();
  if (!t.spill.empty()) {
    size_t took = t.response_body->write(t.spill);
    t.spill.erase(0, took);
    if (!t.spill.empty()) {
      t.recv_paused = true;
      return CURL_WRITEFUNC_PAUSE;  // curl keeps `data` and gives it again after unpausing
    }
  }
  size_t took = t.response_body->write(std::string_view(data, len));
  if (took < len) t.spill.assign(data + took, len - took);
  return len;
}

size_t on_read(char* buffer, size_t size, size_t n, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  if (!t.request_body) return 0;
  std::string bytes = t.request_body->read(size * n);
  if (!bytes.empty()) {
    std::memcpy(buffer, bytes.data(), bytes.size());
    return bytes.size();
  }
  if (t.request_body->failed()) {
    t.fail(request_body_error(*t.request_body, t.has_length));
    return CURL_READFUNC_ABORT;
  }
  if (t.request_body->at_end()) return 0;
  t.send_paused = true;
  return CURL_READFUNC_PAUSE;
}

int on_prereq(void* user, char*, char*, int, int) {
  auto& t = *static_cast<Transfer*>(user);
  if (!t.connected) {
    t.connected = true;
    t.connected_at = Clock::now();
  }
  return CURL_PREREQFUNC_OK;
}

std::once_flag curl_init_once;

}  // namespace

CurlTransport::CurlTransport(CurlTransportOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  impl_->shared->multi = curl_multi_init();
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

CurlTransport::~CurlTransport() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stop = true;
  }
  impl_->shared->wake();
  impl_->thread.join();
}

size_t CurlTransport::in_flight() const { return impl_->in_flight.load(); }

std::shared_ptr<PendingResponse> CurlTransport::send(OutgoingRequest request) {
  auto pending = std::make_shared<PendingResponse>();
  auto refuse = [&](HttpError e) {
    if (request.body) request.body->close_consumer();
    pending->fail(std::move(e));
    return pending;
  };
  const CurlTransportOptions& opt = impl_->options;

  if (request.scheme != "http" && request.scheme != "https") {
    impl_->log("outbound request denied: scheme \"" + request.scheme + "\" is not http or https");
    return refuse(make_error(ErrorCode::HttpRequestDenied));
  }
  uint16_t default_port = request.scheme == "https" ? 443 : 80;
  auto authority = parse_authority(request.authority, default_port);
  if (!authority) {
    return refuse(make_error(ErrorCode::HttpRequestUriInvalid,
                             "bad authority \"" + request.authority + "\""));
  }
  std::string origin =
      request.scheme + "://" + authority->host + ":" + std::to_string(authority->port);
  if (!opt.allowed.allows(request.scheme, authority->host, authority->port)) {
    impl_->log("outbound request denied: " + origin + " is not in allowed_outbound_hosts");
    return refuse(make_error(ErrorCode::HttpRequestDenied));
  }
  if (!valid_path(request.path_with_query)) {
    return refuse(make_error(ErrorCode::HttpRequestUriInvalid, "bad path"));
  }
  if (request.method.empty() ||
      !std::all_of(request.method.begin(), request.method.end(), token_char)) {
    return refuse(make_error(ErrorCode::HttpRequestMethodInvalid));
  }

  auto t = std::make_unique<Transfer>();
  t->options = &impl_->options;
  t->pending = pending;
  t->url = request.scheme + "://" + request.authority +
           (request.path_with_query.empty() ? "/" : request.path_with_query);
  t->first_byte_ns = request.timeouts.first_byte_ns.value_or(opt.default_first_byte_ns);
  t->between_bytes_ns = request.timeouts.between_bytes_ns.value_or(opt.default_between_bytes_ns);
  uint64_t connect_ns = request.timeouts.connect_ns.value_or(opt.default_connect_ns);

  // A body channel already finished with nothing in it is no body.
  if (request.body && !(request.body->producer_done() && request.body->total_written() == 0 &&
                        !request.body->failed())) {
    t->request_body = request.body;
  }

  // Header list: the guest's, with curl's defaults that hyper would not
  // send switched off.
  std::optional<int64_t> content_length;
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), token_char) ||
        value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      curl_slist_free_all(t->header_list);
      return refuse(make_error(ErrorCode::InternalError, "invalid header field " + name));
    }
    if (iequals(name, "content-length")) {
      char* end = nullptr;
      errno = 0;
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || v < 0 || errno != 0) {
        curl_slist_free_all(t->header_list);
        return refuse(make_error(ErrorCode::InternalError, "invalid content-length"));
      }
      content_length = v;
    }
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    t->header_list = curl_slist_append(t->header_list, line.c_str());
  }
  if (!has_header(request.headers, "accept")) {
    t->header_list = curl_slist_append(t->header_list, "Accept:");
  }
  if (!has_header(request.headers, "expect")) {
    t->header_list = curl_slist_append(t->header_list, "Expect:");
  }

  if (!t->request_body && content_length && *content_length > 0 && request.method != "HEAD") {
    // A length promised with no body to send: the upstream would wait for it.
    curl_slist_free_all(t->header_list);
    return refuse(make_error(ErrorCode::HttpRequestBodySize, std::nullopt, 0));
  }

  // The concurrency cap, last: a refusal above must not count.
  size_t now = impl_->in_flight.load();
  do {
    if (now >= opt.max_in_flight) {
      curl_slist_free_all(t->header_list);
      return refuse(make_error(ErrorCode::ConnectionLimitReached));
    }
  } while (!impl_->in_flight.compare_exchange_weak(now, now + 1));

  CURL* e = curl_easy_init();
  t->easy = e;
  t->waker = std::make_shared<TransferWaker>(impl_->shared, t->poke);
  Transfer* raw = t.get();
  curl_easy_setopt(e, CURLOPT_PRIVATE, raw);
  curl_easy_setopt(e, CURLOPT_URL, t->url.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROXY, "");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_HTTP09_ALLOWED, 0L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, raw->error_buffer);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(ms_of(connect_ns)));
  if (!opt.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, opt.ca_file.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, raw->header_list);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, raw);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, raw);
  curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
  curl_easy_setopt(e, CURLOPT_PREREQDATA, raw);
  if (request.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET" && !t->request_body) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  t->has_length = content_length.has_value();
  if (t->request_body) {
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(e, CURLOPT_READDATA, raw);
    // Unknown length: curl sends HTTP/1.1 chunked (or HTTP/2 DATA frames).
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
                     static_cast<curl_off_t>(content_length ? *content_length : -1));
    t->request_body->set_reader_waker(t->waker);
  }

  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->stop) {
      impl_->incoming.push_back(std::move(t));
    }
  }
  if (t) {  // the transport is shutting down
    impl_->release(*t);
    pending->fail(make_error(ErrorCode::ConnectionTerminated, "transport shut down"));
    return pending;
  }
  impl_->shared->wake();
  return pending;
}

void CurlTransport::Impl::release(Transfer& t) {
  if (t.easy) {
    curl_easy_cleanup(t.easy);
    t.easy = nullptr;
  }
  if (t.header_list) {
    curl_slist_free_all(t.header_list);
    t.header_list = nullptr;
  }
  if (t.request_body) {
    t.request_body->set_reader_waker(nullptr);
    t.request_body->close_consumer();  // the guest's further writes go nowhere
  }
  if (t.response_body) t.response_body->set_writer_waker(nullptr);
  in_flight.fetch_sub(1);
}

HttpError CurlTransport::Impl::map_error(Transfer& t, CURLcode code) {
  std::string detail = t.error_buffer[0] ? t.error_buffer : curl_easy_strerror(code);
  long os_errno = 0;
  curl_easy_getinfo(t.easy, CURLINFO_OS_ERRNO, &os_errno);
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return make_error(ErrorCode::DnsError);
    case CURLE_COULDNT_CONNECT:
      switch (os_errno) {
        case ECONNREFUSED:
          return make_error(ErrorCode::ConnectionRefused);
        case ENETUNREACH:
          return make_error(ErrorCode::DestinationIpUnroutable);
        case EHOSTUNREACH:
          return make_error(ErrorCode::DestinationUnavailable);
        case ETIMEDOUT:
          return make_error(ErrorCode::ConnectionTimeout);
        default:
          return make_error(ErrorCode::ConnectionRefused);
      }
    case CURLE_OPERATION_TIMEDOUT:
      if (detail.find("Resolving timed out") != std::string::npos) {
        return make_error(ErrorCode::DnsTimeout);
      }
      return make_error(t.connected ? ErrorCode::ConnectionReadTimeout
                                    : ErrorCode::ConnectionTimeout);
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      return make_error(ErrorCode::ConnectionTerminated);
    case CURLE_PARTIAL_FILE:
      return make_error(ErrorCode::HttpResponseIncomplete);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
      return make_error(ErrorCode::TlsCertificateError);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CIPHER:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
      if (detail.find("alert") != std::string::npos) {
        return make_error(ErrorCode::TlsAlertReceived, detail);
      }
      return make_error(ErrorCode::TlsProtocolError);
    case CURLE_SSL_SHUTDOWN_FAILED:
      return make_error(ErrorCode::ConnectionTerminated);
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:  // "Received HTTP/0.9 when not allowed"
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
      return make_error(ErrorCode::HttpProtocolError);
    case CURLE_BAD_CONTENT_ENCODING:
      return make_error(ErrorCode::HttpResponseContentCoding);
    case CURLE_URL_MALFORMAT:
      return make_error(ErrorCode::HttpRequestUriInvalid);
    case CURLE_READ_ERROR:  // the body ended before its content-length
      return make_error(ErrorCode::HttpRequestBodySize);
    case CURLE_OUT_OF_MEMORY:
      // curl refuses one header line over 100 KiB this way.
      if (!t.head_done) return make_error(ErrorCode::HttpResponseHeaderSectionSize);
      return make_error(ErrorCode::InternalError, detail);
    default:
      return make_error(ErrorCode::InternalError, detail);
  }
}

bool CurlTransport::Impl::drain_spill(Transfer& t) {
  if (t.spill.empty()) return true;
  if (t.response_body->consumer_gone() || t.response_body.use_count() == 1) {
    t.spill.clear();
    return true;
  }
  size_t took = t.response_body->write(t.spill);
  t.spill.erase(0, took);
  if (took > 0) t.last_progress = Clock::now();
  return t.spill.empty();
}

bool CurlTransport::Impl::finish(Transfer& t, CURLcode code) {
  if (t.easy && !t.draining) {
    std::optional<HttpError> err;
    if (t.error) {
      err = t.error;
    } else if (t.quiet) {
      err = std::nullopt;
    } else if (code != CURLE_OK) {
      err = map_error(t, code);
    }
    curl_multi_remove_handle(shared->multi, t.easy);
    if (!t.head_done) {
      if (err || t.quiet) {
        t.pending->fail(err ? *err : make_error(ErrorCode::ConnectionTerminated, "cancelled"));
      } else {  // no head seen and no error (HEAD with no fields?): an empty response
        IncomingResponse response;
        response.status = t.status;
        response.headers = std::move(t.fields);
        response.body = std::make_shared<ByteChannel>(1);
        response.body->finish();
        t.pending->complete(std::move(response));
      }
      release(t);
      return true;
    }
    if (err) {
      t.spill.clear();
      t.response_body->fail(err->describe());
      release(t);
      return true;
    }
    if (t.quiet) {
      release(t);
      return true;
    }
    curl_easy_cleanup(t.easy);  // done with curl; the bytes left are ours
    t.easy = nullptr;
    t.draining = true;
  }
  if (!drain_spill(t)) return false;
  t.response_body->finish(std::move(t.trailers));
  release(t);
  return true;
}

void CurlTransport::Impl::unpause(Transfer& t) {
  int bits = (t.send_paused ? CURLPAUSE_SEND : 0) | (t.recv_paused ? CURLPAUSE_RECV : 0);
  curl_easy_pause(t.easy, bits);  // may call the callbacks again, which may pause again
}

void CurlTransport::Impl::service(Transfer& t) {
  if (!t.easy) return;
  bool changed = false;
  if (t.send_paused && t.request_body && t.request_body->readable()) {
    t.send_paused = false;
    changed = true;
  }
  if (t.response_body) {
    if (t.response_body->consumer_gone()) {
      t.quiet = true;
      return;
    }
    if (drain_spill(t) && t.recv_paused) {
      t.recv_paused = false;
      t.last_progress = Clock::now();
      changed = true;
    }
  }
  if (changed) unpause(t);
}

void CurlTransport::Impl::check_timers(Transfer& t, Clock::time_point now) {
  if (!t.easy || t.error || t.quiet) return;
  // A channel only we still hold has no other side, and never will (we
  // never copy it out again): a guest that dropped a body without closing
  // it must not leave a transfer paused for ever.
  if (t.request_body && t.request_body.use_count() == 1 && !t.request_body->producer_done()) {
    t.fail(make_error(ErrorCode::InternalError, "request body dropped before it was finished"));
    return;
  }
  if (t.head_done && t.response_body.use_count() == 1) {
    t.quiet = true;
    return;
  }
  if (!t.head_done) {
    if (t.pending->cancelled()) {
      t.quiet = true;
      return;
    }
    if (t.connected && now - t.connected_at >= std::chrono::nanoseconds(t.first_byte_ns)) {
      t.fail(make_error(
          ErrorCode::HttpResponseTimeout,
          "no response head within " + std::to_string(t.first_byte_ns / 1'000'000) + " ms"));
    }
    return;
  }
  if (!t.recv_paused && t.spill.empty() &&
      now - t.last_progress >= std::chrono::nanoseconds(t.between_bytes_ns)) {
    t.fail(
        make_error(ErrorCode::ConnectionReadTimeout,
                   "no body bytes for " + std::to_string(t.between_bytes_ns / 1'000'000) + " ms"));
  }
}

void CurlTransport::Impl::start(std::unique_ptr<Transfer> t) {
  if (t->pending->cancelled()) {
    release(*t);
    t->pending->fail(make_error(ErrorCode::ConnectionTerminated, "cancelled"));
    return;
  }
  CURLMcode rc = curl_multi_add_handle(shared->multi, t->easy);
  if (rc != CURLM_OK) {
    release(*t);
    t->pending->fail(make_error(ErrorCode::InternalError, curl_multi_strerror(rc)));
    return;
  }
  active.push_back(std::move(t));
}

void CurlTransport::Impl::run() {
  CURLM* multi = shared->multi;
  for (;;) {
    std::vector<std::unique_ptr<Transfer>> fresh;
    bool stopping;
    {
      std::lock_guard lock(mutex);
      fresh.swap(incoming);
      stopping = stop;
    }
    for (auto& t : fresh) {
      if (stopping) {
        release(*t);
        t->pending->fail(make_error(ErrorCode::ConnectionTerminated, "transport shut down"));
      } else {
        start(std::move(t));
      }
    }
    if (stopping) break;

    // Wakers first (after the last perform, so a pause a callback just
    // returned is seen), then our deadlines; a transfer they end leaves
    // through finish() below.
    auto now = Clock::now();
    for (auto& t : active) {
      if (t->poke->flag.exchange(false, std::memory_order_acq_rel)) {
        if (t->draining) {
          continue;  // handled below
        }
        service(*t);
      }
      check_timers(*t, now);
    }
    for (auto it = active.begin(); it != active.end();) {
      Transfer& t = **it;
      bool done = false;
      if (t.draining) {
        done = finish(t, CURLE_OK);
      } else if (t.error || t.quiet) {
        done = finish(t, CURLE_ABORTED_BY_CALLBACK);
      }
      it = done ? active.erase(it) : std::next(it);
    }

    int running = 0;
    curl_multi_perform(multi, &running);
    while (CURLMsg* msg = curl_multi_info_read(multi, &running)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* tp = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &tp);
      CURLcode code = msg->data.result;
      auto it =
          std::find_if(active.begin(), active.end(), [&](const auto& p) { return p.get() == tp; });
      if (it != active.end() && finish(**it, code)) active.erase(it);
    }

    // Sleep until curl's sockets or timers, a waker, or our next deadline.
    now = Clock::now();
    auto wait = std::chrono::milliseconds(60'000);
    for (auto& t : active) {
      if (!t->easy) {  // draining: the writer waker, or the orphan check
        wait = std::min<std::chrono::milliseconds>(wait, std::chrono::seconds(1));
        continue;
      }
      std::chrono::nanoseconds left{};
      if (!t->head_done) {
        left = std::chrono::milliseconds(100);  // PendingResponse::cancel has no waker
        if (t->connected) {
          left = std::min<std::chrono::nanoseconds>(
              left, t->connected_at + std::chrono::nanoseconds(t->first_byte_ns) - now);
        }
      } else if (!t->recv_paused && t->spill.empty()) {
        left = t->last_progress + std::chrono::nanoseconds(t->between_bytes_ns) - now;
      } else {
        left = std::chrono::seconds(1);  // paused by us: only the orphan checks above
      }
      if (t->error || t->quiet) left = {};
      wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(
                                std::max(left, std::chrono::nanoseconds(0))));
    }
    // A poke that came in during perform has already written the wakeup
    // pipe, so the poll returns at once for it.
    curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait.count()), nullptr);
  }

  // Shutting down: everything still here fails.
  for (auto& t : active) {
    if (t->easy && !t->draining) {
      curl_multi_remove_handle(multi, t->easy);
    }
    HttpError e = make_error(ErrorCode::ConnectionTerminated, "transport shut down");
    if (!t->head_done) {
      t->pending->fail(e);
    } else {
      t->response_body->fail(e.describe());
    }
    release(*t);
  }
  active.clear();
  {
    std::lock_guard lock(shared->mutex);
    shared->multi = nullptr;
  }
  curl_multi_cleanup(multi);
}

}  // namespace weft::serve::outbound
