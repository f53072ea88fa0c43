// canon lift / canon lower / canon resource.*: host calls, fused
// component-to-component calls (a caller's lowered import calling a
// callee's lifted export), instance flags, handles and borrows.
#include "fake_guest.h"

namespace weft::component::abi {
namespace {

using namespace testing;

// A component: a memory with a bump realloc, its instance state and a log
// shared with other components, for checking the order of calls.
struct Component {
  std::string name;
  std::vector<std::string>* log;
  FakeGuest g;
  ComponentInstance inst;

  Component(std::string n, std::vector<std::string>* l, ComponentInstance* parent = nullptr)
      : name(std::move(n)), log(l), inst(parent) {}

  CanonicalOptions options(StringEncoding e = StringEncoding::Utf8) {
    CanonicalOptions o = g.options(e);
    o.realloc = [this](uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
      log->push_back(name + ".realloc(" + std::to_string(d) + ")");
      return g.realloc(a, b, c, d);
    };
    return o;
  }
};

std::vector<CoreValue> ints(std::initializer_list<uint32_t> vs) {
  std::vector<CoreValue> out;
  for (uint32_t v : vs) out.push_back(i32v(v));
  return out;
}

FuncInst must_lift(CoreFn f, FuncType ft, CanonicalOptions o, ComponentInstance& inst) {
  auto r = lift(std::move(f), std::move(ft), std::move(o), inst);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : FuncInst();
}

CoreFn must_lower(FuncInst f, FuncType ft, CanonicalOptions o, ComponentInstance& inst) {
  auto r = lower(std::move(f), std::move(ft), std::move(o), inst);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : CoreFn();
}

TEST(Canon, HostCallsALiftedExport) {
  std::vector<std::string> log;
  Component c("C", &log);
  // f(s: string) -> string: returns "<s>!" through a retptr at 8.
  CoreFn core = [&](std::span<const CoreValue> args) -> Result<std::vector<CoreValue>> {
    log.push_back("C.f");
    std::string s = c.g.bytes(args[0].as_u32(), args[1].as_u32()) + "!";
    c.g.put_bytes(1000, s);
    c.g.put_u32(8, 1000);
    c.g.put_u32(12, static_cast<uint32_t>(s.size()));
    return ints({8});
  };
  CanonicalOptions o = c.options();
  o.post_return = [&](std::span<const CoreValue> flat) -> Result<std::vector<CoreValue>> {
    EXPECT_EQ(flat.size(), 1u);
    log.push_back("C.post_return");
    return std::vector<CoreValue>{};
  };
  FuncInst f = must_lift(core, func({str()}, str()), o, c.inst);
  auto r = invoke(f, {Val::string("hi")});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->str, "hi!");
  EXPECT_EQ(log, (std::vector<std::string>{"C.realloc(2)", "C.f", "C.post_return"}));
  EXPECT_TRUE(c.inst.may_enter);
  EXPECT_TRUE(c.inst.may_leave);
}

TEST(Canon, FusedCallTranscodesAndLowersResultsBeforePostReturn) {
  std::vector<std::string> log;
  Component c("C", &log), d("D", &log);
  CoreFn core = [&](std::span<const CoreValue> args) -> Result<std::vector<CoreValue>> {
    log.push_back("C.f");
    EXPECT_EQ(c.g.bytes(args[0].as_u32(), args[1].as_u32()), "h\xe2\x98\x83");
    c.g.put_bytes(1000, "ok\xe2\x98\x83");
    c.g.put_u32(8, 1000);
    c.g.put_u32(12, 5);
    return ints({8});
  };
  CanonicalOptions co = c.options(StringEncoding::Utf8);
  co.post_return = [&](std::span<const CoreValue>) -> Result<std::vector<CoreValue>> {
    log.push_back("C.post_return");
    return std::vector<CoreValue>{};
  };
  FuncType ft = func({str()}, str());
  FuncInst exported = must_lift(core, ft, co, c.inst);
  CoreFn imported = must_lower(exported, ft, d.options(StringEncoding::Utf16), d.inst);
  // D passes "h☃" in utf16 (2 code units) and a retptr.
  d.g.put(100, {'h', 0, 0x03, 0x26});
  auto r = imported(ints({100, 2, 200}));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->empty());
  // utf16 -> utf8: 2 bytes, grown to 6, shrunk to 4; then the result
  // utf8 -> utf16: 2 * 5 bytes, shrunk to 3 code units; then post-return.
  EXPECT_EQ(log, (std::vector<std::string>{"C.realloc(2)", "C.realloc(6)", "C.realloc(4)", "C.f",
                                           "D.realloc(10)", "D.realloc(6)", "C.post_return"}));
  uint32_t p = d.g.u32(200);
  EXPECT_EQ(d.g.u32(204), 3u);
  EXPECT_EQ(d.g.bytes(p, 6), std::string("o\0k\0\x03\x26", 6));
  EXPECT_TRUE(c.inst.may_enter);
  EXPECT_TRUE(d.inst.may_enter);
}

TEST(Canon, SpilledParamsAndResultsAcrossComponents) {
  std::vector<std::string> log;
  Component c("C", &log), d("D", &log);
  std::vector<ValTypePtr> params(17, u32());
  FuncType ft = func(params, tuple({u32(), u64()}));
  CoreFn core = [&](std::span<const CoreValue> args) -> Result<std::vector<CoreValue>> {
    EXPECT_EQ(args.size(), 1u);  // the argptr
    uint32_t p = args[0].as_u32();
    uint32_t sum = 0;
    for (uint32_t i = 0; i < 17; ++i) sum += c.g.u32(p + 4 * i);
    c.g.put_u32(512, sum);
    c.g.put(520, {1, 2, 3, 4, 5, 6, 7, 8});
    return ints({512});
  };
  FuncInst exported = must_lift(core, ft, c.options(), c.inst);
  CoreFn imported = must_lower(exported, ft, d.options(), d.inst);
  for (uint32_t i = 0; i < 17; ++i) d.g.put_u32(64 + 4 * i, i + 1);
  auto r = imported(ints({64, 256}));  // argptr, retptr
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(log, (std::vector<std::string>{"C.realloc(68)"}));
  EXPECT_EQ(d.g.u32(256), 153u);
  EXPECT_EQ(d.g.bytes(264, 8), "\x01\x02\x03\x04\x05\x06\x07\x08");
  // The same export called by the host.
  std::vector<Val> args;
  for (uint32_t i = 0; i < 17; ++i) args.push_back(Val::u32(2));
  auto v = invoke(exported, args);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(**v, Val::tuple({Val::u32(34), Val::u64(0x0807060504030201)}));
}

TEST(Canon, MisalignedRetptrsTrap) {
  std::vector<std::string> log;
  Component c("C", &log), d("D", &log);
  FuncType ft = func({}, tuple({u32(), u32()}));
  uint32_t callee_retptr = 1;
  CoreFn core = [&](std::span<const CoreValue>) -> Result<std::vector<CoreValue>> {
    return ints({callee_retptr});
  };
  FuncInst exported = must_lift(core, ft, c.options(), c.inst);
  CoreFn imported = must_lower(exported, ft, d.options(), d.inst);
  EXPECT_TRUE(Traps(imported(ints({8})), "unaligned pointer"));
  Component c2("C2", &log), d2("D2", &log);
  callee_retptr = 0;
  exported = must_lift(core, ft, c2.options(), c2.inst);
  imported = must_lower(exported, ft, d2.options(), d2.inst);
  EXPECT_TRUE(Traps(imported(ints({1})), "unaligned pointer"));
}

TEST(Canon, SpilledArgsThroughAMisalignedReallocTrap) {
  std::vector<std::string> log;
  Component c("C", &log);
  c.g.forced_result = 1;
  std::vector<ValTypePtr> params(17, u32());
  FuncInst f =
      must_lift([](std::span<const CoreValue>) { return Result(std::vector<CoreValue>{}); },
                func(params), c.options(), c.inst);
  std::vector<Val> args(17, Val::u32(0));
  EXPECT_TRUE(Traps(invoke(f, args), "unaligned pointer"));
}

TEST(Canon, PostReturnAndReallocMayNotLeave) {
  std::vector<std::string> log;
  Component c("C", &log);
  // C imports a host function; its post-return calls it.
  FuncType unit = func({});
  CoreFn import = must_lower(host_func([](std::vector<Val>) -> Result<std::optional<Val>> {
                               return std::optional<Val>();
                             }),
                             unit, c.options(), c.inst);
  CanonicalOptions o = c.options();
  o.post_return = [&](std::span<const CoreValue>) { return import({}); };
  FuncInst f = must_lift(
      [](std::span<const CoreValue>) { return Result(std::vector<CoreValue>{}); }, unit, o, c.inst);
  EXPECT_TRUE(Traps(invoke(f, {}), "cannot leave component instance"));

  Component c2("C2", &log);
  CoreFn import2 = must_lower(host_func([](std::vector<Val>) -> Result<std::optional<Val>> {
                                return std::optional<Val>();
                              }),
                              unit, c2.options(), c2.inst);
  CanonicalOptions o2 = c2.options();
  o2.realloc = [&](uint32_t, uint32_t, uint32_t, uint32_t) -> Result<uint32_t> {
    auto r = import2({});
    if (!r) return std::move(r).error();
    return 16u;
  };
  FuncInst g =
      must_lift([](std::span<const CoreValue>) { return Result(std::vector<CoreValue>{}); },
                func({str()}), o2, c2.inst);
  EXPECT_TRUE(Traps(invoke(g, {Val::string("x")}), "cannot leave component instance"));

  // resource.new and resource.drop check may_leave too.
  auto rt = std::make_shared<const ResourceType>();
  Component c3("C3", &log);
  c3.inst.may_leave = false;
  EXPECT_TRUE(Traps(canon_resource_new(c3.inst, rt.get(), 1), "cannot leave component instance"));
  EXPECT_TRUE(Traps(canon_resource_drop(c3.inst, rt.get(), 1, nullptr, {}),
                    "cannot leave component instance"));
}

TEST(Canon, ReentranceTrapsAndATrapLeavesTheInstanceEntered) {
  std::vector<std::string> log;
  Component c("C", &log);
  FuncType unit = func({});
  FuncInst self;
  CoreFn import = must_lower(
      [&](const OnStart& s, const OnResolve& r, ComponentInstance* caller) {
        return self(s, r, nullptr);  // the host calls back into C
      },
      unit, c.options(), c.inst);
  self =
      must_lift([&](std::span<const CoreValue>) { return import({}); }, unit, c.options(), c.inst);
  EXPECT_TRUE(Traps(invoke(self, {}), "cannot enter component instance"));
  EXPECT_FALSE(c.inst.may_enter);
  EXPECT_TRUE(Traps(invoke(self, {}), "cannot enter component instance"));
}

TEST(Canon, NestedInstancesShareTheParentsFlags) {
  std::vector<std::string> log;
  Component parent("P", &log);
  Component child("K", &log, &parent.inst);
  FuncType unit = func({});
  FuncInst child_f =
      must_lift([](std::span<const CoreValue>) { return Result(std::vector<CoreValue>{}); }, unit,
                child.options(), child.inst);
  // The parent calling its child enters only the child.
  CoreFn parent_import = must_lower(child_f, unit, parent.options(), parent.inst);
  FuncInst parent_f = must_lift(
      [&](std::span<const CoreValue>) {
        EXPECT_FALSE(parent.inst.may_enter);
        return parent_import({});
      },
      unit, parent.options(), parent.inst);
  EXPECT_TRUE(invoke(parent_f, {}).ok());
  // The host calling the child enters the parent too.
  FuncInst probe = must_lift(
      [&](std::span<const CoreValue>) {
        EXPECT_FALSE(parent.inst.may_enter);
        return Result(std::vector<CoreValue>{});
      },
      unit, child.options(), child.inst);
  EXPECT_TRUE(invoke(probe, {}).ok());
  EXPECT_TRUE(parent.inst.may_enter);
}

TEST(Canon, HostImportGetsAndReturnsValues) {
  std::vector<std::string> log;
  Component d("D", &log);
  FuncType ft = func({str(), u32()}, list(u8()));
  CoreFn import = must_lower(host_func([](std::vector<Val> args) -> Result<std::optional<Val>> {
                               std::vector<Val> bytes;
                               for (char ch : args[0].str)
                                 bytes.push_back(Val::u8(static_cast<uint8_t>(ch + args[1].bits)));
                               return std::optional<Val>(Val::list(std::move(bytes)));
                             }),
                             ft, d.options(), d.inst);
  d.g.put_bytes(100, "abc");
  auto r = import(ints({100, 3, 1, 200}));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(d.g.bytes(d.g.u32(200), d.g.u32(204)), "bcd");
  // Wrong core argument types are the embedder's error.
  auto bad = import(std::vector<CoreValue>{i64v(1)});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::Usage);
}

TEST(Canon, AsyncRunsButStreamsAreRejected) {
  ComponentInstance inst;
  FuncType ft = func({});
  ft.is_async = true;
  EXPECT_TRUE(lift({}, ft, {}, inst).ok());
  CanonicalOptions o;
  o.async = true;
  EXPECT_TRUE(lower({}, func({}), o, inst).ok());
  ValType stream;
  stream.kind = ValKind::Stream;
  EXPECT_FALSE(lift({}, func({make(stream)}), {}, inst).ok());
  EXPECT_FALSE(lower({}, func({}, make(stream)), o, inst).ok());
}

TEST(Canon, AsyncFlatteningFollowsDefinitionsPy) {
  using T = CoreType;
  const std::vector<ValTypePtr> five(5, u32());
  const std::vector<ValTypePtr> seventeen(17, u32());
  // lift: params as for sync; results none, or the callback's i32 code.
  EXPECT_EQ(flatten_functype_async(func(five, str()), FlattenContext::Lift, false),
            (CoreFuncType{std::vector<T>(5, T::I32), {}}));
  EXPECT_EQ(flatten_functype_async(func(seventeen), FlattenContext::Lift, true),
            (CoreFuncType{{T::I32}, {T::I32}}));
  // lower: more than 4 flat params → a pointer; a result → an out-pointer;
  // the packed subtask state comes back.
  EXPECT_EQ(flatten_functype_async(func({u32(), u64()}), FlattenContext::Lower, false),
            (CoreFuncType{{T::I32, T::I64}, {T::I32}}));
  EXPECT_EQ(flatten_functype_async(func(five, u32()), FlattenContext::Lower, false),
            (CoreFuncType{{T::I32, T::I32}, {T::I32}}));
}

// ---- resources ---------------------------------------------------------------

TEST(Resources, HandleIndicesStartAtOneAndReuseLastFreedFirst) {
  auto rt = std::make_shared<const ResourceType>();
  ComponentInstance inst;
  for (uint32_t i = 1; i <= 3; ++i) EXPECT_EQ(*canon_resource_new(inst, rt.get(), 100 + i), i);
  EXPECT_TRUE(canon_resource_drop(inst, rt.get(), 1, nullptr, {}).ok());
  EXPECT_TRUE(canon_resource_drop(inst, rt.get(), 3, nullptr, {}).ok());
  EXPECT_EQ(*canon_resource_new(inst, rt.get(), 7), 3u);
  EXPECT_EQ(*canon_resource_new(inst, rt.get(), 8), 1u);
  EXPECT_EQ(*canon_resource_new(inst, rt.get(), 9), 4u);
  EXPECT_EQ(*canon_resource_rep(inst, rt.get(), 1), 8u);
  EXPECT_EQ(*canon_resource_rep(inst, rt.get(), 2), 102u);
}

TEST(Resources, UnknownHandlesTrap) {
  auto rt = std::make_shared<const ResourceType>();
  ComponentInstance inst;
  EXPECT_TRUE(Traps(canon_resource_drop(inst, rt.get(), 5, nullptr, {}), "unknown handle index 5"));
  EXPECT_TRUE(Traps(canon_resource_rep(inst, rt.get(), 5), "unknown handle index 5"));
  EXPECT_TRUE(Traps(canon_resource_drop(inst, rt.get(), 0, nullptr, {}), "unknown handle index 0"));
  EXPECT_TRUE(Traps(canon_resource_drop(inst, rt.get(), 0xffffffff, nullptr, {}),
                    "unknown handle index 4294967295"));
  ASSERT_EQ(*canon_resource_new(inst, rt.get(), 1), 1u);
  EXPECT_TRUE(canon_resource_drop(inst, rt.get(), 1, nullptr, {}).ok());
  EXPECT_TRUE(Traps(canon_resource_drop(inst, rt.get(), 1, nullptr, {}), "unknown handle index 1"));
  EXPECT_TRUE(Traps(canon_resource_rep(inst, rt.get(), 1), "unknown handle index 1"));
  // Tables are per instance.
  ComponentInstance other;
  ASSERT_EQ(*canon_resource_new(inst, rt.get(), 1), 1u);
  EXPECT_TRUE(
      Traps(canon_resource_drop(other, rt.get(), 1, nullptr, {}), "unknown handle index 1"));
}

TEST(Resources, WrongTypeTraps) {
  auto r1 = std::make_shared<const ResourceType>();
  auto r2 = std::make_shared<const ResourceType>();
  auto host = std::make_shared<ResourceType>();
  host->host_defined = true;
  ComponentInstance inst;
  ASSERT_EQ(*canon_resource_new(inst, r1.get(), 100), 1u);
  EXPECT_TRUE(Traps(canon_resource_drop(inst, r2.get(), 1, nullptr, {}),
                    "handle index 1 used with the wrong type, expected guest-defined resource but "
                    "found a different guest-defined resource"));
  ASSERT_EQ(*canon_resource_new(inst, r1.get(), 100), 1u);
  EXPECT_TRUE(Traps(canon_resource_rep(inst, host.get(), 1),
                    "expected host-defined resource but found a different guest-defined"));
  // Returning R1's handle as an own<R2> result.
  FuncInst f = must_lift([](std::span<const CoreValue>) { return Result(ints({1})); },
                         func({}, own(r2)), {}, inst);
  EXPECT_TRUE(Traps(invoke(f, {}), "handle index 1 used with the wrong type"));
}

TEST(Resources, DropCallsTheDestructorForOwnsOnly) {
  auto rt = std::make_shared<const ResourceType>();
  ComponentInstance impl, user;
  std::vector<uint32_t> dtor_reps;
  CoreFn dtor = [&](std::span<const CoreValue> args) -> Result<std::vector<CoreValue>> {
    EXPECT_FALSE(impl.may_enter);  // the destructor runs inside impl
    dtor_reps.push_back(args[0].as_u32());
    return std::vector<CoreValue>{};
  };
  ASSERT_EQ(*canon_resource_new(user, rt.get(), 42), 1u);
  EXPECT_TRUE(canon_resource_drop(user, rt.get(), 1, &impl, dtor).ok());
  EXPECT_EQ(dtor_reps, std::vector<uint32_t>{42});
  EXPECT_TRUE(impl.may_enter);
  ASSERT_EQ(*canon_resource_new(user, rt.get(), 43), 1u);
  impl.may_enter = false;
  EXPECT_TRUE(Traps(canon_resource_drop(user, rt.get(), 1, &impl, dtor),
                    "cannot enter component instance"));
}

struct ResourceWorld {
  std::vector<std::string> log;
  std::shared_ptr<const ResourceType> rt = std::make_shared<const ResourceType>();
  Component c{"C", &log}, d{"D", &log};
};

TEST(Resources, OwnsMoveBetweenTables) {
  ResourceWorld w;
  FuncType ft = func({own(w.rt)}, u32());
  uint32_t callee_handle = 0;
  FuncInst take = must_lift(
      [&](std::span<const CoreValue> args) -> Result<std::vector<CoreValue>> {
        callee_handle = args[0].as_u32();
        auto rep = canon_resource_rep(w.c.inst, w.rt.get(), callee_handle);
        if (!rep) return std::move(rep).error();
        return ints({*rep});
      },
      ft, w.c.options(), w.c.inst);
  CoreFn call = must_lower(take, ft, w.d.options(), w.d.inst);
  ASSERT_EQ(*canon_resource_new(w.d.inst, w.rt.get(), 77), 1u);
  auto r = call(ints({1}));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_u32(), 77u);
  EXPECT_EQ(callee_handle, 1u);
  EXPECT_TRUE(Traps(canon_resource_rep(w.d.inst, w.rt.get(), 1), "unknown handle index 1"));
  EXPECT_EQ(*canon_resource_rep(w.c.inst, w.rt.get(), 1), 77u);
}

TEST(Resources, BorrowsAreScopedToTheCall) {
  ResourceWorld w;
  FuncType ft = func({borrow(w.rt)}, u32());
  bool drop_borrow = true;
  FuncInst use = must_lift(
      [&](std::span<const CoreValue> args) -> Result<std::vector<CoreValue>> {
        uint32_t h = args[0].as_u32();
        auto rep = canon_resource_rep(w.c.inst, w.rt.get(), h);
        if (!rep) return std::move(rep).error();
        if (drop_borrow) {
          auto dr = canon_resource_drop(w.c.inst, w.rt.get(), h, nullptr, {});
          if (!dr) return std::move(dr).error();
        }
        return ints({*rep});
      },
      ft, w.c.options(), w.c.inst);
  CoreFn call = must_lower(use, ft, w.d.options(), w.d.inst);
  ASSERT_EQ(*canon_resource_new(w.d.inst, w.rt.get(), 5), 1u);
  auto r = call(ints({1}));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_u32(), 5u);
  // The lender's handle is usable again, and droppable: the lend ended.
  auto h = w.d.inst.handles.get(1);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((*h)->num_lends, 0u);
  EXPECT_EQ(w.c.inst.handles.live(), 0u);
  // A callee that keeps the borrow past its return traps.
  drop_borrow = false;
  EXPECT_TRUE(Traps(call(ints({1})), "borrow handles still remain at the end of the call"));
}

TEST(Resources, BorrowsOfYourOwnResourceArriveAsReps) {
  ResourceWorld w;
  w.c.inst.add_resource_impl(w.rt.get());
  FuncType ft = func({borrow(w.rt), borrow(w.rt)}, u32());
  FuncInst pair = must_lift(
      [&](std::span<const CoreValue> args) -> Result<std::vector<CoreValue>> {
        return ints({args[0].as_u32() + args[1].as_u32()});
      },
      ft, w.c.options(), w.c.inst);
  CoreFn call = must_lower(pair, ft, w.d.options(), w.d.inst);
  ASSERT_EQ(*canon_resource_new(w.d.inst, w.rt.get(), 0x41), 1u);
  auto r = call(ints({1, 1}));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)[0].as_u32(), 0x82u);
  EXPECT_EQ(w.c.inst.handles.live(), 0u);
}

TEST(Resources, LendingAndMovingTheSameHandleTraps) {
  ResourceWorld w;
  w.c.inst.add_resource_impl(w.rt.get());
  FuncType ft = func({borrow(w.rt), own(w.rt)}, u32());
  FuncInst take = must_lift([](std::span<const CoreValue>) { return Result(ints({0})); }, ft,
                            w.c.options(), w.c.inst);
  CoreFn call = must_lower(take, ft, w.d.options(), w.d.inst);
  ASSERT_EQ(*canon_resource_new(w.d.inst, w.rt.get(), 1), 1u);
  EXPECT_TRUE(Traps(call(ints({1, 1})), "cannot remove owned resource while borrowed"));
}

TEST(Resources, DroppingALentHandleTraps) {
  ResourceWorld w;
  FuncType ft = func({borrow(w.rt)});
  CoreFn call = must_lower(
      [&](const OnStart& on_start, const OnResolve& on_resolve,
          ComponentInstance*) -> Result<void> {
        auto args = on_start();
        if (!args) return std::move(args).error();
        // While lent, the owner's handle cannot be dropped.
        auto dr = canon_resource_drop(w.d.inst, w.rt.get(), 1, nullptr, {});
        EXPECT_TRUE(Traps(dr, "cannot remove owned resource while borrowed"));
        return on_resolve({});
      },
      ft, w.d.options(), w.d.inst);
  ASSERT_EQ(*canon_resource_new(w.d.inst, w.rt.get(), 1), 1u);
  ASSERT_TRUE(call(ints({1})).ok());
}

TEST(Resources, HostPassesOwnsAndBorrowsAsReps) {
  ResourceWorld w;
  FuncType ft = func({own(w.rt), borrow(w.rt)}, own(w.rt));
  FuncInst f = must_lift(
      [&](std::span<const CoreValue> args) -> Result<std::vector<CoreValue>> {
        EXPECT_EQ(*canon_resource_rep(w.c.inst, w.rt.get(), args[0].as_u32()), 10u);
        EXPECT_EQ(*canon_resource_rep(w.c.inst, w.rt.get(), args[1].as_u32()), 20u);
        EXPECT_TRUE(canon_resource_drop(w.c.inst, w.rt.get(), args[1].as_u32(), nullptr, {}).ok());
        return ints({args[0].as_u32()});  // hand the own back
      },
      ft, w.c.options(), w.c.inst);
  Val o;
  o.kind = ValKind::Own;
  o.bits = 10;
  Val b;
  b.kind = ValKind::Borrow;
  b.bits = 20;
  auto r = invoke(f, {o, b});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)->kind, ValKind::Own);
  EXPECT_EQ((*r)->bits, 10u);
  EXPECT_EQ(w.c.inst.handles.live(), 0u);
}

TEST(TrapsHelper, RejectsSuccessAndOtherMessages) {
  EXPECT_FALSE(Traps(Result<int>(1), "x"));
  EXPECT_FALSE(Traps(Result<int>(Error::make_trap(TrapKind::Unreachable, "abc")), "x"));
  EXPECT_FALSE(Traps(Result<int>(Error::usage("x")), "x"));
}

}  // namespace
}  // namespace weft::component::abi
