// `weft wast FILE`: run a spec script, given either as wast2json output
// (.json, with its module files beside it) or as .wast text.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli/cli.h"
#include "cli/wast_script.h"
#include "wasm/text/wat.h"

namespace weft::cli {
namespace {

struct WastCommandOptions {
  std::string file;
  bool verbose = false;
  double timeout_seconds = 60;
};

Result<LoadedScript> load_script(const std::string& path) {
  if (path.ends_with(".json")) return load_wast_json(path);
  auto text = read_file_text(path);
  if (!text) return text.error();
  auto script = text::parse_wast(*text, path);
  if (!script) {
    Error error = script.error();
    error.message = path + ": " + error.to_string();
    return error;
  }
  LoadedScript loaded;
  loaded.script = std::move(*script);
  if (loaded.script.filename.empty()) loaded.script.filename = path;
  return loaded;
}

int run_wast(const WastCommandOptions& options) {
  auto loaded = load_script(options.file);
  if (!loaded) {
    std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
    std::printf("0 passed, 1 failed\n");
    return kExitError;
  }
  WastOptions wast_options;
  wast_options.verbose = options.verbose;
  wast_options.command_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000));
  std::string source_name = loaded->script.filename;
  wast_options.wat_to_wasm = [source_name](const std::string& wat) {
    return text::wat_to_wasm(wat, source_name);
  };
  WastCounts counts = run_wast_script(*loaded, wast_options);
  std::printf("%llu passed, %llu failed\n", static_cast<unsigned long long>(counts.passed),
              static_cast<unsigned long long>(counts.failed));
  std::fflush(stdout);
  return counts.failed == 0 ? kExitOk : kExitError;
}

}  // namespace

Subcommand add_wast_command(CLI::App& parent) {
  auto options = std::make_shared<WastCommandOptions>();
  CLI::App* app =
      parent.add_subcommand("wast", "Run a spec test script (.wast or wast2json .json)");
  app->add_flag("-v,--verbose", options->verbose,
                "Also show commands that passed with a different message");
  app->add_option("--timeout", options->timeout_seconds,
                  "Interrupt and fail a command that runs longer than this (seconds, default 60)")
      ->check(CLI::Range(0.001, 86400.0));
  app->add_option("file", options->file, "The .wast script or wast2json .json")->required();
  return {app, [options]() -> int { return run_wast(*options); }};
}

}  // namespace weft::cli
