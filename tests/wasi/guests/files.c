// The file system through wasi-libc: every libc call here lands on one or
// more wasi_snapshot_preview1 functions. Runs in the preopen "/sandbox".
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"

static int file_exists(const char* path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static int64_t ns_of(struct timespec ts) { return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec; }

static void test_stdio_files(void) {
  FILE* f = fopen("/sandbox/a.txt", "w");
  CHECK(f != NULL);
  CHECK(fputs("hello world\n", f) >= 0);
  CHECK_EQ(fclose(f), 0);
  f = fopen("/sandbox/a.txt", "r");
  CHECK(f != NULL);
  char line[64] = {0};
  CHECK(fgets(line, sizeof line, f) != NULL);
  CHECK_EQ(strcmp(line, "hello world\n"), 0);
  CHECK_EQ(fclose(f), 0);
  // A preopen-relative name resolves too (cwd is "/").
  f = fopen("sandbox/a.txt", "r");
  CHECK(f != NULL);
  if (f) fclose(f);
  // Append mode.
  int fd = open("/sandbox/a.txt", O_WRONLY | O_APPEND);
  CHECK(fd >= 0);
  CHECK(fcntl(fd, F_GETFL) & O_APPEND);
  CHECK_EQ(write(fd, "more\n", 5), 5);
  CHECK_EQ(close(fd), 0);
  struct stat st;
  CHECK_EQ(stat("/sandbox/a.txt", &st), 0);
  CHECK_EQ(st.st_size, 17);
  CHECK(S_ISREG(st.st_mode));
  // O_EXCL on an existing file.
  errno = 0;
  CHECK_EQ(open("/sandbox/a.txt", O_WRONLY | O_CREAT | O_EXCL, 0644), -1);
  CHECK_EQ(errno, EEXIST);
  errno = 0;
  CHECK_EQ(open("/sandbox/missing.txt", O_RDONLY), -1);
  CHECK_EQ(errno, ENOENT);
}

static void test_fd_ops(void) {
  int fd = open("/sandbox/b.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  CHECK_EQ(write(fd, "0123456789", 10), 10);
  CHECK_EQ(lseek(fd, 2, SEEK_SET), 2);
  char buf[16] = {0};
  CHECK_EQ(read(fd, buf, 3), 3);
  CHECK_EQ(memcmp(buf, "234", 3), 0);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5);
  CHECK_EQ(lseek(fd, -1, SEEK_END), 9);
  CHECK_EQ(lseek(fd, 0, SEEK_END), 10);
  errno = 0;
  CHECK_EQ(lseek(fd, -100, SEEK_SET), -1);
  CHECK_EQ(errno, EINVAL);
  CHECK_EQ(pwrite(fd, "XY", 2, 0), 2);
  CHECK_EQ(pread(fd, buf, 4, 0), 4);
  CHECK_EQ(memcmp(buf, "XY23", 4), 0);
  CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10);  // pread/pwrite leave the offset alone
  struct stat st;
  CHECK_EQ(fstat(fd, &st), 0);
  CHECK_EQ(st.st_size, 10);
  CHECK(S_ISREG(st.st_mode));
  CHECK_EQ(st.st_nlink, 1);
  CHECK_EQ(ftruncate(fd, 4), 0);
  CHECK_EQ(fstat(fd, &st), 0);
  CHECK_EQ(st.st_size, 4);
  CHECK_EQ(posix_fallocate(fd, 0, 100), 0);
  CHECK_EQ(fstat(fd, &st), 0);
  CHECK_EQ(st.st_size, 100);
  CHECK_EQ(posix_fadvise(fd, 0, 100, POSIX_FADV_SEQUENTIAL), 0);
  CHECK_EQ(fsync(fd), 0);
  CHECK_EQ(fdatasync(fd), 0);
  struct timespec times[2] = {{1000, 5}, {2000, 7}};
  CHECK_EQ(futimens(fd, times), 0);
  CHECK_EQ(fstat(fd, &st), 0);
  CHECK_EQ(st.st_atim.tv_sec, 1000);
  CHECK_EQ(st.st_mtim.tv_sec, 2000);
  CHECK_EQ(st.st_mtim.tv_nsec, 7);
  // Only the access time; the modification time stays. (Through the raw
  // call: this wasi-libc's <sys/stat.h> UTIME_OMIT disagrees with its own
  // implementation.)
  CHECK_EQ(__wasi_fd_filestat_set_times(fd, 3000ull * 1000000000, 0, __WASI_FSTFLAGS_ATIM), 0);
  CHECK_EQ(fstat(fd, &st), 0);
  CHECK_EQ(st.st_atim.tv_sec, 3000);
  CHECK_EQ(st.st_mtim.tv_sec, 2000);
  CHECK_EQ(close(fd), 0);
  errno = 0;
  CHECK_EQ(close(fd), -1);
  CHECK_EQ(errno, EBADF);
  errno = 0;
  CHECK_EQ(read(fd, buf, 1), -1);
  CHECK_EQ(errno, EBADF);

  struct timespec path_times[2] = {{4000, 0}, {5000, 0}};
  CHECK_EQ(utimensat(AT_FDCWD, "/sandbox/b.bin", path_times, 0), 0);
  CHECK_EQ(stat("/sandbox/b.bin", &st), 0);
  CHECK_EQ(st.st_atim.tv_sec, 4000);
  CHECK_EQ(st.st_mtim.tv_sec, 5000);
  // "Now" for both (raw call again: this wasi-libc turns times == NULL into
  // explicit zeros).
  CHECK_EQ(__wasi_path_filestat_set_times(3, 0, "b.bin", 0, 0,
                                          __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW),
           0);
  CHECK_EQ(stat("/sandbox/b.bin", &st), 0);
  CHECK(st.st_mtim.tv_sec > 1600000000);
  CHECK_EQ(truncate("/sandbox/b.bin", 3), 0);
  CHECK_EQ(stat("/sandbox/b.bin", &st), 0);
  CHECK_EQ(st.st_size, 3);
}

static int count_entries(const char* path, int* saw_x, int* saw_y) {
  DIR* dir = opendir(path);
  CHECK(dir != NULL);
  if (!dir) return -1;
  int count = 0;
  struct dirent* d;
  while ((d = readdir(dir)) != NULL) {
    ++count;
    if (strcmp(d->d_name, "x") == 0) {
      *saw_x = 1;
      CHECK_EQ(d->d_type, DT_REG);
    }
    if (strcmp(d->d_name, "sub") == 0) {
      *saw_y = 1;
      CHECK_EQ(d->d_type, DT_DIR);
    }
  }
  closedir(dir);
  return count;
}

static void test_directories(void) {
  CHECK_EQ(mkdir("/sandbox/d", 0755), 0);
  errno = 0;
  CHECK_EQ(mkdir("/sandbox/d", 0755), -1);
  CHECK_EQ(errno, EEXIST);
  CHECK_EQ(mkdir("/sandbox/d/sub", 0755), 0);
  FILE* f = fopen("/sandbox/d/x", "w");
  CHECK(f != NULL);
  if (f) fclose(f);
  int saw_x = 0, saw_sub = 0;
  CHECK_EQ(count_entries("/sandbox/d", &saw_x, &saw_sub), 4);  // . .. x sub
  CHECK(saw_x && saw_sub);
  // Many entries with long names: several fd_readdir calls with cookies
  // and truncated records.
  char name[128];
  for (int i = 0; i < 150; ++i) {
    snprintf(name, sizeof name, "/sandbox/d/sub/entry-with-a-rather-long-name-%03d", i);
    int fd = open(name, O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    close(fd);
  }
  DIR* dir = opendir("/sandbox/d/sub");
  int seen[150] = {0};
  int total = 0;
  struct dirent* d;
  while (dir && (d = readdir(dir)) != NULL) {
    ++total;
    int index;
    if (sscanf(d->d_name, "entry-with-a-rather-long-name-%d", &index) == 1 && index >= 0 &&
        index < 150) {
      seen[index]++;
    }
  }
  if (dir) {
    // rewinddir starts again from cookie 0.
    rewinddir(dir);
    int again = 0;
    while ((d = readdir(dir)) != NULL) ++again;
    CHECK_EQ(again, 152);
    closedir(dir);
  }
  CHECK_EQ(total, 152);
  for (int i = 0; i < 150; ++i) CHECK_EQ(seen[i], 1);
  for (int i = 0; i < 150; ++i) {
    snprintf(name, sizeof name, "/sandbox/d/sub/entry-with-a-rather-long-name-%03d", i);
    CHECK_EQ(unlink(name), 0);
  }

  CHECK_EQ(rename("/sandbox/d/x", "/sandbox/d/z"), 0);
  CHECK(!file_exists("/sandbox/d/x"));
  CHECK(file_exists("/sandbox/d/z"));
  CHECK_EQ(link("/sandbox/d/z", "/sandbox/d/hard"), 0);
  struct stat st;
  CHECK_EQ(stat("/sandbox/d/z", &st), 0);
  CHECK_EQ(st.st_nlink, 2);
  CHECK_EQ(symlink("z", "/sandbox/d/sym"), 0);
  char target[64] = {0};
  CHECK_EQ(readlink("/sandbox/d/sym", target, sizeof target), 1);
  CHECK_EQ(target[0], 'z');
  // A short buffer truncates.
  CHECK_EQ(symlink("a-longer-target", "/sandbox/d/sym2"), 0);
  memset(target, 0, sizeof target);
  CHECK_EQ(readlink("/sandbox/d/sym2", target, 4), 4);
  CHECK_EQ(memcmp(target, "a-lo", 4), 0);
  CHECK_EQ(lstat("/sandbox/d/sym", &st), 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK_EQ(stat("/sandbox/d/sym", &st), 0);
  CHECK(S_ISREG(st.st_mode));
  // Opening through a symlink follows it; O_NOFOLLOW refuses.
  int fd = open("/sandbox/d/sym", O_RDONLY);
  CHECK(fd >= 0);
  close(fd);
  errno = 0;
  CHECK_EQ(open("/sandbox/d/sym", O_RDONLY | O_NOFOLLOW), -1);
  CHECK_EQ(errno, ELOOP);
  // O_DIRECTORY on a file.
  errno = 0;
  CHECK_EQ(open("/sandbox/d/z", O_RDONLY | O_DIRECTORY), -1);
  CHECK_EQ(errno, ENOTDIR);

  errno = 0;
  CHECK_EQ(rmdir("/sandbox/d"), -1);
  CHECK_EQ(errno, ENOTEMPTY);
  errno = 0;
  CHECK_EQ(unlink("/sandbox/d/sub"), -1);
  CHECK_EQ(errno, EISDIR);
  CHECK_EQ(unlink("/sandbox/d/sym"), 0);
  CHECK_EQ(unlink("/sandbox/d/sym2"), 0);
  CHECK_EQ(unlink("/sandbox/d/hard"), 0);
  CHECK_EQ(unlink("/sandbox/d/z"), 0);
  CHECK_EQ(rmdir("/sandbox/d/sub"), 0);
  CHECK_EQ(rmdir("/sandbox/d"), 0);
  errno = 0;
  CHECK_EQ(rmdir("/sandbox/d"), -1);
  CHECK_EQ(errno, ENOENT);
}

static void test_clocks_random_poll(void) {
  struct timespec ts, res;
  CHECK_EQ(clock_gettime(CLOCK_REALTIME, &ts), 0);
  CHECK(ts.tv_sec > 1600000000);
  CHECK_EQ(clock_getres(CLOCK_REALTIME, &res), 0);
  CHECK(res.tv_sec == 0 && res.tv_nsec > 0);
  struct timespec m1, m2;
  CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &m1), 0);
  CHECK_EQ(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), 0);
  CHECK_EQ(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts), 0);
  CHECK_EQ(clock_getres(CLOCK_MONOTONIC, &res), 0);

  // Relative sleep (poll_oneoff with a relative clock subscription).
  struct timespec nap = {0, 20 * 1000 * 1000};
  CHECK_EQ(nanosleep(&nap, NULL), 0);
  CHECK_EQ(clock_gettime(CLOCK_MONOTONIC, &m2), 0);
  CHECK(ns_of(m2) - ns_of(m1) >= 20 * 1000 * 1000);
  // Absolute sleep.
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  int64_t wake = ns_of(deadline) + 15 * 1000 * 1000;
  deadline.tv_sec = wake / 1000000000;
  deadline.tv_nsec = wake % 1000000000;
  CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL), 0);
  clock_gettime(CLOCK_MONOTONIC, &m2);
  CHECK(ns_of(m2) >= wake);
  // poll(2): a timeout alone, then a regular file (always ready).
  CHECK_EQ(poll(NULL, 0, 5), 0);
  int fd = open("/sandbox/a.txt", O_RDONLY);
  struct pollfd pfd = {fd, POLLIN, 0};
  CHECK_EQ(poll(&pfd, 1, 1000), 1);
  CHECK(pfd.revents & POLLIN);
  struct pollfd out = {1, POLLOUT, 0};
  CHECK_EQ(poll(&out, 1, 1000), 1);
  CHECK(out.revents & POLLOUT);
  close(fd);

  unsigned char bytes[64] = {0};
  CHECK_EQ(getentropy(bytes, sizeof bytes), 0);
  int nonzero = 0;
  for (size_t i = 0; i < sizeof bytes; ++i) nonzero += bytes[i] != 0;
  CHECK(nonzero > 32);
  CHECK(arc4random() != arc4random() || arc4random() != arc4random());
  CHECK_EQ(sched_yield(), 0);
  CHECK(!isatty(1));
}

int main(void) {
  test_stdio_files();
  test_fd_ops();
  test_directories();
  test_clocks_random_poll();
  FILE* f = fopen("/sandbox/out.txt", "w");
  CHECK(f != NULL);
  if (f) {
    fputs("written by the guest\n", f);
    fclose(f);
  }
  FINISH();
}
