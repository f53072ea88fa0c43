// Direct wasi_snapshot_preview1 calls: the functions libc hides, exact errno
// values and hostile arguments (out-of-bounds pointers, huge counts, bad
// fds and flags, non-UTF-8 paths). Preopens: fd 3 = "/sandbox" (rw).
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#include "check.h"

#define RAW(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
RAW(proc_raise) int32_t raw_proc_raise(int32_t sig);
RAW(fd_write) int32_t raw_fd_write(int32_t fd, int32_t iovs, int32_t iovs_len, int32_t nwritten);
RAW(fd_read) int32_t raw_fd_read(int32_t fd, int32_t iovs, int32_t iovs_len, int32_t nread);
RAW(path_open)
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len,
                      int32_t oflags, int64_t base, int64_t inheriting, int32_t fdflags,
                      int32_t fd_out);
RAW(args_get) int32_t raw_args_get(int32_t argv, int32_t buf);
RAW(fd_prestat_dir_name) int32_t raw_prestat_dir_name(int32_t fd, int32_t path, int32_t len);
RAW(random_get) int32_t raw_random_get(int32_t buf, int32_t len);
RAW(clock_time_get) int32_t raw_clock_time_get(int32_t id, int64_t precision, int32_t out);
RAW(poll_oneoff) int32_t raw_poll_oneoff(int32_t in, int32_t out, int32_t n, int32_t nevents);
RAW(fd_fdstat_set_flags) int32_t raw_fdstat_set_flags(int32_t fd, int32_t flags);
RAW(fd_seek) int32_t raw_fd_seek(int32_t fd, int64_t offset, int32_t whence, int32_t out);
RAW(fd_advise) int32_t raw_fd_advise(int32_t fd, int64_t off, int64_t len, int32_t advice);

#define OOB ((int32_t)0xFFFFFFF0)  // far past any memory this guest has
static const __wasi_rights_t kAllRights = 0x3FFFFFFF;

static __wasi_fd_t open_file(const char* path, __wasi_oflags_t oflags, __wasi_rights_t rights) {
  __wasi_fd_t fd = (__wasi_fd_t)-1;
  __wasi_errno_t err = __wasi_path_open(3, 0, path, oflags, rights, 0, 0, &fd);
  CHECK_EQ(err, 0);
  return fd;
}

static void test_prestat(void) {
  __wasi_prestat_t prestat;
  CHECK_EQ(__wasi_fd_prestat_get(3, &prestat), 0);
  CHECK_EQ(prestat.tag, __WASI_PREOPENTYPE_DIR);
  CHECK_EQ(prestat.u.dir.pr_name_len, 8);
  uint8_t name[16] = {0};
  CHECK_EQ(__wasi_fd_prestat_dir_name(3, name, sizeof name), 0);
  CHECK_EQ(memcmp(name, "/sandbox", 8), 0);
  CHECK_EQ(__wasi_fd_prestat_dir_name(3, name, 3), __WASI_ERRNO_NAMETOOLONG);
  CHECK_EQ(__wasi_fd_prestat_get(0, &prestat), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_fd_prestat_get(99, &prestat), __WASI_ERRNO_BADF);
  CHECK_EQ(raw_prestat_dir_name(3, OOB, 16), __WASI_ERRNO_FAULT);
}

static void test_fdstat_and_rights(void) {
  __wasi_fdstat_t st;
  CHECK_EQ(__wasi_fd_fdstat_get(3, &st), 0);
  CHECK_EQ(st.fs_filetype, __WASI_FILETYPE_DIRECTORY);
  CHECK(st.fs_rights_base & __WASI_RIGHTS_PATH_OPEN);
  CHECK_EQ(st.fs_rights_inheriting, kAllRights);
  CHECK_EQ(__wasi_fd_fdstat_get(1, &st), 0);
  CHECK(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE);

  __wasi_fd_t fd = open_file("rights.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, kAllRights);
  CHECK_EQ(__wasi_fd_fdstat_get(fd, &st), 0);
  CHECK_EQ(st.fs_filetype, __WASI_FILETYPE_REGULAR_FILE);
  CHECK(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE);
  // Dropping FD_WRITE makes writes NOTCAPABLE; rights never come back.
  CHECK_EQ(__wasi_fd_fdstat_set_rights(fd, st.fs_rights_base & ~__WASI_RIGHTS_FD_WRITE, 0), 0);
  __wasi_ciovec_t iov = {(const uint8_t*)"x", 1};
  __wasi_size_t n;
  CHECK_EQ(__wasi_fd_write(fd, &iov, 1, &n), __WASI_ERRNO_NOTCAPABLE);
  CHECK_EQ(__wasi_fd_fdstat_set_rights(fd, kAllRights, 0), __WASI_ERRNO_NOTCAPABLE);
  // fdflags: append on, then unknown bits.
  CHECK_EQ(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND), 0);
  CHECK_EQ(__wasi_fd_fdstat_get(fd, &st), 0);
  CHECK_EQ(st.fs_flags & __WASI_FDFLAGS_APPEND, __WASI_FDFLAGS_APPEND);
  CHECK_EQ(raw_fdstat_set_flags(fd, 0x100), __WASI_ERRNO_INVAL);
  CHECK_EQ(__wasi_fd_close(fd), 0);
  CHECK_EQ(__wasi_fd_fdstat_get(fd, &st), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_fd_fdstat_set_flags(77, 0), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_fd_fdstat_set_rights(77, 0, 0), __WASI_ERRNO_BADF);
}

static void test_advise_allocate_renumber(void) {
  __wasi_fd_t fd = open_file("alloc.bin", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, kAllRights);
  CHECK_EQ(__wasi_fd_advise(fd, 0, 10, __WASI_ADVICE_WILLNEED), 0);
  CHECK_EQ(raw_fd_advise(fd, 0, 10, 9), __WASI_ERRNO_INVAL);
  CHECK_EQ(__wasi_fd_allocate(fd, 0, 4096), 0);
  __wasi_filestat_t fst;
  CHECK_EQ(__wasi_fd_filestat_get(fd, &fst), 0);
  CHECK_EQ(fst.size, 4096);
  CHECK_EQ(fst.filetype, __WASI_FILETYPE_REGULAR_FILE);
  CHECK_EQ(__wasi_fd_allocate(fd, (uint64_t)1 << 63, 1), __WASI_ERRNO_FBIG);
  CHECK_EQ(__wasi_fd_filestat_set_size(fd, 10), 0);
  CHECK_EQ(__wasi_fd_filestat_get(fd, &fst), 0);
  CHECK_EQ(fst.size, 10);
  CHECK_EQ(__wasi_fd_filestat_set_times(fd, 1000000000ull * 7, 1000000000ull * 9,
                                        __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM),
           0);
  CHECK_EQ(__wasi_fd_filestat_get(fd, &fst), 0);
  CHECK_EQ(fst.mtim, 9000000000ull);
  CHECK_EQ(fst.atim, 7000000000ull);
  CHECK_EQ(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
           __WASI_ERRNO_INVAL);
  CHECK_EQ(__wasi_fd_sync(fd), 0);
  CHECK_EQ(__wasi_fd_datasync(fd), 0);

  // Renumber onto another open fd; the old number closes.
  __wasi_fd_t other = open_file("other.bin", __WASI_OFLAGS_CREAT, kAllRights);
  CHECK_EQ(__wasi_fd_renumber(fd, other), 0);
  CHECK_EQ(__wasi_fd_filestat_get(other, &fst), 0);
  CHECK_EQ(fst.size, 10);
  CHECK_EQ(__wasi_fd_filestat_get(fd, &fst), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_fd_renumber(other, 1234), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_fd_renumber(1234, other), __WASI_ERRNO_BADF);

  // Seek/tell.
  __wasi_filesize_t pos;
  CHECK_EQ(__wasi_fd_seek(other, 4, __WASI_WHENCE_SET, &pos), 0);
  CHECK_EQ(pos, 4);
  CHECK_EQ(__wasi_fd_tell(other, &pos), 0);
  CHECK_EQ(pos, 4);
  CHECK_EQ(raw_fd_seek(other, 0, 7, (int32_t)(uintptr_t)&pos), __WASI_ERRNO_INVAL);
  CHECK_EQ(raw_fd_seek(other, 0, 0, OOB), __WASI_ERRNO_FAULT);
  // pread/pwrite.
  __wasi_ciovec_t out = {(const uint8_t*)"abcd", 4};
  __wasi_size_t n = 0;
  CHECK_EQ(__wasi_fd_pwrite(other, &out, 1, 100, &n), 0);
  CHECK_EQ(n, 4);
  uint8_t buf[8] = {0};
  __wasi_iovec_t in = {buf, 8};
  CHECK_EQ(__wasi_fd_pread(other, &in, 1, 100, &n), 0);
  CHECK_EQ(n, 4);
  CHECK_EQ(memcmp(buf, "abcd", 4), 0);
  CHECK_EQ(__wasi_fd_tell(other, &pos), 0);
  CHECK_EQ(pos, 4);
  // stdout is not seekable.
  CHECK_EQ(__wasi_fd_pread(0, &in, 1, 0, &n), __WASI_ERRNO_NOTCAPABLE);
  CHECK_EQ(__wasi_fd_close(other), 0);
}

static void test_path_open_flags(void) {
  __wasi_fd_t fd;
  // EXCL on an existing file.
  __wasi_fd_t f = open_file("excl.txt", __WASI_OFLAGS_CREAT, kAllRights);
  CHECK_EQ(__wasi_fd_close(f), 0);
  CHECK_EQ(__wasi_path_open(3, 0, "excl.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, kAllRights,
                            0, 0, &fd),
           __WASI_ERRNO_EXIST);
  // DIRECTORY on a file; a directory opened as one.
  CHECK_EQ(__wasi_path_open(3, 0, "excl.txt", __WASI_OFLAGS_DIRECTORY, kAllRights, 0, 0, &fd),
           __WASI_ERRNO_NOTDIR);
  CHECK_EQ(__wasi_path_create_directory(3, "dir"), 0);
  CHECK_EQ(__wasi_path_create_directory(3, "dir"), __WASI_ERRNO_EXIST);
  // FD_WRITE on a directory is EISDIR (tests/wasi/guests/isdir.c); the rest
  // of the rights are fine.
  CHECK_EQ(__wasi_path_open(3, 0, "dir", __WASI_OFLAGS_DIRECTORY, kAllRights, kAllRights, 0, &fd),
           __WASI_ERRNO_ISDIR);
  CHECK_EQ(__wasi_path_open(3, 0, "dir", __WASI_OFLAGS_DIRECTORY,
                            kAllRights & ~__WASI_RIGHTS_FD_WRITE, kAllRights, 0, &fd),
           0);
  __wasi_fdstat_t st;
  CHECK_EQ(__wasi_fd_fdstat_get(fd, &st), 0);
  CHECK_EQ(st.fs_filetype, __WASI_FILETYPE_DIRECTORY);
  // A path relative to the new directory fd.
  __wasi_fd_t inner;
  CHECK_EQ(__wasi_path_open(fd, 0, "inner.txt", __WASI_OFLAGS_CREAT, kAllRights, 0, 0, &inner), 0);
  CHECK_EQ(__wasi_fd_close(inner), 0);
  __wasi_filestat_t fst;
  CHECK_EQ(__wasi_path_filestat_get(3, 0, "dir/inner.txt", &fst), 0);
  CHECK_EQ(fst.filetype, __WASI_FILETYPE_REGULAR_FILE);
  CHECK_EQ(__wasi_path_filestat_set_times(3, 0, "dir/inner.txt", 0, 42000000000ull,
                                          __WASI_FSTFLAGS_MTIM),
           0);
  CHECK_EQ(__wasi_path_filestat_get(3, 0, "dir/inner.txt", &fst), 0);
  CHECK_EQ(fst.mtim, 42000000000ull);
  // The directory fd is not a file.
  uint8_t buf[4];
  __wasi_iovec_t iov = {buf, 4};
  __wasi_size_t n;
  CHECK(__wasi_fd_read(fd, &iov, 1, &n) != 0);
  CHECK_EQ(__wasi_path_unlink_file(fd, "inner.txt"), 0);
  CHECK_EQ(__wasi_fd_close(fd), 0);
  CHECK_EQ(__wasi_path_remove_directory(3, "dir"), 0);

  // TRUNC empties.
  f = open_file("excl.txt", 0, kAllRights);
  __wasi_ciovec_t out = {(const uint8_t*)"12345", 5};
  CHECK_EQ(__wasi_fd_write(f, &out, 1, &n), 0);
  CHECK_EQ(__wasi_fd_close(f), 0);
  f = open_file("excl.txt", __WASI_OFLAGS_TRUNC, kAllRights);
  CHECK_EQ(__wasi_fd_filestat_get(f, &fst), 0);
  CHECK_EQ(fst.size, 0);
  CHECK_EQ(__wasi_fd_close(f), 0);
  // Symlinks: nofollow vs follow.
  CHECK_EQ(__wasi_path_symlink("excl.txt", 3, "link"), 0);
  CHECK_EQ(__wasi_path_open(3, 0, "link", 0, kAllRights, 0, 0, &fd), __WASI_ERRNO_LOOP);
  CHECK_EQ(__wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link", 0, kAllRights, 0, 0, &fd),
           0);
  CHECK_EQ(__wasi_fd_close(fd), 0);
  CHECK_EQ(__wasi_path_filestat_get(3, 0, "link", &fst), 0);
  CHECK_EQ(fst.filetype, __WASI_FILETYPE_SYMBOLIC_LINK);
  CHECK_EQ(__wasi_path_filestat_get(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link", &fst), 0);
  CHECK_EQ(fst.filetype, __WASI_FILETYPE_REGULAR_FILE);
  uint8_t target[32];
  __wasi_size_t used;
  CHECK_EQ(__wasi_path_readlink(3, "link", target, sizeof target, &used), 0);
  CHECK_EQ(used, 8);
  CHECK_EQ(memcmp(target, "excl.txt", 8), 0);
  CHECK_EQ(__wasi_path_readlink(3, "excl.txt", target, sizeof target, &used), __WASI_ERRNO_INVAL);
  CHECK_EQ(__wasi_path_link(3, 0, "excl.txt", 3, "hard"), 0);
  CHECK_EQ(__wasi_path_link(3, 0, "excl.txt", 3, "hard"), __WASI_ERRNO_EXIST);
  CHECK_EQ(__wasi_path_rename(3, "hard", 3, "hard2"), 0);
  CHECK_EQ(__wasi_path_unlink_file(3, "hard2"), 0);
  CHECK_EQ(__wasi_path_unlink_file(3, "hard2"), __WASI_ERRNO_NOENT);
  CHECK_EQ(__wasi_path_unlink_file(3, "link"), 0);
  // Bad flags and fds.
  CHECK_EQ(__wasi_path_open(3, 0, "excl.txt", 0x10, kAllRights, 0, 0, &fd), __WASI_ERRNO_INVAL);
  CHECK_EQ(__wasi_path_open(3, 0x8, "excl.txt", 0, kAllRights, 0, 0, &fd), __WASI_ERRNO_INVAL);
  CHECK_EQ(__wasi_path_open(3, 0, "excl.txt", 0, kAllRights, 0, 0x40, &fd), __WASI_ERRNO_INVAL);
  CHECK_EQ(__wasi_path_open(99, 0, "excl.txt", 0, kAllRights, 0, 0, &fd), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_path_open(1, 0, "excl.txt", 0, kAllRights, 0, 0, &fd), __WASI_ERRNO_NOTDIR);
  CHECK_EQ(__wasi_path_open(3, 0, "", 0, kAllRights, 0, 0, &fd), __WASI_ERRNO_NOENT);
  CHECK_EQ(__wasi_path_open(3, 0, "bad\xff\xfename", __WASI_OFLAGS_CREAT, kAllRights, 0, 0, &fd),
           __WASI_ERRNO_ILSEQ);
  CHECK_EQ(__wasi_path_create_directory(3, "\xc0\x80"), __WASI_ERRNO_ILSEQ);  // overlong NUL
  // Out-of-bounds path, huge path length, out-of-bounds result pointer.
  CHECK_EQ(raw_path_open(3, 0, OOB, 8, 0, kAllRights, 0, 0, (int32_t)(uintptr_t)&fd),
           __WASI_ERRNO_FAULT);
  CHECK_EQ(raw_path_open(3, 0, (int32_t)(uintptr_t) "excl.txt", 0x7FFFFFFF, 0, kAllRights, 0, 0,
                         (int32_t)(uintptr_t)&fd),
           __WASI_ERRNO_FAULT);
  CHECK_EQ(raw_path_open(3, 0, (int32_t)(uintptr_t) "excl.txt", 8, 0, kAllRights, 0, 0, OOB),
           __WASI_ERRNO_FAULT);
  CHECK_EQ(__wasi_path_unlink_file(3, "excl.txt"), 0);
}

static void test_readdir(void) {
  CHECK_EQ(__wasi_path_create_directory(3, "list"), 0);
  const char* names[] = {"alpha", "beta", "gamma"};
  for (int i = 0; i < 3; ++i) {
    char path[32];
    snprintf(path, sizeof path, "list/%s", names[i]);
    __wasi_fd_t f = open_file(path, __WASI_OFLAGS_CREAT, kAllRights);
    CHECK_EQ(__wasi_fd_close(f), 0);
  }
  __wasi_fd_t dir;
  CHECK_EQ(__wasi_path_open(3, 0, "list", __WASI_OFLAGS_DIRECTORY,
                            __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN, 0, 0, &dir),
           0);
  // Whole listing in one buffer.
  uint8_t buf[1024];
  __wasi_size_t used = 0;
  CHECK_EQ(__wasi_fd_readdir(dir, buf, sizeof buf, 0, &used), 0);
  CHECK(used < sizeof buf);
  int entries = 0, found = 0;
  __wasi_dircookie_t last_cookie = 0;
  for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used;) {
    __wasi_dirent_t d;
    memcpy(&d, buf + off, sizeof d);
    const char* name = (const char*)buf + off + sizeof d;
    ++entries;
    CHECK_EQ(d.d_next, last_cookie + 1);
    last_cookie = d.d_next;
    if (d.d_namlen == 4 && memcmp(name, "beta", 4) == 0) {
      ++found;
      CHECK_EQ(d.d_type, __WASI_FILETYPE_REGULAR_FILE);
    }
    off += sizeof d + d.d_namlen;
  }
  CHECK_EQ(entries, 5);
  CHECK_EQ(found, 1);
  // A buffer smaller than one record: filled completely (truncated record).
  CHECK_EQ(__wasi_fd_readdir(dir, buf, 10, 0, &used), 0);
  CHECK_EQ(used, 10);
  // Starting after the third entry gives the last two.
  CHECK_EQ(__wasi_fd_readdir(dir, buf, sizeof buf, 3, &used), 0);
  __wasi_dirent_t d;
  memcpy(&d, buf, sizeof d);
  CHECK_EQ(d.d_next, 4);
  // Past the end: nothing.
  CHECK_EQ(__wasi_fd_readdir(dir, buf, sizeof buf, 100, &used), 0);
  CHECK_EQ(used, 0);
  CHECK_EQ(__wasi_fd_readdir(dir, (uint8_t*)(uintptr_t)OOB, 64, 0, &used), __WASI_ERRNO_FAULT);
  // readdir on a file.
  __wasi_fd_t f = open_file("list/alpha", 0, kAllRights);
  CHECK_EQ(__wasi_fd_readdir(f, buf, sizeof buf, 0, &used), __WASI_ERRNO_NOTCAPABLE);
  CHECK_EQ(__wasi_fd_close(f), 0);
  CHECK_EQ(__wasi_fd_close(dir), 0);
  CHECK_EQ(__wasi_path_remove_directory(3, "list"), __WASI_ERRNO_NOTEMPTY);
  for (int i = 0; i < 3; ++i) {
    char path[32];
    snprintf(path, sizeof path, "list/%s", names[i]);
    CHECK_EQ(__wasi_path_unlink_file(3, path), 0);
  }
  CHECK_EQ(__wasi_path_remove_directory(3, "list"), 0);
}

static void test_bad_memory_and_fds(void) {
  // iovec array out of bounds, an iovec buffer out of bounds, a huge count.
  CHECK_EQ(raw_fd_write(1, OOB, 1, 0), __WASI_ERRNO_FAULT);
  static __wasi_ciovec_t bad_iov;
  bad_iov.buf = (const uint8_t*)(uintptr_t)OOB;
  bad_iov.buf_len = 100;
  __wasi_size_t n;
  CHECK_EQ(__wasi_fd_write(1, &bad_iov, 1, &n), __WASI_ERRNO_FAULT);
  static __wasi_ciovec_t ok_iov = {(const uint8_t*)"", 0};
  CHECK_EQ(raw_fd_write(1, (int32_t)(uintptr_t)&ok_iov, 0x7FFFFFFF, (int32_t)(uintptr_t)&n),
           __WASI_ERRNO_FAULT);
  CHECK_EQ(raw_fd_read(0, (int32_t)(uintptr_t)&ok_iov, -1, (int32_t)(uintptr_t)&n),
           __WASI_ERRNO_FAULT);
  CHECK_EQ(raw_fd_write(1, (int32_t)(uintptr_t)&ok_iov, 1, OOB), __WASI_ERRNO_FAULT);
  // Zero iovecs write nothing.
  CHECK_EQ(__wasi_fd_write(1, &ok_iov, 0, &n), 0);
  CHECK_EQ(n, 0);
  // Invalid fds.
  CHECK_EQ(__wasi_fd_write(42, &ok_iov, 1, &n), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_fd_close(42), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_fd_close((__wasi_fd_t)-1), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_fd_sync(42), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_fd_datasync(42), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_fd_advise(42, 0, 0, 0), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_fd_allocate(42, 0, 1), __WASI_ERRNO_BADF);
  __wasi_filestat_t fst;
  CHECK_EQ(__wasi_fd_filestat_get(42, &fst), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_fd_filestat_set_size(42, 0), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_fd_filestat_set_times(42, 0, 0, 0), __WASI_ERRNO_BADF);
  __wasi_filesize_t pos;
  CHECK_EQ(__wasi_fd_seek(42, 0, 0, &pos), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_fd_tell(42, &pos), __WASI_ERRNO_BADF);
  uint8_t buf[8];
  __wasi_size_t used;
  CHECK_EQ(__wasi_fd_readdir(42, buf, 8, 0, &used), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_path_create_directory(42, "x"), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_path_unlink_file(42, "x"), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_path_remove_directory(42, "x"), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_path_filestat_get(42, 0, "x", &fst), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_path_readlink(42, "x", buf, 8, &used), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_path_symlink("a", 42, "x"), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_path_rename(42, "a", 3, "b"), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_path_link(3, 0, "a", 42, "b"), __WASI_ERRNO_BADF);
  // stdio streams cannot seek.
  CHECK_EQ(__wasi_fd_seek(1, 0, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_NOTCAPABLE);
  // args_get into memory that is not there.
  CHECK_EQ(raw_args_get(OOB, OOB), __WASI_ERRNO_FAULT);
  CHECK_EQ(raw_random_get(OOB, 16), __WASI_ERRNO_FAULT);
  CHECK_EQ(raw_clock_time_get(0, 0, OOB), __WASI_ERRNO_FAULT);
}

static void test_clocks_poll_misc(void) {
  __wasi_timestamp_t t, res;
  for (__wasi_clockid_t id = 0; id < 4; ++id) {
    CHECK_EQ(__wasi_clock_time_get(id, 1, &t), 0);
    CHECK_EQ(__wasi_clock_res_get(id, &res), 0);
    CHECK(res > 0);
  }
  CHECK_EQ(__wasi_clock_time_get(9, 1, &t), __WASI_ERRNO_INVAL);
  CHECK_EQ(__wasi_clock_res_get(9, &res), __WASI_ERRNO_INVAL);

  // poll_oneoff: a relative clock and an absolute one; the earlier fires.
  __wasi_timestamp_t start;
  CHECK_EQ(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &start), 0);
  __wasi_subscription_t subs[3];
  memset(subs, 0, sizeof subs);
  subs[0].userdata = 11;
  subs[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[0].u.u.clock.timeout = 10 * 1000 * 1000;
  subs[1].userdata = 22;
  subs[1].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[1].u.u.clock.timeout = start + 5ull * 1000 * 1000 * 1000;
  subs[1].u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
  __wasi_event_t events[3];
  __wasi_size_t nevents = 0;
  CHECK_EQ(__wasi_poll_oneoff(subs, events, 2, &nevents), 0);
  CHECK_EQ(nevents, 1);
  CHECK_EQ(events[0].userdata, 11);
  CHECK_EQ(events[0].type, __WASI_EVENTTYPE_CLOCK);
  CHECK_EQ(events[0].error, 0);
  CHECK_EQ(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t), 0);
  CHECK(t - start >= 10 * 1000 * 1000);
  CHECK(t - start < 4ull * 1000 * 1000 * 1000);
  // An absolute time in the past fires at once.
  subs[1].u.u.clock.timeout = 1;
  CHECK_EQ(__wasi_poll_oneoff(&subs[1], events, 1, &nevents), 0);
  CHECK_EQ(nevents, 1);
  CHECK_EQ(events[0].userdata, 22);
  // fd readiness: stdin (buffered, has data) and stdout are ready at once;
  // a bad fd reports BADF in its event.
  subs[0].userdata = 1;
  subs[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[0].u.u.fd_read.file_descriptor = 0;
  subs[1].userdata = 2;
  subs[1].u.tag = __WASI_EVENTTYPE_FD_WRITE;
  subs[1].u.u.fd_write.file_descriptor = 1;
  subs[2].userdata = 3;
  subs[2].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[2].u.u.fd_read.file_descriptor = 99;
  CHECK_EQ(__wasi_poll_oneoff(subs, events, 3, &nevents), 0);
  CHECK_EQ(nevents, 3);
  int saw_stdin = 0;
  for (__wasi_size_t i = 0; i < nevents; ++i) {
    if (events[i].userdata == 1) {
      saw_stdin = 1;
      CHECK_EQ(events[i].type, __WASI_EVENTTYPE_FD_READ);
      CHECK_EQ(events[i].fd_readwrite.nbytes, 5);  // the test feeds "input"
    }
    if (events[i].userdata == 3) CHECK_EQ(events[i].error, __WASI_ERRNO_BADF);
  }
  CHECK(saw_stdin);
  // A regular file polls ready with its remaining bytes.
  __wasi_fd_t f = open_file("poll.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, kAllRights);
  __wasi_ciovec_t out = {(const uint8_t*)"0123456789", 10};
  __wasi_size_t n;
  CHECK_EQ(__wasi_fd_write(f, &out, 1, &n), 0);
  __wasi_filesize_t pos;
  CHECK_EQ(__wasi_fd_seek(f, 3, __WASI_WHENCE_SET, &pos), 0);
  subs[0].u.u.fd_read.file_descriptor = f;
  CHECK_EQ(__wasi_poll_oneoff(subs, events, 1, &nevents), 0);
  CHECK_EQ(nevents, 1);
  CHECK_EQ(events[0].fd_readwrite.nbytes, 7);
  CHECK_EQ(__wasi_fd_close(f), 0);
  CHECK_EQ(__wasi_path_unlink_file(3, "poll.txt"), 0);
  // Zero subscriptions, bad tag, out-of-bounds arrays.
  CHECK_EQ(__wasi_poll_oneoff(subs, events, 0, &nevents), __WASI_ERRNO_INVAL);
  subs[0].u.tag = 7;
  CHECK_EQ(__wasi_poll_oneoff(subs, events, 1, &nevents), __WASI_ERRNO_INVAL);
  CHECK_EQ(raw_poll_oneoff(OOB, (int32_t)(uintptr_t)events, 1, (int32_t)(uintptr_t)&nevents),
           __WASI_ERRNO_FAULT);
  CHECK_EQ(raw_poll_oneoff((int32_t)(uintptr_t)subs, (int32_t)(uintptr_t)events, 0x10000000,
                           (int32_t)(uintptr_t)&nevents),
           __WASI_ERRNO_FAULT);

  uint8_t bytes[32] = {0};
  CHECK_EQ(__wasi_random_get(bytes, sizeof bytes), 0);
  int nonzero = 0;
  for (size_t i = 0; i < sizeof bytes; ++i) nonzero += bytes[i] != 0;
  CHECK(nonzero > 16);
  CHECK_EQ(__wasi_random_get(bytes, 0), 0);
  CHECK_EQ(__wasi_sched_yield(), 0);
  CHECK_EQ(raw_proc_raise(9), __WASI_ERRNO_NOSYS);

  // Sockets: none granted. Non-sockets → NOTSOCK, bad fds → BADF.
  __wasi_fd_t accepted;
  CHECK_EQ(__wasi_sock_accept(3, 0, &accepted), __WASI_ERRNO_NOTSOCK);
  CHECK_EQ(__wasi_sock_accept(42, 0, &accepted), __WASI_ERRNO_BADF);
  uint8_t sbuf[4];
  __wasi_iovec_t riov = {sbuf, 4};
  __wasi_roflags_t roflags;
  CHECK_EQ(__wasi_sock_recv(0, &riov, 1, 0, &n, &roflags), __WASI_ERRNO_NOTSOCK);
  CHECK_EQ(__wasi_sock_recv(42, &riov, 1, 0, &n, &roflags), __WASI_ERRNO_BADF);
  __wasi_ciovec_t siov = {sbuf, 4};
  CHECK_EQ(__wasi_sock_send(1, &siov, 1, 0, &n), __WASI_ERRNO_NOTSOCK);
  CHECK_EQ(__wasi_sock_send(42, &siov, 1, 0, &n), __WASI_ERRNO_BADF);
  CHECK_EQ(__wasi_sock_shutdown(1, __WASI_SDFLAGS_WR), __WASI_ERRNO_NOTSOCK);
  CHECK_EQ(__wasi_sock_shutdown(42, __WASI_SDFLAGS_WR), __WASI_ERRNO_BADF);
}

static void test_args_environ(void) {
  __wasi_size_t argc, argv_size, envc, env_size;
  CHECK_EQ(__wasi_args_sizes_get(&argc, &argv_size), 0);
  CHECK_EQ(argc, 2);
  CHECK_EQ(argv_size, sizeof("direct") + sizeof("arg one"));
  uint8_t* argv_ptrs[2];
  uint8_t argv_buf[32];
  CHECK_EQ(__wasi_args_get(argv_ptrs, argv_buf), 0);
  CHECK_EQ(strcmp((char*)argv_ptrs[1], "arg one"), 0);
  CHECK_EQ(__wasi_environ_sizes_get(&envc, &env_size), 0);
  CHECK_EQ(envc, 1);
  CHECK_EQ(env_size, sizeof("K=v=w"));
  uint8_t* env_ptrs[1];
  uint8_t env_buf[16];
  CHECK_EQ(__wasi_environ_get(env_ptrs, env_buf), 0);
  CHECK_EQ(strcmp((char*)env_ptrs[0], "K=v=w"), 0);
}

int main(void) {
  test_args_environ();
  test_prestat();
  test_fdstat_and_rights();
  test_advise_allocate_renumber();
  test_path_open_flags();
  test_readdir();
  test_bad_memory_and_fds();
  test_clocks_poll_misc();
  FINISH();
}
