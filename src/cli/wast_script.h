// Loading and running spec scripts (`weft wast`).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "wasm/text/script.h"
#include "weft/result.h"

namespace weft::cli {

// A command the loader could not turn into a wast::Command (an unsupported
// value type, a missing module file). It still counts as a failure.
struct ScriptProblem {
  size_t position = 0;  // comes before script.commands[position]
  uint32_t line = 0;
  std::string message;
  bool is_module = false;           // a module definition: the current module is now broken
  std::optional<std::string> name;  // its $name, if any
};

struct LoadedScript {
  wast::Script script;
  std::vector<ScriptProblem> problems;
};

// Reads the JSON written by wabt's wast2json; module files are resolved
// beside it. Fails only if the JSON itself is unusable.
Result<LoadedScript> load_wast_json(const std::string& path);

// Turns quoted WAT text into a binary module (weft's text parser).
using WatCompiler = std::function<Result<std::vector<uint8_t>>(const std::string& wat)>;

struct WastOptions {
  bool verbose = false;  // also print passing commands whose messages differ
  // A command running longer than this is interrupted and fails.
  std::chrono::milliseconds command_timeout{60'000};
  WatCompiler wat_to_wasm;
};

struct WastCounts {
  uint64_t passed = 0;
  uint64_t failed = 0;
};

// Runs every command, printing each failure as "FILE:LINE: kind: ...".
WastCounts run_wast_script(const LoadedScript& loaded, const WastOptions& options);

// The spectest host module the spec scripts import from.
void define_spectest(Linker& linker, Store& store);

}  // namespace weft::cli
