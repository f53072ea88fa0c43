/* auth: a component exporting example:auth/verify. check(token) verifies an
 * HS256 JWT — the HMAC-SHA256 signature with the secret in $JWT_SECRET, the
 * "exp" claim against wasi:clocks/wall-clock — and returns its "sub" claim.
 * The JWT primitives are examples/common/jwt_hs256.h, shared with
 * examples/jwt-auth (the same check as a proxy-wasm filter).
 *
 * Canonical ABI of the export (written by hand):
 *   example:auth/verify#check(ptr: i32, len: i32) -> i32
 * returns a pointer to result<string, string>: [0] u8 0 ok / 1 err,
 * [4] ptr, [8] len of the string; cabi_post_example:auth/verify#check frees
 * it once the caller has lifted it. The argument string belongs to us. */
#include <stdlib.h>
#include <string.h>

#include "wasi_http.h" /* cabi_realloc, wall-clock */

enum { kMaxTokenBytes = 8192, kMaxSecretBytes = 4096 };

#include "../common/jwt_hs256.h"

/* ---------------- check ---------------- */

static char* copy(const char* s, size_t n) {
  char* out = malloc(n + 1);
  if (!out) abort();
  memcpy(out, s, n);
  out[n] = '\0';
  return out;
}

/* NULL and *subject set (owned) if the token is acceptable, else the reason. */
static const char* verify(const char* token, size_t size, char** subject) {
  const char* secret = getenv("JWT_SECRET");
  if (secret == NULL || secret[0] == 0 || strlen(secret) > kMaxSecretBytes) {
    return "JWT_SECRET is unset, empty or too long";
  }
  if (size == 0) return "empty token";
  if (size > kMaxTokenBytes) return "token too long";
  const char* dot1 = memchr(token, '.', size);
  if (dot1 == NULL) return "malformed token";
  const char* dot2 = memchr(dot1 + 1, '.', size - (size_t)(dot1 + 1 - token));
  if (dot2 == NULL) return "malformed token";
  if (memchr(dot2 + 1, '.', size - (size_t)(dot2 + 1 - token)) != NULL) return "malformed token";

  static uint8_t header[kMaxTokenBytes], payload[kMaxTokenBytes];
  uint8_t signature[64] = {0};
  long header_size = b64url_decode(token, (size_t)(dot1 - token), header, sizeof header);
  long payload_size = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), payload, sizeof payload);
  long signature_size =
      b64url_decode(dot2 + 1, size - (size_t)(dot2 + 1 - token), signature, sizeof signature);
  if (header_size < 0 || payload_size < 0 || signature_size < 0) return "malformed token";

  /* Only HS256: a token must not pick its own (weaker) algorithm. */
  const char* alg;
  size_t alg_size;
  if (!json_member((const char*)header, (size_t)header_size, "alg", &alg, &alg_size) ||
      alg_size != 5 || memcmp(alg, "HS256", 5) != 0) {
    return "unsupported token algorithm";
  }
  uint8_t expected[32];
  hmac_sha256((const uint8_t*)secret, strlen(secret), (const uint8_t*)token, (size_t)(dot2 - token),
              expected);
  uint8_t diff = signature_size == 32 ? 0 : 1;
  for (int i = 0; i < 32; ++i) diff |= (uint8_t)(expected[i] ^ signature[i]);
  if (diff != 0) return "invalid token signature";

  const char* exp;
  size_t exp_size;
  if (!json_member((const char*)payload, (size_t)payload_size, "exp", &exp, &exp_size)) {
    return "token has no exp";
  }
  uint64_t expiry = 0;
  size_t digits = 0;
  while (digits < exp_size && exp[digits] >= '0' && exp[digits] <= '9') {
    if (expiry > 100000000000000ull) return "invalid exp";
    expiry = expiry * 10 + (uint64_t)(exp[digits] - '0');
    ++digits;
  }
  if (digits == 0 || (digits < exp_size && exp[digits] != '.')) return "invalid exp";
  if (wasi_clocks_wall_clock_now(NULL) >= expiry) return "token expired";

  /* sub must be a JSON string; escapes are refused rather than decoded. */
  const char* sub;
  size_t sub_size;
  if (!json_member((const char*)payload, (size_t)payload_size, "sub", &sub, &sub_size) ||
      sub <= (const char*)payload || sub[-1] != '"' || sub_size == 0 ||
      memchr(sub, '\\', sub_size) != NULL) {
    return "token has no plain string sub";
  }
  *subject = copy(sub, sub_size);
  return NULL;
}

static _Alignas(4) uint8_t g_ret[12];

__attribute__((export_name("example:auth/verify#check"))) uint8_t* check(char* token, size_t len) {
  char* subject = NULL;
  const char* reason = verify(token, len, &subject);
  if (len > 0) free(token);
  char* out = reason ? copy(reason, strlen(reason)) : subject;
  uint32_t ptr = (uint32_t)(uintptr_t)out, size = (uint32_t)strlen(out);
  g_ret[0] = reason ? 1 : 0;
  memcpy(g_ret + 4, &ptr, 4);
  memcpy(g_ret + 8, &size, 4);
  return g_ret;
}

__attribute__((export_name("cabi_post_example:auth/verify#check"))) void check_post(uint8_t* ret) {
  uint32_t ptr;
  memcpy(&ptr, ret + 4, 4);
  free((void*)(uintptr_t)ptr);
}
