// Test guest: prints its environment, then echoes stdin.
#include <stdio.h>

extern char** environ;

int main(void) {
  printf("Content-Type: text/plain\nX-Guest: env\n\n");
  for (char** e = environ; *e; ++e) printf("%s\n", *e);
  printf("BODY=");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, stdout);
  printf("\n");
  return 0;
}
