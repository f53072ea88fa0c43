/* Never returns: a host's timeout (timeout_ms) interrupts it and answers
 * 504 (or 500), and serves the next request. /after-headers loops after
 * sending 200 and a first body chunk, so the host must cut the response. */
#include <string.h>

#include "wasi_http.h"

/* The path's last segment decides, so the guest works behind any route
 * prefix ("/trap_mid_body/early" as well as "/early"). */
static int ends_with(const char* path, const char* suffix) {
  size_t n = strlen(path), m = strlen(suffix);
  return n >= m && strcmp(path + n - m, suffix) == 0;
}

static void handle(wh_request* req, wh_response* res) {
  if (ends_with(wh_path(req), "/after-headers")) {
    wh_print(res, "first chunk\n");
  }
  for (volatile unsigned i = 0;; ++i) {
  }
}

WH_HANDLER(handle)
