/* wasi_http.h — wasi:http 0.2 for C guests, with the canonical ABI written
 * out by hand (no generated bindings). Two layers:
 *
 *   wh_*         a tiny API for a handler: read the request, write the
 *                response, streaming both ways. A service is ~20 lines:
 *
 *                  #include "wasi_http.h"
 *                  static void handle(wh_request* req, wh_response* res) {
 *                    wh_set_header(res, "content-type", "text/plain");
 *                    wh_print(res, "hello\n");
 *                  }
 *                  WH_HANDLER(handle)
 *
 *   wasi_http_*  one C function per wasi:http / wasi:io function that a
 *   wasi_io_*    handler or an outbound client needs, for what wh_* does not
 *                cover (see the struct and function comments below).
 *
 * Version: WASI_HTTP_VERSION (default 0.2.12, unquoted: -DWASI_HTTP_VERSION=0.2.0)
 * is the version in every import name (wasi:http/types@V, wasi:io/streams@V,
 * wasi:clocks/wall-clock@V ...) and in the export
 * wasi:http/incoming-handler@V#handle. Compile every file of a component with
 * the same value, and embed a WIT world of the same version (sdk/c/README.md).
 *
 * Ownership: strings and byte lists that come back from the host were
 * allocated with this SDK's cabi_realloc (malloc) and belong to the caller:
 * free() them, or use the *_free helpers. Resource handles follow WIT: a
 * function taking an `own` consumes the handle, drop the rest with *_drop.
 *
 * A host that breaks the canonical ABI (a discriminant out of range, a list
 * outside linear memory, more bytes than were asked for) gets a trap
 * (unreachable), never undefined behaviour in the guest.
 *
 * One request at a time per instance: the SDK keeps no locks. */
#ifndef WEFT_SDK_WASI_HTTP_H
#define WEFT_SDK_WASI_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef WASI_HTTP_VERSION
#define WASI_HTTP_VERSION 0.2.12
#endif
#define WASI_HTTP_STR_(x) #x
#define WASI_HTTP_STR(x) WASI_HTTP_STR_(x)
/* "0.2.12": the version as a string literal. */
#define WASI_HTTP_VERSION_STRING WASI_HTTP_STR(WASI_HTTP_VERSION)

/* ---------------- handles ---------------- */

typedef struct {
  uint32_t handle;
} wasi_http_fields;
typedef struct {
  uint32_t handle;
} wasi_http_incoming_request;
typedef struct {
  uint32_t handle;
} wasi_http_outgoing_request;
typedef struct {
  uint32_t handle;
} wasi_http_incoming_response;
typedef struct {
  uint32_t handle;
} wasi_http_outgoing_response;
typedef struct {
  uint32_t handle;
} wasi_http_response_outparam;
typedef struct {
  uint32_t handle;
} wasi_http_incoming_body;
typedef struct {
  uint32_t handle;
} wasi_http_outgoing_body;
typedef struct {
  uint32_t handle;
} wasi_http_future_trailers;
typedef struct {
  uint32_t handle;
} wasi_http_future_incoming_response;
typedef struct {
  uint32_t handle;
} wasi_io_input_stream;
typedef struct {
  uint32_t handle;
} wasi_io_output_stream;
typedef struct {
  uint32_t handle;
} wasi_io_pollable;
typedef struct {
  uint32_t handle;
} wasi_io_error;

/* ---------------- values ---------------- */

/* list<u8>. Same layout as the canonical ABI's (ptr, len) on wasm32. */
typedef struct {
  uint8_t* ptr;
  size_t len;
} wasi_bytes;

/* tuple<field-name, field-value>: laid out as the canonical ABI lays it out,
 * so an array of these is passed to the host as is. */
typedef struct {
  const char* name;
  size_t name_len;
  const uint8_t* value;
  size_t value_len;
} wasi_http_field;

/* list<tuple<field-name, field-value>> returned by the host (owned). */
typedef struct {
  wasi_http_field* ptr;
  size_t len;
} wasi_http_field_list;

/* list<field-value> returned by fields.get (owned). */
typedef struct {
  wasi_bytes* ptr;
  size_t len;
} wasi_http_field_values;

/* variant method: the tag is the case index. */
typedef enum {
  WASI_HTTP_METHOD_GET,
  WASI_HTTP_METHOD_HEAD,
  WASI_HTTP_METHOD_POST,
  WASI_HTTP_METHOD_PUT,
  WASI_HTTP_METHOD_DELETE,
  WASI_HTTP_METHOD_CONNECT,
  WASI_HTTP_METHOD_OPTIONS,
  WASI_HTTP_METHOD_TRACE,
  WASI_HTTP_METHOD_PATCH,
  WASI_HTTP_METHOD_OTHER,
} wasi_http_method_tag;

typedef struct {
  wasi_http_method_tag tag;
  char* other; /* OTHER only: NUL-terminated (owned when from the host) */
  size_t other_len;
} wasi_http_method;

typedef enum {
  WASI_HTTP_SCHEME_HTTP,
  WASI_HTTP_SCHEME_HTTPS,
  WASI_HTTP_SCHEME_OTHER,
} wasi_http_scheme_tag;

/* variant header-error */
typedef enum {
  WASI_HTTP_HEADER_ERROR_INVALID_SYNTAX,
  WASI_HTTP_HEADER_ERROR_FORBIDDEN,
  WASI_HTTP_HEADER_ERROR_IMMUTABLE,
} wasi_http_header_error;

/* variant error-code: `code` is the case index (WASI_HTTP_ERROR_*); the
 * payload is flattened to the one string a case may carry (DNS rcode, TLS
 * alert message, field name, transfer/content coding, internal-error
 * message) and the one number (DNS info-code, TLS alert id, a size). */
enum {
  WASI_HTTP_ERROR_DNS_TIMEOUT = 0,
  WASI_HTTP_ERROR_DNS_ERROR = 1,
  WASI_HTTP_ERROR_DESTINATION_NOT_FOUND = 2,
  WASI_HTTP_ERROR_DESTINATION_UNAVAILABLE = 3,
  WASI_HTTP_ERROR_DESTINATION_IP_PROHIBITED = 4,
  WASI_HTTP_ERROR_DESTINATION_IP_UNROUTABLE = 5,
  WASI_HTTP_ERROR_CONNECTION_REFUSED = 6,
  WASI_HTTP_ERROR_CONNECTION_TERMINATED = 7,
  WASI_HTTP_ERROR_CONNECTION_TIMEOUT = 8,
  WASI_HTTP_ERROR_CONNECTION_READ_TIMEOUT = 9,
  WASI_HTTP_ERROR_CONNECTION_WRITE_TIMEOUT = 10,
  WASI_HTTP_ERROR_CONNECTION_LIMIT_REACHED = 11,
  WASI_HTTP_ERROR_TLS_PROTOCOL_ERROR = 12,
  WASI_HTTP_ERROR_TLS_CERTIFICATE_ERROR = 13,
  WASI_HTTP_ERROR_TLS_ALERT_RECEIVED = 14,
  WASI_HTTP_ERROR_HTTP_REQUEST_DENIED = 15,
  WASI_HTTP_ERROR_HTTP_REQUEST_LENGTH_REQUIRED = 16,
  WASI_HTTP_ERROR_HTTP_REQUEST_BODY_SIZE = 17,
  WASI_HTTP_ERROR_HTTP_REQUEST_METHOD_INVALID = 18,
  WASI_HTTP_ERROR_HTTP_REQUEST_URI_INVALID = 19,
  WASI_HTTP_ERROR_HTTP_REQUEST_URI_TOO_LONG = 20,
  WASI_HTTP_ERROR_HTTP_REQUEST_HEADER_SECTION_SIZE = 21,
  WASI_HTTP_ERROR_HTTP_REQUEST_HEADER_SIZE = 22,
  WASI_HTTP_ERROR_HTTP_REQUEST_TRAILER_SECTION_SIZE = 23,
  WASI_HTTP_ERROR_HTTP_REQUEST_TRAILER_SIZE = 24,
  WASI_HTTP_ERROR_HTTP_RESPONSE_INCOMPLETE = 25,
  WASI_HTTP_ERROR_HTTP_RESPONSE_HEADER_SECTION_SIZE = 26,
  WASI_HTTP_ERROR_HTTP_RESPONSE_HEADER_SIZE = 27,
  WASI_HTTP_ERROR_HTTP_RESPONSE_BODY_SIZE = 28,
  WASI_HTTP_ERROR_HTTP_RESPONSE_TRAILER_SECTION_SIZE = 29,
  WASI_HTTP_ERROR_HTTP_RESPONSE_TRAILER_SIZE = 30,
  WASI_HTTP_ERROR_HTTP_RESPONSE_TRANSFER_CODING = 31,
  WASI_HTTP_ERROR_HTTP_RESPONSE_CONTENT_CODING = 32,
  WASI_HTTP_ERROR_HTTP_RESPONSE_TIMEOUT = 33,
  WASI_HTTP_ERROR_HTTP_UPGRADE_FAILED = 34,
  WASI_HTTP_ERROR_HTTP_PROTOCOL_ERROR = 35,
  WASI_HTTP_ERROR_LOOP_DETECTED = 36,
  WASI_HTTP_ERROR_CONFIGURATION_ERROR = 37,
  WASI_HTTP_ERROR_INTERNAL_ERROR = 38,
};

typedef struct {
  uint8_t code;
  char* message; /* NULL, or an owned NUL-terminated copy of the case's string */
  bool has_number;
  uint64_t number;
} wasi_http_error_code;

/* "connection-refused" etc.; "unknown" outside the variant. */
const char* wasi_http_error_code_name(uint8_t code);
void wasi_http_error_code_free(wasi_http_error_code* err);

/* Outcome of a stream operation: ok, the stream ended (closed), or the last
 * operation failed (its wasi:io/error is dropped unless asked for). */
typedef enum {
  WASI_IO_STREAM_OK,
  WASI_IO_STREAM_CLOSED,
  WASI_IO_STREAM_FAILED,
} wasi_io_stream_status;

/* ---------------- wasi:http/types: fields ---------------- */

wasi_http_fields wasi_http_fields_new(void);
/* false: *err says why (err may be NULL). */
bool wasi_http_fields_from_list(const wasi_http_field* entries, size_t count, wasi_http_fields* out,
                                wasi_http_header_error* err);
/* Every value of NAME (none: len 0). */
void wasi_http_fields_get(wasi_http_fields f, const char* name, size_t name_len,
                          wasi_http_field_values* out);
bool wasi_http_fields_has(wasi_http_fields f, const char* name, size_t name_len);
bool wasi_http_fields_set(wasi_http_fields f, const char* name, size_t name_len,
                          const wasi_bytes* values, size_t count, wasi_http_header_error* err);
bool wasi_http_fields_delete(wasi_http_fields f, const char* name, size_t name_len,
                             wasi_http_header_error* err);
bool wasi_http_fields_append(wasi_http_fields f, const char* name, size_t name_len,
                             const uint8_t* value, size_t value_len, wasi_http_header_error* err);
void wasi_http_fields_entries(wasi_http_fields f, wasi_http_field_list* out);
wasi_http_fields wasi_http_fields_clone(wasi_http_fields f);
void wasi_http_fields_drop(wasi_http_fields f);
void wasi_http_field_list_free(wasi_http_field_list* list);
void wasi_http_field_values_free(wasi_http_field_values* values);
const char* wasi_http_header_error_name(wasi_http_header_error err);

/* ---------------- incoming-request ---------------- */

void wasi_http_incoming_request_method(wasi_http_incoming_request r, wasi_http_method* out);
/* false when the request has none; else *out is owned, NUL-terminated. */
bool wasi_http_incoming_request_path_with_query(wasi_http_incoming_request r, char** out,
                                                size_t* len);
bool wasi_http_incoming_request_authority(wasi_http_incoming_request r, char** out, size_t* len);
/* false when none; *other is set (owned) for WASI_HTTP_SCHEME_OTHER, else NULL. */
bool wasi_http_incoming_request_scheme(wasi_http_incoming_request r, wasi_http_scheme_tag* tag,
                                       char** other);
/* A child of the request: immutable; drop it before the request. */
wasi_http_fields wasi_http_incoming_request_headers(wasi_http_incoming_request r);
/* false the second time (the body can be taken once). */
bool wasi_http_incoming_request_consume(wasi_http_incoming_request r, wasi_http_incoming_body* out);
void wasi_http_incoming_request_drop(wasi_http_incoming_request r);

/* ---------------- incoming-body / future-trailers ---------------- */

bool wasi_http_incoming_body_stream(wasi_http_incoming_body b, wasi_io_input_stream* out);
/* Consumes the body; drop its stream first. */
wasi_http_future_trailers wasi_http_incoming_body_finish(wasi_http_incoming_body b);
void wasi_http_incoming_body_drop(wasi_http_incoming_body b);
void wasi_http_future_trailers_drop(wasi_http_future_trailers t);

/* ---------------- outgoing-response / outgoing-body / outparam ---------------- */

/* Consumes HEADERS. */
wasi_http_outgoing_response wasi_http_outgoing_response_new(wasi_http_fields headers);
bool wasi_http_outgoing_response_set_status_code(wasi_http_outgoing_response r, uint16_t status);
wasi_http_fields wasi_http_outgoing_response_headers(wasi_http_outgoing_response r);
bool wasi_http_outgoing_response_body(wasi_http_outgoing_response r, wasi_http_outgoing_body* out);
void wasi_http_outgoing_response_drop(wasi_http_outgoing_response r);

bool wasi_http_outgoing_body_write(wasi_http_outgoing_body b, wasi_io_output_stream* out);
/* Consumes B (and TRAILERS when has_trailers); drop B's stream first. false:
 * *err (may be NULL) tells why, e.g. a body shorter or longer than its
 * content-length. */
bool wasi_http_outgoing_body_finish(wasi_http_outgoing_body b, bool has_trailers,
                                    wasi_http_fields trailers, wasi_http_error_code* err);
void wasi_http_outgoing_body_drop(wasi_http_outgoing_body b);

/* Consumes PARAM and RESPONSE. */
void wasi_http_response_outparam_set(wasi_http_response_outparam param,
                                     wasi_http_outgoing_response response);
/* Consumes PARAM: answers with error-code CODE; MESSAGE (may be NULL) is the
 * internal-error case's string and ignored for other codes. Only payload-free
 * cases and internal-error are accepted (others trap: they need payloads). */
void wasi_http_response_outparam_set_error(wasi_http_response_outparam param, uint8_t code,
                                           const char* message);

/* ---------------- outgoing-request / outgoing-handler ---------------- */

/* Consumes HEADERS. */
wasi_http_outgoing_request wasi_http_outgoing_request_new(wasi_http_fields headers);
bool wasi_http_outgoing_request_set_method(wasi_http_outgoing_request r,
                                           const wasi_http_method* method);
/* other is used for WASI_HTTP_SCHEME_OTHER only; has=false sets none. */
bool wasi_http_outgoing_request_set_scheme(wasi_http_outgoing_request r, bool has,
                                           wasi_http_scheme_tag tag, const char* other);
bool wasi_http_outgoing_request_set_authority(wasi_http_outgoing_request r, const char* authority,
                                              size_t len); /* authority NULL: none */
bool wasi_http_outgoing_request_set_path_with_query(wasi_http_outgoing_request r, const char* path,
                                                    size_t len);
wasi_http_fields wasi_http_outgoing_request_headers(wasi_http_outgoing_request r);
bool wasi_http_outgoing_request_body(wasi_http_outgoing_request r, wasi_http_outgoing_body* out);
void wasi_http_outgoing_request_drop(wasi_http_outgoing_request r);

/* wasi:http/outgoing-handler.handle, with no request-options. Consumes R. */
bool wasi_http_outgoing_handler_handle(wasi_http_outgoing_request r,
                                       wasi_http_future_incoming_response* out,
                                       wasi_http_error_code* err);

typedef enum {
  WASI_HTTP_FUTURE_PENDING,       /* not ready yet: subscribe and block */
  WASI_HTTP_FUTURE_READY,         /* *out holds the response */
  WASI_HTTP_FUTURE_FAILED,        /* *err holds the error-code */
  WASI_HTTP_FUTURE_ALREADY_TAKEN, /* get was called after it had answered */
} wasi_http_future_status;

wasi_io_pollable wasi_http_future_incoming_response_subscribe(wasi_http_future_incoming_response f);
wasi_http_future_status wasi_http_future_incoming_response_get(wasi_http_future_incoming_response f,
                                                               wasi_http_incoming_response* out,
                                                               wasi_http_error_code* err);
void wasi_http_future_incoming_response_drop(wasi_http_future_incoming_response f);
/* Blocks until F answers (subscribe + block + get). Does not consume F. */
wasi_http_future_status wasi_http_future_incoming_response_wait(
    wasi_http_future_incoming_response f, wasi_http_incoming_response* out,
    wasi_http_error_code* err);

uint16_t wasi_http_incoming_response_status(wasi_http_incoming_response r);
wasi_http_fields wasi_http_incoming_response_headers(wasi_http_incoming_response r);
bool wasi_http_incoming_response_consume(wasi_http_incoming_response r,
                                         wasi_http_incoming_body* out);
void wasi_http_incoming_response_drop(wasi_http_incoming_response r);

/* ---------------- wasi:io ---------------- */

/* read / blocking-read at most MAX bytes into *out (owned; free(out->ptr)).
 * err may be NULL: then a failure's wasi:io/error is dropped. */
wasi_io_stream_status wasi_io_input_stream_read(wasi_io_input_stream s, uint64_t max,
                                                wasi_bytes* out, wasi_io_error* err);
wasi_io_stream_status wasi_io_input_stream_blocking_read(wasi_io_input_stream s, uint64_t max,
                                                         wasi_bytes* out, wasi_io_error* err);
wasi_io_pollable wasi_io_input_stream_subscribe(wasi_io_input_stream s);
void wasi_io_input_stream_drop(wasi_io_input_stream s);

wasi_io_stream_status wasi_io_output_stream_check_write(wasi_io_output_stream s, uint64_t* permit,
                                                        wasi_io_error* err);
/* LEN must not exceed the last check-write permit. */
wasi_io_stream_status wasi_io_output_stream_write(wasi_io_output_stream s, const void* data,
                                                  size_t len, wasi_io_error* err);
/* LEN at most 4096 (the interface's rule). */
wasi_io_stream_status wasi_io_output_stream_blocking_write_and_flush(wasi_io_output_stream s,
                                                                     const void* data, size_t len,
                                                                     wasi_io_error* err);
wasi_io_stream_status wasi_io_output_stream_flush(wasi_io_output_stream s, wasi_io_error* err);
wasi_io_stream_status wasi_io_output_stream_blocking_flush(wasi_io_output_stream s,
                                                           wasi_io_error* err);
wasi_io_pollable wasi_io_output_stream_subscribe(wasi_io_output_stream s);
void wasi_io_output_stream_drop(wasi_io_output_stream s);
/* Writes all of DATA, any length: check-write, block on the stream's
 * pollable while the permit is 0, write what is permitted; then
 * blocking-flush. */
wasi_io_stream_status wasi_io_output_stream_write_all(wasi_io_output_stream s, const void* data,
                                                      size_t len, wasi_io_error* err);

bool wasi_io_pollable_ready(wasi_io_pollable p);
void wasi_io_pollable_block(wasi_io_pollable p);
void wasi_io_pollable_drop(wasi_io_pollable p);

/* Owned, NUL-terminated. */
char* wasi_io_error_to_debug_string(wasi_io_error e);
void wasi_io_error_drop(wasi_io_error e);

/* wasi:clocks/wall-clock.now: seconds since the Unix epoch. */
uint64_t wasi_clocks_wall_clock_now(uint32_t* nanoseconds);

/* ---------------- for your own imports ---------------- */

/* Helpers for hand-lowering a component's other imports the way this file
 * does (see examples/compose/handler.c): each traps on a host that broke the
 * ABI. A discriminant below CASES; a string the host allocated, returned as
 * an owned NUL-terminated block (the same block, grown by one byte). */
uint8_t wasi_abi_disc(const uint8_t* p, uint8_t cases);
char* wasi_abi_take_string(uint32_t ptr, uint32_t len, size_t* out_len);
uint32_t wasi_abi_load_u32(const uint8_t* p);

/* ---------------- the tiny API ---------------- */

typedef struct wh_request wh_request;
typedef struct wh_response wh_response;
typedef void (*wh_handler_fn)(wh_request* req, wh_response* res);

/* Defines the component's export wasi:http/incoming-handler@V#handle,
 * calling FN(req, res). After FN returns, the SDK sends the response if FN
 * did not (status 200 unless wh_status said otherwise, empty body) and
 * finishes the body if FN did not call wh_finish. */
#define WH_HANDLER(fn)                                                                     \
  __attribute__((                                                                          \
      export_name("wasi:http/incoming-handler@" WASI_HTTP_VERSION_STRING "#handle"))) void \
  wh_export_handle_(uint32_t request, uint32_t outparam) {                                 \
    wh_dispatch_(request, outparam, fn);                                                   \
  }
void wh_dispatch_(uint32_t request, uint32_t outparam, wh_handler_fn fn);

wasi_http_method_tag wh_method(const wh_request* req);
/* "GET", "POST", ... or the other(...) text as the host gave it. */
const char* wh_method_name(const wh_request* req);
/* path-with-query, "/" when the request has none. */
const char* wh_path(const wh_request* req);
/* authority, "" when none. */
const char* wh_authority(const wh_request* req);
/* The first value of header NAME, NUL-terminated, or NULL: owned (free()).
 * A value holding a NUL byte is cut there. */
char* wh_header(const wh_request* req, const char* name);
/* The request's header fields (immutable; the SDK drops them). */
wasi_http_fields wh_request_headers(const wh_request* req);
/* The low-level request, e.g. for its scheme. */
wasi_http_incoming_request wh_request_handle(const wh_request* req);
/* Reads up to CAP bytes of the request body, blocking until some arrive:
 * > 0 bytes read, 0 at the end of the body, -1 on a stream error. */
long wh_read(wh_request* req, void* buf, size_t cap);

/* Before the first write: the status (default 200) and headers. wh_set_header
 * appends a value; it returns 0, or 1 + the header-error case
 * (WH_HEADER_INVALID_SYNTAX, WH_HEADER_FORBIDDEN, WH_HEADER_IMMUTABLE), or
 * WH_ERR_STATE when the response has been sent. */
enum {
  WH_OK = 0,
  WH_HEADER_INVALID_SYNTAX = 1,
  WH_HEADER_FORBIDDEN = 2,
  WH_HEADER_IMMUTABLE = 3,
  WH_ERR_STATE = -2,
  WH_ERR_STREAM = -1,
};
void wh_status(wh_response* res, uint16_t status);
int wh_set_header(wh_response* res, const char* name, const char* value);
/* Sends status and headers now (outparam.set), if not yet sent. 0 or WH_ERR_STATE. */
int wh_send(wh_response* res);
/* Writes body bytes (sending the headers first if needed): 0, or
 * WH_ERR_STREAM when the client is gone (stop writing), WH_ERR_STATE after
 * wh_finish. */
int wh_write(wh_response* res, const void* data, size_t len);
int wh_print(wh_response* res, const char* text);
/* Ends the body. 0, or WH_ERR_STREAM when the host refused the body (e.g.
 * fewer bytes than a content-length said), WH_ERR_STATE when already done. */
int wh_finish(wh_response* res);
/* One call: status, content-type and a whole body. */
int wh_respond(wh_response* res, uint16_t status, const char* content_type, const void* body,
               size_t len);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_SDK_WASI_HTTP_H */
