#include "serve/app_host.h"

#include <cstdio>

#include "serve/outbound/curl_transport.h"
#include "serve/proxy_wasm/proxy_wasm.h"
#include "serve/wagi.h"
#include "serve/wasi_http.h"
#include "serve/wasm_bindgen.h"
#include "weft/wasi.h"

namespace weft::serve {

namespace {

// The service's `tier`, if weft.toml sets one; else the --tier default.
CompileOptions tier_options(const app::ServiceSpec& spec) {
  CompileOptions options;
  options.tier = spec.tier;
  return options;
}

// A service's (or dependency's) outbound grant: libcurl behind its
// allow-list, or, with no hosts granted, a transport that denies and logs.
Result<std::shared_ptr<wasi::http::OutboundTransport>> make_transport(
    const std::vector<std::string>& hosts, const std::string& who) {
  if (hosts.empty()) return denying_transport(who);
  auto allowed = outbound::AllowedHosts::parse(hosts);
  if (!allowed) return Error::usage("allowed_outbound_hosts: " + allowed.error().message);
  outbound::CurlTransportOptions options;
  options.allowed = std::move(allowed).value();
  options.log = [who](std::string_view line) {
    std::string text = "[" + who + "] " + std::string(line) + "\n";
    std::fwrite(text.data(), 1, text.size(), stderr);
  };
  return std::shared_ptr<wasi::http::OutboundTransport>(
      std::make_shared<outbound::CurlTransport>(std::move(options)));
}

// The handler's import that a dependency's key names: the same interface,
// exactly or semver-compatibly, or any version when the key has none.
std::optional<std::string> import_named(const component::Component& handler,
                                        const std::string& interface_name) {
  for (const auto& import : handler.imports()) {
    if (import.kind != "instance") continue;
    if (import.name == interface_name) return import.name;
  }
  const bool unversioned = interface_name.find('@') == std::string::npos;
  for (const auto& import : handler.imports()) {
    if (import.kind != "instance") continue;
    if (component::interface_versions_compatible(import.name, interface_name)) return import.name;
    if (unversioned && import.name.rfind(interface_name + "@", 0) == 0) return import.name;
  }
  return std::nullopt;
}

// Compiles each [service.X.dependencies] component and checks, before any
// request, that it exports what the handler imports under that name.
Result<std::vector<PreparedDependency>> prepare_dependencies(const app::ServiceSpec& spec,
                                                             const component::Component& handler) {
  std::vector<PreparedDependency> out;
  for (const app::DependencySpec& dep : spec.dependencies) {
    auto where = [&](const std::string& message) {
      return Error::usage(dep.location + ": service \"" + spec.name + "\": dependency \"" +
                          dep.interface_name + "\": " + message);
    };
    auto transport =
        make_transport(dep.allowed_outbound_hosts, spec.name + ":" + dep.interface_name);
    if (!transport) return where(transport.error().message);
    auto import_name = import_named(handler, dep.interface_name);
    if (!import_name) {
      return where(spec.source.filename().string() + " imports no interface \"" +
                   dep.interface_name + "\"");
    }
    auto component = compile_component_file(dep.source, tier_options(spec));
    if (!component) return where(component.error().message);
    if (auto ok = component::check_satisfies(handler, *import_name, **component); !ok) {
      return where(dep.source.filename().string() + " " + ok.error().message);
    }
    PreparedDependency prepared;
    prepared.spec = &dep;
    prepared.transport = std::move(transport).value();
    prepared.component = std::move(component).value();
    prepared.import_name = *import_name;
    out.push_back(std::move(prepared));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<AppHost>> AppHost::create(app::Manifest manifest) {
  std::unique_ptr<AppHost> host(new AppHost());
  host->manifest_ = std::move(manifest);
  host->linker_ = std::make_shared<Linker>();
  wasi::add_to_linker(*host->linker_);
  proxy_wasm::add_to_linker(*host->linker_);
  std::shared_ptr<const Linker> linker = host->linker_;

  // Each [filter.NAME] is prepared once and shared by the services using it.
  std::map<std::string, std::shared_ptr<const proxy_wasm::ProxyWasmPlugin>> filters;
  for (const auto& [name, spec] : host->manifest_.filters) {
    auto plugin = proxy_wasm::create_filter(spec, linker);
    if (!plugin) return Error::usage(spec.location + ": " + plugin.error().message);
    filters.emplace(name, std::move(plugin).value());
  }

  for (const auto& [name, spec] : host->manifest_.services) {
    auto fail = [&](const Error& error) {
      return Error::usage(spec.location + ": service \"" + name + "\": " + error.message);
    };
    std::unique_ptr<Handler> handler;
    if (spec.executor == app::Executor::WasiHttp) {
      auto component = compile_component_file(spec.source, tier_options(spec));
      if (!component) return fail(component.error());
      auto transport = make_transport(spec.allowed_outbound_hosts, name);
      if (!transport) {
        return Error::usage(spec.allowed_outbound_hosts_location + ": service \"" + name +
                            "\": " + transport.error().message);
      }
      auto deps = prepare_dependencies(spec, **component);
      if (!deps) return std::move(deps).error();
      auto wasi_http =
          WasiHttpHandler::create(spec, std::move(component).value(), std::move(transport).value(),
                                  std::move(deps).value());
      if (!wasi_http) return fail(wasi_http.error());
      handler = std::move(wasi_http).value();
    } else if (spec.executor == app::Executor::WasmBindgen) {
      auto bindgen = WasmBindgenHandler::create(spec);
      if (!bindgen) return fail(bindgen.error());
      handler = std::move(bindgen).value();
    }
    auto module = handler ? Result<std::shared_ptr<const Module>>(nullptr)
                          : compile_file(spec.source, tier_options(spec));
    if (!module) return fail(module.error());
    switch (spec.executor) {
      case app::Executor::WasiHttp:
      case app::Executor::WasmBindgen:
        break;
      case app::Executor::Wagi: {
        auto wagi = WagiHandler::create(spec, std::move(module).value(), linker);
        if (!wagi) return fail(wagi.error());
        handler = std::move(wagi).value();
        break;
      }
      case app::Executor::ProxyWasm: {
        auto proxy = proxy_wasm::create_handler(spec, std::move(module).value(), linker);
        if (!proxy) return Error::usage(spec.location + ": " + proxy.error().message);
        handler = std::move(proxy).value();
        break;
      }
    }
    if (!spec.filters.empty()) {
      std::vector<std::shared_ptr<const proxy_wasm::ProxyWasmPlugin>> chain;
      for (const std::string& filter : spec.filters) chain.push_back(filters.at(filter));
      handler =
          std::make_unique<proxy_wasm::FilterChainHandler>(std::move(chain), std::move(handler));
    }
    host->handlers_.emplace(name, std::move(handler));
  }

  for (size_t i = 0; i < host->manifest_.routes.size(); ++i) {
    const app::RouteSpec& route = host->manifest_.routes[i];
    if (auto r = host->router_.add(route.path, i); !r) {
      return Error::usage(route.location + ": route.path: " + r.error().message);
    }
    host->route_services_.push_back(&host->manifest_.services.at(route.service));
  }
  return host;
}

std::optional<RoutedService> AppHost::route(Request& request) const {
  auto match = router_.match(request.path);
  if (!match) return std::nullopt;
  const app::ServiceSpec* spec = route_services_[match->target];
  request.matched_route = std::move(match->pattern);
  request.script_name = std::move(match->script_name);
  request.raw_path_info = std::move(match->raw_path_info);
  request.params = std::move(match->params);
  auto it = handlers_.find(spec->name);
  if (it == handlers_.end()) return std::nullopt;
  return RoutedService{spec->name, spec->timeout_ms, it->second.get()};
}

}  // namespace weft::serve
