/* wasi_http.c — the canonical ABI for wasi:http 0.2, by hand (see wasi_http.h).
 *
 * How each import is lowered (the Component Model's canonical ABI, flat
 * form): resources are i32 handles; a function whose results flatten to more
 * than one value takes a trailing pointer to a "return area" that the host
 * fills with the result laid out in memory; strings and lists are (ptr, len)
 * pairs; variants are a discriminant followed by the join of their cases'
 * flat types. Each import's comment gives its WIT and, where the host writes
 * memory, the layout read back (byte offsets in the return area).
 *
 * Everything the host hands back is checked before use: discriminants
 * against their case counts, lists and strings against the bounds of linear
 * memory, a read's length against what was asked. A violation traps. */
#include "wasi_http.h"

#include <stdlib.h>
#include <string.h>

#define WH_IMPORT(module, name) \
  __attribute__((import_module(module "@" WASI_HTTP_VERSION_STRING), import_name(name)))
#define TYPES "wasi:http/types"
#define OUTGOING "wasi:http/outgoing-handler"
#define STREAMS "wasi:io/streams"
#define POLL "wasi:io/poll"
#define IOERROR "wasi:io/error"
#define WALL "wasi:clocks/wall-clock"

/* ---------------- the raw imports ---------------- */

/* fields */
WH_IMPORT(TYPES, "[constructor]fields") extern int32_t imp_fields_new(void);
/* from-list(entries: list<tuple<string, list<u8>>>) -> result<fields, header-error>
 * ret: [0] u8 disc, [4] ok: u32 handle | err: u8 header-error */
WH_IMPORT(TYPES, "[static]fields.from-list")
extern void imp_fields_from_list(int32_t, int32_t, int32_t);
/* get(name) -> list<list<u8>>; ret: [0] ptr, [4] len; elements (ptr, len) */
WH_IMPORT(TYPES, "[method]fields.get")
extern void imp_fields_get(int32_t, int32_t, int32_t, int32_t);
WH_IMPORT(TYPES, "[method]fields.has") extern int32_t imp_fields_has(int32_t, int32_t, int32_t);
/* set(name, list<list<u8>>) / append(name, list<u8>) / delete(name)
 *   -> result<_, header-error>; ret: [0] u8 disc, [1] u8 header-error */
WH_IMPORT(TYPES, "[method]fields.set")
extern void imp_fields_set(int32_t, int32_t, int32_t, int32_t, int32_t, int32_t);
WH_IMPORT(TYPES, "[method]fields.delete")
extern void imp_fields_delete(int32_t, int32_t, int32_t, int32_t);
WH_IMPORT(TYPES, "[method]fields.append")
extern void imp_fields_append(int32_t, int32_t, int32_t, int32_t, int32_t, int32_t);
/* entries() -> list<tuple<string, list<u8>>>; ret: [0] ptr, [4] len; 16-byte elements */
WH_IMPORT(TYPES, "[method]fields.entries") extern void imp_fields_entries(int32_t, int32_t);
WH_IMPORT(TYPES, "[method]fields.clone") extern int32_t imp_fields_clone(int32_t);
WH_IMPORT(TYPES, "[resource-drop]fields") extern void imp_fields_drop(int32_t);

/* incoming-request */
/* method() -> method; ret: [0] u8 disc (0..9), [4] ptr, [8] len of other(string) */
WH_IMPORT(TYPES, "[method]incoming-request.method") extern void imp_inreq_method(int32_t, int32_t);
/* path-with-query() / authority() -> option<string>; ret: [0] u8 disc, [4] ptr, [8] len */
WH_IMPORT(TYPES, "[method]incoming-request.path-with-query")
extern void imp_inreq_path(int32_t, int32_t);
WH_IMPORT(TYPES, "[method]incoming-request.authority")
extern void imp_inreq_authority(int32_t, int32_t);
/* scheme() -> option<scheme>; ret: [0] u8 option disc, [4] u8 scheme disc (0..2),
 * [8] ptr, [12] len of other(string) */
WH_IMPORT(TYPES, "[method]incoming-request.scheme") extern void imp_inreq_scheme(int32_t, int32_t);
WH_IMPORT(TYPES, "[method]incoming-request.headers") extern int32_t imp_inreq_headers(int32_t);
/* consume() -> result<incoming-body>; ret: [0] u8 disc, [4] u32 handle */
WH_IMPORT(TYPES, "[method]incoming-request.consume")
extern void imp_inreq_consume(int32_t, int32_t);
WH_IMPORT(TYPES, "[resource-drop]incoming-request") extern void imp_inreq_drop(int32_t);

/* incoming-body; stream() -> result<input-stream>: as consume */
WH_IMPORT(TYPES, "[method]incoming-body.stream") extern void imp_inbody_stream(int32_t, int32_t);
WH_IMPORT(TYPES, "[static]incoming-body.finish") extern int32_t imp_inbody_finish(int32_t);
WH_IMPORT(TYPES, "[resource-drop]incoming-body") extern void imp_inbody_drop(int32_t);
WH_IMPORT(TYPES, "[resource-drop]future-trailers") extern void imp_trailers_drop(int32_t);

/* outgoing-response */
WH_IMPORT(TYPES, "[constructor]outgoing-response") extern int32_t imp_outresp_new(int32_t);
/* set-status-code(u16) -> result: one flat i32, returned */
WH_IMPORT(TYPES, "[method]outgoing-response.set-status-code")
extern int32_t imp_outresp_status(int32_t, int32_t);
WH_IMPORT(TYPES, "[method]outgoing-response.headers") extern int32_t imp_outresp_headers(int32_t);
WH_IMPORT(TYPES, "[method]outgoing-response.body") extern void imp_outresp_body(int32_t, int32_t);
WH_IMPORT(TYPES, "[resource-drop]outgoing-response") extern void imp_outresp_drop(int32_t);

/* outgoing-body */
WH_IMPORT(TYPES, "[method]outgoing-body.write") extern void imp_outbody_write(int32_t, int32_t);
/* finish(this, option<trailers>) -> result<_, error-code>
 * params: this, option disc, trailers handle, ret; ret: [0] u8 disc, [8] error-code */
WH_IMPORT(TYPES, "[static]outgoing-body.finish")
extern void imp_outbody_finish(int32_t, int32_t, int32_t, int32_t);
WH_IMPORT(TYPES, "[resource-drop]outgoing-body") extern void imp_outbody_drop(int32_t);

/* response-outparam.set(param, result<outgoing-response, error-code>): nine flat
 * params, no return area. error-code flattens to [i32 disc, i32, i64, i32, i32,
 * i32, i32] (the join of its cases: option<u64> puts an i64 in slot 2), so the
 * result is [i32 disc, i32 (response | error disc), i32, i64, i32, i32, i32, i32]. */
WH_IMPORT(TYPES, "[static]response-outparam.set")
extern void imp_outparam_set(int32_t, int32_t, int32_t, int32_t, int64_t, int32_t, int32_t, int32_t,
                             int32_t);

/* outgoing-request */
WH_IMPORT(TYPES, "[constructor]outgoing-request") extern int32_t imp_outreq_new(int32_t);
/* set-method(method) -> result: params self, disc, ptr, len */
WH_IMPORT(TYPES, "[method]outgoing-request.set-method")
extern int32_t imp_outreq_set_method(int32_t, int32_t, int32_t, int32_t);
/* set-scheme(option<scheme>) -> result: self, option disc, scheme disc, ptr, len */
WH_IMPORT(TYPES, "[method]outgoing-request.set-scheme")
extern int32_t imp_outreq_set_scheme(int32_t, int32_t, int32_t, int32_t, int32_t);
/* set-authority / set-path-with-query(option<string>) -> result: self, disc, ptr, len */
WH_IMPORT(TYPES, "[method]outgoing-request.set-authority")
extern int32_t imp_outreq_set_authority(int32_t, int32_t, int32_t, int32_t);
WH_IMPORT(TYPES, "[method]outgoing-request.set-path-with-query")
extern int32_t imp_outreq_set_path(int32_t, int32_t, int32_t, int32_t);
WH_IMPORT(TYPES, "[method]outgoing-request.headers") extern int32_t imp_outreq_headers(int32_t);
WH_IMPORT(TYPES, "[method]outgoing-request.body") extern void imp_outreq_body(int32_t, int32_t);
WH_IMPORT(TYPES, "[resource-drop]outgoing-request") extern void imp_outreq_drop(int32_t);

/* outgoing-handler.handle(request, option<request-options>)
 *   -> result<future-incoming-response, error-code>
 * params: request, option disc, options handle, ret; ret: [0] u8 disc, [8] handle | error-code */
WH_IMPORT(OUTGOING, "handle") extern void imp_outgoing_handle(int32_t, int32_t, int32_t, int32_t);

/* future-incoming-response */
WH_IMPORT(TYPES, "[method]future-incoming-response.subscribe")
extern int32_t imp_future_subscribe(int32_t);
/* get() -> option<result<result<incoming-response, error-code>>>
 * ret: [0] option disc, [8] outer result disc, [16] inner result disc,
 *      [24] handle | error-code (56 bytes, align 8) */
WH_IMPORT(TYPES, "[method]future-incoming-response.get")
extern void imp_future_get(int32_t, int32_t);
WH_IMPORT(TYPES, "[resource-drop]future-incoming-response") extern void imp_future_drop(int32_t);

/* incoming-response */
WH_IMPORT(TYPES, "[method]incoming-response.status") extern int32_t imp_inresp_status(int32_t);
WH_IMPORT(TYPES, "[method]incoming-response.headers") extern int32_t imp_inresp_headers(int32_t);
WH_IMPORT(TYPES, "[method]incoming-response.consume")
extern void imp_inresp_consume(int32_t, int32_t);
WH_IMPORT(TYPES, "[resource-drop]incoming-response") extern void imp_inresp_drop(int32_t);

/* wasi:io/streams */
/* read / blocking-read(len: u64) -> result<list<u8>, stream-error>
 * ret: [0] u8 disc; ok: [4] ptr, [8] len; err: [4] u8 stream-error disc
 * (0 last-operation-failed, 1 closed), [8] error handle */
WH_IMPORT(STREAMS, "[method]input-stream.read") extern void imp_in_read(int32_t, int64_t, int32_t);
WH_IMPORT(STREAMS, "[method]input-stream.blocking-read")
extern void imp_in_blocking_read(int32_t, int64_t, int32_t);
WH_IMPORT(STREAMS, "[method]input-stream.subscribe") extern int32_t imp_in_subscribe(int32_t);
WH_IMPORT(STREAMS, "[resource-drop]input-stream") extern void imp_in_drop(int32_t);
/* check-write() -> result<u64, stream-error>; ret: [0] u8 disc; ok: [8] u64;
 * err: [8] u8 stream-error disc, [12] error handle */
WH_IMPORT(STREAMS, "[method]output-stream.check-write")
extern void imp_out_check_write(int32_t, int32_t);
/* write / blocking-write-and-flush(list<u8>), flush(), blocking-flush()
 *   -> result<_, stream-error>; ret: [0] u8 disc, [4] u8 stream-error disc, [8] handle */
WH_IMPORT(STREAMS, "[method]output-stream.write")
extern void imp_out_write(int32_t, int32_t, int32_t, int32_t);
WH_IMPORT(STREAMS, "[method]output-stream.blocking-write-and-flush")
extern void imp_out_blocking_write_and_flush(int32_t, int32_t, int32_t, int32_t);
WH_IMPORT(STREAMS, "[method]output-stream.flush") extern void imp_out_flush(int32_t, int32_t);
WH_IMPORT(STREAMS, "[method]output-stream.blocking-flush")
extern void imp_out_blocking_flush(int32_t, int32_t);
WH_IMPORT(STREAMS, "[method]output-stream.subscribe") extern int32_t imp_out_subscribe(int32_t);
WH_IMPORT(STREAMS, "[resource-drop]output-stream") extern void imp_out_drop(int32_t);

/* wasi:io/poll, wasi:io/error */
WH_IMPORT(POLL, "[method]pollable.ready") extern int32_t imp_pollable_ready(int32_t);
WH_IMPORT(POLL, "[method]pollable.block") extern void imp_pollable_block(int32_t);
WH_IMPORT(POLL, "[resource-drop]pollable") extern void imp_pollable_drop(int32_t);
/* to-debug-string() -> string; ret: [0] ptr, [4] len */
WH_IMPORT(IOERROR, "[method]error.to-debug-string")
extern void imp_error_to_debug_string(int32_t, int32_t);
WH_IMPORT(IOERROR, "[resource-drop]error") extern void imp_error_drop(int32_t);

/* wasi:clocks/wall-clock.now() -> datetime; ret: [0] u64 seconds, [8] u32 nanoseconds */
WH_IMPORT(WALL, "now") extern void imp_wall_now(int32_t);

/* ---------------- memory the host hands back ---------------- */

static _Noreturn void host_broke_abi(void) { __builtin_trap(); }

/* The host fills these with the result; one call at a time. Align 8 covers
 * every layout here (error-code is the widest at align 8). */
typedef struct {
  _Alignas(8) uint8_t b[64];
} ret_area;

static int32_t addr(const void* p) { return (int32_t)(uintptr_t)p; }
static uint8_t ld8(const uint8_t* p) { return *p; }
static uint16_t ld16(const uint8_t* p) {
  uint16_t v;
  memcpy(&v, p, sizeof v);
  return v;
}
static uint32_t ld32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}
static uint64_t ld64(const uint8_t* p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* A discriminant of a variant with CASES cases, or a trap. */
static uint8_t disc(const uint8_t* p, uint8_t cases) {
  uint8_t d = ld8(p);
  if (d >= cases) host_broke_abi();
  return d;
}

/* [ptr, ptr + count * size) must lie in linear memory and be aligned. */
static void* span(uint32_t ptr, uint32_t count, uint32_t size, uint32_t align) {
  if (count == 0) return NULL;
  uint64_t mem = (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
  if (ptr % align != 0 || (uint64_t)ptr + (uint64_t)count * size > mem) host_broke_abi();
  return (void*)(uintptr_t)ptr;
}

/* A string the host allocated (with cabi_realloc), as an owned NUL-terminated
 * copy of the same block: realloc makes room for the NUL. */
static char* take_string(uint32_t ptr, uint32_t len, size_t* out_len) {
  char* s = span(ptr, len, 1, 1);
  char* owned = realloc(s, (size_t)len + 1);
  if (!owned) abort();
  owned[len] = '\0';
  if (out_len) *out_len = len;
  return owned;
}

static wasi_bytes take_bytes(uint32_t ptr, uint32_t len) {
  wasi_bytes b = {span(ptr, len, 1, 1), len};
  return b;
}

/* option<string> at P: [0] disc, [4] ptr, [8] len. */
static char* take_option_string(const uint8_t* p, size_t* len) {
  if (disc(p, 2) == 0) return NULL;
  return take_string(ld32(p + 4), ld32(p + 8), len);
}

/* error-code at E: [0] u8 case (39 cases), payload at [8]. */
static void take_error_code(const uint8_t* e, wasi_http_error_code* out) {
  wasi_http_error_code err = {disc(e, 39), NULL, false, 0};
  const uint8_t* p = e + 8;
  switch (err.code) {
    case WASI_HTTP_ERROR_DNS_ERROR: /* {rcode: option<string>, info-code: option<u16>} */
      err.message = take_option_string(p, NULL);
      if (disc(p + 12, 2)) err.has_number = true, err.number = ld16(p + 14);
      break;
    case WASI_HTTP_ERROR_TLS_ALERT_RECEIVED: /* {alert-id: option<u8>, alert-message:
                                                option<string>} */
      if (disc(p, 2)) err.has_number = true, err.number = ld8(p + 1);
      err.message = take_option_string(p + 4, NULL);
      break;
    case WASI_HTTP_ERROR_HTTP_REQUEST_HEADER_SIZE: /* option<field-size-payload> */
      if (disc(p, 2) == 0) break;
      p += 4;
      /* fall through: the payload at p */
    case WASI_HTTP_ERROR_HTTP_REQUEST_TRAILER_SIZE:
    case WASI_HTTP_ERROR_HTTP_RESPONSE_HEADER_SIZE:
    case WASI_HTTP_ERROR_HTTP_RESPONSE_TRAILER_SIZE:
      /* field-size-payload {field-name: option<string>, field-size: option<u32>} */
      err.message = take_option_string(p, NULL);
      if (disc(p + 12, 2)) err.has_number = true, err.number = ld32(p + 16);
      break;
    case WASI_HTTP_ERROR_HTTP_RESPONSE_TRANSFER_CODING:
    case WASI_HTTP_ERROR_HTTP_RESPONSE_CONTENT_CODING:
    case WASI_HTTP_ERROR_INTERNAL_ERROR: /* option<string> */
      err.message = take_option_string(p, NULL);
      break;
    case WASI_HTTP_ERROR_HTTP_REQUEST_BODY_SIZE:
    case WASI_HTTP_ERROR_HTTP_RESPONSE_BODY_SIZE: /* option<u64> */
      if (disc(p, 2)) err.has_number = true, err.number = ld64(p + 8);
      break;
    case WASI_HTTP_ERROR_HTTP_REQUEST_HEADER_SECTION_SIZE:
    case WASI_HTTP_ERROR_HTTP_REQUEST_TRAILER_SECTION_SIZE:
    case WASI_HTTP_ERROR_HTTP_RESPONSE_HEADER_SECTION_SIZE:
    case WASI_HTTP_ERROR_HTTP_RESPONSE_TRAILER_SECTION_SIZE: /* option<u32> */
      if (disc(p, 2)) err.has_number = true, err.number = ld32(p + 4);
      break;
    default:
      break;
  }
  if (out) {
    *out = err;
  } else {
    free(err.message);
  }
}

/* result<own<T>> (no error payload) at R: [0] disc, [4] handle. */
static bool take_result_handle(const uint8_t* r, uint32_t* out) {
  if (disc(r, 2) != 0) return false;
  *out = ld32(r + 4);
  return true;
}

/* A setter's `-> result`, returned flat. */
static bool flat_result(int32_t r) {
  if (r != 0 && r != 1) host_broke_abi();
  return r == 0;
}

/* stream-error at P: [0] disc, [4] error handle. */
static wasi_io_stream_status take_stream_error(const uint8_t* p, wasi_io_error* err) {
  if (disc(p, 2) == 1) return WASI_IO_STREAM_CLOSED;
  wasi_io_error e = {ld32(p + 4)};
  if (err) {
    *err = e;
  } else {
    imp_error_drop((int32_t)e.handle);
  }
  return WASI_IO_STREAM_FAILED;
}

/* result<_, header-error> at R: [0] disc, [1] header-error. */
static bool take_header_result(const uint8_t* r, wasi_http_header_error* err) {
  if (disc(r, 2) == 0) return true;
  wasi_http_header_error e = (wasi_http_header_error)disc(r + 1, 3);
  if (err) *err = e;
  return false;
}

/* The host calls this to place results (and, for exports, arguments) in
 * guest memory. malloc aligns to 16, more than the canonical ABI's widest
 * (8). Size 0 gets no block: the address `align` stands for it, and a
 * size-0 "block" passed back is never freed. */
__attribute__((export_name("cabi_realloc"))) void* cabi_realloc(void* ptr, size_t old_size,
                                                                size_t align, size_t new_size) {
  if (align == 0 || align > 16 || (align & (align - 1)) != 0) host_broke_abi();
  if (old_size == 0) ptr = NULL;
  if (new_size == 0) {
    free(ptr);
    return (void*)align;
  }
  void* p = realloc(ptr, new_size);
  if (!p) abort();
  return p;
}

uint8_t wasi_abi_disc(const uint8_t* p, uint8_t cases) { return disc(p, cases); }
char* wasi_abi_take_string(uint32_t ptr, uint32_t len, size_t* out_len) {
  return take_string(ptr, len, out_len);
}
uint32_t wasi_abi_load_u32(const uint8_t* p) { return ld32(p); }

/* ---------------- names ---------------- */

const char* wasi_http_error_code_name(uint8_t code) {
  static const char* const kNames[] = {"DNS-timeout",
                                       "DNS-error",
                                       "destination-not-found",
                                       "destination-unavailable",
                                       "destination-IP-prohibited",
                                       "destination-IP-unroutable",
                                       "connection-refused",
                                       "connection-terminated",
                                       "connection-timeout",
                                       "connection-read-timeout",
                                       "connection-write-timeout",
                                       "connection-limit-reached",
                                       "TLS-protocol-error",
                                       "TLS-certificate-error",
                                       "TLS-alert-received",
                                       "HTTP-request-denied",
                                       "HTTP-request-length-required",
                                       "HTTP-request-body-size",
                                       "HTTP-request-method-invalid",
                                       "HTTP-request-URI-invalid",
                                       "HTTP-request-URI-too-long",
                                       "HTTP-request-header-section-size",
                                       "HTTP-request-header-size",
                                       "HTTP-request-trailer-section-size",
                                       "HTTP-request-trailer-size",
                                       "HTTP-response-incomplete",
                                       "HTTP-response-header-section-size",
                                       "HTTP-response-header-size",
                                       "HTTP-response-body-size",
                                       "HTTP-response-trailer-section-size",
                                       "HTTP-response-trailer-size",
                                       "HTTP-response-transfer-coding",
                                       "HTTP-response-content-coding",
                                       "HTTP-response-timeout",
                                       "HTTP-upgrade-failed",
                                       "HTTP-protocol-error",
                                       "loop-detected",
                                       "configuration-error",
                                       "internal-error"};
  return code < sizeof kNames / sizeof kNames[0] ? kNames[code] : "unknown";
}

void wasi_http_error_code_free(wasi_http_error_code* err) {
  free(err->message);
  err->message = NULL;
}

const char* wasi_http_header_error_name(wasi_http_header_error err) {
  switch (err) {
    case WASI_HTTP_HEADER_ERROR_INVALID_SYNTAX:
      return "invalid-syntax";
    case WASI_HTTP_HEADER_ERROR_FORBIDDEN:
      return "forbidden";
    case WASI_HTTP_HEADER_ERROR_IMMUTABLE:
      return "immutable";
  }
  return "unknown";
}

/* ---------------- fields ---------------- */

wasi_http_fields wasi_http_fields_new(void) {
  wasi_http_fields f = {(uint32_t)imp_fields_new()};
  return f;
}

bool wasi_http_fields_from_list(const wasi_http_field* entries, size_t count, wasi_http_fields* out,
                                wasi_http_header_error* err) {
  ret_area r;
  imp_fields_from_list(addr(entries), (int32_t)count, addr(r.b));
  if (disc(r.b, 2) == 0) {
    out->handle = ld32(r.b + 4);
    return true;
  }
  wasi_http_header_error e = (wasi_http_header_error)disc(r.b + 4, 3);
  if (err) *err = e;
  return false;
}

void wasi_http_fields_get(wasi_http_fields f, const char* name, size_t name_len,
                          wasi_http_field_values* out) {
  ret_area r;
  imp_fields_get((int32_t)f.handle, addr(name), (int32_t)name_len, addr(r.b));
  uint32_t n = ld32(r.b + 4);
  wasi_bytes* values = span(ld32(r.b), n, sizeof(wasi_bytes), 4);
  for (uint32_t i = 0; i < n; ++i) {
    values[i] = take_bytes((uint32_t)(uintptr_t)values[i].ptr, (uint32_t)values[i].len);
  }
  out->ptr = values;
  out->len = n;
}

bool wasi_http_fields_has(wasi_http_fields f, const char* name, size_t name_len) {
  return imp_fields_has((int32_t)f.handle, addr(name), (int32_t)name_len) != 0;
}

bool wasi_http_fields_set(wasi_http_fields f, const char* name, size_t name_len,
                          const wasi_bytes* values, size_t count, wasi_http_header_error* err) {
  ret_area r;
  imp_fields_set((int32_t)f.handle, addr(name), (int32_t)name_len, addr(values), (int32_t)count,
                 addr(r.b));
  return take_header_result(r.b, err);
}

bool wasi_http_fields_delete(wasi_http_fields f, const char* name, size_t name_len,
                             wasi_http_header_error* err) {
  ret_area r;
  imp_fields_delete((int32_t)f.handle, addr(name), (int32_t)name_len, addr(r.b));
  return take_header_result(r.b, err);
}

bool wasi_http_fields_append(wasi_http_fields f, const char* name, size_t name_len,
                             const uint8_t* value, size_t value_len, wasi_http_header_error* err) {
  ret_area r;
  imp_fields_append((int32_t)f.handle, addr(name), (int32_t)name_len, addr(value),
                    (int32_t)value_len, addr(r.b));
  return take_header_result(r.b, err);
}

void wasi_http_fields_entries(wasi_http_fields f, wasi_http_field_list* out) {
  ret_area r;
  imp_fields_entries((int32_t)f.handle, addr(r.b));
  uint32_t n = ld32(r.b + 4);
  wasi_http_field* fields = span(ld32(r.b), n, sizeof(wasi_http_field), 4);
  for (uint32_t i = 0; i < n; ++i) {
    wasi_http_field* e = &fields[i];
    e->name = span((uint32_t)(uintptr_t)e->name, (uint32_t)e->name_len, 1, 1);
    e->value = span((uint32_t)(uintptr_t)e->value, (uint32_t)e->value_len, 1, 1);
  }
  out->ptr = fields;
  out->len = n;
}

wasi_http_fields wasi_http_fields_clone(wasi_http_fields f) {
  wasi_http_fields c = {(uint32_t)imp_fields_clone((int32_t)f.handle)};
  return c;
}

void wasi_http_fields_drop(wasi_http_fields f) { imp_fields_drop((int32_t)f.handle); }

void wasi_http_field_list_free(wasi_http_field_list* list) {
  for (size_t i = 0; i < list->len; ++i) {
    free((void*)list->ptr[i].name);
    free((void*)list->ptr[i].value);
  }
  free(list->ptr);
  list->ptr = NULL;
  list->len = 0;
}

void wasi_http_field_values_free(wasi_http_field_values* values) {
  for (size_t i = 0; i < values->len; ++i) free(values->ptr[i].ptr);
  free(values->ptr);
  values->ptr = NULL;
  values->len = 0;
}

/* ---------------- incoming-request ---------------- */

void wasi_http_incoming_request_method(wasi_http_incoming_request req, wasi_http_method* out) {
  ret_area r;
  imp_inreq_method((int32_t)req.handle, addr(r.b));
  out->tag = (wasi_http_method_tag)disc(r.b, 10);
  out->other = NULL;
  out->other_len = 0;
  if (out->tag == WASI_HTTP_METHOD_OTHER) {
    out->other = take_string(ld32(r.b + 4), ld32(r.b + 8), &out->other_len);
  }
}

bool wasi_http_incoming_request_path_with_query(wasi_http_incoming_request req, char** out,
                                                size_t* len) {
  ret_area r;
  imp_inreq_path((int32_t)req.handle, addr(r.b));
  *out = take_option_string(r.b, len);
  return *out != NULL;
}

bool wasi_http_incoming_request_authority(wasi_http_incoming_request req, char** out, size_t* len) {
  ret_area r;
  imp_inreq_authority((int32_t)req.handle, addr(r.b));
  *out = take_option_string(r.b, len);
  return *out != NULL;
}

bool wasi_http_incoming_request_scheme(wasi_http_incoming_request req, wasi_http_scheme_tag* tag,
                                       char** other) {
  ret_area r;
  imp_inreq_scheme((int32_t)req.handle, addr(r.b));
  *other = NULL;
  if (disc(r.b, 2) == 0) return false;
  *tag = (wasi_http_scheme_tag)disc(r.b + 4, 3);
  if (*tag == WASI_HTTP_SCHEME_OTHER) *other = take_string(ld32(r.b + 8), ld32(r.b + 12), NULL);
  return true;
}

wasi_http_fields wasi_http_incoming_request_headers(wasi_http_incoming_request req) {
  wasi_http_fields f = {(uint32_t)imp_inreq_headers((int32_t)req.handle)};
  return f;
}

bool wasi_http_incoming_request_consume(wasi_http_incoming_request req,
                                        wasi_http_incoming_body* out) {
  ret_area r;
  imp_inreq_consume((int32_t)req.handle, addr(r.b));
  return take_result_handle(r.b, &out->handle);
}

void wasi_http_incoming_request_drop(wasi_http_incoming_request req) {
  imp_inreq_drop((int32_t)req.handle);
}

/* ---------------- incoming-body ---------------- */

bool wasi_http_incoming_body_stream(wasi_http_incoming_body b, wasi_io_input_stream* out) {
  ret_area r;
  imp_inbody_stream((int32_t)b.handle, addr(r.b));
  return take_result_handle(r.b, &out->handle);
}

wasi_http_future_trailers wasi_http_incoming_body_finish(wasi_http_incoming_body b) {
  wasi_http_future_trailers t = {(uint32_t)imp_inbody_finish((int32_t)b.handle)};
  return t;
}

void wasi_http_incoming_body_drop(wasi_http_incoming_body b) { imp_inbody_drop((int32_t)b.handle); }

void wasi_http_future_trailers_drop(wasi_http_future_trailers t) {
  imp_trailers_drop((int32_t)t.handle);
}

/* ---------------- outgoing-response / body / outparam ---------------- */

wasi_http_outgoing_response wasi_http_outgoing_response_new(wasi_http_fields headers) {
  wasi_http_outgoing_response r = {(uint32_t)imp_outresp_new((int32_t)headers.handle)};
  return r;
}

bool wasi_http_outgoing_response_set_status_code(wasi_http_outgoing_response r, uint16_t status) {
  return flat_result(imp_outresp_status((int32_t)r.handle, status));
}

wasi_http_fields wasi_http_outgoing_response_headers(wasi_http_outgoing_response r) {
  wasi_http_fields f = {(uint32_t)imp_outresp_headers((int32_t)r.handle)};
  return f;
}

bool wasi_http_outgoing_response_body(wasi_http_outgoing_response resp,
                                      wasi_http_outgoing_body* out) {
  ret_area r;
  imp_outresp_body((int32_t)resp.handle, addr(r.b));
  return take_result_handle(r.b, &out->handle);
}

void wasi_http_outgoing_response_drop(wasi_http_outgoing_response r) {
  imp_outresp_drop((int32_t)r.handle);
}

bool wasi_http_outgoing_body_write(wasi_http_outgoing_body b, wasi_io_output_stream* out) {
  ret_area r;
  imp_outbody_write((int32_t)b.handle, addr(r.b));
  return take_result_handle(r.b, &out->handle);
}

bool wasi_http_outgoing_body_finish(wasi_http_outgoing_body b, bool has_trailers,
                                    wasi_http_fields trailers, wasi_http_error_code* err) {
  ret_area r;
  imp_outbody_finish((int32_t)b.handle, has_trailers ? 1 : 0,
                     has_trailers ? (int32_t)trailers.handle : 0, addr(r.b));
  if (disc(r.b, 2) == 0) return true;
  take_error_code(r.b + 8, err);
  return false;
}

void wasi_http_outgoing_body_drop(wasi_http_outgoing_body b) {
  imp_outbody_drop((int32_t)b.handle);
}

void wasi_http_response_outparam_set(wasi_http_response_outparam param,
                                     wasi_http_outgoing_response response) {
  imp_outparam_set((int32_t)param.handle, 0, (int32_t)response.handle, 0, 0, 0, 0, 0, 0);
}

void wasi_http_response_outparam_set_error(wasi_http_response_outparam param, uint8_t code,
                                           const char* message) {
  if (code > WASI_HTTP_ERROR_INTERNAL_ERROR) __builtin_trap();
  /* All-zero payload slots are a valid value of every case: each optional
   * field is none. internal-error(some(message)) puts the option's
   * discriminant, ptr and len in slots 0, 1 (the i64) and 2. */
  if (code == WASI_HTTP_ERROR_INTERNAL_ERROR && message) {
    imp_outparam_set((int32_t)param.handle, 1, code, 1, (int64_t)(uintptr_t)message,
                     (int32_t)strlen(message), 0, 0, 0);
  } else {
    imp_outparam_set((int32_t)param.handle, 1, code, 0, 0, 0, 0, 0, 0);
  }
}

/* ---------------- outgoing-request / handler ---------------- */

wasi_http_outgoing_request wasi_http_outgoing_request_new(wasi_http_fields headers) {
  wasi_http_outgoing_request r = {(uint32_t)imp_outreq_new((int32_t)headers.handle)};
  return r;
}

bool wasi_http_outgoing_request_set_method(wasi_http_outgoing_request r,
                                           const wasi_http_method* m) {
  if ((unsigned)m->tag > WASI_HTTP_METHOD_OTHER) __builtin_trap();
  bool other = m->tag == WASI_HTTP_METHOD_OTHER;
  return flat_result(imp_outreq_set_method((int32_t)r.handle, (int32_t)m->tag,
                                           other ? addr(m->other) : 0,
                                           other ? (int32_t)m->other_len : 0));
}

bool wasi_http_outgoing_request_set_scheme(wasi_http_outgoing_request r, bool has,
                                           wasi_http_scheme_tag tag, const char* other) {
  if (!has) return flat_result(imp_outreq_set_scheme((int32_t)r.handle, 0, 0, 0, 0));
  if ((unsigned)tag > WASI_HTTP_SCHEME_OTHER) __builtin_trap();
  bool o = tag == WASI_HTTP_SCHEME_OTHER;
  return flat_result(imp_outreq_set_scheme((int32_t)r.handle, 1, (int32_t)tag, o ? addr(other) : 0,
                                           o ? (int32_t)strlen(other) : 0));
}

bool wasi_http_outgoing_request_set_authority(wasi_http_outgoing_request r, const char* authority,
                                              size_t len) {
  return flat_result(imp_outreq_set_authority((int32_t)r.handle, authority ? 1 : 0, addr(authority),
                                              authority ? (int32_t)len : 0));
}

bool wasi_http_outgoing_request_set_path_with_query(wasi_http_outgoing_request r, const char* path,
                                                    size_t len) {
  return flat_result(
      imp_outreq_set_path((int32_t)r.handle, path ? 1 : 0, addr(path), path ? (int32_t)len : 0));
}

wasi_http_fields wasi_http_outgoing_request_headers(wasi_http_outgoing_request r) {
  wasi_http_fields f = {(uint32_t)imp_outreq_headers((int32_t)r.handle)};
  return f;
}

bool wasi_http_outgoing_request_body(wasi_http_outgoing_request req, wasi_http_outgoing_body* out) {
  ret_area r;
  imp_outreq_body((int32_t)req.handle, addr(r.b));
  return take_result_handle(r.b, &out->handle);
}

void wasi_http_outgoing_request_drop(wasi_http_outgoing_request r) {
  imp_outreq_drop((int32_t)r.handle);
}

bool wasi_http_outgoing_handler_handle(wasi_http_outgoing_request req,
                                       wasi_http_future_incoming_response* out,
                                       wasi_http_error_code* err) {
  ret_area r;
  imp_outgoing_handle((int32_t)req.handle, 0, 0, addr(r.b));
  if (disc(r.b, 2) == 0) {
    out->handle = ld32(r.b + 8);
    return true;
  }
  take_error_code(r.b + 8, err);
  return false;
}

wasi_io_pollable wasi_http_future_incoming_response_subscribe(
    wasi_http_future_incoming_response f) {
  wasi_io_pollable p = {(uint32_t)imp_future_subscribe((int32_t)f.handle)};
  return p;
}

wasi_http_future_status wasi_http_future_incoming_response_get(wasi_http_future_incoming_response f,
                                                               wasi_http_incoming_response* out,
                                                               wasi_http_error_code* err) {
  ret_area r;
  imp_future_get((int32_t)f.handle, addr(r.b));
  if (disc(r.b, 2) == 0) return WASI_HTTP_FUTURE_PENDING;
  if (disc(r.b + 8, 2) != 0) return WASI_HTTP_FUTURE_ALREADY_TAKEN;
  if (disc(r.b + 16, 2) == 0) {
    out->handle = ld32(r.b + 24);
    return WASI_HTTP_FUTURE_READY;
  }
  take_error_code(r.b + 24, err);
  return WASI_HTTP_FUTURE_FAILED;
}

void wasi_http_future_incoming_response_drop(wasi_http_future_incoming_response f) {
  imp_future_drop((int32_t)f.handle);
}

wasi_http_future_status wasi_http_future_incoming_response_wait(
    wasi_http_future_incoming_response f, wasi_http_incoming_response* out,
    wasi_http_error_code* err) {
  for (;;) {
    wasi_http_future_status s = wasi_http_future_incoming_response_get(f, out, err);
    if (s != WASI_HTTP_FUTURE_PENDING) return s;
    wasi_io_pollable p = wasi_http_future_incoming_response_subscribe(f);
    wasi_io_pollable_block(p);
    wasi_io_pollable_drop(p);
  }
}

uint16_t wasi_http_incoming_response_status(wasi_http_incoming_response r) {
  int32_t s = imp_inresp_status((int32_t)r.handle);
  if ((uint32_t)s > 0xffff) host_broke_abi();
  return (uint16_t)s;
}

wasi_http_fields wasi_http_incoming_response_headers(wasi_http_incoming_response r) {
  wasi_http_fields f = {(uint32_t)imp_inresp_headers((int32_t)r.handle)};
  return f;
}

bool wasi_http_incoming_response_consume(wasi_http_incoming_response resp,
                                         wasi_http_incoming_body* out) {
  ret_area r;
  imp_inresp_consume((int32_t)resp.handle, addr(r.b));
  return take_result_handle(r.b, &out->handle);
}

void wasi_http_incoming_response_drop(wasi_http_incoming_response r) {
  imp_inresp_drop((int32_t)r.handle);
}

/* ---------------- wasi:io ---------------- */

static wasi_io_stream_status finish_read(const uint8_t* r, uint64_t max, wasi_bytes* out,
                                         wasi_io_error* err) {
  out->ptr = NULL;
  out->len = 0;
  if (disc(r, 2) != 0) return take_stream_error(r + 4, err);
  uint32_t len = ld32(r + 8);
  if (len > max) host_broke_abi(); /* more than was asked for */
  *out = take_bytes(ld32(r + 4), len);
  return WASI_IO_STREAM_OK;
}

wasi_io_stream_status wasi_io_input_stream_read(wasi_io_input_stream s, uint64_t max,
                                                wasi_bytes* out, wasi_io_error* err) {
  ret_area r;
  imp_in_read((int32_t)s.handle, (int64_t)max, addr(r.b));
  return finish_read(r.b, max, out, err);
}

wasi_io_stream_status wasi_io_input_stream_blocking_read(wasi_io_input_stream s, uint64_t max,
                                                         wasi_bytes* out, wasi_io_error* err) {
  ret_area r;
  imp_in_blocking_read((int32_t)s.handle, (int64_t)max, addr(r.b));
  return finish_read(r.b, max, out, err);
}

wasi_io_pollable wasi_io_input_stream_subscribe(wasi_io_input_stream s) {
  wasi_io_pollable p = {(uint32_t)imp_in_subscribe((int32_t)s.handle)};
  return p;
}

void wasi_io_input_stream_drop(wasi_io_input_stream s) { imp_in_drop((int32_t)s.handle); }

wasi_io_stream_status wasi_io_output_stream_check_write(wasi_io_output_stream s, uint64_t* permit,
                                                        wasi_io_error* err) {
  ret_area r;
  imp_out_check_write((int32_t)s.handle, addr(r.b));
  *permit = 0;
  if (disc(r.b, 2) != 0) return take_stream_error(r.b + 8, err);
  *permit = ld64(r.b + 8);
  return WASI_IO_STREAM_OK;
}

static wasi_io_stream_status unit_stream_result(const uint8_t* r, wasi_io_error* err) {
  if (disc(r, 2) == 0) return WASI_IO_STREAM_OK;
  return take_stream_error(r + 4, err);
}

wasi_io_stream_status wasi_io_output_stream_write(wasi_io_output_stream s, const void* data,
                                                  size_t len, wasi_io_error* err) {
  ret_area r;
  imp_out_write((int32_t)s.handle, addr(data), (int32_t)len, addr(r.b));
  return unit_stream_result(r.b, err);
}

wasi_io_stream_status wasi_io_output_stream_blocking_write_and_flush(wasi_io_output_stream s,
                                                                     const void* data, size_t len,
                                                                     wasi_io_error* err) {
  ret_area r;
  imp_out_blocking_write_and_flush((int32_t)s.handle, addr(data), (int32_t)len, addr(r.b));
  return unit_stream_result(r.b, err);
}

wasi_io_stream_status wasi_io_output_stream_flush(wasi_io_output_stream s, wasi_io_error* err) {
  ret_area r;
  imp_out_flush((int32_t)s.handle, addr(r.b));
  return unit_stream_result(r.b, err);
}

wasi_io_stream_status wasi_io_output_stream_blocking_flush(wasi_io_output_stream s,
                                                           wasi_io_error* err) {
  ret_area r;
  imp_out_blocking_flush((int32_t)s.handle, addr(r.b));
  return unit_stream_result(r.b, err);
}

wasi_io_pollable wasi_io_output_stream_subscribe(wasi_io_output_stream s) {
  wasi_io_pollable p = {(uint32_t)imp_out_subscribe((int32_t)s.handle)};
  return p;
}

void wasi_io_output_stream_drop(wasi_io_output_stream s) { imp_out_drop((int32_t)s.handle); }

wasi_io_stream_status wasi_io_output_stream_write_all(wasi_io_output_stream s, const void* data,
                                                      size_t len, wasi_io_error* err) {
  /* What blocking-write-and-flush takes at once: one host call instead of
   * check-write, write and blocking-flush. */
  if (len <= 4096) return wasi_io_output_stream_blocking_write_and_flush(s, data, len, err);
  const uint8_t* p = data;
  while (len > 0) {
    uint64_t permit;
    wasi_io_stream_status st = wasi_io_output_stream_check_write(s, &permit, err);
    if (st != WASI_IO_STREAM_OK) return st;
    if (permit == 0) {
      wasi_io_pollable ready = wasi_io_output_stream_subscribe(s);
      wasi_io_pollable_block(ready);
      wasi_io_pollable_drop(ready);
      continue;
    }
    size_t n = permit < len ? (size_t)permit : len;
    st = wasi_io_output_stream_write(s, p, n, err);
    if (st != WASI_IO_STREAM_OK) return st;
    p += n;
    len -= n;
  }
  return wasi_io_output_stream_blocking_flush(s, err);
}

bool wasi_io_pollable_ready(wasi_io_pollable p) {
  return imp_pollable_ready((int32_t)p.handle) != 0;
}
void wasi_io_pollable_block(wasi_io_pollable p) { imp_pollable_block((int32_t)p.handle); }
void wasi_io_pollable_drop(wasi_io_pollable p) { imp_pollable_drop((int32_t)p.handle); }

char* wasi_io_error_to_debug_string(wasi_io_error e) {
  ret_area r;
  imp_error_to_debug_string((int32_t)e.handle, addr(r.b));
  return take_string(ld32(r.b), ld32(r.b + 4), NULL);
}

void wasi_io_error_drop(wasi_io_error e) { imp_error_drop((int32_t)e.handle); }

uint64_t wasi_clocks_wall_clock_now(uint32_t* nanoseconds) {
  ret_area r;
  imp_wall_now(addr(r.b));
  if (nanoseconds) *nanoseconds = ld32(r.b + 8);
  return ld64(r.b);
}

/* ---------------- the tiny API ---------------- */

/* The request's method, path and authority are asked of the host when the
 * handler first wants them: a host call each, with a string to copy in. */
struct wh_request {
  wasi_http_incoming_request handle;
  wasi_http_method method;
  char* path;
  char* authority;
  bool have_method, have_path, have_authority;
  wasi_http_fields headers;
  bool have_headers;
  wasi_http_incoming_body body;
  wasi_io_input_stream stream;
  enum { BODY_UNTOUCHED, BODY_READING, BODY_DONE, BODY_FAILED } body_state;
};

struct wh_response {
  wasi_http_response_outparam outparam;
  uint16_t status;
  wasi_http_fields headers;
  wasi_http_outgoing_body body;
  wasi_io_output_stream stream;
  enum { RESP_BUILDING, RESP_SENT, RESP_FINISHED } state;
  bool stream_failed;
};

static const wh_request* need_method(const wh_request* req) {
  wh_request* r = (wh_request*)req;
  if (!r->have_method) {
    wasi_http_incoming_request_method(r->handle, &r->method);
    r->have_method = true;
  }
  return r;
}

wasi_http_method_tag wh_method(const wh_request* req) { return need_method(req)->method.tag; }

const char* wh_method_name(const wh_request* req) {
  static const char* const kNames[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                       "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  need_method(req);
  if (req->method.tag == WASI_HTTP_METHOD_OTHER) return req->method.other;
  return kNames[req->method.tag];
}

const char* wh_path(const wh_request* req) {
  wh_request* r = (wh_request*)req;
  if (!r->have_path) {
    size_t len;
    wasi_http_incoming_request_path_with_query(r->handle, &r->path, &len);
    r->have_path = true;
  }
  return r->path ? r->path : "/";
}

const char* wh_authority(const wh_request* req) {
  wh_request* r = (wh_request*)req;
  if (!r->have_authority) {
    size_t len;
    wasi_http_incoming_request_authority(r->handle, &r->authority, &len);
    r->have_authority = true;
  }
  return r->authority ? r->authority : "";
}

wasi_http_fields wh_request_headers(const wh_request* req) {
  wh_request* r = (wh_request*)req; /* fetched once, on first use */
  if (!r->have_headers) {
    r->headers = wasi_http_incoming_request_headers(r->handle);
    r->have_headers = true;
  }
  return r->headers;
}

wasi_http_incoming_request wh_request_handle(const wh_request* req) { return req->handle; }

char* wh_header(const wh_request* req, const char* name) {
  wasi_http_field_values values;
  wasi_http_fields_get(wh_request_headers(req), name, strlen(name), &values);
  char* out = NULL;
  if (values.len > 0) {
    size_t n = values.ptr[0].len;
    out = malloc(n + 1);
    if (!out) abort();
    if (n) memcpy(out, values.ptr[0].ptr, n);
    out[n] = '\0';
  }
  wasi_http_field_values_free(&values);
  return out;
}

long wh_read(wh_request* req, void* buf, size_t cap) {
  if (req->body_state == BODY_UNTOUCHED) {
    if (!wasi_http_incoming_request_consume(req->handle, &req->body)) {
      req->body_state = BODY_FAILED;
      return -1;
    }
    if (!wasi_http_incoming_body_stream(req->body, &req->stream)) {
      wasi_http_incoming_body_drop(req->body);
      req->body_state = BODY_FAILED;
      return -1;
    }
    req->body_state = BODY_READING;
  }
  if (req->body_state == BODY_DONE) return 0;
  if (req->body_state != BODY_READING) return -1;
  if (cap == 0) return 0;
  if (cap > 0x7fffffff) cap = 0x7fffffff; /* the result is a long */
  for (;;) {
    wasi_bytes chunk;
    wasi_io_stream_status st = wasi_io_input_stream_blocking_read(req->stream, cap, &chunk, NULL);
    if (st == WASI_IO_STREAM_CLOSED) {
      req->body_state = BODY_DONE;
      return 0;
    }
    if (st != WASI_IO_STREAM_OK) {
      req->body_state = BODY_FAILED;
      return -1;
    }
    if (chunk.len == 0) continue; /* blocking-read may still answer empty */
    memcpy(buf, chunk.ptr, chunk.len);
    free(chunk.ptr);
    return (long)chunk.len;
  }
}

void wh_status(wh_response* res, uint16_t status) {
  if (res->state == RESP_BUILDING) res->status = status;
}

int wh_set_header(wh_response* res, const char* name, const char* value) {
  if (res->state != RESP_BUILDING) return WH_ERR_STATE;
  wasi_http_header_error err;
  if (wasi_http_fields_append(res->headers, name, strlen(name), (const uint8_t*)value,
                              strlen(value), &err)) {
    return WH_OK;
  }
  return 1 + (int)err;
}

int wh_send(wh_response* res) {
  if (res->state != RESP_BUILDING) return WH_ERR_STATE;
  wasi_http_outgoing_response resp = wasi_http_outgoing_response_new(res->headers);
  /* A new response is 200 already. A status the host refuses (outside
   * 100..999) answers 500 instead. */
  if (res->status != 200 && !wasi_http_outgoing_response_set_status_code(resp, res->status)) {
    (void)wasi_http_outgoing_response_set_status_code(resp, 500);
  }
  /* The body must be taken before set: set consumes the response. */
  if (!wasi_http_outgoing_response_body(resp, &res->body) ||
      !wasi_http_outgoing_body_write(res->body, &res->stream)) {
    __builtin_trap(); /* a fresh response's body and stream are there to take once */
  }
  wasi_http_response_outparam_set(res->outparam, resp);
  res->state = RESP_SENT;
  return WH_OK;
}

int wh_write(wh_response* res, const void* data, size_t len) {
  if (res->state == RESP_BUILDING) wh_send(res);
  if (res->state != RESP_SENT) return WH_ERR_STATE;
  if (res->stream_failed) return WH_ERR_STREAM;
  if (wasi_io_output_stream_write_all(res->stream, data, len, NULL) != WASI_IO_STREAM_OK) {
    res->stream_failed = true;
    return WH_ERR_STREAM;
  }
  return WH_OK;
}

int wh_print(wh_response* res, const char* text) { return wh_write(res, text, strlen(text)); }

int wh_finish(wh_response* res) {
  if (res->state == RESP_BUILDING) wh_send(res);
  if (res->state != RESP_SENT) return WH_ERR_STATE;
  res->state = RESP_FINISHED;
  wasi_io_output_stream_drop(res->stream); /* a child: dropped before finish */
  wasi_http_fields none = {0};
  if (!wasi_http_outgoing_body_finish(res->body, false, none, NULL)) return WH_ERR_STREAM;
  return res->stream_failed ? WH_ERR_STREAM : WH_OK;
}

int wh_respond(wh_response* res, uint16_t status, const char* content_type, const void* body,
               size_t len) {
  if (res->state != RESP_BUILDING) return WH_ERR_STATE;
  wh_status(res, status);
  if (content_type) {
    int r = wh_set_header(res, "content-type", content_type);
    if (r != WH_OK) return r;
  }
  int r = wh_write(res, body, len);
  int f = wh_finish(res);
  return r != WH_OK ? r : f;
}

void wh_dispatch_(uint32_t request, uint32_t outparam, wh_handler_fn fn) {
  wh_request req;
  memset(&req, 0, sizeof req);
  req.handle.handle = request;

  wh_response res;
  memset(&res, 0, sizeof res);
  res.outparam.handle = outparam;
  res.status = 200;
  res.headers = wasi_http_fields_new();

  fn(&req, &res);

  if (res.state != RESP_FINISHED) wh_finish(&res);
  /* Children before parents: the body's stream, the body, the headers, the request. */
  if (req.body_state == BODY_READING || req.body_state == BODY_DONE) {
    wasi_io_input_stream_drop(req.stream);
    if (req.body_state == BODY_DONE) {
      wasi_http_future_trailers_drop(wasi_http_incoming_body_finish(req.body));
    } else {
      wasi_http_incoming_body_drop(req.body);
    }
  } else if (req.body_state == BODY_FAILED && req.stream.handle) {
    wasi_io_input_stream_drop(req.stream);
    wasi_http_incoming_body_drop(req.body);
  }
  if (req.have_headers) wasi_http_fields_drop(req.headers);
  wasi_http_incoming_request_drop(req.handle);
  free(req.method.other);
  free(req.path);
  free(req.authority);
}
