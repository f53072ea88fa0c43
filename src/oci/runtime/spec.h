// A bundle's config.json (the OCI runtime spec), as much of it as weft-oci
// acts on, checked strictly: what weft cannot honour is refused by name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "weft/result.h"

namespace weft::oci::runtime {

struct Mount {
  std::string destination, type, source;
  std::vector<std::string> options;
  bool read_only() const;
  bool is_bind() const;
};

struct Namespace {
  std::string type;  // pid, network, mount, ipc, uts, cgroup, user, time
  std::string path;  // join this one; empty: a new one
};

struct Rlimit {
  std::string type;  // RLIMIT_NOFILE
  uint64_t soft = 0, hard = 0;
};

// linux.seccomp as the runtime spec writes it. Actions, operators,
// architectures and flags are checked here; syscall names against
// libseccomp when the filter is built (seccomp.cpp).
struct SeccompArg {
  uint32_t index = 0;  // 0..5
  uint64_t value = 0, value_two = 0;
  std::string op;  // SCMP_CMP_EQ ...
};
struct SeccompRule {
  std::vector<std::string> names;
  std::string action;  // SCMP_ACT_ERRNO ...
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};
struct Seccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // SCMP_ARCH_X86_64 ...
  std::vector<std::string> flags;          // SECCOMP_FILTER_FLAG_LOG ...
  std::vector<SeccompRule> syscalls;
};

struct BundleSpec {
  std::filesystem::path bundle;
  std::filesystem::path rootfs;  // absolute
  bool root_readonly = false;
  std::vector<std::string> args, env;
  std::string cwd = "/";
  bool terminal = false;
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
  bool no_new_privileges = false;
  std::optional<std::vector<std::string>> cap_bounding, cap_effective, cap_permitted,
      cap_inheritable, cap_ambient;
  std::vector<Rlimit> rlimits;
  std::vector<Mount> mounts;
  std::vector<Namespace> namespaces;
  std::string hostname;
  std::optional<int64_t> memory_limit;
  std::optional<int64_t> pids_limit;
  std::optional<int64_t> cpu_shares, cpu_quota, cpu_period;
  std::optional<int> oom_score_adj;
  std::string apparmor_profile;  // applied at exec, as runc does
  std::optional<Seccomp> seccomp;
  std::string cgroups_path;
  std::map<std::string, std::string> annotations;
};

// Reads BUNDLE/config.json. Refused, with the field named: malformed JSON
// or types, no process.args. With `strict` (a container weft runs) also
// what weft-oci cannot honour: a seccomp profile it cannot apply (an agent's
// SCMP_ACT_NOTIFY, an unknown action, operator, architecture or flag),
// SELinux labels, a user
// or time namespace, joining a pid or mount namespace, an unknown namespace
// type, hooks, a cgroupsPath that climbs, resources it cannot apply (cpuset,
// block I/O, RDMA, unified keys, a swap limit). Without, just enough to tell whether
// weft runs it at all.
Result<BundleSpec> load_bundle(const std::filesystem::path& bundle, bool strict = true);

}  // namespace weft::oci::runtime
