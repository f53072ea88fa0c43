// wasi:filesystem — types (descriptor, directory-entry-stream) and
// preopens, on preview1's sandbox (wasi/sandbox.h): every path resolves
// beneath the directory descriptor it is relative to, so an absolute path,
// `..` above it or a symlink out of it fails with not-permitted, as the
// WIT specifies.
//
// Permissions follow wasmtime's DirPerms/FilePerms: beneath a read-only
// preopen, opening for write, creating, truncating, and every mutation
// (mkdir, unlink, rename, symlink, link, set-times, set-size, write) fail
// with not-permitted before the host is asked. Operations that need a file
// on a directory fail with bad-descriptor, and *-at operations on a file
// with not-directory, as in wasmtime.
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "wasi/p2/state.h"

namespace weft::wasi::p2 {

namespace {

using K = ValKind;

// Open descriptors per state, like preview1's fd table limit: past it
// open-at fails (insufficient-memory, WASI's nearest to EMFILE).
constexpr size_t kMaxDescriptors = 4096;

const char* type_label(DescriptorType t) {
  static constexpr const char* kLabels[] = {"unknown",      "block-device", "character-device",
                                            "directory",    "fifo",         "symbolic-link",
                                            "regular-file", "socket"};
  return kLabels[static_cast<uint32_t>(t)];
}

Val type_val(DescriptorType t) { return enum_val(type_label(t), static_cast<uint32_t>(t)); }

Val timestamp(const struct timespec& ts) {
  if (ts.tv_sec < 0) return Val::none();  // before 1970: the datetime record cannot say it
  return Val::some(Val::record({{"seconds", Val::u64(static_cast<uint64_t>(ts.tv_sec))},
                                {"nanoseconds", Val::u32(static_cast<uint32_t>(ts.tv_nsec))}}));
}

Val stat_val(const struct stat& st) {
  return Val::record({
      {"type", type_val(descriptor_type_of_mode(st.st_mode))},
      {"link-count", Val::u64(st.st_nlink)},
      {"size", Val::u64(st.st_size < 0 ? 0 : static_cast<uint64_t>(st.st_size))},
      {"data-access-timestamp", timestamp(st.st_atim)},
      {"data-modification-timestamp", timestamp(st.st_mtim)},
      {"status-change-timestamp", timestamp(st.st_ctim)},
  });
}

uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The same (device, inode) gives the same value, which is all the WIT
// asks; mixing keeps raw inode numbers from showing through.
Val metadata_hash(const struct stat& st) {
  const uint64_t dev = st.st_dev, ino = st.st_ino;
  return Val::record({{"lower", Val::u64(mix(dev * 0x9e3779b97f4a7c15ull ^ ino))},
                      {"upper", Val::u64(mix(ino * 0xc2b2ae3d27d4eb4full ^ ~dev))}});
}

Val flags_val(const Descriptor& d) {
  std::vector<std::string> set;
  if (d.read) set.push_back("read");
  if (d.write) set.push_back("write");
  if (d.sync_flags & 1) set.push_back("file-integrity-sync");
  if (d.sync_flags & 2) set.push_back("data-integrity-sync");
  if (d.sync_flags & 4) set.push_back("requested-write-sync");
  if (d.mutate_directory) set.push_back("mutate-directory");
  return Val::flags(std::move(set));
}

std::optional<ErrorCode> check_path(const std::string& path) {
  if (path.size() > sandbox::kMaxPathBytes) return ErrorCode::NameTooLong;
  // A NUL would end the path early at the host.
  if (path.find('\0') != std::string::npos) return ErrorCode::Invalid;
  return std::nullopt;
}

int fd_of(const Descriptor& d) { return d.file->fd.get(); }

// The directory descriptor behind a borrow; the error result if it is not
// one (or, with `mutate`, if the grant is read-only).
struct DirLookup {
  Descriptor* dir = nullptr;
  std::optional<Val> failure;  // err(error-code) to return
};

Result<DirLookup> lookup_dir(HostState& host, const Val& handle, bool mutate) {
  auto d = lookup<Descriptor>(host, handle, "descriptor");
  if (!d) return std::move(d).error();
  DirLookup out;
  if (!(*d)->is_dir) {
    out.failure = err_code(ErrorCode::NotDirectory);
  } else if (mutate && !(*d)->writable_grant) {
    out.failure = err_code(ErrorCode::NotPermitted);
  } else {
    out.dir = *d;
  }
  return out;
}

Result<Descriptor*> lookup_file(HostState& host, const Val& handle) {
  return lookup<Descriptor>(host, handle, "descriptor");
}

Val errno_result(int e) { return err_code(code_of_errno(e)); }

// new-timestamp → a utimensat time; nullopt (with `code`) if invalid.
Result<std::optional<struct timespec>> new_timestamp(const Val& v, ErrorCode& code) {
  struct timespec ts = {0, 0};
  switch (case_index(v, {"no-change", "now", "timestamp"})) {
    case 0:
      ts.tv_nsec = UTIME_OMIT;
      return std::optional<struct timespec>(ts);
    case 1:
      ts.tv_nsec = UTIME_NOW;
      return std::optional<struct timespec>(ts);
    case 2: {
      if (v.items.size() != 1 || v.items[0].kind != K::Record || v.items[0].items.size() != 2 ||
          v.items[0].items[0].kind != K::U64 || v.items[0].items[1].kind != K::U32) {
        return trap("new-timestamp.timestamp without a datetime payload");
      }
      const uint64_t seconds = v.items[0].items[0].bits;
      const uint64_t nanos = v.items[0].items[1].bits;
      if (nanos >= 1'000'000'000ull || seconds > static_cast<uint64_t>(INT64_MAX)) {
        code = ErrorCode::Invalid;
        return std::optional<struct timespec>();
      }
      ts.tv_sec = static_cast<time_t>(seconds);
      ts.tv_nsec = static_cast<long>(nanos);
      return std::optional<struct timespec>(ts);
    }
    default:
      return trap("not a new-timestamp value");
  }
}

// stat of `path` beneath `dirfd`; 0 or a code.
std::optional<ErrorCode> stat_at(int dirfd, const std::string& path, bool follow, struct stat& st) {
  if (auto bad = check_path(path)) return bad;
  if (follow) {
    if (path.empty()) return ErrorCode::NoEntry;
    int fd = sandbox::open_beneath(dirfd, path, O_PATH | O_CLOEXEC, 0);
    if (fd < 0) return code_of_resolve(errno);
    sandbox::UniqueFd target(fd);
    if (fstat(target.get(), &st) != 0) return code_of_errno(errno);
    return std::nullopt;
  }
  sandbox::ParentDir parent;
  if (int e = sandbox::open_parent(dirfd, path, parent)) return code_of_resolve(e);
  if (fstatat(parent.fd.get(), parent.last.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return code_of_errno(errno);
  }
  return std::nullopt;
}

// open_parent for the *-at calls: nullopt, or the err result.
std::optional<Val> parent_of(int dirfd, const std::string& path, sandbox::ParentDir& parent) {
  if (auto bad = check_path(path)) return err_code(*bad);
  if (int e = sandbox::open_parent(dirfd, path, parent)) return err_code(code_of_resolve(e));
  return std::nullopt;
}

Result<Val> new_descriptor(HostState& host, Descriptor d) { return push_own(host, std::move(d)); }

HostResult open_at(HostState& host, std::vector<Val>& args) {
  auto dl = lookup_dir(host, args[0], false);
  if (!dl) return std::move(dl).error();
  if (dl->failure) return *dl->failure;
  const Descriptor& dir = *dl->dir;
  const bool follow = has_flag(args[1], "symlink-follow");
  const std::string& path = args[2].str;
  const Val& oflags = args[3];
  const Val& flags = args[4];
  const bool create = has_flag(oflags, "create"), directory = has_flag(oflags, "directory"),
             exclusive = has_flag(oflags, "exclusive"), truncate = has_flag(oflags, "truncate");
  const bool want_read = has_flag(flags, "read"), want_write = has_flag(flags, "write"),
             want_mutate = has_flag(flags, "mutate-directory");
  if (auto bad = check_path(path)) return err_code(*bad);
  if (directory && (create || exclusive || truncate)) return err_code(ErrorCode::Invalid);
  if (!dir.writable_grant && (create || truncate || want_write || want_mutate)) {
    return err_code(ErrorCode::NotPermitted);
  }
  if (host.table.count_descriptors() >= kMaxDescriptors) {
    return err_code(ErrorCode::InsufficientMemory);
  }

  // O_NONBLOCK so opening a FIFO cannot hang the host; cleared below.
  uint64_t how = O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  if (directory) {
    how |= O_DIRECTORY | O_RDONLY;  // a write request then fails with is-directory
  } else if (want_write) {
    how |= want_read ? O_RDWR : O_WRONLY;  // open(2) refuses a directory: EISDIR
  } else {
    how |= O_RDONLY;
  }
  if (create) how |= O_CREAT;
  if (exclusive) how |= O_EXCL;
  if (truncate) how |= O_TRUNC;
  if (!follow) how |= O_NOFOLLOW;
  uint8_t sync_flags = 0;
  if (has_flag(flags, "file-integrity-sync")) {
    how |= O_SYNC;
    sync_flags |= 1;
  }
  if (has_flag(flags, "data-integrity-sync")) {
    how |= O_DSYNC;
    sync_flags |= 2;
  }
  if (has_flag(flags, "requested-write-sync")) {
    how |= O_RSYNC;
    sync_flags |= 4;
  }
  if (path.empty()) return err_code(ErrorCode::NoEntry);
  int fd = sandbox::open_beneath(fd_of(dir), path, how, 0666);
  if (fd < 0) return err_code(code_of_resolve(errno));
  sandbox::UniqueFd owned(fd);
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  struct stat st;
  if (fstat(fd, &st) != 0) return errno_result(errno);

  Descriptor d;
  d.type = descriptor_type_of_mode(st.st_mode);
  d.is_dir = S_ISDIR(st.st_mode);
  if (d.is_dir && want_write) return err_code(ErrorCode::IsDirectory);
  d.read = want_read;
  d.write = want_write;
  d.mutate_directory = d.is_dir && want_mutate;
  d.sync_flags = sync_flags;
  d.writable_grant = dir.writable_grant;
  d.file = std::make_shared<HostFile>();
  d.file->fd = std::move(owned);
  auto v = new_descriptor(host, std::move(d));
  if (!v) return std::move(v).error();
  return Val::ok(std::move(v).value());
}

HostResult read_directory(HostState& host, std::vector<Val>& args) {
  auto dl = lookup_dir(host, args[0], false);
  if (!dl) return std::move(dl).error();
  if (dl->failure) return *dl->failure;
  std::vector<sandbox::HostDirEntry> raw;
  if (int e = sandbox::read_directory(fd_of(*dl->dir), raw)) return errno_result(e);
  DirStream s;
  for (auto& entry : raw) {
    if (entry.name == "." || entry.name == "..") continue;  // the WIT leaves them out
    DirEntryP2 e;
    e.type = descriptor_type_of_mode(entry.mode);
    e.bad_name = !sandbox::valid_utf8(entry.name);
    e.name = std::move(entry.name);
    s.entries.push_back(std::move(e));
  }
  auto v = push_own(host, std::move(s));
  if (!v) return std::move(v).error();
  return Val::ok(std::move(v).value());
}

}  // namespace

void define_filesystem(Definitions& defs) {
  const std::string types = "wasi:filesystem/types";
  defs.resource<Descriptor>(types, "descriptor");
  defs.resource<DirStream>(types, "directory-entry-stream");

  auto method = [&](const char* name, std::vector<ValKind> params, Definitions::Impl impl) {
    std::vector<ValKind> all = {K::Borrow};
    all.insert(all.end(), params.begin(), params.end());
    defs.func(types, std::string("[method]descriptor.") + name, std::move(all), std::move(impl));
  };

  // ---- streams
  method("read-via-stream", {K::U64}, [](HostState& host, std::vector<Val>& args) -> HostResult {
    auto d = lookup_file(host, args[0]);
    if (!d) return std::move(d).error();
    if ((*d)->is_dir) return err_code(ErrorCode::BadDescriptor);
    InputStream s;
    s.kind = InputStream::Kind::File;
    s.file = (*d)->file;
    s.position = args[1].bits;
    auto v = push_own(host, std::move(s));
    if (!v) return std::move(v).error();
    return Val::ok(std::move(v).value());
  });
  auto output = [](HostState& host, const Val& handle, OutputStream::Kind kind,
                   uint64_t position) -> HostResult {
    auto d = lookup_file(host, handle);
    if (!d) return std::move(d).error();
    if ((*d)->is_dir || !(*d)->writable_grant) return err_code(ErrorCode::BadDescriptor);
    OutputStream s;
    s.kind = kind;
    s.file = (*d)->file;
    s.position = position;
    auto v = push_own(host, std::move(s));
    if (!v) return std::move(v).error();
    return Val::ok(std::move(v).value());
  };
  method("write-via-stream", {K::U64}, [output](HostState& host, std::vector<Val>& args) {
    return output(host, args[0], OutputStream::Kind::File, args[1].bits);
  });
  method("append-via-stream", {}, [output](HostState& host, std::vector<Val>& args) {
    return output(host, args[0], OutputStream::Kind::Append, 0);
  });

  // ---- the descriptor itself
  method("advise", {K::U64, K::U64, K::Enum},
         [](HostState& host, std::vector<Val>& args) -> HostResult {
           auto d = lookup_file(host, args[0]);
           if (!d) return std::move(d).error();
           if ((*d)->is_dir) return err_code(ErrorCode::BadDescriptor);
           const int advice = case_index(
               args[3], {"normal", "sequential", "random", "will-need", "dont-need", "no-reuse"});
           if (advice < 0) return trap("not an advice value");
           static constexpr int kHost[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
                                           POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
                                           POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
           if (args[1].bits > INT64_MAX || args[2].bits > INT64_MAX) {
             return err_code(ErrorCode::Invalid);
           }
           int r = posix_fadvise(fd_of(**d), static_cast<off_t>(args[1].bits),
                                 static_cast<off_t>(args[2].bits), kHost[advice]);
           if (r != 0 && r != ESPIPE) return errno_result(r);  // advice is only a hint
           return unit_ok();
         });
  for (bool data_only : {true, false}) {
    method(data_only ? "sync-data" : "sync", {},
           [data_only](HostState& host, std::vector<Val>& args) -> HostResult {
             auto d = lookup_file(host, args[0]);
             if (!d) return std::move(d).error();
             if (sandbox::sync_fd(fd_of(**d), (*d)->is_dir, data_only) != 0) {
               return errno_result(errno);
             }
             return unit_ok();
           });
  }
  method("get-flags", {}, [](HostState& host, std::vector<Val>& args) -> HostResult {
    auto d = lookup_file(host, args[0]);
    if (!d) return std::move(d).error();
    return Val::ok(flags_val(**d));
  });
  method("get-type", {}, [](HostState& host, std::vector<Val>& args) -> HostResult {
    auto d = lookup_file(host, args[0]);
    if (!d) return std::move(d).error();
    return Val::ok(type_val((*d)->type));
  });
  method("set-size", {K::U64}, [](HostState& host, std::vector<Val>& args) -> HostResult {
    auto d = lookup_file(host, args[0]);
    if (!d) return std::move(d).error();
    if ((*d)->is_dir) return err_code(ErrorCode::BadDescriptor);
    if (!(*d)->writable_grant) return err_code(ErrorCode::NotPermitted);
    if (args[1].bits > INT64_MAX) return err_code(ErrorCode::FileTooLarge);
    if (ftruncate(fd_of(**d), static_cast<off_t>(args[1].bits)) != 0) return errno_result(errno);
    return unit_ok();
  });
  method("set-times", {K::Variant, K::Variant},
         [](HostState& host, std::vector<Val>& args) -> HostResult {
           auto d = lookup_file(host, args[0]);
           if (!d) return std::move(d).error();
           if (!(*d)->writable_grant) return err_code(ErrorCode::NotPermitted);
           ErrorCode code = ErrorCode::Invalid;
           auto atime = new_timestamp(args[1], code);
           if (!atime) return std::move(atime).error();
           auto mtime = new_timestamp(args[2], code);
           if (!mtime) return std::move(mtime).error();
           if (!*atime || !*mtime) return err_code(code);
           const struct timespec times[2] = {**atime, **mtime};
           if (sandbox::set_times_on_fd(fd_of(**d), times) != 0) return errno_result(errno);
           return unit_ok();
         });
  method("read", {K::U64, K::U64}, [](HostState& host, std::vector<Val>& args) -> HostResult {
    auto d = lookup_file(host, args[0]);
    if (!d) return std::move(d).error();
    if ((*d)->is_dir) return err_code(ErrorCode::BadDescriptor);
    if (args[2].bits > INT64_MAX) return err_code(ErrorCode::Invalid);
    std::string buf(static_cast<size_t>(std::min<uint64_t>(args[1].bits, kMaxReadBytes)), '\0');
    ssize_t n;
    do {
      n = pread(fd_of(**d), buf.data(), buf.size(), static_cast<off_t>(args[2].bits));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno_result(errno);
    return Val::ok(
        Val::tuple({bytes_val(reinterpret_cast<const uint8_t*>(buf.data()), static_cast<size_t>(n)),
                    Val::boolean(n == 0)}));
  });
  method("write", {K::List, K::U64}, [](HostState& host, std::vector<Val>& args) -> HostResult {
    auto d = lookup_file(host, args[0]);
    if (!d) return std::move(d).error();
    if ((*d)->is_dir) return err_code(ErrorCode::BadDescriptor);
    if (!(*d)->writable_grant) return err_code(ErrorCode::NotPermitted);
    if (args[2].bits > INT64_MAX) return err_code(ErrorCode::FileTooLarge);
    auto bytes = bytes_arg(args[1]);
    if (!bytes) return std::move(bytes).error();
    ssize_t n;
    do {
      n = pwrite(fd_of(**d), bytes->data(), bytes->size(), static_cast<off_t>(args[2].bits));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno_result(errno);
    return Val::ok(Val::u64(static_cast<uint64_t>(n)));
  });
  method("read-directory", {}, read_directory);
  method("stat", {}, [](HostState& host, std::vector<Val>& args) -> HostResult {
    auto d = lookup_file(host, args[0]);
    if (!d) return std::move(d).error();
    struct stat st;
    if (fstat(fd_of(**d), &st) != 0) return errno_result(errno);
    return Val::ok(stat_val(st));
  });
  method("is-same-object", {K::Borrow}, [](HostState& host, std::vector<Val>& args) -> HostResult {
    auto a = lookup_file(host, args[0]);
    if (!a) return std::move(a).error();
    auto b = lookup_file(host, args[1]);
    if (!b) return std::move(b).error();
    struct stat sa, sb;
    if (fstat(fd_of(**a), &sa) != 0 || fstat(fd_of(**b), &sb) != 0) return Val::boolean(false);
    return Val::boolean(sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
  });
  method("metadata-hash", {}, [](HostState& host, std::vector<Val>& args) -> HostResult {
    auto d = lookup_file(host, args[0]);
    if (!d) return std::move(d).error();
    struct stat st;
    if (fstat(fd_of(**d), &st) != 0) return errno_result(errno);
    return Val::ok(metadata_hash(st));
  });

  // ---- paths beneath a directory descriptor
  method("stat-at", {K::Flags, K::String},
         [](HostState& host, std::vector<Val>& args) -> HostResult {
           auto dl = lookup_dir(host, args[0], false);
           if (!dl) return std::move(dl).error();
           if (dl->failure) return *dl->failure;
           struct stat st;
           if (auto e =
                   stat_at(fd_of(*dl->dir), args[2].str, has_flag(args[1], "symlink-follow"), st)) {
             return err_code(*e);
           }
           return Val::ok(stat_val(st));
         });
  method("metadata-hash-at", {K::Flags, K::String},
         [](HostState& host, std::vector<Val>& args) -> HostResult {
           auto dl = lookup_dir(host, args[0], false);
           if (!dl) return std::move(dl).error();
           if (dl->failure) return *dl->failure;
           struct stat st;
           if (auto e =
                   stat_at(fd_of(*dl->dir), args[2].str, has_flag(args[1], "symlink-follow"), st)) {
             return err_code(*e);
           }
           return Val::ok(metadata_hash(st));
         });
  method("set-times-at", {K::Flags, K::String, K::Variant, K::Variant},
         [](HostState& host, std::vector<Val>& args) -> HostResult {
           auto dl = lookup_dir(host, args[0], true);
           if (!dl) return std::move(dl).error();
           if (dl->failure) return *dl->failure;
           ErrorCode code = ErrorCode::Invalid;
           auto atime = new_timestamp(args[3], code);
           if (!atime) return std::move(atime).error();
           auto mtime = new_timestamp(args[4], code);
           if (!mtime) return std::move(mtime).error();
           if (!*atime || !*mtime) return err_code(code);
           const struct timespec times[2] = {**atime, **mtime};
           const std::string& path = args[2].str;
           if (has_flag(args[1], "symlink-follow")) {
             if (auto bad = check_path(path)) return err_code(*bad);
             if (path.empty()) return err_code(ErrorCode::NoEntry);
             int fd = sandbox::open_beneath(fd_of(*dl->dir), path, O_PATH | O_CLOEXEC, 0);
             if (fd < 0) return err_code(code_of_resolve(errno));
             sandbox::UniqueFd target(fd);
             if (sandbox::set_times_on_fd(target.get(), times) != 0) return errno_result(errno);
             return unit_ok();
           }
           sandbox::ParentDir parent;
           if (auto e = parent_of(fd_of(*dl->dir), path, parent)) return *e;
           if (utimensat(parent.fd.get(), parent.last.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
             return errno_result(errno);
           }
           return unit_ok();
         });
  method("link-at", {K::Flags, K::String, K::Borrow, K::String},
         [](HostState& host, std::vector<Val>& args) -> HostResult {
           auto from = lookup_dir(host, args[0], false);
           if (!from) return std::move(from).error();
           if (from->failure) return *from->failure;
           auto to = lookup_dir(host, args[3], true);
           if (!to) return std::move(to).error();
           if (to->failure) return *to->failure;
           // Following a symlink at the host would bypass the beneath check.
           if (has_flag(args[1], "symlink-follow")) return err_code(ErrorCode::Invalid);
           sandbox::ParentDir old_parent, new_parent;
           if (auto e = parent_of(fd_of(*from->dir), args[2].str, old_parent)) return *e;
           if (auto e = parent_of(fd_of(*to->dir), args[4].str, new_parent)) return *e;
           if (linkat(old_parent.fd.get(), old_parent.last.c_str(), new_parent.fd.get(),
                      new_parent.last.c_str(), 0) != 0) {
             return errno_result(errno);
           }
           return unit_ok();
         });
  method("open-at", {K::Flags, K::String, K::Flags, K::Flags}, open_at);
  method("readlink-at", {K::String}, [](HostState& host, std::vector<Val>& args) -> HostResult {
    auto dl = lookup_dir(host, args[0], false);
    if (!dl) return std::move(dl).error();
    if (dl->failure) return *dl->failure;
    sandbox::ParentDir parent;
    if (auto e = parent_of(fd_of(*dl->dir), args[1].str, parent)) return *e;
    char target[PATH_MAX];
    ssize_t n = readlinkat(parent.fd.get(), parent.last.c_str(), target, sizeof target);
    if (n < 0) return errno_result(errno);
    std::string out(target, static_cast<size_t>(n));
    if (!sandbox::valid_utf8(out)) return err_code(ErrorCode::IllegalByteSequence);
    return Val::ok(Val::string(std::move(out)));
  });
  auto simple_at = [&](const char* name, int (*op)(int, const char*)) {
    method(name, {K::String}, [op](HostState& host, std::vector<Val>& args) -> HostResult {
      auto dl = lookup_dir(host, args[0], true);
      if (!dl) return std::move(dl).error();
      if (dl->failure) return *dl->failure;
      sandbox::ParentDir parent;
      if (auto e = parent_of(fd_of(*dl->dir), args[1].str, parent)) return *e;
      if (op(parent.fd.get(), parent.last.c_str()) != 0) return errno_result(errno);
      return unit_ok();
    });
  };
  simple_at("create-directory-at",
            [](int dirfd, const char* name) { return mkdirat(dirfd, name, 0777); });
  simple_at("remove-directory-at",
            [](int dirfd, const char* name) { return unlinkat(dirfd, name, AT_REMOVEDIR); });
  simple_at("unlink-file-at", [](int dirfd, const char* name) { return unlinkat(dirfd, name, 0); });
  method("rename-at", {K::String, K::Borrow, K::String},
         [](HostState& host, std::vector<Val>& args) -> HostResult {
           auto from = lookup_dir(host, args[0], true);
           if (!from) return std::move(from).error();
           if (from->failure) return *from->failure;
           auto to = lookup_dir(host, args[2], true);
           if (!to) return std::move(to).error();
           if (to->failure) return *to->failure;
           sandbox::ParentDir old_parent, new_parent;
           if (auto e = parent_of(fd_of(*from->dir), args[1].str, old_parent)) return *e;
           if (auto e = parent_of(fd_of(*to->dir), args[3].str, new_parent)) return *e;
           if (renameat(old_parent.fd.get(), old_parent.last.c_str(), new_parent.fd.get(),
                        new_parent.last.c_str()) != 0) {
             return errno_result(errno);
           }
           return unit_ok();
         });
  method("symlink-at", {K::String, K::String},
         [](HostState& host, std::vector<Val>& args) -> HostResult {
           auto dl = lookup_dir(host, args[0], true);
           if (!dl) return std::move(dl).error();
           if (dl->failure) return *dl->failure;
           const std::string& target = args[1].str;
           if (auto bad = check_path(target)) return err_code(*bad);
           // Resolution is beneath anyway, but an absolute link would
           // mislead host programs that later follow it.
           if (!target.empty() && target[0] == '/') return err_code(ErrorCode::NotPermitted);
           sandbox::ParentDir parent;
           if (auto e = parent_of(fd_of(*dl->dir), args[2].str, parent)) return *e;
           if (symlinkat(target.c_str(), parent.fd.get(), parent.last.c_str()) != 0) {
             return errno_result(errno);
           }
           return unit_ok();
         });

  defs.func(types, "[method]directory-entry-stream.read-directory-entry", {K::Borrow},
            [](HostState& host, std::vector<Val>& args) -> HostResult {
              auto s = lookup<DirStream>(host, args[0], "directory-entry-stream");
              if (!s) return std::move(s).error();
              DirStream& stream = **s;
              if (stream.next >= stream.entries.size()) return Val::ok(Val::none());
              const DirEntryP2& e = stream.entries[stream.next++];
              if (e.bad_name) return err_code(ErrorCode::IllegalByteSequence);
              return Val::ok(Val::some(
                  Val::record({{"type", type_val(e.type)}, {"name", Val::string(e.name)}})));
            });
  defs.func(types, "filesystem-error-code", {K::Borrow},
            [](HostState& host, std::vector<Val>& args) -> HostResult {
              auto e = lookup<ErrorObj>(host, args[0], "error");
              if (!e) return std::move(e).error();
              if (!(*e)->fs_code) return Val::none();
              return Val::some(error_code_val(*(*e)->fs_code));
            });

  defs.func("wasi:filesystem/preopens", "get-directories", {},
            [](HostState& host, std::vector<Val>&) -> HostResult {
              std::vector<Val> out;
              const auto& preopens = host.ctx->config().preopens;
              // Context::create put the preopens at fds 3, 4, ... in order.
              for (uint32_t i = 0; i < preopens.size(); ++i) {
                FdEntry* entry = host.ctx->get(3 + i);
                if (!entry || !entry->is_preopen) continue;
                int fd = fcntl(entry->host_fd, F_DUPFD_CLOEXEC, 0);
                if (fd < 0)
                  return trap(std::string("cannot share a preopen: ") + std::strerror(errno));
                Descriptor d;
                d.file = std::make_shared<HostFile>();
                d.file->fd = sandbox::UniqueFd(fd);
                d.type = DescriptorType::Directory;
                d.is_dir = true;
                d.read = true;
                d.writable_grant = !entry->read_only;
                d.mutate_directory = d.writable_grant;
                auto v = push_own(host, std::move(d));
                if (!v) return std::move(v).error();
                out.push_back(Val::tuple({std::move(v).value(), Val::string(entry->preopen_name)}));
              }
              return Val::list(std::move(out));
            });
}

}  // namespace weft::wasi::p2
