/* hello-http: a wasi:http 0.2 handler on sdk/c.
 *   GET (or any method but POST) → 200 "hello from weft wasi:http\n", text/plain
 *   POST                         → 200 with the request body echoed back, streamed
 * Every response carries x-weft-request: "METHOD PATH". HEAD gets the
 * headers of a GET and no body. */
#include "wasi_http.h"

#include <stdlib.h>
#include <string.h>

static void handle(wh_request* req, wh_response* res) {
  const char* method = wh_method_name(req);
  const char* path = wh_path(req);
  char* echo = malloc(strlen(method) + strlen(path) + 2);
  if (!echo) abort();
  strcat(strcat(strcpy(echo, method), " "), path);
  wh_set_header(res, "x-weft-request", echo); /* no stdio: the component then needs no wasi:cli */
  free(echo);
  if (wh_method(req) != WASI_HTTP_METHOD_POST) {
    wh_set_header(res, "content-type", "text/plain");
    if (wh_method(req) != WASI_HTTP_METHOD_HEAD) wh_print(res, "hello from weft wasi:http\n");
    return; /* the SDK sends and finishes what was not */
  }
  char* type = wh_header(req, "content-type");
  wh_set_header(res, "content-type", type ? type : "application/octet-stream");
  free(type);
  static char chunk[64 * 1024]; /* one chunk in memory at a time, whatever the body's size */
  long n;
  while ((n = wh_read(req, chunk, sizeof chunk)) > 0) {
    if (wh_write(res, chunk, (size_t)n) != WH_OK) return; /* the client went away */
  }
  if (n < 0) wh_status(res, 400); /* only takes effect if nothing was written yet */
}

WH_HANDLER(handle)
