// Test guest: traps (unreachable) after printing half a response.
#include <stdio.h>

__attribute__((noinline)) static void fail_deeply(int depth) {
  if (depth == 0) __builtin_trap();
  fail_deeply(depth - 1);
  printf("unreachable %d\n", depth);
}

int main(void) {
  printf("Content-Type: text/plain\n\n");
  fail_deeply(3);
  return 0;
}
