// Traps (wasm `unreachable`) after a line on stdout, which a host must not
// lose: stdout is flushed before the trap.
#include <stdio.h>

int main(void) {
  puts("before the trap");
  fflush(stdout);
  __builtin_trap();
}
