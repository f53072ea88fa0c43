// Exits with the code in argv[1] (0 without one), through exit() so that
// stdio is flushed first.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  const int code = argc > 1 ? atoi(argv[1]) : 0;
  printf("exiting with %d\n", code);
  exit(code);
}
