// `weft up [DIR | FILE.toml] [--listen ADDR:PORT]`: load the manifest,
// compile every service once, and serve HTTP until SIGTERM/SIGINT.
// Everything that can be wrong with the app is reported (exit 1) before
// the server listens.
#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <memory>

#include "app/manifest.h"
#include "cli/cli.h"
#include "oci/image.h"
#include "serve/app_host.h"
#include "serve/server.h"

namespace weft::cli {

namespace {

struct UpOptions {
  std::string target = ".";
  std::string listen = "127.0.0.1:3000";
  unsigned workers = 0;
  unsigned loops = 0;
  uint32_t busy_poll_us = serve::ServerOptions{}.busy_poll_us;
  bool quiet = false;
  bool insecure_registry = false;
  std::string confine;  // --confine DIR: the manifest may use only files beneath DIR
};

// An image's weft.toml is the image author's, not the operator's: every
// module it loads and every directory it grants must be inside the image.
Result<void> confine_to_image(const app::Manifest& m, const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string base = fs::weakly_canonical(root, ec).string() + "/";
  auto inside = [&](const fs::path& p, const std::string& what) -> Result<void> {
    const std::string real = fs::weakly_canonical(p, ec).string();
    if (ec || !real.starts_with(base))
      return Error::usage(m.file.string() + ": " + what + " \"" + p.string() +
                          "\" is outside the image (an image's weft.toml may use only its own "
                          "files)");
    return {};
  };
  for (const auto& [name, service] : m.services) {
    const std::string what = "service \"" + name + "\"";
    if (auto ok = inside(service.source, what + " source"); !ok) return ok;
    for (const app::FileGrant& grant : service.files)
      if (auto ok = inside(grant.host_path, what + " directory"); !ok) return ok;
    for (const app::DependencySpec& dep : service.dependencies)
      if (auto ok = inside(dep.source, what + " dependency"); !ok) return ok;
  }
  for (const auto& [name, filter] : m.filters)
    if (auto ok = inside(filter.source, "filter \"" + name + "\" source"); !ok) return ok;
  return {};
}

// `weft up IMAGE`: the app's weft.toml from the image, pulled or cached.
Result<std::string> manifest_from_image(const UpOptions& options) {
  auto ref = oci::parse_image_ref(options.target);
  if (!ref) return std::move(ref).error();
  oci::PullOptions pull;
  pull.registry.insecure = options.insecure_registry;
  auto image = oci::pull_image(*ref, pull);
  if (!image) return std::move(image).error();
  if (!image->app_manifest)
    return Error::usage(ref->text +
                        ": the image holds no weft.toml (an app); run its module with "
                        "weft run " +
                        ref->text);
  // Loaded here to be confined; run_up loads it again (cheap, and the same file).
  auto manifest = app::load_manifest(*image->app_manifest);
  if (!manifest) return std::move(manifest).error();
  if (auto ok = confine_to_image(*manifest, image->root); !ok) return std::move(ok).error();
  return image->app_manifest->string();
}

// "127.0.0.1:3000", "[::1]:8080", ":3000" (all interfaces), "3000".
Result<std::pair<std::string, uint16_t>> parse_listen(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Error::usage("--listen " + std::string(text) + ": expected [ADDR]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else if (size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.empty()) host = "0.0.0.0";
  } else {
    host = "127.0.0.1";
    port = text;
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value > 65535) {
    return Error::usage("--listen " + std::string(text) + ": invalid port");
  }
  return std::pair<std::string, uint16_t>(std::string(host), static_cast<uint16_t>(value));
}

int run_up(const UpOptions& options) {
  auto listen = parse_listen(options.listen);
  if (!listen) {
    std::fprintf(stderr, "weft up: %s\n", listen.error().message.c_str());
    return kExitUsage;
  }
  std::string target = options.target;
  if (oci::looks_like_image_ref(target)) {
    auto from_image = manifest_from_image(options);
    if (!from_image) {
      std::fprintf(stderr, "weft up: %s\n", from_image.error().message.c_str());
      return kExitError;
    }
    target = *from_image;
  }
  auto manifest = app::load_manifest(target);
  if (!manifest) {
    std::fprintf(stderr, "weft up: %s\n", manifest.error().message.c_str());
    return kExitError;
  }
  if (!options.confine.empty()) {
    if (auto ok = confine_to_image(*manifest, options.confine); !ok) {
      std::fprintf(stderr, "weft up: %s\n", ok.error().message.c_str());
      return kExitError;
    }
  }
  auto host = serve::AppHost::create(std::move(manifest).value());
  if (!host) {
    std::fprintf(stderr, "weft up: %s\n", host.error().message.c_str());
    return kExitError;
  }
  serve::ServerOptions server_options;
  server_options.address = listen->first;
  server_options.port = listen->second;
  server_options.workers = options.workers;
  server_options.loops = options.loops;
  server_options.access_log = !options.quiet;
  server_options.busy_poll_us = options.busy_poll_us;
  serve::Server server(**host, server_options);
  if (auto r = server.listen(); !r) {
    std::fprintf(stderr, "weft up: %s\n", r.error().message.c_str());
    return kExitError;
  }
  const app::Manifest& m = (*host)->manifest();
  std::string address =
      listen->first.find(':') != std::string::npos ? "[" + listen->first + "]" : listen->first;
  std::fprintf(stderr, "weft: serving %s on http://%s:%u\n",
               m.app_name.empty() ? m.file.string().c_str() : m.app_name.c_str(), address.c_str(),
               static_cast<unsigned>(server.port()));
  for (const app::RouteSpec& route : m.routes) {
    std::fprintf(stderr, "  %s -> %s\n", route.path.c_str(), route.service.c_str());
  }
  std::fflush(stderr);
  server.run();
  std::fprintf(stderr, "weft: stopped\n");
  return kExitOk;
}

}  // namespace

Subcommand add_up_command(CLI::App& parent) {
  auto options = std::make_shared<UpOptions>();
  CLI::App* app = parent.add_subcommand("up", "Serve the app described by a weft.toml over HTTP");
  app->add_option("target", options->target,
                  "A directory holding weft.toml, a .toml file, or an image (oci:PATH[:TAG], "
                  "docker://HOST/REPO[:TAG|@DIGEST]) holding one")
      ->capture_default_str();
  app->add_option("--listen", options->listen, "ADDR:PORT to listen on")->capture_default_str();
  app->add_option("--workers", options->workers, "Guest worker threads (default 4 per core)");
  app->add_option("--loops", options->loops, "Event-loop threads (default one per core)");
  app->add_option("--busy-poll-us", options->busy_poll_us,
                  "How long an idle event loop polls before it sleeps, in microseconds "
                  "(default 50; 0 sleeps at once)")
      ->check(CLI::Range(0u, 10000u));
  app->add_flag("--quiet", options->quiet, "No access log");
  app->add_flag("--insecure-registry", options->insecure_registry,
                "Allow plain HTTP to a registry that is not on this machine");
  app->add_option("--confine", options->confine,
                  "Refuse a manifest whose modules or directories are outside DIR (weft-oci sets "
                  "it to the container's root)")
      ->type_name("DIR");
  Subcommand subcommand;
  subcommand.app = app;
  subcommand.run = [options]() -> int { return run_up(*options); };
  return subcommand;
}

}  // namespace weft::cli
