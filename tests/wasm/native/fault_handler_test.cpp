// The optimizing tier's fault handler turns only a guest's own
// out-of-bounds access into a wasm trap (issue 11, "Bad input"): a fault in
// host code, or a SIGSEGV sent from outside, must still kill the process
// loudly, never become a MemoryOutOfBounds trap that a server answers with
// a 500 and keeps running on.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <thread>
#include <vector>

#include "wasm/native/native.h"
#include "wasm/runtime/runtime.h"
#include "wasm/text/wat.h"
#include "weft/weft.h"

namespace weft {
namespace {

// Guarded memories need x86-64 and 8 GiB of address space (no ulimit -v).
bool guarded_here() {
  native::enable(Tier::Optimized);
  return detail::guarded_memories();
}

// A module whose native functions load from memory, call the host, and
// spin for a count (about a second for 2^31: a signal lost ends the spin,
// and the death test then fails instead of hanging); its memory is one page in an 8 GiB
// reservation.
struct Guest {
  Store store;
  std::optional<Instance> instance;
  uint8_t* memory_base = nullptr;

  explicit Guest(std::function<void()> host_body) {
    auto bytes = text::wat_to_wasm(R"(
      (module
        (import "host" "poke" (func $poke))
        (memory (export "memory") 1)
        (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
        (func (export "call_host") (call $poke))
        (func (export "spin") (param i32) (result i32)
          (local i32)
          (call $poke)
          (loop $l
            (local.set 1 (i32.add (local.get 1) (i32.load (i32.const 0))))
            (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
          (local.get 1)))
    )",
                                   "fault.wat");
    EXPECT_TRUE(bytes) << bytes.error().to_string();
    CompileOptions options;
    options.tier = Tier::Optimized;
    auto module = Module::compile(*bytes, options);
    EXPECT_TRUE(module) << module.error().to_string();
    Linker linker;
    linker.func("host", "poke", FuncType{},
                [host_body](Caller&, std::span<const Value>, std::span<Value>) -> Result<void> {
                  host_body();
                  return {};
                });
    auto inst = linker.instantiate(store, *module);
    EXPECT_TRUE(inst) << inst.error().to_string();
    instance = std::move(*inst);
    memory_base = instance->get_memory("memory")->data();
  }
};

// Two GiB into the reservation: past the memory, inside its guard region.
volatile uint8_t* guard_byte(uint8_t* base) { return base + (uint64_t{1} << 31); }

TEST(NativeFaultHandler, GuestOutOfBoundsIsATrap) {
  if (!guarded_here()) GTEST_SKIP() << "no guarded memories on this machine";
  Guest guest([] {});
  const std::vector<Value> args{Value::i32(0x7fff0000)};
  auto r = guest.instance->get_func("load")->call(args);
  ASSERT_FALSE(r);
  ASSERT_TRUE(r.error().is_trap()) << r.error().to_string();
  EXPECT_EQ(r.error().trap->kind, TrapKind::MemoryOutOfBounds);
}

TEST(NativeFaultHandlerDeathTest, HostCodeFaultingInTheGuardRegionCrashes) {
  if (!guarded_here()) GTEST_SKIP() << "no guarded memories on this machine";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        uint8_t* base = nullptr;
        Guest guest([&base] { *guard_byte(base) = 1; });
        base = guest.memory_base;
        // A host function called from native code: its fault is the host's.
        auto r = guest.instance->get_func("call_host")->call({});
        std::fprintf(stderr, "survived: %s\n", r ? "ok" : r.error().to_string().c_str());
        std::exit(0);
      },
      "");
}

TEST(NativeFaultHandlerDeathTest, FaultOutsideNativeCodeCrashes) {
  if (!guarded_here()) GTEST_SKIP() << "no guarded memories on this machine";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Guest guest([] {});
        *guard_byte(guest.memory_base) = 1;  // no native code running
        std::fprintf(stderr, "survived\n");
        std::exit(0);
      },
      "");
}

TEST(NativeFaultHandlerDeathTest, SegvSentWhileNativeCodeRunsCrashes) {
  if (!guarded_here()) GTEST_SKIP() << "no guarded memories on this machine";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        static std::atomic<bool> spinning{false};
        Guest guest([] { spinning = true; });
        const pthread_t runner = pthread_self();
        // Sent from another thread while this one spins in native code
        // (si_code SI_TKILL: no fault, whatever the registers say). Before
        // the fix the handler swallowed it and the loop spun on.
        std::thread killer([runner] {
          while (!spinning) std::this_thread::sleep_for(std::chrono::milliseconds(1));
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          pthread_kill(runner, SIGSEGV);
        });
        killer.detach();
        const std::vector<Value> args{Value::i32(INT32_MAX)};
        auto r = guest.instance->get_func("spin")->call(args);
        std::fprintf(stderr, "survived: %s\n", r ? "ok" : r.error().to_string().c_str());
        std::exit(0);
      },
      "");
}

}  // namespace
}  // namespace weft
