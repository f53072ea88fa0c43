// Exception handling (WebAssembly 3.0's exnref form): decode and validation
// errors, throws that cross host functions, uncaught exceptions at the
// embedding API, tag identity (generative per instance) and linking.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wasm/text/wat.h"
#include "weft/weft.h"

namespace weft {
namespace {

std::vector<uint8_t> wat(const std::string& text) {
  auto bytes = text::wat_to_wasm(text, "test.wat");
  EXPECT_TRUE(bytes) << bytes.error().to_string() << "\n" << text;
  return bytes ? *bytes : std::vector<uint8_t>{};
}

std::shared_ptr<const Module> compile(const std::string& text) {
  auto module = Module::compile(wat(text));
  EXPECT_TRUE(module) << module.error().to_string() << "\n" << text;
  return module ? *module : nullptr;
}

Error compile_error(const std::vector<uint8_t>& bytes) {
  auto module = Module::compile(bytes);
  EXPECT_FALSE(module);
  return module ? Error{} : module.error();
}

// A module: type 0 = [] -> [], one function whose body is `body` (without
// the locals count), after `before_code` (sections between type/function
// and code, e.g. a tag section).
std::vector<uint8_t> module_with_body(const std::vector<uint8_t>& body,
                                      const std::vector<uint8_t>& before_code = {}) {
  std::vector<uint8_t> m = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00,
                            0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,  // type: [] -> []
                            0x03, 0x02, 0x01, 0x00};                   // func 0: type 0
  // push_back, not insert: GCC 12 warns (array-bounds) about inserting here.
  for (uint8_t b : before_code) m.push_back(b);
  const uint8_t body_size = static_cast<uint8_t>(body.size() + 1);
  for (uint8_t b : {uint8_t{0x0A}, static_cast<uint8_t>(body_size + 2), uint8_t{0x01}, body_size,
                    uint8_t{0x00}}) {
    m.push_back(b);
  }
  for (uint8_t b : body) m.push_back(b);
  return m;
}

const std::vector<uint8_t> kTagSection = {0x0D, 0x03, 0x01, 0x00, 0x00};  // tag 0: type 0

TEST(Exceptions, MalformedCatchClauseKind) {
  // try_table [] with one clause of kind 4.
  auto bytes = module_with_body({0x1F, 0x40, 0x01, 0x04, 0x00, 0x0B, 0x0B});
  Error e = compile_error(bytes);
  EXPECT_EQ(e.kind, ErrorKind::Malformed) << e.to_string();
  EXPECT_EQ(e.message, "malformed catch clause");
  EXPECT_EQ(e.offset, bytes.size() - 4);  // the kind byte
}

TEST(Exceptions, BadTagIndex) {
  // throw 0 without any tag.
  auto bytes = module_with_body({0x08, 0x00, 0x0B});
  Error e = compile_error(bytes);
  EXPECT_EQ(e.kind, ErrorKind::Invalid) << e.to_string();
  EXPECT_EQ(e.message, "unknown tag 0");
  EXPECT_EQ(e.offset, bytes.size() - 3);
  EXPECT_EQ(e.function_index, 0u);
  // catch 1 with one tag.
  bytes = module_with_body({0x02, 0x40, 0x1F, 0x40, 0x01, 0x00, 0x01, 0x00, 0x0B, 0x0B, 0x0B},
                           kTagSection);
  e = compile_error(bytes);
  EXPECT_EQ(e.message, "unknown tag 1") << e.to_string();
  EXPECT_NE(e.offset, Error::kNoOffset);
  // An export of a tag that does not exist.
  e = compile_error(wat("(module (export \"t\" (tag 0)))"));
  EXPECT_EQ(e.kind, ErrorKind::Invalid);
  EXPECT_EQ(e.message, "unknown tag 0");
}

TEST(Exceptions, TagSectionErrors) {
  // Attribute 1 is not an exception tag.
  std::vector<uint8_t> bad_attr = {0x0D, 0x03, 0x01, 0x01, 0x00};
  auto bytes = module_with_body({0x0B}, bad_attr);
  Error e = compile_error(bytes);
  EXPECT_EQ(e.kind, ErrorKind::Malformed);
  EXPECT_EQ(e.message, "malformed tag attribute");
  EXPECT_EQ(e.offset, 21u);
  // An unknown type index.
  bytes = module_with_body({0x0B}, {0x0D, 0x03, 0x01, 0x00, 0x05});
  e = compile_error(bytes);
  EXPECT_EQ(e.kind, ErrorKind::Invalid);
  EXPECT_EQ(e.message, "unknown type 5");
  EXPECT_EQ(e.offset, 21u);
  // A tag section after the global section is out of order.
  std::vector<uint8_t> late = {0x06, 0x01, 0x00, 0x0D, 0x03, 0x01, 0x00, 0x00};
  e = compile_error(module_with_body({0x0B}, late));
  EXPECT_EQ(e.kind, ErrorKind::Malformed);
  EXPECT_EQ(e.message, "unexpected content after last section");
  // Truncated: a count with nothing after it.
  bytes = module_with_body({0x0B}, {0x0D, 0x01, 0x01});
  e = compile_error(bytes);
  EXPECT_EQ(e.kind, ErrorKind::Malformed);
  EXPECT_NE(e.offset, Error::kNoOffset);
}

TEST(Exceptions, CatchLabelTypeMismatch) {
  auto expect_invalid = [](const std::string& text) {
    Error e = compile_error(wat(text));
    EXPECT_EQ(e.kind, ErrorKind::Invalid) << text << "\n" << e.to_string();
    EXPECT_EQ(e.message, "type mismatch") << text;
    EXPECT_NE(e.offset, Error::kNoOffset);
  };
  // catch: the label takes the tag's params.
  expect_invalid(R"((module (tag $e (param i32))
    (func (block $h (result f32) (try_table (catch $e $h)) (f32.const 0)) (drop))))");
  // catch_ref: params then exnref.
  expect_invalid(R"((module (tag $e (param i32))
    (func (block $h (result i32) (try_table (catch_ref $e $h)) (i32.const 0)) (drop))))");
  // catch_all: nothing.
  expect_invalid(R"((module
    (func (block $h (result i32) (try_table (catch_all $h)) (i32.const 0)) (drop))))");
  // catch_all_ref: one exnref.
  expect_invalid(R"((module (func (block $h (try_table (catch_all_ref $h))))))");
}

TEST(Exceptions, HostileBytesNeverCrash) {
  auto good = wat(R"((module
    (import "m" "t" (tag $i (param f32)))
    (tag $e (export "e") (param i32 i64))
    (func (export "f") (param i32) (result i32)
      (block $h (result i32 i64)
        (block $a (result exnref)
          (try_table (catch $e $h) (catch_all_ref $a)
            (throw $e (local.get 0) (i64.const 1)))
          (unreachable))
        (throw_ref))
      (drop))))");
  ASSERT_FALSE(good.empty());
  auto ok = Module::compile(good);
  ASSERT_TRUE(ok) << ok.error().to_string();
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> prefix(good.begin(), good.begin() + static_cast<ptrdiff_t>(n));
    auto m = Module::compile(prefix);  // valid only when cut at a section boundary
    if (!m) {
      EXPECT_TRUE(m.error().offset == Error::kNoOffset || m.error().offset <= n) << n;
    }
  }
  for (size_t i = 8; i < good.size(); ++i) {
    for (uint8_t v : {uint8_t{0x00}, uint8_t{0x04}, uint8_t{0x7F}, uint8_t{0xFF}, uint8_t{0x69}}) {
      std::vector<uint8_t> mutated = good;
      mutated[i] = v;
      auto m = Module::compile(mutated);  // any result, no crash
      if (!m) {
        EXPECT_FALSE(m.error().message.empty());
      }
    }
  }
}

TEST(Exceptions, UncaughtAtTheApi) {
  auto module = compile(R"((module
    (tag $e (param i32))
    (func $inner (throw $e (i32.const 7)))
    (func (export "f") (call $inner))))");
  ASSERT_TRUE(module);
  Store store;
  auto inst = Linker().instantiate(store, module);
  ASSERT_TRUE(inst) << inst.error().to_string();
  auto r = inst->get_func("f")->call({});
  ASSERT_FALSE(r);
  ASSERT_TRUE(r.error().is_trap());
  EXPECT_EQ(r.error().trap->kind, TrapKind::UncaughtException);
  EXPECT_EQ(r.error().trap->backtrace.size(), 2u);
  EXPECT_NE(r.error().to_string().find("uncaught exception"), std::string::npos);
  // The store runs on afterwards.
  EXPECT_FALSE(inst->get_func("f")->call({}));
}

TEST(Exceptions, ThrowingInALoopMeetsTheMemoryCap) {
  // Every exception lives as long as its store: a guest that throws and
  // catches forever must hit the store's memory cap, not grow the host.
  auto module = compile(R"((module
    (tag $e (param i64 i64))
    (func (export "spin")
      (loop $again
        (block $caught
          (try_table (catch_all $caught) (throw $e (i64.const 1) (i64.const 2))))
        (br $again)))))");
  ASSERT_TRUE(module);
  StoreLimits limits;
  limits.max_memory_bytes = 1 << 20;
  Store store(limits);
  auto inst = Linker().instantiate(store, module);
  ASSERT_TRUE(inst) << inst.error().to_string();
  auto r = inst->get_func("spin")->call({});
  ASSERT_FALSE(r);
  ASSERT_TRUE(r.error().is_trap()) << r.error().to_string();
  EXPECT_EQ(r.error().trap->kind, TrapKind::MemoryLimit);
}

TEST(Exceptions, ThrowAcrossAHostFunction) {
  // catcher → host "call_back" → thrower: the throw unwinds through the host
  // function to the catcher's try_table.
  auto module = compile(R"((module
    (import "env" "call_back" (func $call_back (param i32) (result i32)))
    (tag $e (param i32))
    (func (export "thrower") (param i32) (result i32)
      (if (local.get 0) (then (throw $e (local.get 0))))
      (i32.const 5))
    (func (export "catcher") (param i32) (result i32)
      (block $h (result i32)
        (try_table (result i32) (catch $e $h) (call $call_back (local.get 0))))
      (i32.const 1000)
      (i32.add))))");
  ASSERT_TRUE(module);
  Store store;
  Linker linker;
  Func thrower;
  bool host_saw_exception = false;
  bool swallow = false;
  linker.func("env", "call_back", FuncType{{ValType::I32}, {ValType::I32}},
              [&](Caller&, std::span<const Value> args, std::span<Value> results) -> Result<void> {
                auto r = thrower.call(std::vector<Value>{args[0]});
                if (!r) {
                  host_saw_exception =
                      r.error().is_trap() && r.error().trap->kind == TrapKind::UncaughtException;
                  if (swallow) {
                    results[0] = Value::i32(-1);
                    return {};
                  }
                  return r.error();
                }
                results[0] = (*r)[0];
                return {};
              });
  auto inst = linker.instantiate(store, module);
  ASSERT_TRUE(inst) << inst.error().to_string();
  thrower = *inst->get_func("thrower");
  auto catcher = *inst->get_func("catcher");

  auto r = catcher.call(std::vector<Value>{Value::i32(0)});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_i32(), 1005);
  EXPECT_FALSE(host_saw_exception);

  r = catcher.call(std::vector<Value>{Value::i32(42)});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_i32(), 1042);  // caught: 42 + 1000
  EXPECT_TRUE(host_saw_exception);

  // A host function that handles the error itself stops the unwinding.
  swallow = true;
  r = catcher.call(std::vector<Value>{Value::i32(42)});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_i32(), 999);  // -1 + 1000: returned normally
}

TEST(Exceptions, TagsAreGenerative) {
  auto tag_module = compile(R"((module (tag (export "t") (param i32))))");
  auto user = compile(R"((module
    (import "a" "t" (tag $a (param i32)))
    (import "b" "t" (tag $b (param i32)))
    (func (export "throw-b") (param i32) (throw $b (local.get 0)))
    (func (export "catch-a") (param i32) (result i32)
      (block $h (result i32)
        (try_table (catch $a $h) (call 0 (local.get 0)))
        (i32.const -1)))
    (func (export "catch-b") (param i32) (result i32)
      (block $h (result i32)
        (try_table (catch $b $h) (call 0 (local.get 0)))
        (i32.const -1)))))");
  ASSERT_TRUE(tag_module && user);
  Store store;
  auto ta = Linker().instantiate(store, tag_module);
  auto tb = Linker().instantiate(store, tag_module);
  ASSERT_TRUE(ta && tb);
  auto a = ta->get_tag("t");
  auto b = tb->get_tag("t");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->raw(), b->raw());
  EXPECT_EQ(a->type(), (FuncType{{ValType::I32}, {}}));
  Linker linker;
  linker.define("a", "t", *a);
  linker.define("b", "t", *b);
  auto inst = linker.instantiate(store, user);
  ASSERT_TRUE(inst) << inst.error().to_string();
  auto r = inst->get_func("catch-b")->call(std::vector<Value>{Value::i32(3)});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_i32(), 3);
  r = inst->get_func("catch-a")->call(std::vector<Value>{Value::i32(3)});
  ASSERT_FALSE(r);  // a's catch does not match b's exception
  EXPECT_EQ(r.error().trap->kind, TrapKind::UncaughtException);

  // One tag for both imports: now either catch matches.
  Linker same;
  same.define("a", "t", *a);
  same.define("b", "t", *a);
  auto inst2 = same.instantiate(store, user);
  ASSERT_TRUE(inst2);
  r = inst2->get_func("catch-a")->call(std::vector<Value>{Value::i32(4)});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_i32(), 4);
}

TEST(Exceptions, TagImportsMatchExactly) {
  auto user = compile(R"((module (import "m" "t" (tag (param i32)))))");
  ASSERT_TRUE(user);
  ASSERT_EQ(user->imports().size(), 1u);
  EXPECT_EQ(user->imports()[0].kind, ExternKind::Tag);
  EXPECT_EQ(user->imports()[0].tag, (FuncType{{ValType::I32}, {}}));
  Store store;
  auto wrong = store.create_tag(FuncType{{ValType::I64}, {}});
  ASSERT_TRUE(wrong);
  Linker linker;
  linker.define("m", "t", *wrong);
  auto inst = linker.instantiate(store, user);
  ASSERT_FALSE(inst);
  EXPECT_EQ(inst.error().kind, ErrorKind::Link);
  EXPECT_EQ(inst.error().message, "incompatible import type");
  // A function is no tag.
  linker.define("m", "t",
                store.create_host_func(FuncType{{ValType::I32}, {}},
                                       [](Caller&, std::span<const Value>,
                                          std::span<Value>) -> Result<void> { return {}; }));
  EXPECT_FALSE(linker.instantiate(store, user));
  auto right = store.create_tag(FuncType{{ValType::I32}, {}});
  ASSERT_TRUE(right);
  linker.define("m", "t", *right);
  EXPECT_TRUE(linker.instantiate(store, user));
  EXPECT_FALSE(store.create_tag(FuncType{{}, {ValType::I32}}));  // results: no tag
}

}  // namespace
}  // namespace weft
