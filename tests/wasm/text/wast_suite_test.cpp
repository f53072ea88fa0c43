// Differential test of weft's text parser against the spec test suite and
// wabt. Every non-SIMD script must parse; where wast2json can convert a
// script, the command counts must agree and every binary module weft encodes
// must be byte-identical to the .wasm file wast2json wrote for it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "wasm/text/wat.h"

namespace fs = std::filesystem;

namespace {

const fs::path kSuite = fs::path(WEFT_SOURCE_DIR) / ".." / "shared" / "wasm-testsuite";

std::vector<fs::path> suite_files() {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const fs::path& dir : {kSuite, kSuite / "proposals" / "extended-const"}) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const fs::path& p = entry.path();
      if (p.extension() != ".wast") continue;
      if (p.filename().string().rfind("simd_", 0) == 0) continue;
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string label(const fs::path& p) {
  return p.parent_path().filename().string() + "/" + p.filename().string();
}

TEST(WastSuite, EveryScriptParses) {
  const auto files = suite_files();
  ASSERT_GT(files.size(), 80u) << "spec test suite not found at " << kSuite;
  int failures = 0;
  for (const fs::path& path : files) {
    const std::string source = read_file(path);
    auto script = weft::text::parse_wast(source, path.filename().string());
    if (!script.ok()) {
      ++failures;
      ADD_FAILURE() << label(path) << ": " << script.error().message;
    }
  }
  EXPECT_EQ(failures, 0);
}

// The JSON command type for each of our kinds.
const char* json_type(weft::wast::Command::Kind kind) {
  using K = weft::wast::Command::Kind;
  switch (kind) {
    case K::Module:
      return "module";
    case K::Register:
      return "register";
    case K::Action:
      return "action";
    case K::AssertReturn:
      return "assert_return";
    case K::AssertTrap:
      return "assert_trap";
    case K::AssertExhaustion:
      return "assert_exhaustion";
    case K::AssertException:
      return "assert_exception";
    case K::AssertMalformed:
      return "assert_malformed";
    case K::AssertInvalid:
      return "assert_invalid";
    case K::AssertUnlinkable:
      return "assert_unlinkable";
    case K::AssertUninstantiable:
      return "assert_uninstantiable";
  }
  return "?";
}

bool wast2json(const fs::path& wast, const fs::path& json) {
  const std::string cmd = "wast2json --enable-extended-const '" + wast.string() + "' -o '" +
                          json.string() + "' > /dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// Quoted modules are parsed by the runner: the ones in assert_malformed must
// fail to parse, every other one must parse.
TEST(WastSuite, QuotedModulesParseOrFailAsExpected) {
  int malformed = 0, accepted = 0;
  for (const fs::path& path : suite_files()) {
    const std::string source = read_file(path);
    auto script = weft::text::parse_wast(source, path.filename().string());
    if (!script.ok()) continue;  // reported by EveryScriptParses
    for (const auto& cmd : script->commands) {
      if (cmd.module.kind != weft::wast::ModuleSource::Kind::Quote) continue;
      auto bytes = weft::text::wat_to_wasm(cmd.module.text, "quote");
      if (cmd.kind == weft::wast::Command::Kind::AssertMalformed) {
        ++malformed;
        EXPECT_FALSE(bytes.ok()) << label(path) << ":" << cmd.line
                                 << ": accepted malformed module (" << cmd.text
                                 << "): " << cmd.module.text;
      } else {
        ++accepted;
        EXPECT_TRUE(bytes.ok()) << label(path) << ":" << cmd.line << ": "
                                << (bytes.ok() ? "" : bytes.error().message);
      }
    }
  }
  std::printf("%d quoted malformed modules rejected, %d other quoted modules parsed\n", malformed,
              accepted);
  EXPECT_GT(malformed, 100);
}

TEST(WastSuite, BinariesMatchWast2json) {
  if (std::system("wast2json --version > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "wast2json not installed";
  }
  const fs::path work = fs::path(WEFT_BINARY_DIR) / "text-suite-json";
  int compared = 0, identical = 0, converted = 0, patched_count = 0;
  for (const fs::path& path : suite_files()) {
    const std::string stem = path.stem().string();
    const fs::path dir = work / (path.parent_path().filename().string() + "-" + stem);
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path json_path = dir / (stem + ".json");
    if (!wast2json(path, json_path)) {
      // wabt 1.0.32 needs the table index of table.get/set/size/grow/fill
      // spelled out; give it a copy that does (same lines, same meaning).
      const fs::path patched = dir / ("patched-" + stem + ".wast");
      std::string text = read_file(path);
      text = std::regex_replace(text, std::regex(R"(\((table\.(get|set|size|grow|fill)) \()"),
                                "($1 0 (");
      text = std::regex_replace(text, std::regex(R"(table\.size\))"), "table.size 0)");
      std::ofstream(patched, std::ios::binary) << text;
      if (!wast2json(patched, json_path)) {
        ADD_FAILURE() << label(path) << ": wast2json cannot convert even a patched copy";
        continue;
      }
      ++patched_count;
    }
    ++converted;
    const std::string source = read_file(path);
    auto script = weft::text::parse_wast(source, path.filename().string());
    if (!script.ok()) continue;  // reported by EveryScriptParses
    const auto json = nlohmann::json::parse(read_file(json_path));
    const auto& commands = json["commands"];

    std::map<std::string, int> theirs, ours;
    for (const auto& c : commands) ++theirs[c["type"].get<std::string>()];
    for (const auto& c : script->commands) ++ours[json_type(c.kind)];
    EXPECT_EQ(theirs, ours) << label(path) << ": command counts differ";
    if (commands.size() != script->commands.size()) continue;

    for (size_t i = 0; i < commands.size(); ++i) {
      const auto& theirs_cmd = commands[i];
      const auto& our_cmd = script->commands[i];
      if (!theirs_cmd.contains("filename")) continue;
      const std::string file = theirs_cmd["filename"].get<std::string>();
      if (file.size() < 5 || file.substr(file.size() - 5) != ".wasm") continue;
      EXPECT_EQ(our_cmd.line, theirs_cmd["line"].get<uint32_t>()) << label(path) << " #" << i;
      if (our_cmd.module.kind != weft::wast::ModuleSource::Kind::Binary) {
        ADD_FAILURE() << label(path) << ":" << our_cmd.line << ": we have no binary";
        continue;
      }
      const std::string expected_text = read_file(dir / file);
      const std::vector<uint8_t> expected(expected_text.begin(), expected_text.end());
      ++compared;
      if (expected == our_cmd.module.bytes) {
        ++identical;
      } else {
        ADD_FAILURE() << label(path) << ":" << our_cmd.line << ": binary differs from " << file;
      }
    }
  }
  std::printf(
      "converted %d scripts (%d patched); %d of %d binary modules identical to wast2json's\n",
      converted, patched_count, identical, compared);
  EXPECT_EQ(converted, static_cast<int>(suite_files().size()));
  EXPECT_EQ(identical, compared);
}

}  // namespace
