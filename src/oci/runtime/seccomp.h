// A bundle's seccomp profile as a libseccomp filter, built at create (so a
// profile weft-oci cannot apply fails create, with the reason) and loaded
// in the container's init just before it runs weft, as runc loads it
// before the container's process: weft itself, and so the guest's WASI
// calls, run under it.
#pragma once

#include <string>
#include <vector>

#include "oci/runtime/spec.h"
#include "weft/result.h"

namespace weft::oci::runtime {

class SeccompFilter {
 public:
  // Syscall names this libseccomp does not know on any of the profile's
  // architectures are skipped, as runc skips them (profiles list syscalls
  // of newer kernels); a rule whose action is the default one is skipped
  // too. Anything else libseccomp refuses is an error naming the rule.
  static Result<SeccompFilter> build(const Seccomp& profile);

  SeccompFilter(SeccompFilter&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }
  SeccompFilter& operator=(SeccompFilter&& other) noexcept;
  SeccompFilter(const SeccompFilter&) = delete;
  SeccompFilter& operator=(const SeccompFilter&) = delete;
  ~SeccompFilter();

  // Installs the filter on this thread (and, with SECCOMP_FILTER_FLAG_TSYNC,
  // its siblings). It does not set no_new_privs: the spec's
  // noNewPrivileges decides, and without it the caller needs CAP_SYS_ADMIN.
  Result<void> load() const;

 private:
  explicit SeccompFilter(void* ctx) : ctx_(ctx) {}
  void* ctx_ = nullptr;  // scmp_filter_ctx
};

// For `weft-oci features`: what build() takes.
std::vector<std::string> seccomp_actions();
std::vector<std::string> seccomp_operators();
std::vector<std::string> seccomp_architectures();

}  // namespace weft::oci::runtime
