// The guest of tests/cli/wasi_run.sh: `weft run` flags seen from inside.
// Usage: cli_run COMMAND [ARGS...]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char** environ;

__attribute__((export_name("add"))) int add(int a, int b) { return a + b; }

int main(int argc, char** argv) {
  const char* command = argc > 1 ? argv[1] : "";
  if (strcmp(command, "args") == 0) {
    for (int i = 0; i < argc; ++i) printf("arg %s\n", argv[i]);
  } else if (strcmp(command, "env") == 0) {
    for (char** e = environ; *e; ++e) printf("env %s\n", *e);
  } else if (strcmp(command, "cat") == 0 && argc > 2) {
    FILE* f = fopen(argv[2], "r");
    if (!f) {
      printf("cannot open %s\n", argv[2]);
      return 3;
    }
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf, f);
    fwrite(buf, 1, n, stdout);
    fclose(f);
  } else if (strcmp(command, "write") == 0 && argc > 3) {
    FILE* f = fopen(argv[2], "w");
    if (!f) {
      printf("cannot create %s\n", argv[2]);
      return 3;
    }
    fputs(argv[3], f);
    fclose(f);
  } else if (strcmp(command, "exit") == 0 && argc > 2) {
    exit(atoi(argv[2]));
  } else if (strcmp(command, "trap") == 0) {
    __builtin_trap();
  } else if (strcmp(command, "loop") == 0) {
    for (volatile unsigned i = 0;; ++i) {
    }
  } else if (strcmp(command, "sleep") == 0) {
    sleep(100);
  } else if (strcmp(command, "alloc") == 0 && argc > 2) {
    // volatile: otherwise the compiler may assume malloc succeeds.
    char* volatile p = malloc((size_t)atoi(argv[2]) << 20);
    if (p) p[0] = 1;
    printf(p ? "alloc ok\n" : "alloc failed\n");
  } else {
    printf("unknown command\n");
    return 2;
  }
  return 0;
}
