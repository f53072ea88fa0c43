#include "app/manifest.h"

// Header-only and without exceptions: parse errors come back as values, and
// no shared-library ABI (the Debian .so is built with exceptions) is needed.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

namespace weft::app {

const char* to_string(Executor executor) {
  switch (executor) {
    case Executor::Wagi:
      return "wagi";
    case Executor::WasiHttp:
      return "wasi-http";
    case Executor::ProxyWasm:
      return "proxy-wasm";
    case Executor::WasmBindgen:
      return "wasm-bindgen";
  }
  return "?";
}

namespace {

constexpr uint32_t kMaxTimeoutMs = 3'600'000;     // one hour: anything longer is a typo
constexpr uint64_t kMaxMemoryLimit = 4ull << 30;  // wasm32's address space

// Builds "file:line: message" for a node (or the file alone when the node
// carries no position).
class Reporter {
 public:
  explicit Reporter(std::string file) : file_(std::move(file)) {}

  std::string where(const toml::node* node) const {
    if (node != nullptr && node->source().begin.line > 0) {
      return file_ + ":" + std::to_string(node->source().begin.line);
    }
    return file_;
  }
  Error error(const toml::node* node, const std::string& key, const std::string& message) const {
    return Error::usage(where(node) + ": " + key + ": " + message);
  }

 private:
  std::string file_;
};

Result<std::string> get_string(const Reporter& rep, const toml::table& table,
                               const std::string& prefix, std::string_view key, bool required) {
  const toml::node* node = table.get(key);
  std::string full_key = prefix + std::string(key);
  if (node == nullptr) {
    if (required) return rep.error(&table, full_key, "missing required key");
    return std::string();
  }
  const auto* value = node->as_string();
  if (value == nullptr) return rep.error(node, full_key, "expected a string");
  return value->get();
}

Result<void> check_keys(const Reporter& rep, const toml::table& table, const std::string& prefix,
                        std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, node] : table) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key.str();
    if (!known) return rep.error(&node, prefix + std::string(key.str()), "unknown key");
  }
  return {};
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

Result<void> check_route_path(std::string_view path) {
  if (path.empty() || path[0] != '/') return Error::usage("must start with '/'");
  if (path.size() > 1024) return Error::usage("longer than 1024 characters");
  for (char c : path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '?' || c == '#') {
      return Error::usage("contains a space, control character, '?' or '#'");
    }
  }
  // "..." may appear only as the whole last segment.
  size_t dots = path.find("...");
  if (dots != std::string_view::npos) {
    if (dots + 3 != path.size() || path[dots - 1] != '/') {
      return Error::usage("'...' is allowed only as the last segment, as in \"/api/...\"");
    }
  }
  // Named segments need a name.
  for (size_t i = 1; i < path.size(); ++i) {
    if (path[i] == ':' && path[i - 1] == '/') {
      if (i + 1 == path.size() || path[i + 1] == '/') {
        return Error::usage("a ':' segment needs a name, as in \"/items/:id\"");
      }
    }
  }
  return {};
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_absolute()) return p.lexically_normal();
  return (base / p).lexically_normal();
}

Result<void> parse_env_table(const Reporter& rep, const toml::table& table,
                             const std::string& prefix,
                             std::vector<std::pair<std::string, std::string>>& out) {
  if (const toml::node* node = table.get("env")) {
    const auto* env = node->as_table();
    if (env == nullptr) return rep.error(node, prefix + "env", "expected a table of strings");
    for (const auto& [key, value] : *env) {
      std::string key_name(key.str());
      if (key_name.empty() || key_name.find('=') != std::string::npos ||
          key_name.find('\0') != std::string::npos) {
        return rep.error(&value, prefix + "env." + key_name, "invalid variable name");
      }
      const auto* str = value.as_string();
      if (str == nullptr) return rep.error(&value, prefix + "env." + key_name, "expected a string");
      if (str->get().find('\0') != std::string::npos) {
        return rep.error(&value, prefix + "env." + key_name, "contains a NUL byte");
      }
      out.emplace_back(key_name, str->get());
    }
  }

  return {};
}

// An optional array of strings at `key`.
Result<void> parse_string_array(const Reporter& rep, const toml::table& table,
                                const std::string& prefix, const char* key,
                                std::vector<std::string>& out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return {};
  const auto* array = node->as_array();
  if (array == nullptr) return rep.error(node, prefix + key, "expected an array of strings");
  for (const auto& item : *array) {
    const auto* str = item.as_string();
    if (str == nullptr) return rep.error(&item, prefix + key, "expected a string");
    out.push_back(str->get());
  }
  return {};
}

Result<ServiceSpec> parse_service(const Reporter& rep, const std::string& name,
                                  const toml::table& table, const std::filesystem::path& base) {
  std::string prefix = "service." + name + ".";
  ServiceSpec spec;
  spec.name = name;
  spec.location = rep.where(&table);
  if (!valid_name(name)) {
    return rep.error(&table, "service." + name, "names use letters, digits, '-', '_' and '.'");
  }
  if (auto r = check_keys(rep, table, prefix,
                          {"source", "executor", "filters", "env", "files", "timeout_ms",
                           "memory_limit", "allowed_outbound_hosts", "instance_reuse",
                           "dependencies", "export", "content_type", "input", "tier"});
      !r) {
    return std::move(r).error();
  }
  auto source = get_string(rep, table, prefix, "source", true);
  if (!source) return std::move(source).error();
  if (source->empty()) return rep.error(table.get("source"), prefix + "source", "is empty");
  spec.source = resolve(base, *source);

  auto executor = get_string(rep, table, prefix, "executor", false);
  if (!executor) return std::move(executor).error();
  if (executor->empty() || *executor == "wagi") {
    spec.executor = Executor::Wagi;
  } else if (*executor == "proxy-wasm") {
    spec.executor = Executor::ProxyWasm;
  } else if (*executor == "wasi-http") {
    spec.executor = Executor::WasiHttp;
  } else if (*executor == "wasm-bindgen") {
    spec.executor = Executor::WasmBindgen;
  } else {
    return rep.error(
        table.get("executor"), prefix + "executor",
        "unknown executor \"" + *executor +
            "\" (expected \"wagi\", \"proxy-wasm\", \"wasi-http\" or \"wasm-bindgen\")");
  }
  auto tier = get_string(rep, table, prefix, "tier", false);
  if (!tier) return std::move(tier).error();
  if (table.get("tier")) {
    spec.tier = parse_tier(*tier);
    if (!spec.tier) {
      return rep.error(
          table.get("tier"), prefix + "tier",
          "unknown tier \"" + *tier + "\" (expected \"interp\", \"optimized\" or \"auto\")");
    }
  }
  const bool bindgen = spec.executor == Executor::WasmBindgen;
  for (const char* key : {"export", "content_type", "input"}) {
    if (table.get(key) && !bindgen) {
      return rep.error(table.get(key), prefix + key, "applies only to executor = \"wasm-bindgen\"");
    }
  }
  if (bindgen) {
    auto exported = get_string(rep, table, prefix, "export", false);
    if (!exported) return std::move(exported).error();
    spec.bindgen_export = std::move(*exported);
    auto content_type = get_string(rep, table, prefix, "content_type", false);
    if (!content_type) return std::move(content_type).error();
    if (table.get("content_type")) {
      bool valid = !content_type->empty();
      for (char c : *content_type) valid = valid && c >= 0x20 && c != 0x7f;
      if (!valid) {
        return rep.error(table.get("content_type"), prefix + "content_type",
                         "expected a media type such as \"application/json\"");
      }
      spec.content_type = std::move(*content_type);
    }
    auto input = get_string(rep, table, prefix, "input", false);
    if (!input) return std::move(input).error();
    if (input->empty() || *input == "body") {
      spec.bindgen_input = BindgenInput::Body;
    } else if (*input == "path") {
      spec.bindgen_input = BindgenInput::Path;
    } else if (*input == "request-json") {
      spec.bindgen_input = BindgenInput::RequestJson;
    } else {
      return rep.error(table.get("input"), prefix + "input",
                       "expected \"body\", \"path\" or \"request-json\"");
    }
  }
  const bool wasi_http = spec.executor == Executor::WasiHttp;
  for (const char* key : {"allowed_outbound_hosts", "instance_reuse", "dependencies"}) {
    if (table.get(key) && !wasi_http) {
      return rep.error(table.get(key), prefix + key, "applies only to executor = \"wasi-http\"");
    }
  }
  if (auto r = parse_string_array(rep, table, prefix, "allowed_outbound_hosts",
                                  spec.allowed_outbound_hosts);
      !r) {
    return std::move(r).error();
  }
  if (const toml::node* node = table.get("allowed_outbound_hosts")) {
    spec.allowed_outbound_hosts_location = rep.where(node);
  }
  if (const toml::node* node = table.get("instance_reuse")) {
    const auto* value = node->as_integer();
    if (value == nullptr || value->get() < 1 || value->get() > 1'000'000) {
      return rep.error(node, prefix + "instance_reuse", "expected an integer from 1 to 1000000");
    }
    spec.instance_reuse = static_cast<uint32_t>(value->get());
  }
  if (const toml::node* node = table.get("dependencies")) {
    const auto* deps = node->as_table();
    if (deps == nullptr) {
      return rep.error(node, prefix + "dependencies",
                       "expected a table of \"interface\" = \"file.wasm\" or { source = ... }");
    }
    for (const auto& [key, value] : *deps) {
      DependencySpec dep;
      dep.interface_name = std::string(key.str());
      const std::string dprefix = prefix + "dependencies.\"" + dep.interface_name + "\"";
      dep.location = rep.where(&value);
      if (dep.interface_name.find(':') == std::string::npos ||
          dep.interface_name.find('/') == std::string::npos) {
        return rep.error(&value, dprefix,
                         "expected an interface name such as \"example:auth/verify\"");
      }
      if (const auto* path = value.as_string()) {
        if (path->get().empty()) return rep.error(&value, dprefix, "is empty");
        dep.source = resolve(base, path->get());
      } else if (const auto* dt = value.as_table()) {
        if (auto r =
                check_keys(rep, *dt, dprefix + ".", {"source", "allowed_outbound_hosts", "env"});
            !r) {
          return std::move(r).error();
        }
        auto src = get_string(rep, *dt, dprefix + ".", "source", true);
        if (!src) return std::move(src).error();
        if (src->empty()) return rep.error(dt->get("source"), dprefix + ".source", "is empty");
        dep.source = resolve(base, *src);
        if (auto r = parse_string_array(rep, *dt, dprefix + ".", "allowed_outbound_hosts",
                                        dep.allowed_outbound_hosts);
            !r) {
          return std::move(r).error();
        }
        if (auto r = parse_env_table(rep, *dt, dprefix + ".", dep.env); !r) {
          return std::move(r).error();
        }
      } else {
        return rep.error(&value, dprefix, "expected \"file.wasm\" or { source = \"file.wasm\" }");
      }
      spec.dependencies.push_back(std::move(dep));
    }
  }

  if (const toml::node* node = table.get("filters")) {
    const auto* array = node->as_array();
    if (array == nullptr) return rep.error(node, prefix + "filters", "expected an array of names");
    for (const auto& item : *array) {
      const auto* str = item.as_string();
      if (str == nullptr) return rep.error(&item, prefix + "filters", "expected a string");
      spec.filters.push_back(str->get());
    }
  }

  if (auto r = parse_env_table(rep, table, prefix, spec.env); !r) return std::move(r).error();

  if (const toml::node* node = table.get("files")) {
    const auto* array = node->as_array();
    if (array == nullptr) {
      return rep.error(node, prefix + "files", "expected an array of { host, guest } tables");
    }
    for (const auto& item : *array) {
      const auto* grant = item.as_table();
      if (grant == nullptr) return rep.error(&item, prefix + "files", "expected { host, guest }");
      if (auto r = check_keys(rep, *grant, prefix + "files.", {"host", "guest"}); !r) {
        return std::move(r).error();
      }
      auto host = get_string(rep, *grant, prefix + "files.", "host", true);
      if (!host) return std::move(host).error();
      auto guest = get_string(rep, *grant, prefix + "files.", "guest", true);
      if (!guest) return std::move(guest).error();
      if (guest->empty()) return rep.error(grant, prefix + "files.guest", "is empty");
      spec.files.push_back({resolve(base, *host).string(), *guest});
    }
  }

  if (const toml::node* node = table.get("timeout_ms")) {
    const auto* value = node->as_integer();
    if (value == nullptr || value->get() <= 0 || value->get() > kMaxTimeoutMs) {
      return rep.error(node, prefix + "timeout_ms",
                       "expected an integer from 1 to " + std::to_string(kMaxTimeoutMs));
    }
    spec.timeout_ms = static_cast<uint32_t>(value->get());
  }

  if (const toml::node* node = table.get("memory_limit")) {
    Result<uint64_t> bytes = Error::usage("expected a size such as \"64MiB\"");
    if (const auto* str = node->as_string()) {
      bytes = parse_byte_size(str->get());
    } else if (const auto* integer = node->as_integer(); integer && integer->get() > 0) {
      bytes = static_cast<uint64_t>(integer->get());
    }
    if (!bytes) return rep.error(node, prefix + "memory_limit", bytes.error().message);
    if (*bytes == 0 || *bytes > kMaxMemoryLimit) {
      return rep.error(node, prefix + "memory_limit", "must be between 1 byte and 4GiB");
    }
    spec.memory_limit = *bytes;
  }
  return spec;
}

Result<FilterSpec> parse_filter(const Reporter& rep, const std::string& name,
                                const toml::table& table, const std::filesystem::path& base) {
  std::string prefix = "filter." + name + ".";
  FilterSpec spec;
  spec.name = name;
  spec.location = rep.where(&table);
  if (!valid_name(name)) {
    return rep.error(&table, "filter." + name, "names use letters, digits, '-', '_' and '.'");
  }
  if (auto r = check_keys(rep, table, prefix, {"source", "config"}); !r) {
    return std::move(r).error();
  }
  auto source = get_string(rep, table, prefix, "source", true);
  if (!source) return std::move(source).error();
  if (source->empty()) return rep.error(table.get("source"), prefix + "source", "is empty");
  spec.source = resolve(base, *source);
  auto config = get_string(rep, table, prefix, "config", false);
  if (!config) return std::move(config).error();
  spec.config = *config;
  return spec;
}

bool is_bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// toml++ 3.3 asserts (and in release builds assumes) that a table header's
// first key starts with a key character, so "[[[" or "[ ]" is undefined
// behaviour inside the library. Find such headers first and report them as
// ordinary errors. This is a light lexer: strings, comments and value
// brackets are skipped, so only real headers (line start, outside any
// value) are checked.
Result<void> precheck_table_headers(std::string_view text, const std::string& file) {
  size_t line = 1;
  int depth = 0;
  bool at_line_start = true;
  size_t i = 0;
  auto skip_to_newline = [&] {
    while (i < text.size() && text[i] != '\n') ++i;
  };
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      at_line_start = true;
      ++i;
      continue;
    }
    if (at_line_start && (c == ' ' || c == '\t' || c == '\r')) {
      ++i;
      continue;
    }
    if (at_line_start && depth == 0 && c == '[') {
      size_t j = i + 1;
      if (j < text.size() && text[j] == '[') ++j;
      while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
      if (j >= text.size() || !(is_bare_key_char(text[j]) || text[j] == '"' || text[j] == '\'')) {
        return Error::usage(file + ":" + std::to_string(line) +
                            ": a table header needs a name, as in [service.NAME]");
      }
      skip_to_newline();
      continue;
    }
    at_line_start = false;
    if (c == '#') {
      skip_to_newline();
      continue;
    }
    if (c == '"' || c == '\'') {
      bool triple = i + 2 < text.size() && text[i + 1] == c && text[i + 2] == c;
      size_t j = i + (triple ? 3 : 1);
      bool closed = false;
      while (j < text.size()) {
        if (c == '"' && text[j] == '\\') {
          j += 2;
          continue;
        }
        if (text[j] == '\n') {
          if (!triple) break;  // unterminated: toml++ reports it
          ++line;
        }
        if (text[j] == c &&
            (!triple || (j + 2 < text.size() && text[j + 1] == c && text[j + 2] == c))) {
          j += triple ? 3 : 1;
          closed = true;
          break;
        }
        ++j;
      }
      if (!closed) return {};  // leave the message to toml++
      i = j;
      continue;
    }
    if (c == '[' || c == '{') ++depth;
    if ((c == ']' || c == '}') && depth > 0) --depth;
    ++i;
  }
  return {};
}

}  // namespace

Result<uint64_t> parse_byte_size(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return Error::usage("expected a size such as \"64MiB\"");
  uint64_t number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, number);
  if (ec != std::errc() || ptr != text.data() + digits) return Error::usage("size is too large");
  std::string_view unit = text.substr(digits);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  uint64_t scale = 0;
  struct Unit {
    std::string_view name;
    uint64_t scale;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},
      {"B", 1},
      {"KiB", 1ull << 10},
      {"MiB", 1ull << 20},
      {"GiB", 1ull << 30},
      {"KB", 1000},
      {"MB", 1000'000},
      {"GB", 1000'000'000},
      {"K", 1ull << 10},
      {"M", 1ull << 20},
      {"G", 1ull << 30},
  };
  for (const Unit& u : kUnits) {
    if (u.name == unit) scale = u.scale;
  }
  if (scale == 0) {
    return Error::usage("unknown unit \"" + std::string(unit) + "\" (use B, KiB, MiB or GiB)");
  }
  if (number > UINT64_MAX / scale) return Error::usage("size is too large");
  return number * scale;
}

Result<Manifest> parse_manifest(std::string_view text, const std::filesystem::path& file_name,
                                const std::filesystem::path& base_dir) {
  Reporter rep(file_name.string());
  if (auto r = precheck_table_headers(text, file_name.string()); !r) return std::move(r).error();
  toml::parse_result parsed = toml::parse(text, file_name.string());
  if (!parsed) {
    const toml::parse_error& err = parsed.error();
    return Error::usage(file_name.string() + ":" + std::to_string(err.source().begin.line) + ":" +
                        std::to_string(err.source().begin.column) + ": " +
                        std::string(err.description()));
  }
  const toml::table& root = parsed.table();

  Manifest manifest;
  manifest.file = file_name;
  manifest.dir = base_dir;

  if (auto r = check_keys(rep, root, "", {"app", "route", "service", "filter"}); !r) {
    return std::move(r).error();
  }

  if (const toml::node* node = root.get("app")) {
    const auto* app = node->as_table();
    if (app == nullptr) return rep.error(node, "app", "expected a table");
    if (auto r = check_keys(rep, *app, "app.", {"name", "description", "version"}); !r) {
      return std::move(r).error();
    }
    auto name = get_string(rep, *app, "app.", "name", false);
    if (!name) return std::move(name).error();
    manifest.app_name = *name;
    for (std::string_view key : {"description", "version"}) {
      auto value = get_string(rep, *app, "app.", key, false);
      if (!value) return std::move(value).error();
    }
  }

  if (const toml::node* node = root.get("filter")) {
    const auto* filters = node->as_table();
    if (filters == nullptr) return rep.error(node, "filter", "expected [filter.NAME] tables");
    for (const auto& [key, value] : *filters) {
      std::string name(key.str());
      const auto* table = value.as_table();
      if (table == nullptr) return rep.error(&value, "filter." + name, "expected a table");
      auto spec = parse_filter(rep, name, *table, base_dir);
      if (!spec) return std::move(spec).error();
      manifest.filters.emplace(name, std::move(spec).value());
    }
  }

  if (const toml::node* node = root.get("service")) {
    const auto* services = node->as_table();
    if (services == nullptr) return rep.error(node, "service", "expected [service.NAME] tables");
    for (const auto& [key, value] : *services) {
      std::string name(key.str());
      const auto* table = value.as_table();
      if (table == nullptr) return rep.error(&value, "service." + name, "expected a table");
      auto spec = parse_service(rep, name, *table, base_dir);
      if (!spec) return std::move(spec).error();
      for (const std::string& filter : spec->filters) {
        if (manifest.filters.count(filter) == 0) {
          return rep.error(table->get("filters"), "service." + name + ".filters",
                           "unknown filter \"" + filter + "\" (no [filter." + filter + "])");
        }
      }
      manifest.services.emplace(name, std::move(spec).value());
    }
  }

  const toml::node* routes_node = root.get("route");
  if (routes_node == nullptr) {
    return Error::usage(file_name.string() + ": route: no [[route]] entries (nothing to serve)");
  }
  const auto* routes = routes_node->as_array();
  if (routes == nullptr) return rep.error(routes_node, "route", "expected [[route]] entries");
  std::set<std::string> seen_paths;
  for (const auto& item : *routes) {
    const auto* table = item.as_table();
    if (table == nullptr) return rep.error(&item, "route", "expected a table");
    if (auto r = check_keys(rep, *table, "route.", {"path", "service"}); !r) {
      return std::move(r).error();
    }
    RouteSpec route;
    route.location = rep.where(table);
    auto path = get_string(rep, *table, "route.", "path", true);
    if (!path) return std::move(path).error();
    if (auto r = check_route_path(*path); !r) {
      return rep.error(table->get("path"), "route.path", "\"" + *path + "\" " + r.error().message);
    }
    if (!seen_paths.insert(*path).second) {
      return rep.error(table->get("path"), "route.path", "\"" + *path + "\" is listed twice");
    }
    auto service = get_string(rep, *table, "route.", "service", true);
    if (!service) return std::move(service).error();
    if (manifest.services.count(*service) == 0) {
      return rep.error(table->get("service"), "route.service",
                       "unknown service \"" + *service + "\" (no [service." + *service + "])");
    }
    route.path = *path;
    route.service = *service;
    manifest.routes.push_back(std::move(route));
  }
  return manifest;
}

Result<Manifest> load_manifest(const std::filesystem::path& target) {
  std::error_code ec;
  std::filesystem::path file = target;
  if (std::filesystem::is_directory(target, ec)) file = target / "weft.toml";
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error::io(file.string() + ": cannot open manifest");
  std::ostringstream contents;
  contents << in.rdbuf();
  std::string text = contents.str();
  if (text.size() > (1u << 20)) return Error::io(file.string() + ": manifest larger than 1 MiB");
  std::filesystem::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  dir = std::filesystem::absolute(dir, ec);
  if (ec) return Error::io(file.string() + ": " + ec.message());
  return parse_manifest(text, file, dir.lexically_normal());
}

}  // namespace weft::app
