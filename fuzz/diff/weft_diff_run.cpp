// weft's side of the differential oracle: runs one module the way
// fuzz/diff/v8_run.mjs runs it in V8 and prints the same trace, so
// fuzz/diff/diff.py can compare the two line by line.
//
// The protocol follows binaryen's fuzz-exec, which `wasm-opt -ttf` modules
// are written for. Every exported function is called in export order with
// zero (or null) arguments, after `hangLimitInitializer` when the module
// exports it (binaryen 108's modules do); then each exported global's value
// and each exported memory's hash are printed. The imports:
//   fuzzing-support.log-*            print their arguments
//   call-export(index, ...)          call the export at `index` of the export
//                                    list (all kinds counted) with zero
//                                    arguments; a trap inside unwinds the
//                                    caller too; a bad index is a host error
//   call-export-catch(index) -> i32  the same, but 1 if it failed, else 0
//   call-ref(funcref, ...), call-ref-catch(funcref) -> i32
//                                    the same for a function reference
//   sleep(ms, id) -> id              returns at once
//   table-get(i), table-set(i, ref)  on the export named "table"
//   __fuzz_import.* reference globals  null
// Any other import fails to link, in both engines alike. Floats print as
// bit patterns, any NaN as "nan" (the spec leaves payloads
// nondeterministic). Traps print as a category that both engines' messages
// map onto, so a different trap is a mismatch too.
//
// usage: weft_diff_run [--tier interp|optimized] FILE.wasm [DUMP_PREFIX]
//   exit 0 whenever a trace was printed; with DUMP_PREFIX, each exported
//   memory is also written to DUMP_PREFIX.NAME (to find where a hash differs);
//   --tier optimized compiles every function the optimizing tier covers
//   before the first call, so V8 checks the machine code (default interp)
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "wasm/native/native.h"
#include "weft/weft.h"

namespace {

// Every trace line goes through here. A module can log forever (a loop
// around a host call, which binaryen's hang limit does not always bound), so
// after kMaxTraceLines both runners print "output limit" and stop: the same
// cut in both, and no trace that outgrows the disk.
constexpr long kMaxTraceLines = 100'000;
long trace_lines = 0;

[[gnu::format(printf, 1, 2)]] void emit(const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vprintf(format, args);
  va_end(args);
  if (++trace_lines >= kMaxTraceLines) {
    std::printf("output limit\n");
    std::fflush(stdout);
    std::_Exit(0);
  }
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string f32_text(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return std::isnan(f) ? "nan" : hex(bits);
}

std::string f64_text(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, 8);
  return std::isnan(d) ? "nan" : hex(bits);
}

std::string value_text(const weft::Value& v) {
  switch (v.type) {
    case weft::ValType::I32:
      return "i32:" + std::to_string(v.as_i32());
    case weft::ValType::I64:
      return "i64:" + std::to_string(v.as_i64());
    case weft::ValType::F32:
      return "f32:" + f32_text(static_cast<uint32_t>(v.bits));
    case weft::ValType::F64:
      return "f64:" + f64_text(v.bits);
    case weft::ValType::FuncRef:
      return v.is_null() ? "funcref:null" : "funcref:func";
    case weft::ValType::ExternRef:
      return v.is_null() ? "externref:null" : "externref:value";
    case weft::ValType::ExnRef:
      return v.is_null() ? "exnref:null" : "exnref:exn";
    case weft::ValType::V128:
      return "v128";
  }
  return "?";
}

// Fewer wasm frames than this on a StackExhausted trap is no real exhaustion
// (max_call_depth is 20,000; a frame of a thousand locals reaches the value
// stack's million slots at a thousand frames).
constexpr size_t kMinExhaustedDepth = 1000;

// The categories V8's messages map onto as well (see v8_run.mjs), which are
// coarser than the spec's in two places. V8 says "table index is out of
// bounds" both for table accesses and for a call_indirect index past the
// table's end (the spec's "undefined element"), and it says "float
// unrepresentable in integer range" for a NaN and an out-of-range
// truncation alike, where the spec has "invalid conversion" and "integer
// overflow" (the latter shared with signed division's overflow).
const char* trap_category(const weft::Error& e) {
  if (!e.trap) return "host";
  switch (e.trap->kind) {
    case weft::TrapKind::Unreachable:
      return "unreachable";
    case weft::TrapKind::MemoryOutOfBounds:
      return "memory-bounds";
    case weft::TrapKind::TableOutOfBounds:
      return "table-bounds";
    case weft::TrapKind::UninitializedElement:
      return e.trap->message == "undefined element" ? "table-bounds" : "indirect-call";
    case weft::TrapKind::IndirectCallTypeMismatch:
      return "indirect-call";
    case weft::TrapKind::IntegerDivideByZero:
      return "divide-by-zero";
    case weft::TrapKind::IntegerOverflow:
    case weft::TrapKind::InvalidConversion:
      return "overflow-or-conversion";
    case weft::TrapKind::StackExhausted:
      // diff.py forgives a divergence at a stack exhaustion, since each
      // engine picks its own limit; one this shallow would be a weft bug,
      // so it gets a category that is not forgiven.
      return e.trap->backtrace.size() >= kMinExhaustedDepth ? "stack" : "stack-shallow";
    case weft::TrapKind::MemoryLimit:
      return "memory-limit";
    case weft::TrapKind::HostError:  // a fuzzing-support import failed (JS: an Error thrown)
      return "host";
    default:
      return "other";
  }
}

// FNV-1a, 32-bit: cheap in JavaScript too (Math.imul).
uint32_t fnv1a(const uint8_t* p, uint64_t n) {
  uint32_t h = 0x811c9dc5u;
  for (uint64_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x01000193u;
  return h;
}

weft::Value zero_of(weft::ValType t) {
  switch (t) {
    case weft::ValType::I32:
      return weft::Value::i32(0);
    case weft::ValType::I64:
      return weft::Value::i64(0);
    case weft::ValType::F32:
      return weft::Value::f32_bits(0);
    case weft::ValType::F64:
      return weft::Value::f64_bits(0);
    default:
      return weft::Value::null(t);
  }
}

void print_log(const weft::Value& v) {
  switch (v.type) {
    case weft::ValType::I32:
      emit("log i32 %d\n", v.as_i32());
      break;
    case weft::ValType::I64:
      emit("log i64 %lld\n", static_cast<long long>(v.as_i64()));
      break;
    case weft::ValType::F32:
      emit("log f32 %s\n", f32_text(static_cast<uint32_t>(v.bits)).c_str());
      break;
    case weft::ValType::F64:
      emit("log f64 %s\n", f64_text(v.bits).c_str());
      break;
    default:
      emit("log %s\n", value_text(v).c_str());
      break;
  }
}

// Calls `f` the way the JS side does: zero arguments, results dropped. A
// trap inside comes back unchanged, so it unwinds the outer call too.
// Nesting is capped at the same depth in both runners, so the engines' own
// (different, implementation-defined) stack limits never decide a trace.
constexpr int kMaxCallbackDepth = 50;
int callback_depth = 0;

weft::Error host_failure(std::string message);

weft::Result<void> call_back(const weft::Func& f) {
  if (callback_depth >= kMaxCallbackDepth) return host_failure("callback depth limit");
  std::vector<weft::Value> args;
  for (weft::ValType t : f.type().params) args.push_back(zero_of(t));
  ++callback_depth;
  auto r = f.call(args);
  --callback_depth;
  if (!r) return std::move(r).error();
  return {};
}

weft::Error host_failure(std::string message) {
  return weft::Error::make_trap(weft::TrapKind::HostError, std::move(message));
}

// The instance, once instantiation has returned. The JS side reaches the
// exports through its one `instance` too, not through the caller: a
// function reference to a host import (call-ref of table-get, say) has no
// calling instance. In JavaScript the exports exist only once the
// constructor has returned, so a start function that reaches for them
// (call-export, table-get/set) gets a host failure there, and here too.
std::optional<weft::Instance> the_instance;

// The function export at `index` of the module's export list (all kinds
// counted, as the JS shell's list of exports does), or a host failure.
weft::Result<weft::Func> export_at(const std::vector<weft::ExportInfo>& exports, uint32_t index) {
  if (!the_instance) return host_failure("call-export: the instance is not ready");
  if (index >= exports.size())
    return host_failure("call-export: no export " + std::to_string(index));
  auto ext = the_instance->get_export(exports[index].name);
  if (!ext || !std::holds_alternative<weft::Func>(*ext)) {
    return host_failure("call-export: export " + std::to_string(index) + " is no function");
  }
  return std::get<weft::Func>(*ext);
}

weft::Result<weft::Func> func_of(const weft::Value& ref) {
  if (ref.type != weft::ValType::FuncRef || ref.is_null()) return host_failure("call-ref: null");
  return weft::Func(reinterpret_cast<weft::detail::FuncInst*>(ref.bits));
}

weft::Result<weft::Table> exported_table() {
  if (!the_instance) return host_failure("table: the instance is not ready");
  auto ext = the_instance->get_export("table");
  if (!ext || !std::holds_alternative<weft::Table>(*ext)) return host_failure("no table export");
  return std::get<weft::Table>(*ext);
}

// "callback returned", or "callback caught CATEGORY" (the reason on stderr).
void report_callback(const weft::Result<void>& r) {
  if (r) {
    emit("callback returned\n");
    return;
  }
  emit("callback caught %s\n", trap_category(r.error()));
  std::fprintf(stderr, "caught: %s\n", r.error().to_string().c_str());
}

// Calls a resolved callback target. The plain imports let a failure unwind
// their caller; the -catch ones turn it into their i32 result (1) instead.
weft::Result<void> run_callback(const weft::Result<weft::Func>& target, bool catches,
                                std::span<weft::Value> results) {
  weft::Result<void> r = target ? call_back(*target) : weft::Result<void>(target.error());
  if (!catches) return r;
  report_callback(r);
  results[0] = weft::Value::i32(r ? 0 : 1);
  return {};
}

// fuzzing-support.NAME, or nullopt when the protocol has no such import
// (then the module fails to link in both engines). `exports` outlives the
// linker: it belongs to the module.
std::optional<weft::HostFunc> fuzzing_support(const std::string& name,
                                              const std::vector<weft::ExportInfo>& exports) {
  using weft::Caller, weft::Value;
  using Args = std::span<const Value>;
  using Results = std::span<Value>;
  if (name.starts_with("log-")) {
    return [](Caller&, Args args, Results) -> weft::Result<void> {
      for (const Value& v : args) print_log(v);
      return {};
    };
  }
  if (name == "call-export" || name == "call-export-catch") {
    const bool catches = name == "call-export-catch";
    return [&exports, catches](Caller&, Args args, Results results) -> weft::Result<void> {
      const uint32_t index = args[0].as_u32();
      emit("callback export %u\n", index);
      return run_callback(export_at(exports, index), catches, results);
    };
  }
  if (name == "call-ref" || name == "call-ref-catch") {
    const bool catches = name == "call-ref-catch";
    return [catches](Caller&, Args args, Results results) -> weft::Result<void> {
      emit("callback ref\n");
      return run_callback(func_of(args[0]), catches, results);
    };
  }
  if (name == "sleep") {  // sleep(ms, id) -> id, without sleeping
    return [](Caller&, Args args, Results results) -> weft::Result<void> {
      results[0] = Value::i32(args[1].as_i32());
      return {};
    };
  }
  if (name == "table-get") {
    return [](Caller&, Args args, Results results) -> weft::Result<void> {
      auto table = exported_table();
      if (!table) return table.error();
      auto v = table->get(args[0].as_u32());
      if (!v) return host_failure("table-get: out of bounds");
      results[0] = *v;
      return {};
    };
  }
  if (name == "table-set") {
    return [](Caller&, Args args, Results) -> weft::Result<void> {
      auto table = exported_table();
      if (!table) return table.error();
      if (!table->set(args[0].as_u32(), args[1])) return host_failure("table-set: out of bounds");
      return {};
    };
  }
  return std::nullopt;
}

int run_main(int argc, char** argv) {
  const char* program = argv[0];
  std::string tier = "interp";
  if (argc >= 3 && std::strcmp(argv[1], "--tier") == 0) {
    tier = argv[2];
    argc -= 2;
    argv += 2;
  }
  if ((argc != 2 && argc != 3) || (tier != "interp" && tier != "optimized")) {
    std::fprintf(stderr, "usage: %s [--tier interp|optimized] FILE.wasm [DUMP_PREFIX]\n", program);
    return 2;
  }
  if (tier == "optimized") weft::native::enable(weft::Tier::Optimized);
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read\n", argv[1]);
    return 2;
  }
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());

  auto module = weft::Module::compile(bytes);
  if (!module) {
    // Both engines must reject; the reason goes to stderr for the report.
    emit("module invalid\n");
    std::fprintf(stderr, "%s\n", module.error().to_string().c_str());
    return 0;
  }

  weft::Store store;
  weft::Linker linker;
  // Each import the protocol knows gets the type the module declares for it
  // (binaryen versions differ, e.g. call-export takes (i32) or (i32 i32)).
  for (const weft::ImportInfo& imp : module.value()->imports()) {
    if (imp.module == "__fuzz_import" && imp.kind == weft::ExternKind::Global &&
        weft::is_ref(imp.global.type)) {
      auto g = store.create_global(imp.global, weft::Value::null(imp.global.type));
      if (g) linker.define(imp.module, imp.name, *g);
      continue;
    }
    if (imp.module != "fuzzing-support" || imp.kind != weft::ExternKind::Func) continue;
    if (auto fn = fuzzing_support(imp.name, module.value()->exports())) {
      linker.func(imp.module, imp.name, imp.func, std::move(*fn));
    }
  }

  auto instance = linker.instantiate(store, module.value());
  if (!instance) {
    if (instance.error().is_trap()) {
      emit("module start-trap %s\n", trap_category(instance.error()));
    } else {
      emit("module link-error\n");
    }
    std::fprintf(stderr, "%s\n", instance.error().to_string().c_str());
    return 0;
  }
  emit("module ok\n");
  the_instance = instance.value();

  const auto hang_reset = instance.value().get_func("hangLimitInitializer");
  for (const weft::ExportInfo& e : module.value()->exports()) {
    if (e.kind != weft::ExternKind::Func) continue;
    emit("call %s\n", e.name.c_str());
    if (hang_reset) (void)hang_reset->call({});
    std::vector<weft::Value> args;
    for (weft::ValType t : e.func.params) args.push_back(zero_of(t));
    auto results = instance.value().get_func(e.name)->call(args);
    if (!results) {
      emit("trap %s\n", trap_category(results.error()));
      continue;
    }
    std::string line = "return";
    for (const weft::Value& v : results.value()) line += " " + value_text(v);
    emit("%s\n", line.c_str());
  }
  for (const weft::ExportInfo& e : module.value()->exports()) {
    if (e.kind != weft::ExternKind::Global) continue;
    emit("global %s %s\n", e.name.c_str(),
         value_text(instance.value().get_global(e.name)->get()).c_str());
  }
  for (const weft::ExportInfo& e : module.value()->exports()) {
    if (e.kind != weft::ExternKind::Memory) continue;
    const weft::Memory mem = *instance.value().get_memory(e.name);
    emit("memory %s %llu %08x\n", e.name.c_str(), static_cast<unsigned long long>(mem.pages()),
         fnv1a(mem.data(), mem.size_bytes()));
    if (argc == 3) {
      std::ofstream dump(std::string(argv[2]) + "." + e.name, std::ios::binary);
      dump.write(reinterpret_cast<const char*>(mem.data()),
                 static_cast<std::streamsize>(mem.size_bytes()));
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int status = run_main(argc, argv);
  weft::native::stop_background_compiles();
  return status;
}
