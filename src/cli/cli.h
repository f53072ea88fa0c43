// Shared pieces of the `weft` command: subcommand registration, file
// reading, and value parsing/printing for the command line.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/result.h"
#include "weft/weft.h"

namespace CLI {
class App;
}

namespace weft::cli {

// Exit codes. A trap exits like wasmtime on unix (128 + SIGABRT) so shell
// scripts see the same status from either runtime.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // invalid module, link error, I/O error
inline constexpr int kExitUsage = 2;  // bad command line
inline constexpr int kExitTrap = 134;

// One subcommand. add_*_command registers its options on `parent`; after
// parsing, main() calls `run` of the subcommand that was given.
struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int()> run = nullptr;
  // Optional: sees the arguments after the subcommand name before CLI11
  // does, and may take some (`run` takes the guest's arguments after FILE).
  std::function<void(std::vector<std::string>& args)> take_arguments = nullptr;
};

Subcommand add_validate_command(CLI::App& parent);
Subcommand add_inspect_command(CLI::App& parent);
Subcommand add_run_command(CLI::App& parent);
Subcommand add_wast_command(CLI::App& parent);
Subcommand add_compose_command(CLI::App& parent);
Subcommand add_compile_command(CLI::App& parent);

// Whole-file reads; the error message names the file.
Result<std::vector<uint8_t>> read_file_bytes(const std::string& path);
Result<std::string> read_file_text(const std::string& path);

// Reads and compiles a module, or loads a .cwasm (`weft compile`). On
// failure the message is "FILE: <error>".
Result<std::shared_ptr<const Module>> load_module(const std::string& path);

// Parses one command-line argument as a value of `type`: integers in
// decimal (negative allowed, unsigned range accepted) or 0x hex; floats in
// decimal or 0x hex-float, `inf`, `-inf`, `nan`, `nan:0xPAYLOAD`.
Result<Value> parse_value(ValType type, std::string_view text);

// How `weft run` prints a result: i32/i64 signed decimal, floats shortest
// round-trip form, refs as ref.null / ref.func / ref.extern N.
std::string format_value(const Value& value);

// Like format_value but also shows float bit patterns, for diagnostics.
std::string describe_value(const Value& value);

}  // namespace weft::cli
