/* jwt-auth: a proxy-wasm filter that lets a request through only with a
 * valid HS256 JWT in "Authorization: Bearer <token>" — signature checked
 * with HMAC-SHA256, "exp" checked against the host clock. Anything else is
 * answered with 401 and {"error":"..."}.
 *
 * Configuration (plugin configuration, from weft.toml):
 *   {"secret_env": "JWT_SECRET"}
 * names the environment variable holding the secret. weft gives a filter a
 * WASI environment with exactly the variables its secret_env names, read
 * from weft's own environment; the filter reads it with getenv().
 *
 * Build: scripts/wasm-cc clang --target=wasm32-wasi -O2 -mexec-model=reactor
 *          -I sdk/proxy_wasm jwt_auth.c -o jwt_auth.wasm
 * (wasm-cc links without -O, so clang never runs wasm-opt and the name
 * section that trap backtraces use survives).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy_wasm.h"

PROXY_WASM_ABI_VERSION_0_2_1
PROXY_WASM_DEFAULT_ALLOCATOR

enum { kMaxTokenBytes = 8192, kMaxSecretBytes = 4096 };

static uint8_t g_secret[kMaxSecretBytes];
static size_t g_secret_size;
static int g_configured;

static void log_text(uint32_t level, const char* text) { proxy_log(level, text, strlen(text)); }

#include "../common/jwt_hs256.h"

/* ---------------- the filter ---------------- */

static void deny(const char* message) {
  char body[160];
  size_t size = 0;
  const char* prefix = "{\"error\":\"";
  memcpy(body, prefix, strlen(prefix));
  size += strlen(prefix);
  size_t m = strlen(message); /* messages are constants without quotes */
  if (m > 100) m = 100;
  memcpy(body + size, message, m);
  size += m;
  memcpy(body + size, "\"}", 2);
  size += 2;

  /* Two headers, pairs-serialized. */
  static const char* names[2] = {"content-type", "www-authenticate"};
  static const char* values[2] = {"application/json", "Bearer"};
  uint8_t headers[128];
  size_t h = 0;
  uint32_t count = 2;
  memcpy(headers + h, &count, 4);
  h += 4;
  for (int i = 0; i < 2; ++i) {
    uint32_t ks = (uint32_t)strlen(names[i]), vs = (uint32_t)strlen(values[i]);
    memcpy(headers + h, &ks, 4);
    memcpy(headers + h + 4, &vs, 4);
    h += 8;
  }
  for (int i = 0; i < 2; ++i) {
    size_t ks = strlen(names[i]) + 1, vs = strlen(values[i]) + 1;
    memcpy(headers + h, names[i], ks);
    h += ks;
    memcpy(headers + h, values[i], vs);
    h += vs;
  }
  proxy_send_local_response(401, "jwt_auth", 8, (const uint8_t*)body, size, headers, h, 0);
  log_text(PROXY_LOG_DEBUG, message);
}

/* Returns NULL if the token is acceptable, else the reason. */
static const char* check_token(const char* token, size_t size) {
  if (size == 0) return "empty bearer token";
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
  hmac_sha256(g_secret, g_secret_size, (const uint8_t*)token, (size_t)(dot2 - token), expected);
  uint8_t diff = signature_size == 32 ? 0 : 1;
  for (int i = 0; i < 32; ++i) diff |= (uint8_t)(expected[i] ^ signature[i % 64]);
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
  uint64_t now_ns = 0;
  if (proxy_get_current_time_nanoseconds(&now_ns) != PROXY_STATUS_OK) return "no clock";
  if (now_ns / 1000000000ull >= expiry) return "token expired";
  return NULL;
}

PROXY_WASM_EXPORT(proxy_on_context_create)
void on_context_create(uint32_t context_id, uint32_t parent_id) {
  (void)context_id;
  (void)parent_id;
}

PROXY_WASM_EXPORT(proxy_on_configure)
uint32_t on_configure(uint32_t context_id, uint32_t config_size) {
  (void)context_id;
  uint8_t* config = NULL;
  size_t size = 0;
  if (proxy_get_buffer_bytes(PROXY_BUFFER_PLUGIN_CONFIGURATION, 0, config_size, &config, &size) !=
      PROXY_STATUS_OK) {
    log_text(PROXY_LOG_ERROR, "jwt-auth: no plugin configuration");
    return 0;
  }
  const char* name;
  size_t name_size;
  char variable[128];
  int ok = json_member((const char*)config, size, "secret_env", &name, &name_size) &&
           name_size > 0 && name_size < sizeof variable;
  if (ok) {
    memcpy(variable, name, name_size);
    variable[name_size] = 0;
  }
  free(config);
  if (!ok) {
    log_text(PROXY_LOG_ERROR, "jwt-auth: configuration needs {\"secret_env\": \"VARIABLE\"}");
    return 0;
  }
  const char* secret = getenv(variable);
  if (secret == NULL || secret[0] == 0 || strlen(secret) > kMaxSecretBytes) {
    log_text(PROXY_LOG_ERROR, "jwt-auth: the secret_env variable is unset, empty or too long");
    return 0;
  }
  g_secret_size = strlen(secret);
  memcpy(g_secret, secret, g_secret_size);
  g_configured = 1;
  return 1;
}

PROXY_WASM_EXPORT(proxy_on_request_headers)
uint32_t on_request_headers(uint32_t context_id, uint32_t headers, uint32_t end_of_stream) {
  (void)context_id;
  (void)headers;
  (void)end_of_stream;
  if (!g_configured) {
    deny("authentication is not configured");
    return PROXY_ACTION_PAUSE;
  }
  char* value = NULL;
  size_t size = 0;
  if (proxy_get_header_map_value(PROXY_MAP_HTTP_REQUEST_HEADERS, "authorization", 13, &value,
                                 &size) != PROXY_STATUS_OK) {
    deny("missing bearer token");
    return PROXY_ACTION_PAUSE;
  }
  const char* reason = NULL;
  if (size < 7 || strncasecmp(value, "Bearer ", 7) != 0) {
    reason = "missing bearer token";
  } else {
    size_t start = 7;
    while (start < size && value[start] == ' ') ++start;
    reason = check_token(value + start, size - start);
  }
  free(value);
  if (reason != NULL) {
    deny(reason);
    return PROXY_ACTION_PAUSE;
  }
  return PROXY_ACTION_CONTINUE;
}
