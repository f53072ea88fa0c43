/* Never returns: a host's timeout (timeout_ms) interrupts it and answers
 * 504 (or 500), and serves the next request. /after-headers loops after
 * sending 200 and a first body chunk, so the host must cut the response. */
#include <string.h>

#include "wasi_http.h"

static void handle(wh_request* req, wh_response* res) {
  if (strcmp(wh_path(req), "/after-headers") == 0) {
    wh_print(res, "first chunk\n");
  }
  for (volatile unsigned i = 0;; ++i) {
  }
}

WH_HANDLER(handle)
