// weft — proxy-wasm host internals shared by plugin.cpp (lifecycle) and
// host_functions.cpp (the "env" imports). Not for use outside this folder.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "serve/proxy_wasm/proxy_wasm.h"
#include "weft/wasi.h"

namespace weft::serve::proxy_wasm {

inline constexpr uint32_t kRootContextId = 1;
inline constexpr uint32_t kHttpContextId = 2;

// proxy_buffer_type_t / proxy_map_type_t values weft serves.
enum BufferType : uint32_t {
  kRequestBody = 0,
  kResponseBody = 1,
  kVmConfiguration = 6,
  kPluginConfiguration = 7,
  kMaxBufferType = 8,
};
enum MapType : uint32_t {
  kRequestHeaders = 0,
  kRequestTrailers = 1,
  kResponseHeaders = 2,
  kResponseTrailers = 3,
  kMaxMapType = 7,
};

// Which callback is running: decides which buffers and maps exist.
enum class Phase : uint8_t {
  Start,
  RequestHeaders,
  RequestBody,
  ResponseHeaders,
  ResponseBody,
  Done
};

// One instance of a plugin: per request, or the plugin's long-lived root.
struct GuestInstance {
  const ProxyWasmPlugin::Impl* plugin = nullptr;
  std::unique_ptr<wasi::Context> wasi;
  std::unique_ptr<Store> store;
  Instance instance;
  Memory memory;
  Func allocate;  // proxy_on_memory_allocate or malloc

  Phase phase = Phase::Start;
  const Request* request = nullptr;  // for properties; valid during on_request/on_response
  const Response* response = nullptr;
  HeaderList request_headers;  // with pseudo-headers :method, :path, :authority, :scheme
  HeaderList request_trailers;
  HeaderList response_headers;  // with :status
  HeaderList response_trailers;
  std::string request_body;
  std::string response_body;
  std::optional<Response> local_response;
  std::map<std::string, std::string> properties;  // set by proxy_set_property
  uint32_t tick_period_ms = 0;
  bool http_context_created = false;
};

struct FilterSession::State : GuestInstance {};

struct ProxyWasmPlugin::Impl {
  PluginOptions options;
  bool has_initialize = false;
  bool has_start = false;

  // The long-lived root instance and its tick timer.
  std::unique_ptr<GuestInstance> root;
  std::mutex tick_mutex;
  std::condition_variable tick_cv;
  bool stopping = false;
  std::thread tick_thread;
};

// The instance the current thread is calling into (set while the host runs
// a guest callback; restored afterwards, so nesting is safe).
GuestInstance* current_instance();
class ScopedInstance {
 public:
  explicit ScopedInstance(GuestInstance* instance);
  ~ScopedInstance();
  ScopedInstance(const ScopedInstance&) = delete;
  ScopedInstance& operator=(const ScopedInstance&) = delete;

 private:
  GuestInstance* previous_;
};

void log_line(const std::string& plugin, LogLevel level, std::string_view text);
LogLevel log_level();

// Case-insensitive ASCII lower-casing for header names.
std::string lower(std::string_view text);

}  // namespace weft::serve::proxy_wasm
