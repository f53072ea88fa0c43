/* Sends 200 with headers (no content-length), writes "partial body\n" and
 * flushes, then traps. /early traps before the response is set. A host
 * answers /early with 500 and cuts /… off (no final chunk), logs the trap,
 * and keeps serving. */
#include <string.h>

#include "wasi_http.h"

static void handle(wh_request* req, wh_response* res) {
  if (strcmp(wh_path(req), "/early") == 0) __builtin_trap();
  wh_set_header(res, "content-type", "text/plain");
  wh_print(res, "partial body\n");
  __builtin_trap();
}

WH_HANDLER(handle)
