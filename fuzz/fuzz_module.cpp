// libFuzzer target: bytes → Module::compile (decode, validate, compile) →
// instantiate with every import satisfied by a dummy of the requested type →
// call every exported function with zero arguments, under tight store limits
// so no input can hang or exhaust memory.
//
// Uses only the public API (include/weft/weft.h). The same file is built two
// ways: with -fsanitize=fuzzer (fuzz/CMakeLists.txt) and, with
// standalone_main.cpp, as an ordinary program that replays the seed corpus
// in ctest (fuzz/corpus.cmake).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dummy_imports.h"
#include "weft/weft.h"

namespace {

constexpr uint64_t kMaxMemoryBytes = 64ull << 20;
constexpr uint32_t kMaxCallDepth = 1000;
constexpr uint64_t kFuelPerCall = 100'000;
// Bounds the work per input: a module may export thousands of functions,
// each of which may burn its whole fuel allowance.
constexpr size_t kMaxExportCalls = 64;

weft::Value zero_of(weft::ValType type) {
  // For references, bits 0 is null; for numbers, bits 0 is +0.
  return weft::Value{type, 0};
}

void run_module(const std::shared_ptr<const weft::Module>& module) {
  weft::StoreLimits limits;
  limits.max_memory_bytes = kMaxMemoryBytes;
  limits.max_call_depth = kMaxCallDepth;
  limits.fuel = kFuelPerCall;  // also bounds the start function
  weft::Store store(limits);

  weft::Linker linker;
  if (!weft_fuzz::define_dummy_imports(*module, store, linker)) return;
  auto instance = linker.instantiate(store, module);
  if (!instance) return;  // link errors and start-function traps are fine

  size_t calls = 0;
  for (const weft::ExportInfo& export_info : module->exports()) {
    if (export_info.kind != weft::ExternKind::Func) continue;
    if (calls++ == kMaxExportCalls) break;
    auto func = instance->get_func(export_info.name);
    if (!func) continue;
    std::vector<weft::Value> args;
    for (weft::ValType type : func->type().params) args.push_back(zero_of(type));
    store.set_fuel(kFuelPerCall);
    store.clear_interrupt();
    // Traps are expected; only crashes, hangs and sanitizer reports matter.
    auto results = func->call(args);
    if (results) {
      const auto& types = func->type().results;
      // The engine promises results of the declared types.
      if (results->size() != types.size()) __builtin_trap();
      for (size_t i = 0; i < types.size(); i++) {
        if ((*results)[i].type != types[i]) __builtin_trap();
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto compiled = weft::Module::compile(std::span<const uint8_t>(data, size));
  if (!compiled) {
    // Errors must render without crashing (the CLI prints them).
    (void)compiled.error().to_string();
    return 0;
  }
  const std::shared_ptr<const weft::Module>& module = compiled.value();
  // Touch the introspection API the CLI's `inspect` uses.
  (void)module->name();
  for (const weft::SectionInfo& section : module->sections()) (void)section.name.size();
  run_module(module);
  return 0;
}
