// The component validator: on the reference tests' components (the corpus
// in fuzz/corpus/component, made by fuzz/make_component_corpus.py, names
// ending in _invalid for assert_invalid forms) and on WAT written here for
// the type-checking rules (Explainer.md, "Type Checking").
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "component/binary/bytes.h"
#include "component/validate/validator.h"
#include "wasm/text/wat.h"

namespace weft::component {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

std::vector<fs::path> corpus_files() {
  std::vector<fs::path> out;
  for (const auto& e :
       fs::directory_iterator(fs::path(WEFT_SOURCE_DIR) / "fuzz" / "corpus" / "component"))
    if (e.path().extension() == ".wasm") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Valid reference-test components weft rejects on purpose, with the reason
// they must be rejected for. Each entry is checked: when weft starts
// accepting one, this list must shrink.
const std::map<std::string, std::string>& unsupported() {
  static const std::map<std::string, std::string> list = {};
  return list;
}

// assert_invalid forms weft accepts, and why that is the lesser evil.
const std::map<std::string, std::string>& lenient() {
  static const std::map<std::string, std::string> list = {};
  return list;
}

TEST(ComponentValidatorCorpus, ValidComponentsValidate) {
  size_t checked = 0;
  for (const auto& path : corpus_files()) {
    const std::string name = path.filename().string();
    if (name.find("_invalid") != std::string::npos || name.find("_malformed") != std::string::npos)
      continue;
    auto bytes = read(path);
    auto result = validate_component(bytes);
    auto it = unsupported().find(name);
    if (it != unsupported().end()) {
      ASSERT_FALSE(result.ok()) << name << " now validates: remove it from the unsupported list";
      EXPECT_NE(result.error().message.find(it->second), std::string::npos)
          << name << ": " << result.error().to_string();
      continue;
    }
    EXPECT_TRUE(result.ok()) << name << ": " << (result.ok() ? "" : result.error().to_string());
    ++checked;
  }
  EXPECT_GT(checked, 200u);
}

TEST(ComponentValidatorCorpus, InvalidComponentsAreRejectedWithAnOffset) {
  size_t checked = 0;
  for (const auto& path : corpus_files()) {
    const std::string name = path.filename().string();
    if (!ends_with(name, "_invalid.wasm")) continue;
    auto bytes = read(path);
    auto result = validate_component(bytes);
    if (lenient().count(name)) {
      EXPECT_TRUE(result.ok()) << name << " is now rejected: remove it from the lenient list";
      continue;
    }
    ASSERT_FALSE(result.ok()) << name << " validated, but the reference test says it is invalid";
    EXPECT_NE(result.error().offset, Error::kNoOffset)
        << name << ": " << result.error().to_string();
    EXPECT_LE(result.error().offset, bytes.size()) << name;
    ++checked;
  }
  EXPECT_GT(checked, 300u);
}

TEST(ComponentValidatorCorpus, MalformedComponentsAreRejected) {
  for (const auto& path : corpus_files()) {
    const std::string name = path.filename().string();
    if (!ends_with(name, "_malformed.wasm")) continue;
    auto bytes = read(path);
    EXPECT_FALSE(validate_component(bytes).ok()) << name;
  }
}

// ---- rules, in WAT --------------------------------------------------------

Result<std::shared_ptr<const ValidatedComponent>> validate_wat(const std::string& wat) {
  auto bytes = text::wat_to_wasm(wat, "test.wat");
  if (!bytes.ok()) return std::move(bytes).error();
  return validate_component(bytes.value());
}

void expect_valid(const std::string& wat) {
  auto r = validate_wat(wat);
  EXPECT_TRUE(r.ok()) << wat << "\n" << (r.ok() ? "" : r.error().to_string());
}

void expect_invalid(const std::string& wat, const std::string& message) {
  auto r = validate_wat(wat);
  ASSERT_FALSE(r.ok()) << wat;
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid) << r.error().to_string();
  EXPECT_NE(r.error().message.find(message), std::string::npos) << r.error().to_string();
}

TEST(ComponentValidator, CanonLiftChecksTheCoreSignature) {
  const std::string module =
      R"wat((core module $m (func (export "f") (param i32) (result i32) local.get 0)))wat";
  expect_valid("(component " + module + R"wat(
    (core instance $i (instantiate $m))
    (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f")))))wat");
  expect_invalid("(component " + module + R"wat(
    (core instance $i (instantiate $m))
    (func (export "f") (param "x" u64) (result u32) (canon lift (core func $i "f")))))wat",
                 "lowered function type mismatch");
}

TEST(ComponentValidator, StringsNeedMemoryAndRealloc) {
  expect_invalid(R"wat((component
    (core module $m (func (export "f") (param i32 i32)))
    (core instance $i (instantiate $m))
    (func (export "f") (param "s" string) (canon lift (core func $i "f")))))wat",
                 "`realloc` is required");
  expect_valid(R"wat((component
    (core module $m
      (memory (export "mem") 1)
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
      (func (export "f") (param i32 i32)))
    (core instance $i (instantiate $m))
    (func (export "f") (param "s" string)
      (canon lift (core func $i "f") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))))wat");
}

TEST(ComponentValidator, ResultsSpillToMemoryOnLift) {
  expect_valid(R"wat((component
    (core module $m (memory (export "mem") 1) (func (export "f") (result i32) i32.const 0))
    (core instance $i (instantiate $m))
    (func (export "f") (result (tuple u32 u32)) (canon lift (core func $i "f") (memory (core memory $i "mem"))))))wat");
}

TEST(ComponentValidator, InstantiationChecksImportTypes) {
  expect_invalid(R"wat((component
    (component $c (import "f" (func (param "x" u32))))
    (import "g" (func $g (param "x" string)))
    (instance (instantiate $c (with "f" (func $g))))))wat",
                 "type mismatch");
  expect_invalid(R"wat((component
    (component $c (import "f" (func)))
    (instance (instantiate $c))))wat",
                 "missing import named `f`");
}

TEST(ComponentValidator, ResourceImportsAreBoundByInstantiation) {
  // Explainer.md's $P example: both children see the parent's $R.
  expect_valid(R"wat((component
    (import "C1" (component $C1
      (import "T" (type $T (sub resource)))
      (export "foo" (func (param "x" (own $T))))))
    (import "C2" (component $C2
      (import "T" (type $T (sub resource)))
      (import "foo" (func (param "x" (own $T))))))
    (type $R (resource (rep i32)))
    (instance $c1 (instantiate $C1 (with "T" (type $R))))
    (alias export $c1 "foo" (func $foo))
    (instance $c2 (instantiate $C2 (with "T" (type $R)) (with "foo" (func $foo))))))wat");
  // Two fresh abstract resources are different types.
  expect_invalid(R"wat((component
    (import "T1" (type $T1 (sub resource)))
    (import "T2" (type $T2 (sub resource)))
    (component $eq
      (import "a" (type $a (sub resource)))
      (import "b" (type (eq $a))))
    (instance (instantiate $eq (with "a" (type $T1)) (with "b" (type $T2))))))wat",
                 "type mismatch");
}

TEST(ComponentValidator, EachInstantiationMakesFreshResources) {
  const std::string c = R"wat(
    (component $C (type $r (resource (rep i32))) (export "r" (type $r)))
    (component $eq (import "a" (type $a (sub resource))) (import "b" (type (eq $a)))))wat";
  expect_invalid("(component " + c + R"wat(
    (instance $c1 (instantiate $C)) (instance $c2 (instantiate $C))
    (alias export $c1 "r" (type $r1)) (alias export $c2 "r" (type $r2))
    (instance (instantiate $eq (with "a" (type $r1)) (with "b" (type $r2))))))wat",
                 "type mismatch");
  expect_valid("(component " + c + R"wat(
    (instance $c1 (instantiate $C))
    (alias export $c1 "r" (type $r1)) (alias export $c1 "r" (type $r2))
    (instance (instantiate $eq (with "a" (type $r1)) (with "b" (type $r2))))))wat");
}

TEST(ComponentValidator, ExportedTypesNeedExternalNames) {
  const std::string head = R"wat((component
    (core module $m (func (export "f") (result i32) unreachable))
    (core instance $i (instantiate $m))
    (type $Rec (record (field "x" u32)))
    (func $f (result $Rec) (canon lift (core func $i "f"))))wat";
  expect_invalid(head + R"wat((export "f" (func $f))))wat", "not valid to be used as export");
  expect_valid(
      head +
      R"wat((export $Rec2 "rec" (type $Rec)) (export "f" (func $f) (func (result $Rec2)))))wat");
}

TEST(ComponentValidator, ReexportingAChildsInstanceNeedsNamesForItsTypes) {
  // external-visibility.wast: the child's record is named in the child (its
  // export "t"), not here; re-exporting only the instance "i" whose function
  // returns it leaves it without a name here.
  const std::string child = R"wat((component $A
      (core module $m (func (export "f") (result i32) unreachable))
      (core instance $i (instantiate $m))
      (type $Rec (record (field "x" u32)))
      (export $Rec' "t" (type $Rec))
      (func $f (result $Rec') (canon lift (core func $i "f")))
      (instance $bag (export "f" (func $f)))
      (export "i" (instance $bag)))
    (instance $a (instantiate $A)))wat";
  expect_invalid("(component " + child + R"wat((export "i2" (instance $a "i"))))wat",
                 "not valid to be used as export");
  // Exporting the whole instance names the record through its export "t".
  expect_valid("(component " + child + R"wat((export "a" (instance $a))))wat");
  // So does exporting the record first and the instance after, with the
  // function's type ascribed in terms of the exported name.
  expect_valid("(component " + child + R"wat(
    (alias export $a "t" (type $T))
    (export $T' "t" (type $T))
    (alias export $a "i" (instance $ai))
    (alias export $ai "f" (func $g))
    (export "g" (func $g) (func (result $T')))))wat");
}

TEST(ComponentValidator, NamesAreStronglyUnique) {
  expect_invalid(R"wat((component (import "a" (func)) (import "A" (func))))wat",
                 "conflicts with previous name");
  expect_invalid(R"wat((component
    (import "a" (type $a (sub resource)))
    (import "[method]a.a" (func (param "self" (borrow $a))))))wat",
                 "conflicts with previous name `a`");
  expect_valid(R"wat((component
    (import "a" (type $a (sub resource)))
    (import "[constructor]a" (func (result (own $a))))
    (import "[method]a.b" (func (param "self" (borrow $a))))
    (import "[static]a.c" (func))))wat");
  expect_invalid(R"wat((component (import "not_kebab" (func))))wat", "not in kebab case");
}

TEST(ComponentValidator, OuterAliasesMayNotCarryResourcesIntoAComponent) {
  expect_invalid(R"wat((component $C
    (type $R (resource (rep i32)))
    (component (alias outer $C $R (type)))))wat",
                 "refers to resources");
  expect_valid(R"wat((component $C
    (type $T (record (field "x" u32)))
    (component (alias outer $C $T (type)))))wat");
}

// ---- async components (🔀, 🧵, 📝): validated, not run ----------------------

// A component defining `canon` and a core module that imports the result
// as `import`: instantiation checks the core function type it was given.
std::string builtin_imported_as(const std::string& canon, const std::string& import_type,
                                const std::string& extra = "") {
  return R"wat((component
    (core module $Mem (memory (export "mem") 1) (table (export "tbl") 1 funcref)
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 0))
    (core instance $mem (instantiate $Mem))
    (type $ST (stream u32)) (type $FT (future u32)) (type $SS (stream string))
    (core type $closure (func (param i32)))
    )wat" +
         extra + "\n    (canon " + canon + R"wat( (core func $b))
    (core module $M (import "" "b" (func )wat" +
         import_type + R"wat()))
    (core instance (instantiate $M (with "" (instance (export "b" (func $b))))))))wat";
}

TEST(ComponentValidator, AsyncBuiltinsGetTheCoreTypesTheSpecAssigns) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"backpressure.inc", ""},
      {"backpressure.dec", ""},
      {"task.cancel", ""},
      {"task.return", ""},
      {"task.return (result u64)", "(param i64)"},
      {"task.return (result string) (memory (core memory $mem \"mem\"))", "(param i32 i32)"},
      {"context.get i32 1", "(result i32)"},
      {"context.set i32 0", "(param i32)"},
      {"subtask.cancel", "(param i32) (result i32)"},
      {"subtask.cancel async", "(param i32) (result i32)"},
      {"subtask.drop", "(param i32)"},
      {"stream.new $ST", "(result i64)"},
      {"stream.read $ST (memory (core memory $mem \"mem\"))", "(param i32 i32 i32) (result i32)"},
      {"stream.write $ST async (memory (core memory $mem \"mem\"))",
       "(param i32 i32 i32) (result i32)"},
      {"stream.cancel-read $ST", "(param i32) (result i32)"},
      {"stream.cancel-write $ST async", "(param i32) (result i32)"},
      {"stream.drop-readable $ST", "(param i32)"},
      {"future.new $FT", "(result i64)"},
      {"future.read $FT (memory (core memory $mem \"mem\"))", "(param i32 i32) (result i32)"},
      {"future.drop-writable $FT", "(param i32)"},
      {"error-context.new (memory (core memory $mem \"mem\"))", "(param i32 i32) (result i32)"},
      {"error-context.debug-message (memory (core memory $mem \"mem\")) (realloc (core func $mem "
       "\"realloc\"))",
       "(param i32 i32)"},
      {"error-context.drop", "(param i32)"},
      {"waitable-set.new", "(result i32)"},
      {"waitable-set.wait (memory (core memory $mem \"mem\"))", "(param i32 i32) (result i32)"},
      {"waitable-set.poll (memory (core memory $mem \"mem\"))", "(param i32 i32) (result i32)"},
      {"waitable-set.drop", "(param i32)"},
      {"waitable.join", "(param i32 i32)"},
      {"thread.index", "(result i32)"},
      {"thread.new-indirect $closure (core table $mem \"tbl\")", "(param i32 i32) (result i32)"},
      {"thread.resume-later", "(param i32)"},
      {"thread.suspend", "(result i32)"},
      {"thread.yield", "(result i32)"},
      {"thread.yield-then-resume", "(param i32) (result i32)"},
      {"thread.suspend-then-promote", "(param i32) (result i32)"},
  };
  for (const auto& [canon, type] : cases) {
    expect_valid(builtin_imported_as(canon, type));
    // Any other type is a mismatch at the core instantiation.
    expect_invalid(builtin_imported_as(canon, "(param f64) " + type), "");
  }
}

TEST(ComponentValidator, AsyncBuiltinsCheckTheirImmediates) {
  expect_invalid(builtin_imported_as("stream.new $FT", "(result i64)"),
                 "`canon stream.new` requires a stream type");
  expect_invalid(builtin_imported_as("future.cancel-read $ST", "(param i32) (result i32)"),
                 "requires a future type");
  expect_invalid(builtin_imported_as("stream.drop-readable 99", "(param i32)"),
                 "type index out of bounds");
  expect_invalid(builtin_imported_as("context.get i64 0", "(result i64)"),
                 "`canon context.get` requires type `i32`");
  expect_invalid(builtin_imported_as("context.set i32 2", "(param i32)"),
                 "slot index 2 is out of bounds");
  expect_invalid(
      builtin_imported_as("waitable-set.wait (memory 3)", "(param i32 i32) (result i32)"),
      "memory index out of bounds");
  expect_invalid(builtin_imported_as("thread.new-indirect 7 (core table $mem \"tbl\")",
                                     "(param i32 i32) (result i32)"),
                 "core type index out of bounds");
  expect_invalid(
      builtin_imported_as("thread.new-indirect $wrong (core table $mem \"tbl\")",
                          "(param i32 i32) (result i32)", "(core type $wrong (func (param i64)))"),
      "to be (i32) -> ()");
  expect_invalid(
      builtin_imported_as("thread.new-indirect $closure 9", "(param i32 i32) (result i32)"),
      "table index out of bounds");
  expect_invalid(builtin_imported_as("thread.new-indirect $closure (core table $x \"t\")",
                                     "(param i32 i32) (result i32)",
                                     R"((core module $X (table (export "t") 1 externref))
                                        (core instance $x (instantiate $X)))"),
                 "requires a table of `funcref`");
  // Options: only those the built-in takes, with what its payload needs.
  expect_invalid(builtin_imported_as("task.return (result string)", "(param i32 i32)"),
                 "`memory` is required");
  expect_invalid(builtin_imported_as("task.return (memory (core memory $mem \"mem\")) (realloc "
                                     "(core func $mem \"realloc\"))",
                                     ""),
                 "`realloc` is not allowed on `canon task.return`");
  expect_invalid(builtin_imported_as("stream.read $ST", "(param i32 i32 i32) (result i32)"),
                 "`memory` is required");
  expect_invalid(builtin_imported_as("stream.read $SS (memory (core memory $mem \"mem\"))",
                                     "(param i32 i32 i32) (result i32)"),
                 "`realloc` is required");
  expect_valid(builtin_imported_as("stream.write $SS (memory (core memory $mem \"mem\"))",
                                   "(param i32 i32 i32) (result i32)"));
  expect_invalid(builtin_imported_as("error-context.new", "(param i32 i32) (result i32)"),
                 "`memory` is required");
  expect_invalid(builtin_imported_as("error-context.new async (memory (core memory $mem \"mem\"))",
                                     "(param i32 i32) (result i32)"),
                 "`async` is not allowed on `canon error-context.new`");
  expect_invalid(builtin_imported_as("error-context.debug-message (memory (core memory $mem "
                                     "\"mem\"))",
                                     "(param i32 i32)"),
                 "`realloc` is required");
}

// The 🧵② built-ins, which the text format does not have yet, in binary.
TEST(ComponentValidator, SharedEverythingThreadBuiltinsNeedWhatWeftLacks) {
  auto with_canon = [](std::vector<uint8_t> canon) {
    std::vector<uint8_t> b = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00,
                              0x03, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00};  // core type (i32) -> ()
    b.push_back(0x08);
    b.push_back(static_cast<uint8_t>(canon.size() + 1));
    b.push_back(0x01);
    b.insert(b.end(), canon.begin(), canon.end());
    return b;
  };
  auto message = [](const std::vector<uint8_t>& bytes) {
    auto r = validate_component(bytes);
    return r.ok() ? std::string("valid") : r.error().message;
  };
  EXPECT_EQ(message(with_canon({0x42, 0x00})), "valid");  // available-parallelism
  EXPECT_NE(message(with_canon({0x42, 0x01})).find("no shared functions"), std::string::npos);
  EXPECT_NE(message(with_canon({0x40, 0x00, 0x00})).find("no typed references"),
            std::string::npos);  // spawn-ref
  EXPECT_NE(message(with_canon({0x40, 0x00, 0x01})).find("core type index out of bounds"),
            std::string::npos);
  EXPECT_NE(message(with_canon({0x41, 0x00, 0x00, 0x00})).find("table index out of bounds"),
            std::string::npos);  // spawn-indirect
}

// A core module with functions of the shapes async lifts and lowers use.
const char* kAsyncCore = R"wat(
    (core module $M
      (memory (export "mem") 1)
      (func (export "none"))
      (func (export "i32") (result i32) i32.const 0)
      (func (export "cb") (param i32 i32 i32) (result i32) i32.const 0)
      (func (export "bad-cb") (param i32 i32) (result i32) i32.const 0))
    (core instance $m (instantiate $M)))wat";

TEST(ComponentValidator, AsyncLiftFlattensResultsAwayAndChecksTheCallback) {
  const std::string head = std::string("(component ") + kAsyncCore;
  // Stackless (callback): the callee returns the callback code.
  expect_valid(head + R"wat(
    (func (export "f") async (result u64)
      (canon lift (core func $m "i32") async (callback (core func $m "cb"))))))wat");
  // Stackful: it returns nothing; results go through task.return.
  expect_valid(head + R"wat(
    (func (export "f") async (result u64) (canon lift (core func $m "none") async))))wat");
  expect_invalid(head + R"wat(
    (func (export "f") async (canon lift (core func $m "none") async (callback (core func $m "cb"))))))wat",
                 "lowered function type mismatch: expected () -> (i32)");
  expect_invalid(head + R"wat(
    (func (export "f") async (canon lift (core func $m "i32") async (callback (core func $m "bad-cb"))))))wat",
                 "`callback` uses a core function with an incorrect signature");
  expect_invalid(head + R"wat(
    (func (export "f") async (canon lift (core func $m "i32") (callback (core func $m "cb"))))))wat",
                 "`callback` requires `async`");
  expect_invalid(head + R"wat(
    (func (export "f") (canon lift (core func $m "none") async))))wat",
                 "the `async` canonical option requires an async function type");
  expect_invalid(head + R"wat(
    (func (export "f") async (canon lift (core func $m "none") async (post-return (core func $m "none"))))))wat",
                 "`post-return` cannot be used with `async`");
  // A sync lift of an async function type is fine.
  expect_valid(head + R"wat(
    (func (export "f") async (result u32) (canon lift (core func $m "i32")))))wat");
}

TEST(ComponentValidator, AsyncLowerSpillsBeyondFourParamsAndNeedsMemory) {
  const std::string head = std::string("(component ") + kAsyncCore + R"wat(
    (import "four" (func $four async (param "a" u32) (param "b" u32) (param "c" u32) (param "d" u32)))
    (import "five" (func $five async (param "a" u32) (param "b" u32) (param "c" u32) (param "d" u32) (param "e" u32)))
    (import "ret" (func $ret async (result u8)))
    (import "sync" (func $sync)))wat";
  auto lowered = [&](const std::string& lower, const std::string& import_type) {
    return head + "\n    (core func $l (canon lower " + lower + R"wat())
    (core module $U (import "" "l" (func )wat" +
           import_type + R"wat()))
    (core instance (instantiate $U (with "" (instance (export "l" (func $l))))))))wat";
  };
  const std::string mem = " (memory (core memory $m \"mem\"))";
  expect_valid(lowered("(func $four) async" + mem, "(param i32 i32 i32 i32) (result i32)"));
  expect_valid(lowered("(func $five) async" + mem, "(param i32) (result i32)"));
  expect_valid(lowered("(func $ret) async" + mem, "(param i32) (result i32)"));
  // Synchronously lowered, an async function type keeps the sync ABI.
  expect_valid(lowered("(func $ret)", "(result i32)"));
  expect_invalid(lowered("(func $five) async" + mem, "(param i32 i32 i32 i32 i32) (result i32)"),
                 "");
  expect_invalid(lowered("(func $four) async", "(param i32 i32 i32 i32) (result i32)"),
                 "`memory` is required with `async`");
  expect_invalid(lowered("(func $sync) async" + mem, "(result i32)"),
                 "the `async` canonical option requires an async function type");
  expect_invalid(lowered("(func $four) async (callback (core func $m \"cb\"))" + mem,
                         "(param i32 i32 i32 i32) (result i32)"),
                 "`callback` is not allowed on `canon lower`");
}

TEST(ComponentValidator, MapKeysAreScalarsOrStrings) {
  expect_valid(
      R"wat((component (type (map string u32)) (type (map u8 (list u8))) (type (map char bool))))wat");
  expect_invalid(R"wat((component (type (map f32 u32))))wat", "map key type");
  expect_invalid(R"wat((component (type $l (list u8)) (type (map $l u32))))wat", "map key type");
}

TEST(ComponentValidator, ErrorsNameTheOffsetOfTheDefinition) {
  auto bytes =
      text::wat_to_wasm(R"wat((component (type (func)) (import "f" (func (type 7)))))wat", "t.wat");
  ASSERT_TRUE(bytes.ok());
  auto r = validate_component(bytes.value());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("type index out of bounds"), std::string::npos)
      << r.error().to_string();
  EXPECT_GT(r.error().offset, 8u);
  EXPECT_LT(r.error().offset, bytes.value().size());
}

TEST(ComponentValidator, CoreModuleErrorsNameBytesOfTheComponent) {
  // The embedded module's own error offset is shifted to the component's.
  auto bytes = text::wat_to_wasm(R"wat((component (core module (func (result i32)))))wat", "t.wat");
  ASSERT_TRUE(bytes.ok());
  auto r = validate_component(bytes.value());
  ASSERT_FALSE(r.ok());
  EXPECT_GT(r.error().offset, 10u) << r.error().to_string();
  EXPECT_LT(r.error().offset, bytes.value().size());
}

// ---- WebAssembly 3.0 (GC) core types, byte by byte -------------------------

using test::Bytes;
using test::cat;
using test::component;
using test::section;
using test::str;

void expect_valid_bytes(const Bytes& bytes) {
  auto r = validate_component(bytes);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
}

void expect_invalid_bytes(const Bytes& bytes, const std::string& message) {
  auto r = validate_component(bytes);
  ASSERT_FALSE(r.ok()) << "validated, expected: " << message;
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid) << r.error().to_string();
  EXPECT_NE(r.error().message.find(message), std::string::npos) << r.error().to_string();
  EXPECT_GE(r.error().offset, 8u) << r.error().to_string();
  EXPECT_LT(r.error().offset, bytes.size()) << r.error().to_string();
}

// A core type section of one type.
Bytes core_types(const Bytes& type) { return section(3, cat({{0x01}, type})); }

TEST(ComponentValidatorGc, BinaryWastsCoreTypesValidate) {
  expect_valid_bytes(component({
      core_types({0x60, 0x00, 0x00}),
      core_types({0x00, 0x50, 0x00, 0x60, 0x00, 0x00}),
      core_types(cat({{0x50, 0x04, 0x01, 0x60, 0x00, 0x00, 0x00},
                      str("a"),
                      str("b"),
                      {0x00, 0x00, 0x02, 0x10, 0x01, 0x01, 0x00, 0x03},
                      str("e"),
                      {0x00, 0x00}})),
  }));
}

TEST(ComponentValidatorGc, RecGroupsAndSubtypes) {
  // (rec (type $a (sub (struct (field i8) (field (mut (ref null $b))))))
  //      (type $b (sub $a (struct (field i8) (field (mut (ref null $b))) (field i64)))))
  // then (type (sub final 1 (struct ...same, plus (field (ref 0))))) and an array.
  const Bytes fields = {0x78, 0x00, 0x63, 0x01, 0x01};
  expect_valid_bytes(component({
      core_types(cat({{0x4E, 0x02, 0x50, 0x00, 0x5F, 0x02},
                      fields,
                      {0x50, 0x01, 0x00, 0x5F, 0x03},
                      fields,
                      {0x7E, 0x00}})),
      core_types(cat({{0x4F, 0x01, 0x01, 0x5F, 0x04}, fields, {0x7E, 0x00, 0x64, 0x00, 0x00}})),
      core_types({0x5E, 0x77, 0x01}),              // (array (mut i16))
      core_types({0x60, 0x01, 0x64, 0x6B, 0x00}),  // (func (param (ref struct)))
      core_types({0x4E, 0x00}),                    // an empty group defines no type
      // Covariant immutable fields: (ref $b) below (ref null $a), i31 below eq.
      core_types({0x00, 0x50, 0x00, 0x5F, 0x02, 0x63, 0x00, 0x00, 0x6D, 0x00}),
      core_types({0x00, 0x50, 0x01, 0x05, 0x5F, 0x02, 0x64, 0x01, 0x00, 0x64, 0x6C, 0x00}),
  }));
}

TEST(ComponentValidatorGc, BadReferencesAndSupertypes) {
  // Type indices: in range, and not a module type.
  expect_invalid_bytes(component({core_types({0x5F, 0x01, 0x63, 0x05, 0x00})}),
                       "type index out of bounds");
  expect_invalid_bytes(component({core_types({0x50, 0x00}), core_types({0x5E, 0x64, 0x00, 0x00})}),
                       "is a module type");
  // Supertypes: defined before, not final, at most one, of the same shape.
  expect_invalid_bytes(component({core_types({0x00, 0x50, 0x01, 0x00, 0x5F, 0x00})}),
                       "defined before its subtype");
  expect_invalid_bytes(
      component({core_types({0x4E, 0x02, 0x50, 0x01, 0x01, 0x5F, 0x00, 0x50, 0x00, 0x5F, 0x00})}),
      "defined before its subtype");
  expect_invalid_bytes(
      component({core_types({0x5F, 0x00}), core_types({0x00, 0x50, 0x01, 0x00, 0x5F, 0x00})}),
      "final super type");
  expect_invalid_bytes(component({core_types({0x60, 0x00, 0x00}),
                                  core_types({0x00, 0x50, 0x01, 0x00, 0x60, 0x00, 0x00})}),
                       "final super type");
  expect_invalid_bytes(component({core_types({0x00, 0x50, 0x00, 0x5F, 0x00}),
                                  core_types({0x00, 0x50, 0x01, 0x00, 0x5E, 0x7F, 0x00})}),
                       "does not match super type");
  expect_invalid_bytes(component({core_types({0x00, 0x50, 0x00, 0x5F, 0x00}),
                                  core_types({0x00, 0x50, 0x02, 0x00, 0x00, 0x5F, 0x00})}),
                       "multiple supertypes");
  // Fewer fields; a mutable field's type must be equal; packed must agree.
  expect_invalid_bytes(component({core_types({0x00, 0x50, 0x00, 0x5F, 0x01, 0x7F, 0x00}),
                                  core_types({0x00, 0x50, 0x01, 0x00, 0x5F, 0x00})}),
                       "does not match");
  expect_invalid_bytes(
      component({core_types({0x00, 0x50, 0x00, 0x5F, 0x01, 0x63, 0x6D, 0x01}),
                 core_types({0x00, 0x50, 0x01, 0x00, 0x5F, 0x01, 0x63, 0x6C, 0x01})}),
      "does not match");
  expect_invalid_bytes(component({core_types({0x00, 0x50, 0x00, 0x5E, 0x78, 0x00}),
                                  core_types({0x00, 0x50, 0x01, 0x00, 0x5E, 0x77, 0x00})}),
                       "does not match");
  // A function's parameters are contravariant: (ref any) cannot narrow to (ref eq).
  expect_invalid_bytes(
      component({core_types({0x00, 0x50, 0x00, 0x60, 0x01, 0x64, 0x6E, 0x00}),
                 core_types({0x00, 0x50, 0x01, 0x00, 0x60, 0x01, 0x64, 0x6D, 0x00})}),
      "does not match");
}

TEST(ComponentValidatorGc, ModuleTypesMayUseGcTypesButNotBeInstantiated) {
  // (core type (module (type (struct)) (type (func (param (ref 0))))
  //   (import "m" "t" (table 1 (ref null 0))) (export "f" (func (type 1)))))
  const Bytes module_type = cat({{0x50, 0x04, 0x01, 0x5F, 0x00, 0x01, 0x60, 0x01, 0x64, 0x00, 0x00},
                                 {0x00},
                                 str("m"),
                                 str("t"),
                                 {0x01, 0x63, 0x00, 0x00, 0x01},
                                 {0x03},
                                 str("f"),
                                 {0x00, 0x01}});
  const Bytes import_module = section(10, cat({{0x01, 0x00}, str("m"), {0x00, 0x11, 0x00}}));
  expect_valid_bytes(component({core_types(module_type), import_module}));
  // Instantiating it would need a core engine with GC.
  expect_invalid_bytes(
      component({core_types(module_type), import_module, section(2, {0x01, 0x00, 0x00, 0x00})}),
      "GC types");
  // Within the module type, references are to its own types.
  expect_invalid_bytes(
      component({core_types(
          cat({{0x50, 0x01, 0x00}, str("m"), str("t"), {0x01, 0x63, 0x00, 0x00, 0x01}}))}),
      "type index out of bounds");
  expect_invalid_bytes(
      component({core_types(
          cat({{0x50, 0x02, 0x01, 0x5F, 0x00, 0x00}, str("m"), str("f"), {0x00, 0x00}}))}),
      "not a function type");
  // A module type's types cannot be module types.
  expect_invalid_bytes(component({core_types({0x50, 0x01, 0x01, 0x50, 0x00})}),
                       "cannot define module types");
}

}  // namespace
}  // namespace weft::component
