// Dense matrix multiply (i-k-j order): f64 multiply-add over arrays,
// bounds-checked loads/stores in wasm. Usage: matmul [n]   (default 600)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 600;
  if (n == 0) n = 1;
  double* a = malloc(sizeof(double) * n * n);
  double* b = malloc(sizeof(double) * n * n);
  double* c = calloc((size_t)n * n, sizeof(double));
  if (!a || !b || !c) return 1;

  // Small integers keep every product and sum exact, so the checksum is the
  // same under any evaluation order.
  uint32_t seed = 42;
  for (unsigned i = 0; i < n * n; i++) {
    seed = seed * 1103515245u + 12345u;
    a[i] = (double)((seed >> 16) % 17) - 8;
    seed = seed * 1103515245u + 12345u;
    b[i] = (double)((seed >> 16) % 13) - 6;
  }
  // Repeat so the default size runs long enough to time; each round adds
  // into c, so no round is dead code.
  unsigned rounds = 8;
  for (unsigned r = 0; r < rounds; r++) {
    for (unsigned i = 0; i < n; i++) {
      double* row = c + (size_t)i * n;
      for (unsigned k = 0; k < n; k++) {
        double aik = a[(size_t)i * n + k];
        const double* brow = b + (size_t)k * n;
        for (unsigned j = 0; j < n; j++) row[j] += aik * brow[j];
      }
    }
  }
  double trace = 0, sum = 0;
  for (unsigned i = 0; i < n; i++) trace += c[(size_t)i * n + i];
  for (unsigned i = 0; i < n * n; i++) sum += c[i] * (double)(i % 7 + 1);
  printf("matmul %ux%u x%u: trace = %.1f, weighted sum = %.1f\n", n, n, rounds, trace, sum);
  free(a);
  free(b);
  free(c);
  return 0;
}
