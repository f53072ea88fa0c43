/* What an HS256 JWT check needs, shared by examples/jwt-auth (a proxy-wasm
 * filter) and examples/compose's auth component: SHA-256 (FIPS 180-4),
 * HMAC-SHA256 (RFC 2104), base64url decoding and a JSON member lookup that
 * is enough for a JWT header or payload. Written for small guests: no
 * allocation, every length checked. Included, not linked, by each guest:
 * the functions are static. */
#ifndef WEFT_EXAMPLES_JWT_HS256_H
#define WEFT_EXAMPLES_JWT_HS256_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---------------- SHA-256 (FIPS 180-4) and HMAC ---------------- */

typedef struct {
  uint32_t state[8];
  uint64_t length; /* bytes hashed so far */
  uint8_t block[64];
  size_t used;
} sha256_t;
static const uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(sha256_t* s, const uint8_t* p) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i) {
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           (uint32_t)p[4 * i + 3];
  }
  for (int i = 16; i < 64; ++i) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = s->state[0], b = s->state[1], c = s->state[2], d = s->state[3];
  uint32_t e = s->state[4], f = s->state[5], g = s->state[6], h = s->state[7];
  for (int i = 0; i < 64; ++i) {
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
  s->state[0] += a;
  s->state[1] += b;
  s->state[2] += c;
  s->state[3] += d;
  s->state[4] += e;
  s->state[5] += f;
  s->state[6] += g;
  s->state[7] += h;
}

static void sha256_init(sha256_t* s) {
  static const uint32_t kInit[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->state, kInit, sizeof kInit);
  s->length = 0;
  s->used = 0;
}

static void sha256_update(sha256_t* s, const uint8_t* data, size_t size) {
  s->length += size;
  while (size > 0) {
    size_t take = 64 - s->used;
    if (take > size) take = size;
    memcpy(s->block + s->used, data, take);
    s->used += take;
    data += take;
    size -= take;
    if (s->used == 64) {
      sha256_block(s, s->block);
      s->used = 0;
    }
  }
}

static void sha256_final(sha256_t* s, uint8_t out[32]) {
  uint64_t bits = s->length * 8;
  uint8_t pad = 0x80;
  sha256_update(s, &pad, 1);
  pad = 0;
  while (s->used != 56) sha256_update(s, &pad, 1);
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = (uint8_t)(bits >> (56 - 8 * i));
  sha256_update(s, length, 8);
  for (int i = 0; i < 8; ++i) {
    out[4 * i] = (uint8_t)(s->state[i] >> 24);
    out[4 * i + 1] = (uint8_t)(s->state[i] >> 16);
    out[4 * i + 2] = (uint8_t)(s->state[i] >> 8);
    out[4 * i + 3] = (uint8_t)s->state[i];
  }
}

/* HMAC-SHA256 (RFC 2104). */
static void hmac_sha256(const uint8_t* key, size_t key_size, const uint8_t* data, size_t size,
                        uint8_t out[32]) {
  uint8_t block[64] = {0};
  if (key_size > 64) {
    sha256_t s;
    sha256_init(&s);
    sha256_update(&s, key, key_size);
    sha256_final(&s, block);
  } else {
    memcpy(block, key, key_size);
  }
  uint8_t pad[64];
  for (int i = 0; i < 64; ++i) pad[i] = block[i] ^ 0x36;
  sha256_t inner;
  sha256_init(&inner);
  sha256_update(&inner, pad, 64);
  sha256_update(&inner, data, size);
  uint8_t inner_hash[32];
  sha256_final(&inner, inner_hash);
  for (int i = 0; i < 64; ++i) pad[i] = block[i] ^ 0x5c;
  sha256_t outer;
  sha256_init(&outer);
  sha256_update(&outer, pad, 64);
  sha256_update(&outer, inner_hash, 32);
  sha256_final(&outer, out);
}

/* ---------------- base64url (RFC 4648 §5, no padding) ---------------- */

static int b64url_value(uint8_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

/* Decodes into out (capacity cap); returns the size, or -1 if malformed. */
static long b64url_decode(const char* in, size_t size, uint8_t* out, size_t cap) {
  if (size % 4 == 1) return -1;
  size_t produced = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < size; ++i) {
    int v = b64url_value((uint8_t)in[i]);
    if (v < 0) return -1;
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (produced >= cap) return -1;
      out[produced++] = (uint8_t)(acc >> bits);
    }
  }
  return (long)produced;
}

/* ---------------- a minimal JSON object scan ---------------- */

static size_t skip_ws(const char* s, size_t n, size_t i) {
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

/* i at an opening quote; returns the index after the closing quote, or 0. */
static size_t skip_string(const char* s, size_t n, size_t i) {
  for (++i; i < n; ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return 0;
}

/* Skips one JSON value starting at i; returns the index after it, or 0. */
static size_t skip_value(const char* s, size_t n, size_t i) {
  if (i >= n) return 0;
  if (s[i] == '"') return skip_string(s, n, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < n) {
      if (s[i] == '"') {
        i = skip_string(s, n, i);
        if (i == 0) return 0;
        continue;
      }
      if (s[i] == '{' || s[i] == '[') ++depth;
      if (s[i] == '}' || s[i] == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return 0;
  }
  size_t start = i;
  while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' &&
         s[i] != '\n' && s[i] != '\r') {
    ++i;
  }
  return i > start ? i : 0;
}

/* Finds top-level member `key` of the JSON object in s; sets the value's raw
 * text (strings without their quotes). Returns 1 if found. */
static int json_member(const char* s, size_t n, const char* key, const char** value,
                       size_t* value_size) {
  size_t key_size = strlen(key);
  size_t i = skip_ws(s, n, 0);
  if (i >= n || s[i] != '{') return 0;
  i = skip_ws(s, n, i + 1);
  if (i < n && s[i] == '}') return 0;
  while (i < n) {
    if (s[i] != '"') return 0;
    size_t key_end = skip_string(s, n, i);
    if (key_end == 0) return 0;
    int match = key_end - i - 2 == key_size && memcmp(s + i + 1, key, key_size) == 0;
    i = skip_ws(s, n, key_end);
    if (i >= n || s[i] != ':') return 0;
    i = skip_ws(s, n, i + 1);
    size_t end = skip_value(s, n, i);
    if (end == 0) return 0;
    if (match) {
      if (s[i] == '"') {
        *value = s + i + 1;
        *value_size = end - i - 2;
      } else {
        *value = s + i;
        *value_size = end - i;
      }
      return 1;
    }
    i = skip_ws(s, n, end);
    if (i < n && s[i] == ',') {
      i = skip_ws(s, n, i + 1);
      continue;
    }
    return 0;
  }
  return 0;
}

#endif
