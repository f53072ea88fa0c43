// The smallest command component: one line on stdout, exit 0.
#include <stdio.h>

int main(void) {
  puts("hello from a component");
  return 0;
}
