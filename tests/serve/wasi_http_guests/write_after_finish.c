/* Misuses the body's child stream (low-level export):
 *   /alive: writes "before finish\n", then calls outgoing-body.finish while
 *           the output-stream (its child) is still alive — the spec has
 *           finish trap; a host then cuts the response off.
 *   /stale: writes "before finish\n", drops the stream, finishes the body,
 *           then writes through the dropped stream's handle — the canonical
 *           ABI traps (no such handle); the response is already complete.
 * Either way the host logs a trap and keeps serving. */
#include <string.h>

#include "wasi_http.h"

/* The path's last segment decides, so the guest works behind any route
 * prefix ("/trap_mid_body/early" as well as "/early"). */
static int ends_with(const char* path, const char* suffix) {
  size_t n = strlen(path), m = strlen(suffix);
  return n >= m && strcmp(path + n - m, suffix) == 0;
}

__attribute__((export_name("wasi:http/incoming-handler@" WASI_HTTP_VERSION_STRING "#handle"))) void
handle(uint32_t request, uint32_t outparam) {
  wasi_http_incoming_request req = {request};
  char* path = NULL;
  size_t len;
  wasi_http_incoming_request_path_with_query(req, &path, &len);
  bool alive = path && ends_with(path, "/alive");
  wasi_http_outgoing_response resp = wasi_http_outgoing_response_new(wasi_http_fields_new());
  wasi_http_outgoing_body body;
  wasi_io_output_stream stream;
  if (!wasi_http_outgoing_response_body(resp, &body) ||
      !wasi_http_outgoing_body_write(body, &stream))
    __builtin_trap();
  wasi_http_response_outparam_set((wasi_http_response_outparam){outparam}, resp);
  wasi_io_output_stream_write_all(stream, "before finish\n", 14, NULL);
  if (!alive) wasi_io_output_stream_drop(stream);
  wasi_http_fields none = {0};
  wasi_http_outgoing_body_finish(body, false, none, NULL);
  wasi_io_output_stream_write_all(stream, "after finish\n", 13, NULL);
}
