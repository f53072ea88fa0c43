/* store: a component exporting example:store/kv@0.1.0 (get/set on string
 * keys and values).
 *
 * Without configuration it keeps the data in this instance's memory: it
 * lives as long as the instance, which under weft's per-request isolation
 * is one request. With STORE_URL=http://HOST:PORT[/PREFIX] in its
 * environment it keeps nothing itself and calls that server through
 * wasi:http/outgoing-handler: get = GET PREFIX/KEY (200: the body, 404:
 * none), set = PUT PREFIX/KEY with the value as body (any 2xx). The key is
 * percent-encoded into one path segment. The host must grant the origin
 * (weft.toml: allowed_outbound_hosts).
 *
 * Canonical ABI of the exports (by hand):
 *   get(kptr, klen) -> i32: result<option<string>, string> at the pointer:
 *     [0] u8 ok/err; ok: [4] u8 none/some, [8] ptr, [12] len; err: [4] ptr, [8] len
 *   set(kptr, klen, vptr, vlen) -> i32: result<_, string>: [0] u8, err: [4] ptr, [8] len
 * cabi_post_* free what the results point to; arguments belong to us. */
#include <stdlib.h>
#include <string.h>

#include "wasi_http.h"

enum { kMaxValueBytes = 1 << 20 };

static char* dup_n(const char* s, size_t n) {
  char* out = malloc(n + 1);
  if (!out) abort();
  if (n) memcpy(out, s, n);
  out[n] = '\0';
  return out;
}
static char* dup(const char* s) { return dup_n(s, strlen(s)); }

/* ---------------- in memory ---------------- */

typedef struct entry {
  char* key;
  size_t key_len;
  char* value;
  size_t value_len;
  struct entry* next;
} entry;
static entry* g_entries;

static entry* find(const char* key, size_t len) {
  for (entry* e = g_entries; e; e = e->next) {
    if (e->key_len == len && memcmp(e->key, key, len) == 0) return e;
  }
  return NULL;
}

/* ---------------- over HTTP ---------------- */

typedef struct {
  bool http; /* else https */
  char* authority;
  char* prefix; /* "" or "/path", no trailing slash */
} remote;

/* NULL: in memory. Else the parsed STORE_URL, or *bad names the problem. */
static const remote* store_remote(const char** bad) {
  static remote r;
  static int parsed; /* 0 not yet, 1 remote, 2 memory, 3 bad */
  static const char* why;
  if (!parsed) {
    const char* url = getenv("STORE_URL");
    parsed = 2;
    if (url && *url) {
      const char* rest = NULL;
      if (strncmp(url, "http://", 7) == 0) r.http = true, rest = url + 7;
      if (strncmp(url, "https://", 8) == 0) r.http = false, rest = url + 8;
      const char* slash = rest ? strchr(rest, '/') : NULL;
      size_t auth_len = rest ? (slash ? (size_t)(slash - rest) : strlen(rest)) : 0;
      if (!rest || auth_len == 0) {
        parsed = 3;
        why = "STORE_URL must be http://HOST:PORT[/PREFIX] or https://...";
      } else {
        r.authority = dup_n(rest, auth_len);
        const char* p = slash ? slash : "";
        size_t n = strlen(p);
        while (n > 0 && p[n - 1] == '/') --n;
        r.prefix = dup_n(p, n);
        parsed = 1;
      }
    }
  }
  if (parsed == 3) *bad = why;
  return parsed == 1 ? &r : NULL;
}

static char* path_for(const remote* r, const char* key, size_t len) {
  static const char kHex[] = "0123456789ABCDEF";
  size_t plen = strlen(r->prefix);
  char* out = malloc(plen + 1 + 3 * len + 1);
  if (!out) abort();
  memcpy(out, r->prefix, plen);
  size_t o = plen;
  out[o++] = '/';
  for (size_t i = 0; i < len; ++i) {
    unsigned char c = (unsigned char)key[i];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out[o++] = (char)c;
    } else {
      out[o++] = '%', out[o++] = kHex[c >> 4], out[o++] = kHex[c & 15];
    }
  }
  out[o] = '\0';
  return out;
}

static char* error_text(const char* what, const wasi_http_error_code* e) {
  const char* name = wasi_http_error_code_name(e->code);
  size_t n = strlen(what) + strlen(name) + (e->message ? strlen(e->message) : 0) + 8;
  char* out = malloc(n);
  if (!out) abort();
  strcpy(out, what);
  strcat(out, ": ");
  strcat(out, name);
  if (e->message) strcat(strcat(out, " "), e->message);
  return out;
}

/* One request: METHOD PREFIX/KEY with BODY (may be NULL). On success the
 * status and (for 200) the body, at most kMaxValueBytes, in *body; else an
 * owned error message. */
static char* call(const remote* r, wasi_http_method_tag method, const char* key, size_t key_len,
                  const char* body, size_t body_len, uint16_t* status, char** out_body,
                  size_t* out_len) {
  *out_body = NULL;
  *out_len = 0;
  wasi_http_fields headers = wasi_http_fields_new();
  if (body) {
    /* A content-length, not chunked: the value's size is known, and simple
     * servers (python's http.server) read only content-length bodies. */
    char length[24];
    size_t d = sizeof length;
    size_t n = body_len;
    do length[--d] = (char)('0' + n % 10);
    while ((n /= 10) != 0);
    const char* type = "text/plain; charset=utf-8";
    wasi_http_header_error herr;
    if (!wasi_http_fields_append(headers, "content-type", 12, (const uint8_t*)type, strlen(type),
                                 &herr) ||
        !wasi_http_fields_append(headers, "content-length", 14, (const uint8_t*)length + d,
                                 sizeof length - d, &herr)) {
      wasi_http_fields_drop(headers);
      return dup(wasi_http_header_error_name(herr));
    }
  }
  wasi_http_outgoing_request req = wasi_http_outgoing_request_new(headers);
  wasi_http_method m = {method, NULL, 0};
  char* path = path_for(r, key, key_len);
  bool ok = wasi_http_outgoing_request_set_method(req, &m) &&
            wasi_http_outgoing_request_set_scheme(
                req, true, r->http ? WASI_HTTP_SCHEME_HTTP : WASI_HTTP_SCHEME_HTTPS, NULL) &&
            wasi_http_outgoing_request_set_authority(req, r->authority, strlen(r->authority)) &&
            wasi_http_outgoing_request_set_path_with_query(req, path, strlen(path));
  free(path);
  /* Only a PUT has a body: a GET given an (empty) body stream would go out
   * chunked, which simple servers take for a second request. */
  wasi_http_outgoing_body out = {0};
  if (!ok || (body && !wasi_http_outgoing_request_body(req, &out))) {
    wasi_http_outgoing_request_drop(req);
    return dup("the host refused the request's method, scheme, authority or path");
  }
  /* handle first, then the body: hosts stream the body as it is written
   * (jco pipes it into the request; before handle it would sit in a 16 KiB
   * buffer and a bigger value would block forever). */
  wasi_http_future_incoming_response future;
  wasi_http_error_code err;
  if (!wasi_http_outgoing_handler_handle(req, &future, &err)) {
    if (body) wasi_http_outgoing_body_drop(out);
    char* msg = error_text("outbound request refused", &err);
    wasi_http_error_code_free(&err);
    return msg;
  }
  wasi_io_output_stream stream;
  char* failure = NULL;
  if (body && wasi_http_outgoing_body_write(out, &stream)) {
    if (wasi_io_output_stream_write_all(stream, body, body_len, NULL) != WASI_IO_STREAM_OK)
      failure = dup("writing the request body failed");
    wasi_io_output_stream_drop(stream);
  }
  wasi_http_fields none = {0};
  if (body && !wasi_http_outgoing_body_finish(out, false, none, &err)) {
    if (!failure) failure = error_text("finishing the request body", &err);
    wasi_http_error_code_free(&err);
  }
  wasi_http_incoming_response resp;
  wasi_http_future_status fs = wasi_http_future_incoming_response_wait(future, &resp, &err);
  wasi_http_future_incoming_response_drop(future);
  if (fs != WASI_HTTP_FUTURE_READY) {
    char* msg = fs == WASI_HTTP_FUTURE_FAILED ? error_text("outbound request failed", &err)
                                              : dup("outbound response already taken");
    if (fs == WASI_HTTP_FUTURE_FAILED) wasi_http_error_code_free(&err);
    free(failure);
    return msg;
  }
  if (failure) {
    wasi_http_incoming_response_drop(resp);
    return failure;
  }
  *status = wasi_http_incoming_response_status(resp);
  wasi_http_incoming_body in;
  wasi_io_input_stream is;
  if (*status == 200 && wasi_http_incoming_response_consume(resp, &in)) {
    if (wasi_http_incoming_body_stream(in, &is)) {
      size_t cap = 256, len = 0;
      char* buf = malloc(cap + 1);
      if (!buf) abort();
      for (;;) {
        wasi_bytes chunk;
        wasi_io_stream_status st = wasi_io_input_stream_blocking_read(is, 65536, &chunk, NULL);
        if (st == WASI_IO_STREAM_CLOSED) break;
        if (st != WASI_IO_STREAM_OK) {
          failure = dup("reading the store's answer failed");
          break;
        }
        if (len + chunk.len > kMaxValueBytes) {
          free(chunk.ptr);
          failure = dup("the store's answer is over 1 MiB");
          break;
        }
        if (len + chunk.len > cap) {
          while (len + chunk.len > cap) cap *= 2;
          char* grown = realloc(buf, cap + 1);
          if (!grown) abort();
          buf = grown;
        }
        if (chunk.len) memcpy(buf + len, chunk.ptr, chunk.len);
        len += chunk.len;
        free(chunk.ptr);
      }
      wasi_io_input_stream_drop(is);
      buf[len] = '\0';
      if (failure) {
        free(buf);
      } else {
        *out_body = buf;
        *out_len = len;
      }
    }
    wasi_http_future_trailers_drop(wasi_http_incoming_body_finish(in));
  }
  wasi_http_incoming_response_drop(resp);
  return failure;
}

/* ---------------- the exports ---------------- */

static _Alignas(4) uint8_t g_ret[16];

static void put32(uint8_t* p, const void* v) {
  uint32_t x = (uint32_t)(uintptr_t)v;
  memcpy(p, &x, 4);
}
static void put_len(uint8_t* p, size_t n) {
  uint32_t x = (uint32_t)n;
  memcpy(p, &x, 4);
}

__attribute__((export_name("example:store/kv@0.1.0#get"))) uint8_t* kv_get(char* key, size_t len) {
  const char* bad = NULL;
  const remote* r = store_remote(&bad);
  char* value = NULL;
  size_t value_len = 0;
  char* error = bad ? dup(bad) : NULL;
  if (!error && r) {
    uint16_t status = 0;
    error = call(r, WASI_HTTP_METHOD_GET, key, len, NULL, 0, &status, &value, &value_len);
    if (!error && status != 200 && status != 404) {
      error = dup("the store server answered an unexpected status");
    }
  } else if (!error) {
    const entry* e = find(key, len);
    if (e) value = dup_n(e->value, e->value_len), value_len = e->value_len;
  }
  if (len) free(key);
  memset(g_ret, 0, sizeof g_ret);
  if (error) {
    g_ret[0] = 1;
    put32(g_ret + 4, error);
    put_len(g_ret + 8, strlen(error));
  } else if (value) {
    g_ret[4] = 1;
    put32(g_ret + 8, value);
    put_len(g_ret + 12, value_len);
  }
  return g_ret;
}

__attribute__((export_name("cabi_post_example:store/kv@0.1.0#get"))) void kv_get_post(
    uint8_t* ret) {
  uint32_t p = 0;
  if (ret[0] == 1) {
    memcpy(&p, ret + 4, 4);
  } else if (ret[4] == 1) {
    memcpy(&p, ret + 8, 4);
  }
  free((void*)(uintptr_t)p);
}

__attribute__((export_name("example:store/kv@0.1.0#set"))) uint8_t* kv_set(char* key, size_t len,
                                                                           char* value,
                                                                           size_t value_len) {
  const char* bad = NULL;
  const remote* r = store_remote(&bad);
  char* error = bad ? dup(bad) : NULL;
  if (!error && value_len > kMaxValueBytes) error = dup("value over 1 MiB");
  if (!error && r) {
    uint16_t status = 0;
    char* ignored;
    size_t ignored_len;
    error =
        call(r, WASI_HTTP_METHOD_PUT, key, len, value, value_len, &status, &ignored, &ignored_len);
    free(ignored);
    if (!error && (status < 200 || status > 299)) error = dup("the store server refused the set");
  } else if (!error) {
    entry* e = find(key, len);
    if (!e) {
      e = calloc(1, sizeof *e);
      if (!e) abort();
      e->key = dup_n(key, len);
      e->key_len = len;
      e->next = g_entries;
      g_entries = e;
    } else {
      free(e->value);
    }
    e->value = dup_n(value, value_len);
    e->value_len = value_len;
  }
  if (len) free(key);
  if (value_len) free(value);
  memset(g_ret, 0, sizeof g_ret);
  if (error) {
    g_ret[0] = 1;
    put32(g_ret + 4, error);
    put_len(g_ret + 8, strlen(error));
  }
  return g_ret;
}

__attribute__((export_name("cabi_post_example:store/kv@0.1.0#set"))) void kv_set_post(
    uint8_t* ret) {
  uint32_t p = 0;
  if (ret[0] == 1) memcpy(&p, ret + 4, 4);
  free((void*)(uintptr_t)p);
}
