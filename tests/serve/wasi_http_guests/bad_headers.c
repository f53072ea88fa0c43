/* Tries header names and values a host must refuse and answers 200
 * text/plain with one line per attempt: "CASE: ok" or "CASE: <header-error>".
 * Expected from a correct host (wasmtime's answers):
 *   name-with-space, name-empty, value-crlf, value-nul → invalid-syntax
 *   forbidden-connection (append "connection")       → forbidden
 *   immutable-request-headers (append to the request's headers) → immutable
 *   from-list-invalid (fields.from-list with "bad name") → invalid-syntax
 *   set-invalid (fields.set with a bad value)          → invalid-syntax
 *   good (x-ok: fine)                                  → ok */
#include <string.h>

#include "wasi_http.h"

static char g_report[2048];

static void note(const char* what, bool ok, wasi_http_header_error err) {
  strcat(g_report, what);
  strcat(g_report, ": ");
  strcat(g_report, ok ? "ok" : wasi_http_header_error_name(err));
  strcat(g_report, "\n");
}

static void try_append(wasi_http_fields f, const char* what, const char* name, size_t nlen,
                       const char* value, size_t vlen) {
  wasi_http_header_error err = WASI_HTTP_HEADER_ERROR_INVALID_SYNTAX;
  bool ok = wasi_http_fields_append(f, name, nlen, (const uint8_t*)value, vlen, &err);
  note(what, ok, err);
}

static void handle(wh_request* req, wh_response* res) {
  g_report[0] = '\0';
  wasi_http_fields f = wasi_http_fields_new();
  try_append(f, "name-with-space", "bad name", 8, "v", 1);
  try_append(f, "name-empty", "", 0, "v", 1);
  try_append(f, "value-crlf", "x-bad", 5, "a\r\nb: c", 7);
  try_append(f, "value-nul", "x-bad", 5, "a\0b", 3);
  try_append(f, "forbidden-connection", "connection", 10, "close", 5);
  try_append(f, "good", "x-ok", 4, "fine", 4);
  wasi_bytes bad = {(uint8_t*)"a\nb", 3};
  wasi_http_header_error err = WASI_HTTP_HEADER_ERROR_INVALID_SYNTAX;
  note("set-invalid", wasi_http_fields_set(f, "x-set", 5, &bad, 1, &err), err);
  wasi_http_fields_drop(f);
  wasi_http_field entry = {"bad name", 8, (const uint8_t*)"v", 1};
  wasi_http_fields made;
  bool ok = wasi_http_fields_from_list(&entry, 1, &made, &err);
  if (ok) wasi_http_fields_drop(made);
  note("from-list-invalid", ok, err);
  try_append(wh_request_headers(req), "immutable-request-headers", "x-new", 5, "v", 1);
  wh_respond(res, 200, "text/plain", g_report, strlen(g_report));
}

WH_HANDLER(handle)
