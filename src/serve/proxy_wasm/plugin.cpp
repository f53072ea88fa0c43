// The proxy-wasm plugin lifecycle: validation at startup, a fresh instance
// per request driven through the ABI's callbacks, the long-lived root
// instance with its tick timer, and the filter chain / handler built on it.
#include <chrono>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "serve/proxy_wasm/internal.h"
#include "serve/wagi.h"

namespace weft::serve::proxy_wasm {

namespace {

constexpr ValType kI32 = ValType::I32;
constexpr size_t kMaxGuestOutput = 1u << 20;
// A plugin's startup (instantiate, vm_start, configure) may not take longer.
constexpr auto kStartupDeadline = std::chrono::seconds(10);

struct CallbackType {
  const char* name;
  FuncType type;
};

// Every callback weft calls, with its v0.2.x type: a module exporting one
// with another type is rejected at startup rather than failing per request.
const std::vector<CallbackType>& callback_types() {
  static const std::vector<CallbackType> types = {
      {"_initialize", {{}, {}}},
      {"_start", {{}, {}}},
      {"proxy_on_memory_allocate", {{kI32}, {kI32}}},
      {"malloc", {{kI32}, {kI32}}},
      {"proxy_on_context_create", {{kI32, kI32}, {}}},
      {"proxy_on_vm_start", {{kI32, kI32}, {kI32}}},
      {"proxy_on_configure", {{kI32, kI32}, {kI32}}},
      {"proxy_on_request_headers", {{kI32, kI32, kI32}, {kI32}}},
      {"proxy_on_request_body", {{kI32, kI32, kI32}, {kI32}}},
      {"proxy_on_response_headers", {{kI32, kI32, kI32}, {kI32}}},
      {"proxy_on_response_body", {{kI32, kI32, kI32}, {kI32}}},
      {"proxy_on_done", {{kI32}, {kI32}}},
      {"proxy_on_log", {{kI32}, {}}},
      {"proxy_on_delete", {{kI32}, {}}},
      {"proxy_on_tick", {{kI32}, {}}},
  };
  return types;
}

void flush_guest_output(GuestInstance& g) {
  if (!g.wasi) return;
  auto emit = [&](const std::string& text, LogLevel level) {
    size_t begin = 0;
    while (begin < text.size()) {
      size_t end = text.find('\n', begin);
      if (end == std::string::npos) end = text.size();
      if (end > begin && level >= log_level()) {
        log_line(g.plugin->options.name, level, std::string_view(text).substr(begin, end - begin));
      }
      begin = end + 1;
    }
  };
  emit(g.wasi->take_stdout(), LogLevel::Info);
  emit(g.wasi->take_stderr(), LogLevel::Error);
}

// Calls an exported callback if the module has it (nullopt result if not).
// Callbacks without a result yield 0.
Result<std::optional<uint32_t>> call(GuestInstance& g, const char* name,
                                     std::initializer_list<uint32_t> args) {
  auto func = g.instance.get_func(name);
  if (!func) return std::optional<uint32_t>();
  std::vector<Value> values;
  values.reserve(args.size());
  for (uint32_t a : args) values.push_back(Value::i32(static_cast<int32_t>(a)));
  ScopedInstance scope(&g);
  auto results = func->call(values);
  flush_guest_output(g);
  if (!results) return std::move(results).error();
  return std::optional<uint32_t>(results->empty() ? 0 : (*results)[0].as_u32());
}

// Where a callback failed, for the note and the log.
struct Failure {
  std::string callback;
  Error error;
};

// _initialize (or _start), vm_start, configure, the root context.
Result<void> start_instance(const ProxyWasmPlugin::Impl& plugin, GuestInstance& g,
                            RequestControl& control) {
  const PluginOptions& options = plugin.options;
  g.plugin = &plugin;
  wasi::Config config;
  config.env = options.env;
  config.stdin_mode = wasi::Config::Stdio::Null;
  config.stdout_mode = wasi::Config::Stdio::Buffer;
  config.stderr_mode = wasi::Config::Stdio::Buffer;
  config.max_output_bytes = kMaxGuestOutput;
  auto context = wasi::Context::create(std::move(config));
  if (!context) return std::move(context).error();
  g.wasi = std::move(context).value();
  g.store = std::make_unique<Store>(options.limits);
  g.store->set_user_data(g.wasi.get());
  control.attach(g.store->interrupt_handle());

  auto instance = options.linker->instantiate(*g.store, options.module);
  if (!instance) return std::move(instance).error();
  g.instance = *instance;
  g.memory = g.instance.get_memory("memory").value_or(Memory());
  g.allocate = g.instance.get_func("proxy_on_memory_allocate")
                   .value_or(g.instance.get_func("malloc").value_or(Func()));

  auto check = [](Result<std::optional<uint32_t>> r, const char* what) -> Result<void> {
    if (r) return {};
    const Error& e = r.error();
    // A WASI command's _start ends with proc_exit(0): that is success.
    if (e.is_trap() && e.trap && e.trap->kind == TrapKind::Exit && e.trap->exit_code == 0) {
      return {};
    }
    Error out = std::move(r).error();
    out.message = std::string(what) + ": " + out.message;
    return out;
  };
  if (plugin.has_initialize) {
    if (auto r = check(call(g, "_initialize", {}), "_initialize"); !r) return r;
  } else if (plugin.has_start) {
    if (auto r = check(call(g, "_start", {}), "_start"); !r) return r;
  }
  auto vm = call(g, "proxy_on_vm_start", {kRootContextId, uint32_t(options.vm_config.size())});
  if (auto r = check(vm, "proxy_on_vm_start"); !r) return r;
  if (vm->has_value() && **vm == 0) return Error::usage("proxy_on_vm_start returned false");
  auto configured =
      call(g, "proxy_on_configure", {kRootContextId, uint32_t(options.config.size())});
  if (auto r = check(configured, "proxy_on_configure"); !r) return r;
  if (configured->has_value() && **configured == 0) {
    return Error::usage("proxy_on_configure rejected the plugin configuration");
  }
  if (auto r =
          check(call(g, "proxy_on_context_create", {kRootContextId, 0}), "proxy_on_context_create");
      !r) {
    return r;
  }
  return {};
}

std::string who(const PluginOptions& options) { return options.role + " " + options.name; }

Outcome failure_outcome(const PluginOptions& options, const std::string& callback,
                        const Error& error, const RequestControl& control) {
  Outcome out;
  const bool trap = error.is_trap() && error.trap;
  if (trap && error.trap->kind == TrapKind::Interrupted && control.timed_out()) {
    out.response = error_response(504, who(options) + " timed out");
    out.note = who(options) + ": timeout in " + callback;
    return out;
  }
  if ((trap && error.trap->kind == TrapKind::MemoryLimit) || error.kind == ErrorKind::Limit) {
    out.response = error_response(500, who(options) + " exceeded its memory limit");
    out.note = who(options) + ": memory limit in " + callback;
    if (trap) out.detail = error.trap->to_string();
    return out;
  }
  out.response = error_response(500, who(options) + " failed");
  if (trap) {
    out.note = who(options) + ": trap in " + callback + ": " + error.trap->message;
    out.detail = error.trap->to_string();
  } else {
    out.note = who(options) + ": " + callback + ": " + error.to_string();
  }
  return out;
}

HeaderList request_map(const Request& request) {
  HeaderList map;
  map.reserve(request.headers.size() + 4);
  map.emplace_back(":method", request.method);
  map.emplace_back(":path", request.target.empty() ? request.path : request.target);
  map.emplace_back(":authority", std::string(request.header("Host")));
  map.emplace_back(":scheme", "http");
  for (const auto& [k, v] : request.headers) map.emplace_back(lower(k), v);
  return map;
}

HeaderList response_map(const Response& response) {
  HeaderList map;
  map.reserve(response.headers.size() + 1);
  map.emplace_back(":status", std::to_string(response.status));
  for (const auto& [k, v] : response.headers) map.emplace_back(lower(k), v);
  return map;
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

void set_content_length(HeaderList& headers, size_t size) {
  for (auto& [k, v] : headers) {
    if (iequals(k, "content-length")) v = std::to_string(size);
  }
}

// Applies the guest's request map to the request, if it changed.
void apply_request_map(const HeaderList& before, const HeaderList& after, Request& request) {
  if (before == after) return;
  HeaderList headers;
  for (const auto& [k, v] : after) {
    if (k == ":method") {
      if (is_token(v)) request.method = v;
    } else if (k == ":path") {
      if (!v.empty() && v[0] == '/') {
        request.target = v;
        const size_t q = v.find('?');
        request.path = v.substr(0, q);
        request.query = q == std::string::npos ? std::string() : v.substr(q + 1);
      }
    } else if (!k.empty() && k[0] != ':') {
      headers.emplace_back(k, v);
    }
  }
  request.headers = std::move(headers);
}

void apply_response_map(const HeaderList& before, const HeaderList& after, Response& response) {
  if (before == after) return;
  HeaderList headers;
  for (const auto& [k, v] : after) {
    if (k == ":status") {
      char* end = nullptr;
      const long status = std::strtol(v.c_str(), &end, 10);
      if (end != v.c_str() && *end == '\0' && status >= 100 && status <= 599) {
        response.status = static_cast<unsigned>(status);
      }
    } else if (!k.empty() && k[0] != ':') {
      headers.emplace_back(k, v);
    }
  }
  response.headers = std::move(headers);
}

// The outcome of one callback: nullopt to go on, or the request's answer.
std::optional<Outcome> verdict(GuestInstance& g, const char* callback,
                               Result<std::optional<uint32_t>> result,
                               const RequestControl& control) {
  const PluginOptions& options = g.plugin->options;
  if (!result) return failure_outcome(options, callback, result.error(), control);
  if (g.local_response) {
    Outcome out;
    out.response = std::move(*g.local_response);
    g.local_response.reset();
    if (options.role == "filter") {
      out.note = who(options) + " answered " + std::to_string(out.response.status);
    }
    return out;
  }
  const uint32_t action = result->value_or(0);
  if (action == 0) return std::nullopt;
  if (action == 1) {
    // weft has no way to resume a paused stream later (no outbound calls),
    // so Pause without a local response means Continue.
    log_line(options.name, LogLevel::Warn,
             std::string(callback) + " returned Pause; treated as Continue");
    return std::nullopt;
  }
  Outcome out;
  out.response = error_response(500, who(options) + " failed");
  out.note = who(options) + ": unknown action " + std::to_string(action) + " from " + callback;
  log_line(options.name, LogLevel::Error, out.note);
  return out;
}

// ---- the root instance's tick timer ----

void tick_loop(ProxyWasmPlugin::Impl* plugin) {
  GuestInstance& root = *plugin->root;
  std::unique_lock lock(plugin->tick_mutex);
  while (!plugin->stopping) {
    const uint32_t period = root.tick_period_ms;
    if (period == 0) {
      plugin->tick_cv.wait(lock, [&] { return plugin->stopping; });
      break;
    }
    if (plugin->tick_cv.wait_for(lock, std::chrono::milliseconds(period),
                                 [&] { return plugin->stopping; })) {
      break;
    }
    lock.unlock();
    auto ticked = call(root, "proxy_on_tick", {kRootContextId});
    lock.lock();
    if (!ticked) {
      if (!plugin->stopping) {
        log_line(plugin->options.name, LogLevel::Error,
                 "proxy_on_tick failed, ticks stop: " + ticked.error().to_string());
      }
      break;
    }
  }
}

}  // namespace

// ---- ProxyWasmPlugin ----

ProxyWasmPlugin::ProxyWasmPlugin(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ProxyWasmPlugin::~ProxyWasmPlugin() {
  if (impl_->tick_thread.joinable()) {
    {
      std::lock_guard lock(impl_->tick_mutex);
      impl_->stopping = true;
    }
    if (impl_->root && impl_->root->store) impl_->root->store->interrupt_handle().interrupt();
    impl_->tick_cv.notify_all();
    impl_->tick_thread.join();
  }
}

const std::string& ProxyWasmPlugin::name() const { return impl_->options.name; }

Result<std::shared_ptr<ProxyWasmPlugin>> ProxyWasmPlugin::create(PluginOptions options) {
  const std::string prefix = who(options) + ": ";
  auto fail = [&](const std::string& message) { return Error::usage(prefix + message); };
  if (!options.module) return fail("no module");
  if (!options.linker) return fail("no linker");
  const Module& module = *options.module;
  if (!module.export_func_type("proxy_abi_version_0_2_1") &&
      !module.export_func_type("proxy_abi_version_0_2_0")) {
    return fail(
        "not a proxy-wasm module: it exports neither proxy_abi_version_0_2_1 nor "
        "proxy_abi_version_0_2_0 (weft speaks ABI v0.2.1)");
  }
  if (!module.export_func_type("proxy_on_context_create")) {
    return fail("not a proxy-wasm module: no exported function proxy_on_context_create");
  }
  if (!module.export_func_type("proxy_on_memory_allocate") && !module.export_func_type("malloc")) {
    return fail(
        "exports neither proxy_on_memory_allocate nor malloc, so the host cannot hand it "
        "memory (with wasi-libc: PROXY_WASM_DEFAULT_ALLOCATOR from sdk/proxy_wasm/proxy_wasm.h)");
  }
  bool has_memory = false;
  for (const ExportInfo& e : module.exports()) {
    if (e.name == "memory" && e.kind == ExternKind::Memory) has_memory = true;
  }
  if (!has_memory) return fail("no exported memory named \"memory\"");
  for (const CallbackType& cb : callback_types()) {
    auto type = module.export_func_type(cb.name);
    if (type && !(*type == cb.type)) {
      return fail(std::string("exported ") + cb.name + " has type " + type->to_string() +
                  ", the ABI expects " + cb.type.to_string());
    }
  }
  if (auto r = check_imports(module, *options.linker); !r) return fail(r.error().message);

  auto impl = std::make_unique<Impl>();
  impl->has_initialize = module.export_func_type("_initialize").has_value();
  impl->has_start = module.export_func_type("_start").has_value();
  impl->options = std::move(options);

  // The root instance: proves the configuration is accepted before the
  // server listens, and runs proxy_on_tick if the plugin asks for ticks.
  impl->root = std::make_unique<GuestInstance>();
  {
    RequestControl control;
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::thread watchdog([&] {
      std::unique_lock lock(m);
      if (!cv.wait_for(lock, kStartupDeadline, [&] { return done; })) control.time_out();
    });
    Result<void> started = start_instance(*impl, *impl->root, control);
    control.detach();
    {
      std::lock_guard lock(m);
      done = true;
    }
    cv.notify_all();
    watchdog.join();
    if (!started) {
      if (control.timed_out()) return fail("startup took longer than 10 s");
      return fail(started.error().to_string());
    }
  }
  impl->root->phase = Phase::Done;
  auto plugin = std::shared_ptr<ProxyWasmPlugin>(new ProxyWasmPlugin(std::move(impl)));
  Impl* raw = plugin->impl_.get();
  if (raw->root->tick_period_ms > 0 && raw->options.module->export_func_type("proxy_on_tick")) {
    raw->tick_thread = std::thread(tick_loop, raw);
  }
  return plugin;
}

std::optional<Outcome> ProxyWasmPlugin::on_request(Request& request, RequestControl& control,
                                                   FilterSession& session) const {
  session.state = std::make_unique<FilterSession::State>();
  GuestInstance& g = *session.state;
  const PluginOptions& options = impl_->options;

  struct Detach {
    RequestControl& control;
    ~Detach() { control.detach(); }
  } detach{control};

  if (auto started = start_instance(*impl_, g, control); !started) {
    return failure_outcome(options, "startup", started.error(), control);
  }
  auto created = call(g, "proxy_on_context_create", {kHttpContextId, kRootContextId});
  if (!created)
    return failure_outcome(options, "proxy_on_context_create", created.error(), control);
  g.http_context_created = true;

  g.request = &request;
  g.request_headers = request_map(request);
  const HeaderList before = g.request_headers;
  g.request_body = std::move(request.body);
  const size_t original_body_size = g.request_body.size();
  const bool has_body = !g.request_body.empty();

  auto restore = [&] {
    const bool body_changed = g.request_body.size() != original_body_size;
    request.body = std::move(g.request_body);
    g.request_body.clear();
    apply_request_map(before, g.request_headers, request);
    if (body_changed) set_content_length(request.headers, request.body.size());
  };

  g.phase = Phase::RequestHeaders;
  auto headers = call(g, "proxy_on_request_headers",
                      {kHttpContextId, uint32_t(g.request_headers.size()), has_body ? 0u : 1u});
  if (auto answer = verdict(g, "proxy_on_request_headers", std::move(headers), control)) {
    restore();
    return answer;
  }
  if (has_body) {
    g.phase = Phase::RequestBody;
    auto body =
        call(g, "proxy_on_request_body", {kHttpContextId, uint32_t(g.request_body.size()), 1u});
    if (auto answer = verdict(g, "proxy_on_request_body", std::move(body), control)) {
      restore();
      return answer;
    }
  }
  restore();
  return std::nullopt;
}

std::optional<Outcome> ProxyWasmPlugin::on_response(Response& response, RequestControl& control,
                                                    FilterSession& session) const {
  if (!session.state || !session.state->http_context_created) return std::nullopt;
  GuestInstance& g = *session.state;
  control.attach(g.store->interrupt_handle());
  struct Detach {
    RequestControl& control;
    ~Detach() { control.detach(); }
  } detach{control};

  g.response = &response;
  g.response_headers = response_map(response);
  const HeaderList before = g.response_headers;
  g.response_body = std::move(response.body);
  const bool has_body = !g.response_body.empty();
  auto restore = [&] {
    response.body = std::move(g.response_body);
    g.response_body.clear();
    apply_response_map(before, g.response_headers, response);
  };

  g.phase = Phase::ResponseHeaders;
  auto headers = call(g, "proxy_on_response_headers",
                      {kHttpContextId, uint32_t(g.response_headers.size()), has_body ? 0u : 1u});
  if (auto answer = verdict(g, "proxy_on_response_headers", std::move(headers), control)) {
    restore();
    return answer;
  }
  if (has_body) {
    g.phase = Phase::ResponseBody;
    auto body =
        call(g, "proxy_on_response_body", {kHttpContextId, uint32_t(g.response_body.size()), 1u});
    if (auto answer = verdict(g, "proxy_on_response_body", std::move(body), control)) {
      restore();
      return answer;
    }
  }
  restore();
  return std::nullopt;
}

void ProxyWasmPlugin::finish(RequestControl& control, FilterSession& session) const {
  if (!session.state) return;
  GuestInstance& g = *session.state;
  if (g.http_context_created && g.store) {
    control.attach(g.store->interrupt_handle());
    g.phase = Phase::Done;
    g.request = nullptr;
    g.response = nullptr;
    for (const char* callback : {"proxy_on_done", "proxy_on_log", "proxy_on_delete"}) {
      auto r = call(g, callback, {kHttpContextId});
      if (!r) {
        log_line(impl_->options.name, LogLevel::Error,
                 std::string(callback) + " failed: " + r.error().to_string());
        break;
      }
    }
    control.detach();
  }
  session.state.reset();
}

// ---- FilterSession ----

FilterSession::FilterSession() = default;
FilterSession::~FilterSession() = default;
FilterSession::FilterSession(FilterSession&&) noexcept = default;
FilterSession& FilterSession::operator=(FilterSession&&) noexcept = default;

// ---- handlers ----

Outcome FilterChainHandler::handle(Request& request, RequestControl& control) const {
  std::vector<FilterSession> sessions(filters_.size());
  size_t passed = 0;  // filters that let the request through
  std::optional<Outcome> answer;
  for (; passed < filters_.size(); ++passed) {
    answer = filters_[passed]->on_request(request, control, sessions[passed]);
    if (answer) break;
  }
  Outcome out = answer ? std::move(*answer) : inner_->handle(request, control);
  for (size_t i = passed; i-- > 0;) {
    if (auto replaced = filters_[i]->on_response(out.response, control, sessions[i])) {
      if (!out.note.empty()) replaced->note = out.note + "; " + replaced->note;
      out = std::move(*replaced);
    }
  }
  for (size_t i = sessions.size(); i-- > 0;) filters_[i]->finish(control, sessions[i]);
  return out;
}

Outcome ProxyWasmHandler::handle(Request& request, RequestControl& control) const {
  FilterSession session;
  std::optional<Outcome> answer = plugin_->on_request(request, control, session);
  plugin_->finish(control, session);
  if (answer) return std::move(*answer);
  Outcome out;
  out.response = error_response(500, "service " + plugin_->name() + " sent no response");
  out.note = "proxy-wasm handler sent no local response";
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> secret_environment(
    std::string_view config) {
  std::vector<std::pair<std::string, std::string>> env;
  auto json = nlohmann::json::parse(config.begin(), config.end(), nullptr,
                                    /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("secret_env")) return env;
  const auto& names = json["secret_env"];
  std::vector<std::string> wanted;
  if (names.is_string()) {
    wanted.push_back(names.get<std::string>());
  } else if (names.is_array()) {
    for (const auto& n : names) {
      if (!n.is_string()) return Error::usage("secret_env must be a string or a list of strings");
      wanted.push_back(n.get<std::string>());
    }
  } else {
    return Error::usage("secret_env must be a string or a list of strings");
  }
  for (const std::string& name : wanted) {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return Error::usage("environment variable " + name +
                          " (named by secret_env in the configuration) is not set");
    }
    env.emplace_back(name, value);
  }
  return env;
}

Result<std::shared_ptr<const ProxyWasmPlugin>> create_filter(const app::FilterSpec& spec,
                                                             std::shared_ptr<const Linker> linker) {
  auto module = compile_file(spec.source);
  if (!module) return Error::usage("filter " + spec.name + ": " + module.error().message);
  auto env = secret_environment(spec.config);
  if (!env) return Error::usage("filter " + spec.name + ": " + env.error().message);
  PluginOptions options;
  options.name = spec.name;
  options.role = "filter";
  options.module = std::move(module).value();
  options.config = spec.config;
  options.linker = std::move(linker);
  options.limits.max_memory_bytes = 128ull << 20;
  options.env = std::move(env).value();
  auto plugin = ProxyWasmPlugin::create(std::move(options));
  if (!plugin) return std::move(plugin).error();
  return std::shared_ptr<const ProxyWasmPlugin>(std::move(plugin).value());
}

Result<std::unique_ptr<Handler>> create_handler(const app::ServiceSpec& spec,
                                                std::shared_ptr<const Module> module,
                                                std::shared_ptr<const Linker> linker) {
  PluginOptions options;
  options.name = spec.name;
  options.role = "service";
  options.module = std::move(module);
  options.linker = std::move(linker);
  options.limits.max_memory_bytes = spec.memory_limit;
  options.env = spec.env;
  auto plugin = ProxyWasmPlugin::create(std::move(options));  // errors name the service
  if (!plugin) return std::move(plugin).error();
  return std::unique_ptr<Handler>(new ProxyWasmHandler(std::move(plugin).value()));
}

}  // namespace weft::serve::proxy_wasm
