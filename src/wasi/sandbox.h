// Internal to src/wasi: the capability sandbox's path resolution and the
// host-fd helpers, shared by the preview1 host (fs_host.cpp) and the WASI
// 0.2 host (p2/), so both resolve guest paths the same way.
//
// Every function reports failure as a host errno (0 = success). EXDEV from
// a resolution means "the path leads out of the directory" (an absolute
// path, `..` above it, or a symlink out of it): each host maps that to its
// own capability error (NOTCAPABLE in preview1, not-permitted in 0.2).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace weft::wasi::sandbox {

// Longest guest path accepted (bytes), like Linux's PATH_MAX.
inline constexpr size_t kMaxPathBytes = 4096;

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = o.release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// openat2(dirfd, path, flags) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS:
// the new fd, or -1 with errno set (EXDEV: the path leaves dirfd).
int open_beneath(int dirfd, const std::string& path, uint64_t flags, mode_t mode);

// The directory holding a path's last component, opened (O_PATH) beneath
// `dirfd`, for the *at calls that act on the last component without
// following it.
struct ParentDir {
  UniqueFd fd;
  std::string last;  // the last component, trailing slashes kept
};
// 0, or ENOENT (empty path), EXDEV (absolute, or leads out), or the errno
// of the resolution. A last component that makes the kernel follow anyway
// (trailing slash, "." or "..") is checked by resolving the whole path.
int open_parent(int dirfd, const std::string& path, ParentDir& out);

// Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF.
bool valid_utf8(const std::string& s);

// futimens, falling back to /proc/self/fd for O_PATH descriptors.
// 0, or -1 with errno set.
int set_times_on_fd(int fd, const struct timespec times[2]);

// fsync/fdatasync; an O_PATH directory is reopened for it. 0, or -1 with
// errno set.
int sync_fd(int fd, bool is_directory, bool data_only);

struct HostDirEntry {
  std::string name;
  uint64_t inode = 0;
  uint32_t mode = 0;  // the S_IFMT bits, 0 when the type is unknown
};
// Every entry of the directory `fd` refers to ("." and ".." included), in
// readdir order. 0 or a host errno.
int read_directory(int fd, std::vector<HostDirEntry>& out);

}  // namespace weft::wasi::sandbox
