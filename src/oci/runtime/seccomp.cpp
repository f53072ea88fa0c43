#include "oci/runtime/seccomp.h"

#include <seccomp.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <span>

namespace weft::oci::runtime {
namespace {

std::string failure(int rc) { return std::strerror(rc < 0 ? -rc : rc); }

// The action's libseccomp value; errno and trace actions carry their number
// (EPERM when the profile gives none, as runc does).
uint32_t action_value(const std::string& name, const std::optional<uint32_t>& errno_ret) {
  const uint32_t code = errno_ret.value_or(EPERM);
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(code);
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(code);
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  return SCMP_ACT_ALLOW;  // spec.cpp admitted only the names above and this one
}

const std::map<std::string, scmp_compare>& operators() {
  static const std::map<std::string, scmp_compare> ops = {
      {"SCMP_CMP_NE", SCMP_CMP_NE},
      {"SCMP_CMP_LT", SCMP_CMP_LT},
      {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ},
      {"SCMP_CMP_GE", SCMP_CMP_GE},
      {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  return ops;
}

// "SCMP_ARCH_X86_64" → libseccomp's "x86_64".
uint32_t architecture(const std::string& spec_name) {
  std::string name = spec_name.substr(std::strlen("SCMP_ARCH_"));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return seccomp_arch_resolve_name(name.c_str());
}

}  // namespace

Result<SeccompFilter> SeccompFilter::build(const Seccomp& profile) {
  const uint32_t default_action = action_value(profile.default_action, profile.default_errno_ret);
  scmp_filter_ctx ctx = seccomp_init(default_action);
  if (ctx == nullptr)
    return Error::usage("linux.seccomp: libseccomp refused the default action " +
                        profile.default_action);
  SeccompFilter filter(ctx);
  // libseccomp sets no_new_privs on load unless told not to; the spec's
  // process.noNewPrivileges is what decides.
  if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); rc != 0)
    return Error::io("linux.seccomp: " + failure(rc));
  for (const std::string& flag : profile.flags) {
    const scmp_filter_attr attr = flag == "SECCOMP_FILTER_FLAG_TSYNC" ? SCMP_FLTATR_CTL_TSYNC
                                  : flag == "SECCOMP_FILTER_FLAG_LOG" ? SCMP_FLTATR_CTL_LOG
                                                                      : SCMP_FLTATR_CTL_SSB;
    if (int rc = seccomp_attr_set(ctx, attr, 1); rc != 0)
      return Error::usage("linux.seccomp.flags: " + flag + ": " + failure(rc));
  }
  for (const std::string& arch : profile.architectures) {
    const uint32_t token = architecture(arch);
    if (token == 0)
      return Error::usage("linux.seccomp.architectures: libseccomp does not know " + arch);
    if (int rc = seccomp_arch_add(ctx, token); rc != 0 && rc != -EEXIST)
      return Error::usage("linux.seccomp.architectures: " + arch + ": " + failure(rc));
  }
  for (size_t i = 0; i < profile.syscalls.size(); ++i) {
    const SeccompRule& rule = profile.syscalls[i];
    const uint32_t action = action_value(rule.action, rule.errno_ret);
    if (action == default_action) continue;  // libseccomp refuses it; it changes nothing
    std::vector<scmp_arg_cmp> conditions;
    std::set<uint32_t> indices;
    bool repeated_index = false;
    for (const SeccompArg& a : rule.args) {
      conditions.push_back(
          {a.index, operators().at(a.op), static_cast<scmp_datum_t>(a.value), a.value_two});
      repeated_index |= !indices.insert(a.index).second;
    }
    for (const std::string& name : rule.names) {
      const int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // not a syscall this libseccomp knows
      auto add = [&](std::span<const scmp_arg_cmp> with) -> Result<void> {
        const int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(with.size()),
                                              with.empty() ? nullptr : with.data());
        if (rc != 0)
          return Error::usage("linux.seccomp.syscalls[" + std::to_string(i) + "]: " + name + ": " +
                              failure(rc));
        return {};
      };
      // As runc: conditions on one argument given twice are alternatives,
      // a rule each (libseccomp takes each argument once per rule).
      if (repeated_index) {
        for (const scmp_arg_cmp& c : conditions)
          if (auto ok = add(std::span<const scmp_arg_cmp>(&c, 1)); !ok)
            return std::move(ok).error();
      } else if (auto ok = add(conditions); !ok) {
        return std::move(ok).error();
      }
    }
  }
  return filter;
}

SeccompFilter& SeccompFilter::operator=(SeccompFilter&& other) noexcept {
  if (this != &other) {
    if (ctx_ != nullptr) seccomp_release(ctx_);
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

SeccompFilter::~SeccompFilter() {
  if (ctx_ != nullptr) seccomp_release(ctx_);
}

Result<void> SeccompFilter::load() const {
  if (int rc = seccomp_load(ctx_); rc != 0)
    return Error::io("cannot load the seccomp profile: " + failure(rc));
  return {};
}

std::vector<std::string> seccomp_actions() {
  return {"SCMP_ACT_ALLOW",       "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS",
          "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",   "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"};
}

std::vector<std::string> seccomp_operators() {
  std::vector<std::string> out;
  for (const auto& [name, op] : operators()) out.push_back(name);
  return out;
}

std::vector<std::string> seccomp_architectures() {
  std::vector<std::string> out;
  for (const char* a :
       {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
        "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
        "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64",
        "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"})
    if (architecture(a) != 0) out.push_back(a);
  return out;
}

}  // namespace weft::oci::runtime
