#include "serve/wasm_bindgen.h"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "serve/wagi.h"

namespace weft::serve {

namespace {

constexpr size_t kMaxWasmBytes = 256u << 20;
// As for WAGI's output: a returned string beyond this is a 500.
constexpr uint64_t kMaxResponseBytes = 32u << 20;

Result<std::vector<uint8_t>> read_bytes(const std::filesystem::path& path) {
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
  return bytes;
}

// An error's text from the guest, cut to a size fit for a response and a log line.
std::string clip(std::string text) {
  constexpr size_t kMax = 64u << 10;
  if (text.size() > kMax) {
    text.resize(kMax);
    text += "...(truncated)";
  }
  return text;
}

Response text_response(unsigned status, std::string body) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  if (r.body.empty() || r.body.back() != '\n') r.body += '\n';
  return r;
}

// {method, path, query, headers, body}: repeated headers joined with ", ",
// names lower-cased as HTTP/2 and fetch() present them.
std::string request_json(const Request& request) {
  nlohmann::ordered_json headers = nlohmann::ordered_json::object();
  for (const auto& [name, value] : request.headers) {
    std::string key = name;
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = headers.find(key);
    if (it == headers.end()) {
      headers[key] = value;
    } else {
      *it = it->get<std::string>() + ", " + value;
    }
  }
  nlohmann::ordered_json j;
  j["method"] = request.method;
  j["path"] = request.path;
  j["query"] = request.query;
  j["headers"] = std::move(headers);
  j["body"] = request.body;
  // Header bytes that are not UTF-8 become U+FFFD rather than an exception.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Result<std::unique_ptr<WasmBindgenHandler>> WasmBindgenHandler::create(
    const app::ServiceSpec& spec) {
  auto bytes = read_bytes(spec.source);
  if (!bytes) return std::move(bytes).error();
  CompileOptions options;
  options.tier = spec.tier;
  auto module = Module::compile(*bytes, options);
  if (!module) return Error::usage(spec.source.string() + ": " + module.error().to_string());
  const std::string file = spec.source.filename().string();
  if (!bindgen::BindgenModule::looks_like_bindgen(**module)) {
    return Error::usage(file + " is not a wasm-bindgen module (no __wbindgen_describe_* exports)");
  }
  bindgen::Limits limits;
  limits.memory_bytes = spec.memory_limit;
  limits.max_return_bytes = kMaxResponseBytes;
  auto inspected = bindgen::BindgenModule::inspect(std::move(module).value(), *bytes, file, limits);
  if (!inspected) return Error::usage(inspected.error().message);
  const auto& functions = (*inspected)->functions();
  std::string name = spec.bindgen_export;
  if (name.empty()) {
    if (functions.size() != 1) {
      std::string names;
      for (const auto& f : functions) names += (names.empty() ? "" : ", ") + f.name;
      return Error::usage(file + " has " + std::to_string(functions.size()) +
                          " #[wasm_bindgen] functions (" + names + "): say which with export = ");
    }
    name = functions.front().name;
  }
  const bindgen::ExportedFunction* fn = (*inspected)->function(name);
  if (fn == nullptr) {
    std::string names;
    for (const auto& f : functions) names += (names.empty() ? "" : ", ") + f.name;
    return Error::usage("export: " + file + " has no #[wasm_bindgen] function \"" + name +
                        "\" (it has " + names + ")");
  }
  const auto& desc = fn->desc;
  const bool takes_string = desc.args.size() == 1 && desc.args[0].is_string();
  const bool gives_string =
      desc.ret.is_string() || (desc.ret.tag == bindgen::TypeTag::Result &&
                               desc.ret.inner.size() == 1 && desc.ret.inner[0].is_string());
  if (!takes_string || !gives_string) {
    return Error::usage("export: \"" + name + "\" is " + bindgen::to_string(desc) +
                        "; the wasm-bindgen executor calls fn(&str) -> String or "
                        "fn(&str) -> Result<String, JsValue>");
  }
  if (auto ok = bindgen::callable(*fn); !ok) return Error::usage(ok.error().message);
  return std::unique_ptr<WasmBindgenHandler>(
      new WasmBindgenHandler(spec, std::move(inspected).value(), name));
}

Outcome WasmBindgenHandler::handle(Request& request, RequestControl& control) const {
  std::string input;
  switch (spec_.bindgen_input) {
    case app::BindgenInput::Body:
      input = std::move(request.body);
      break;
    case app::BindgenInput::Path:
      input = request.query.empty() ? request.path : request.path + "?" + request.query;
      break;
    case app::BindgenInput::RequestJson:
      if (!bindgen::is_valid_utf8(request.body)) break;
      input = request_json(request);
      break;
  }
  if (!bindgen::is_valid_utf8(input) ||
      (spec_.bindgen_input == app::BindgenInput::RequestJson && input.empty())) {
    Outcome out;
    out.response =
        text_response(400, "the request is not valid UTF-8, and \"" + export_ + "\" takes a &str");
    out.note = "invalid UTF-8";
    return out;
  }

  StoreLimits limits;
  limits.max_memory_bytes = spec_.memory_limit;
  Store store(limits);
  control.attach(store.interrupt_handle());
  Result<bindgen::CallOutcome> called = [&]() -> Result<bindgen::CallOutcome> {
    auto instance = bindgen::BindgenInstance::create(store, module_);
    if (!instance) return std::move(instance).error();
    bindgen::JsValue arg = bindgen::JsValue::string(std::move(input));
    return (*instance)->call(export_, std::span<const bindgen::JsValue>(&arg, 1));
  }();
  control.detach();

  Outcome out;
  if (!called) {
    const Error& error = called.error();
    if (error.kind == ErrorKind::Limit &&
        error.message.find("returned a string") != std::string::npos) {
      out.response = text_response(500, "service " + spec_.name + ": the response is larger than " +
                                            std::to_string(kMaxResponseBytes) + " bytes");
      out.note = error.message;
      return out;
    }
    out = guest_failure(spec_, error, control);
    if (out.response.status == 500 && error.is_trap() && error.trap &&
        error.trap->kind != TrapKind::MemoryLimit) {
      // A Rust panic on wasm32-unknown-unknown aborts with `unreachable`;
      // the innermost named frame is the best message there is.
      std::string message = error.trap->message;
      for (const FrameInfo& frame : error.trap->backtrace) {
        if (!frame.func_name.empty()) {
          message += " in " + frame.func_name;
          break;
        }
      }
      out.response = text_response(500, "service " + spec_.name + " panicked: " + message);
    }
    return out;
  }
  switch (called->kind) {
    case bindgen::CallOutcome::Kind::Ok:
      out.response.status = 200;
      out.response.headers.emplace_back("Content-Type", spec_.content_type);
      out.response.body = std::move(called->value.text);
      break;
    case bindgen::CallOutcome::Kind::Err:
      out.response = text_response(500, clip(called->value.kind == bindgen::JsValue::Kind::Error
                                                 ? called->value.text
                                                 : called->value.to_display()));
      out.note = "Err: " + clip(called->value.to_display()).substr(0, 512);
      break;
    case bindgen::CallOutcome::Kind::Thrown:
      out.response = text_response(500, "service " + spec_.name + " panicked: " +
                                            clip(called->value.kind == bindgen::JsValue::Kind::Error
                                                     ? called->value.text
                                                     : called->value.to_display()));
      out.note = "thrown: " + clip(called->value.to_display()).substr(0, 512);
      break;
  }
  return out;
}

}  // namespace weft::serve
