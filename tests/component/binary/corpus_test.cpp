// The decoder on real components: fuzz/corpus/component holds the binaries
// that wasm-tools' parser (scripts/jco parse) made from the Component Model
// reference tests (fuzz/make_component_corpus.py). Each is syntactically
// valid unless its name says `_malformed`; every valid one must decode, and
// every proper prefix of some must fail cleanly, as must byte flips.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "component/binary/decoder.h"

namespace weft::component {
namespace {

using namespace ast;
namespace fs = std::filesystem;

struct CorpusFile {
  std::string name;
  std::vector<uint8_t> bytes;
};

const std::vector<CorpusFile>& corpus() {
  static const std::vector<CorpusFile> files = [] {
    std::vector<CorpusFile> out;
    const fs::path dir = fs::path(WEFT_SOURCE_DIR) / "fuzz" / "corpus" / "component";
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".wasm") continue;
      std::ifstream in(entry.path(), std::ios::binary);
      out.push_back({entry.path().filename().string(),
                     std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                                          std::istreambuf_iterator<char>())});
    }
    std::sort(out.begin(), out.end(),
              [](const CorpusFile& a, const CorpusFile& b) { return a.name < b.name; });
    return out;
  }();
  return files;
}

bool is_malformed_seed(const std::string& name) {
  return name.find("_malformed") != std::string::npos;
}

// Seeds the reference tests call malformed whose fault this decoder leaves
// to later stages by design, each with the reason.
const std::set<std::string>& accepted_malformed() {
  static const std::set<std::string> names = {
      // Inside an embedded core module, which the validator decodes
      // ("section out of order", "expected a version header for a module").
      "binary_binary_40_malformed.wasm",
      "binary_binary_41_malformed.wasm",
  };
  return names;
}

// Well-formed seeds this decoder rejects on purpose.
const std::set<std::string>& rejected_valid() {
  static const std::set<std::string> names = {};  // none: the bar
  return names;
}

TEST(ComponentCorpus, IsNotEmpty) { EXPECT_GT(corpus().size(), 100u); }

TEST(ComponentCorpus, ValidSeedsDecode) {
  size_t decoded = 0;
  for (const CorpusFile& f : corpus()) {
    if (is_malformed_seed(f.name)) continue;
    auto result = decode_component(f.bytes);
    if (rejected_valid().count(f.name)) {
      EXPECT_FALSE(result.ok()) << f.name;
      continue;
    }
    ASSERT_TRUE(result.ok()) << f.name << ": " << result.error().to_string();
    EXPECT_EQ(result->bytes, f.bytes);
    EXPECT_EQ(result->root.range.end, f.bytes.size());
    for (ByteRange m : result->root.core_modules) {
      ASSERT_GE(m.size(), 8u) << f.name;
      EXPECT_EQ(f.bytes[m.begin + 4], 0x01) << f.name;  // core module version
    }
    ++decoded;
  }
  EXPECT_GT(decoded, 100u);
}

// wasm-tools writes a component-name section for components with $ids;
// each must decode (binary.wast has deliberately broken ones, skipped here).
void expect_names(const Component& c, const std::string& name, size_t& named) {
  for (const CustomSection& s : c.customs) {
    if (s.name != "component-name") continue;
    EXPECT_TRUE(c.names.has_value()) << name;
    if (c.names && !c.names->sorts.empty()) ++named;
  }
  for (const auto& child : c.components) expect_names(*child, name, named);
}

TEST(ComponentCorpus, NameSectionsDecode) {
  size_t named = 0;
  for (const CorpusFile& f : corpus()) {
    if (is_malformed_seed(f.name) || f.name.rfind("binary_", 0) == 0) continue;
    auto result = decode_component(f.bytes);
    ASSERT_TRUE(result.ok()) << f.name;
    expect_names(result->root, f.name, named);
  }
  EXPECT_GT(named, 50u);
}

TEST(ComponentCorpus, MalformedSeedsFail) {
  size_t rejected = 0;
  for (const CorpusFile& f : corpus()) {
    if (!is_malformed_seed(f.name)) continue;
    auto result = decode_component(f.bytes);
    if (accepted_malformed().count(f.name)) {
      EXPECT_TRUE(result.ok()) << f.name;
      continue;
    }
    EXPECT_FALSE(result.ok()) << f.name << " decoded";
    if (!result.ok()) {
      EXPECT_EQ(result.error().kind, ErrorKind::Malformed);
      EXPECT_LE(result.error().offset, f.bytes.size()) << f.name;
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 20u);
}

// The largest few valid seeds, where most of the grammar is exercised.
std::vector<const CorpusFile*> largest(size_t n) {
  std::vector<const CorpusFile*> out;
  for (const CorpusFile& f : corpus()) {
    if (!is_malformed_seed(f.name) && !rejected_valid().count(f.name)) out.push_back(&f);
  }
  std::sort(out.begin(), out.end(), [](const CorpusFile* a, const CorpusFile* b) {
    return a->bytes.size() > b->bytes.size();
  });
  if (out.size() > n) out.resize(n);
  return out;
}

TEST(ComponentCorpus, EveryProperPrefixFails) {
  for (const CorpusFile* f : largest(6)) {
    auto full = decode_component(f->bytes);
    ASSERT_TRUE(full.ok()) << f->name;
    std::set<size_t> boundaries = {8};
    for (const SectionEntry& s : full->root.order) boundaries.insert(s.contents.end);
    for (size_t len = 0; len < f->bytes.size(); ++len) {
      std::vector<uint8_t> prefix(f->bytes.begin(), f->bytes.begin() + len);
      auto result = decode_component(prefix);
      // A prefix that ends exactly between two top-level sections is itself
      // a complete component.
      if (result.ok()) {
        EXPECT_TRUE(boundaries.count(len)) << f->name << " prefix " << len << " decoded";
      } else {
        EXPECT_LE(result.error().offset, len) << f->name;
      }
    }
  }
}

TEST(ComponentCorpus, ByteFlipsNeverCrash) {
  for (const CorpusFile* f : largest(4)) {
    std::vector<uint8_t> bytes = f->bytes;
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (uint8_t mask : {0x01, 0x80, 0xFF}) {
        bytes[i] ^= mask;
        auto result = decode_component(bytes);
        if (!result.ok()) {
          EXPECT_LE(result.error().offset, bytes.size());
        }
        bytes[i] ^= mask;
      }
    }
  }
}

}  // namespace
}  // namespace weft::component
