// End-to-end: guest programs (C through wasi-libc, direct __wasi_* calls,
// Rust std) run on the engine with the WASI host; stdout, files written and
// exit codes are compared.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "wasi_harness.h"

namespace weft::wasi::testing {
namespace {

// Everything a guest prints on a failed CHECK starts with "FAIL".
void expect_all_ok(const RunResult& r) {
  ASSERT_TRUE(r.ok) << r.error << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("all ok\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST(WasiGuests, ArgsEnvStdioAndExitCode) {
  const fs::path wasm = build_guest("basics.c");
  ASSERT_FALSE(wasm.empty());
  Config config = buffered_config();
  config.args = {"basics", "3", "two words"};
  config.env = {{"GREETING", "hello"}, {"EMPTY", ""}};
  config.stdin_data = "abc\ndef\n";
  RunResult r = run_guest(wasm, std::move(config));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out,
            "argc=3\nargv[0]=basics\nargv[1]=3\nargv[2]=two words\n"
            "env GREETING=hello\nenv EMPTY=\nGREETING=hello\n"
            "ABC\nDEF\nstdin bytes=8\n");
  EXPECT_EQ(r.err, "to stderr\n");
}

TEST(WasiGuests, GuestSeesOnlyTheGivenEnvironment) {
  const fs::path wasm = build_guest("basics.c");
  ASSERT_FALSE(wasm.empty());
  setenv("WEFT_WASI_TEST_HOST_ONLY", "leak", 1);
  Config config = buffered_config();
  config.args = {"basics"};
  RunResult r = run_guest(wasm, std::move(config));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "argc=1\nargv[0]=basics\nGREETING=(unset)\nstdin bytes=0\n");
}

TEST(WasiGuests, NullStdioDiscardsOutput) {
  const fs::path wasm = build_guest("basics.c");
  ASSERT_FALSE(wasm.empty());
  Config config;
  config.args = {"basics", "5"};
  config.stdin_mode = Config::Stdio::Null;
  config.stdout_mode = Config::Stdio::Null;
  config.stderr_mode = Config::Stdio::Null;
  RunResult r = run_guest(wasm, std::move(config));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

TEST(WasiGuests, CapturedOutputIsCapped) {
  const fs::path wasm = build_guest("basics.c");
  ASSERT_FALSE(wasm.empty());
  Config config = buffered_config();
  config.args = {"basics"};
  config.stdin_data = std::string(10000, 'x');
  config.max_output_bytes = 100;
  RunResult r = run_guest(wasm, std::move(config));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.out.size(), 100u);
  EXPECT_EQ(r.out.substr(0, 7), "argc=1\n");
}

TEST(WasiGuests, LibcFileSystemClocksRandomPoll) {
  const fs::path wasm = build_guest("files.c");
  ASSERT_FALSE(wasm.empty());
  TempDir tmp;
  fs::create_directory(tmp.path() / "sandbox");
  Config config = buffered_config();
  config.args = {"files"};
  config.preopens.push_back({(tmp.path() / "sandbox").string(), "/sandbox", false});
  RunResult r = run_guest(wasm, std::move(config));
  expect_all_ok(r);
  EXPECT_EQ(read_file(tmp.path() / "sandbox/out.txt"), "written by the guest\n");
  EXPECT_EQ(read_file(tmp.path() / "sandbox/a.txt"), "hello world\nmore\n");
  EXPECT_EQ(read_file(tmp.path() / "sandbox/b.bin"), "XY2");
  EXPECT_FALSE(fs::exists(tmp.path() / "sandbox/d"));
}

TEST(WasiGuests, DirectCallsAndHostileArguments) {
  const fs::path wasm = build_guest("direct.c");
  ASSERT_FALSE(wasm.empty());
  TempDir tmp;
  fs::create_directory(tmp.path() / "sandbox");
  Config config = buffered_config();
  config.args = {"direct", "arg one"};
  config.env = {{"K", "v=w"}};
  config.stdin_data = "input";
  config.preopens.push_back({(tmp.path() / "sandbox").string(), "/sandbox", false});
  RunResult r = run_guest(wasm, std::move(config));
  expect_all_ok(r);
  // What the guest created and removed again is gone; what it kept is there.
  EXPECT_TRUE(fs::exists(tmp.path() / "sandbox/rights.txt"));
  EXPECT_FALSE(fs::exists(tmp.path() / "sandbox/excl.txt"));
  EXPECT_FALSE(fs::exists(tmp.path() / "sandbox/list"));
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(WasiGuests, SandboxEscapesAreRefused) {
  const fs::path wasm = build_guest("escape.c");
  ASSERT_FALSE(wasm.empty());
  TempDir tmp;
  const fs::path sandbox = tmp.path() / "sandbox", ro = tmp.path() / "ro",
                 outside = tmp.path() / "outside";
  fs::create_directories(sandbox / "sub");
  fs::create_directories(ro);
  fs::create_directories(outside);
  write_file(sandbox / "file.txt", "inside\n");
  write_file(ro / "data.txt", "read only data");
  write_file(outside / "secret.txt", "secret");
  fs::create_symlink("../outside/secret.txt", sandbox / "escape_link");
  fs::create_symlink(outside / "secret.txt", sandbox / "abs_link");
  fs::create_symlink("../outside", sandbox / "dirlink");
  fs::create_symlink("loop_b", sandbox / "loop_a");
  fs::create_symlink("loop_a", sandbox / "loop_b");
  const auto secret_mtime = fs::last_write_time(outside / "secret.txt");

  Config config = buffered_config();
  config.args = {"escape"};
  config.preopens.push_back({sandbox.string(), "/sandbox", false});
  config.preopens.push_back({ro.string(), "/ro", true});
  RunResult r = run_guest(wasm, std::move(config));
  expect_all_ok(r);

  // Nothing outside the sandbox, nor in the read-only preopen, changed.
  EXPECT_EQ(listing(outside), std::vector<std::string>{"secret.txt"});
  EXPECT_EQ(read_file(outside / "secret.txt"), "secret");
  EXPECT_EQ(fs::last_write_time(outside / "secret.txt"), secret_mtime);
  EXPECT_EQ(listing(ro), std::vector<std::string>{"data.txt"});
  EXPECT_EQ(read_file(ro / "data.txt"), "read only data");
  EXPECT_EQ(listing(tmp.path()), (std::vector<std::string>{"outside", "ro", "sandbox"}));
  EXPECT_EQ(listing(sandbox), (std::vector<std::string>{"abs_link", "dirlink", "escape_link",
                                                        "file.txt", "loop_a", "loop_b", "sub"}));
  EXPECT_EQ(read_file(sandbox / "file.txt"), "inside\n");
}

TEST(WasiGuests, DirectoryOpenedForWritingIsIsdir) {
  const fs::path wasm = build_guest("isdir.c");
  ASSERT_FALSE(wasm.empty());
  TempDir tmp;
  const fs::path sandbox = tmp.path() / "sandbox", ro = tmp.path() / "ro";
  fs::create_directories(sandbox / "sub");
  fs::create_directories(ro / "rosub");
  write_file(sandbox / "file.txt", "file\n");
  Config config = buffered_config();
  config.args = {"isdir"};
  config.preopens.push_back({sandbox.string(), "/sandbox", false});
  config.preopens.push_back({ro.string(), "/ro", true});
  RunResult r = run_guest(wasm, std::move(config));
  expect_all_ok(r);
  // O_WRONLY without O_TRUNC leaves the file as it was.
  EXPECT_EQ(read_file(sandbox / "file.txt"), "file\n");
}

TEST(WasiGuests, RustStdGuest) {
  const fs::path wasm = build_guest("rust_guest.rs");
  ASSERT_FALSE(wasm.empty());
  TempDir tmp;
  fs::create_directory(tmp.path() / "sandbox");
  write_file(tmp.path() / "outside.txt", "no");
  Config config = buffered_config();
  config.args = {"rust_guest", "--flag"};
  config.env = {{"B", "2"}, {"A", "1"}};
  config.stdin_data = "piped";
  config.preopens.push_back({(tmp.path() / "sandbox").string(), "/sandbox", false});
  RunResult r = run_guest(wasm, std::move(config));
  ASSERT_TRUE(r.ok) << r.error << "\n" << r.out << r.err;
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.out,
            "args=[\"rust_guest\", \"--flag\"]\n"
            "env=[(\"A\", \"1\"), (\"B\", \"2\")]\n"
            "stdin=\"piped\"\n"
            "read=\"from rust\\nappended\\n\"\n"
            "len=19 is_file=true\n"
            "dir=[\"nested\", \"renamed.txt\"]\n"
            "escape=true\n"
            "slept=true\n"
            "after_2020=true\n");
  EXPECT_EQ(r.err, "rust stderr\n");
  EXPECT_EQ(read_file(tmp.path() / "sandbox/rust/renamed.txt"), "from rust\nappended\n");
}

TEST(WasiGuests, MissingContextTraps) {
  const fs::path wasm = build_guest("basics.c");
  ASSERT_FALSE(wasm.empty());
  const std::string bytes = read_file(wasm);
  auto module = Module::compile(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  ASSERT_TRUE(module) << module.error().to_string();
  Linker linker;
  add_to_linker(linker);
  Store store;  // no user data
  auto instance = linker.instantiate(store, *module);
  ASSERT_TRUE(instance) << instance.error().to_string();
  auto call = instance->get_func("_start")->call({});
  ASSERT_FALSE(call);
  ASSERT_TRUE(call.error().is_trap());
  EXPECT_EQ(call.error().trap->kind, TrapKind::HostError);
}

TEST(WasiGuests, TimeoutInterruptsASleepingGuest) {
  const fs::path wasm = build_guest("cli_run.c");
  ASSERT_FALSE(wasm.empty());
  const std::string bytes = read_file(wasm);
  auto module = Module::compile(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  ASSERT_TRUE(module) << module.error().to_string();
  Config config = buffered_config();
  config.args = {"cli_run", "sleep"};
  auto ctx = Context::create(std::move(config));
  ASSERT_TRUE(ctx);
  Linker linker;
  add_to_linker(linker);
  Store store;
  store.set_user_data(ctx->get());
  auto instance = linker.instantiate(store, *module);
  ASSERT_TRUE(instance) << instance.error().to_string();
  const auto start = std::chrono::steady_clock::now();
  std::thread watchdog([handle = store.interrupt_handle(), flag = (*ctx)->interrupt_flag()] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    handle.interrupt();
    flag->store(true);
  });
  auto call = instance->get_func("_start")->call({});
  watchdog.join();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  ASSERT_FALSE(call);
  ASSERT_TRUE(call.error().is_trap());
  EXPECT_EQ(call.error().trap->kind, TrapKind::Interrupted);
}

// Hand-written modules for what C cannot express: no memory at all, and a
// proc_exit code that is not 0..255.
fs::path wat_module(const std::string& name, const std::string& text) {
  const fs::path dir = guest_build_dir();
  fs::create_directories(dir);
  write_file(dir / (name + ".wat"), text);
  const std::string cmd = "wat2wasm '" + (dir / (name + ".wat")).string() + "' -o '" +
                          (dir / (name + ".wasm")).string() + "'";
  if (std::system(cmd.c_str()) != 0) {
    ADD_FAILURE() << "wat2wasm failed: " << cmd;
    return {};
  }
  return dir / (name + ".wasm");
}

TEST(WasiGuests, NoMemoryMeansFault) {
  const fs::path wasm = wat_module("no_memory", R"(
    (module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (func (export "_start") (call $exit (call $w (i32.const 1) (i32.const 0) (i32.const 1)
                                                   (i32.const 0)))))
  )");
  ASSERT_FALSE(wasm.empty());
  RunResult r = run_guest(wasm, buffered_config());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.exit_code, 21);  // FAULT
}

TEST(WasiGuests, ProcExitCarriesAnyCode) {
  const fs::path wasm = wat_module("exit_code", R"(
    (module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start") (call $exit (i32.const 300)) unreachable))
  )");
  ASSERT_FALSE(wasm.empty());
  RunResult r = run_guest(wasm, buffered_config());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.exit_code, 300);
}

TEST(WasiGuests, ReaddirIntoTinyAndEdgeBuffers) {
  // fd_readdir at the end of memory: the buffer ends exactly at the last
  // byte; one byte more is a FAULT.
  TempDir tmp;
  fs::create_directory(tmp.path() / "d");
  write_file(tmp.path() / "d/file", "x");
  const fs::path wasm = wat_module("readdir_edge", R"(
    (module
      (import "wasi_snapshot_preview1" "fd_readdir"
        (func $readdir (param i32 i32 i32 i64 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        ;; buf = 65536-30, len 30 → ok (0); then len 31 → FAULT (21).
        (if (i32.ne (call $readdir (i32.const 3) (i32.const 65506) (i32.const 30) (i64.const 0)
                                   (i32.const 0)) (i32.const 0))
          (then (call $exit (i32.const 1))))
        (if (i32.ne (i32.load (i32.const 0)) (i32.const 30))
          (then (call $exit (i32.const 2))))
        (if (i32.ne (call $readdir (i32.const 3) (i32.const 65506) (i32.const 31) (i64.const 0)
                                   (i32.const 0)) (i32.const 21))
          (then (call $exit (i32.const 3))))
        ;; bufused pointer out of bounds.
        (if (i32.ne (call $readdir (i32.const 3) (i32.const 0) (i32.const 8) (i64.const 0)
                                   (i32.const 65533)) (i32.const 21))
          (then (call $exit (i32.const 4))))
        (call $exit (i32.const 0))))
  )");
  ASSERT_FALSE(wasm.empty());
  Config config = buffered_config();
  config.preopens.push_back({(tmp.path() / "d").string(), "/d", false});
  RunResult r = run_guest(wasm, std::move(config));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.exit_code, 0);
}

}  // namespace
}  // namespace weft::wasi::testing
