/* Declares content-length: 5 and writes 10 bytes ("0123456789"), then
 * finishes. The spec has the host fail the write or finish
 * (HTTP-response-body-size); the client must never see more than 5 body
 * bytes on a connection it then reuses. What the guest got is on stderr:
 * "write: ok|closed|failed" and "finish: ok|<error-code>". */
#include <stdio.h>

#include "wasi_http.h"

__attribute__((export_name("wasi:http/incoming-handler@" WASI_HTTP_VERSION_STRING "#handle"))) void
handle(uint32_t request, uint32_t outparam) {
  wasi_http_fields headers = wasi_http_fields_new();
  wasi_http_header_error herr;
  if (!wasi_http_fields_append(headers, "content-length", 14, (const uint8_t*)"5", 1, &herr))
    fprintf(stderr, "content-length: %s\n", wasi_http_header_error_name(herr));
  wasi_http_outgoing_response resp = wasi_http_outgoing_response_new(headers);
  wasi_http_outgoing_body body;
  wasi_io_output_stream stream;
  if (!wasi_http_outgoing_response_body(resp, &body) ||
      !wasi_http_outgoing_body_write(body, &stream))
    __builtin_trap();
  wasi_http_response_outparam out = {outparam};
  wasi_http_response_outparam_set(out, resp);
  wasi_io_stream_status st =
      wasi_io_output_stream_blocking_write_and_flush(stream, "0123456789", 10, NULL);
  fprintf(stderr, "write: %s\n",
          st == WASI_IO_STREAM_OK       ? "ok"
          : st == WASI_IO_STREAM_CLOSED ? "closed"
                                        : "failed");
  wasi_io_output_stream_drop(stream);
  wasi_http_fields none = {0};
  wasi_http_error_code err;
  if (wasi_http_outgoing_body_finish(body, false, none, &err)) {
    fprintf(stderr, "finish: ok\n");
  } else {
    fprintf(stderr, "finish: %s\n", wasi_http_error_code_name(err.code));
    wasi_http_error_code_free(&err);
  }
  wasi_http_incoming_request_drop((wasi_http_incoming_request){request});
}
