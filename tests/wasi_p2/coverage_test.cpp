// Every WASI import of jco's preview1 adapter is defined, and wasi:sockets
// denies everything.
#include <fstream>
#include <iterator>
#include <set>

#include "wasi_p2/p2_harness.h"

namespace weft::wasi::p2::testing {
namespace {

std::string unversioned(const std::string& iface) { return iface.substr(0, iface.find('@')); }

TEST(WasiP2Coverage, EveryAdapterImportIsDefined) {
  const std::string path = std::string(WEFT_SOURCE_DIR) +
                           "/tools/jco/node_modules/@bytecodealliance/jco/lib/"
                           "wasi_snapshot_preview1.command.wasm";
  std::ifstream in(path, std::ios::binary);
  if (!in) GTEST_SKIP() << "no jco adapter at " << path << " (scripts/setup.sh installs it)";
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  auto module = Module::compile(bytes);
  ASSERT_TRUE(module.ok()) << module.error().to_string();

  Host h;
  std::set<std::pair<std::string, std::string>> funcs, resources;
  for (const auto& f : h.defs.funcs) funcs.insert({unversioned(f.interface_name), f.name});
  for (const auto& r : h.defs.resources) resources.insert({unversioned(r.interface_name), r.name});
  size_t checked = 0;
  for (const auto& import : (*module)->imports()) {
    if (import.module.rfind("wasi:", 0) != 0) continue;
    const std::string iface = unversioned(import.module);
    const std::string drop = "[resource-drop]";
    if (import.name.rfind(drop, 0) == 0) {
      EXPECT_TRUE(resources.count({iface, import.name.substr(drop.size())}))
          << import.module << " " << import.name;
    } else {
      EXPECT_TRUE(funcs.count({iface, import.name})) << import.module << " " << import.name;
    }
    ++checked;
  }
  EXPECT_GT(checked, 50u);
}

TEST(WasiP2Coverage, ResourcesAreDefinedByTheirOwnersOnly) {
  // An interface that `use`s a resource (wasi:io/streams: error, pollable)
  // re-exports the owner's type; the component linker follows the type to
  // the owner's definition (tests/component/runtime), so nothing else
  // defines it.
  Host h;
  std::set<std::pair<std::string, std::string>> resources;
  for (const auto& r : h.defs.resources) {
    EXPECT_TRUE(resources.insert({unversioned(r.interface_name), r.name}).second)
        << r.interface_name << " " << r.name << " defined twice";
  }
  for (const auto& [iface, name] :
       std::vector<std::pair<std::string, std::string>>{{"wasi:io/error", "error"},
                                                        {"wasi:io/poll", "pollable"},
                                                        {"wasi:io/streams", "output-stream"},
                                                        {"wasi:filesystem/types", "descriptor"},
                                                        {"wasi:sockets/network", "network"}}) {
    EXPECT_TRUE(resources.count({iface, name})) << iface << " " << name;
  }
  for (const auto& [iface, name] : std::vector<std::pair<std::string, std::string>>{
           {"wasi:io/streams", "error"},
           {"wasi:cli/stdout", "output-stream"},
           {"wasi:filesystem/preopens", "descriptor"}}) {
    EXPECT_FALSE(resources.count({iface, name})) << iface << " " << name;
  }
  // Dropping through the owner frees the object another interface made.
  Val out = h.value("wasi:cli/stdout", "get-stdout");
  h.drop("wasi:io/streams", "output-stream", out.bits);
  EXPECT_EQ(h.state->resource_count(), 0u);
}

TEST(WasiP2Coverage, EveryFunctionIsVersioned) {
  Host h;
  for (const auto& f : h.defs.funcs) {
    EXPECT_EQ(f.interface_name.substr(f.interface_name.find('@') + 1), kWasiP2Version)
        << f.interface_name;
  }
}

TEST(WasiP2Sockets, EverythingIsDenied) {
  Host h;
  EXPECT_EQ(
      h.err("wasi:sockets/tcp-create-socket", "create-tcp-socket", {Val::enumeration("ipv4", 0)}),
      "access-denied");
  EXPECT_EQ(
      h.err("wasi:sockets/udp-create-socket", "create-udp-socket", {Val::enumeration("ipv6", 1)}),
      "access-denied");
  Val net = h.value("wasi:sockets/instance-network", "instance-network");
  ASSERT_EQ(net.kind, ValKind::Own);
  EXPECT_EQ(h.err("wasi:sockets/ip-name-lookup", "resolve-addresses",
                  {borrow(net.bits), Val::string("example.com")}),
            "access-denied");
  // No socket handle can exist, so a method given one traps.
  auto r = h.call("wasi:sockets/tcp", "[method]tcp-socket.start-connect", {borrow(net.bits)});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is_trap());
  r = h.call("wasi:sockets/udp", "[method]udp-socket.stream", {borrow(1)});
  ASSERT_FALSE(r.ok());
  // jco 0.2.10's additions.
  EXPECT_TRUE(h.call("wasi:sockets/network", "[method]network.noop", {borrow(net.bits)}).ok());
  Val out = h.value("wasi:cli/stdout", "get-stdout");
  EXPECT_FALSE(h.call("wasi:sockets/network", "network-error-code", {borrow(out.bits)}).ok());
  h.drop("wasi:io/streams", "output-stream", out.bits);
  h.drop("wasi:sockets/network", "network", net.bits);
  EXPECT_EQ(h.state->resource_count(), 0u);
}

}  // namespace
}  // namespace weft::wasi::p2::testing
