// A host function that calls back into wasm when the caller has used every
// frame: the callback traps with StackExhausted, naming no frame of its
// own, and nothing reads past the frame stack (found by the V8
// differential oracle: a fuzzing-support import calling an export from the
// deepest frame read the slot one past the end and crashed).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wasm/text/wat.h"
#include "weft/weft.h"

namespace weft {
namespace {

TEST(InterpReentry, CallbackWithEveryFrameUsedTrapsCleanly) {
  auto bytes = text::wat_to_wasm(R"(
    (module
      (import "host" "call_back" (func $call_back))
      (func $deep (export "deep") (param $n i32)
        (if (i32.eqz (local.get $n))
          (then (call $call_back))
          (else (call $deep (i32.sub (local.get $n) (i32.const 1))))))
      (func (export "callback")))
  )",
                                 "reentry.wat");
  ASSERT_TRUE(bytes) << bytes.error().to_string();
  auto module = Module::compile(*bytes);
  ASSERT_TRUE(module) << module.error().to_string();
  for (uint32_t depth : {1u, 2u, 3u, 4u, 5u, 6u}) {
    StoreLimits limits;
    limits.max_call_depth = 4;
    Store store(limits);
    Linker linker;
    Func callback;
    std::optional<Error> callback_error;
    linker.func("host", "call_back", FuncType{},
                [&](Caller&, std::span<const Value>, std::span<Value>) -> Result<void> {
                  auto r = callback.call({});
                  if (!r) {
                    callback_error = r.error();
                    return std::move(r).error();
                  }
                  return {};
                });
    auto inst = linker.instantiate(store, *module);
    ASSERT_TRUE(inst) << inst.error().to_string();
    callback = *inst->get_func("callback");
    // depth d uses d frames of "deep" below the host call (d - 1 recursions).
    const std::vector<Value> args{Value::i32(static_cast<int32_t>(depth - 1))};
    auto r = inst->get_func("deep")->call(args);
    if (depth < 4) {
      EXPECT_TRUE(r) << "depth " << depth << ": " << r.error().to_string();
      continue;
    }
    ASSERT_FALSE(r) << "depth " << depth;
    ASSERT_TRUE(r.error().is_trap());
    EXPECT_EQ(r.error().trap->kind, TrapKind::StackExhausted) << r.error().to_string();
    // Every frame named is one of this call's: deep, never garbage.
    for (const auto& frame : r.error().trap->backtrace) EXPECT_LE(frame.func_index, 2u);
  }
}

}  // namespace
}  // namespace weft
