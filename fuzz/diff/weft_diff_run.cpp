// weft's side of the differential oracle: runs one module the way
// fuzz/diff/v8_run.mjs runs it in V8 and prints the same trace, so
// fuzz/diff/diff.py can compare the two line by line.
//
// The protocol (binaryen's fuzz-exec, which `wasm-opt -ttf` modules are
// written for): the imports are fuzzing-support.log-{i32,i64,f32,f64},
// which log their argument; every exported function is called in export
// order with zero (or null) arguments, after `hangLimitInitializer` when
// the module exports it; after the last call each exported memory is
// hashed. Floats print as bit patterns, any NaN as "nan" (the spec leaves
// payloads nondeterministic). Traps print as a category that both engines'
// messages map onto, so a different trap is a mismatch too.
//
// usage: weft_diff_run FILE.wasm [DUMP_PREFIX]
//   exit 0 whenever a trace was printed; with DUMP_PREFIX, each exported
//   memory is also written to DUMP_PREFIX.NAME (to find where a hash differs)
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "weft/weft.h"

namespace {

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
    case weft::ValType::V128:
      return "v128";
  }
  return "?";
}

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
      return "stack";
    case weft::TrapKind::MemoryLimit:
      return "memory-limit";
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

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: %s FILE.wasm\n", argv[0]);
    return 2;
  }
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
    std::printf("module invalid\n");
    std::fprintf(stderr, "%s\n", module.error().to_string().c_str());
    return 0;
  }

  weft::Linker linker;
  auto log = [](weft::ValType t) {
    return [t](weft::Caller&, std::span<const weft::Value> args, std::span<weft::Value>) {
      const weft::Value& v = args[0];
      switch (t) {
        case weft::ValType::I32:
          std::printf("log i32 %d\n", v.as_i32());
          break;
        case weft::ValType::I64:
          std::printf("log i64 %lld\n", static_cast<long long>(v.as_i64()));
          break;
        case weft::ValType::F32:
          std::printf("log f32 %s\n", f32_text(static_cast<uint32_t>(v.bits)).c_str());
          break;
        default:
          std::printf("log f64 %s\n", f64_text(v.bits).c_str());
          break;
      }
      return weft::Result<void>{};
    };
  };
  for (auto [name, t] :
       {std::pair{"log-i32", weft::ValType::I32}, std::pair{"log-i64", weft::ValType::I64},
        std::pair{"log-f32", weft::ValType::F32}, std::pair{"log-f64", weft::ValType::F64}}) {
    linker.func("fuzzing-support", name, weft::FuncType{{t}, {}}, log(t));
  }

  weft::Store store;
  auto instance = linker.instantiate(store, module.value());
  if (!instance) {
    if (instance.error().is_trap()) {
      std::printf("module start-trap %s\n", trap_category(instance.error()));
    } else {
      std::printf("module link-error\n");
    }
    std::fprintf(stderr, "%s\n", instance.error().to_string().c_str());
    return 0;
  }
  std::printf("module ok\n");

  const auto hang_reset = instance.value().get_func("hangLimitInitializer");
  for (const weft::ExportInfo& e : module.value()->exports()) {
    if (e.kind != weft::ExternKind::Func) continue;
    std::printf("call %s\n", e.name.c_str());
    if (hang_reset) (void)hang_reset->call({});
    std::vector<weft::Value> args;
    for (weft::ValType t : e.func.params) args.push_back(zero_of(t));
    auto results = instance.value().get_func(e.name)->call(args);
    if (!results) {
      std::printf("trap %s\n", trap_category(results.error()));
      continue;
    }
    std::string line = "return";
    for (const weft::Value& v : results.value()) line += " " + value_text(v);
    std::printf("%s\n", line.c_str());
  }
  for (const weft::ExportInfo& e : module.value()->exports()) {
    if (e.kind != weft::ExternKind::Memory) continue;
    const weft::Memory mem = *instance.value().get_memory(e.name);
    std::printf("memory %s %llu %08x\n", e.name.c_str(),
                static_cast<unsigned long long>(mem.pages()), fnv1a(mem.data(), mem.size_bytes()));
    if (argc == 3) {
      std::ofstream dump(std::string(argv[2]) + "." + e.name, std::ios::binary);
      dump.write(reinterpret_cast<const char*>(mem.data()),
                 static_cast<std::streamsize>(mem.size_bytes()));
    }
  }
  return 0;
}
