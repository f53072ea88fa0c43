/* Sends 200 with headers (no content-length), writes "partial body\n" and
 * flushes, then traps. /early traps before the response is set. A host
 * answers /early with 500 and cuts /… off (no final chunk), logs the trap,
 * and keeps serving. */
#include <string.h>

#include "wasi_http.h"

/* The path's last segment decides, so the guest works behind any route
 * prefix ("/trap_mid_body/early" as well as "/early"). */
static int ends_with(const char* path, const char* suffix) {
  size_t n = strlen(path), m = strlen(suffix);
  return n >= m && strcmp(path + n - m, suffix) == 0;
}

static void handle(wh_request* req, wh_response* res) {
  if (ends_with(wh_path(req), "/early")) __builtin_trap();
  wh_set_header(res, "content-type", "text/plain");
  wh_print(res, "partial body\n");
  __builtin_trap();
}

WH_HANDLER(handle)
