// `weft compose SOCKET.wasm --plug PLUG.wasm [--plug ...] -o OUT.wasm`: one
// component in which each plug's exports satisfy the socket's imports of
// the same interface (like `wac plug`); see component/compose/compose.h.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>

#include "cli/cli.h"
#include "component/binary/decoder.h"
#include "component/compose/compose.h"

namespace weft::cli {

namespace {

struct ComposeOptions {
  std::string socket;
  std::vector<std::string> plugs;
  std::string output;
};

struct Loaded {
  std::vector<uint8_t> bytes;
  std::shared_ptr<const component::Component> component;
};

Result<Loaded> load(const std::string& path) {
  auto read = read_file_bytes(path);
  if (!read.ok()) return std::move(read).error();
  std::vector<uint8_t> bytes = std::move(read).value();
  if (!component::is_component(bytes)) return Error::usage(path + ": not a component");
  auto c = component::Component::compile(bytes);
  if (!c.ok()) return Error::usage(path + ": " + c.error().to_string());
  return Loaded{std::move(bytes), std::move(c).value()};
}

}  // namespace

Subcommand add_compose_command(CLI::App& parent) {
  auto opts = std::make_shared<ComposeOptions>();
  CLI::App* app = parent.add_subcommand(
      "compose", "Plug components into a component's imports, writing one component");
  app->add_option("socket", opts->socket, "The component whose imports the plugs satisfy")
      ->required();
  app->add_option("--plug", opts->plugs, "A component exporting interfaces the socket imports")
      ->required();
  app->add_option("-o,--output", opts->output, "The composed component to write")->required();
  return {app, [opts]() -> int {
            auto socket = load(opts->socket);
            if (!socket.ok()) {
              std::fprintf(stderr, "%s\n", socket.error().message.c_str());
              return kExitError;
            }
            std::vector<Loaded> loaded;
            for (const auto& p : opts->plugs) {
              auto plug = load(p);
              if (!plug.ok()) {
                std::fprintf(stderr, "%s\n", plug.error().message.c_str());
                return kExitError;
              }
              loaded.push_back(std::move(plug).value());
            }
            std::vector<component::ComposePart> plugs;
            for (size_t i = 0; i < loaded.size(); ++i)
              plugs.push_back({opts->plugs[i], loaded[i].bytes, loaded[i].component});
            auto out = component::compose(
                {opts->socket, socket.value().bytes, socket.value().component}, plugs);
            if (!out.ok()) {
              std::fprintf(stderr, "weft compose: %s\n", out.error().message.c_str());
              return kExitError;
            }
            std::ofstream f(opts->output, std::ios::binary | std::ios::trunc);
            f.write(reinterpret_cast<const char*>(out.value().data()),
                    static_cast<std::streamsize>(out.value().size()));
            if (!f) {
              std::fprintf(stderr, "weft compose: cannot write %s\n", opts->output.c_str());
              return kExitError;
            }
            return kExitOk;
          }};
}

}  // namespace weft::cli
