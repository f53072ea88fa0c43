// compose(): the composed component's imports (merged by name, as a union
// of what the parts declare), type checks, and that the result runs.
#include <gtest/gtest.h>

#include <string>

#include "component/compose/compose.h"
#include "wasm/text/wat.h"

namespace weft::component {
namespace {

struct Part {
  std::vector<uint8_t> bytes;
  std::shared_ptr<const Component> component;
  ComposePart part(const std::string& name) const { return {name, bytes, component}; }
};

Part compile(const std::string& wat) {
  Part p;
  auto bytes = text::wat_to_wasm(wat, "test.wat");
  EXPECT_TRUE(bytes.ok()) << (bytes.ok() ? "" : bytes.error().to_string());
  if (!bytes.ok()) return p;
  p.bytes = bytes.value();
  auto c = Component::compile(p.bytes);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().to_string());
  if (c.ok()) p.component = c.value();
  return p;
}

// Exports "t:p/api" { seven: func() -> u32 }; imports "t:x/host" with `plug_decl`.
std::string plug_wat(const std::string& plug_decl) {
  return R"((component
    (import "t:x/host" (instance )" +
         plug_decl + R"())
    (core module $m (func (export "seven") (result i32) (i32.const 7)))
    (core instance $i (instantiate $m))
    (func $seven (result u32) (canon lift (core func $i "seven")))
    (instance $api (export "seven" (func $seven)))
    (export "t:p/api" (instance $api))))";
}

// Imports "t:p/api" and "t:x/host" { answer: func() -> u32 }; exports
// sum() = seven() + answer().
const char* kSocket = R"((component
    (import "t:x/host" (instance $host
      (export "stream" (type (sub resource)))
      (export "answer" (func (result u32)))))
    (import "t:p/api" (instance $api (export "seven" (func (result u32)))))
    (core func $seven (canon lower (func $api "seven")))
    (core func $answer (canon lower (func $host "answer")))
    (core module $m
      (import "" "seven" (func $seven (result i32)))
      (import "" "answer" (func $answer (result i32)))
      (func (export "sum") (result i32) (i32.add (call $seven) (call $answer))))
    (core instance $i (instantiate $m (with "" (instance (export "seven" (func $seven))
                                                          (export "answer" (func $answer))))))
    (func (export "sum") (result u32) (canon lift (core func $i "sum")))))";

TEST(Compose, MergesImportsAndRuns) {
  Part socket = compile(kSocket);
  Part plug = compile(plug_wat(R"((export "stream" (type (sub resource)))
      (export "read" (func (param "s" (borrow 0)) (result (list u8))))
      (export "answer" (func (result u32))))"));
  ASSERT_TRUE(socket.component && plug.component);
  const ComposePart plugs[] = {plug.part("plug.wasm")};
  auto out = compose(socket.part("socket.wasm"), plugs);
  ASSERT_TRUE(out.ok()) << out.error().message;
  auto composed = Component::compile(out.value());
  ASSERT_TRUE(composed.ok()) << composed.error().to_string();
  // One import, the union of both parts' declarations.
  ASSERT_EQ(composed.value()->imports().size(), 1u);
  const ExternDescription& host = composed.value()->imports()[0];
  EXPECT_EQ(host.name, "t:x/host");
  EXPECT_NE(host.type.find("answer"), std::string::npos) << host.type;
  EXPECT_NE(host.type.find("read"), std::string::npos) << host.type;
  ComponentLinker linker;
  linker.resource("t:x/host", "stream", ComponentLinker::ResourceDrop{});
  linker.func("t:x/host", "answer", [](HostCall&, std::vector<Val>&) -> Result<std::optional<Val>> {
    return std::optional<Val>(Val::u32(35));
  });
  linker.func("t:x/host", "read", [](HostCall&, std::vector<Val>&) -> Result<std::optional<Val>> {
    return std::optional<Val>(Val::bytes(""));
  });
  Store store;
  auto inst = linker.instantiate(store, composed.value());
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  auto r = inst.value().call("sum", {});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r.value(), Val::u32(42));
}

TEST(Compose, Errors) {
  Part socket = compile(kSocket);
  ASSERT_TRUE(socket.component);
  auto error = [&](std::span<const ComposePart> plugs) {
    auto out = compose(socket.part("socket.wasm"), plugs);
    return out.ok() ? std::string("ok") : out.error().message;
  };
  // The same item with two types.
  Part clash = compile(plug_wat(R"((export "answer" (func (result string))))"));
  ASSERT_TRUE(clash.component);
  const ComposePart clashing[] = {clash.part("clash.wasm")};
  EXPECT_EQ(error(clashing),
            "import \"t:x/host\" is imported by socket.wasm and clash.wasm with different types "
            "(\"answer\")");
  // Two plugs for one import; a plug for none.
  Part plug = compile(plug_wat(""));
  ASSERT_TRUE(plug.component);
  const ComposePart twice[] = {plug.part("a.wasm"), plug.part("b.wasm")};
  EXPECT_EQ(error(twice),
            "plugs a.wasm and b.wasm both export \"t:p/api\", which socket.wasm imports");
  const ComposePart useless[] = {socket.part("self.wasm")};
  EXPECT_EQ(error(useless), "plug self.wasm satisfies no import of socket.wasm");
  // A type mismatch, in check_satisfies' words.
  Part wrong = compile(R"((component
    (core module $m (func (export "seven") (result i64) (i64.const 7)))
    (core instance $i (instantiate $m))
    (func $seven (result u64) (canon lift (core func $i "seven")))
    (instance $api (export "seven" (func $seven)))
    (export "t:p/api" (instance $api))))");
  ASSERT_TRUE(wrong.component);
  const ComposePart mismatched[] = {wrong.part("wrong.wasm")};
  EXPECT_EQ(
      error(mismatched),
      "socket.wasm import \"t:p/api\": wrong.wasm function \"seven\": expected func() -> u32, "
      "found func() -> u64");
}

}  // namespace
}  // namespace weft::component
