// Helpers for the interpreter/validator tests: WAT → bytes through wabt's
// wat2wasm, and compile + instantiate through the public API.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "weft/weft.h"

namespace weft::testing {

inline std::vector<uint8_t> wat2wasm(const std::string& text) {
  char dir[] = "/tmp/weft-interp-XXXXXX";
  if (mkdtemp(dir) == nullptr) return {};
  std::string wat_path = std::string(dir) + "/m.wat";
  std::string wasm_path = std::string(dir) + "/m.wasm";
  {
    std::ofstream out(wat_path);
    out << text;
  }
  std::string cmd = "wat2wasm --enable-all --disable-simd --no-check " + wat_path + " -o " +
                    wasm_path + " 2>" + std::string(dir) + "/err.txt";
  std::vector<uint8_t> bytes;
  if (std::system(cmd.c_str()) == 0) {
    std::ifstream in(wasm_path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::remove(wat_path.c_str());
  std::remove(wasm_path.c_str());
  std::remove((std::string(dir) + "/err.txt").c_str());
  rmdir(dir);
  return bytes;
}

struct Instantiated {
  std::unique_ptr<Store> store;
  std::shared_ptr<const Module> module;
  Instance instance;
};

inline Result<Instantiated> instantiate_wat(const std::string& text, StoreLimits limits = {}) {
  std::vector<uint8_t> bytes = wat2wasm(text);
  if (bytes.empty()) return Error::usage("wat2wasm failed");
  auto module = Module::compile(bytes);
  if (!module) return module.error();
  Instantiated out;
  out.store = std::make_unique<Store>(limits);
  out.module = module.value();
  Linker linker;
  auto inst = linker.instantiate(*out.store, out.module);
  if (!inst) return inst.error();
  out.instance = inst.value();
  return out;
}

}  // namespace weft::testing
