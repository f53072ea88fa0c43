// The byte-for-byte comparison with wasm-tools (component_jco_compare.py),
// run as a unit test; weft's side is the wat_encode_dir tool.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "wasm/text/wat.h"

namespace fs = std::filesystem;

// Every text component of the reference tests encodes exactly as jco parse
// (wasm-tools) does. scripts/setup.sh installs node and jco, so their
// absence is a failure, not a reason to skip.
TEST(ComponentJco, ReferenceTestsMatchWasmTools) {
  const fs::path root = WEFT_SOURCE_DIR;
  const fs::path script = root / "tests/wasm/text/component_jco_compare.py";
  const fs::path tests = root / "../shared/component-model-tests";
  const fs::path jco = root / "tools/jco/node_modules/@bytecodealliance/jco-transpile";
  if (!fs::exists(tests) || !fs::exists(jco) ||
      std::system("node --version >/dev/null 2>&1") != 0) {
    FAIL() << "node, jco (tools/jco, installed by scripts/setup.sh) or the reference tests are "
              "missing";
  }
  const std::string command = "python3 " + script.string() + " --encoder " + WEFT_WAT_ENCODE_DIR +
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
