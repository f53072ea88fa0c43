// wasi:cli, wasi:io, wasi:clocks and wasi:random called directly.
#include <unistd.h>

#include <ctime>

#include "wasi_p2/p2_harness.h"

namespace weft::wasi::p2::testing {
namespace {

Config captured() {
  Config c;
  c.stdin_mode = Config::Stdio::Buffer;
  c.stdout_mode = Config::Stdio::Buffer;
  c.stderr_mode = Config::Stdio::Buffer;
  return c;
}

TEST(WasiP2Cli, EnvironmentAndArguments) {
  Config c;
  c.args = {"prog.wasm", "one", "two words"};
  c.env = {{"A", "1"}, {"GREETING", "hi there"}};
  Host h(std::move(c));
  Val env = h.value("wasi:cli/environment", "get-environment");
  ASSERT_EQ(env.kind, ValKind::List);
  ASSERT_EQ(env.items.size(), 2u);
  EXPECT_EQ(env.items[0], Val::tuple({Val::string("A"), Val::string("1")}));
  EXPECT_EQ(env.items[1], Val::tuple({Val::string("GREETING"), Val::string("hi there")}));
  Val args = h.value("wasi:cli/environment", "get-arguments");
  ASSERT_EQ(args.items.size(), 3u);
  EXPECT_EQ(args.items[2].str, "two words");
  Val cwd = h.value("wasi:cli/environment", "initial-cwd");
  EXPECT_EQ(cwd.kind, ValKind::Option);
  EXPECT_EQ(cwd.discriminant, 0u);
}

TEST(WasiP2Cli, InvalidUtf8InTheEnvironmentIsReplaced) {
  Config c;
  c.env = {{"BAD", std::string("a\xff", 2)}};
  Host h(std::move(c));
  Val env = h.value("wasi:cli/environment", "get-environment");
  ASSERT_EQ(env.items.size(), 1u);
  EXPECT_EQ(env.items[0].items[1].str, "a\xEF\xBF\xBD");
}

TEST(WasiP2Cli, ExitCarriesTheStatus) {
  Host h;
  auto r = h.call("wasi:cli/exit", "exit", {Val::ok(std::nullopt)});
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.error().is_trap());
  EXPECT_EQ(r.error().trap->kind, TrapKind::Exit);
  EXPECT_EQ(r.error().trap->exit_code, 0);
  r = h.call("wasi:cli/exit", "exit", {Val::err(std::nullopt)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().trap->exit_code, 1);
  r = h.call("wasi:cli/exit", "exit-with-code", {Val::u8(42)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().trap->exit_code, 42);
}

TEST(WasiP2Cli, NoTerminals) {
  Host h;
  for (const char* which : {"stdin", "stdout", "stderr"}) {
    Val v =
        h.value(std::string("wasi:cli/terminal-") + which, std::string("get-terminal-") + which);
    EXPECT_EQ(v.kind, ValKind::Option);
    EXPECT_EQ(v.discriminant, 0u);
  }
}

TEST(WasiP2Streams, StdoutAndStderrAreCaptured) {
  Host h(captured());
  Val out = h.value("wasi:cli/stdout", "get-stdout");
  ASSERT_EQ(out.kind, ValKind::Own);
  h.ok("wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
       {borrow(out.bits), bytes("hello ")});
  h.ok("wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
       {borrow(out.bits), bytes("world\n")});
  Val err = h.value("wasi:cli/stderr", "get-stderr");
  h.ok("wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
       {borrow(err.bits), bytes("oops")});
  EXPECT_EQ(h.state->take_stdout(), "hello world\n");
  EXPECT_EQ(h.state->take_stderr(), "oops");
  h.ok("wasi:io/streams", "[method]output-stream.blocking-flush", {borrow(out.bits)});
}

TEST(WasiP2Streams, WriteNeedsAPermitFromCheckWrite) {
  Host h(captured());
  Val out = h.value("wasi:cli/stdout", "get-stdout");
  // No check-write yet: the permit is 0 and a write traps, as the WIT says.
  auto r = h.call("wasi:io/streams", "[method]output-stream.write", {borrow(out.bits), bytes("x")});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is_trap());
  Val permit = h.ok("wasi:io/streams", "[method]output-stream.check-write", {borrow(out.bits)});
  ASSERT_EQ(permit.kind, ValKind::U64);
  ASSERT_GE(permit.bits, 4096u);
  h.ok("wasi:io/streams", "[method]output-stream.write", {borrow(out.bits), bytes("abc")});
  h.ok("wasi:io/streams", "[method]output-stream.write-zeroes", {borrow(out.bits), Val::u64(2)});
  h.ok("wasi:io/streams", "[method]output-stream.flush", {borrow(out.bits)});
  EXPECT_EQ(h.state->take_stdout(), std::string("abc\0\0", 5));
  // The permit is used up by writes; past it is a trap.
  std::string big(permit.bits - 5 + 1, 'x');
  r = h.call("wasi:io/streams", "[method]output-stream.write", {borrow(out.bits), bytes(big)});
  ASSERT_FALSE(r.ok());
  // The blocking convenience calls take at most 4096 bytes.
  r = h.call("wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
             {borrow(out.bits), bytes(std::string(4097, 'y'))});
  ASSERT_FALSE(r.ok());
  r = h.call("wasi:io/streams", "[method]output-stream.blocking-write-zeroes-and-flush",
             {borrow(out.bits), Val::u64(4097)});
  ASSERT_FALSE(r.ok());
  h.ok("wasi:io/streams", "[method]output-stream.blocking-write-zeroes-and-flush",
       {borrow(out.bits), Val::u64(4096)});
  EXPECT_EQ(h.state->take_stdout().size(), 4096u);
}

TEST(WasiP2Streams, CaptureLimitFailsTheWriteThenCloses) {
  Config c = captured();
  c.max_output_bytes = 4;
  Host h(std::move(c));
  Val out = h.value("wasi:cli/stdout", "get-stdout");
  Val r = h.value("wasi:io/streams", "[method]output-stream.blocking-write-and-flush",
                  {borrow(out.bits), bytes("too long")});
  ASSERT_EQ(r.discriminant, 1u);
  const Val& stream_error = r.items[0];
  EXPECT_EQ(stream_error.labels[0], "last-operation-failed");
  ASSERT_EQ(stream_error.items.size(), 1u);
  const uint64_t error_rep = stream_error.items[0].bits;
  Val text = h.value("wasi:io/error", "[method]error.to-debug-string", {borrow(error_rep)});
  EXPECT_FALSE(text.str.empty());
  Val code = h.value("wasi:filesystem/types", "filesystem-error-code", {borrow(error_rep)});
  EXPECT_EQ(code.discriminant, 1u);
  EXPECT_EQ(code.items[0].labels[0], "file-too-large");
  Val again = h.value("wasi:io/streams", "[method]output-stream.check-write", {borrow(out.bits)});
  ASSERT_EQ(again.discriminant, 1u);
  EXPECT_EQ(again.items[0].labels[0], "closed");
  h.drop("wasi:io/error", "error", error_rep);
}

TEST(WasiP2Streams, StdinFromABuffer) {
  Config c = captured();
  c.stdin_data = "abcdefgh";
  Host h(std::move(c));
  Val in = h.value("wasi:cli/stdin", "get-stdin");
  Val first = h.ok("wasi:io/streams", "[method]input-stream.read", {borrow(in.bits), Val::u64(3)});
  EXPECT_EQ(as_bytes(first), "abc");
  Val skipped =
      h.ok("wasi:io/streams", "[method]input-stream.blocking-skip", {borrow(in.bits), Val::u64(2)});
  EXPECT_EQ(skipped.bits, 2u);
  Val rest = h.ok("wasi:io/streams", "[method]input-stream.blocking-read",
                  {borrow(in.bits), Val::u64(100)});
  EXPECT_EQ(as_bytes(rest), "fgh");
  Val end = h.value("wasi:io/streams", "[method]input-stream.read", {borrow(in.bits), Val::u64(1)});
  ASSERT_EQ(end.discriminant, 1u);
  EXPECT_EQ(end.items[0].labels[0], "closed");
  // A huge length is bounded, not allocated.
  Config c2 = captured();
  c2.stdin_data = "xyz";
  Host h2(std::move(c2));
  Val in2 = h2.value("wasi:cli/stdin", "get-stdin");
  Val all = h2.ok("wasi:io/streams", "[method]input-stream.read",
                  {borrow(in2.bits), Val::u64(UINT64_MAX)});
  EXPECT_EQ(as_bytes(all), "xyz");
}

TEST(WasiP2Streams, NullStdinIsClosedAndSubscribeIsReady) {
  Config c;
  c.stdin_mode = Config::Stdio::Null;
  Host h(std::move(c));
  Val in = h.value("wasi:cli/stdin", "get-stdin");
  Val end = h.value("wasi:io/streams", "[method]input-stream.read", {borrow(in.bits), Val::u64(1)});
  EXPECT_EQ(end.discriminant, 1u);
  Val p = h.value("wasi:io/streams", "[method]input-stream.subscribe", {borrow(in.bits)});
  EXPECT_TRUE(h.value("wasi:io/poll", "[method]pollable.ready", {borrow(p.bits)}).bits);
}

// Inherited stdin is the host's fd 0: here a pipe put there for the test.
TEST(WasiP2Streams, InheritedStdinReadsWithoutBlocking) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const int saved = dup(0);
  ASSERT_GE(saved, 0);
  ASSERT_EQ(dup2(pipe_fds[0], 0), 0);
  close(pipe_fds[0]);
  {
    Host h;  // Config::Stdio::Inherit
    Val in = h.value("wasi:cli/stdin", "get-stdin");
    Val p = h.value("wasi:io/streams", "[method]input-stream.subscribe", {borrow(in.bits)});
    EXPECT_FALSE(h.value("wasi:io/poll", "[method]pollable.ready", {borrow(p.bits)}).bits);
    // Nothing there yet: an empty read, not an end.
    Val none = h.ok("wasi:io/streams", "[method]input-stream.read", {borrow(in.bits), Val::u64(8)});
    EXPECT_TRUE(none.items.empty());
    ASSERT_EQ(write(pipe_fds[1], "piped", 5), 5);
    Val ready = h.value("wasi:io/poll", "poll", {Val::list({borrow(p.bits)})});
    EXPECT_EQ(ready.items.size(), 1u);
    Val got = h.ok("wasi:io/streams", "[method]input-stream.blocking-read",
                   {borrow(in.bits), Val::u64(100)});
    EXPECT_EQ(as_bytes(got), "piped");
    close(pipe_fds[1]);
    Val end = h.value("wasi:io/streams", "[method]input-stream.blocking-read",
                      {borrow(in.bits), Val::u64(1)});
    ASSERT_EQ(end.discriminant, 1u);
    EXPECT_EQ(end.items[0].labels[0], "closed");
  }
  dup2(saved, 0);
  close(saved);
}

TEST(WasiP2Streams, SpliceMovesStdinToStdout) {
  Config c = captured();
  c.stdin_data = "spliced";
  Host h(std::move(c));
  Val in = h.value("wasi:cli/stdin", "get-stdin");
  Val out = h.value("wasi:cli/stdout", "get-stdout");
  Val n = h.ok("wasi:io/streams", "[method]output-stream.blocking-splice",
               {borrow(out.bits), borrow(in.bits), Val::u64(100)});
  EXPECT_EQ(n.bits, 7u);
  EXPECT_EQ(h.state->take_stdout(), "spliced");
  Val end = h.value("wasi:io/streams", "[method]output-stream.splice",
                    {borrow(out.bits), borrow(in.bits), Val::u64(100)});
  EXPECT_EQ(end.discriminant, 1u);
}

TEST(WasiP2Resources, DropReleasesAndUnknownRepsTrap) {
  Host h(captured());
  const size_t before = h.state->resource_count();
  Val out = h.value("wasi:cli/stdout", "get-stdout");
  EXPECT_EQ(h.state->resource_count(), before + 1);
  h.drop("wasi:io/streams", "output-stream", out.bits);
  EXPECT_EQ(h.state->resource_count(), before);
  // A dropped rep, a rep of another type and a rep never handed out.
  auto r = h.call("wasi:io/streams", "[method]output-stream.check-write", {borrow(out.bits)});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is_trap());
  Val in = h.value("wasi:cli/stdin", "get-stdin");
  r = h.call("wasi:io/streams", "[method]output-stream.check-write", {borrow(in.bits)});
  ASSERT_FALSE(r.ok());
  r = h.call("wasi:io/streams", "[method]output-stream.check-write", {borrow(123456)});
  ASSERT_FALSE(r.ok());
  // Dropping as the wrong type leaves the object alone.
  h.drop("wasi:io/streams", "output-stream", in.bits);
  EXPECT_EQ(h.state->resource_count(), before + 1);
}

TEST(WasiP2Resources, WrongArgumentShapesTrap) {
  Host h(captured());
  Val out = h.value("wasi:cli/stdout", "get-stdout");
  auto r = h.call("wasi:io/streams", "[method]output-stream.write", {borrow(out.bits)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().to_string().find("arguments"), std::string::npos);
  r = h.call("wasi:io/streams", "[method]output-stream.write",
             {borrow(out.bits), Val::string("not a list")});
  ASSERT_FALSE(r.ok());
  h.ok("wasi:io/streams", "[method]output-stream.check-write", {borrow(out.bits)});
  r = h.call("wasi:io/streams", "[method]output-stream.write",
             {borrow(out.bits), Val::list({Val::u32(1)})});
  ASSERT_FALSE(r.ok());
  r = h.call("wasi:io/poll", "poll", {Val::list({})});
  ASSERT_FALSE(r.ok());
}

TEST(WasiP2Clocks, MonotonicIncreasesAndTimersFire) {
  Host h;
  const uint64_t t0 = h.value("wasi:clocks/monotonic-clock", "now").bits;
  const uint64_t t1 = h.value("wasi:clocks/monotonic-clock", "now").bits;
  EXPECT_LE(t0, t1);
  EXPECT_GT(h.value("wasi:clocks/monotonic-clock", "resolution").bits, 0u);

  Val soon = h.value("wasi:clocks/monotonic-clock", "subscribe-duration", {Val::u64(20'000'000)});
  Val never = h.value("wasi:clocks/monotonic-clock", "subscribe-instant", {Val::u64(UINT64_MAX)});
  Val past = h.value("wasi:clocks/monotonic-clock", "subscribe-instant", {Val::u64(t0)});
  EXPECT_FALSE(h.value("wasi:io/poll", "[method]pollable.ready", {borrow(soon.bits)}).bits);
  EXPECT_TRUE(h.value("wasi:io/poll", "[method]pollable.ready", {borrow(past.bits)}).bits);
  Val ready = h.value("wasi:io/poll", "poll",
                      {Val::list({borrow(never.bits), borrow(past.bits), borrow(soon.bits)})});
  ASSERT_EQ(ready.items.size(), 1u);
  EXPECT_EQ(ready.items[0].bits, 1u);
  ready = h.value("wasi:io/poll", "poll", {Val::list({borrow(never.bits), borrow(soon.bits)})});
  ASSERT_EQ(ready.items.size(), 1u);
  EXPECT_EQ(ready.items[0].bits, 1u);
  EXPECT_GE(h.value("wasi:clocks/monotonic-clock", "now").bits, t1 + 20'000'000);
  auto r = h.call("wasi:io/poll", "[method]pollable.block", {borrow(soon.bits)});
  EXPECT_TRUE(r.ok());

  Val wall = h.value("wasi:clocks/wall-clock", "now");
  ASSERT_EQ(wall.kind, ValKind::Record);
  ASSERT_EQ(wall.labels, (std::vector<std::string>{"seconds", "nanoseconds"}));
  const uint64_t now = static_cast<uint64_t>(std::time(nullptr));
  EXPECT_LE(wall.items[0].bits, now + 1);
  EXPECT_GE(wall.items[0].bits + 5, now);
  EXPECT_LT(wall.items[1].bits, 1'000'000'000u);
  Val res = h.value("wasi:clocks/wall-clock", "resolution");
  EXPECT_EQ(res.kind, ValKind::Record);
}

TEST(WasiP2Clocks, InterruptStopsABlockedPoll) {
  Host h;
  Val never = h.value("wasi:clocks/monotonic-clock", "subscribe-instant", {Val::u64(UINT64_MAX)});
  h.state->interrupt();
  auto r = h.call("wasi:io/poll", "poll", {Val::list({borrow(never.bits)})});
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.error().is_trap());
  EXPECT_EQ(r.error().trap->kind, TrapKind::Interrupted);
}

TEST(WasiP2Random, LengthsAndBounds) {
  Host h;
  for (uint64_t len : {0u, 1u, 16u, 1000u}) {
    Val b = h.value("wasi:random/random", "get-random-bytes", {Val::u64(len)});
    EXPECT_EQ(b.list_size(), len);
    for (size_t i = 0; i < b.list_size(); ++i) EXPECT_EQ(b.list_item(i).kind, ValKind::U8);
    Val ib = h.value("wasi:random/insecure", "get-insecure-random-bytes", {Val::u64(len)});
    EXPECT_EQ(ib.list_size(), len);
  }
  EXPECT_NE(as_bytes(h.value("wasi:random/random", "get-random-bytes", {Val::u64(32)})),
            as_bytes(h.value("wasi:random/random", "get-random-bytes", {Val::u64(32)})));
  EXPECT_NE(h.value("wasi:random/random", "get-random-u64").bits,
            h.value("wasi:random/random", "get-random-u64").bits);
  EXPECT_NE(h.value("wasi:random/insecure", "get-insecure-random-u64").bits,
            h.value("wasi:random/insecure", "get-insecure-random-u64").bits);
  Val seed = h.value("wasi:random/insecure-seed", "insecure-seed");
  ASSERT_EQ(seed.kind, ValKind::Tuple);
  ASSERT_EQ(seed.items.size(), 2u);
  EXPECT_EQ(seed, h.value("wasi:random/insecure-seed", "insecure-seed"));
  auto r = h.call("wasi:random/random", "get-random-bytes", {Val::u64(UINT64_MAX)});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is_trap());
}

}  // namespace
}  // namespace weft::wasi::p2::testing
