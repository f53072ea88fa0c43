// Component imports linked to other component instances' exports
// (InstanceArgument) and the start-up check (check_satisfies).
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

// Exports "example:kv/api@0.1.2": upper(string) -> string, and a resource
// `counter` (its count in guest memory, its rep the address) whose
// destructor counts drops, shown by the top-level export "dropped".
std::string provider_wat() {
  return std::string("(component ") + kLibc + R"wat(
    (core module $dtor_m
      (global $d (export "dropped") (mut i32) (i32.const 0))
      (func (export "dtor") (param i32) (global.set $d (i32.add (global.get $d) (i32.const 1)))))
    (core instance $d (instantiate $dtor_m))
    (type $counter (resource (rep i32) (dtor (core func $d "dtor"))))
    (core func $new (canon resource.new $counter))
    (core module $m
      (import "libc" "mem" (memory 1))
      (import "libc" "realloc" (func $realloc (param i32 i32 i32 i32) (result i32)))
      (import "" "new" (func $new (param i32) (result i32)))
      (import "" "dropped" (global $dropped (mut i32)))
      (func (export "upper") (param $p i32) (param $n i32) (result i32)
        (local $q i32) (local $i i32) (local $c i32)
        (local.set $q (call $realloc (i32.const 0) (i32.const 0) (i32.const 1) (local.get $n)))
        (block $done (loop $l
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $c (i32.load8_u (i32.add (local.get $p) (local.get $i))))
          (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
            (then (local.set $c (i32.sub (local.get $c) (i32.const 32)))))
          (i32.store8 (i32.add (local.get $q) (local.get $i)) (local.get $c))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
        (i32.store (i32.const 16) (local.get $q))
        (i32.store (i32.const 20) (local.get $n))
        (i32.const 16))
      (func (export "make") (param $start i32) (result i32)
        (local $a i32)
        (local.set $a (call $realloc (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 4)))
        (i32.store (local.get $a) (local.get $start))
        (call $new (local.get $a)))
      (func (export "next") (param $a i32) (result i32)
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (i32.load (local.get $a)))
      (func (export "dropped") (result i32) (global.get $dropped)))
    (core instance $i (instantiate $m (with "libc" (instance $libc))
      (with "" (instance (export "new" (func $new)) (export "dropped" (global $d "dropped"))))))
    (func $upper (param "s" string) (result string)
      (canon lift (core func $i "upper") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (func $make (param "start" u32) (result (own $counter)) (canon lift (core func $i "make")))
    (func $next (param "self" (borrow $counter)) (result u32) (canon lift (core func $i "next")))
    ;; Exported through a nested component, as wit-component does, so the
    ;; functions' resource has a name (the nested component's import).
    (component $Shim
      (import "import-type-counter" (type $c (sub resource)))
      (import "import-func-make" (func $make (param "start" u32) (result (own $c))))
      (import "import-func-next" (func $next (param "self" (borrow $c)) (result u32)))
      (import "import-func-upper" (func $upper (param "s" string) (result string)))
      (export $ce "counter" (type $c))
      (export "make" (func $make) (func (param "start" u32) (result (own $ce))))
      (export "[method]counter.next" (func $next) (func (param "self" (borrow $ce)) (result u32)))
      (export "upper" (func $upper)))
    (instance $api (instantiate $Shim (with "import-type-counter" (type $counter))
      (with "import-func-make" (func $make)) (with "import-func-next" (func $next))
      (with "import-func-upper" (func $upper))))
    (export "example:kv/api@0.1.2" (instance $api))
    (func (export "dropped") (result u32) (canon lift (core func $i "dropped")))))wat";
}

// Imports "example:kv/api@0.1.0" with `upper_result` as upper's result
// type; exports shout(string) -> string and count(u32) -> u32 (makes a
// counter, steps it twice, drops it).
std::string consumer_wat(const std::string& upper_result = "string",
                         const std::string& extra = "") {
  return std::string("(component ") + R"wat(
    (import "example:kv/api@0.1.0" (instance $api
      (export "counter" (type (sub resource)))
      (export "make" (func (param "start" u32) (result (own 0))))
      (export "[method]counter.next" (func (param "self" (borrow 0)) (result u32)))
      (export "upper" (func (param "s" string) (result )wat" +
         upper_result + "))" + extra + R"wat()))
    (alias export $api "counter" (type $counter)))wat" +
         kLibc + R"wat(
    (core func $make (canon lower (func $api "make")))
    (core func $next (canon lower (func $api "[method]counter.next")))
    (core func $upper (canon lower (func $api "upper") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core func $drop (canon resource.drop $counter))
    (core module $m
      (import "" "make" (func $make (param i32) (result i32)))
      (import "" "next" (func $next (param i32) (result i32)))
      (import "" "upper" (func $upper (param i32 i32 i32)))
      (import "" "drop" (func $drop (param i32)))
      (func (export "shout") (param i32 i32) (result i32)
        (call $upper (local.get 0) (local.get 1) (i32.const 32))
        (i32.const 32))
      (func (export "count") (param $start i32) (result i32)
        (local $h i32) (local $r i32)
        (local.set $h (call $make (local.get $start)))
        (drop (call $next (local.get $h)))
        (local.set $r (call $next (local.get $h)))
        (call $drop (local.get $h))
        (local.get $r)))
    (core instance $i (instantiate $m (with "" (instance
      (export "make" (func $make)) (export "next" (func $next)) (export "upper" (func $upper))
      (export "drop" (func $drop))))))
    (func (export "shout") (param "s" string) (result string)
      (canon lift (core func $i "shout") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (func (export "count") (param "start" u32) (result u32) (canon lift (core func $i "count")))))wat";
}

// The consumer's only import is of a u32-returning upper: a valid WAT
// consumer needs the lowering to match, so this one lowers nothing.
std::string import_only_wat(const std::string& instance_type) {
  return "(component (import \"example:kv/api@0.1.0\" (instance " + instance_type + ")))";
}

TEST(ComponentLink, StringsAndResourcesCrossTheLink) {
  auto provider = compile(provider_wat());
  auto consumer = compile(consumer_wat());
  ASSERT_TRUE(provider && consumer);
  ASSERT_TRUE(check_satisfies(*consumer, "example:kv/api@0.1.0", *provider).ok());
  ComponentLinker linker;
  Store store;
  auto p = linker.instantiate(store, provider);
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  const InstanceArgument args[] = {{"example:kv/api@0.1.0", p.value(), ""}};
  auto c = linker.instantiate(store, consumer, args);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  auto r = c.value().call("shout", {Val::string("hello, weft")});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r.value()->str, "HELLO, WEFT");
  auto n = c.value().call("count", {Val::u32(40)});
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(*n.value(), Val::u32(42));
  // The consumer's drop ran the provider's destructor.
  auto dropped = p.value().call("dropped", {});
  ASSERT_TRUE(dropped.ok()) << dropped.error().to_string();
  EXPECT_EQ(*dropped.value(), Val::u32(1));
}

TEST(ComponentLink, EachInstantiationUsesItsOwnProvider) {
  // A cached resolution must not carry one provider into another
  // instantiation: per request, a fresh provider with a fresh consumer.
  auto provider = compile(provider_wat());
  auto consumer = compile(consumer_wat());
  ASSERT_TRUE(provider && consumer);
  ComponentLinker linker;
  Store store;
  std::vector<ComponentInstance> providers;
  for (int k = 0; k < 3; ++k) {
    auto p = linker.instantiate(store, provider);
    ASSERT_TRUE(p.ok()) << p.error().to_string();
    providers.push_back(p.value());
    const InstanceArgument args[] = {{"example:kv/api", p.value(), "example:kv/api@0.1.2"}};
    auto c = linker.instantiate(store, consumer, args);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    for (int calls = 0; calls <= k; ++calls)
      ASSERT_TRUE(c.value().call("count", {Val::u32(0)}).ok());
  }
  for (int k = 0; k < 3; ++k) {
    auto d = providers[static_cast<size_t>(k)].call("dropped", {});
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d.value(), Val::u32(static_cast<uint32_t>(k + 1)));
  }
  // The same component with no arguments still needs host definitions.
  auto plain = linker.instantiate(store, consumer);
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().message.find("no host definition"), std::string::npos)
      << plain.error().message;
}

TEST(ComponentLink, ArgumentErrors) {
  auto provider = compile(provider_wat());
  auto consumer = compile(consumer_wat());
  ASSERT_TRUE(provider && consumer);
  ComponentLinker linker;
  Store store, other;
  auto p = linker.instantiate(store, provider);
  ASSERT_TRUE(p.ok());
  auto expect_error = [&](std::span<const InstanceArgument> args, const std::string& text) {
    auto c = linker.instantiate(store, consumer, args);
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message.find(text), std::string::npos) << c.error().message;
  };
  const InstanceArgument unknown[] = {{"example:kv/other", p.value(), ""}};
  expect_error(unknown, "no such import");
  const InstanceArgument empty[] = {{"example:kv/api@0.1.0", ComponentInstance(), ""}};
  expect_error(empty, "empty instance");
  const InstanceArgument no_export[] = {{"example:kv/api@0.1.0", p.value(), "nope"}};
  expect_error(no_export, "exports no `nope`");
  const InstanceArgument twice[] = {{"example:kv/api@0.1.0", p.value(), ""},
                                    {"example:kv/api@0.1.1", p.value(), ""}};
  expect_error(twice, "provided twice");
  auto elsewhere = linker.instantiate(other, provider);
  ASSERT_TRUE(elsewhere.ok());
  const InstanceArgument wrong_store[] = {{"example:kv/api@0.1.0", elsewhere.value(), ""}};
  expect_error(wrong_store, "another Store");
  // A type mismatch is found at instantiation too.
  auto mismatched =
      compile(import_only_wat(R"((export "upper" (func (param "s" string) (result u32))))"));
  ASSERT_TRUE(mismatched);
  const InstanceArgument args[] = {{"example:kv/api@0.1.0", p.value(), ""}};
  auto c = linker.instantiate(store, mismatched, args);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("function \"upper\""), std::string::npos) << c.error().message;
}

TEST(ComponentLink, CheckSatisfiesNamesWhatIsMissing) {
  auto provider = compile(provider_wat());
  ASSERT_TRUE(provider);
  auto message = [&](const std::string& instance_type,
                     std::string_view import_name = "example:kv/api@0.1.0") {
    auto consumer = compile(import_only_wat(instance_type));
    if (!consumer) return std::string("(no consumer)");
    auto r = check_satisfies(*consumer, import_name, *provider);
    return r.ok() ? std::string("ok") : r.error().message;
  };
  EXPECT_EQ(message(R"((export "upper" (func (param "s" string) (result string))))"), "ok");
  // Fewer items than the provider exports are fine.
  EXPECT_EQ(message(R"((export "counter" (type (sub resource))))"), "ok");
  EXPECT_EQ(message(R"((export "check" (func (param "token" string) (result bool))))"),
            "exports no function \"check\"");
  EXPECT_EQ(message(R"((export "upper" (func (param "s" string) (result u32))))"),
            "function \"upper\": expected func(s: string) -> u32, found func(s: string) -> string");
  EXPECT_EQ(message(R"((export "upper" (func (param "text" string) (result string))))"),
            "function \"upper\": expected func(text: string) -> string, found func(s: string) -> "
            "string");
  EXPECT_EQ(message(R"((export "gauge" (type (sub resource))))"), "exports no resource \"gauge\"");
  EXPECT_EQ(message(R"((export "upper" (type (sub resource))))"),
            "resource \"upper\": expected a resource, found a function");
  // A function using the consumer's resource must find the provider's in
  // the same place.
  EXPECT_EQ(message(R"((export "counter" (type (sub resource)))
                       (export "make" (func (param "start" u32) (result (own 0)))))"),
            "ok");
  EXPECT_EQ(message(R"((export "counter" (type (sub resource)))
                       (export "make" (func (param "start" u32) (result u32))))")
                .substr(0, 16),
            "function \"make\":");
  // Versions: 0.1.x are compatible, 0.2 is not.
  auto v2 = compile("(component (import \"example:kv/api@0.2.0\" (instance)))");
  ASSERT_TRUE(v2);
  auto r = check_satisfies(*v2, "example:kv/api@0.2.0", *provider);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "exports no interface \"example:kv/api@0.2.0\"");
  r = check_satisfies(*v2, "example:kv/other", *provider);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not imported"), std::string::npos);
  r = check_satisfies(*v2, "example:kv/api@0.2.0", *provider, "dropped");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "exports \"dropped\" as a function, not an interface");
}

}  // namespace
}  // namespace weft::component
