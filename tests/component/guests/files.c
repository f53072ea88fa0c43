// File access inside a granted directory, and escapes from it.
// Usage: files [DIR]  (DIR defaults to /data, the guest path of the grant)
//
// The host side (tests/cli/component_fixtures.sh) lays out, beneath the
// granted HOST dir: in.txt ("input for files.c\n"), sub/nested.txt,
// link_out -> ../outside/secret.txt and abs_link -> HOST/../outside/secret.txt
// (absolute); HOST/../outside/secret.txt sits next to the grant.
//
// Each step prints one line; an escape prints the errno it got, which is
// what hosts are compared on. Exit status: 0 when every step inside worked
// and every escape failed, else 1.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int g_bad;

static void join(char* out, size_t size, const char* dir, const char* name) {
  snprintf(out, size, "%s/%s", dir, name);
}

static void read_inside(const char* dir) {
  char path[512], buf[256];
  join(path, sizeof path, dir, "in.txt");
  FILE* f = fopen(path, "r");
  if (!f) {
    printf("read in.txt: errno=%d (%s)\n", errno, strerror(errno));
    g_bad = 1;
    return;
  }
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
  printf("read in.txt: %s\n", buf);
}

static void write_inside(const char* dir) {
  static const char kText[] = "written by files.c\n";
  char path[512], buf[64] = {0};
  join(path, sizeof path, dir, "out.txt");
  FILE* f = fopen(path, "w");
  if (!f || fputs(kText, f) < 0 || fclose(f) != 0) {
    printf("write out.txt: errno=%d (%s)\n", errno, strerror(errno));
    g_bad = 1;
    return;
  }
  f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  const int same = n == strlen(kText) && memcmp(buf, kText, n) == 0;
  printf("write out.txt: %s\n", same ? "ok" : "read back differs");
  if (!same) g_bad = 1;
}

static int by_name(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

static void list_inside(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) {
    printf("list: errno=%d (%s)\n", errno, strerror(errno));
    g_bad = 1;
    return;
  }
  char* names[64];
  size_t count = 0;
  struct dirent* e;
  while ((e = readdir(d)) && count < 64) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    names[count++] = strdup(e->d_name);
  }
  closedir(d);
  // Directory order is the file system's; sorted, hosts compare equal.
  qsort(names, count, sizeof names[0], by_name);
  printf("list:");
  for (size_t i = 0; i < count; ++i) {
    printf(" %s", names[i]);
    free(names[i]);
  }
  printf("\n");
}

static void mkdir_inside(const char* dir) {
  char path[512];
  join(path, sizeof path, dir, "newdir");
  if (mkdir(path, 0755) != 0) {
    printf("mkdir newdir: errno=%d (%s)\n", errno, strerror(errno));
    g_bad = 1;
    return;
  }
  struct stat st;
  join(path, sizeof path, dir, "sub/nested.txt");
  printf("mkdir newdir: ok; stat sub/nested.txt: %s\n",
         stat(path, &st) == 0 && S_ISREG(st.st_mode) ? "regular file" : strerror(errno));
}

// An escape must fail; what matters is that it does and with which errno.
static void escape(const char* label, const char* path, const char* mode) {
  errno = 0;
  FILE* f = fopen(path, mode);
  if (f) {
    char buf[64] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    printf("escape %s: OPENED (%zu bytes read)\n", label, n);
    g_bad = 1;
    return;
  }
  printf("escape %s: errno=%d (%s)\n", label, errno, strerror(errno));
}

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "/data";
  read_inside(dir);
  write_inside(dir);
  list_inside(dir);
  mkdir_inside(dir);
  char path[512];
  join(path, sizeof path, dir, "../outside/secret.txt");
  escape("dotdot", path, "r");
  join(path, sizeof path, dir, "../outside/new.txt");
  escape("dotdot-create", path, "w");
  escape("absolute", "/etc/passwd", "r");
  join(path, sizeof path, dir, "link_out");
  escape("symlink", path, "r");
  join(path, sizeof path, dir, "abs_link");
  escape("abs-symlink", path, "r");
  printf("files %s\n", g_bad ? "FAILED" : "ok");
  return g_bad;
}
