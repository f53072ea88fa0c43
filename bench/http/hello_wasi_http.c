/* The bench's wasi:http hello: the bytes examples/hello (WAGI) answers,
 * "Hello from weft! (path: PATH)\n" as text/plain, so that wrk compares the
 * executors and nginx on the same response. */
#include <stdlib.h>
#include <string.h>

#include "wasi_http.h"

static void handle(wh_request* req, wh_response* res) {
  const char* path = wh_path(req);
  /* No stdio: snprintf would pull in the preview1 adapter (wasi:cli,
   * wasi:filesystem) and its instantiation with every request. */
  if (!path || !*path) path = "/";
  size_t n = strlen(path);
  if (n > 400) n = 400;
  char body[512] = "Hello from weft! (path: ";
  memcpy(body + strlen(body), path, n);
  strcpy(body + 24 + n, ")\n");
  wh_set_header(res, "content-type", "text/plain");
  wh_print(res, body);
}

WH_HANDLER(handle)
