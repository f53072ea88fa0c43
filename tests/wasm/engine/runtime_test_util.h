// Helpers for the runtime/API tests: build modules from WAT with wabt's
// wat2wasm at test time.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "weft/weft.h"

namespace weft::runtime_test {

// Returns the binary for `wat`, or an empty vector (with a test failure) if
// wat2wasm rejects it.
inline std::vector<uint8_t> wat_to_wasm(const std::string& wat) {
  char dir_template[] = "/tmp/weft-runtime-test-XXXXXX";
  char* dir = mkdtemp(dir_template);
  if (dir == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return {};
  }
  std::string wat_path = std::string(dir) + "/m.wat";
  std::string wasm_path = std::string(dir) + "/m.wasm";
  {
    std::ofstream out(wat_path);
    out << wat;
  }
  std::string command = "wat2wasm --enable-extended-const " + wat_path + " -o " + wasm_path +
                        " 2>" + std::string(dir) + "/err";
  int status = std::system(command.c_str());
  std::vector<uint8_t> bytes;
  if (status != 0) {
    std::ifstream err(std::string(dir) + "/err");
    std::string text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    ADD_FAILURE() << "wat2wasm failed: " << text;
  } else {
    std::ifstream in(wasm_path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::remove(wat_path.c_str());
  std::remove(wasm_path.c_str());
  std::remove((std::string(dir) + "/err").c_str());
  rmdir(dir);
  return bytes;
}

inline std::shared_ptr<const Module> compile_wat(const std::string& wat) {
  std::vector<uint8_t> bytes = wat_to_wasm(wat);
  if (bytes.empty()) return nullptr;
  auto module = Module::compile(bytes);
  if (!module) {
    ADD_FAILURE() << "compile failed: " << module.error().to_string();
    return nullptr;
  }
  return *module;
}

}  // namespace weft::runtime_test
