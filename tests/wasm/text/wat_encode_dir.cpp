// wat_encode_dir DIR: encodes each DIR/N.wat with weft's text parser into
// DIR/N.weft.wasm, or writes the error to DIR/N.weft.err. The encoder side
// of component_jco_compare.py (ctest: ComponentJco.ReferenceTestsMatchWasmTools).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "wasm/text/wat.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: wat_encode_dir DIR\n");
    return 2;
  }
  for (const auto& entry : fs::directory_iterator(argv[1])) {
    const fs::path& path = entry.path();
    if (path.extension() != ".wat") continue;
    std::ifstream in(path, std::ios::binary);
    const std::string source{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto bytes = weft::text::wat_to_wasm(source, path.filename().string());
    fs::path out = path;
    if (bytes.ok()) {
      out.replace_extension(".weft.wasm");
      std::ofstream(out, std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes->data()),
                 static_cast<std::streamsize>(bytes->size()));
    } else {
      out.replace_extension(".weft.err");
      std::ofstream(out) << bytes.error().message;
    }
  }
  return 0;
}
