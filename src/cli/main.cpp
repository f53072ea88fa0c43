// weft — run, check and inspect WebAssembly modules, and run spec scripts.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "oci/runtime/runtime.h"
#include "wasm/native/native.h"

namespace weft::cli {
Subcommand add_up_command(CLI::App& parent);    // cmd_up.cpp (serve)
Subcommand add_push_command(CLI::App& parent);  // cmd_push.cpp (oci, app)
}  // namespace weft::cli

int main(int argc, char** argv) {
  // Called as weft-oci (a link to weft): the OCI runtime, runc's command line.
  if (const std::string_view name = argv[0]; name == "weft-oci" || name.ends_with("/weft-oci")) {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    return weft::oci::runtime::runtime_main(argc, argv, ec ? std::string(argv[0]) : self.string());
  }
  CLI::App app{"weft: a WebAssembly runtime", "weft"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "weft 0.1.0");

  std::vector<weft::cli::Subcommand> subcommands = {
      weft::cli::add_run_command(app),     weft::cli::add_validate_command(app),
      weft::cli::add_inspect_command(app), weft::cli::add_wast_command(app),
      weft::cli::add_compose_command(app), weft::cli::add_up_command(app),
      weft::cli::add_compile_command(app), weft::cli::add_push_command(app),
  };

  // --tier on the commands that run code: which tier compiles their modules.
  std::string tier = "auto";
  for (const auto& subcommand : subcommands) {
    const std::string& name = subcommand.app->get_name();
    if (name != "run" && name != "wast" && name != "up") continue;
    subcommand.app
        ->add_option("--tier", tier,
                     "interp: the interpreter only; optimized: LLVM machine code for every "
                     "function the optimizing tier covers (the rest interpreted), compiled "
                     "before the module starts; auto: start interpreted and compile in the "
                     "background, the hottest functions first. Optimized and auto use the code "
                     "cache ($WEFT_CACHE, default ~/.cache/weft; off: WEFT_CACHE=off)")
        ->check(CLI::IsMember({"interp", "optimized", "auto"}))
        ->capture_default_str();
  }

  std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& subcommand : subcommands) {
    if (!args.empty() && args.front() == subcommand.app->get_name() && subcommand.take_arguments) {
      subcommand.take_arguments(args);
    }
  }
  // CLI11 consumes a vector from the back.
  std::reverse(args.begin(), args.end());

  try {
    app.parse(args);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? weft::cli::kExitOk : weft::cli::kExitUsage;
  }

  weft::native::enable(weft::parse_tier(tier).value_or(weft::Tier::Auto));
  for (const auto& subcommand : subcommands) {
    if (subcommand.app->parsed()) {
      const int status = subcommand.run();
      weft::native::stop_background_compiles();
      return status;
    }
  }
  return weft::cli::kExitUsage;
}
