// weft-oci's reading of config.json: what it takes from a bundle, and what
// it refuses (with the field named) rather than run with weaker isolation.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "oci/runtime/spec.h"

namespace weft::oci::runtime {
namespace {

namespace fs = std::filesystem;

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("weft-bundle-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "rootfs");
  }
  void TearDown() override { fs::remove_all(dir_); }
  Result<BundleSpec> load(const std::string& json) {
    std::ofstream(dir_ / "config.json") << json;
    return load_bundle(dir_);
  }
  void expect_refused(const std::string& json, const std::string& needle) {
    auto r = load(json);
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("config.json"), std::string::npos) << r.error().message;
  }
  fs::path dir_;
};

constexpr const char* kBase = R"({"ociVersion":"1.0.2","root":{"path":"rootfs","readonly":true},
  "process":{"args":["/app.wasm","x"],"env":["A=1"],"cwd":"/w","user":{"uid":0,"gid":0},
    "capabilities":{"bounding":["CAP_KILL"]},"rlimits":[{"type":"RLIMIT_NOFILE","soft":64,"hard":64}]},
  "mounts":[{"destination":"/proc","type":"proc","source":"proc"},
            {"destination":"/data","type":"bind","source":"/srv","options":["rbind","ro"]}],
  "linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/proc/1/ns/net"}],
           "resources":{"memory":{"limit":33554432}},"cgroupsPath":"/default/x"}})";

TEST_F(BundleTest, ReadsWhatWeftActsOn) {
  auto s = load(kBase);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->rootfs, dir_ / "rootfs");
  EXPECT_TRUE(s->root_readonly);
  EXPECT_EQ(s->args, (std::vector<std::string>{"/app.wasm", "x"}));
  EXPECT_EQ(s->cwd, "/w");
  ASSERT_EQ(s->mounts.size(), 2u);
  EXPECT_FALSE(s->mounts[0].is_bind());
  EXPECT_TRUE(s->mounts[1].is_bind());
  EXPECT_TRUE(s->mounts[1].read_only());
  ASSERT_EQ(s->namespaces.size(), 2u);
  EXPECT_EQ(s->namespaces[1].path, "/proc/1/ns/net");
  EXPECT_EQ(s->memory_limit, 33554432);
  ASSERT_TRUE(s->cap_bounding.has_value());
  EXPECT_EQ(*s->cap_bounding, std::vector<std::string>{"CAP_KILL"});
  ASSERT_EQ(s->rlimits.size(), 1u);
  EXPECT_EQ(s->rlimits[0].soft, 64u);
}

TEST_F(BundleTest, RefusesWhatWeftCannotHonour) {
  const std::string base = kBase;
  auto with_linux = [&](const std::string& extra) {
    std::string j = base;
    j.insert(j.find("\"namespaces\""), extra + ",");
    return j;
  };
  // A seccomp profile is applied (SeccompTest below) unless weft-oci
  // cannot apply it: an agent, or what it does not know.
  expect_refused(with_linux(R"("seccomp":{"defaultAction":"SCMP_ACT_NOTIFY"})"),
                 "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY needs a seccomp agent");
  expect_refused(
      with_linux(R"("seccomp":{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/agent"})"),
      "linux.seccomp.listenerPath");
  expect_refused(with_linux(R"("seccomp":{"defaultAction":"SCMP_ACT_BLOCK"})"),
                 "unknown action \"SCMP_ACT_BLOCK\"");
  expect_refused(with_linux(R"("seccomp":{})"), "linux.seccomp.defaultAction: missing");
  expect_refused(
      with_linux(
          R"("seccomp":{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_NEW_LISTENER"]})"),
      "cannot apply the flag");
  expect_refused(with_linux(R"("seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
      {"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]})"),
                 "linux.seccomp.syscalls[0].args.index");
  expect_refused(with_linux(R"("seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
      {"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_ABOUT"}]}]})"),
                 "unknown operator");
  expect_refused(with_linux(R"("seccomp":{"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":-1})"),
                 "linux.seccomp.defaultErrnoRet");
  expect_refused(with_linux(R"("mountLabel":"system_u:object_r:x")"), "SELinux");
  std::string user_ns = base;
  user_ns.replace(user_ns.find(R"({"type":"pid"})"), 14, R"({"type":"user"})");
  expect_refused(user_ns, "user namespaces");
  std::string odd_ns = base;
  odd_ns.replace(odd_ns.find(R"({"type":"pid"})"), 14, R"({"type":"pod"})");
  expect_refused(odd_ns, "unknown namespace type \"pod\"");
  std::string joined_pid = base;
  joined_pid.replace(joined_pid.find(R"({"type":"pid"})"), 14,
                     R"({"type":"pid","path":"/proc/1/ns/pid"})");
  expect_refused(joined_pid, "cannot join an existing pid namespace");
  std::string climbing = base;
  climbing.replace(climbing.find("/default/x"), 10, "/../../../tmp/x");
  expect_refused(climbing, "linux.cgroupsPath");
  std::string cpuset = base;
  cpuset.insert(cpuset.find(R"("memory":{"limit")"), R"("cpu":{"shares":2,"cpus":"0-1"},)");
  expect_refused(cpuset, "linux.resources.cpu.cpus");
  std::string hooks = base;
  hooks.insert(1, R"("hooks":{"prestart":[{"path":"/bin/true"}]},)");
  expect_refused(hooks, "hooks.prestart");
}

TEST_F(BundleTest, LenientReadClassifiesAnything) {
  // A native container's bundle goes to runc whatever it asks for; the
  // lenient read only needs what tells who runs it.
  std::string seccomp = kBase;
  seccomp.insert(seccomp.find("\"namespaces\""),
                 R"("seccomp":{"defaultAction":"SCMP_ACT_NOTIFY"},)");
  auto s = load(seccomp);
  EXPECT_FALSE(s.ok());
  std::ofstream(dir_ / "config.json") << seccomp;
  auto lenient = load_bundle(dir_, /*strict=*/false);
  ASSERT_TRUE(lenient.ok()) << lenient.error().message;
  EXPECT_EQ(lenient->args.front(), "/app.wasm");
  // AppArmor is applied (at exec), not refused.
  std::string apparmor = kBase;
  apparmor.insert(apparmor.find("\"env\""),
                  R"("apparmorProfile":"cri-containerd.apparmor.d","oomScoreAdj":-997,)");
  auto a = load(apparmor);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->apparmor_profile, "cri-containerd.apparmor.d");
  EXPECT_EQ(a->oom_score_adj, -997);
}

TEST_F(BundleTest, RefusesMalformed) {
  expect_refused("{", "not a JSON object");
  expect_refused(R"({"root":{"path":"rootfs"}})", "process");
  expect_refused(R"({"root":{"path":"rootfs"},"process":{"args":[]}})", "process.args");
  expect_refused(R"({"root":{"path":"rootfs"},"process":{"args":["a"],"env":"x"}})", "process.env");
  expect_refused(R"({"root":{"path":"rootfs"},"process":{"args":["a"],"user":{"uid":-1}}})",
                 "process.user.uid");
  expect_refused(R"({"root":{"path":"rootfs"},"process":{"args":["a"]},
                    "mounts":[{"destination":"relative","type":"bind"}]})",
                 "mounts[0].destination");
  expect_refused(R"({"root":{"path":"rootfs"},"process":{"args":["a"],
                    "rlimits":[{"type":"RLIMIT_NOFILE","soft":-1,"hard":1}]}})",
                 "rlimits");
}

}  // namespace
}  // namespace weft::oci::runtime
