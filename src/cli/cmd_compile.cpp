// `weft compile app.wasm -o app.cwasm`: the optimizing tier's machine code
// for every function it covers, ahead of time, in one file with the module
// (as `wasmtime compile` does). `weft run app.cwasm` runs it with no
// compile at start-up; the file only loads into the weft build and on the
// CPU that made it.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>

#include "cli/cli.h"
#include "component/binary/decoder.h"
#include "wasm/native/native.h"

namespace weft::cli {

Subcommand add_compile_command(CLI::App& parent) {
  struct Options {
    std::string input;
    std::string output;
  };
  auto options = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "compile", "Compile a core module to machine code ahead of time (a .cwasm for weft run)");
  app->add_option("file", options->input, "The .wasm core module")->required();
  app->add_option("-o,--output", options->output, "Where to write it (default: FILE.cwasm)");
  return {app, [options]() -> int {
            auto bytes = read_file_bytes(options->input);
            if (!bytes) {
              std::fprintf(stderr, "%s\n", bytes.error().message.c_str());
              return kExitError;
            }
            if (component::is_component(*bytes)) {
              std::fprintf(stderr,
                           "%s: a component; weft compile takes core modules (components use "
                           "the code cache)\n",
                           options->input.c_str());
              return kExitError;
            }
            auto compiled = native::compile_precompiled(*bytes);
            if (!compiled) {
              std::fprintf(stderr, "%s: %s\n", options->input.c_str(),
                           compiled.error().to_string().c_str());
              return kExitError;
            }
            std::string output = options->output;
            if (output.empty()) {
              output = options->input;
              if (output.size() > 5 && output.ends_with(".wasm")) output.resize(output.size() - 5);
              output += ".cwasm";
            }
            std::ofstream out(output, std::ios::binary | std::ios::trunc);
            out.write(compiled->data(), static_cast<std::streamsize>(compiled->size()));
            out.close();
            if (!out) {
              std::fprintf(stderr, "%s: cannot write\n", output.c_str());
              return kExitError;
            }
            return kExitOk;
          }};
}

}  // namespace weft::cli
