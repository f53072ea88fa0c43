// wasi:http's host functions called directly, as the component runtime
// calls them (arguments and results as component values), and the
// ByteChannel under every body.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "weft/wasi_http.h"

namespace weft::wasi::http {
namespace {

using component::Val;
using component::ValKind;

Val handle(ValKind kind, uint64_t rep) {
  Val v;
  v.kind = kind;
  v.bits = rep;
  return v;
}
Val borrow(const Val& own) { return handle(ValKind::Borrow, own.bits); }
Val bytes(const std::string& s) { return Val::bytes(s); }
std::string text(const Val& list) {
  std::string out;
  for (size_t i = 0; i < list.list_size(); ++i)
    out.push_back(static_cast<char>(list.list_item(i).bits));
  return out;
}
std::string label(const Val& v) { return v.labels.empty() ? "" : v.labels[0]; }

struct RecordingSink : ResponseSink {
  void start(uint16_t s, FieldList h, std::optional<uint64_t> cl,
             std::shared_ptr<ByteChannel> b) override {
    ++starts;
    status = s;
    headers = std::move(h);
    content_length = cl;
    body = std::move(b);
  }
  int starts = 0;
  uint16_t status = 0;
  FieldList headers;
  std::optional<uint64_t> content_length;
  std::shared_ptr<ByteChannel> body;
};

// A transport that answers every request with 200 and a fixed body, and
// remembers what it was sent.
struct FakeTransport : OutboundTransport {
  std::shared_ptr<PendingResponse> send(OutgoingRequest request) override {
    sent.push_back(request);
    auto pending = std::make_shared<PendingResponse>();
    IncomingResponse r;
    r.status = 201;
    r.headers = {{"X-Upstream", "yes"}};
    r.body = std::make_shared<ByteChannel>();
    r.body->write("upstream body");
    r.body->finish();
    pending->complete(std::move(r));
    return pending;
  }
  std::vector<OutgoingRequest> sent;
};

class HttpHost : public ::testing::Test {
 protected:
  void SetUp() override { make(nullptr); }
  void make(std::shared_ptr<OutboundTransport> transport) {
    wasi::Config config;
    config.stdout_mode = config.stderr_mode = wasi::Config::Stdio::Buffer;
    auto p2 = P2State::create(std::move(config));
    ASSERT_TRUE(p2) << p2.error().to_string();
    state = std::make_unique<HttpState>(*p2, std::move(transport));
    linker = std::make_unique<component::ComponentLinker>();
    add_wasi_http(*linker, [](Store& s) { return static_cast<HttpState*>(s.user_data()); });
    store.set_user_data(state.get());
  }

  Result<std::optional<Val>> call(const std::string& iface, const std::string& name,
                                  std::vector<Val> args = {}) {
    const auto* def = linker->find_func(iface + "@0.2.0", name);
    if (!def) {
      ADD_FAILURE() << "no host function " << iface << " " << name;
      return Error::usage("missing");
    }
    component::HostCall hc{store, iface, name};
    return (*def->fn)(hc, args);
  }
  Val value(const std::string& name, std::vector<Val> args = {},
            const std::string& iface = "wasi:http/types") {
    auto r = call(iface, name, std::move(args));
    if (!r || !r->has_value()) {
      ADD_FAILURE() << name << ": " << (r ? std::string("no result") : r.error().to_string());
      return {};
    }
    return **r;
  }
  Val ok(const std::string& name, std::vector<Val> args = {},
         const std::string& iface = "wasi:http/types") {
    Val v = value(name, std::move(args), iface);
    if (v.kind != ValKind::Result || v.discriminant != 0) {
      ADD_FAILURE() << name << " returned " << component::to_string(v);
      return {};
    }
    return v.items.empty() ? Val{} : v.items[0];
  }
  void set_outparam(Val param, Val result) {
    auto r = call("wasi:http/types", "[static]response-outparam.set", {param, result});
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_FALSE(r->has_value());
  }
  void drop(const std::string& iface, const std::string& resource, const Val& own) {
    const auto* def = linker->find_resource(iface + "@0.2.0", resource);
    ASSERT_TRUE(def && def->drop && *def->drop) << resource;
    (*def->drop)(store, static_cast<uint32_t>(own.bits));
  }
  Val fields(std::vector<std::pair<std::string, std::string>> entries) {
    std::vector<Val> items;
    for (auto& [n, v] : entries) items.push_back(Val::tuple({Val::string(n), bytes(v)}));
    return ok("[static]fields.from-list", {Val::list(std::move(items))});
  }

  Store store;
  std::unique_ptr<HttpState> state;
  std::unique_ptr<component::ComponentLinker> linker;
};

TEST_F(HttpHost, FieldsFollowTheHeaderRules) {
  Val f = fields({{"Content-Type", "text/plain"}, {"X-A", "1"}, {"x-a", "2"}});
  Val got = value("[method]fields.get", {borrow(f), Val::string("X-a")});
  ASSERT_EQ(got.list_size(), 2u);
  EXPECT_EQ(text(got.items[0]), "1");
  EXPECT_EQ(text(got.items[1]), "2");
  Val entries = value("[method]fields.entries", {borrow(f)});
  ASSERT_EQ(entries.list_size(), 3u);
  EXPECT_EQ(entries.items[0].items[0].str, "content-type");  // names are lower-cased

  auto bad = [&](std::string name, std::string v) {
    std::vector<Val> items{Val::tuple({Val::string(name), bytes(v)})};
    Val r = value("[static]fields.from-list", {Val::list(std::move(items))});
    EXPECT_EQ(r.discriminant, 1u);
    return r.items.empty() ? std::string() : label(r.items[0]);
  };
  EXPECT_EQ(bad("bad name", "x"), "invalid-syntax");
  EXPECT_EQ(bad("", "x"), "invalid-syntax");
  EXPECT_EQ(bad("x-ok", "line\r\nInjected: 1"), "invalid-syntax");
  EXPECT_EQ(bad("x-ok", std::string("nul\0", 4)), "invalid-syntax");
  EXPECT_EQ(bad("Connection", "close"), "forbidden");
  EXPECT_EQ(bad("transfer-encoding", "chunked"), "forbidden");
  EXPECT_EQ(bad("host", "evil"), "forbidden");

  Val set = value("[method]fields.set", {borrow(f), Val::string("x-a"), Val::list({bytes("3")})});
  EXPECT_EQ(set.discriminant, 0u);
  EXPECT_EQ(value("[method]fields.get", {borrow(f), Val::string("x-a")}).list_size(), 1u);
  EXPECT_EQ(
      value("[method]fields.append", {borrow(f), Val::string("x a"), bytes("1")}).discriminant, 1u);
  EXPECT_EQ(value("[method]fields.delete", {borrow(f), Val::string("x-a")}).discriminant, 0u);
  EXPECT_FALSE(value("[method]fields.has", {borrow(f), Val::string("x-a")}).bits);
}

TEST_F(HttpHost, IncomingRequestAndStreamedResponse) {
  IncomingRequest in;
  in.method = "POST";
  in.authority = "example.test";
  in.path_with_query = "/a?b=1";
  in.headers = {{"Content-Type", "text/plain"}};
  in.body = std::make_shared<ByteChannel>(8);
  in.body->write("hello");
  RecordingSink sink;
  auto handles = state->begin_incoming(in, sink);
  ASSERT_TRUE(handles) << handles.error().to_string();
  auto [req, param] = *handles;

  EXPECT_EQ(label(value("[method]incoming-request.method", {borrow(req)})), "post");
  EXPECT_EQ(value("[method]incoming-request.path-with-query", {borrow(req)}).items[0].str,
            "/a?b=1");
  EXPECT_EQ(value("[method]incoming-request.authority", {borrow(req)}).items[0].str,
            "example.test");
  Val headers = value("[method]incoming-request.headers", {borrow(req)});
  // A request's headers are immutable.
  Val r = value("[method]fields.set", {borrow(headers), Val::string("x"), Val::list({})});
  ASSERT_EQ(r.discriminant, 1u);
  EXPECT_EQ(label(r.items[0]), "immutable");

  Val body = ok("[method]incoming-request.consume", {borrow(req)});
  EXPECT_EQ(value("[method]incoming-request.consume", {borrow(req)}).discriminant, 1u);
  Val stream = ok("[method]incoming-body.stream", {borrow(body)});
  Val chunk = ok("[method]input-stream.read", {borrow(stream), Val::u64(100)}, "wasi:io/streams");
  EXPECT_EQ(text(chunk), "hello");
  // Nothing more yet (the producer has not finished): an empty read.
  EXPECT_EQ(ok("[method]input-stream.read", {borrow(stream), Val::u64(100)}, "wasi:io/streams")
                .list_size(),
            0u);
  std::thread producer([ch = in.body] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ch->write(" world");
    ch->finish();
  });
  chunk =
      ok("[method]input-stream.blocking-read", {borrow(stream), Val::u64(100)}, "wasi:io/streams");
  producer.join();
  EXPECT_EQ(text(chunk), " world");
  Val end = value("[method]input-stream.read", {borrow(stream), Val::u64(100)}, "wasi:io/streams");
  ASSERT_EQ(end.discriminant, 1u);
  EXPECT_EQ(label(end.items[0]), "closed");

  // The response: the head goes to the sink when the outparam is set,
  // before the body is written.
  Val resp = value("[constructor]outgoing-response", {fields({{"content-length", "4"}})});
  EXPECT_EQ(
      value("[method]outgoing-response.set-status-code", {borrow(resp), Val::u16(42)}).discriminant,
      1u);
  ok("[method]outgoing-response.set-status-code", {borrow(resp), Val::u16(201)});
  Val out_body = ok("[method]outgoing-response.body", {borrow(resp)});
  Val out = ok("[method]outgoing-body.write", {borrow(out_body)});
  set_outparam(param, Val::ok(resp));
  ASSERT_EQ(sink.starts, 1);
  EXPECT_EQ(sink.status, 201);
  EXPECT_EQ(sink.content_length, std::optional<uint64_t>(4));
  ok("[method]output-stream.blocking-write-and-flush", {borrow(out), bytes("da")},
     "wasi:io/streams");
  EXPECT_EQ(sink.body->read(100), "da");
  // Past the content-length: the write fails, and so does the body.
  Val over = value("[method]output-stream.blocking-write-and-flush", {borrow(out), bytes("tata")},
                   "wasi:io/streams");
  ASSERT_EQ(over.discriminant, 1u);
  EXPECT_EQ(label(over.items[0]), "last-operation-failed");
  Val code = value("http-error-code", {borrow(over.items[0].items[0])});
  ASSERT_EQ(code.discriminant, 1u);
  EXPECT_EQ(label(code.items[0]), "HTTP-response-body-size");
  EXPECT_TRUE(sink.body->failed());
  drop("wasi:io/streams", "output-stream", out);
  Val finish = value("[static]outgoing-body.finish", {out_body, Val::none()});
  EXPECT_EQ(finish.discriminant, 1u);
  EXPECT_TRUE(state->outcome().responded);
  EXPECT_FALSE(state->outcome().body_finished);
}

TEST_F(HttpHost, ShortBodyFailsFinishAndADroppedBodyFailsTheChannel) {
  RecordingSink sink;
  auto handles = state->begin_incoming({}, sink);
  ASSERT_TRUE(handles);
  Val resp = value("[constructor]outgoing-response", {fields({{"content-length", "10"}})});
  Val body = ok("[method]outgoing-response.body", {borrow(resp)});
  set_outparam(handles->second, Val::ok(resp));
  Val out = ok("[method]outgoing-body.write", {borrow(body)});
  ok("[method]output-stream.blocking-write-and-flush", {borrow(out), bytes("abc")},
     "wasi:io/streams");
  drop("wasi:io/streams", "output-stream", out);
  Val finish = value("[static]outgoing-body.finish", {body, Val::none()});
  ASSERT_EQ(finish.discriminant, 1u);
  EXPECT_EQ(label(finish.items[0]), "HTTP-response-body-size");
  EXPECT_TRUE(sink.body->producer_done());

  // A second exchange: the body is dropped without finish.
  RecordingSink sink2;
  auto h2 = state->begin_incoming({}, sink2);
  ASSERT_TRUE(h2);
  Val resp2 = value("[constructor]outgoing-response", {fields({})});
  Val body2 = ok("[method]outgoing-response.body", {borrow(resp2)});
  set_outparam(h2->second, Val::ok(resp2));
  ASSERT_TRUE(sink2.body);
  EXPECT_FALSE(sink2.content_length);
  drop("wasi:http/types", "outgoing-body", body2);
  sink2.body->read(100);
  EXPECT_TRUE(sink2.body->failed());
}

TEST_F(HttpHost, FinishWhileTheStreamLivesTraps) {
  RecordingSink sink;
  auto handles = state->begin_incoming({}, sink);
  ASSERT_TRUE(handles);
  Val resp = value("[constructor]outgoing-response", {fields({})});
  Val body = ok("[method]outgoing-response.body", {borrow(resp)});
  set_outparam(handles->second, Val::ok(resp));
  Val out = ok("[method]outgoing-body.write", {borrow(body)});
  EXPECT_FALSE(call("wasi:http/types", "[static]outgoing-body.finish", {body, Val::none()}));
  state->end_incoming();
  sink.body->read(100);
  EXPECT_TRUE(sink.body->failed());  // cut off, never taken for whole
  (void)out;
}

TEST_F(HttpHost, OutparamNotSetOrSetToAnError) {
  RecordingSink sink;
  auto handles = state->begin_incoming({}, sink);
  ASSERT_TRUE(handles);
  EXPECT_FALSE(state->outcome().responded);
  Val error = Val::variant("HTTP-request-denied", std::nullopt, 15);
  set_outparam(handles->second, Val::err(error));
  EXPECT_FALSE(state->outcome().responded);
  ASSERT_TRUE(state->outcome().error);
  EXPECT_EQ(state->outcome().error->code, ErrorCode::HttpRequestDenied);
  EXPECT_EQ(sink.starts, 0);
  // A stale handle traps rather than touching another object.
  auto again =
      call("wasi:http/types", "[static]response-outparam.set", {handles->second, Val::err(error)});
  EXPECT_FALSE(again);
}

TEST_F(HttpHost, OutgoingWithoutATransportIsDenied) {
  Val req = value("[constructor]outgoing-request", {fields({})});
  ok("[method]outgoing-request.set-authority", {borrow(req), Val::some(Val::string("a.test"))});
  EXPECT_EQ(value("[method]outgoing-request.set-authority",
                  {borrow(req), Val::some(Val::string("bad host/x"))})
                .discriminant,
            1u);
  Val r = value("handle", {req, Val::none()}, "wasi:http/outgoing-handler");
  ASSERT_EQ(r.discriminant, 1u);
  EXPECT_EQ(label(r.items[0]), "HTTP-request-denied");
}

TEST_F(HttpHost, OutgoingThroughATransport) {
  auto transport = std::make_shared<FakeTransport>();
  make(transport);
  Val req = value("[constructor]outgoing-request", {fields({{"x-mine", "1"}})});
  ok("[method]outgoing-request.set-method", {borrow(req), Val::variant("put", std::nullopt, 3)});
  ok("[method]outgoing-request.set-scheme",
     {borrow(req), Val::some(Val::variant("HTTP", std::nullopt, 0))});
  ok("[method]outgoing-request.set-authority", {borrow(req), Val::some(Val::string("u.test:81"))});
  ok("[method]outgoing-request.set-path-with-query", {borrow(req), Val::some(Val::string("/p?q"))});
  Val opts = value("[constructor]request-options");
  ok("[method]request-options.set-connect-timeout", {borrow(opts), Val::some(Val::u64(5))});
  Val fut = ok("handle", {req, Val::some(opts)}, "wasi:http/outgoing-handler");
  ASSERT_EQ(transport->sent.size(), 1u);
  const OutgoingRequest& sent = transport->sent[0];
  EXPECT_EQ(sent.method, "PUT");
  EXPECT_EQ(sent.scheme, "http");
  EXPECT_EQ(sent.authority, "u.test:81");
  EXPECT_EQ(sent.path_with_query, "/p?q");
  EXPECT_EQ(sent.timeouts.connect_ns, std::optional<uint64_t>(5));
  ASSERT_EQ(sent.headers.size(), 1u);

  Val got = value("[method]future-incoming-response.get", {borrow(fut)});
  ASSERT_EQ(got.discriminant, 1u);  // some
  Val resp = got.items[0].items[0].items[0];
  EXPECT_EQ(value("[method]incoming-response.status", {borrow(resp)}).bits, 201u);
  Val headers = value("[method]incoming-response.headers", {borrow(resp)});
  EXPECT_EQ(value("[method]fields.get", {borrow(headers), Val::string("x-upstream")}).list_size(),
            1u);
  Val body = ok("[method]incoming-response.consume", {borrow(resp)});
  Val stream = ok("[method]incoming-body.stream", {borrow(body)});
  Val chunk =
      ok("[method]input-stream.blocking-read", {borrow(stream), Val::u64(100)}, "wasi:io/streams");
  EXPECT_EQ(text(chunk), "upstream body");
  // Taken once: a second get is some(err).
  Val second = value("[method]future-incoming-response.get", {borrow(fut)});
  ASSERT_EQ(second.discriminant, 1u);
  EXPECT_EQ(second.items[0].discriminant, 1u);
}

// A transport that fails the response body mid-way, naming the code.
struct FailingBodyTransport : OutboundTransport {
  std::shared_ptr<PendingResponse> send(OutgoingRequest) override {
    auto pending = std::make_shared<PendingResponse>();
    IncomingResponse r;
    r.status = 200;
    r.body = std::make_shared<ByteChannel>();
    r.body->write("part");
    r.body->fail("connection-read-timeout: no bytes for 300 ms");
    pending->complete(std::move(r));
    return pending;
  }
};

TEST_F(HttpHost, ABodyFailureReportsTheTransportsErrorCode) {
  make(std::make_shared<FailingBodyTransport>());
  Val req = value("[constructor]outgoing-request", {fields({})});
  ok("[method]outgoing-request.set-authority", {borrow(req), Val::some(Val::string("u.test"))});
  Val fut = ok("handle", {req, Val::none()}, "wasi:http/outgoing-handler");
  Val resp =
      value("[method]future-incoming-response.get", {borrow(fut)}).items[0].items[0].items[0];
  Val body = ok("[method]incoming-response.consume", {borrow(resp)});
  Val stream = ok("[method]incoming-body.stream", {borrow(body)});
  EXPECT_EQ(
      text(ok("[method]input-stream.read", {borrow(stream), Val::u64(100)}, "wasi:io/streams")),
      "part");
  Val failed =
      value("[method]input-stream.read", {borrow(stream), Val::u64(100)}, "wasi:io/streams");
  ASSERT_EQ(failed.discriminant, 1u);
  ASSERT_EQ(label(failed.items[0]), "last-operation-failed");
  Val code = value("http-error-code", {borrow(failed.items[0].items[0])});
  ASSERT_EQ(code.discriminant, 1u);
  EXPECT_EQ(label(code.items[0]), "connection-read-timeout");
}

TEST(ByteChannel, BackpressureEndAndFailure) {
  ByteChannel ch(4);
  EXPECT_EQ(ch.write("abcdef"), 4u);
  EXPECT_EQ(ch.writable(), 0u);
  EXPECT_EQ(ch.write("x"), 0u);
  EXPECT_EQ(ch.read(3), "abc");
  EXPECT_EQ(ch.writable(), 3u);
  EXPECT_EQ(ch.write("ef"), 2u);
  ch.finish({{"t", "1"}});
  EXPECT_EQ(ch.write("z"), 0u);
  EXPECT_FALSE(ch.at_end());
  EXPECT_EQ(ch.read(100), "def");
  EXPECT_TRUE(ch.at_end());
  auto trailers = ch.take_trailers();
  ASSERT_TRUE(trailers);
  EXPECT_EQ(trailers->size(), 1u);

  ByteChannel failing(16);
  failing.write("ab");
  failing.fail("upstream reset");
  EXPECT_FALSE(failing.failed());  // bytes first
  EXPECT_EQ(failing.read(10), "ab");
  EXPECT_TRUE(failing.failed());
  EXPECT_EQ(failing.failure(), "upstream reset");

  ByteChannel gone(16);
  gone.write("ab");
  gone.close_consumer();
  EXPECT_TRUE(gone.consumer_gone());
  EXPECT_EQ(gone.write("cd"), 0u);
  EXPECT_TRUE(gone.has_space());  // a waiting writer must wake and see it
}

TEST(ByteChannel, WakersAndInterruptibleWaits) {
  struct Counter : Waker {
    void wake() override { ++count; }
    std::atomic<int> count{0};
  };
  auto reader = std::make_shared<Counter>();
  auto writer = std::make_shared<Counter>();
  ByteChannel ch(2);
  ch.set_reader_waker(reader);
  ch.set_writer_waker(writer);
  int base_writer = writer->count;  // set_writer_waker wakes at once: there is room
  ch.write("ab");
  EXPECT_GE(reader->count, 1);
  ch.read(1);
  EXPECT_GT(writer->count, base_writer);

  std::atomic<bool> stop{false};
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    stop = true;
  });
  ByteChannel empty(2);
  auto started = ByteChannel::Clock::now();
  EXPECT_FALSE(
      empty.wait_readable(ByteChannel::Clock::time_point::max(), [&] { return stop.load(); }));
  t.join();
  EXPECT_LT(ByteChannel::Clock::now() - started, std::chrono::seconds(10));
  // A deadline ends a wait too.
  EXPECT_FALSE(empty.wait_readable(ByteChannel::Clock::now() + std::chrono::milliseconds(10), {}));
}

}  // namespace
}  // namespace weft::wasi::http
