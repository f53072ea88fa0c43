/* handler: the composition's front, a wasi:http component that imports the
 * auth and store components' interfaces (weft links them from weft.toml's
 * [service.api.dependencies]).
 *
 *   GET  /health        → 200 "ok" (no token needed)
 *   GET  /kv/KEY        → 200 the value (text/plain) | 404 {"error":"no such key"}
 *   PUT  /kv/KEY  BODY  → 200 {"key":KEY,"value":<read back with get>,"subject":SUB}
 *   other /kv methods   → 405; other paths → 404
 * /kv/ needs "Authorization: Bearer JWT": auth's check() must accept it
 * (401 {"error":REASON} and www-authenticate: Bearer otherwise); its subject
 * is echoed in x-weft-subject. A store error answers 502 {"error":...}.
 * Bodies are at most 1 MiB (413 beyond).
 *
 * The two imports, lowered by hand:
 *   example:auth/verify.check(ptr, len, ret)    result<string, string>
 *     ret: [0] u8 ok/err, [4] ptr, [8] len
 *   example:store/kv@0.1.0.get(ptr, len, ret)   result<option<string>, string>
 *     ret: [0] u8 ok/err; ok: [4] u8 none/some, [8] ptr, [12] len; err: [4] ptr, [8] len
 *   example:store/kv@0.1.0.set(kptr, klen, vptr, vlen, ret)  result<_, string>
 *     ret: [0] u8 ok/err, [4] ptr, [8] len */
#include <stdlib.h>
#include <string.h>

#include "wasi_http.h"

__attribute__((import_module("example:auth/verify"),
               import_name("check"))) extern void imp_check(int32_t, int32_t, int32_t);
__attribute__((import_module("example:store/kv@0.1.0"),
               import_name("get"))) extern void imp_get(int32_t, int32_t, int32_t);
__attribute__((import_module("example:store/kv@0.1.0"),
               import_name("set"))) extern void imp_set(int32_t, int32_t, int32_t, int32_t,
                                                        int32_t);

enum { kMaxBody = 1 << 20 };

typedef struct {
  _Alignas(4) uint8_t b[16];
} ret16;

static int32_t addr(const void* p) { return (int32_t)(uintptr_t)p; }

/* 0 ok with *out, 1 err with *out (both owned). */
static int check(const char* token, char** out) {
  ret16 r;
  imp_check(addr(token), (int32_t)strlen(token), addr(r.b));
  int d = wasi_abi_disc(r.b, 2);
  *out = wasi_abi_take_string(wasi_abi_load_u32(r.b + 4), wasi_abi_load_u32(r.b + 8), NULL);
  return d;
}

/* 0 ok (*value NULL: none), 1 err with *value the message. */
static int store_get(const char* key, char** value, size_t* len) {
  ret16 r;
  imp_get(addr(key), (int32_t)strlen(key), addr(r.b));
  *value = NULL;
  *len = 0;
  if (wasi_abi_disc(r.b, 2) == 1) {
    *value = wasi_abi_take_string(wasi_abi_load_u32(r.b + 4), wasi_abi_load_u32(r.b + 8), len);
    return 1;
  }
  if (wasi_abi_disc(r.b + 4, 2) == 1) {
    *value = wasi_abi_take_string(wasi_abi_load_u32(r.b + 8), wasi_abi_load_u32(r.b + 12), len);
  }
  return 0;
}

/* NULL ok, else the owned message. */
static char* store_set(const char* key, const char* value, size_t len) {
  ret16 r;
  imp_set(addr(key), (int32_t)strlen(key), addr(value), (int32_t)len, addr(r.b));
  if (wasi_abi_disc(r.b, 2) == 0) return NULL;
  return wasi_abi_take_string(wasi_abi_load_u32(r.b + 4), wasi_abi_load_u32(r.b + 8), NULL);
}

/* Writes S as a JSON string. */
static void json_string(wh_response* res, const char* s, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  wh_print(res, "\"");
  size_t start = 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)s[i];
    if (c != '"' && c != '\\' && c >= 0x20) continue;
    wh_write(res, s + start, i - start);
    char esc[7] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15], 0};
    if (c == '"' || c == '\\') esc[1] = (char)c, esc[2] = 0;
    wh_print(res, esc);
    start = i + 1;
  }
  wh_write(res, s + start, n - start);
  wh_print(res, "\"");
}

static void json_error(wh_response* res, uint16_t status, const char* message) {
  wh_status(res, status);
  wh_set_header(res, "content-type", "application/json");
  if (status == 401) wh_set_header(res, "www-authenticate", "Bearer");
  wh_print(res, "{\"error\":");
  json_string(res, message, strlen(message));
  wh_print(res, "}\n");
}

/* The whole body up to kMaxBody; NULL when longer or broken (*too_big says). */
static char* read_body(wh_request* req, size_t* len, int* too_big) {
  size_t cap = 4096, n = 0;
  char* buf = malloc(cap + 1);
  if (!buf) abort();
  *too_big = 0;
  for (;;) {
    if (n == cap) {
      if (cap >= kMaxBody) {
        *too_big = 1;
        free(buf);
        return NULL;
      }
      cap *= 2;
      char* grown = realloc(buf, cap + 1);
      if (!grown) abort();
      buf = grown;
    }
    long got = wh_read(req, buf + n, cap - n);
    if (got == 0) break;
    if (got < 0) {
      free(buf);
      return NULL;
    }
    n += (size_t)got;
  }
  if (n > kMaxBody) {
    *too_big = 1;
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static void kv(wh_request* req, wh_response* res, const char* key) {
  char* auth = wh_header(req, "authorization");
  if (!auth || strncmp(auth, "Bearer ", 7) != 0) {
    free(auth);
    json_error(res, 401, "missing bearer token");
    return;
  }
  char* subject;
  if (check(auth + 7, &subject) != 0) {
    json_error(res, 401, subject);
    free(subject);
    free(auth);
    return;
  }
  free(auth);
  wh_set_header(res, "x-weft-subject", subject);
  char* value;
  size_t len;
  if (wh_method(req) == WASI_HTTP_METHOD_GET) {
    if (store_get(key, &value, &len) != 0) {
      json_error(res, 502, value);
    } else if (!value) {
      json_error(res, 404, "no such key");
    } else {
      wh_respond(res, 200, "text/plain; charset=utf-8", value, len);
    }
    free(value);
  } else if (wh_method(req) == WASI_HTTP_METHOD_PUT) {
    int too_big;
    char* body = read_body(req, &len, &too_big);
    char* err = NULL;
    if (!body) {
      json_error(res, too_big ? 413 : 400, too_big ? "body over 1 MiB" : "request body broke off");
    } else if ((err = store_set(key, body, len)) != NULL) {
      json_error(res, 502, err);
    } else if (store_get(key, &value, &len) != 0 || !value) {
      json_error(res, 502, value ? value : "the store lost the value");
      free(value);
    } else {
      wh_set_header(res, "content-type", "application/json");
      wh_print(res, "{\"key\":");
      json_string(res, key, strlen(key));
      wh_print(res, ",\"value\":");
      json_string(res, value, len);
      wh_print(res, ",\"subject\":");
      json_string(res, subject, strlen(subject));
      wh_print(res, "}\n");
      free(value);
    }
    free(err);
    free(body);
  } else {
    wh_set_header(res, "allow", "GET, PUT");
    json_error(res, 405, "GET or PUT a key");
  }
  free(subject);
}

static void handle(wh_request* req, wh_response* res) {
  const char* path = wh_path(req);
  size_t plen = strcspn(path, "?");
  if (plen == 7 && strncmp(path, "/health", 7) == 0) {
    wh_respond(res, 200, "text/plain", "ok\n", 3);
  } else if (plen > 4 && strncmp(path, "/kv/", 4) == 0) {
    char* key = malloc(plen - 4 + 1);
    if (!key) abort();
    memcpy(key, path + 4, plen - 4);
    key[plen - 4] = '\0';
    kv(req, res, key);
    free(key);
  } else {
    json_error(res, 404, "no such route");
  }
}

WH_HANDLER(handle)
