// The trap messages the reference tests (component-model-tests/values and
// resources) expect, each in the scenario of the .wast case it comes from.
#include "fake_guest.h"

namespace weft::component::abi {
namespace {

using namespace testing;

CoreFn nothing() {
  return [](std::span<const CoreValue>) { return Result(std::vector<CoreValue>{}); };
}

// realloc.wast: a caller passes a list to a callee whose realloc returns
// `forced`; `fused` says whether the caller is another component or the host.
Result<std::vector<CoreValue>> pass_list(ValTypePtr elem, uint32_t forced, bool fused,
                                         std::vector<Val> host_items = {}) {
  FakeGuest callee_mem, caller_mem;
  callee_mem.forced_result = forced;
  ComponentInstance c, d;
  FuncType ft = func({list(elem)});
  auto exported = lift(nothing(), ft, callee_mem.options(), c);
  if (!exported) return std::move(exported).error();
  if (!fused) {
    auto r = invoke(*exported, {Val::list(std::move(host_items))});
    if (!r) return std::move(r).error();
    return std::vector<CoreValue>{};
  }
  CanonicalOptions caller_opts = caller_mem.options();
  caller_opts.realloc = nullptr;
  auto imported = lower(*exported, ft, caller_opts, d);
  if (!imported) return std::move(imported).error();
  return (*imported)(std::vector<CoreValue>{i32v(8), i32v(1)});
}

TEST(ReferenceMessages, Realloc) {
  EXPECT_TRUE(Traps(pass_list(u8(), 0xffffffff, true), "wasm trap: list content out-of-bounds"));
  EXPECT_TRUE(Traps(pass_list(u32(), 2, true), "wasm trap: unaligned pointer"));
  EXPECT_TRUE(Traps(pass_list(u32(), 0xfffffffc, false, {Val::u32(1), Val::u32(2)}),
                    "realloc return: beyond end of memory"));
  EXPECT_TRUE(
      Traps(pass_list(u32(), 0xfffffffc, false, {}), "realloc return: beyond end of memory"));
  EXPECT_TRUE(Traps(pass_list(u32(), 0xffffffff, false, {Val::u32(1), Val::u32(2)}),
                    "realloc return: result not aligned"));
}

TEST(ReferenceMessages, Alignment) {
  // alignment.wast's StringOOB: caller-side string pointer/length out of
  // the caller's memory, pointer out and only pointer + length out.
  for (auto [ptr, len] : {std::pair<uint32_t, uint32_t>{0x80000000, 1}, {65535, 2}}) {
    FakeGuest cm, dm;
    ComponentInstance c, d;
    FuncType ft = func({str()});
    auto exported = lift(nothing(), ft, cm.options(), c);
    ASSERT_TRUE(exported.ok());
    auto imported = lower(*exported, ft, dm.options(), d);
    ASSERT_TRUE(imported.ok());
    EXPECT_TRUE(Traps((*imported)(std::vector<CoreValue>{i32v(ptr), i32v(len)}),
                      "string content out-of-bounds"));
  }
}

TEST(ReferenceMessages, Strings) {
  // strings.wast: an export returning a string from its own memory.
  auto returned = [](uint32_t ptr, uint32_t len, std::initializer_list<uint8_t> bytes) {
    FakeGuest m;
    m.put_u32(0, ptr);
    m.put_u32(4, len);
    if (bytes.size()) m.put(ptr, bytes);
    ComponentInstance c;
    auto f =
        lift([](std::span<const CoreValue>) { return Result(std::vector<CoreValue>{i32v(0)}); },
             func({}, str()), m.options(), c);
    EXPECT_TRUE(f.ok());
    return invoke(*f, {});
  };
  EXPECT_TRUE(Traps(returned(0xdeadbeef, 0, {}), "string pointer/length out of bounds of memory"));
  EXPECT_TRUE(Traps(returned(8, 1, {0xff}), "invalid utf-8"));
  EXPECT_TRUE(Traps(returned(8, 1, {0xc3}), "incomplete utf-8 byte sequence"));
  EXPECT_TRUE(Traps(returned(65535, 2, {'o'}), "string pointer/length out of bounds of memory"));
  auto ok = returned(65534, 2, {'o', 'k'});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)->str, "ok");
}

TEST(ReferenceMessages, VariantsAndChars) {
  // A fresh instance each time, as the scripts do: after a trap an
  // instance stays entered and refuses further calls.
  FakeGuest m;
  std::vector<std::unique_ptr<ComponentInstance>> instances;
  auto bad = [&](ValTypePtr t, uint32_t v) {
    ComponentInstance& c = *instances.emplace_back(std::make_unique<ComponentInstance>());
    auto f =
        lift([v](std::span<const CoreValue>) { return Result(std::vector<CoreValue>{i32v(v)}); },
             func({}, t), m.options(), c);
    EXPECT_TRUE(f.ok());
    return invoke(*f, {});
  };
  EXPECT_TRUE(Traps(bad(enumeration(2), 2), "invalid variant discriminant"));
  EXPECT_TRUE(Traps(bad(chr(), 0xd800), "invalid `char` bit pattern"));
  EXPECT_TRUE(Traps(bad(chr(), 0xdfff), "invalid `char` bit pattern"));
  EXPECT_TRUE(Traps(bad(chr(), 0x110000), "invalid `char` bit pattern"));
}

TEST(ReferenceMessages, Handles) {
  auto r1 = std::make_shared<const ResourceType>();
  auto r2 = std::make_shared<const ResourceType>();
  ComponentInstance c;
  EXPECT_TRUE(Traps(canon_resource_drop(c, r1.get(), 5, nullptr, {}), "unknown handle index 5"));
  EXPECT_TRUE(Traps(canon_resource_rep(c, r1.get(), 5), "unknown handle index 5"));
  ASSERT_TRUE(canon_resource_new(c, r1.get(), 100).ok());
  EXPECT_TRUE(Traps(canon_resource_drop(c, r2.get(), 1, nullptr, {}),
                    "handle index 1 used with the wrong type, expected guest-defined resource but "
                    "found a different guest-defined resource"));
}

}  // namespace
}  // namespace weft::component::abi
