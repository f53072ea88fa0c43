// The byte-for-byte comparison with wasm-tools (component_jco_compare.py),
// run as a unit test, and the encoder side of that script.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "wasm/text/wat.h"

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

// With WEFT_COMPONENT_DUMP_DIR set, encodes each DIR/N.wat into N.weft.wasm,
// or writes the error to N.weft.err; the comparison script calls this.
TEST(ComponentJcoDump, EncodeDirectory) {
  const char* dir = std::getenv("WEFT_COMPONENT_DUMP_DIR");
  if (dir == nullptr) GTEST_SKIP() << "WEFT_COMPONENT_DUMP_DIR is not set";
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path& path = entry.path();
    if (path.extension() != ".wat") continue;
    const std::string source = read_text(path);
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
}

// Every text component of the reference tests encodes exactly as jco parse
// (wasm-tools) does. Skipped when node, jco or the tests are missing.
TEST(ComponentJco, ReferenceTestsMatchWasmTools) {
  if (std::getenv("WEFT_COMPONENT_DUMP_DIR") != nullptr) GTEST_SKIP() << "dumping";
  const fs::path root = WEFT_SOURCE_DIR;
  const fs::path script = root / "tests/wasm/text/component_jco_compare.py";
  const fs::path tests = root / "../shared/component-model-tests";
  const fs::path jco = root / "tools/jco/node_modules/@bytecodealliance/jco-transpile";
  if (!fs::exists(tests) || !fs::exists(jco) ||
      std::system("node --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "node, jco or the reference tests are missing";
  }
  const fs::path self = fs::read_symlink("/proc/self/exe");
  const std::string command = "python3 " + script.string() + " --encoder " + self.string() +
                              " --tests " + tests.string() + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  EXPECT_EQ(status, 0) << output;
}
