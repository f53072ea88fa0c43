// Prints its arguments and a fixed set of variables, then how many variables
// it sees in all: a host that leaks its own environment shows up in that
// count.
#include <stdio.h>
#include <stdlib.h>

extern char** environ;

int main(int argc, char** argv) {
  printf("argc=%d\n", argc);
  // argv[0] is the host's to choose (jco passes the file's stem, weft run
  // the path it was given): a comparison of hosts treats that line apart.
  for (int i = 0; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
  const char* names[] = {"FIXTURE_GREETING", "FIXTURE_EMPTY", "FIXTURE_UNSET"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i) {
    const char* value = getenv(names[i]);
    if (value) {
      printf("%s=%s\n", names[i], value);
    } else {
      printf("%s unset\n", names[i]);
    }
  }
  int count = 0;
  for (char** e = environ; *e; ++e) ++count;
  printf("environ count=%d\n", count);
  return 0;
}
