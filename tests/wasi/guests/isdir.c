// A directory opened for writing fails with EISDIR (as open(2) on Linux and
// wasmtime do); opened for reading, with or without O_DIRECTORY, it works.
// Preopens: fd 3 = "/sandbox" (rw), fd 4 = "/ro" (read-only). The host side
// creates sandbox/sub/, sandbox/file.txt and ro/rosub/.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"

static const __wasi_rights_t kAll = 0x3FFFFFFF;

// open(2) through wasi-libc: the fd on success, else -errno.
static int try_open(const char* path, int flags) {
  int fd = open(path, flags);
  if (fd < 0) return -errno;
  CHECK_EQ(close(fd), 0);
  return fd;
}

static __wasi_errno_t raw_open(__wasi_fd_t dir, const char* path, __wasi_oflags_t oflags,
                               __wasi_rights_t base) {
  __wasi_fd_t fd;
  __wasi_errno_t err = __wasi_path_open(dir, 0, path, oflags, base, kAll, 0, &fd);
  if (err == 0) CHECK_EQ(__wasi_fd_close(fd), 0);
  return err;
}

static void test_libc(void) {
  CHECK_EQ(EISDIR, __WASI_ERRNO_ISDIR);  // wasi-libc's errno is preview1's numbering
  CHECK_EQ(try_open("/sandbox/sub", O_WRONLY), -EISDIR);
  CHECK_EQ(try_open("/sandbox/sub", O_RDWR), -EISDIR);
  CHECK_EQ(try_open("/sandbox/sub", O_WRONLY | O_DIRECTORY), -EISDIR);
  CHECK_EQ(try_open("/sandbox/sub", O_RDWR | O_DIRECTORY), -EISDIR);
  CHECK_EQ(try_open("/sandbox/sub", O_RDONLY | O_TRUNC), -EISDIR);
  CHECK(try_open("/sandbox/sub", O_RDONLY | O_DIRECTORY) >= 0);
  CHECK(try_open("/sandbox/sub", O_RDONLY) >= 0);
  CHECK(try_open("/sandbox", O_RDONLY | O_DIRECTORY) >= 0);
  CHECK_EQ(try_open("/sandbox", O_WRONLY | O_DIRECTORY), -EISDIR);
  // Beneath a read-only preopen FD_WRITE is never granted and wasi-libc
  // asks only for what the parent can pass on: the directory opens
  // read-only, as a file there does (escape.c), and writes are refused.
  CHECK(try_open("/ro/rosub", O_RDONLY | O_DIRECTORY) >= 0);
  CHECK(try_open("/ro/rosub", O_WRONLY | O_DIRECTORY) >= 0);
  // A regular file still opens for writing; with O_DIRECTORY it is NOTDIR.
  CHECK(try_open("/sandbox/file.txt", O_WRONLY) >= 0);
  CHECK_EQ(try_open("/sandbox/file.txt", O_WRONLY | O_DIRECTORY), -ENOTDIR);
  // The directory opened read-only is a working directory.
  DIR* d = opendir("/sandbox/sub");
  CHECK(d != NULL);
  if (d) CHECK_EQ(closedir(d), 0);
}

static void test_raw(void) {
  const __wasi_rights_t read = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR |
                               __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_FILESTAT_GET;
  CHECK_EQ(raw_open(3, "sub", __WASI_OFLAGS_DIRECTORY, read | __WASI_RIGHTS_FD_WRITE),
           __WASI_ERRNO_ISDIR);
  CHECK_EQ(raw_open(3, "sub", 0, read | __WASI_RIGHTS_FD_WRITE), __WASI_ERRNO_ISDIR);
  CHECK_EQ(raw_open(3, "sub", __WASI_OFLAGS_DIRECTORY, kAll), __WASI_ERRNO_ISDIR);
  CHECK_EQ(raw_open(4, "rosub", __WASI_OFLAGS_DIRECTORY, kAll), 0);  // narrowed, as above
  CHECK_EQ(raw_open(3, "sub", __WASI_OFLAGS_DIRECTORY, read), 0);
  CHECK_EQ(raw_open(4, "rosub", __WASI_OFLAGS_DIRECTORY, read), 0);
  // Every right but FD_WRITE: the directory opens, and it is one.
  __wasi_fd_t fd;
  CHECK_EQ(__wasi_path_open(3, 0, "sub", __WASI_OFLAGS_DIRECTORY, kAll & ~__WASI_RIGHTS_FD_WRITE,
                            kAll, 0, &fd),
           0);
  __wasi_fdstat_t st;
  CHECK_EQ(__wasi_fd_fdstat_get(fd, &st), 0);
  CHECK_EQ(st.fs_filetype, __WASI_FILETYPE_DIRECTORY);
  CHECK_EQ(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE, 0);
  CHECK_EQ(__wasi_fd_close(fd), 0);
}

int main(void) {
  test_libc();
  test_raw();
  FINISH();
}
