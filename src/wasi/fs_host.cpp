// The file-system half of wasi_snapshot_preview1: fd_* and path_*.
//
// Sandbox: a path is only ever resolved relative to a directory fd the
// guest holds, with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so the
// kernel refuses `..` above that directory, absolute paths and symlinks
// leading out (EXDEV → NOTCAPABLE). Operations that are not opens resolve
// the parent directory that way and then act on the last component with a
// *at call that does not follow symlinks. A last component that would make
// the kernel follow anyway (trailing slash, "." or "..") is first checked by
// resolving the whole path beneath.
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "wasi/guest.h"
#include "wasi/sandbox.h"

namespace weft::wasi {

using namespace abi;

namespace sandbox {

int open_beneath(int dirfd, const std::string& path, uint64_t flags, mode_t mode) {
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = flags;
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0; attempt < 32; ++attempt) {
    long fd = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    // EAGAIN: a concurrent rename raced the `..` check; retrying is safe.
    if (errno != EAGAIN && errno != EINTR) return -1;
  }
  return -1;
}

int open_parent(int dirfd, const std::string& path, ParentDir& out) {
  if (path.empty()) return ENOENT;
  if (path[0] == '/') return EXDEV;
  size_t end = path.size();
  while (end > 0 && path[end - 1] == '/') --end;  // stops at 1: path[0] != '/'
  const size_t slash = path.rfind('/', end - 1);
  const std::string parent = slash == std::string::npos ? "." : path.substr(0, slash);
  const size_t name_start = slash == std::string::npos ? 0 : slash + 1;
  out.last = path.substr(name_start);
  const std::string name = path.substr(name_start, end - name_start);

  int fd = open_beneath(dirfd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) return errno;
  out.fd = UniqueFd(fd);

  // The kernel follows a last component with a trailing slash, and "." and
  // ".." name other directories: make sure where they lead stays beneath.
  if (end != path.size() || name == "." || name == "..") {
    int check = open_beneath(dirfd, path, O_PATH | O_CLOEXEC, 0);
    if (check >= 0) {
      ::close(check);
    } else if (errno == EXDEV || errno == ELOOP) {
      return errno;
    }
  }
  return 0;
}

bool valid_utf8(const std::string& s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

// futimens does not accept O_PATH descriptors (our preopens); the
// /proc/self/fd link names the same inode without a path walk.
int set_times_on_fd(int fd, const struct timespec times[2]) {
  if (futimens(fd, times) == 0) return 0;
  if (errno != EBADF) return -1;
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  return utimensat(AT_FDCWD, proc.c_str(), times, 0);
}

// fd_sync/fd_datasync on an O_PATH directory (a preopen) need a real open.
int sync_fd(int fd, bool is_directory, bool data_only) {
  int r = data_only ? fdatasync(fd) : fsync(fd);
  if (r == 0 || errno != EBADF || !is_directory) return r;
  UniqueFd dir(openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return -1;
  return data_only ? fdatasync(dir.get()) : fsync(dir.get());
}

namespace {

uint32_t mode_of_dirent(unsigned char d_type) {
  switch (d_type) {
    case DT_REG:
      return S_IFREG;
    case DT_DIR:
      return S_IFDIR;
    case DT_LNK:
      return S_IFLNK;
    case DT_CHR:
      return S_IFCHR;
    case DT_BLK:
      return S_IFBLK;
    case DT_SOCK:
      return S_IFSOCK;
    case DT_FIFO:
      return S_IFIFO;
    default:
      return 0;
  }
}

}  // namespace

int read_directory(int fd, std::vector<HostDirEntry>& out) {
  int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0) return errno;
  DIR* dir = fdopendir(dup_fd);
  if (!dir) {
    int err = errno;
    ::close(dup_fd);
    return err;
  }
  errno = 0;
  while (struct dirent* d = readdir(dir)) {
    HostDirEntry entry;
    entry.name = d->d_name;
    entry.inode = d->d_ino;
    entry.mode = mode_of_dirent(d->d_type);
    if (d->d_type == DT_UNKNOWN) {
      struct stat st;
      if (fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        entry.mode = st.st_mode & S_IFMT;
      }
    }
    out.push_back(std::move(entry));
    errno = 0;
  }
  int err = errno;
  closedir(dir);
  return err;
}

}  // namespace sandbox

using sandbox::open_beneath;
using sandbox::ParentDir;
using sandbox::set_times_on_fd;
using sandbox::UniqueFd;
using sandbox::valid_utf8;

namespace {

constexpr size_t kMaxPathBytes = 4096;
// Like Linux's MAX_RW_COUNT: one call moves at most this much, so counts
// always fit the guest's u32 size.
constexpr uint64_t kMaxIoBytes = 0x7ffff000;
constexpr uint32_t kMaxIovecScan = 1u << 16;
constexpr uint64_t kInt64Max = static_cast<uint64_t>(INT64_MAX);

// The errno of a failed resolution: leaving the directory is a capability
// violation, not a cross-device error.
uint16_t resolve_errno(int host_errno) {
  return host_errno == EXDEV ? kNotcapable : from_host_errno(host_errno);
}

uint16_t read_path(Call& c, uint32_t ptr, uint32_t len, std::string& out) {
  const uint8_t* p = c.mem.ptr(ptr, len);
  if (!p) return kFault;
  if (len > kMaxPathBytes) return kNametoolong;
  out.assign(reinterpret_cast<const char*>(p), len);
  if (out.find('\0') != std::string::npos) return kInval;
  if (!valid_utf8(out)) return kIlseq;
  return kSuccess;
}

// A directory fd with the given rights.
uint16_t lookup_dir(Call& c, uint32_t fd, uint64_t rights, FdEntry*& out) {
  FdEntry* entry = c.ctx.get(fd);
  if (!entry) return kBadf;
  if (entry->kind != FdEntry::Kind::HostFd || entry->filetype != kFiletypeDirectory) {
    return kNotdir;
  }
  if ((entry->rights_base & rights) != rights) return kNotcapable;
  out = entry;
  return kSuccess;
}

uint16_t open_parent_p1(int dirfd, const std::string& path, ParentDir& out) {
  const int err = sandbox::open_parent(dirfd, path, out);
  return err == 0 ? kSuccess : resolve_errno(err);
}

uint64_t to_ns(const struct timespec& ts) {
  if (ts.tv_sec < 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

void put_filestat(uint8_t* p, const struct stat& st) {
  std::memset(p, 0, kFilestatSize);
  const uint64_t dev = st.st_dev, ino = st.st_ino, nlink = st.st_nlink;
  const uint64_t size = st.st_size < 0 ? 0 : static_cast<uint64_t>(st.st_size);
  const uint8_t type = filetype_of_mode(st.st_mode);
  const uint64_t atim = to_ns(st.st_atim), mtim = to_ns(st.st_mtim), ctim = to_ns(st.st_ctim);
  std::memcpy(p + 0, &dev, 8);
  std::memcpy(p + 8, &ino, 8);
  std::memcpy(p + 16, &type, 1);
  std::memcpy(p + 24, &nlink, 8);
  std::memcpy(p + 32, &size, 8);
  std::memcpy(p + 40, &atim, 8);
  std::memcpy(p + 48, &mtim, 8);
  std::memcpy(p + 56, &ctim, 8);
}

// Builds utimensat's times from WASI fstflags; INVAL for contradictory or
// unknown flags.
uint16_t make_times(uint64_t atim, uint64_t mtim, uint16_t flags, struct timespec times[2]) {
  if (flags & ~kFstflagsAll) return kInval;
  if ((flags & kFstAtim) && (flags & kFstAtimNow)) return kInval;
  if ((flags & kFstMtim) && (flags & kFstMtimNow)) return kInval;
  auto convert = [](uint64_t ns, bool set, bool now, struct timespec& ts) {
    if (now) {
      ts.tv_sec = 0;
      ts.tv_nsec = UTIME_NOW;
    } else if (set) {
      ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000ull);
      ts.tv_nsec = static_cast<long>(ns % 1'000'000'000ull);
    } else {
      ts.tv_sec = 0;
      ts.tv_nsec = UTIME_OMIT;
    }
  };
  convert(atim, flags & kFstAtim, flags & kFstAtimNow, times[0]);
  convert(mtim, flags & kFstMtim, flags & kFstMtimNow, times[1]);
  return kSuccess;
}

bool is_host(const FdEntry& e) {
  return e.kind == FdEntry::Kind::HostFd || e.kind == FdEntry::Kind::HostStdio;
}

// Resolves a guest iovec array to host iovecs. Stops (without error) after
// IOV_MAX non-empty buffers or kMaxIoBytes in total: the caller reports a
// short transfer, which every WASI consumer handles. Nothing is allocated
// from the guest's count before the array is known to lie in memory.
uint16_t gather_iovecs(Call& c, uint32_t iovs, uint32_t count, std::vector<struct iovec>& out) {
  const uint8_t* table = c.mem.ptr(iovs, static_cast<uint64_t>(count) * kIovecSize);
  if (!table) return kFault;
  uint64_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t buf, len;
    std::memcpy(&buf, table + static_cast<uint64_t>(i) * kIovecSize, 4);
    std::memcpy(&len, table + static_cast<uint64_t>(i) * kIovecSize + 4, 4);
    uint8_t* p = c.mem.ptr(buf, len);
    if (!p) return kFault;
    if (len == 0) {
      // A guest could pass hundreds of millions of empty iovecs; looking at
      // a bounded number keeps one call cheap.
      if (i >= kMaxIovecScan) break;
      continue;
    }
    if (out.size() >= IOV_MAX || total >= kMaxIoBytes) break;
    const uint64_t take = std::min<uint64_t>(len, kMaxIoBytes - total);
    out.push_back({p, static_cast<size_t>(take)});
    total += take;
  }
  return kSuccess;
}

uint16_t read_into(Call& c, FdEntry& e, const std::vector<struct iovec>& iov, uint64_t& done) {
  done = 0;
  switch (e.kind) {
    case FdEntry::Kind::BufferIn:
      for (const auto& v : iov) {
        size_t n = c.ctx.read_stdin(static_cast<uint8_t*>(v.iov_base), v.iov_len);
        done += n;
        if (n < v.iov_len) break;
      }
      return kSuccess;
    case FdEntry::Kind::NullIn:
      return kSuccess;
    case FdEntry::Kind::BufferOut:
    case FdEntry::Kind::NullOut:
      return kBadf;
    case FdEntry::Kind::HostFd:
    case FdEntry::Kind::HostStdio:
      break;
  }
  if (iov.empty()) return kSuccess;
  ssize_t n;
  do {
    n = readv(e.host_fd, iov.data(), static_cast<int>(iov.size()));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return from_host_errno(errno);
  done = static_cast<uint64_t>(n);
  return kSuccess;
}

uint16_t write_from(Call& c, FdEntry& e, const std::vector<struct iovec>& iov, uint64_t& done) {
  done = 0;
  switch (e.kind) {
    case FdEntry::Kind::BufferOut: {
      uint64_t wanted = 0;
      for (const auto& v : iov) {
        wanted += v.iov_len;
        size_t n = c.ctx.append_output(e.out_stream, static_cast<uint8_t*>(v.iov_base), v.iov_len);
        done += n;
        if (n < v.iov_len) break;
      }
      // Past the capture limit: the guest sees a full disk, not silence.
      return done == 0 && wanted > 0 ? kFbig : kSuccess;
    }
    case FdEntry::Kind::NullOut:
      for (const auto& v : iov) done += v.iov_len;
      return kSuccess;
    case FdEntry::Kind::BufferIn:
    case FdEntry::Kind::NullIn:
      return kBadf;
    case FdEntry::Kind::HostFd:
    case FdEntry::Kind::HostStdio:
      break;
  }
  if (iov.empty()) return kSuccess;
  ssize_t n;
  do {
    n = writev(e.host_fd, iov.data(), static_cast<int>(iov.size()));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return from_host_errno(errno);
  done = static_cast<uint64_t>(n);
  return kSuccess;
}

int sync_fd(const FdEntry& e, bool data_only) {
  return sandbox::sync_fd(e.host_fd, e.filetype == kFiletypeDirectory, data_only);
}

uint16_t snapshot_directory(const FdEntry& e, std::vector<DirEntry>& out) {
  std::vector<sandbox::HostDirEntry> entries;
  if (int err = sandbox::read_directory(e.host_fd, entries)) return from_host_errno(err);
  out.reserve(entries.size());
  for (auto& entry : entries) {
    out.push_back({std::move(entry.name), entry.inode, filetype_of_mode(entry.mode)});
  }
  return kSuccess;
}

}  // namespace

uint16_t lookup_fd(Call& c, uint32_t fd, uint64_t rights, FdEntry*& out) {
  FdEntry* entry = c.ctx.get(fd);
  if (!entry) return kBadf;
  if ((entry->rights_base & rights) != rights) return kNotcapable;
  out = entry;
  return kSuccess;
}

// ---------------------------------------------------------------- fd_*

uint16_t fd_advise(Call& c) {  // (fd, offset u64, len u64, advice u8)
  const uint64_t offset = c.u64(1), len = c.u64(2);
  const uint32_t advice = c.u32(3);
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), kRightFdAdvise, e)) return err;
  if (advice > kAdviceMax) return kInval;
  if (offset > kInt64Max || len > kInt64Max) return kInval;
  if (!is_host(*e)) return kSuccess;  // advice is only a hint
  static constexpr int kHostAdvice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
                                        POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
                                        POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  if (e->filetype == kFiletypeDirectory) return kSuccess;
  int r = posix_fadvise(e->host_fd, static_cast<off_t>(offset), static_cast<off_t>(len),
                        kHostAdvice[advice]);
  return r == ESPIPE ? kSuccess : from_host_errno(r);
}

uint16_t fd_allocate(Call& c) {  // (fd, offset u64, len u64)
  const uint64_t offset = c.u64(1), len = c.u64(2);
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), kRightFdAllocate, e)) return err;
  if (!is_host(*e)) return kSpipe;
  if (e->filetype == kFiletypeDirectory) return kIsdir;
  if (offset > kInt64Max || len > kInt64Max - offset) return kFbig;
  if (len == 0) return kInval;
  int r = posix_fallocate(e->host_fd, static_cast<off_t>(offset), static_cast<off_t>(len));
  return from_host_errno(r);
}

uint16_t fd_close(Call& c) { return c.ctx.close(c.u32(0)) ? kSuccess : kBadf; }

uint16_t fd_datasync(Call& c) {
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), kRightFdDatasync, e)) return err;
  if (!is_host(*e)) return kSuccess;
  return sync_fd(*e, true) == 0 ? kSuccess : from_host_errno(errno);
}

uint16_t fd_sync(Call& c) {
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), kRightFdSync, e)) return err;
  if (!is_host(*e)) return kSuccess;
  return sync_fd(*e, false) == 0 ? kSuccess : from_host_errno(errno);
}

uint16_t fd_fdstat_get(Call& c) {  // (fd, buf)
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), 0, e)) return err;
  uint8_t* p = c.mem.ptr(c.u32(1), kFdstatSize);
  if (!p) return kFault;
  uint16_t flags = e->fdflags;
  if (e->kind == FdEntry::Kind::HostFd) {
    int fl = fcntl(e->host_fd, F_GETFL);
    if (fl >= 0 && !(fl & O_PATH)) {
      flags = 0;
      if (fl & O_APPEND) flags |= kFdflagAppend;
      if (fl & O_NONBLOCK) flags |= kFdflagNonblock;
      if ((fl & O_SYNC) == O_SYNC) {
        flags |= kFdflagSync;
      } else if (fl & O_DSYNC) {
        flags |= kFdflagDsync;
      }
    }
  }
  std::memset(p, 0, kFdstatSize);
  p[0] = e->filetype;
  std::memcpy(p + 2, &flags, 2);
  std::memcpy(p + 8, &e->rights_base, 8);
  std::memcpy(p + 16, &e->rights_inheriting, 8);
  return kSuccess;
}

uint16_t fd_fdstat_set_flags(Call& c) {  // (fd, flags u16)
  const uint32_t flags = c.u32(1);
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), kRightFdFdstatSetFlags, e)) return err;
  if (flags & ~static_cast<uint32_t>(kFdflagsAll)) return kInval;
  // Linux cannot change the sync flags of an open file.
  if (flags & (kFdflagDsync | kFdflagRsync | kFdflagSync)) return kNotsup;
  if (e->kind == FdEntry::Kind::HostFd && e->filetype != kFiletypeDirectory) {
    int fl = fcntl(e->host_fd, F_GETFL);
    if (fl < 0) return from_host_errno(errno);
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (flags & kFdflagAppend) fl |= O_APPEND;
    if (flags & kFdflagNonblock) fl |= O_NONBLOCK;
    if (fcntl(e->host_fd, F_SETFL, fl) < 0) return from_host_errno(errno);
  }
  // Inherited stdio is shared with the host process (and its terminal):
  // only remember the flags.
  e->fdflags = static_cast<uint16_t>(flags);
  return kSuccess;
}

uint16_t fd_fdstat_set_rights(Call& c) {  // (fd, base u64, inheriting u64)
  const uint64_t base = c.u64(1), inheriting = c.u64(2);
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), 0, e)) return err;
  // Rights can only be dropped, never gained.
  if ((base & ~e->rights_base) || (inheriting & ~e->rights_inheriting)) return kNotcapable;
  e->rights_base = base;
  e->rights_inheriting = inheriting;
  return kSuccess;
}

uint16_t fd_filestat_get(Call& c) {  // (fd, buf)
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), kRightFdFilestatGet, e)) return err;
  uint8_t* p = c.mem.ptr(c.u32(1), kFilestatSize);
  if (!p) return kFault;
  if (!is_host(*e)) {
    std::memset(p, 0, kFilestatSize);
    p[16] = e->filetype;
    return kSuccess;
  }
  struct stat st;
  if (fstat(e->host_fd, &st) != 0) return from_host_errno(errno);
  put_filestat(p, st);
  return kSuccess;
}

uint16_t fd_filestat_set_size(Call& c) {  // (fd, size u64)
  const uint64_t size = c.u64(1);
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), kRightFdFilestatSetSize, e)) return err;
  if (!is_host(*e)) return kInval;
  if (size > kInt64Max) return kFbig;
  if (ftruncate(e->host_fd, static_cast<off_t>(size)) != 0) return from_host_errno(errno);
  return kSuccess;
}

uint16_t fd_filestat_set_times(Call& c) {  // (fd, atim u64, mtim u64, fstflags u16)
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), kRightFdFilestatSetTimes, e)) return err;
  struct timespec times[2];
  if (uint16_t err = make_times(c.u64(1), c.u64(2), static_cast<uint16_t>(c.u32(3)), times)) {
    return err;
  }
  if (c.u32(3) & ~static_cast<uint32_t>(kFstflagsAll)) return kInval;
  if (!is_host(*e)) return kSuccess;
  return set_times_on_fd(e->host_fd, times) == 0 ? kSuccess : from_host_errno(errno);
}

uint16_t fd_read(Call& c) {  // (fd, iovs, iovs_len, nread*)
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), kRightFdRead, e)) return err;
  std::vector<struct iovec> iov;
  if (uint16_t err = gather_iovecs(c, c.u32(1), c.u32(2), iov)) return err;
  if (!c.mem.ptr(c.u32(3), 4)) return kFault;
  uint64_t done;
  if (uint16_t err = read_into(c, *e, iov, done)) return err;
  c.mem.store<uint32_t>(c.u32(3), static_cast<uint32_t>(done));
  return kSuccess;
}

uint16_t fd_write(Call& c) {  // (fd, iovs, iovs_len, nwritten*)
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), kRightFdWrite, e)) return err;
  std::vector<struct iovec> iov;
  if (uint16_t err = gather_iovecs(c, c.u32(1), c.u32(2), iov)) return err;
  if (!c.mem.ptr(c.u32(3), 4)) return kFault;
  uint64_t done;
  if (uint16_t err = write_from(c, *e, iov, done)) return err;
  c.mem.store<uint32_t>(c.u32(3), static_cast<uint32_t>(done));
  return kSuccess;
}

uint16_t fd_pread(Call& c) {  // (fd, iovs, iovs_len, offset u64, nread*)
  const uint64_t offset = c.u64(3);
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), kRightFdRead | kRightFdSeek, e)) return err;
  std::vector<struct iovec> iov;
  if (uint16_t err = gather_iovecs(c, c.u32(1), c.u32(2), iov)) return err;
  if (!c.mem.ptr(c.u32(4), 4)) return kFault;
  if (!is_host(*e)) return kSpipe;
  if (offset > kInt64Max) return kInval;
  ssize_t n = 0;
  if (!iov.empty()) {
    do {
      n = preadv(e->host_fd, iov.data(), static_cast<int>(iov.size()), static_cast<off_t>(offset));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return from_host_errno(errno);
  }
  c.mem.store<uint32_t>(c.u32(4), static_cast<uint32_t>(n));
  return kSuccess;
}

uint16_t fd_pwrite(Call& c) {  // (fd, iovs, iovs_len, offset u64, nwritten*)
  const uint64_t offset = c.u64(3);
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), kRightFdWrite | kRightFdSeek, e)) return err;
  std::vector<struct iovec> iov;
  if (uint16_t err = gather_iovecs(c, c.u32(1), c.u32(2), iov)) return err;
  if (!c.mem.ptr(c.u32(4), 4)) return kFault;
  if (!is_host(*e)) return kSpipe;
  if (offset > kInt64Max) return kInval;
  ssize_t n = 0;
  if (!iov.empty()) {
    do {
      n = pwritev(e->host_fd, iov.data(), static_cast<int>(iov.size()), static_cast<off_t>(offset));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return from_host_errno(errno);
  }
  c.mem.store<uint32_t>(c.u32(4), static_cast<uint32_t>(n));
  return kSuccess;
}

uint16_t fd_prestat_get(Call& c) {  // (fd, prestat*)
  FdEntry* e = c.ctx.get(c.u32(0));
  if (!e || !e->is_preopen) return kBadf;
  uint8_t* p = c.mem.ptr(c.u32(1), kPrestatSize);
  if (!p) return kFault;
  const uint32_t len = static_cast<uint32_t>(e->preopen_name.size());
  std::memset(p, 0, kPrestatSize);  // tag 0 = dir
  std::memcpy(p + 4, &len, 4);
  return kSuccess;
}

uint16_t fd_prestat_dir_name(Call& c) {  // (fd, path*, path_len)
  FdEntry* e = c.ctx.get(c.u32(0));
  if (!e || !e->is_preopen) return kBadf;
  const uint32_t len = c.u32(2);
  uint8_t* p = c.mem.ptr(c.u32(1), len);
  if (!p) return kFault;
  if (len < e->preopen_name.size()) return kNametoolong;
  std::memcpy(p, e->preopen_name.data(), e->preopen_name.size());
  return kSuccess;
}

uint16_t fd_readdir(Call& c) {  // (fd, buf*, buf_len, cookie u64, bufused*)
  const uint32_t buf = c.u32(1), buf_len = c.u32(2);
  const uint64_t cookie = c.u64(3);
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), kRightFdReaddir, e)) return err;
  if (e->kind != FdEntry::Kind::HostFd || e->filetype != kFiletypeDirectory) return kNotdir;
  uint8_t* out = c.mem.ptr(buf, buf_len);
  if (!out || !c.mem.ptr(c.u32(4), 4)) return kFault;
  // Cookie 0 starts a new listing; later cookies index into the snapshot,
  // so entries neither repeat nor vanish between calls.
  if (cookie == 0 || !e->dir_cache) {
    auto entries = std::make_shared<std::vector<DirEntry>>();
    if (uint16_t err = snapshot_directory(*e, *entries)) return err;
    e->dir_cache = std::move(entries);
  }
  const std::vector<DirEntry>& entries = *e->dir_cache;
  uint64_t used = 0;
  for (uint64_t i = cookie; i < entries.size() && used < buf_len; ++i) {
    const DirEntry& d = entries[i];
    uint8_t record[kDirentSize] = {};
    const uint64_t next = i + 1;
    const uint32_t namlen = static_cast<uint32_t>(d.name.size());
    std::memcpy(record + 0, &next, 8);
    std::memcpy(record + 8, &d.inode, 8);
    std::memcpy(record + 16, &namlen, 4);
    record[20] = d.filetype;
    // The last record is cut at the buffer's end; the guest sees a full
    // buffer and asks again from that record's cookie with a bigger one.
    const uint64_t head = std::min<uint64_t>(kDirentSize, buf_len - used);
    std::memcpy(out + used, record, head);
    used += head;
    const uint64_t name_bytes = std::min<uint64_t>(namlen, buf_len - used);
    std::memcpy(out + used, d.name.data(), name_bytes);
    used += name_bytes;
  }
  c.mem.store<uint32_t>(c.u32(4), static_cast<uint32_t>(used));
  return kSuccess;
}

uint16_t fd_renumber(Call& c) { return c.ctx.renumber(c.u32(0), c.u32(1)) ? kSuccess : kBadf; }

uint16_t fd_seek(Call& c) {  // (fd, offset i64, whence u8, newoffset*)
  const int64_t offset = static_cast<int64_t>(c.u64(1));
  const uint32_t whence = c.u32(2);
  // Asking for the position only needs the tell right.
  const uint64_t right = (offset == 0 && whence == kWhenceCur) ? kRightFdTell : kRightFdSeek;
  FdEntry* e = c.ctx.get(c.u32(0));
  if (!e) return kBadf;
  if (!(e->rights_base & right) && !(e->rights_base & kRightFdSeek)) return kNotcapable;
  if (whence > kWhenceEnd) return kInval;
  if (!c.mem.ptr(c.u32(3), 8)) return kFault;
  if (!is_host(*e)) return kSpipe;
  if (e->filetype == kFiletypeDirectory) return kIsdir;
  static constexpr int kHostWhence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  off_t pos = lseek(e->host_fd, static_cast<off_t>(offset), kHostWhence[whence]);
  if (pos < 0) return from_host_errno(errno);
  c.mem.store<uint64_t>(c.u32(3), static_cast<uint64_t>(pos));
  return kSuccess;
}

uint16_t fd_tell(Call& c) {  // (fd, offset*)
  FdEntry* e;
  if (uint16_t err = lookup_fd(c, c.u32(0), kRightFdTell, e)) return err;
  if (!c.mem.ptr(c.u32(1), 8)) return kFault;
  if (!is_host(*e)) return kSpipe;
  off_t pos = lseek(e->host_fd, 0, SEEK_CUR);
  if (pos < 0) return from_host_errno(errno);
  c.mem.store<uint64_t>(c.u32(1), static_cast<uint64_t>(pos));
  return kSuccess;
}

// ---------------------------------------------------------------- path_*

uint16_t path_open(Call& c) {
  // (dirfd, dirflags u32, path*, path_len, oflags u16, base u64, inheriting u64,
  //  fdflags u16, fd*)
  const uint32_t dirflags = c.u32(1), oflags = c.u32(4), fdflags = c.u32(7), fd_out = c.u32(8);
  const uint64_t want_base = c.u64(5), want_inheriting = c.u64(6);
  FdEntry* dir;
  if (uint16_t err = lookup_dir(c, c.u32(0), kRightPathOpen, dir)) return err;
  std::string path;
  if (uint16_t err = read_path(c, c.u32(2), c.u32(3), path)) return err;
  if (!c.mem.ptr(fd_out, 4)) return kFault;
  if (dirflags & ~kLookupSymlinkFollow) return kInval;
  if (oflags & ~static_cast<uint32_t>(kOflagsAll)) return kInval;
  if (fdflags & ~static_cast<uint32_t>(kFdflagsAll)) return kInval;
  if ((oflags & kOflagCreat) && !(dir->rights_base & kRightPathCreateFile)) return kNotcapable;
  if ((oflags & kOflagTrunc) && !(dir->rights_base & kRightPathFilestatSetSize)) {
    return kNotcapable;
  }
  if (path.empty()) return kNoent;
  if (path[0] == '/') return kNotcapable;
  if (c.ctx.fd_table_full()) return kMfile;

  // A descriptor never holds more than its directory lets it inherit.
  const uint64_t base = want_base & dir->rights_inheriting;
  const uint64_t inheriting = want_inheriting & dir->rights_inheriting;
  const bool want_read = base & (kRightFdRead | kRightFdReaddir);
  const bool want_write =
      base & (kRightFdDatasync | kRightFdWrite | kRightFdAllocate | kRightFdFilestatSetSize);
  // open(2) refuses a directory opened for writing with EISDIR, and so does
  // wasmtime, whose write access comes from FD_WRITE alone. What counts is
  // FD_WRITE after the narrowing above: beneath a read-only preopen a
  // directory opens read-only like a file does, and wasi-libc, which
  // narrows to the parent's inheriting rights itself, sees the same.
  const bool opens_for_write = base & kRightFdWrite;
  uint64_t flags = O_CLOEXEC | O_NOCTTY | O_NONBLOCK;  // never block on a FIFO
  // With O_DIRECTORY the host fd is read-only: the other "write" rights
  // (FD_DATASYNC, say) work on such an fd, and FD_WRITE is refused below
  // once fstat has told a directory from a file (a file gives NOTDIR).
  if (want_write && !(oflags & kOflagDirectory)) {
    flags |= want_read ? O_RDWR : O_WRONLY;
  } else {
    flags |= O_RDONLY;
  }
  if (oflags & kOflagCreat) flags |= O_CREAT;
  if (oflags & kOflagDirectory) flags |= O_DIRECTORY;
  if (oflags & kOflagExcl) flags |= O_EXCL;
  if (oflags & kOflagTrunc) flags |= O_TRUNC;
  if (!(dirflags & kLookupSymlinkFollow)) flags |= O_NOFOLLOW;
  if (fdflags & kFdflagAppend) flags |= O_APPEND;
  if (fdflags & kFdflagDsync) flags |= O_DSYNC;
  if (fdflags & kFdflagSync) flags |= O_SYNC;
  if (fdflags & kFdflagRsync) flags |= O_RSYNC;

  int host_fd = open_beneath(dir->host_fd, path, flags, 0666);
  if (host_fd < 0) return resolve_errno(errno);
  UniqueFd fd(host_fd);
  if (!(fdflags & kFdflagNonblock)) {
    int fl = fcntl(fd.get(), F_GETFL);
    if (fl >= 0) fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return from_host_errno(errno);
  if (S_ISDIR(st.st_mode) && opens_for_write) return kIsdir;

  FdEntry entry;
  entry.kind = FdEntry::Kind::HostFd;
  entry.filetype = filetype_of_mode(st.st_mode);
  entry.fdflags = static_cast<uint16_t>(fdflags);
  entry.read_only = dir->read_only;
  if (entry.filetype == kFiletypeDirectory) {
    entry.rights_base = base & kDirRights;
    entry.rights_inheriting = inheriting;
  } else {
    entry.rights_base = base & kFileRights;
    entry.rights_inheriting = 0;
  }
  entry.host_fd = fd.release();
  const uint32_t new_fd = c.ctx.insert(std::move(entry));
  c.mem.store<uint32_t>(fd_out, new_fd);
  return kSuccess;
}

uint16_t path_create_directory(Call& c) {  // (fd, path*, len)
  FdEntry* dir;
  if (uint16_t err = lookup_dir(c, c.u32(0), kRightPathCreateDirectory, dir)) return err;
  std::string path;
  if (uint16_t err = read_path(c, c.u32(1), c.u32(2), path)) return err;
  ParentDir parent;
  if (uint16_t err = open_parent_p1(dir->host_fd, path, parent)) return err;
  if (mkdirat(parent.fd.get(), parent.last.c_str(), 0777) != 0) return from_host_errno(errno);
  return kSuccess;
}

uint16_t path_filestat_get(Call& c) {  // (fd, lookupflags, path*, len, filestat*)
  const uint32_t lookup = c.u32(1);
  FdEntry* dir;
  if (uint16_t err = lookup_dir(c, c.u32(0), kRightPathFilestatGet, dir)) return err;
  std::string path;
  if (uint16_t err = read_path(c, c.u32(2), c.u32(3), path)) return err;
  uint8_t* out = c.mem.ptr(c.u32(4), kFilestatSize);
  if (!out) return kFault;
  if (lookup & ~kLookupSymlinkFollow) return kInval;
  struct stat st;
  if (lookup & kLookupSymlinkFollow) {
    if (path.empty()) return kNoent;
    int fd = open_beneath(dir->host_fd, path, O_PATH | O_CLOEXEC, 0);
    if (fd < 0) return resolve_errno(errno);
    UniqueFd target(fd);
    if (fstat(target.get(), &st) != 0) return from_host_errno(errno);
  } else {
    ParentDir parent;
    if (uint16_t err = open_parent_p1(dir->host_fd, path, parent)) return err;
    if (fstatat(parent.fd.get(), parent.last.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return from_host_errno(errno);
    }
  }
  put_filestat(out, st);
  return kSuccess;
}

uint16_t path_filestat_set_times(Call& c) {
  // (fd, lookupflags, path*, len, atim u64, mtim u64, fstflags u16)
  const uint32_t lookup = c.u32(1);
  FdEntry* dir;
  if (uint16_t err = lookup_dir(c, c.u32(0), kRightPathFilestatSetTimes, dir)) return err;
  std::string path;
  if (uint16_t err = read_path(c, c.u32(2), c.u32(3), path)) return err;
  if (lookup & ~kLookupSymlinkFollow) return kInval;
  struct timespec times[2];
  if (uint16_t err = make_times(c.u64(4), c.u64(5), static_cast<uint16_t>(c.u32(6)), times)) {
    return err;
  }
  if (c.u32(6) & ~static_cast<uint32_t>(kFstflagsAll)) return kInval;
  if (lookup & kLookupSymlinkFollow) {
    if (path.empty()) return kNoent;
    int fd = open_beneath(dir->host_fd, path, O_PATH | O_CLOEXEC, 0);
    if (fd < 0) return resolve_errno(errno);
    UniqueFd target(fd);
    return set_times_on_fd(target.get(), times) == 0 ? kSuccess : from_host_errno(errno);
  }
  ParentDir parent;
  if (uint16_t err = open_parent_p1(dir->host_fd, path, parent)) return err;
  if (utimensat(parent.fd.get(), parent.last.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return from_host_errno(errno);
  }
  return kSuccess;
}

uint16_t path_link(Call& c) {
  // (old_fd, old_flags, old_path*, old_len, new_fd, new_path*, new_len)
  const uint32_t old_flags = c.u32(1);
  FdEntry* old_dir;
  FdEntry* new_dir;
  if (uint16_t err = lookup_dir(c, c.u32(0), kRightPathLinkSource, old_dir)) return err;
  if (uint16_t err = lookup_dir(c, c.u32(4), kRightPathLinkTarget, new_dir)) return err;
  std::string old_path, new_path;
  if (uint16_t err = read_path(c, c.u32(2), c.u32(3), old_path)) return err;
  if (uint16_t err = read_path(c, c.u32(5), c.u32(6), new_path)) return err;
  // Following a symlink at the host would bypass the beneath check.
  if (old_flags & ~kLookupSymlinkFollow) return kInval;
  if (old_flags & kLookupSymlinkFollow) return kInval;
  ParentDir from, to;
  if (uint16_t err = open_parent_p1(old_dir->host_fd, old_path, from)) return err;
  if (uint16_t err = open_parent_p1(new_dir->host_fd, new_path, to)) return err;
  if (linkat(from.fd.get(), from.last.c_str(), to.fd.get(), to.last.c_str(), 0) != 0) {
    return from_host_errno(errno);
  }
  return kSuccess;
}

uint16_t path_readlink(Call& c) {  // (fd, path*, len, buf*, buf_len, bufused*)
  const uint32_t buf = c.u32(3), buf_len = c.u32(4);
  FdEntry* dir;
  if (uint16_t err = lookup_dir(c, c.u32(0), kRightPathReadlink, dir)) return err;
  std::string path;
  if (uint16_t err = read_path(c, c.u32(1), c.u32(2), path)) return err;
  uint8_t* out = c.mem.ptr(buf, buf_len);
  if (!out || !c.mem.ptr(c.u32(5), 4)) return kFault;
  ParentDir parent;
  if (uint16_t err = open_parent_p1(dir->host_fd, path, parent)) return err;
  char target[PATH_MAX];
  ssize_t n = readlinkat(parent.fd.get(), parent.last.c_str(), target, sizeof target);
  if (n < 0) return from_host_errno(errno);
  const uint32_t copied = static_cast<uint32_t>(std::min<uint64_t>(n, buf_len));
  std::memcpy(out, target, copied);
  c.mem.store<uint32_t>(c.u32(5), copied);
  return kSuccess;
}

uint16_t path_remove_directory(Call& c) {  // (fd, path*, len)
  FdEntry* dir;
  if (uint16_t err = lookup_dir(c, c.u32(0), kRightPathRemoveDirectory, dir)) return err;
  std::string path;
  if (uint16_t err = read_path(c, c.u32(1), c.u32(2), path)) return err;
  ParentDir parent;
  if (uint16_t err = open_parent_p1(dir->host_fd, path, parent)) return err;
  if (unlinkat(parent.fd.get(), parent.last.c_str(), AT_REMOVEDIR) != 0) {
    return from_host_errno(errno);
  }
  return kSuccess;
}

uint16_t path_rename(Call& c) {  // (fd, old_path*, old_len, new_fd, new_path*, new_len)
  FdEntry* old_dir;
  FdEntry* new_dir;
  if (uint16_t err = lookup_dir(c, c.u32(0), kRightPathRenameSource, old_dir)) return err;
  if (uint16_t err = lookup_dir(c, c.u32(3), kRightPathRenameTarget, new_dir)) return err;
  std::string old_path, new_path;
  if (uint16_t err = read_path(c, c.u32(1), c.u32(2), old_path)) return err;
  if (uint16_t err = read_path(c, c.u32(4), c.u32(5), new_path)) return err;
  ParentDir from, to;
  if (uint16_t err = open_parent_p1(old_dir->host_fd, old_path, from)) return err;
  if (uint16_t err = open_parent_p1(new_dir->host_fd, new_path, to)) return err;
  if (renameat(from.fd.get(), from.last.c_str(), to.fd.get(), to.last.c_str()) != 0) {
    return from_host_errno(errno);
  }
  return kSuccess;
}

uint16_t path_symlink(Call& c) {  // (old_path*, old_len, fd, new_path*, new_len)
  FdEntry* dir;
  if (uint16_t err = lookup_dir(c, c.u32(2), kRightPathSymlink, dir)) return err;
  std::string target, path;
  if (uint16_t err = read_path(c, c.u32(0), c.u32(1), target)) return err;
  if (uint16_t err = read_path(c, c.u32(3), c.u32(4), path)) return err;
  // Resolution is beneath anyway, but an absolute link would mislead host
  // programs that later follow it.
  if (!target.empty() && target[0] == '/') return kNotcapable;
  ParentDir parent;
  if (uint16_t err = open_parent_p1(dir->host_fd, path, parent)) return err;
  if (symlinkat(target.c_str(), parent.fd.get(), parent.last.c_str()) != 0) {
    return from_host_errno(errno);
  }
  return kSuccess;
}

uint16_t path_unlink_file(Call& c) {  // (fd, path*, len)
  FdEntry* dir;
  if (uint16_t err = lookup_dir(c, c.u32(0), kRightPathUnlinkFile, dir)) return err;
  std::string path;
  if (uint16_t err = read_path(c, c.u32(1), c.u32(2), path)) return err;
  ParentDir parent;
  if (uint16_t err = open_parent_p1(dir->host_fd, path, parent)) return err;
  if (unlinkat(parent.fd.get(), parent.last.c_str(), 0) != 0) return from_host_errno(errno);
  return kSuccess;
}

}  // namespace weft::wasi
