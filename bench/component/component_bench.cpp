// bench_component: the cost of crossing a component boundary, each next to
// a reference measured in the same run:
//   (a) host → component: a string of 1 KiB in and out (echo), and a
//       list<u8> of 1 KiB; reference: the same core function called with
//       (ptr, len) by the host, no lifting or lowering;
//   (b) component → component: a caller component calls a callee's string
//       echo in a loop inside wasm (fused lower∘lift, both copies made);
//       reference: a core loop calling a core function that copies the
//       1 KiB in and out with memory.copy (what the copies cost at least);
//
//   (c) with CORE.wasm and COMPONENT.wasm (a command module and the same
//       module adapted into a component by jco; run.sh builds both from
//       tests/component/guests/hello.c): instantiation of the component on
//       the WASI 0.2 host against instantiation of the module on preview1,
//       each in a fresh Store, as a request would.
//
// usage: bench_component [ITERATIONS [ONLY [CORE.wasm COMPONENT.wasm]]]
// (default 100000; ONLY is string, bytes, fused, instantiate or all)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "wasm/text/wat.h"
#include "weft/component.h"
#include "weft/wasi.h"
#include "weft/wasi_p2.h"
#include "weft/weft.h"

namespace {

using weft::component::Val;
using Clock = std::chrono::steady_clock;

double seconds_per(const std::function<void()>& fn, uint64_t iterations) {
  for (uint64_t i = 0; i < iterations / 10 + 1; ++i) fn();  // warm up
  auto start = Clock::now();
  for (uint64_t i = 0; i < iterations; ++i) fn();
  return std::chrono::duration<double>(Clock::now() - start).count() /
         static_cast<double>(iterations);
}

[[noreturn]] void die(const std::string& what, const weft::Error& e) {
  std::fprintf(stderr, "bench_component: %s: %s\n", what.c_str(), e.to_string().c_str());
  std::exit(1);
}

std::vector<uint8_t> wat(const std::string& text) {
  auto bytes = weft::text::wat_to_wasm(text, "bench.wat");
  if (!bytes) die("wat", bytes.error());
  return bytes.value();
}

// A guest "allocator" that always hands out the same 60 KiB region: each
// call's arguments are consumed before the next call, so nothing leaks.
const char* kMemory = R"wat(
  (core module $Mem
    (memory (export "mem") 4)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 65536)))
  (core instance $mem (instantiate $Mem)))wat";

// echo(ptr, len) -> retptr: returns its argument, as a string or list<u8>.
const char* kEcho = R"wat(
  (core module $Echo
    (import "mem" "mem" (memory 1))
    (func (export "echo") (param i32 i32) (result i32)
      (i32.store (i32.const 16) (local.get 0))
      (i32.store (i32.const 20) (local.get 1))
      (i32.const 16)))
  (core instance $echo (instantiate $Echo (with "mem" (instance $mem)))))wat";

std::string host_component() {
  return std::string("(component ") + kMemory + kEcho + R"wat(
    (func (export "echo-string") (param "s" string) (result string)
      (canon lift (core func $echo "echo") (memory (core memory $mem "mem")) (realloc (core func $mem "realloc"))))
    (func (export "echo-bytes") (param "b" (list u8)) (result (list u8))
      (canon lift (core func $echo "echo") (memory (core memory $mem "mem")) (realloc (core func $mem "realloc")))))
  )wat";
}

std::string fused_component() {
  return std::string(R"wat((component
    (component $Callee )wat") +
         kMemory + kEcho + R"wat(
      (func (export "echo") (param "s" string) (result string)
        (canon lift (core func $echo "echo") (memory (core memory $mem "mem")) (realloc (core func $mem "realloc")))))
    (component $Caller
      (import "echo" (func $echo (param "s" string) (result string)))
      (core module $Mem
        (memory (export "mem") 4)
        (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 131072)))
      (core instance $mem (instantiate $Mem))
      (core func $echo_lowered (canon lower (func $echo) (memory (core memory $mem "mem")) (realloc (core func $mem "realloc"))))
      (core module $Loop
        (import "mem" "mem" (memory 1))
        (import "" "echo" (func $echo (param i32 i32 i32)))
        (func (export "run") (param $n i32)
          (loop $l
            (call $echo (i32.const 4096) (i32.const 1024) (i32.const 32))
            (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
      (core instance $imports (export "echo" (func $echo_lowered)))
      (core instance $loop (instantiate $Loop (with "mem" (instance $mem)) (with "" (instance $imports))))
      (func (export "run") (param "n" u32) (canon lift (core func $loop "run"))))
    (instance $callee (instantiate $Callee))
    (instance $caller (instantiate $Caller (with "echo" (func $callee "echo"))))
    (export "run" (func $caller "run"))))wat";
}

// The reference for (b): a core loop calling a core function that copies
// 1 KiB in and 1 KiB out.
const char* kCoreLoop = R"wat((module
  (memory 4)
  (func $copy (param i32 i32 i32)
    (memory.copy (i32.const 65536) (local.get 0) (local.get 1))
    (memory.copy (i32.const 131072) (i32.const 65536) (local.get 1))
    (i32.store (local.get 2) (i32.const 131072))
    (i32.store offset=4 (local.get 2) (local.get 1)))
  (func (export "run") (param $n i32)
    (loop $l
      (call $copy (i32.const 4096) (i32.const 1024) (i32.const 32))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "echo") (param i32 i32) (result i32)
    (i32.store (i32.const 16) (local.get 0))
    (i32.store (i32.const 20) (local.get 1))
    (i32.const 16))))wat";

void report(const char* what, double t, const char* ref_what, double ref) {
  std::printf("%-44s %9.3f µs   %-34s %9.3f µs   ratio %.2f\n", what, t * 1e6, ref_what, ref * 1e6,
              t / ref);
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t iterations = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  const std::string only = argc > 2 ? argv[2] : "all";
  auto wanted = [&](const char* name) { return only == "all" || only == name; };
  weft::Store store;
  weft::component::ComponentLinker linker;

  // (a) host → component.
  auto hc = weft::component::Component::compile(wat(host_component()));
  if (!hc) die("host component", hc.error());
  auto hi = linker.instantiate(store, hc.value());
  if (!hi) die("instantiate", hi.error());
  const weft::component::ComponentInstance inst = hi.value();
  const std::string kib(1024, 'x');
  // Packed (Val::bytes), as a host passes a body or a buffer.
  std::string byte_data;
  for (int i = 0; i < 1024; ++i) byte_data.push_back(static_cast<char>(i));
  const Val bytes = Val::bytes(byte_data);

  auto core = weft::Module::compile(wat(kCoreLoop));
  if (!core) die("core module", core.error());
  weft::Linker core_linker;
  auto ci = core_linker.instantiate(store, core.value());
  if (!ci) die("core instantiate", ci.error());
  weft::Func core_echo = *ci.value().get_func("echo");
  weft::Func core_run = *ci.value().get_func("run");
  const weft::Value echo_args[2] = {weft::Value::i32(4096), weft::Value::i32(1024)};

  const double t_core_call = seconds_per([&] { (void)core_echo.call(echo_args); }, iterations);
  if (wanted("string")) {
    const double t_string = seconds_per(
        [&] {
          auto r = inst.call("echo-string", {Val::string(kib)});
          if (!r || r.value()->str.size() != 1024)
            die("echo-string", r ? weft::Error::usage("bad result") : r.error());
        },
        iterations);
    report("host→component string (1 KiB) round trip", t_string, "core call (ptr, len)",
           t_core_call);
  }
  if (wanted("bytes")) {
    const double t_bytes = seconds_per(
        [&] {
          auto r = inst.call("echo-bytes", {bytes});
          if (!r || r.value()->list_size() != 1024)
            die("echo-bytes", r ? weft::Error::usage("bad result") : r.error());
        },
        iterations / 10 + 1);
    report("host→component list<u8> (1 KiB) round trip", t_bytes, "core call (ptr, len)",
           t_core_call);
  }
  if (wanted("fused")) {
    // (b) component → component, per call of the loop.
    auto fc = weft::component::Component::compile(wat(fused_component()));
    if (!fc) die("fused component", fc.error());
    auto fi = linker.instantiate(store, fc.value());
    if (!fi) die("instantiate fused", fi.error());
    const uint32_t loop = 1000;
    const uint64_t outer = iterations / loop + 1;
    const double t_fused = seconds_per(
                               [&] {
                                 auto r = fi.value().call("run", {Val::u32(loop)});
                                 if (!r) die("run", r.error());
                               },
                               outer) /
                           loop;
    const weft::Value run_args[1] = {weft::Value::i32(static_cast<int32_t>(loop))};
    const double t_core_loop = seconds_per([&] { (void)core_run.call(run_args); }, outer) / loop;
    report("component→component string (1 KiB) call", t_fused, "core call + 2 KiB memory.copy",
           t_core_loop);
  }
  if (argc > 4 && wanted("instantiate")) {
    auto read = [](const char* path) {
      std::ifstream f(path, std::ios::binary);
      if (!f) die(path, weft::Error::io("cannot read"));
      return std::vector<uint8_t>{std::istreambuf_iterator<char>(f), {}};
    };
    auto module = weft::Module::compile(read(argv[3]));
    if (!module) die(argv[3], module.error());
    auto component = weft::component::Component::compile(read(argv[4]));
    if (!component) die(argv[4], component.error());
    weft::Linker p1;
    weft::wasi::add_to_linker(p1);
    auto ctx = weft::wasi::Context::create({});
    if (!ctx) die("wasi context", ctx.error());
    weft::component::ComponentLinker p2;
    auto state = weft::wasi::add_wasi_p2(p2, weft::wasi::Config{});
    if (!state) die("wasi 0.2", state.error());
    const uint64_t n = iterations / 10 + 1;
    const double t_module = seconds_per(
        [&] {
          weft::Store s;
          s.set_user_data(ctx.value().get());
          auto r = p1.instantiate(s, module.value());
          if (!r) die("instantiate module", r.error());
        },
        n);
    const double t_component = seconds_per(
        [&] {
          weft::Store s;
          auto r = p2.instantiate(s, component.value());
          if (!r) die("instantiate component", r.error());
        },
        n);
    report("instantiate hello component (WASI 0.2)", t_component, "the core module (preview1)",
           t_module);
  }
  return 0;
}
