#include "serve/wagi.h"

#include <fstream>
#include <sstream>

#include "serve/cgi.h"
#include "weft/wasi.h"

namespace weft::serve {

namespace {

constexpr size_t kMaxWasmBytes = 256u << 20;
constexpr size_t kMaxGuestOutput = 32u << 20;
constexpr size_t kMaxLoggedStderr = 4096;

std::string host_part(std::string_view host) {
  if (!host.empty() && host.front() == '[') {  // "[::1]:3000"
    size_t close = host.find(']');
    return std::string(host.substr(0, close == std::string_view::npos ? host.size() : close + 1));
  }
  size_t colon = host.rfind(':');
  return std::string(colon == std::string_view::npos ? host : host.substr(0, colon));
}

}  // namespace

Result<std::shared_ptr<const Module>> compile_file(const std::filesystem::path& path,
                                                   const CompileOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::io(path.string() + ": cannot open");
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0) return Error::io(path.string() + ": cannot read");
  if (static_cast<uint64_t>(size) > kMaxWasmBytes) {
    return Error::io(path.string() + ": larger than 256 MiB");
  }
  in.seekg(0, std::ios::beg);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    return Error::io(path.string() + ": cannot read");
  }
  auto module = Module::compile(bytes, options);
  if (!module) return Error::usage(path.string() + ": " + module.error().to_string());
  return std::move(module).value();
}

Result<void> check_imports(const Module& module, const Linker& linker) {
  for (const ImportInfo& import : module.imports()) {
    bool found = false;
    if (import.kind == ExternKind::Func) {
      const auto* def = linker.find_host_func(import.module, import.name);
      if (def != nullptr) {
        if (!(def->type == import.func)) {
          return Error::link("import " + import.module + "." + import.name + " has type " +
                             import.func.to_string() + ", the host provides " +
                             def->type.to_string());
        }
        found = true;
      }
    }
    if (!found && linker.find_extern(import.module, import.name) != nullptr) found = true;
    if (!found) {
      return Error::link("unknown import " + import.module + "." + import.name + " (" +
                         to_string(import.kind) + ")");
    }
  }
  return {};
}

Outcome guest_failure(const app::ServiceSpec& spec, const Error& error,
                      const RequestControl& control) {
  Outcome out;
  if (error.is_trap() && error.trap && error.trap->kind == TrapKind::Interrupted &&
      control.timed_out()) {
    out.response = error_response(504, "service " + spec.name + " timed out after " +
                                           std::to_string(spec.timeout_ms) + " ms");
    out.note = "timeout";
    return out;
  }
  if (error.is_trap() && error.trap && error.trap->kind == TrapKind::MemoryLimit) {
    out.response = error_response(500, "service " + spec.name + " exceeded its memory limit");
    out.note = "memory limit";
    out.detail = error.trap->to_string();
    return out;
  }
  if (error.kind == ErrorKind::Limit) {
    out.response = error_response(500, "service " + spec.name + " exceeded its memory limit");
    out.note = "memory limit: " + error.message;
    return out;
  }
  out.response = error_response(500, "service " + spec.name + " failed");
  if (error.is_trap() && error.trap) {
    out.note = "trap: " + error.trap->message;
    out.detail = error.trap->to_string();
  } else {
    out.note = error.to_string();
  }
  return out;
}

Result<std::unique_ptr<WagiHandler>> WagiHandler::create(const app::ServiceSpec& spec,
                                                         std::shared_ptr<const Module> module,
                                                         std::shared_ptr<const Linker> linker) {
  auto start = module->export_func_type("_start");
  if (!start) return Error::link("no exported function _start (a WAGI service is a WASI command)");
  if (!start->params.empty() || !start->results.empty()) {
    return Error::link("_start has type " + start->to_string() + ", expected () -> ()");
  }
  if (auto r = check_imports(*module, *linker); !r) return std::move(r).error();
  for (const app::FileGrant& grant : spec.files) {
    std::error_code ec;
    if (!std::filesystem::is_directory(grant.host_path, ec)) {
      return Error::io("files: " + grant.host_path + " is not a directory");
    }
  }
  return std::unique_ptr<WagiHandler>(new WagiHandler(spec, std::move(module), std::move(linker)));
}

Outcome WagiHandler::handle(Request& request, RequestControl& control) const {
  wasi::Config config;
  config.args = {spec_.name};
  CgiServerInfo server;
  std::string_view host = request.header("Host");
  server.server_name = host.empty() ? request.local_addr : host_part(host);
  server.server_port = std::to_string(request.local_port);
  config.env = cgi_environment(request, server, spec_.env);
  for (const app::FileGrant& grant : spec_.files) {
    config.preopens.push_back({grant.host_path, grant.guest_path, /*read_only=*/true});
  }
  config.stdin_mode = wasi::Config::Stdio::Buffer;
  config.stdout_mode = wasi::Config::Stdio::Buffer;
  config.stderr_mode = wasi::Config::Stdio::Buffer;
  config.stdin_data = std::move(request.body);
  config.max_output_bytes = kMaxGuestOutput;

  auto context = wasi::Context::create(std::move(config));
  if (!context) {
    Outcome out;
    out.response = error_response(500, "service " + spec_.name + " could not start");
    out.note = context.error().to_string();
    return out;
  }
  StoreLimits limits;
  limits.max_memory_bytes = spec_.memory_limit;
  Store store(limits);
  store.set_user_data(context->get());
  control.attach(store.interrupt_handle());

  Result<void> run = [&]() -> Result<void> {
    auto instance = linker_->instantiate(store, module_);
    if (!instance) return std::move(instance).error();
    auto start = instance->get_func("_start");
    if (!start) return Error::link("no exported function _start");
    auto called = start->call({});
    if (!called) return std::move(called).error();
    return {};
  }();
  control.detach();

  std::string guest_stderr = (*context)->take_stderr();
  if (guest_stderr.size() > kMaxLoggedStderr) {
    guest_stderr.resize(kMaxLoggedStderr);
    guest_stderr += "...(truncated)";
  }

  if (!run) {
    const Error& error = run.error();
    bool clean_exit = error.is_trap() && error.trap && error.trap->kind == TrapKind::Exit &&
                      error.trap->exit_code == 0;
    if (!clean_exit) {
      Outcome out;
      if (error.is_trap() && error.trap && error.trap->kind == TrapKind::Exit) {
        out.response = error_response(500, "service " + spec_.name + " exited with code " +
                                               std::to_string(error.trap->exit_code));
        out.note = "exit code " + std::to_string(error.trap->exit_code);
      } else {
        out = guest_failure(spec_, error, control);
      }
      if (!guest_stderr.empty()) out.detail += (out.detail.empty() ? "" : "\n") + guest_stderr;
      return out;
    }
  }

  std::string output = (*context)->take_stdout();
  auto parsed = parse_cgi_output(output);
  Outcome out;
  if (!parsed) {
    out.response = error_response(
        502, "service " + spec_.name + " wrote malformed CGI output: " + parsed.error().message);
    out.note = "malformed CGI output: " + parsed.error().message;
  } else {
    out.response = std::move(parsed).value();
  }
  out.detail = std::move(guest_stderr);
  return out;
}

}  // namespace weft::serve
