// Process-wide pieces of the proxy-wasm host: the shared data store, the
// log sink, and the pairs serialization.
#include <cstdio>
#include <mutex>
#include <unordered_map>

#include "serve/proxy_wasm/internal.h"

namespace weft::serve::proxy_wasm {

namespace {

std::mutex g_log_mutex;
LogSink g_log_sink;  // empty → stderr
std::atomic<uint32_t> g_log_level{static_cast<uint32_t>(LogLevel::Info)};

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Trace:
      return "trace";
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Error:
      return "error";
    case LogLevel::Critical:
      return "critical";
  }
  return "?";
}

// Shared data: bounded so a guest cannot grow the host without limit.
constexpr size_t kMaxSharedBytes = 64u << 20;
constexpr size_t kMaxSharedKeys = 100'000;
std::mutex g_shared_mutex;
std::unordered_map<std::string, SharedValue> g_shared;
size_t g_shared_bytes = 0;
uint32_t g_next_cas = 0;

uint32_t read_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

void append_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace

void set_log_sink(LogSink sink) {
  std::lock_guard lock(g_log_mutex);
  g_log_sink = std::move(sink);
}

void set_log_level(LogLevel level) { g_log_level = static_cast<uint32_t>(level); }
LogLevel log_level() { return static_cast<LogLevel>(g_log_level.load()); }

void log_line(const std::string& plugin, LogLevel level, std::string_view text) {
  std::lock_guard lock(g_log_mutex);
  if (g_log_sink) {
    g_log_sink(plugin, level, text);
    return;
  }
  std::string line = "proxy-wasm[" + plugin + "] " + level_name(level) + ": ";
  // One line per message: the guest's newlines and control bytes are escaped.
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      line += buf;
    } else {
      line.push_back(c);
    }
  }
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string serialize_pairs(const HeaderList& pairs) {
  std::string out;
  size_t total = 4;
  for (const auto& [k, v] : pairs) total += 8 + k.size() + v.size() + 2;
  out.reserve(total);
  append_u32(out, static_cast<uint32_t>(pairs.size()));
  for (const auto& [k, v] : pairs) {
    append_u32(out, static_cast<uint32_t>(k.size()));
    append_u32(out, static_cast<uint32_t>(v.size()));
  }
  for (const auto& [k, v] : pairs) {
    out += k;
    out.push_back('\0');
    out += v;
    out.push_back('\0');
  }
  return out;
}

std::optional<HeaderList> deserialize_pairs(std::span<const uint8_t> bytes) {
  HeaderList out;
  if (bytes.empty() || (bytes.size() == 1 && bytes[0] == 0)) return out;
  if (bytes.size() < 4) return std::nullopt;
  const uint64_t count = read_u32(bytes.data());
  uint64_t remaining = bytes.size() - 4;
  // Each pair needs 8 bytes of sizes and 2 terminators: check before reserving.
  if (count > remaining / 10) return std::nullopt;
  const uint8_t* sizes = bytes.data() + 4;
  uint64_t offset = 4 + count * 8;
  out.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t key_size = read_u32(sizes + i * 8);
    const uint64_t value_size = read_u32(sizes + i * 8 + 4);
    if (key_size + 1 + value_size + 1 > bytes.size() - offset) return std::nullopt;
    const char* base = reinterpret_cast<const char*>(bytes.data());
    std::string key(base + offset, key_size);
    offset += key_size;
    if (bytes[offset] != 0) return std::nullopt;
    ++offset;
    std::string value(base + offset, value_size);
    offset += value_size;
    if (bytes[offset] != 0) return std::nullopt;
    ++offset;
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

std::optional<SharedValue> shared_data_get(std::string_view key) {
  std::lock_guard lock(g_shared_mutex);
  auto it = g_shared.find(std::string(key));
  if (it == g_shared.end()) return std::nullopt;
  return it->second;
}

Status shared_data_set(std::string_view key, std::string_view value, uint32_t cas) {
  std::lock_guard lock(g_shared_mutex);
  auto it = g_shared.find(std::string(key));
  if (it != g_shared.end()) {
    if (cas != 0 && cas != it->second.cas) return Status::CasMismatch;
    const size_t new_bytes = g_shared_bytes - it->second.value.size() + value.size();
    if (new_bytes > kMaxSharedBytes) return Status::BadArgument;
    g_shared_bytes = new_bytes;
    it->second.value = std::string(value);
  } else {
    // Nothing to compare against: a non-zero cas cannot match.
    if (cas != 0) return Status::CasMismatch;
    if (g_shared.size() >= kMaxSharedKeys ||
        g_shared_bytes + key.size() + value.size() > kMaxSharedBytes) {
      return Status::BadArgument;
    }
    g_shared_bytes += key.size() + value.size();
    it = g_shared.emplace(std::string(key), SharedValue{std::string(value), 0}).first;
  }
  if (++g_next_cas == 0) ++g_next_cas;  // 0 means "no cas"
  it->second.cas = g_next_cas;
  return Status::Ok;
}

}  // namespace weft::serve::proxy_wasm
