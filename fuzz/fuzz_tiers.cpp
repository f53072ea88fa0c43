// libFuzzer target: the two tiers against each other. Each input is
// compiled twice, for the interpreter and for the optimizing tier (LLVM),
// instantiated in two stores with the same dummy imports and limits, and
// every exported function is called with zero arguments in both. The
// results and traps must agree: the same trap kind, or the same values
// (a NaN equal to any NaN: the spec lets its payload vary; modules that can
// turn NaN bits into integers are run but not compared). Fuel is
// charged at the same points in both tiers, so a spinning loop runs out at
// the same place in each.
//
// Built with -fsanitize=fuzzer (fuzz/CMakeLists.txt) and, with
// standalone_main.cpp, as a program that replays the module seed corpus in
// ctest (fuzz/corpus.cmake).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dummy_imports.h"
#include "wasm/binary/decoder.h"
#include "wasm/native/native.h"
#include "weft/weft.h"

namespace {

constexpr uint64_t kMaxMemoryBytes = 64ull << 20;
constexpr uint32_t kMaxCallDepth = 500;
constexpr uint64_t kFuelPerCall = 20'000;
constexpr size_t kMaxExportCalls = 32;

struct Outcome {
  bool linked = false;
  std::optional<weft::TrapKind> instantiate_trap;
  // Per exported function called: a trap kind, or its results.
  std::vector<std::optional<weft::TrapKind>> traps;
  std::vector<std::vector<weft::Value>> results;
};

Outcome run(const std::shared_ptr<const weft::Module>& module) {
  Outcome out;
  weft::StoreLimits limits;
  limits.max_memory_bytes = kMaxMemoryBytes;
  limits.max_call_depth = kMaxCallDepth;
  limits.fuel = kFuelPerCall;
  weft::Store store(limits);
  weft::Linker linker;
  if (!weft_fuzz::define_dummy_imports(*module, store, linker)) return out;
  auto instance = linker.instantiate(store, module);
  if (!instance) {
    if (instance.error().is_trap()) out.instantiate_trap = instance.error().trap->kind;
    out.linked = instance.error().is_trap();  // instantiated, then the start function trapped
    return out;
  }
  out.linked = true;
  size_t calls = 0;
  for (const weft::ExportInfo& export_info : module->exports()) {
    if (export_info.kind != weft::ExternKind::Func) continue;
    if (calls++ == kMaxExportCalls) break;
    auto func = instance->get_func(export_info.name);
    if (!func) continue;
    std::vector<weft::Value> args;
    for (weft::ValType type : func->type().params) args.push_back(weft::Value{type, 0});
    store.set_fuel(kFuelPerCall);
    store.clear_interrupt();
    auto results = func->call(args);
    if (results) {
      out.traps.emplace_back();
      out.results.push_back(std::move(results).value());
    } else {
      out.traps.push_back(results.error().is_trap() ? results.error().trap->kind
                                                    : weft::TrapKind::HostError);
      out.results.emplace_back();
    }
  }
  return out;
}

bool same_value(const weft::Value& a, const weft::Value& b) {
  if (a.type != b.type) return false;
  if (a.type == weft::ValType::F32) {
    float x, y;
    uint32_t xb = static_cast<uint32_t>(a.bits), yb = static_cast<uint32_t>(b.bits);
    std::memcpy(&x, &xb, 4);
    std::memcpy(&y, &yb, 4);
    if (std::isnan(x) && std::isnan(y)) return true;
    return xb == yb;
  }
  if (a.type == weft::ValType::F64) {
    double x, y;
    std::memcpy(&x, &a.bits, 8);
    std::memcpy(&y, &b.bits, 8);
    if (std::isnan(x) && std::isnan(y)) return true;
    return a.bits == b.bits;
  }
  // References are addresses in two different stores: null-ness only.
  if (a.type == weft::ValType::FuncRef || a.type == weft::ValType::ExternRef ||
      a.type == weft::ValType::ExnRef)
    return (a.bits == 0) == (b.bits == 0);
  return a.bits == b.bits;
}

// Whether a NaN's bits can reach an integer: through a reinterpretation
// (i32/i64.reinterpret_f32/f64) or a float store read back as an integer.
// The spec lets NaN payloads vary, and they do between the tiers (LLVM
// folds 0/0 to a positive NaN, x86 makes a negative one), so such modules
// are only run, not compared. A byte scan of the bodies: an immediate that
// happens to hold one of these bytes skips a module needlessly, never
// wrongly.
bool nan_bits_observable(std::span<const uint8_t> bytes) {
  auto decl = weft::wasm::decode_module(bytes);
  if (!decl) return true;
  for (const weft::wasm::FunctionBody& body : decl->bodies) {
    for (uint64_t i = body.code.begin; i < body.code.end && i < decl->bytes.size(); ++i) {
      const uint8_t b = decl->bytes[i];
      if (b == 0xBC || b == 0xBD || b == 0x38 || b == 0x39) return true;
    }
  }
  return false;
}

[[noreturn]] void mismatch(const char* what, size_t call) {
  std::fprintf(stderr, "tiers disagree: %s (export call %zu)\n", what, call);
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = [] {
    // Every input is a new module: none is worth a cache file.
    setenv("WEFT_CACHE", "off", 1);
    weft::set_optimizing_compiler(&weft::native::llvm_compiler());
    return true;
  }();
  (void)registered;
  std::span<const uint8_t> bytes(data, size);
  weft::CompileOptions interp_options;
  interp_options.tier = weft::Tier::Interpreter;
  weft::CompileOptions native_options;
  native_options.tier = weft::Tier::Optimized;
  auto interpreted = weft::Module::compile(bytes, interp_options);
  if (!interpreted) return 0;
  auto optimized = weft::Module::compile(bytes, native_options);
  if (!optimized) mismatch("the module compiles only in the interpreter", 0);
  Outcome a = run(interpreted.value());
  Outcome b = run(optimized.value());
  if (nan_bits_observable(bytes)) return 0;
  if (a.linked != b.linked) mismatch("instantiation", 0);
  if (a.instantiate_trap != b.instantiate_trap) mismatch("the start function's trap", 0);
  if (a.traps.size() != b.traps.size()) mismatch("the number of calls", 0);
  for (size_t i = 0; i < a.traps.size(); ++i) {
    if (a.traps[i] != b.traps[i]) {
      std::fprintf(stderr, "interpreter: %s; optimized: %s\n",
                   a.traps[i] ? weft::trap_message(*a.traps[i]) : "returned",
                   b.traps[i] ? weft::trap_message(*b.traps[i]) : "returned");
      mismatch("trap", i);
    }
    if (a.results[i].size() != b.results[i].size()) mismatch("result count", i);
    for (size_t k = 0; k < a.results[i].size(); ++k) {
      if (!same_value(a.results[i][k], b.results[i][k])) mismatch("result value", i);
    }
  }
  return 0;
}
