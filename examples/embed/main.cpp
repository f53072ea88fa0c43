// Embeds weft: loads a module, gives it a host function, calls an export.
// Usage: embed [FILE.wasm [N]] — the module must import env.triple
// (i32) -> i32 and export run (i32) -> i32; without FILE it uses the one
// below: (func (export "run") (param i32) (result i32)
//          (i32.add (call $triple (local.get 0)) (i32.const 1)))
#include <weft/weft.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

static const std::vector<uint8_t> kBuiltin = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01,
    0x7f, 0x02, 0x0e, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x74, 0x72, 0x69, 0x70, 0x6c, 0x65,
    0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x01,
    0x0a, 0x0b, 0x01, 0x09, 0x00, 0x20, 0x00, 0x10, 0x00, 0x41, 0x01, 0x6a, 0x0b};

static int fail(const weft::Error& e) { return std::fprintf(stderr, "%s\n", e.to_string().c_str()), 1; }

int main(int argc, char** argv) {
  std::vector<uint8_t> bytes = kBuiltin;
  if (argc > 1) {
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) return std::fprintf(stderr, "cannot read %s\n", argv[1]), 1;
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const int32_t n = argc > 2 ? std::atoi(argv[2]) : 14;

  auto module = weft::Module::compile(bytes);  // decode, validate, compile
  if (!module) return fail(module.error());
  weft::Linker linker;  // host functions here serve every store
  linker.func("env", "triple", {{weft::ValType::I32}, {weft::ValType::I32}},
              [](weft::Caller&, std::span<const weft::Value> args, std::span<weft::Value> results) {
                results[0] = weft::Value::i32(args[0].as_i32() * 3);
                return weft::Result<void>{};
              });
  weft::Store store;  // one per run (request)
  auto instance = linker.instantiate(store, *module);
  if (!instance) return fail(instance.error());
  auto run = instance->get_func("run");
  if (!run) return std::fprintf(stderr, "no export \"run\"\n"), 1;
  const weft::Value arg = weft::Value::i32(n);
  auto results = run->call({&arg, 1});
  if (!results) return fail(results.error());
  std::printf("run(%d) = %d\n", n, results->at(0).as_i32());
}
