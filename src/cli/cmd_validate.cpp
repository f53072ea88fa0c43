// `weft validate FILE.wasm`: decode + validate (+ compile) a core module or
// a component, report the first error with its byte offset.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli/cli.h"
#include "component/binary/decoder.h"
#include "component/validate/validator.h"

namespace weft::cli {

Subcommand add_validate_command(CLI::App& parent) {
  auto path = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand("validate", "Check that a module or component is valid");
  app->add_option("file", *path, "The .wasm module or component")->required();
  return {app, [path]() -> int {
            auto bytes = read_file_bytes(*path);
            if (!bytes) {
              std::fprintf(stderr, "%s\n", bytes.error().message.c_str());
              return kExitError;
            }
            if (component::is_component(*bytes)) {
              auto validated = component::validate_component(*bytes);
              if (!validated) {
                std::fprintf(stderr, "%s: %s\n", path->c_str(),
                             validated.error().to_string().c_str());
                return kExitError;
              }
              std::printf("%s: valid component\n", path->c_str());
              return kExitOk;
            }
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
