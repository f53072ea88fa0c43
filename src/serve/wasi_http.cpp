#include "serve/wasi_http.h"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "serve/wagi.h"
#include "weft/wasi_p2.h"

namespace weft::serve {

namespace {

constexpr uint64_t kMaxComponentBytes = 256ull << 20;
constexpr size_t kMaxGuestOutput = 1u << 20;  // a guest's stdout/stderr, per request, logged
constexpr size_t kMaxLogged = 4096;

// What a store's user data points at: the host state of each component
// instantiated in it. The handler and each dependency have a linker of
// their own, whose lookup picks its entry, so each sees only its grants.
struct StoreContext {
  wasi::http::HttpState* handler = nullptr;
  std::vector<wasi::http::HttpState*> dependencies;
};

StoreContext* context_of(Store& store) { return static_cast<StoreContext*>(store.user_data()); }

std::shared_ptr<component::ComponentLinker> make_linker(wasi::http::HttpStateLookup lookup) {
  auto linker = std::make_shared<component::ComponentLinker>();
  wasi::http::add_wasi_http(*linker, std::move(lookup));
  return linker;
}

Result<std::shared_ptr<wasi::P2State>> make_p2(
    const std::string& program, const std::vector<std::pair<std::string, std::string>>& env,
    const std::vector<app::FileGrant>& files) {
  wasi::Config config;
  config.args = {program};
  config.env = env;
  for (const app::FileGrant& grant : files) {
    config.preopens.push_back({grant.host_path, grant.guest_path, /*read_only=*/true});
  }
  config.stdin_mode = wasi::Config::Stdio::Null;
  config.stdout_mode = wasi::Config::Stdio::Buffer;
  config.stderr_mode = wasi::Config::Stdio::Buffer;
  config.max_output_bytes = kMaxGuestOutput;
  return wasi::P2State::create(std::move(config));
}

std::string clip(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.size() > kMaxLogged) {
    text.resize(kMaxLogged);
    text += "...(truncated)";
  }
  return text;
}

// Passes the guest's head on to the server's stream.
class StreamAdapter : public wasi::http::ResponseSink {
 public:
  StreamAdapter(ResponseStream& out, const RequestControl& control)
      : out_(out), control_(control) {}
  void start(uint16_t status, wasi::http::FieldList headers, std::optional<uint64_t> content_length,
             std::shared_ptr<ByteChannel> body) override {
    out_.start(status, std::move(headers), content_length, std::move(body));
  }
  void flush() override {
    out_.flush();
    control_.before_block();
  }

 private:
  ResponseStream& out_;
  const RequestControl& control_;
};

// Collects a whole response (for filters, which see whole bodies). The
// waker runs on the guest's thread as it writes, and drains the channel
// there, so the guest never waits on a reader that is not running.
class CollectingSink : public wasi::http::ResponseSink, public Waker {
 public:
  explicit CollectingSink(const RequestControl& control) : control_(control) {}
  void flush() override { control_.before_block(); }
  void start(uint16_t status, wasi::http::FieldList headers, std::optional<uint64_t>,
             std::shared_ptr<ByteChannel> body) override {
    started_ = true;
    status_ = status;
    headers_ = std::move(headers);
    body_ = std::move(body);
    body_->set_reader_waker(std::shared_ptr<Waker>(std::shared_ptr<Waker>(), this));
  }
  void wake() override {
    std::lock_guard lock(mutex_);
    if (!body_) return;
    for (;;) {
      std::string chunk = body_->read(256 * 1024);
      if (chunk.empty()) break;
      if (data_.size() + chunk.size() > WasiHttpHandler::kMaxBufferedResponse) {
        too_large_ = true;
        body_->close_consumer();
        break;
      }
      data_ += chunk;
    }
  }
  ~CollectingSink() override {
    if (body_) body_->set_reader_waker(nullptr);
  }

  const RequestControl& control_;
  bool started_ = false;
  unsigned status_ = 0;
  wasi::http::FieldList headers_;
  std::shared_ptr<ByteChannel> body_;
  std::mutex mutex_;
  std::string data_;
  bool too_large_ = false;
};

class DenyingTransport : public wasi::http::OutboundTransport {
 public:
  explicit DenyingTransport(std::string who) : who_(std::move(who)) {}
  std::shared_ptr<wasi::http::PendingResponse> send(wasi::http::OutgoingRequest request) override {
    std::string line = "[" + who_ + "] outbound request to " + request.scheme + "://" +
                       request.authority + " denied: not in allowed_outbound_hosts\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    auto pending = std::make_shared<wasi::http::PendingResponse>();
    pending->fail({wasi::http::ErrorCode::HttpRequestDenied, std::nullopt, std::nullopt});
    return pending;
  }

 private:
  std::string who_;
};

}  // namespace

std::shared_ptr<wasi::http::OutboundTransport> denying_transport(std::string who) {
  return std::make_shared<DenyingTransport>(std::move(who));
}

struct WasiHttpHandler::Live {
  std::unique_ptr<Store> store;
  StoreContext context;
  std::shared_ptr<wasi::http::HttpState> http;
  std::vector<std::shared_ptr<wasi::http::HttpState>> dependency_states;
  std::vector<component::ComponentInstance> dependency_instances;
  component::ComponentInstance instance;
  uint32_t served = 0;
  // The store holds a checkpoint taken right after instantiation, and
  // every instance was at rest then: restore() makes it as new.
  bool recyclable = false;

  // What a restored instance holds while it waits: its memories and the
  // checkpoint's saved pages.
  uint64_t retained_bytes() { return store->memory_in_use() + store->checkpoint_bytes(); }

  // Back to the state instantiation left (see the header); false when it
  // cannot be, and the instance must go.
  bool restore() {
    if (!recyclable || !store->restore()) return false;
    instance.reset();
    for (const auto& dep : dependency_instances) dep.reset();
    return true;
  }
};

Result<std::shared_ptr<const component::Component>> compile_component_file(
    const std::filesystem::path& path, const CompileOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::io(path.string() + ": cannot open");
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0) return Error::io(path.string() + ": cannot read");
  if (static_cast<uint64_t>(size) > kMaxComponentBytes) {
    return Error::io(path.string() + ": larger than 256 MiB");
  }
  in.seekg(0, std::ios::beg);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    return Error::io(path.string() + ": cannot read");
  }
  if (!component::is_component(bytes)) {
    return Error::usage(path.string() +
                        ": not a component (executor \"wasi-http\" serves wasi:http components; "
                        "a core module is served by \"wagi\" or \"proxy-wasm\")");
  }
  auto compiled = component::Component::compile(bytes, options);
  if (!compiled) return Error::usage(path.string() + ": " + compiled.error().to_string());
  return std::move(compiled).value();
}

Result<std::unique_ptr<WasiHttpHandler>> WasiHttpHandler::create(
    const app::ServiceSpec& spec, std::shared_ptr<const component::Component> component,
    std::shared_ptr<wasi::http::OutboundTransport> transport,
    std::vector<PreparedDependency> dependencies) {
  std::unique_ptr<WasiHttpHandler> h(new WasiHttpHandler());
  h->spec_ = spec;
  h->pool_ = std::make_shared<Pool>();
  h->component_ = std::move(component);
  h->transport_ = std::move(transport);
  h->dependencies_ = std::move(dependencies);
  auto name = wasi::http::incoming_handler_export(*h->component_);
  if (!name) return Error::usage(spec.source.string() + ": " + name.error().message);
  h->export_name_ = std::move(name).value();
  h->linker_ = make_linker([](Store& store) -> wasi::http::HttpState* {
    StoreContext* ctx = context_of(store);
    return ctx ? ctx->handler : nullptr;
  });
  for (size_t i = 0; i < h->dependencies_.size(); ++i) {
    PreparedDependency& dep = h->dependencies_[i];
    dep.linker = make_linker([i](Store& store) -> wasi::http::HttpState* {
      StoreContext* ctx = context_of(store);
      return ctx && i < ctx->dependencies.size() ? ctx->dependencies[i] : nullptr;
    });
  }
  // A trial instantiation finds every unresolved import and type mismatch
  // now, with the import named, rather than on the first request.
  auto live = h->instantiate();
  if (!live) return Error::usage(spec.source.string() + ": " + live.error().message);
  if (!(*live)->instance.func_type(h->export_name_, "handle")) {
    return Error::usage(spec.source.string() + ": " + h->export_name_ + " has no function handle");
  }
  if (h->spec_.instance_reuse <= 1 && !(*live)->recyclable) {
    std::string line = "weft: service \"" + spec.name +
                       "\": instances are made anew for each request (its instantiation calls "
                       "the host or keeps resources), not restored: slower\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  if ((*live)->recyclable) h->pool_->bytes += (*live)->retained_bytes();
  h->pool_->lives.push_back(std::move(live).value());
  return h;
}

WasiHttpHandler::~WasiHttpHandler() = default;

Result<std::unique_ptr<WasiHttpHandler::Live>> WasiHttpHandler::instantiate() const {
  auto live = std::make_unique<Live>();
  StoreLimits limits;
  limits.max_memory_bytes = spec_.memory_limit;
  live->store = std::make_unique<Store>(limits);
  live->store->set_user_data(&live->context);
  if (auto made = fresh_states(*live); !made) return std::move(made).error();
  // Dependencies first, in the same store, each with its own host state
  // (its own grants); then the handler, its imports of their interfaces
  // linked to their instances.
  std::vector<component::InstanceArgument> provided;
  for (const PreparedDependency& dep : dependencies_) {
    auto dep_instance = dep.linker->instantiate(*live->store, dep.component);
    if (!dep_instance) {
      return Error::usage("dependency \"" + dep.spec->interface_name +
                          "\": " + dep.spec->source.filename().string() + ": " +
                          dep_instance.error().to_string());
    }
    provided.push_back({dep.import_name, *dep_instance, dep.export_name});
    live->dependency_instances.push_back(std::move(dep_instance).value());
  }
  auto instance = provided.empty() ? linker_->instantiate(*live->store, component_)
                                   : linker_->instantiate(*live->store, component_, provided);
  if (!instance) return std::move(instance).error();
  live->instance = std::move(instance).value();
  if (spec_.instance_reuse <= 1) {
    // Instantiation's WASI calls (a start function's) may have left output
    // or resources in the host states; the requests start without them.
    // A start function that called the host (the clock, random bytes, a
    // file) left answers in memory that a checkpoint would replay to every
    // request: such instances are made anew each time.
    bool at_rest = live->instance.at_rest() && live->store->host_calls() == 0;
    for (const auto& dep : live->dependency_instances) at_rest = at_rest && dep.at_rest();
    if (at_rest && live->store->checkpoint().ok()) {
      live->recyclable = true;
      if (auto made = fresh_states(*live); !made) return std::move(made).error();
    }
  }
  return live;
}

Result<void> WasiHttpHandler::fresh_states(Live& live) const {
  auto p2 = make_p2(spec_.name, spec_.env, spec_.files);
  if (!p2) return std::move(p2).error();
  live.http = std::make_shared<wasi::http::HttpState>(std::move(p2).value(), transport_);
  live.context.handler = live.http.get();
  live.dependency_states.clear();
  live.context.dependencies.clear();
  for (const PreparedDependency& dep : dependencies_) {
    auto dep_p2 = make_p2(spec_.name + ":" + dep.spec->interface_name, dep.spec->env, {});
    if (!dep_p2) return std::move(dep_p2).error();
    auto state = std::make_shared<wasi::http::HttpState>(std::move(dep_p2).value(), dep.transport);
    live.context.dependencies.push_back(state.get());
    live.dependency_states.push_back(std::move(state));
  }
  return {};
}

Outcome WasiHttpHandler::run(Request& request, std::shared_ptr<ByteChannel> body,
                             wasi::http::ResponseSink& sink, RequestControl& control) const {
  std::unique_ptr<Live> live;
  {
    std::lock_guard lock(pool_->mutex);
    if (!pool_->lives.empty()) {
      live = std::move(pool_->lives.back());
      pool_->lives.pop_back();
      if (live->recyclable) pool_->bytes -= std::min(pool_->bytes, live->retained_bytes());
    }
  }
  if (!live) {
    auto made = instantiate();
    if (!made) {
      Outcome out = guest_failure(spec_, made.error(), control);
      if (out.response.status == 500 && out.note.rfind("trap", 0) != 0) {
        out.note = "instantiation failed: " + made.error().to_string();
      }
      return out;
    }
    live = std::move(made).value();
  }
  wasi::http::HttpState& http = *live->http;
  control.attach(live->store->interrupt_handle(), [p2 = http.p2_ptr()] { p2->interrupt(); });

  wasi::http::IncomingRequest in;
  in.method = request.method;
  in.authority = std::string(request.header("Host"));
  in.path_with_query = request.target;
  in.headers = request.headers;
  in.body = std::move(body);
  Result<std::optional<component::Val>> called = Error::usage("not called");
  {
    auto handles = http.begin_incoming(std::move(in), sink);
    if (!handles) {
      called = std::move(handles).error();
    } else {
      std::vector<component::Val> args;
      args.push_back(std::move(handles->first));
      args.push_back(std::move(handles->second));
      called = live->instance.call(export_name_, "handle", std::move(args));
    }
  }
  control.detach();
  const auto outcome = http.outcome();
  http.end_incoming();
  ++live->served;

  Outcome out;
  std::string guest_output = clip(http.p2().take_stderr());
  if (std::string stdout_text = clip(http.p2().take_stdout()); !stdout_text.empty()) {
    guest_output += (guest_output.empty() ? "" : "\n") + stdout_text;
  }
  for (size_t i = 0; i < live->dependency_states.size(); ++i) {
    auto& dep = *live->dependency_states[i];
    for (std::string text : {clip(dep.p2().take_stderr()), clip(dep.p2().take_stdout())}) {
      if (text.empty()) continue;
      guest_output += (guest_output.empty() ? "" : "\n") + std::string("[") +
                      dependencies_[i].spec->interface_name + "] " + text;
    }
    dep.end_incoming();
  }
  bool healthy = true;
  if (!called) {
    healthy = false;
    out = guest_failure(spec_, called.error(), control);
    if (outcome.responded) {  // the head is out: the status cannot change now
      out.streamed = true;
      out.note +=
          outcome.body_finished ? " (after the response)" : " (mid-body: connection closed)";
    }
  } else if (!outcome.responded) {
    if (outcome.error) {
      out.response = error_response(
          500, "service " + spec_.name + " answered with error-code " + outcome.error->describe());
      out.note = "error-code: " + outcome.error->describe();
    } else {
      out.response = error_response(
          500, "service " + spec_.name + " returned without setting the response-outparam");
      out.note = "returned without setting the response-outparam";
    }
    healthy = false;
  } else {
    out.streamed = true;
    if (!outcome.body_finished) {
      out.note = "the response body was not finished (connection closed)";
      healthy = false;
    }
  }
  if (!guest_output.empty()) out.detail += (out.detail.empty() ? "" : "\n") + guest_output;
  // A deadline that passed is a timeout even if the guest then returned:
  // its instance may be mid-way through anything.
  if (control.timed_out()) healthy = false;

  if (healthy && spec_.instance_reuse > 1 && live->served < spec_.instance_reuse) {
    live->store->clear_interrupt();  // a deadline that fired as it returned
    std::lock_guard lock(pool_->mutex);
    pool_->lives.push_back(std::move(live));
  } else if (healthy && live->recyclable) {
    // Restored now, so that the instances a server keeps number the guests
    // running at once (a deferred restore lets a burst pile them up), with
    // new host states for its next request.
    if (live->restore() && fresh_states(*live)) {
      const uint64_t bytes = live->retained_bytes();
      std::lock_guard lock(pool_->mutex);
      if (pool_->lives.size() < kMaxRecycled && pool_->bytes + bytes <= kMaxRecycledBytes) {
        pool_->bytes += bytes;
        pool_->lives.push_back(std::move(live));
      }
    }
    if (live) out.release_after = std::shared_ptr<Live>(std::move(live));
  } else {
    out.release_after = std::shared_ptr<Live>(std::move(live));
  }
  return out;
}

Outcome WasiHttpHandler::handle_stream(Request& request, std::shared_ptr<ByteChannel> body,
                                       ResponseStream& response, RequestControl& control) const {
  StreamAdapter sink(response, control);
  return run(request, std::move(body), sink, control);
}

Outcome WasiHttpHandler::handle(Request& request, RequestControl& control) const {
  auto body = std::make_shared<ByteChannel>(std::max<size_t>(request.body.size(), 1));
  body->write(request.body);
  body->finish();
  CollectingSink sink(control);
  Outcome out = run(request, body, sink, control);
  out.release_after.reset();  // the buffered path's outcome travels to the loop: not the store
  if (!out.streamed) return out;
  out.streamed = false;
  sink.wake();  // whatever the last write left
  if (sink.too_large_) {
    out.response = error_response(500, "service " + spec_.name + " answered with more than " +
                                           std::to_string(kMaxBufferedResponse >> 20) +
                                           " MiB, the most a filtered response may hold");
    out.note = "response too large for filters";
    return out;
  }
  if (sink.body_ && sink.body_->failed()) {
    out.response = error_response(500, "service " + spec_.name + " failed mid-body");
    if (out.note.empty()) out.note = "body failed: " + sink.body_->failure();
    return out;
  }
  out.response.status = sink.status_;
  for (auto& [name, value] : sink.headers_) {
    // The server frames the collected body itself.
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
    out.response.headers.emplace_back(std::move(name), std::move(value));
  }
  out.response.body = std::move(sink.data_);
  return out;
}

}  // namespace weft::serve
