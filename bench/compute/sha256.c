// SHA-256 over a generated buffer: 32-bit rotates, adds and loads.
// Usage: sha256 [megabytes]   (default 96): hashes a 1 MiB generated buffer
// that many times, chaining each digest into the next buffer so no pass can
// be skipped.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

typedef struct {
  uint32_t state[8];
  uint64_t length;
  uint8_t block[64];
  size_t used;
} Sha256;

static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_init(Sha256* s) {
  static const uint32_t kInit[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->state, kInit, sizeof kInit);
  s->length = 0;
  s->used = 0;
}

static void sha256_block(uint32_t* state, const uint8_t* p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 =
        h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kRound[i] + w[i];
    uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

static void sha256_update(Sha256* s, const uint8_t* data, size_t len) {
  s->length += len;
  while (len > 0) {
    if (s->used == 0 && len >= 64) {
      sha256_block(s->state, data);
      data += 64;
      len -= 64;
      continue;
    }
    size_t take = 64 - s->used < len ? 64 - s->used : len;
    memcpy(s->block + s->used, data, take);
    s->used += take;
    data += take;
    len -= take;
    if (s->used == 64) {
      sha256_block(s->state, s->block);
      s->used = 0;
    }
  }
}

static void sha256_final(Sha256* s, uint8_t out[32]) {
  uint64_t bits = s->length * 8;
  uint8_t pad[72] = {0x80};
  size_t pad_len = (s->used < 56 ? 56 : 120) - s->used;
  for (int i = 0; i < 8; i++) pad[pad_len + i] = (uint8_t)(bits >> (56 - 8 * i));
  sha256_update(s, pad, pad_len + 8);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(s->state[i] >> 24);
    out[4 * i + 1] = (uint8_t)(s->state[i] >> 16);
    out[4 * i + 2] = (uint8_t)(s->state[i] >> 8);
    out[4 * i + 3] = (uint8_t)s->state[i];
  }
}

static void print_hex(const char* label, const uint8_t* digest) {
  printf("%s", label);
  for (int i = 0; i < 32; i++) printf("%02x", digest[i]);
  printf("\n");
}

int main(int argc, char** argv) {
  unsigned megabytes = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 96;
  enum { kBufferSize = 1 << 20 };
  uint8_t* buffer = malloc(kBufferSize);
  if (!buffer) return 1;

  // Known-answer check so a broken engine cannot pass by being consistent.
  Sha256 ctx;
  uint8_t digest[32];
  sha256_init(&ctx);
  sha256_update(&ctx, (const uint8_t*)"abc", 3);
  sha256_final(&ctx, digest);
  print_hex("sha256(abc) = ", digest);

  uint32_t seed = 0x12345678;
  for (size_t i = 0; i < kBufferSize; i++) {
    seed = seed * 1664525u + 1013904223u;
    buffer[i] = (uint8_t)(seed >> 24);
  }
  sha256_init(&ctx);
  for (unsigned pass = 0; pass < megabytes; pass++) {
    Sha256 inner;
    sha256_init(&inner);
    sha256_update(&inner, buffer, kBufferSize);
    sha256_final(&inner, digest);
    memcpy(buffer + (pass * 32) % (kBufferSize - 32), digest, 32);  // chain the passes
    sha256_update(&ctx, digest, 32);
  }
  sha256_final(&ctx, digest);
  printf("sha256 of %u MiB: ", megabytes);
  print_hex("", digest);
  free(buffer);
  return 0;
}
