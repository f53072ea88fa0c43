// End to end: a C program adapted to WASI 0.2 by jco's preview1 adapter
// runs through ComponentLinker::instantiate and wasi:cli/run on this host.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "wasi_p2/p2_harness.h"

namespace weft::wasi::p2::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = fs::path(WEFT_SOURCE_DIR);
const fs::path kAdapter =
    kSource /
    "tools/jco/node_modules/@bytecodealliance/jco/lib/wasi_snapshot_preview1.command.wasm";

// Builds guests/NAME.c into a component (cached by modification time):
// scripts/wasm-cc for the preview1 module, then `jco new` with the adapter.
fs::path build_component(const std::string& name) {
  const fs::path src = kSource / "tests/wasi_p2/guests" / (name + ".c");
  const fs::path dir = fs::path(WEFT_BINARY_DIR) / "wasi_p2_guests";
  const fs::path out = dir / (name + ".component.wasm");
  fs::create_directories(dir);
  std::error_code ec;
  if (fs::exists(out, ec) && fs::last_write_time(out) >= fs::last_write_time(src)) return out;
  const std::string tag = std::to_string(getpid());
  const fs::path core = dir / (name + ".core." + tag + ".wasm");
  const fs::path tmp = dir / (name + ".component." + tag + ".wasm");
  const std::string cmd = "'" + (kSource / "scripts/wasm-cc").string() +
                          "' clang --target=wasm32-wasi -O2 -Wall -Werror '" + src.string() +
                          "' -o '" + core.string() + "' && '" + (kSource / "scripts/jco").string() +
                          "' new '" + core.string() +
                          "' --adapt 'wasi_snapshot_preview1=" + kAdapter.string() + "' -o '" +
                          tmp.string() + "' > /dev/null";
  const int status = std::system((cmd + " 2>&1").c_str());
  fs::remove(core, ec);
  if (status != 0) {
    ADD_FAILURE() << "building the component failed (" << status << "): " << cmd;
    return {};
  }
  fs::rename(tmp, out, ec);
  return out;
}

struct GuestRun {
  Result<std::optional<Val>> result = Error::usage("not run");
  std::string out, err;
};

GuestRun run(const fs::path& wasm, Config config) {
  GuestRun r;
  std::ifstream in(wasm, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  auto component = component::Component::compile(bytes);
  if (!component) {
    r.result = std::move(component).error();
    return r;
  }
  component::ComponentLinker linker;
  auto state = add_wasi_p2(linker, std::move(config));
  if (!state) {
    r.result = std::move(state).error();
    return r;
  }
  Store store;
  auto instance = linker.instantiate(store, *component);
  if (!instance) {
    r.result = std::move(instance).error();
    return r;
  }
  auto runs = instance->instance_exports("wasi:cli/run@");
  if (runs.empty()) {
    r.result = Error::usage("no wasi:cli/run export");
    return r;
  }
  r.result = instance->call(runs[0], "run", {});
  r.out = (*state)->take_stdout();
  r.err = (*state)->take_stderr();
  return r;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/weft_p2_run_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

Config guest_config(const fs::path& sandbox, std::vector<std::string> args) {
  Config c;
  c.args = std::move(args);
  c.env = {{"GREETING", "hello p2"}};
  c.preopens.push_back({sandbox.string(), "/sandbox", false});
  c.stdin_mode = Config::Stdio::Buffer;
  c.stdin_data = "a line of input\n";
  c.stdout_mode = Config::Stdio::Buffer;
  c.stderr_mode = Config::Stdio::Buffer;
  return c;
}

TEST(WasiP2Component, AdaptedCommandRuns) {
  if (!fs::exists(kAdapter)) GTEST_SKIP() << "no jco adapter (scripts/setup.sh installs it)";
  const fs::path wasm = build_component("p2_guest");
  ASSERT_FALSE(wasm.empty());
  TempDir tmp;
  fs::create_directory(tmp.path / "sandbox");
  std::ofstream(tmp.path / "sandbox/in.txt") << "input file\n";

  GuestRun r = run(wasm, guest_config(tmp.path / "sandbox", {"p2_guest.wasm", "x", "y"}));
  ASSERT_TRUE(r.result.ok()) << r.result.error().to_string() << "\nstdout: " << r.out
                             << "\nstderr: " << r.err;
  ASSERT_TRUE(r.result->has_value());
  EXPECT_EQ((*r.result)->kind, ValKind::Result);
  EXPECT_EQ((*r.result)->discriminant, 0u) << r.err;
  EXPECT_EQ(r.out,
            "args: p2_guest.wasm x y\n"
            "GREETING=hello p2\n"
            "stdin: a line of input\n"
            "in.txt: input file\n"
            "entries: 4\n"
            // not-permitted, which the adapter maps to EPERM (preview1
            // itself says ENOTCAPABLE, 76), as under wasmtime
            "escape: errno=63\n"
            "dir for writing: errno=31\n");  // EISDIR
  EXPECT_EQ(r.err, "to stderr\n");
  std::ifstream written(tmp.path / "sandbox/out.txt");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(written), {}),
            "written through wasi:filesystem\n");
  EXPECT_FALSE(fs::exists(tmp.path / "escape.txt"));
}

TEST(WasiP2Component, ExitStatusReachesTheRunner) {
  if (!fs::exists(kAdapter)) GTEST_SKIP() << "no jco adapter (scripts/setup.sh installs it)";
  const fs::path wasm = build_component("p2_guest");
  ASSERT_FALSE(wasm.empty());
  TempDir tmp;
  fs::create_directory(tmp.path / "sandbox");
  std::ofstream(tmp.path / "sandbox/in.txt") << "input file\n";
  // main returning 3 is exit(err) in WASI 0.2: status 1, the only failure
  // code wasi:cli/exit has.
  GuestRun r = run(wasm, guest_config(tmp.path / "sandbox", {"p2_guest.wasm", "3"}));
  ASSERT_FALSE(r.result.ok()) << r.out << r.err;
  ASSERT_TRUE(r.result.error().is_trap()) << r.result.error().to_string();
  EXPECT_EQ(r.result.error().trap->kind, TrapKind::Exit) << r.result.error().to_string();
  EXPECT_EQ(r.result.error().trap->exit_code, 1);
}

}  // namespace
}  // namespace weft::wasi::p2::testing

namespace weft::wasi::p2::testing {
namespace {

TEST(WasiP2Component, StreamErrorsCrossInterfaces) {
  // Past the capture limit a write fails with last-operation-failed(error):
  // the adapter asks wasi:filesystem/types for the error's code and drops
  // it through wasi:io/error, so one error handle travels through three
  // interfaces' views of the resource.
  if (!fs::exists(kAdapter)) GTEST_SKIP() << "no jco adapter (scripts/setup.sh installs it)";
  const fs::path wasm = build_component("p2_guest");
  ASSERT_FALSE(wasm.empty());
  TempDir tmp;
  fs::create_directory(tmp.path / "sandbox");
  std::ofstream(tmp.path / "sandbox/in.txt") << "input file\n";
  Config c = guest_config(tmp.path / "sandbox", {"p2_guest.wasm"});
  c.max_output_bytes = 8;
  GuestRun r = run(wasm, std::move(c));
  ASSERT_TRUE(r.result.ok()) << r.result.error().to_string();
  EXPECT_EQ(r.out, "args: p2");
}

}  // namespace
}  // namespace weft::wasi::p2::testing
