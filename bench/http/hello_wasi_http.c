/* The bench's wasi:http hello: the bytes examples/hello (WAGI) answers,
 * "Hello from weft! (path: PATH)\n" as text/plain, so that wrk compares the
 * executors and nginx on the same response. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasi_http.h"

static void handle(wh_request* req, wh_response* res) {
  const char* path = wh_path(req);
  char body[512];
  snprintf(body, sizeof body, "Hello from weft! (path: %s)\n", path && *path ? path : "/");
  wh_set_header(res, "content-type", "text/plain");
  wh_print(res, body);
}

WH_HANDLER(handle)
