// The proxy-wasm "env" imports. Every argument is guest-controlled: memory
// goes through Memory::slice, sizes are checked before anything is
// allocated, and nothing here throws or aborts.
#include <chrono>
#include <cstring>

#include "serve/proxy_wasm/internal.h"

namespace weft::serve::proxy_wasm {

namespace {

constexpr ValType kI32 = ValType::I32;
constexpr ValType kI64 = ValType::I64;
// A body or header map a guest builds may not exceed this (the guest's own
// memory limit bounds a single call; this bounds repeated appends).
constexpr size_t kMaxHostBuffer = 64u << 20;

thread_local GuestInstance* t_current = nullptr;

using Args = std::span<const Value>;
using Body = std::function<Result<Status>(GuestInstance&, Args)>;

void define(Linker& linker, const char* name, std::vector<ValType> params, Body body) {
  FuncType type{std::move(params), {kI32}};
  linker.func("env", name, std::move(type),
              [body = std::move(body)](Caller& caller, std::span<const Value> args,
                                       std::span<Value> results) -> Result<void> {
                GuestInstance* guest = current_instance();
                if (guest == nullptr || guest->store.get() != &caller.store()) {
                  // Not a proxy-wasm plugin instance (e.g. a WAGI guest that
                  // imports env.proxy_*): nothing to act on.
                  results[0] = Value::i32(static_cast<int32_t>(Status::InternalFailure));
                  return {};
                }
                Result<Status> status = body(*guest, args);
                if (!status) return std::move(status).error();  // a trap (e.g. in malloc)
                results[0] = Value::i32(static_cast<int32_t>(*status));
                return {};
              });
}

void unimplemented(Linker& linker, const char* name, size_t param_count) {
  define(linker, name, std::vector<ValType>(param_count, kI32),
         [](GuestInstance&, Args) -> Result<Status> { return Status::Unimplemented; });
}

uint32_t u32(Args args, size_t i) { return args[i].as_u32(); }

std::optional<std::string_view> read(const GuestInstance& g, uint32_t ptr, uint32_t len) {
  if (!g.memory) return std::nullopt;
  auto bytes = g.memory.slice(ptr, len);
  if (!bytes) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

bool writable(const GuestInstance& g, uint32_t ptr, uint32_t len) {
  return g.memory && g.memory.slice(ptr, len).has_value();
}

bool write_u32(const GuestInstance& g, uint32_t ptr, uint32_t value) {
  if (!g.memory) return false;
  auto bytes = g.memory.slice(ptr, 4);
  if (!bytes) return false;
  for (int i = 0; i < 4; ++i) (*bytes)[i] = static_cast<uint8_t>(value >> (8 * i));
  return true;
}

bool write_u64(const GuestInstance& g, uint32_t ptr, uint64_t value) {
  if (!g.memory) return false;
  auto bytes = g.memory.slice(ptr, 8);
  if (!bytes) return false;
  for (int i = 0; i < 8; ++i) (*bytes)[i] = static_cast<uint8_t>(value >> (8 * i));
  return true;
}

// Hands `data` to the guest: memory from its allocator, the pointer and
// size written to *data_ptr_ptr and *size_ptr. Empty data is (0, 0), so
// the guest frees nothing.
Result<Status> return_bytes(GuestInstance& g, std::string_view data, uint32_t data_ptr_ptr,
                            uint32_t size_ptr) {
  if (!writable(g, data_ptr_ptr, 4) || !writable(g, size_ptr, 4)) {
    return Status::InvalidMemoryAccess;
  }
  if (data.size() > UINT32_MAX) return Status::BadArgument;
  if (data.empty()) {
    write_u32(g, data_ptr_ptr, 0);
    write_u32(g, size_ptr, 0);
    return Status::Ok;
  }
  if (!g.allocate) return Status::InternalFailure;
  const Value arg = Value::i32(static_cast<int32_t>(static_cast<uint32_t>(data.size())));
  auto allocated = g.allocate.call(std::span<const Value>(&arg, 1));
  if (!allocated) return std::move(allocated).error();
  if (allocated->size() != 1) return Status::InternalFailure;
  const uint32_t ptr = (*allocated)[0].as_u32();
  if (ptr == 0) return Status::InvalidMemoryAccess;  // the guest's allocator failed
  // The guest's allocator may have grown memory; slice again.
  auto dest = g.memory.slice(ptr, data.size());
  if (!dest) return Status::InvalidMemoryAccess;
  std::memcpy(dest->data(), data.data(), data.size());
  if (!write_u32(g, data_ptr_ptr, ptr) ||
      !write_u32(g, size_ptr, static_cast<uint32_t>(data.size()))) {
    return Status::InvalidMemoryAccess;
  }
  return Status::Ok;
}

// ---- header maps ----

// A header name or value a guest hands us must not be able to break the
// HTTP framing when it is sent on.
bool valid_header_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (c == ':' && i == 0) continue;  // pseudo-header
    const bool token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
    if (!token || c == 0) return false;
  }
  return true;
}

bool valid_header_value(std::string_view value) {
  for (char ch : value) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\r' || c == '\n' || c == 0) return false;
  }
  return true;
}

bool request_phase(Phase p) { return p == Phase::RequestHeaders || p == Phase::RequestBody; }
bool response_phase(Phase p) { return p == Phase::ResponseHeaders || p == Phase::ResponseBody; }

// The map, or a status saying why there is none.
HeaderList* find_map(GuestInstance& g, uint32_t map_id, Status& why) {
  if (map_id > kMaxMapType) {
    why = Status::BadArgument;
    return nullptr;
  }
  why = Status::NotFound;
  switch (map_id) {
    case kRequestHeaders:
      return g.phase == Phase::Start ? nullptr : &g.request_headers;
    case kRequestTrailers:
      return g.phase == Phase::Start ? nullptr : &g.request_trailers;
    case kResponseHeaders:
      return response_phase(g.phase) || g.phase == Phase::Done ? &g.response_headers : nullptr;
    case kResponseTrailers:
      return response_phase(g.phase) || g.phase == Phase::Done ? &g.response_trailers : nullptr;
    default:
      return nullptr;  // gRPC and HTTP-call maps: weft makes no such calls
  }
}

size_t map_bytes(const HeaderList& map) {
  size_t total = 0;
  for (const auto& [k, v] : map) total += k.size() + v.size() + 10;
  return total;
}

void define_header_maps(Linker& linker) {
  define(linker, "proxy_get_header_map_pairs", {kI32, kI32, kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           Status why;
           HeaderList* map = find_map(g, u32(a, 0), why);
           if (map == nullptr) return why;
           return return_bytes(g, serialize_pairs(*map), u32(a, 1), u32(a, 2));
         });
  define(linker, "proxy_get_header_map_size", {kI32, kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           Status why;
           HeaderList* map = find_map(g, u32(a, 0), why);
           if (map == nullptr) return why;
           const size_t size = serialize_pairs(*map).size();
           if (!write_u32(g, u32(a, 1), static_cast<uint32_t>(size))) {
             return Status::InvalidMemoryAccess;
           }
           return Status::Ok;
         });
  define(linker, "proxy_set_header_map_pairs", {kI32, kI32, kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           Status why;
           HeaderList* map = find_map(g, u32(a, 0), why);
           if (map == nullptr) return why;
           auto bytes = read(g, u32(a, 1), u32(a, 2));
           if (!bytes) return Status::InvalidMemoryAccess;
           if (bytes->size() > kMaxHostBuffer) return Status::BadArgument;
           auto pairs = deserialize_pairs(
               std::span(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
           if (!pairs) return Status::BadArgument;
           for (auto& [k, v] : *pairs) {
             if (!valid_header_name(k) || !valid_header_value(v)) return Status::BadArgument;
             k = lower(k);
           }
           *map = std::move(*pairs);
           return Status::Ok;
         });
  define(linker, "proxy_get_header_map_value", {kI32, kI32, kI32, kI32, kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           Status why;
           HeaderList* map = find_map(g, u32(a, 0), why);
           if (map == nullptr) return why;
           auto key = read(g, u32(a, 1), u32(a, 2));
           if (!key) return Status::InvalidMemoryAccess;
           for (const auto& [k, v] : *map) {
             if (iequals(k, *key)) return return_bytes(g, v, u32(a, 3), u32(a, 4));
           }
           return Status::NotFound;
         });
  auto modify = [](GuestInstance& g, Args a, bool replace) -> Result<Status> {
    Status why;
    HeaderList* map = find_map(g, u32(a, 0), why);
    if (map == nullptr) return why;
    auto key = read(g, u32(a, 1), u32(a, 2));
    auto value = read(g, u32(a, 3), u32(a, 4));
    if (!key || !value) return Status::InvalidMemoryAccess;
    if (!valid_header_name(*key) || !valid_header_value(*value)) return Status::BadArgument;
    if (map_bytes(*map) + key->size() + value->size() > kMaxHostBuffer) return Status::BadArgument;
    std::string name = lower(*key);
    if (replace) {
      bool placed = false;
      for (auto it = map->begin(); it != map->end();) {
        if (!iequals(it->first, name)) {
          ++it;
        } else if (!placed) {
          it->second = std::string(*value);
          placed = true;
          ++it;
        } else {
          it = map->erase(it);
        }
      }
      if (placed) return Status::Ok;
    }
    map->emplace_back(std::move(name), std::string(*value));
    return Status::Ok;
  };
  define(linker, "proxy_add_header_map_value", {kI32, kI32, kI32, kI32, kI32},
         [modify](GuestInstance& g, Args a) { return modify(g, a, /*replace=*/false); });
  define(linker, "proxy_replace_header_map_value", {kI32, kI32, kI32, kI32, kI32},
         [modify](GuestInstance& g, Args a) { return modify(g, a, /*replace=*/true); });
  define(linker, "proxy_remove_header_map_value", {kI32, kI32, kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           Status why;
           HeaderList* map = find_map(g, u32(a, 0), why);
           if (map == nullptr) return why;
           auto key = read(g, u32(a, 1), u32(a, 2));
           if (!key) return Status::InvalidMemoryAccess;
           std::erase_if(*map, [&](const auto& kv) { return iequals(kv.first, *key); });
           return Status::Ok;
         });
}

// ---- buffers ----

// The buffer, or a status saying why there is none. `mutable_buffer` is
// set for the bodies only (the configurations are read-only).
const std::string* find_buffer(GuestInstance& g, uint32_t id, Status& why,
                               std::string** mutable_buffer) {
  *mutable_buffer = nullptr;
  if (id > kMaxBufferType) {
    why = Status::BadArgument;
    return nullptr;
  }
  why = Status::NotFound;
  switch (id) {
    case kRequestBody:
      if (!request_phase(g.phase)) return nullptr;
      *mutable_buffer = &g.request_body;
      return &g.request_body;
    case kResponseBody:
      if (!response_phase(g.phase)) return nullptr;
      *mutable_buffer = &g.response_body;
      return &g.response_body;
    case kVmConfiguration:
      return &g.plugin->options.vm_config;
    case kPluginConfiguration:
      return &g.plugin->options.config;
    default:
      return nullptr;
  }
}

void define_buffers(Linker& linker) {
  define(linker, "proxy_get_buffer_bytes", {kI32, kI32, kI32, kI32, kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           Status why;
           std::string* unused;
           const std::string* buffer = find_buffer(g, u32(a, 0), why, &unused);
           if (buffer == nullptr) return why;
           const uint64_t start = u32(a, 1);
           if (start > buffer->size()) return Status::BadArgument;
           const uint64_t length = std::min<uint64_t>(u32(a, 2), buffer->size() - start);
           return return_bytes(g, std::string_view(*buffer).substr(start, length), u32(a, 3),
                               u32(a, 4));
         });
  define(linker, "proxy_get_buffer_status", {kI32, kI32, kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           Status why;
           std::string* unused;
           const std::string* buffer = find_buffer(g, u32(a, 0), why, &unused);
           if (buffer == nullptr) return why;
           if (!write_u32(g, u32(a, 1), static_cast<uint32_t>(buffer->size())) ||
               !write_u32(g, u32(a, 2), 0)) {
             return Status::InvalidMemoryAccess;
           }
           return Status::Ok;
         });
  define(linker, "proxy_set_buffer_bytes", {kI32, kI32, kI32, kI32, kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           Status why;
           std::string* buffer = nullptr;
           if (find_buffer(g, u32(a, 0), why, &buffer) == nullptr) return why;
           if (buffer == nullptr) return Status::BadArgument;
           auto value = read(g, u32(a, 3), u32(a, 4));
           if (!value) return Status::InvalidMemoryAccess;
           const size_t start = std::min<size_t>(u32(a, 1), buffer->size());
           const size_t count = std::min<size_t>(u32(a, 2), buffer->size() - start);
           if (buffer->size() - count + value->size() > kMaxHostBuffer) return Status::BadArgument;
           buffer->replace(start, count, *value);
           return Status::Ok;
         });
}

// ---- properties ----

std::string le64(int64_t value) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(static_cast<uint64_t>(value) >> (8 * i));
  return out;
}

std::optional<std::string> header_value(const HeaderList& map, std::string_view name) {
  for (const auto& [k, v] : map) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

HeaderList without_pseudo(const HeaderList& map) {
  HeaderList out;
  for (const auto& kv : map) {
    if (kv.first.empty() || kv.first[0] != ':') out.push_back(kv);
  }
  return out;
}

// Values are strings, except ports, sizes and codes: 8-byte little-endian
// integers (as Envoy encodes them). Maps are pairs-serialized.
std::optional<std::string> builtin_property(const GuestInstance& g,
                                            const std::vector<std::string_view>& path) {
  auto is = [&](std::initializer_list<std::string_view> want) {
    if (want.size() != path.size()) return false;
    size_t i = 0;
    for (std::string_view w : want) {
      if (path[i++] != w) return false;
    }
    return true;
  };
  if (is({"plugin_name"}) || is({"plugin_root_id"})) return g.plugin->options.name;
  if (is({"plugin_vm_id"})) return std::string();
  const Request* r = g.request;
  if (r != nullptr && !path.empty() && path[0] == "request") {
    if (is({"request", "path"})) return r->target;
    if (is({"request", "url_path"})) return r->path;
    if (is({"request", "query"})) return r->query;
    if (is({"request", "method"})) return r->method;
    if (is({"request", "host"})) return std::string(r->header("Host"));
    if (is({"request", "scheme"})) return std::string("http");
    if (is({"request", "protocol"})) return r->version;
    if (is({"request", "size"})) {
      // During the request phase the body is in the guest's buffer.
      const size_t size = request_phase(g.phase) ? g.request_body.size() : r->body.size();
      return le64(static_cast<int64_t>(size));
    }
    if (is({"request", "headers"})) return serialize_pairs(without_pseudo(g.request_headers));
    if (path.size() == 3 && path[1] == "headers") return header_value(g.request_headers, path[2]);
    return std::nullopt;
  }
  if (r != nullptr && !path.empty() && path[0] == "source") {
    if (is({"source", "address"})) return r->remote_addr + ":" + std::to_string(r->remote_port);
    if (is({"source", "port"})) return le64(r->remote_port);
    return std::nullopt;
  }
  if (r != nullptr && !path.empty() && path[0] == "destination") {
    if (is({"destination", "address"})) return r->local_addr + ":" + std::to_string(r->local_port);
    if (is({"destination", "port"})) return le64(r->local_port);
    return std::nullopt;
  }
  const Response* resp = g.response;
  if (resp != nullptr && !path.empty() && path[0] == "response") {
    if (is({"response", "code"})) return le64(resp->status);
    if (is({"response", "headers"})) return serialize_pairs(without_pseudo(g.response_headers));
    if (path.size() == 3 && path[1] == "headers") return header_value(g.response_headers, path[2]);
    return std::nullopt;
  }
  return std::nullopt;
}

std::vector<std::string_view> split_path(std::string_view path) {
  while (!path.empty() && path.back() == '\0') path.remove_suffix(1);
  std::vector<std::string_view> out;
  if (path.empty()) return out;
  size_t begin = 0;
  while (true) {
    size_t end = path.find('\0', begin);
    if (end == std::string_view::npos) {
      out.push_back(path.substr(begin));
      break;
    }
    out.push_back(path.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

void define_properties(Linker& linker) {
  define(linker, "proxy_get_property", {kI32, kI32, kI32, kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           auto path = read(g, u32(a, 0), u32(a, 1));
           if (!path) return Status::InvalidMemoryAccess;
           if (!writable(g, u32(a, 2), 4) || !writable(g, u32(a, 3), 4)) {
             return Status::InvalidMemoryAccess;
           }
           auto segments = split_path(*path);
           if (auto value = builtin_property(g, segments)) {
             return return_bytes(g, *value, u32(a, 2), u32(a, 3));
           }
           std::string key(*path);
           while (!key.empty() && key.back() == '\0') key.pop_back();
           auto it = g.properties.find(key);
           if (it == g.properties.end()) return Status::NotFound;
           return return_bytes(g, it->second, u32(a, 2), u32(a, 3));
         });
  define(linker, "proxy_set_property", {kI32, kI32, kI32, kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           auto path = read(g, u32(a, 0), u32(a, 1));
           auto value = read(g, u32(a, 2), u32(a, 3));
           if (!path || !value) return Status::InvalidMemoryAccess;
           auto segments = split_path(*path);
           if (segments.empty()) return Status::BadArgument;
           // What the host reports about the request is read-only.
           if (builtin_property(g, segments)) return Status::BadArgument;
           if (g.properties.size() >= 1024 || value->size() > kMaxHostBuffer) {
             return Status::BadArgument;
           }
           std::string key(*path);
           while (!key.empty() && key.back() == '\0') key.pop_back();
           g.properties[key] = std::string(*value);
           return Status::Ok;
         });
}

// ---- the rest ----

void define_misc(Linker& linker) {
  define(linker, "proxy_log", {kI32, kI32, kI32}, [](GuestInstance& g, Args a) -> Result<Status> {
    const uint32_t level = u32(a, 0);
    if (level > static_cast<uint32_t>(LogLevel::Critical)) return Status::BadArgument;
    auto text = read(g, u32(a, 1), u32(a, 2));
    if (!text) return Status::InvalidMemoryAccess;
    if (level >= static_cast<uint32_t>(log_level())) {
      log_line(g.plugin->options.name, static_cast<LogLevel>(level), *text);
    }
    return Status::Ok;
  });
  define(linker, "proxy_get_log_level", {kI32}, [](GuestInstance& g, Args a) -> Result<Status> {
    if (!write_u32(g, u32(a, 0), static_cast<uint32_t>(log_level()))) {
      return Status::InvalidMemoryAccess;
    }
    return Status::Ok;
  });
  define(linker, "proxy_get_current_time_nanoseconds", {kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch());
           if (!write_u64(g, u32(a, 0), static_cast<uint64_t>(now.count()))) {
             return Status::InvalidMemoryAccess;
           }
           return Status::Ok;
         });
  define(linker, "proxy_set_tick_period_milliseconds", {kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           g.tick_period_ms = u32(a, 0);
           return Status::Ok;
         });
  define(linker, "proxy_send_local_response", {kI32, kI32, kI32, kI32, kI32, kI32, kI32, kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           auto details = read(g, u32(a, 1), u32(a, 2));
           auto body = read(g, u32(a, 3), u32(a, 4));
           auto headers = read(g, u32(a, 5), u32(a, 6));
           if (!details || !body || !headers) return Status::InvalidMemoryAccess;
           if (!request_phase(g.phase) && !response_phase(g.phase)) return Status::BadArgument;
           const uint32_t status = u32(a, 0);
           if (status < 100 || status > 599) return Status::BadArgument;
           auto pairs = deserialize_pairs(
               std::span(reinterpret_cast<const uint8_t*>(headers->data()), headers->size()));
           if (!pairs) return Status::BadArgument;
           Response response;
           response.status = status;
           bool has_content_type = false;
           for (auto& [k, v] : *pairs) {
             if (!valid_header_name(k) || !valid_header_value(v)) return Status::BadArgument;
             if (k[0] == ':') continue;
             if (iequals(k, "content-type")) has_content_type = true;
             // The server frames the body itself.
             if (iequals(k, "content-length") || iequals(k, "transfer-encoding")) continue;
             response.headers.emplace_back(lower(k), std::move(v));
           }
           if (!body->empty() && !has_content_type) {
             response.headers.emplace_back("content-type", "text/plain");
           }
           response.body = std::string(*body);
           g.local_response = std::move(response);
           return Status::Ok;
         });
  define(linker, "proxy_continue_stream", {kI32}, [](GuestInstance&, Args a) -> Result<Status> {
    const uint32_t stream = u32(a, 0);
    if (stream > 3) return Status::BadArgument;
    // weft never holds a paused stream (Pause is treated as Continue), so
    // HTTP streams are always already continuing.
    return stream <= 1 ? Status::Ok : Status::Unimplemented;
  });
  define(linker, "proxy_close_stream", {kI32}, [](GuestInstance&, Args a) -> Result<Status> {
    return u32(a, 0) > 3 ? Status::BadArgument : Status::Unimplemented;
  });
  define(linker, "proxy_done", {}, [](GuestInstance&, Args) -> Result<Status> {
    return Status::NotFound;  // proxy_on_done is never deferred
  });
  define(linker, "proxy_set_effective_context", {kI32},
         [](GuestInstance&, Args a) -> Result<Status> {
           const uint32_t id = u32(a, 0);
           return id == kRootContextId || id == kHttpContextId ? Status::Ok : Status::BadArgument;
         });

  define(linker, "proxy_get_shared_data", {kI32, kI32, kI32, kI32, kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           auto key = read(g, u32(a, 0), u32(a, 1));
           if (!key) return Status::InvalidMemoryAccess;
           if (!writable(g, u32(a, 4), 4)) return Status::InvalidMemoryAccess;
           auto value = shared_data_get(*key);
           if (!value) return Status::NotFound;
           Result<Status> status = return_bytes(g, value->value, u32(a, 2), u32(a, 3));
           if (!status || *status != Status::Ok) return status;
           if (!write_u32(g, u32(a, 4), value->cas)) return Status::InvalidMemoryAccess;
           return Status::Ok;
         });
  define(linker, "proxy_set_shared_data", {kI32, kI32, kI32, kI32, kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           auto key = read(g, u32(a, 0), u32(a, 1));
           auto value = read(g, u32(a, 2), u32(a, 3));
           if (!key || !value) return Status::InvalidMemoryAccess;
           return shared_data_set(*key, *value, u32(a, 4));
         });
}

}  // namespace

GuestInstance* current_instance() { return t_current; }
ScopedInstance::ScopedInstance(GuestInstance* instance) : previous_(t_current) {
  t_current = instance;
}
ScopedInstance::~ScopedInstance() { t_current = previous_; }

namespace {

// Metric ids are indexes into a process-wide table.
struct Metric {
  std::string name;
  uint32_t type = 0;
  std::atomic<int64_t> value{0};
};
std::mutex g_metrics_mutex;
std::vector<std::unique_ptr<Metric>> g_metrics;  // grows only; never shrinks
constexpr size_t kMaxMetrics = 10'000;

Metric* metric_by_id(uint32_t id) {
  std::lock_guard lock(g_metrics_mutex);
  if (id == 0 || id > g_metrics.size()) return nullptr;
  return g_metrics[id - 1].get();
}

void define_metric_functions(Linker& linker) {
  define(linker, "proxy_define_metric", {kI32, kI32, kI32, kI32},
         [](GuestInstance& g, Args a) -> Result<Status> {
           const uint32_t type = u32(a, 0);
           if (type > 2) return Status::BadArgument;
           auto name = read(g, u32(a, 1), u32(a, 2));
           if (!name) return Status::InvalidMemoryAccess;
           if (!writable(g, u32(a, 3), 4)) return Status::InvalidMemoryAccess;
           uint32_t id = 0;
           {
             std::lock_guard lock(g_metrics_mutex);
             for (size_t i = 0; i < g_metrics.size(); ++i) {
               if (g_metrics[i]->name == *name) {
                 if (g_metrics[i]->type != type) return Status::BadArgument;
                 id = static_cast<uint32_t>(i + 1);
                 break;
               }
             }
             if (id == 0) {
               if (g_metrics.size() >= kMaxMetrics || name->size() > 1024) {
                 return Status::BadArgument;
               }
               auto metric = std::make_unique<Metric>();
               metric->name = std::string(*name);
               metric->type = type;
               g_metrics.push_back(std::move(metric));
               id = static_cast<uint32_t>(g_metrics.size());
             }
           }
           write_u32(g, u32(a, 3), id);
           return Status::Ok;
         });
  define(linker, "proxy_increment_metric", {kI32, kI64},
         [](GuestInstance&, Args a) -> Result<Status> {
           Metric* metric = metric_by_id(u32(a, 0));
           if (metric == nullptr) return Status::NotFound;
           const int64_t delta = a[1].as_i64();
           if (metric->type == 0 && delta < 0) return Status::BadArgument;
           metric->value.fetch_add(delta, std::memory_order_relaxed);
           return Status::Ok;
         });
  define(linker, "proxy_record_metric", {kI32, kI64}, [](GuestInstance&, Args a) -> Result<Status> {
    Metric* metric = metric_by_id(u32(a, 0));
    if (metric == nullptr) return Status::NotFound;
    metric->value.store(a[1].as_i64(), std::memory_order_relaxed);
    return Status::Ok;
  });
  define(linker, "proxy_get_metric", {kI32, kI32}, [](GuestInstance& g, Args a) -> Result<Status> {
    Metric* metric = metric_by_id(u32(a, 0));
    if (metric == nullptr) return Status::NotFound;
    if (!write_u64(g, u32(a, 1), static_cast<uint64_t>(metric->value.load()))) {
      return Status::InvalidMemoryAccess;
    }
    return Status::Ok;
  });
}

}  // namespace

std::vector<MetricSnapshot> metrics_snapshot() {
  std::lock_guard lock(g_metrics_mutex);
  std::vector<MetricSnapshot> out;
  for (const auto& m : g_metrics) out.push_back({m->name, m->type, m->value.load()});
  return out;
}

void add_to_linker(Linker& linker) {
  define_misc(linker);
  define_header_maps(linker);
  define_buffers(linker);
  define_properties(linker);
  define_metric_functions(linker);
  // The rest of v0.2.1, so SDK-built modules link; weft makes no outbound
  // calls and has no shared queues or foreign functions.
  unimplemented(linker, "proxy_get_status", 3);
  unimplemented(linker, "proxy_http_call", 10);
  unimplemented(linker, "proxy_grpc_call", 12);
  unimplemented(linker, "proxy_grpc_stream", 9);
  unimplemented(linker, "proxy_grpc_send", 4);
  unimplemented(linker, "proxy_grpc_cancel", 1);
  unimplemented(linker, "proxy_grpc_close", 1);
  unimplemented(linker, "proxy_register_shared_queue", 3);
  unimplemented(linker, "proxy_resolve_shared_queue", 5);
  unimplemented(linker, "proxy_enqueue_shared_queue", 3);
  unimplemented(linker, "proxy_dequeue_shared_queue", 3);
  unimplemented(linker, "proxy_call_foreign_function", 6);
}

}  // namespace weft::serve::proxy_wasm
