/* Keeps state between requests the ways a guest can: a static counter, a
 * heap block that is never freed, and a fields resource whose handle is
 * never dropped. Each request reports what it finds, so a test can tell a
 * fresh instance (count=1 every time, the same heap address and handle
 * number) from a reused one. No stdio, so no preview1 adapter: the
 * component is the kind weft recycles (restores) between requests. */
#include <stdlib.h>
#include <string.h>

#include "wasi_http.h"

static unsigned count;

static char* put_number(char* out, const char* label, unsigned long value) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value != 0);
  size_t len = strlen(label);
  memcpy(out, label, len);
  out += len;
  while (n > 0) *out++ = digits[--n];
  return out;
}

static void handle(wh_request* req, wh_response* res) {
  ++count;
  const char* path = wh_path(req);
  if (path && strstr(path, "trap")) __builtin_trap(); /* after changing the state */
  void* leaked_block = malloc(1000);
  wasi_http_fields leaked_fields = wasi_http_fields_new();
  char text[128];
  char* end = put_number(text, "count=", count);
  end = put_number(end, " heap=", (unsigned long)(size_t)leaked_block);
  end = put_number(end, " handle=", leaked_fields.handle);
  *end++ = '\n';
  *end = 0;
  wh_set_header(res, "content-type", "text/plain");
  wh_print(res, text);
}

WH_HANDLER(handle)
