// `weft validate FILE.wasm`: decode + validate + compile, report the first
// error with its byte offset.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli/cli.h"

namespace weft::cli {

Subcommand add_validate_command(CLI::App& parent) {
  auto path = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand("validate", "Check that a module is valid");
  app->add_option("file", *path, "The .wasm module")->required();
  return {app, [path]() -> int {
            auto module = load_module(*path);
            if (!module) {
              std::fprintf(stderr, "%s\n", module.error().message.c_str());
              return kExitError;
            }
            std::printf("%s: valid\n", path->c_str());
            return kExitOk;
          }};
}

}  // namespace weft::cli
