// weft-oci's seccomp profiles: read from config.json, built with libseccomp,
// and loaded, each load in a child process of its own (a filter cannot be
// taken off again), where the calls it filters are made and their errno
// reported in the exit status.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>

#include "oci/runtime/seccomp.h"
#include "oci/runtime/spec.h"

namespace weft::oci::runtime {
namespace {

namespace fs = std::filesystem;

class SeccompTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("weft-seccomp-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "rootfs");
  }
  void TearDown() override { fs::remove_all(dir_); }
  // The profile of a bundle whose linux.seccomp is `profile`.
  Seccomp profile(const std::string& json) {
    std::ofstream(dir_ / "config.json")
        << R"({"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["/a.wasm"]},
             "linux":{"seccomp":)"
        << json << "}}";
    auto spec = load_bundle(dir_);
    EXPECT_TRUE(spec.ok()) << spec.error().message;
    if (!spec.ok() || !spec->seccomp) return {};
    return *spec->seccomp;
  }
  // Loads `filter` in a child with no_new_privs, runs `probe` there and
  // returns its exit status (or -1 when the load failed, -2 on a signal).
  static int in_child(const SeccompFilter& filter, const std::function<int()>& probe) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(101);
      if (!filter.load().ok()) ::_exit(102);
      // exit_group itself: the sanitizers' _exit hook (a leak check) would
      // make calls a tight profile denies.
      ::syscall(SYS_exit_group, probe());
      ::_exit(103);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) return -2;
    const int code = WEXITSTATUS(status);
    return code == 102 ? -1 : code;
  }
  // errno of a call that fails, 0 if it succeeds.
  static int errno_of(long rc) { return rc < 0 ? errno : 0; }
  fs::path dir_;
};

TEST_F(SeccompTest, ReadsTheProfile) {
  const Seccomp p = profile(R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,
      "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
      "flags":["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
      "syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},
                  {"names":["personality"],"action":"SCMP_ACT_ALLOW",
                   "args":[{"index":0,"value":8,"valueTwo":0,"op":"SCMP_CMP_EQ"}]},
                  {"names":["mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]})");
  EXPECT_EQ(p.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(p.default_errno_ret, 38u);
  EXPECT_EQ(p.architectures.size(), 3u);
  ASSERT_EQ(p.syscalls.size(), 3u);
  EXPECT_EQ(p.syscalls[0].names, (std::vector<std::string>{"read", "write"}));
  ASSERT_EQ(p.syscalls[1].args.size(), 1u);
  EXPECT_EQ(p.syscalls[1].args[0].value, 8u);
  EXPECT_EQ(p.syscalls[1].args[0].op, "SCMP_CMP_EQ");
  EXPECT_EQ(p.syscalls[2].errno_ret, 1u);
  EXPECT_TRUE(SeccompFilter::build(p).ok());
}

TEST_F(SeccompTest, FiltersWhatItNames) {
  // Everything allowed but getppid, and mkdirat failing with EPERM; a
  // syscall name this libseccomp does not know is skipped, as runc skips it.
  auto filter = SeccompFilter::build(profile(R"({"defaultAction":"SCMP_ACT_ALLOW",
      "syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":38},
                  {"names":["mkdirat","no_such_syscall_2031"],"action":"SCMP_ACT_ERRNO"}]})"));
  ASSERT_TRUE(filter.ok()) << filter.error().message;
  const std::string made = (dir_ / "made").string();
  EXPECT_EQ(in_child(*filter, [] { return errno_of(::syscall(SYS_getppid)); }), ENOSYS);
  EXPECT_EQ(in_child(*filter, [&] { return errno_of(::mkdirat(AT_FDCWD, made.c_str(), 0700)); }),
            EPERM);
  EXPECT_FALSE(fs::exists(made));
  EXPECT_EQ(in_child(*filter, [] { return errno_of(::syscall(SYS_getpid)); }), 0);
}

TEST_F(SeccompTest, ArgumentConditions) {
  // fcntl(F_GETFD) and fcntl(F_GETFL) refused, two conditions on one
  // argument (alternatives, as runc reads them); other commands allowed.
  // dup3 with O_CLOEXEC refused: flags & 0x80001 (value, the mask) ==
  // 0x80000 (valueTwo); swapped operands would never match.
  auto filter = SeccompFilter::build(profile(R"({"defaultAction":"SCMP_ACT_ALLOW",
      "syscalls":[{"names":["fcntl"],"action":"SCMP_ACT_ERRNO","errnoRet":13,
                   "args":[{"index":1,"value":1,"op":"SCMP_CMP_EQ"},
                           {"index":1,"value":3,"op":"SCMP_CMP_EQ"}]},
                  {"names":["dup3"],"action":"SCMP_ACT_ERRNO","errnoRet":22,
                   "args":[{"index":2,"value":524289,"valueTwo":524288,"op":"SCMP_CMP_MASKED_EQ"}]}]})"));
  ASSERT_TRUE(filter.ok()) << filter.error().message;
  EXPECT_EQ(in_child(*filter, [] { return errno_of(::fcntl(0, F_GETFD)); }), EACCES);
  EXPECT_EQ(in_child(*filter, [] { return errno_of(::fcntl(0, F_GETFL)); }), EACCES);
  EXPECT_EQ(in_child(*filter, [] { return errno_of(::fcntl(0, F_GETOWN)); }), 0);
  EXPECT_EQ(in_child(*filter, [] { return errno_of(::dup3(0, 50, O_CLOEXEC)); }), EINVAL);
  EXPECT_EQ(in_child(*filter, [] { return errno_of(::dup3(0, 50, 0)); }), 0);
}

TEST_F(SeccompTest, KillsAndDefaultErrno) {
  // A default of ERRNO(ENOSYS) with what the probe needs allowed, and a
  // syscall that kills the process.
  auto filter = SeccompFilter::build(profile(R"({"defaultAction":"SCMP_ACT_ERRNO",
      "defaultErrnoRet":38,
      "syscalls":[{"names":["exit","exit_group","getpid"],"action":"SCMP_ACT_ALLOW"},
                  {"names":["getuid"],"action":"SCMP_ACT_KILL_PROCESS"}]})"));
  ASSERT_TRUE(filter.ok()) << filter.error().message;
  EXPECT_EQ(in_child(*filter, [] { return errno_of(::syscall(SYS_getppid)); }), ENOSYS);
  EXPECT_EQ(in_child(*filter, [] { return errno_of(::syscall(SYS_getpid)); }), 0);
  EXPECT_EQ(in_child(*filter, [] { return static_cast<int>(::syscall(SYS_getuid)); }), -2);
}

TEST_F(SeccompTest, WhatLibseccompRefusesIsAnError) {
  auto bad_arch = SeccompFilter::build(
      profile(R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_VAX"]})"));
  ASSERT_FALSE(bad_arch.ok());
  EXPECT_NE(bad_arch.error().message.find("SCMP_ARCH_VAX"), std::string::npos)
      << bad_arch.error().message;
}

}  // namespace
}  // namespace weft::oci::runtime
