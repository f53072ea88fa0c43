// Sandbox escapes, each refused with the right errno. Preopens: fd 3 =
// "/sandbox" (rw), fd 4 = "/ro" (read-only). The host side creates, inside
// sandbox/: file.txt, sub/, escape_link -> ../outside/secret.txt,
// abs_link -> <absolute path of outside/secret.txt>, dirlink -> ../outside,
// loop_a <-> loop_b; outside/secret.txt sits next to the sandbox.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#include "check.h"

static const __wasi_rights_t kAll = 0x3FFFFFFF;
#define NOTCAP __WASI_ERRNO_NOTCAPABLE

static __wasi_errno_t try_open(__wasi_fd_t dir, __wasi_lookupflags_t lookup, const char* path,
                               __wasi_oflags_t oflags) {
  __wasi_fd_t fd;
  // FD_WRITE would make any directory EISDIR (isdir.c), hiding the errno
  // each escape is checked for.
  const __wasi_rights_t base =
      (oflags & __WASI_OFLAGS_DIRECTORY) ? kAll & ~__WASI_RIGHTS_FD_WRITE : kAll;
  __wasi_errno_t err = __wasi_path_open(dir, lookup, path, oflags, base, kAll, 0, &fd);
  if (err == 0) CHECK_EQ(__wasi_fd_close(fd), 0);
  return err;
}

static void test_dotdot_and_absolute(void) {
  CHECK_EQ(try_open(3, 0, "../outside/secret.txt", 0), NOTCAP);
  CHECK_EQ(try_open(3, 0, "..", __WASI_OFLAGS_DIRECTORY), NOTCAP);
  CHECK_EQ(try_open(3, 0, "sub/../../outside/secret.txt", 0), NOTCAP);
  CHECK_EQ(try_open(3, 0, "sub/..", __WASI_OFLAGS_DIRECTORY), 0);  // stays inside
  CHECK_EQ(try_open(3, 0, "./sub/../file.txt", 0), 0);
  CHECK_EQ(try_open(3, 0, "/etc/passwd", 0), NOTCAP);
  CHECK_EQ(try_open(3, 0, "/", __WASI_OFLAGS_DIRECTORY), NOTCAP);
  CHECK_EQ(try_open(3, 0, "../outside/new.txt", __WASI_OFLAGS_CREAT), NOTCAP);
  CHECK_EQ(try_open(4, 0, "../sandbox/file.txt", 0), NOTCAP);
  // libc's own path handling ends in the same refusal.
  CHECK(fopen("/sandbox/../outside/secret.txt", "r") == NULL);
  CHECK(fopen("/etc/passwd", "r") == NULL);
  __wasi_filestat_t st;
  CHECK_EQ(__wasi_path_filestat_get(3, 0, "..", &st), NOTCAP);
  CHECK_EQ(__wasi_path_filestat_get(3, 0, "../outside", &st), NOTCAP);
  CHECK_EQ(__wasi_path_create_directory(3, "../outside/newdir"), NOTCAP);
  CHECK_EQ(__wasi_path_create_directory(3, ".."), NOTCAP);
  CHECK_EQ(__wasi_path_remove_directory(3, ".."), NOTCAP);
  CHECK_EQ(__wasi_path_unlink_file(3, "../outside/secret.txt"), NOTCAP);
  CHECK_EQ(__wasi_path_filestat_set_times(3, 0, "../outside/secret.txt", 0, 0,
                                          __WASI_FSTFLAGS_MTIM_NOW),
           NOTCAP);
}

static void test_symlinks(void) {
  CHECK_EQ(try_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "escape_link", 0), NOTCAP);
  CHECK_EQ(try_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "abs_link", 0), NOTCAP);
  CHECK_EQ(try_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "dirlink/secret.txt", 0), NOTCAP);
  CHECK_EQ(try_open(3, 0, "dirlink/secret.txt", 0), NOTCAP);  // intermediate links too
  CHECK_EQ(try_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "dirlink/new.txt", __WASI_OFLAGS_CREAT),
           NOTCAP);
  CHECK(fopen("/sandbox/escape_link", "r") == NULL);
  CHECK(fopen("/sandbox/dirlink/secret.txt", "r") == NULL);
  // Without following, the link itself is inside and may be inspected.
  __wasi_filestat_t st;
  CHECK_EQ(__wasi_path_filestat_get(3, 0, "escape_link", &st), 0);
  CHECK_EQ(st.filetype, __WASI_FILETYPE_SYMBOLIC_LINK);
  CHECK_EQ(__wasi_path_filestat_get(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "escape_link", &st),
           NOTCAP);
  CHECK_EQ(__wasi_path_filestat_get(3, 0, "dirlink/", &st), NOTCAP);  // trailing slash follows
  CHECK_EQ(__wasi_path_filestat_get(3, 0, "dirlink/secret.txt", &st), NOTCAP);
  uint8_t buf[64];
  __wasi_size_t used;
  CHECK_EQ(__wasi_path_readlink(3, "dirlink/", buf, sizeof buf, &used), NOTCAP);
  CHECK_EQ(__wasi_path_create_directory(3, "dirlink/newdir"), NOTCAP);
  CHECK_EQ(__wasi_path_unlink_file(3, "dirlink/secret.txt"), NOTCAP);
  CHECK_EQ(__wasi_path_symlink("x", 3, "dirlink/planted"), NOTCAP);
  CHECK_EQ(__wasi_path_filestat_set_times(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "escape_link", 0, 0,
                                          __WASI_FSTFLAGS_MTIM_NOW),
           NOTCAP);
  // Loops.
  CHECK_EQ(try_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "loop_a", 0), __WASI_ERRNO_LOOP);
  CHECK_EQ(try_open(3, 0, "loop_a/x", 0), __WASI_ERRNO_LOOP);
  CHECK_EQ(__wasi_path_filestat_get(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "loop_a", &st),
           __WASI_ERRNO_LOOP);
  // Creating links: absolute targets are refused; a relative target that
  // leads out may exist but never resolves out.
  CHECK_EQ(__wasi_path_symlink("/etc/passwd", 3, "abs_new"), NOTCAP);
  CHECK_EQ(__wasi_path_symlink("../outside/secret.txt", 3, "rel_out"), 0);
  CHECK_EQ(try_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "rel_out", 0), NOTCAP);
  CHECK_EQ(__wasi_path_unlink_file(3, "rel_out"), 0);
  // Unlinking a link removes the link, never its target.
  CHECK_EQ(__wasi_path_symlink("../outside/secret.txt", 3, "doomed"), 0);
  CHECK_EQ(__wasi_path_unlink_file(3, "doomed"), 0);
}

static void test_hard_links_and_renames(void) {
  CHECK_EQ(__wasi_path_link(3, 0, "../outside/secret.txt", 3, "stolen"), NOTCAP);
  CHECK_EQ(__wasi_path_link(3, 0, "dirlink/secret.txt", 3, "stolen"), NOTCAP);
  CHECK_EQ(__wasi_path_link(3, 0, "file.txt", 3, "../outside/planted"), NOTCAP);
  CHECK_EQ(__wasi_path_link(3, 0, "file.txt", 3, "dirlink/planted"), NOTCAP);
  // Following the source link at the host would bypass the check.
  CHECK_EQ(__wasi_path_link(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "escape_link", 3, "stolen"),
           __WASI_ERRNO_INVAL);
  // Linking the symlink itself keeps it a symlink: still no way out.
  CHECK_EQ(__wasi_path_link(3, 0, "escape_link", 3, "link_copy"), 0);
  CHECK_EQ(try_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "link_copy", 0), NOTCAP);
  CHECK_EQ(__wasi_path_unlink_file(3, "link_copy"), 0);
  // Into a read-only preopen, out of it, and out of the sandbox.
  CHECK_EQ(__wasi_path_link(3, 0, "file.txt", 4, "linked"), NOTCAP);
  CHECK_EQ(__wasi_path_rename(3, "file.txt", 4, "moved.txt"), NOTCAP);
  CHECK_EQ(__wasi_path_rename(4, "data.txt", 3, "moved.txt"), NOTCAP);
  CHECK_EQ(__wasi_path_rename(3, "file.txt", 3, "../outside/moved.txt"), NOTCAP);
  CHECK_EQ(__wasi_path_rename(3, "file.txt", 3, "dirlink/moved.txt"), NOTCAP);
  CHECK_EQ(__wasi_path_rename(3, "../outside/secret.txt", 3, "got.txt"), NOTCAP);
  CHECK_EQ(__wasi_path_rename(3, "sub", 3, ".."), NOTCAP);
  CHECK(rename("/sandbox/file.txt", "/ro/moved.txt") != 0);
}

static void test_read_only(void) {
  __wasi_fd_t fd;
  CHECK_EQ(__wasi_path_open(4, 0, "data.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), 0);
  uint8_t buf[32] = {0};
  __wasi_iovec_t iov = {buf, sizeof buf};
  __wasi_size_t n;
  CHECK_EQ(__wasi_fd_read(fd, &iov, 1, &n), 0);
  CHECK_EQ(n, 14);
  CHECK_EQ(memcmp(buf, "read only data", 14), 0);
  CHECK_EQ(__wasi_fd_close(fd), 0);
  // Write rights are not inherited: the file opens, writing is refused.
  CHECK_EQ(__wasi_path_open(4, 0, "data.txt", 0, kAll, 0, 0, &fd), 0);
  __wasi_ciovec_t out = {(const uint8_t*)"x", 1};
  CHECK_EQ(__wasi_fd_write(fd, &out, 1, &n), NOTCAP);
  CHECK_EQ(__wasi_fd_filestat_set_size(fd, 0), NOTCAP);
  CHECK_EQ(__wasi_fd_allocate(fd, 0, 100), NOTCAP);
  CHECK_EQ(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), NOTCAP);
  CHECK_EQ(__wasi_fd_close(fd), 0);
  CHECK_EQ(try_open(4, 0, "new.txt", __WASI_OFLAGS_CREAT), NOTCAP);
  CHECK_EQ(try_open(4, 0, "data.txt", __WASI_OFLAGS_TRUNC), NOTCAP);
  CHECK_EQ(__wasi_path_create_directory(4, "newdir"), NOTCAP);
  CHECK_EQ(__wasi_path_unlink_file(4, "data.txt"), NOTCAP);
  CHECK_EQ(__wasi_path_remove_directory(4, "d"), NOTCAP);
  CHECK_EQ(__wasi_path_symlink("data.txt", 4, "sym"), NOTCAP);
  CHECK_EQ(__wasi_path_filestat_set_times(4, 0, "data.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
           NOTCAP);
  // Directories opened beneath a read-only preopen stay read-only.
  __wasi_fd_t dir;
  CHECK_EQ(__wasi_path_open(4, 0, ".", __WASI_OFLAGS_DIRECTORY, kAll, kAll, 0, &dir), 0);
  CHECK_EQ(__wasi_path_create_directory(dir, "newdir"), NOTCAP);
  CHECK_EQ(try_open(dir, 0, "new.txt", __WASI_OFLAGS_CREAT), NOTCAP);
  CHECK_EQ(__wasi_fd_close(dir), 0);
  // libc: fopen for writing fails, reading works.
  CHECK(fopen("/ro/data.txt", "w") == NULL);
  CHECK(fopen("/ro/new.txt", "w") == NULL);
  FILE* f = fopen("/ro/data.txt", "r");
  CHECK(f != NULL);
  if (f) fclose(f);
}

int main(void) {
  test_dotdot_and_absolute();
  test_symlinks();
  test_hard_links_and_renames();
  test_read_only();
  FINISH();
}
