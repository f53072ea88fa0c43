// Test guest: allocates until the memory limit stops it, then aborts.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char* volatile keep[4096];  // volatile: the allocations must really happen

int main(void) {
  for (int i = 0; i < 4096; ++i) {
    char* block = malloc(1 << 20);
    if (block == NULL) abort();
    memset(block, i, 1 << 20);
    keep[i] = block;
  }
  printf("Content-Type: text/plain\n\nno limit?\n");
  return 0;
}
