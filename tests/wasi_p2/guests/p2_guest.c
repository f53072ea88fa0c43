// A WASI command, adapted to WASI 0.2 by jco's preview1 adapter, that
// touches every interface the adapter imports: args and environment,
// stdio, clocks and sleeping (poll), random bytes, files and directories
// beneath the /sandbox grant, escapes from it, and the exit status.
//
// Usage: p2_guest [EXIT_CODE]. Prints one line per step; "FAIL" on stderr
// marks a step that went wrong.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int g_failures;

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "FAIL %s:%d: %s (errno %d)\n", __FILE__, __LINE__, \
              #cond, errno);                                           \
      ++g_failures;                                                    \
    }                                                                  \
  } while (0)

int main(int argc, char** argv) {
  printf("args:");
  for (int i = 0; i < argc; ++i) printf(" %s", argv[i]);
  printf("\n");
  const char* greeting = getenv("GREETING");
  printf("GREETING=%s\n", greeting ? greeting : "(unset)");

  char line[128] = {0};
  if (fgets(line, sizeof line, stdin)) printf("stdin: %s", line);

  struct timespec t0, t1;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t0) == 0);
  struct timespec nap = {0, 5 * 1000 * 1000};
  CHECK(nanosleep(&nap, NULL) == 0);
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t1) == 0);
  const long long slept =
      (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
  CHECK(slept >= 5 * 1000 * 1000);
  struct timespec wall;
  CHECK(clock_gettime(CLOCK_REALTIME, &wall) == 0 && wall.tv_sec > 1600000000);

  unsigned char rnd[64];
  CHECK(getentropy(rnd, sizeof rnd) == 0);

  FILE* f = fopen("/sandbox/out.txt", "w");
  CHECK(f != NULL);
  if (f) {
    CHECK(fputs("written through wasi:filesystem\n", f) >= 0);
    CHECK(fclose(f) == 0);
  }
  char buf[128] = {0};
  f = fopen("/sandbox/in.txt", "r");
  CHECK(f != NULL);
  if (f) {
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    printf("in.txt: %s", buf);
  }
  CHECK(mkdir("/sandbox/made", 0755) == 0);
  struct stat st;
  CHECK(stat("/sandbox/made", &st) == 0 && S_ISDIR(st.st_mode));
  CHECK(rmdir("/sandbox/made") == 0);

  int entries = 0;
  DIR* d = opendir("/sandbox");
  CHECK(d != NULL);
  if (d) {
    while (readdir(d)) ++entries;
    closedir(d);
  }
  printf("entries: %d\n", entries);  // ".", "..", in.txt, out.txt

  errno = 0;
  CHECK(open("/sandbox/../escape.txt", O_WRONLY | O_CREAT, 0644) < 0);
  printf("escape: errno=%d\n", errno);
  errno = 0;
  CHECK(open("/sandbox", O_WRONLY) < 0);
  printf("dir for writing: errno=%d\n", errno);

  fprintf(stderr, "to stderr\n");
  fflush(stdout);
  if (g_failures) return 100;
  return argc > 1 ? atoi(argv[1]) : 0;
}
