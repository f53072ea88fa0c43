// Component instantiation and calls through the embedding API
// (include/weft/component.h): components written in WAT, host functions
// and resources from a ComponentLinker, values across the boundary.
#include <gtest/gtest.h>

#include <string>

#include "wasm/text/wat.h"
#include "weft/component.h"

namespace weft::component {
namespace {

std::shared_ptr<const Component> compile(const std::string& wat) {
  auto bytes = text::wat_to_wasm(wat, "test.wat");
  EXPECT_TRUE(bytes.ok()) << (bytes.ok() ? "" : bytes.error().to_string());
  if (!bytes.ok()) return nullptr;
  auto c = Component::compile(bytes.value());
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().to_string());
  return c.ok() ? c.value() : nullptr;
}

// A core module with a bump allocator as cabi_realloc, for string tests.
const char* kLibc = R"wat(
  (core module $Libc
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.xor (i32.sub (local.get $align) (i32.const 1)) (i32.const -1))))
      (global.set $next (i32.add (local.get $p) (local.get $size)))
      (local.get $p)))
  (core instance $libc (instantiate $Libc)))wat";

TEST(ComponentRuntime, CallsALiftedFunction) {
  auto c = compile(R"wat((component
    (core module $m (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
    (core instance $i (instantiate $m))
    (func (export "add") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))))wat");
  ASSERT_TRUE(c);
  Store store;
  ComponentLinker linker;
  auto inst = linker.instantiate(store, c);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  auto r = inst.value().call("add", {Val::u32(40), Val::u32(2)});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_TRUE(r.value().has_value());
  EXPECT_EQ(*r.value(), Val::u32(42));
  // Wrong arity and wrong types are usage errors, not crashes.
  EXPECT_FALSE(inst.value().call("add", {Val::u32(1)}).ok());
  EXPECT_FALSE(inst.value().call("add", {Val::string("x"), Val::u32(1)}).ok());
  EXPECT_FALSE(inst.value().call("nope", {}).ok());
}

TEST(ComponentRuntime, StringsRoundTripThroughGuestMemory) {
  auto c = compile(std::string("(component ") + kLibc + R"wat(
    (core module $m
      (import "libc" "mem" (memory 1))
      ;; echo(ptr, len) -> retptr: stores (ptr, len) at 16 and returns 16
      (func (export "echo") (param i32 i32) (result i32)
        (i32.store (i32.const 16) (local.get 0))
        (i32.store (i32.const 20) (local.get 1))
        (i32.const 16)))
    (core instance $i (instantiate $m (with "libc" (instance $libc))))
    (func (export "echo") (param "s" string) (result string)
      (canon lift (core func $i "echo") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))))wat");
  ASSERT_TRUE(c);
  Store store;
  ComponentLinker linker;
  auto inst = linker.instantiate(store, c);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  for (std::string s : {std::string(""), std::string("hello"), std::string("☃☺️öツ"),
                        std::string(1024, 'x')}) {
    auto r = inst.value().call("echo", {Val::string(s)});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r.value()->str, s);
  }
}

TEST(ComponentRuntime, GuestCallsAHostFunction) {
  auto c = compile(std::string("(component ") + kLibc + R"wat(
    (import "greet" (func $greet (param "name" string) (result string)))
    (core func $greet_lowered (canon lower (func $greet) (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core module $m
      (import "libc" "mem" (memory 1))
      (import "host" "greet" (func $greet (param i32 i32 i32)))
      ;; hello() -> retptr: greet("weft") into 32
      (func (export "hello") (result i32)
        (i32.store8 (i32.const 0) (i32.const 119)) (i32.store8 (i32.const 1) (i32.const 101))
        (i32.store8 (i32.const 2) (i32.const 102)) (i32.store8 (i32.const 3) (i32.const 116))
        (call $greet (i32.const 0) (i32.const 4) (i32.const 32))
        (i32.const 32)))
    (core instance $host (export "greet" (func $greet_lowered)))
    (core instance $i (instantiate $m (with "libc" (instance $libc)) (with "host" (instance $host))))
    (func (export "hello") (result string) (canon lift (core func $i "hello") (memory (core memory $libc "mem"))))))wat");
  ASSERT_TRUE(c);
  Store store;
  ComponentLinker linker;
  std::string seen;
  linker.func("", "greet", [&](HostCall&, std::vector<Val>& args) -> Result<std::optional<Val>> {
    seen = args.at(0).str;
    return std::optional<Val>(Val::string("hello, " + seen));
  });
  auto inst = linker.instantiate(store, c);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  auto r = inst.value().call("hello", {});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(seen, "weft");
  EXPECT_EQ(r.value()->str, "hello, weft");
}

TEST(ComponentRuntime, MissingHostDefinitionIsALinkError) {
  auto c = compile(R"wat((component (import "missing" (func))))wat");
  ASSERT_TRUE(c);
  Store store;
  ComponentLinker linker;
  auto inst = linker.instantiate(store, c);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.error().kind, ErrorKind::Link);
  EXPECT_NE(inst.error().message.find("missing"), std::string::npos);
}

TEST(ComponentRuntime, InterfaceImportsResolveToCompatibleVersions) {
  EXPECT_TRUE(
      interface_versions_compatible("wasi:cli/environment@0.2.3", "wasi:cli/environment@0.2.12"));
  EXPECT_FALSE(
      interface_versions_compatible("wasi:cli/environment@0.2.3", "wasi:cli/environment@0.3.0"));
  EXPECT_TRUE(interface_versions_compatible("a:b/c@1.1.0", "a:b/c@1.4.2"));
  EXPECT_FALSE(interface_versions_compatible("a:b/c@1.1.0", "a:b/c@2.0.0"));
  EXPECT_FALSE(interface_versions_compatible("a:b/c@0.0.1", "a:b/c@0.0.2"));
  EXPECT_FALSE(interface_versions_compatible("a:b/c@1.0.0-rc1", "a:b/c@1.0.0"));
  ComponentLinker linker;
  linker.func("wasi:cli/environment@0.2.0", "get-arguments", nullptr);
  linker.func("wasi:cli/environment@0.2.12", "get-arguments", nullptr);
  const auto* def = linker.find_func("wasi:cli/environment@0.2.3", "get-arguments");
  ASSERT_NE(def, nullptr);
  EXPECT_EQ(def->interface_name, "wasi:cli/environment@0.2.12");
  EXPECT_EQ(linker.find_func("wasi:cli/environment@0.3.0", "get-arguments"), nullptr);

  auto c = compile(R"wat((component
    (import "wasi:cli/environment@0.2.3" (instance $env (export "get-arguments" (func (result (list string))))))
    (export "args" (func $env "get-arguments"))))wat");
  ASSERT_TRUE(c);
  linker.func(
      "wasi:cli/environment@0.2.12", "get-arguments",
      [](HostCall& call, std::vector<Val>&) -> Result<std::optional<Val>> {
        return std::optional<Val>(Val::list({Val::string(std::string(call.interface_name))}));
      });
  Store store;
  auto inst = linker.instantiate(store, c);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  auto r = inst.value().call("args", {});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r.value()->items.size(), 1u);
  EXPECT_EQ(r.value()->items[0].str, "wasi:cli/environment@0.2.3");
}

TEST(ComponentRuntime, ComponentToComponentCall) {
  // The parent links a child's lifted export into another child's import:
  // a fused lower∘lift with no host value in between.
  auto c = compile(R"wat((component
    (component $Callee
      (core module $m (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2))))
      (core instance $i (instantiate $m))
      (func (export "double") (param "x" u32) (result u32) (canon lift (core func $i "double"))))
    (component $Caller
      (import "double" (func $d (param "x" u32) (result u32)))
      (core func $d_lowered (canon lower (func $d)))
      (core module $m
        (import "" "double" (func $d (param i32) (result i32)))
        (func (export "quad") (param i32) (result i32) (call $d (call $d (local.get 0)))))
      (core instance $imports (export "double" (func $d_lowered)))
      (core instance $i (instantiate $m (with "" (instance $imports))))
      (func (export "quad") (param "x" u32) (result u32) (canon lift (core func $i "quad"))))
    (instance $callee (instantiate $Callee))
    (instance $caller (instantiate $Caller (with "double" (func $callee "double"))))
    (export "quad" (func $caller "quad"))))wat");
  ASSERT_TRUE(c);
  Store store;
  ComponentLinker linker;
  auto inst = linker.instantiate(store, c);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  auto r = inst.value().call("quad", {Val::u32(5)});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r.value(), Val::u32(20));
}

TEST(ComponentRuntime, GuestResourcesAndTheirDestructor) {
  auto c = compile(R"wat((component
    (core module $dtor_m
      (global $dropped (export "dropped") (mut i32) (i32.const 0))
      (func (export "dtor") (param i32) (global.set $dropped (local.get 0))))
    (core instance $d (instantiate $dtor_m))
    (type $R (resource (rep i32) (dtor (core func $d "dtor"))))
    (core func $new (canon resource.new $R))
    (core func $rep (canon resource.rep $R))
    (core func $drop (canon resource.drop $R))
    (core module $m
      (import "" "new" (func $new (param i32) (result i32)))
      (import "" "rep" (func $rep (param i32) (result i32)))
      (import "" "drop" (func $drop (param i32)))
      (import "" "dropped" (global $dropped (mut i32)))
      (func (export "run") (result i32)
        (local $h i32)
        (local.set $h (call $new (i32.const 77)))
        (if (i32.ne (call $rep (local.get $h)) (i32.const 77)) (then unreachable))
        (call $drop (local.get $h))
        (global.get $dropped))
      (func (export "use-after-drop")
        (local $h i32)
        (local.set $h (call $new (i32.const 1)))
        (call $drop (local.get $h))
        (drop (call $rep (local.get $h)))))
    (core instance $imports (export "new" (func $new)) (export "rep" (func $rep)) (export "drop" (func $drop))
                            (export "dropped" (global $d "dropped")))
    (core instance $i (instantiate $m (with "" (instance $imports))))
    (func (export "run") (result u32) (canon lift (core func $i "run")))
    (func (export "use-after-drop") (canon lift (core func $i "use-after-drop")))))wat");
  ASSERT_TRUE(c);
  Store store;
  ComponentLinker linker;
  auto inst = linker.instantiate(store, c);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  auto r = inst.value().call("run", {});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r.value(), Val::u32(77));  // the destructor saw the rep
  auto bad = inst.value().call("use-after-drop", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error().is_trap()) << bad.error().to_string();
}

TEST(ComponentRuntime, HostResourcesAreDroppedThroughTheLinker) {
  auto c = compile(R"wat((component
    (import "host" (instance $h
      (export "thing" (type $t (sub resource)))
      (export "[constructor]thing" (func (param "n" u32) (result (own $t))))
      (export "[method]thing.get" (func (param "self" (borrow $t)) (result u32)))))
    (alias export $h "thing" (type $thing))
    (core func $ctor (canon lower (func $h "[constructor]thing")))
    (core func $get (canon lower (func $h "[method]thing.get")))
    (core func $drop (canon resource.drop $thing))
    (core module $m
      (import "" "ctor" (func $ctor (param i32) (result i32)))
      (import "" "get" (func $get (param i32) (result i32)))
      (import "" "drop" (func $drop (param i32)))
      (func (export "run") (result i32)
        (local $h i32) (local $v i32)
        (local.set $h (call $ctor (i32.const 5)))
        (local.set $v (call $get (local.get $h)))
        (call $drop (local.get $h))
        (local.get $v)))
    (core instance $imports (export "ctor" (func $ctor)) (export "get" (func $get)) (export "drop" (func $drop)))
    (core instance $i (instantiate $m (with "" (instance $imports))))
    (func (export "run") (result u32) (canon lift (core func $i "run")))))wat");
  ASSERT_TRUE(c);
  Store store;
  ComponentLinker linker;
  std::vector<uint32_t> dropped;
  linker.resource("host", "thing", [&](uint32_t rep) { dropped.push_back(rep); });
  linker.func("host", "[constructor]thing",
              [](HostCall&, std::vector<Val>& a) -> Result<std::optional<Val>> {
                Val own;
                own.kind = ValKind::Own;
                own.bits = 100 + a.at(0).bits;  // the host's rep
                return std::optional<Val>(own);
              });
  linker.func("host", "[method]thing.get",
              [](HostCall&, std::vector<Val>& a) -> Result<std::optional<Val>> {
                EXPECT_EQ(a.at(0).kind, ValKind::Borrow);
                return std::optional<Val>(Val::u32(static_cast<uint32_t>(a.at(0).bits)));
              });
  auto inst = linker.instantiate(store, c);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  auto r = inst.value().call("run", {});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r.value(), Val::u32(105));
  EXPECT_EQ(dropped, std::vector<uint32_t>{105});
}

// ---- async built-ins: defined, validated, and trapping when called ----------

// `call` calls the built-in $b (core type `type`) from a lifted function;
// `post` calls it from that function's post-return.
std::shared_ptr<const Component> builtin_caller(const std::string& canon, const std::string& type,
                                                const std::string& call) {
  return compile(R"wat((component
    (core module $Mem (memory (export "mem") 1))
    (core instance $mem (instantiate $Mem))
    (type $ST (stream u32))
    (canon )wat" +
                 canon + R"wat( (core func $b))
    (core module $M
      (import "" "b" (func $b )wat" +
                 type + R"wat())
      (func (export "run") (result i32) )wat" +
                 call + R"wat( (i32.const 7))
      (func (export "nop") (result i32) (i32.const 7))
      (func (export "post") (param i32) )wat" +
                 call + R"wat())
    (core instance $m (instantiate $M (with "" (instance (export "b" (func $b))))))
    (func (export "run") (result u32) (canon lift (core func $m "run")))
    (func (export "from-post-return") (result u32)
      (canon lift (core func $m "nop") (post-return (core func $m "post"))))))wat");
}

std::string trap_of(const Result<std::optional<Val>>& r) {
  if (r.ok()) return "no trap";
  return r.error().is_trap() ? r.error().message : "not a trap: " + r.error().to_string();
}

TEST(ComponentRuntime, AsyncBuiltinsTrapNamingThemselves) {
  struct Case {
    const char* canon;
    const char* type;
    const char* call;
  };
  const Case cases[] = {
      {"stream.new $ST", "(result i64)", "(drop (call $b))"},
      {"stream.read $ST (memory (core memory $mem \"mem\"))", "(param i32 i32 i32) (result i32)",
       "(drop (call $b (i32.const 1) (i32.const 0) (i32.const 0)))"},
      {"task.cancel", "", "(call $b)"},
      {"waitable-set.new", "(result i32)", "(drop (call $b))"},
      {"thread.index", "(result i32)", "(drop (call $b))"},
      {"subtask.drop", "(param i32)", "(call $b (i32.const 1))"},
  };
  for (const Case& k : cases) {
    auto c = builtin_caller(k.canon, k.type, k.call);
    ASSERT_TRUE(c) << k.canon;
    Store store;
    ComponentLinker linker;
    auto inst = linker.instantiate(store, c);
    ASSERT_TRUE(inst.ok()) << k.canon << ": " << inst.error().to_string();
    const std::string name = std::string(k.canon).substr(0, std::string(k.canon).find(' '));
    EXPECT_EQ(trap_of(inst.value().call("run", {})),
              "`" + name + "`: async built-ins are not supported (WASI 0.3)");
    // During post-return the instance may not leave: the spec's first check.
    auto again = linker.instantiate(store, c);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(trap_of(again.value().call("from-post-return", {})),
              "cannot leave component instance")
        << k.canon;
  }
}

TEST(ComponentRuntime, ContextSlotsBelongToEachCall) {
  auto c = compile(R"wat((component
    (canon context.get i32 1 (core func $get))
    (canon context.set i32 1 (core func $set))
    (core module $M
      (import "" "get" (func $get (result i32)))
      (import "" "set" (func $set (param i32)))
      (global $seen (mut i32) (i32.const -1))
      ;; returns the slot as the call found it, then sets it
      (func (export "f") (param i32) (result i32) (local $old i32)
        (local.set $old (call $get)) (call $set (local.get 0)) (local.get $old))
      (func (export "f-post") (param i32) (global.set $seen (call $get)))
      (func (export "seen") (result i32) (global.get $seen)))
    (core instance $m (instantiate $M (with "" (instance
      (export "get" (func $get)) (export "set" (func $set))))))
    (func (export "f") (param "v" u32) (result u32)
      (canon lift (core func $m "f") (post-return (core func $m "f-post"))))
    (func (export "seen") (result u32) (canon lift (core func $m "seen")))))wat");
  ASSERT_TRUE(c);
  Store store;
  ComponentLinker linker;
  auto inst = linker.instantiate(store, c);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  // Each call is a new implicit thread: its slots start at 0.
  for (uint32_t v : {5u, 9u}) {
    auto r = inst.value().call("f", {Val::u32(v)});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r.value(), Val::u32(0));
    // post-return runs in the same thread and sees the value set.
    EXPECT_EQ(*inst.value().call("seen", {}).value(), Val::u32(v));
  }
}

TEST(ComponentRuntime, BackpressureCountsAndTrapsBelowZero) {
  auto c = compile(R"wat((component
    (canon backpressure.inc (core func $inc))
    (canon backpressure.dec (core func $dec))
    (core module $M
      (import "" "inc" (func $inc))
      (import "" "dec" (func $dec))
      (func (export "balanced") (call $inc) (call $inc) (call $dec) (call $dec))
      (func (export "under") (call $dec)))
    (core instance $m (instantiate $M (with "" (instance
      (export "inc" (func $inc)) (export "dec" (func $dec))))))
    (func (export "balanced") (canon lift (core func $m "balanced")))
    (func (export "under") (canon lift (core func $m "under")))))wat");
  ASSERT_TRUE(c);
  Store store;
  ComponentLinker linker;
  auto inst = linker.instantiate(store, c);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  EXPECT_TRUE(inst.value().call("balanced", {}).ok());
  EXPECT_EQ(trap_of(inst.value().call("under", {})), "backpressure counter underflow");
}

// An async-lifted function `f` of $C resolves through task.return; $D
// calls it through an async lower, which returns RETURNED (2) and stores
// the result at the out-pointer. `body` is $C's core code for "f" (it can
// use $task.return); `lift_opts` extra options of the lift.
std::string async_component(const std::string& body, const std::string& lift_opts = "async") {
  return R"wat((component
    (component $C
      (core module $M
        (import "" "task.return" (func $task.return (param i32)))
        )wat" +
         body + R"wat()
      (core func $task.return (canon task.return (result u32)))
      (core instance $m (instantiate $M (with "" (instance (export "task.return" (func $task.return))))))
      (func (export "f") async (result u32) (canon lift (core func $m "f") )wat" +
         lift_opts + R"wat()))
    (component $D
      (import "f" (func $f async (result u32)))
      (core module $Mem (memory (export "mem") 1))
      (core instance $mem (instantiate $Mem))
      (core func $f' (canon lower (func $f) async (memory (core memory $mem "mem"))))
      (core module $M
        (import "" "mem" (memory 1))
        (import "" "f" (func $f (param i32) (result i32)))
        (func (export "run") (result i32)
          (if (i32.ne (call $f (i32.const 8)) (i32.const 2)) (then unreachable))
          (i32.load (i32.const 8))))
      (core instance $m (instantiate $M (with "" (instance
        (export "mem" (memory $mem "mem")) (export "f" (func $f'))))))
      (func (export "run") (result u32) (canon lift (core func $m "run"))))
    (instance $c (instantiate $C))
    (instance $d (instantiate $D (with "f" (func $c "f"))))
    (export "f" (func $c "f"))
    (export "run" (func $d "run"))))wat";
}

TEST(ComponentRuntime, AsyncLiftResolvesThroughTaskReturnAndAsyncLowerReturns) {
  auto c =
      compile(async_component(R"wat((func (export "f") (call $task.return (i32.const 42))))wat"));
  ASSERT_TRUE(c);
  Store store;
  ComponentLinker linker;
  auto inst = linker.instantiate(store, c);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  auto from_host = inst.value().call("f", {});
  ASSERT_TRUE(from_host.ok()) << from_host.error().to_string();
  EXPECT_EQ(*from_host.value(), Val::u32(42));
  auto through_lower = inst.value().call("run", {});
  ASSERT_TRUE(through_lower.ok()) << through_lower.error().to_string();
  EXPECT_EQ(*through_lower.value(), Val::u32(42));
}

TEST(ComponentRuntime, AsyncTaskMisuseTraps) {
  {
    auto c = compile(async_component(R"wat((func (export "f")))wat"));
    ASSERT_TRUE(c);
    Store store;
    auto inst = ComponentLinker().instantiate(store, c);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    EXPECT_EQ(trap_of(inst.value().call("f", {})),
              "async task exited without resolving (no task.return)");
    EXPECT_EQ(trap_of(inst.value().call("run", {})), "cannot enter component instance");
  }
  {
    auto c = compile(async_component(
        R"wat((func (export "f") (call $task.return (i32.const 1)) (call $task.return (i32.const 2))))wat"));
    ASSERT_TRUE(c);
    Store store;
    auto inst = ComponentLinker().instantiate(store, c);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    EXPECT_EQ(trap_of(inst.value().call("f", {})), "`task.return` called twice");
  }
  {
    // task.return from a synchronously lifted function: there is no async task.
    auto c = compile(R"wat((component
      (core module $M
        (import "" "task.return" (func $task.return (param i32)))
        (func (export "f") (result i32) (call $task.return (i32.const 1)) (i32.const 0)))
      (core func $task.return (canon task.return (result u32)))
      (core instance $m (instantiate $M (with "" (instance (export "task.return" (func $task.return))))))
      (func (export "f") (result u32) (canon lift (core func $m "f")))))wat");
    ASSERT_TRUE(c);
    Store store;
    auto inst = ComponentLinker().instantiate(store, c);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    EXPECT_EQ(trap_of(inst.value().call("f", {})),
              "`task.return` called outside an async-lifted call");
  }
}

TEST(ComponentRuntime, AsyncCallbackMayExitButNotWait) {
  const std::string cb =
      R"wat((func (export "cb") (param i32 i32 i32) (result i32) (i32.const 0)))wat";
  {
    // EXIT (0) after task.return: the call is done.
    auto c = compile(async_component(
        R"wat((func (export "f") (result i32) (call $task.return (i32.const 7)) (i32.const 0)))wat" +
            cb,
        R"wat(async (callback (core func $m "cb")))wat"));
    ASSERT_TRUE(c);
    Store store;
    auto inst = ComponentLinker().instantiate(store, c);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    auto r = inst.value().call("run", {});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r.value(), Val::u32(7));
  }
  {
    // WAIT (2) needs the scheduler; an unknown code is a trap of its own.
    for (const auto& [code, message] :
         {std::pair<std::string, std::string>{
              "2", "async callee asked to yield or wait: blocking is not supported (WASI 0.3)"},
          {"3", "unknown callback code 3"}}) {
      auto c = compile(async_component(
          R"wat((func (export "f") (result i32) (i32.const )wat" + code + R"wat()))wat" + cb,
          R"wat(async (callback (core func $m "cb")))wat"));
      ASSERT_TRUE(c);
      Store store;
      auto inst = ComponentLinker().instantiate(store, c);
      ASSERT_TRUE(inst.ok()) << inst.error().to_string();
      EXPECT_EQ(trap_of(inst.value().call("f", {})), message);
    }
  }
}

TEST(ComponentRuntime, ReexportedResourcesFollowTheirOwner) {
  // "t:e/streams" `use`s "t:e/err"'s resource: its instance type exports
  // the same type (eq), so the host defines the resource once, under its
  // owner, as WIT's `use` means.
  auto c = compile(R"wat((component
    (import "t:e/err" (instance $err
      (export "error" (type (sub resource)))
      (export "make" (func (result (own 0))))))
    (alias export $err "error" (type $error))
    (import "t:e/streams" (instance $streams
      (alias outer 1 $error (type $e))
      (export "error" (type (eq $e)))
      (export "describe" (func (param "e" (borrow 1)) (result u32)))))
    (core func $make (canon lower (func $err "make")))
    (core func $describe (canon lower (func $streams "describe")))
    (core module $m
      (import "" "make" (func $make (result i32)))
      (import "" "describe" (func $describe (param i32) (result i32)))
      (func (export "run") (result i32) (call $describe (call $make))))
    (core instance $i (instantiate $m (with "" (instance
      (export "make" (func $make)) (export "describe" (func $describe))))))
    (func (export "run") (result u32) (canon lift (core func $i "run")))))wat");
  ASSERT_TRUE(c);
  ComponentLinker linker;
  linker.resource("t:e/err", "error", component::ComponentLinker::ResourceDrop{});
  linker.func("t:e/err", "make", [](HostCall&, std::vector<Val>&) -> Result<std::optional<Val>> {
    Val v;
    v.kind = ValKind::Own;
    v.bits = 41;
    return std::optional<Val>(v);
  });
  linker.func("t:e/streams", "describe",
              [](HostCall&, std::vector<Val>& args) -> Result<std::optional<Val>> {
                return std::optional<Val>(Val::u32(static_cast<uint32_t>(args.at(0).bits) + 1));
              });
  Store store;
  auto inst = linker.instantiate(store, c);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  auto r = inst.value().call("run", {});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r.value(), Val::u32(42));
}

TEST(ComponentRuntime, LinkerRedefinitionIsSeenByLaterInstantiations) {
  // Root imports are resolved once per (linker, component) and cached; a
  // definition made afterwards must still win, in every store.
  auto c = compile(R"wat((component
    (import "answer" (func $answer (result u32)))
    (core func $answer' (canon lower (func $answer)))
    (core module $m
      (import "" "answer" (func $answer (result i32)))
      (func (export "ask") (result i32) (call $answer)))
    (core instance $i (instantiate $m (with "" (instance (export "answer" (func $answer'))))))
    (func (export "ask") (result u32) (canon lift (core func $i "ask")))))wat");
  ASSERT_TRUE(c);
  ComponentLinker linker;
  auto define = [&](uint32_t v) {
    linker.func("", "answer", [v](HostCall&, std::vector<Val>&) -> Result<std::optional<Val>> {
      return std::optional<Val>(Val::u32(v));
    });
  };
  auto ask = [&]() -> uint32_t {
    Store store;
    auto inst = linker.instantiate(store, c);
    EXPECT_TRUE(inst.ok()) << inst.error().to_string();
    if (!inst.ok()) return 0;
    auto r = inst.value().call("ask", {});
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? r.value()->as_u32() : 0;
  };
  define(1);
  EXPECT_EQ(ask(), 1u);
  EXPECT_EQ(ask(), 1u);
  define(2);
  EXPECT_EQ(ask(), 2u);
  // A copy shares the cache but not later definitions.
  ComponentLinker copy = linker;
  define(3);
  Store store;
  auto from_copy = copy.instantiate(store, c);
  ASSERT_TRUE(from_copy.ok());
  EXPECT_EQ(from_copy.value().call("ask", {}).value()->as_u32(), 2u);
  EXPECT_EQ(ask(), 3u);
  // A linker that lacks the definition fails to link, cache or not.
  Store empty_store;
  EXPECT_FALSE(ComponentLinker().instantiate(empty_store, c).ok());
}

}  // namespace
}  // namespace weft::component
