// Recursive Fibonacci: call-heavy, exercises call/return and i32 arithmetic.
// Usage: fib [n]   (default n = 41)
#include <stdio.h>
#include <stdlib.h>

// noinline keeps the compiler from turning the recursion into a loop.
__attribute__((noinline)) static unsigned fib(unsigned n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char** argv) {
  unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 41;
  printf("fib(%u) = %u\n", n, fib(n));
  return 0;
}
