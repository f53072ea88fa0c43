// The WIT printer: worlds written here in WAT with the WIT they must print
// (the expected texts were checked against `jco wit` and `jco types`), and
// every valid component of the reference-test corpus printed without
// losing an import or export.
#include "component/wit/printer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "component/validate/validator.h"
#include "wasm/text/wat.h"

namespace weft::component {
namespace {

namespace fs = std::filesystem;

// With the binary's hints (`use` sources, aliases of primitives), or from
// the resolved types alone.
std::string wit_of(const std::string& wat, bool hints = true) {
  auto bytes = text::wat_to_wasm(wat, "test.wat");
  if (!bytes.ok()) return "wat: " + bytes.error().to_string();
  auto validated = validate_component(bytes.value());
  if (!validated.ok()) return "invalid: " + validated.error().to_string();
  if (hints) return world_to_wit(*validated.value());
  return world_to_wit(*validated.value()->root->type);
}

TEST(WitPrinter, PlainFunctions) {
  EXPECT_EQ(wit_of(R"((component
    (import "greet" (func $g (param "name" string) (result string)))
    (import "log" (func (param "level" u8) (param "message" string)))
    (export "hello" (func $g))))"),
            "package root:component;\n\n"
            "world root {\n"
            "  import greet: func(name: string) -> string;\n"
            "  import log: func(level: u8, message: string);\n"
            "  export hello: func(name: string) -> string;\n"
            "}\n");
}

// An interface with every kind of named type, a resource with its
// constructor, method and static function, and a second interface that
// uses the first's types, exported again under another name.
const char* const kDrawing = R"((component
    (type $shapes (instance
      (type $point (record (field "x" s32) (field "y" s32)))
      (export "point" (type (eq $point)))
      (type $shape (variant (case "circle" u32) (case "dot")))
      (export "shape" (type (eq 2)))
      (type (enum "red" "green"))
      (export "color" (type (eq 4)))
      (type (flags "bold" "italic"))
      (export "style" (type (eq 6)))
      (type (list u8))
      (export "bytes" (type (eq 8)))
      (type u64)
      (export "size" (type (eq 10)))
      (export "canvas" (type (sub resource)))
      (type (own 12))
      (type (func (param "width" u32) (result 13)))
      (export "[constructor]canvas" (func (type 14)))
      (type (borrow 12))
      (type (option 3))
      (type (func (param "self" 15) (param "at" 1) (param "s" 16) (result bool)))
      (export "[method]canvas.draw" (func (type 17)))
      (type (result 13 (error 9)))
      (type (func (param "data" 9) (result 18)))
      (export "[static]canvas.load" (func (type 19)))
      (type (tuple 1 7))
      (type (list 20))
      (type (func (param "type" 5) (result 21)))
      (export "pick" (func (type 22)))
      (type (func (param "by" 11) (result 11)))
      (export "grow" (func (type 23)))))
    (import "test:draw/shapes@1.0.0" (instance $s (type $shapes)))
    (alias export $s "canvas" (type $canvas))
    (alias export $s "point" (type $point))
    (type $user (instance
      (alias outer 1 $canvas (type))
      (export "canvas" (type (eq 0)))
      (alias outer 1 $point (type))
      (export "pos" (type (eq 2)))
      (type (borrow 1))
      (type (func (param "c" 4) (result 3)))
      (export "where" (func (type 5)))))
    (import "test:draw/user@1.0.0" (instance $u (type $user)))
    (export "test:draw/user-again@1.0.0" (instance $u))))";

TEST(WitPrinter, InterfacesWithTypes) {
  EXPECT_EQ(wit_of(kDrawing),
            "package root:component;\n\n"
            "world root {\n"
            "  import test:draw/shapes@1.0.0;\n"
            "  import test:draw/user@1.0.0;\n"
            "  export test:draw/user-again@1.0.0;\n"
            "}\n\n"
            "package test:draw@1.0.0 {\n"
            "  interface shapes {\n"
            "    record point {\n"
            "      x: s32,\n"
            "      y: s32,\n"
            "    }\n"
            "    variant shape {\n"
            "      circle(u32),\n"
            "      dot,\n"
            "    }\n"
            "    enum color {\n"
            "      red,\n"
            "      green,\n"
            "    }\n"
            "    flags style {\n"
            "      bold,\n"
            "      italic,\n"
            "    }\n"
            "    type bytes = list<u8>;\n"
            "    type size = u64;\n"
            "    resource canvas {\n"
            "      constructor(width: u32);\n"
            "      draw: func(at: point, s: option<shape>) -> bool;\n"
            "      load: static func(data: bytes) -> result<canvas, bytes>;\n"
            "    }\n"
            "    pick: func(%type: color) -> list<tuple<point, style>>;\n"
            "    grow: func(by: size) -> size;\n"
            "  }\n\n"
            "  interface user {\n"
            "    use shapes.{canvas, point as pos};\n\n"
            "    where: func(c: borrow<canvas>) -> pos;\n"
            "  }\n\n"
            "  interface user-again {\n"
            "    use shapes.{canvas};\n"
            "    use user.{pos};\n\n"
            "    where: func(c: borrow<canvas>) -> pos;\n"
            "  }\n"
            "}\n");
}

// Types at the world's level: a `use` of an interface's resource, a
// record of the world's own and an alias of a primitive; names that are WIT keywords escaped, the
// interface's too.
TEST(WitPrinter, WorldTypes) {
  EXPECT_EQ(wit_of(R"((component
    (type $io (instance (export "stream" (type (sub resource)))))
    (import "test:io/stream" (instance $io (type $io)))
    (alias export $io "stream" (type $s))
    (import "stream" (type (eq $s)))
    (type (record (field "a" u32)))
    (import "rec" (type (eq 3)))
    (type (borrow 2))
    (type (own 2))
    (type (func (param "s" 5) (param "r" 4) (result 6)))
    (import "f" (func (type 7)))
    (type u64)
    (import "size" (type (eq 8)))
    (type (func (param "n" 9) (result 9)))
    (import "grow" (func (type 10)))))"),
            "package root:component;\n\n"
            "world root {\n"
            "  use test:io/%stream.{%stream};\n\n"
            "  import test:io/%stream;\n"
            "  record rec {\n"
            "    a: u32,\n"
            "  }\n"
            "  import f: func(s: borrow<%stream>, r: rec) -> %stream;\n"
            "  type size = u64;\n"
            "  import grow: func(n: size) -> size;\n"
            "}\n\n"
            "package test:io {\n"
            "  interface %stream {\n"
            "    resource %stream;\n"
            "  }\n"
            "}\n");
}

// From the resolved types alone, a primitive's alias is the primitive and
// a renamed record is defined again: the same world, less faithfully said.
TEST(WitPrinter, WithoutTheBinary) {
  std::string wit = wit_of(kDrawing, false);
  EXPECT_NE(wit.find("    grow: func(by: u64) -> u64;\n"), std::string::npos) << wit;
  EXPECT_NE(wit.find("    use shapes.{canvas};\n\n    record pos {\n"), std::string::npos) << wit;
  EXPECT_NE(wit.find("      draw: func(at: point, s: option<shape>) -> bool;\n"), std::string::npos)
      << wit;
}

TEST(WitPrinter, Keywords) {
  EXPECT_EQ(wit_identifier("type"), "%type");
  EXPECT_EQ(wit_identifier("stream"), "%stream");
  EXPECT_EQ(wit_identifier("types"), "types");
}

std::vector<uint8_t> read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

// Every import and export of each valid corpus component shows up in its
// world: interfaces and plain names on import/export lines, types as
// definitions or uses, the rest as comments.
TEST(WitPrinter, CorpusNamesEveryImportAndExport) {
  size_t printed = 0;
  for (const auto& entry :
       fs::directory_iterator(fs::path(WEFT_SOURCE_DIR) / "fuzz" / "corpus" / "component")) {
    if (entry.path().extension() != ".wasm") continue;
    auto validated = validate_component(read(entry.path()));
    if (!validated.ok()) continue;
    const ComponentType& type = *validated.value()->root->type;
    std::string wit = world_to_wit(*validated.value());
    EXPECT_EQ(world_to_wit(type).rfind("package root:component;\n\nworld root {\n", 0), 0u);
    ASSERT_EQ(wit.rfind("package root:component;\n\nworld root {\n", 0), 0u) << entry.path();
    for (const auto* list : {&type.imports, &type.exports})
      for (const NamedExtern& e : *list) {
        // `[method]r.m` prints as `m` inside `resource r { }`.
        std::string_view name = e.name;
        if (name.starts_with("[")) name.remove_prefix(name.find(']') + 1);
        if (e.name.starts_with("[") && name.find('.') != std::string_view::npos)
          name.remove_prefix(name.find('.') + 1);
        EXPECT_NE(wit.find(name), std::string::npos) << entry.path() << ": " << e.name << "\n"
                                                     << wit;
      }
    ++printed;
  }
  EXPECT_GT(printed, 100u);
}

}  // namespace
}  // namespace weft::component
